from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The shared store of a test: a SQLite file, or a fresh PostgreSQL database on the test
    server (``ALC_TEST_POSTGRES_URL``, started by ``.ci/run``; skipped when it is unset)."""
    if request.param == "sqlite":
        return str(tmp_path / "shared.db")
    return fresh_database()


def postgres_url() -> str:
    url = os.environ.get("ALC_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("ALC_TEST_POSTGRES_URL is not set (no PostgreSQL server for the tests)")
    return url


def fresh_database() -> str:
    """A new, empty PostgreSQL database on the test server (one per test)."""
    psycopg = pytest.importorskip("psycopg")
    url = postgres_url()
    name = "alc_serve_" + uuid.uuid4().hex[:12]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"
