"""One migration history: a store made by the code before it (both databases, every old step
applied, the frozen texts of ``_legacy_schemas``) opens, keeps its data and lists the same
step names as a fresh store."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from _legacy_schemas import POSTGRES, SQLITE

from alc.engine.store import open_store
from alc.engine.store._migrations import MIGRATIONS, names


def test_both_dialects_have_the_same_steps() -> None:
    assert [n for n, _ in MIGRATIONS["sqlite"]] == [n for n, _ in MIGRATIONS["postgres"]] == names()


def _check(url: str, rows: list[tuple[str]]) -> None:
    store = open_store(url)
    try:
        assert store.state_get("ns", "k") == '"old"'
        assert store.get_internal("alc.thinking.chains", "c") == "{}"
        store.state_set("ns", "k2", "1")
        assert store.state_usage("ns").keys == 2
    finally:
        store.close()
    assert rows == [(n,) for n in sorted(names())]


def test_an_old_sqlite_store_continues_in_the_one_history(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at REAL NOT NULL)")
    for name, sql in SQLITE:
        con.executescript(sql)
        con.execute("INSERT INTO schema_migrations VALUES (?, ?)", (name, time.time()))
    con.execute("INSERT INTO kv VALUES ('', 'ns', 'k', '\"old\"')")
    con.execute("INSERT INTO kv_usage VALUES ('', 'ns', 6, 1)")
    con.execute("INSERT INTO kv_tenant_usage VALUES ('', 6, 1)")
    con.execute("INSERT INTO internal VALUES ('alc.thinking.chains', 'c', '{}')")
    con.close()
    open_store(str(path)).close()
    con = sqlite3.connect(path)
    rows = con.execute("SELECT name FROM schema_migrations ORDER BY name").fetchall()
    con.close()
    _check(str(path), rows)


def test_an_old_postgres_store_continues_in_the_one_history(postgres_url: str) -> None:
    psycopg = pytest.importorskip("psycopg")
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE schema_migrations (name text PRIMARY KEY, applied_at double precision)"
        )
        for name, sql in POSTGRES:
            conn.execute(sql.encode())
            conn.execute("INSERT INTO schema_migrations VALUES (%s, %s)", (name, time.time()))
        conn.execute("INSERT INTO kv VALUES ('ns', 'k', '\"old\"', '')")
        conn.execute("INSERT INTO kv_usage VALUES ('', 'ns', 6, 1)")
        conn.execute("INSERT INTO kv_tenant_usage VALUES ('', 6, 1)")
        conn.execute("INSERT INTO internal VALUES ('alc.thinking.chains', 'c', '{}')")
    open_store(postgres_url).close()
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        rows = conn.execute("SELECT name FROM schema_migrations ORDER BY name").fetchall()
    _check(postgres_url, rows)
