"""A store row that cannot be decoded is store_unavailable naming the session; engine-internal
records (thought-chain bindings) are out of every alc.state namespace.

The tests taking ``store_url`` run on SQLite and on PostgreSQL (tests/conftest.py)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import alc
from alc.thinking import ThoughtChains

if TYPE_CHECKING:
    from conftest import StoreSQL


def _paused(db: str | Path) -> str:
    engine = alc.Engine(db)
    out = engine.start(code="return alc.llm('q')")
    assert isinstance(out, alc.NeedsResponse)
    engine.store.close()
    return out.session_id


READS: dict[str, Callable[[alc.Engine, str], object]] = {
    "status": lambda e, sid: e.status(sid),
    "feed": lambda e, sid: e.feed(sid, "a"),
    "transcript": lambda e, sid: e.transcript(sid),
    "sessions": lambda e, sid: e.sessions(),
    "cancel": lambda e, sid: e.cancel(sid),
}


@pytest.mark.parametrize(
    ("column", "value"),
    [("extra", "{not json"), ("extra", "[1, 2]"), ("extra", '{"pending": 3}')],
)
@pytest.mark.parametrize("read", sorted(READS))
def test_corrupted_summary_row(
    store_url: str, store_sql: StoreSQL, column: str, value: str, read: str
) -> None:
    sid = _paused(store_url)
    store_sql(f"UPDATE sessions SET {column} = ? WHERE id = ?", value, sid)
    engine = alc.Engine(store_url)
    with pytest.raises(alc.StoreUnavailable) as info:
        READS[read](engine, sid)
    assert info.value.error_code == "store_unavailable"
    assert sid in str(info.value) and "corrupted" in str(info.value)
    assert engine.delete(sid)  # the way out the message names works


@pytest.mark.parametrize("value", ["{not json", '"a string"', "null"])
def test_corrupted_record_row(store_url: str, store_sql: StoreSQL, value: str) -> None:
    sid = _paused(store_url)
    store_sql("UPDATE sessions SET record = ? WHERE id = ?", value, sid)
    engine = alc.Engine(store_url)
    for call in (lambda: engine.feed(sid, "a"), lambda: engine.transcript(sid)):
        with pytest.raises(alc.StoreUnavailable, match=sid) as info:
            call()
        assert info.value.error_code == "store_unavailable"
        assert info.value.session_id == sid


def test_corrupted_event_row(store_url: str, store_sql: StoreSQL) -> None:
    sid = _paused(store_url)
    # PostgreSQL text cannot hold a NUL at all: another control character there
    garbage = "\x01garbage" if store_url.startswith("postgresql://") else "\x00garbage"
    store_sql("UPDATE events SET data = ? WHERE session_id = ?", garbage, sid)
    engine = alc.Engine(store_url)
    with pytest.raises(alc.StoreUnavailable, match=sid) as info:
        engine.feed(sid, "a")
    assert info.value.error_code == "store_unavailable"


def test_other_sessions_unaffected_by_a_corrupted_row(
    store_url: str, store_sql: StoreSQL
) -> None:
    bad, good = _paused(store_url), _paused(store_url)
    store_sql("UPDATE sessions SET extra = '{' WHERE id = ?", bad)
    engine = alc.Engine(store_url)
    done = engine.feed(good, "fine")
    assert isinstance(done, alc.Completed) and done.result == "fine"


# ---------------------------------------------------------------- engine-internal records


def test_alc_state_cannot_see_or_rebind_thought_chains(store_url: str) -> None:
    engine = alc.Engine(store_url)
    chains = ThoughtChains(engine)
    first = chains.think({"thought": "one", "thoughtNumber": 1, "totalThoughts": 3})
    chain = first["session_id"]
    probe = engine.start(
        code="""
        local seen = alc.state.keys()
        for _, key in ipairs(seen) do alc.state.set(key, "s-" .. string.rep("0", 32)) end
        alc.state.set("mcp\\31default", "s-" .. string.rep("0", 32))
        alc.state.set("default\\31default", "s-" .. string.rep("0", 32))
        return seen
        """,
        ctx={"_ns": "alc.thinking.chains"},
    )
    assert isinstance(probe, alc.Completed)
    assert probe.result in ([], {})  # nothing of the bindings is visible
    # the chain is still bound: the next thought continues it
    second = chains.think({"thought": "two", "thoughtNumber": 2, "totalThoughts": 3})
    assert second["session_id"] == chain
    assert second["thoughtHistoryLength"] == 2


def test_memory_store_keeps_internal_records_apart() -> None:
    store = alc.Engine().store
    store.set_internal("alc.thinking.chains", "k", '"v"')
    assert store.state_keys("alc.thinking.chains") == []
    assert store.state_get("alc.thinking.chains", "k") is None
    assert store.get_internal("alc.thinking.chains", "k") == '"v"'


def test_old_store_bindings_migrate_out_of_kv(db: Path) -> None:
    engine = alc.Engine(db)
    chains = ThoughtChains(engine)
    chain = chains.think({"thought": "one", "thoughtNumber": 1, "totalThoughts": 3})["session_id"]
    engine.store.close()
    # make it look like a store written before 0002_internal: the binding in the kv table
    con = sqlite3.connect(db)
    with con:
        rows = con.execute("SELECT space, key, value FROM internal").fetchall()
        con.execute("DROP TABLE internal")
        con.execute("DELETE FROM schema_migrations WHERE name = '0002_internal'")
        con.executemany("INSERT INTO kv (tenant, ns, key, value) VALUES ('', ?, ?, ?)", rows)
    con.close()
    engine = alc.Engine(db)
    assert engine.store.state_keys("alc.thinking.chains") == []
    again = ThoughtChains(engine).think({"thought": "two", "thoughtNumber": 2, "totalThoughts": 3})
    assert again["session_id"] == chain
