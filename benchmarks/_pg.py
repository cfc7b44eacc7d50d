"""PostgreSQL for the benchmarks: which server to use, and a fresh database per run.

The server is ``ALC_BENCH_POSTGRES_URL`` or else ``ALC_TEST_POSTGRES_URL`` (a URL of a user that
may ``CREATE DATABASE``: ``. .ci/postgres.sh`` starts a throwaway server and sets the latter).
Every run gets a database of its own, dropped afterwards, so no figure depends on what an earlier
run left behind.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

ENV = ("ALC_BENCH_POSTGRES_URL", "ALC_TEST_POSTGRES_URL")


def server_url(explicit: str | None = None) -> tuple[str | None, str]:
    """The PostgreSQL server to use, or ``None`` and why it is skipped (for the output)."""
    url = explicit or next((os.environ[k] for k in ENV if os.environ.get(k)), None)
    if not url:
        return None, f"PostgreSQL skipped: neither {' nor '.join(ENV)} is set"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return None, "PostgreSQL skipped: psycopg is not installed (the [postgres] extra)"
    return url, ""


@contextmanager
def fresh_database(url: str) -> Iterator[str]:
    """Create an empty database on the server of ``url``; yield its URL; drop it afterwards
    (``WITH (FORCE)``: connections a store left open do not keep it alive)."""
    import psycopg

    name = "alc_bench_" + uuid.uuid4().hex[:12]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(url)._replace(path="/" + name))
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_name(url: str) -> str:
    """The database a URL names (its path without the slash)."""
    return urlsplit(url).path.lstrip("/")


def settings(url: str) -> str:
    """The server settings that decide what a commit costs, as ``name=value`` text."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        version = conn.execute("SHOW server_version").fetchone()
        rows = [
            (name, conn.execute(f"SHOW {name}").fetchone())
            for name in ("fsync", "synchronous_commit", "full_page_writes")
        ]
    return f"PostgreSQL {version[0] if version else '?'}, " + ", ".join(
        f"{name}={row[0] if row else '?'}" for name, row in rows
    )
