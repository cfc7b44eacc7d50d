"""The migration of a store written before tenants were a column (SQLite and PostgreSQL).

``alc.state`` rows were keyed ``"<tenant>/<ns>"``; each is split by the longest tenant of a
session that prefixes it (the others, written without tenancy, stay as they were); cards made
before (tenants were refused ``alc.card``) belong to no tenant. Usage counters start from the
rows. A missing migration is applied on open and keeps the data.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from alc.engine.store import Usage, open_store

LEGACY_KV = [
    ("org/default", "a", '"org"'),
    ("org/x/default", "a", '"org/x"'),
    ("org/x/deep/ns", "b", "1"),
    ("plain", "c", "2"),
    ("nobody/default", "d", "3"),
]
SESSIONS = [("s-" + "1" * 32, "org"), ("s-" + "2" * 32, "org/x"), ("s-" + "3" * 32, None)]
CARD = ("p_model_20260101T000000_abcdef", "p", "2026-01-01T00:00:00Z", None, '{"card_id": '
        '"p_model_20260101T000000_abcdef", "pkg": {"name": "p"}, '
        '"created_at": "2026-01-01T00:00:00Z"}')  # fmt: skip


def _fill(run: Any, mark: str, blob: Any) -> None:
    for sid, tenant in SESSIONS:
        run(
            f"INSERT INTO sessions (id, strategy, state, created_at, updated_at, head, record, "
            f"extra, tenant) VALUES ({mark}, NULL, 'paused', 1, 1, 0, '{{}}', '{{}}', {mark})",
            (sid, tenant),
        )
    for ns, key, value in LEGACY_KV:
        run(f"INSERT INTO kv (ns, key, value) VALUES ({mark}, {mark}, {mark})",
            (blob(ns), blob(key), value))  # fmt: skip
    run(f"INSERT INTO cards (card_id, pkg, created_at, prior_card_id, body) VALUES "
        f"({mark}, {mark}, {mark}, {mark}, {mark})", CARD)  # fmt: skip
    run(f"INSERT INTO card_samples (card_id, seq, data) VALUES ({mark}, 0, '{{}}')", (CARD[0],))
    run(f"INSERT INTO card_aliases (name, card_id, pkg, note, set_at) VALUES "
        f"('best', {mark}, 'p', NULL, 'now')", (CARD[0],))  # fmt: skip


def _check(url: str) -> None:
    store = open_store(url)
    try:
        assert store.state_get("default", "a", tenant="org") == '"org"'
        assert store.state_get("default", "a", tenant="org/x") == '"org/x"'
        assert store.state_keys("deep/ns", tenant="org/x") == ["b"]
        assert store.state_keys("x/default", tenant="org") == []  # the old collision is gone
        assert store.state_get("plain", "c") == "2"
        assert store.state_get("nobody/default", "d") == "3"  # no such tenant: left alone
        assert store.state_usage("default", tenant="org") == Usage(len("a") + len('"org"'), 1)
        assert store.state_usage(None, tenant="org/x") == Usage(1 + 7 + 1 + 1, 2)
        assert store.state_usage(None) == Usage(1 + 1 + 1 + 1, 2)
        store.state_set("default", "new", "1", tenant="org")
        assert store.state_usage(None, tenant="org").keys == 2
        assert store.state_delete("default", "new", tenant="org")
        card = store.card_get(CARD[0])
        assert card is not None and store.card_get(CARD[0], tenant="org") is None
        assert store.samples_count(CARD[0]) == 1 and store.alias_get("best") is not None
        assert store.alias_get("best", tenant="org") is None
        assert [s.session_id for s in store.list(tenant="org/x")] == [SESSIONS[1][0]]
    finally:
        store.close()


def test_a_sqlite_store_from_before_tenant_columns_is_migrated(tmp_path: Path) -> None:
    from _legacy_schemas import SQLITE as _SCHEMA

    assert [name for name, _ in _SCHEMA[4:]] == ["0005_state_tenant", "0006_card_tenant"]
    path = tmp_path / "old.db"
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at REAL NOT NULL)")
    for name, sql in _SCHEMA[:4]:
        con.executescript(sql)
        con.execute("INSERT INTO schema_migrations VALUES (?, ?)", (name, time.time()))
    _fill(lambda sql, params: con.execute(sql, params), "?", str)
    con.close()
    _check(str(path))
    _check(str(path))  # reopening applies nothing and changes nothing


def test_a_postgres_store_from_before_tenant_columns_is_migrated(postgres_url: str) -> None:
    psycopg = pytest.importorskip("psycopg")
    from _legacy_schemas import POSTGRES as _SCHEMA

    assert [name for name, _ in _SCHEMA[3:]] == ["0004_state_tenant", "0005_card_tenant"]
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE schema_migrations (name text PRIMARY KEY, applied_at double precision)"
        )
        for name, sql in _SCHEMA[:3]:
            conn.execute(sql.encode())
            conn.execute("INSERT INTO schema_migrations VALUES (%s, %s)", (name, time.time()))
        _fill(lambda sql, params: conn.execute(sql, params), "%s", str.encode)
    _check(postgres_url)
    _check(postgres_url)
