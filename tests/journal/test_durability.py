"""Durable sessions: restore by replay in fresh processes, divergence, pinning, conflicts.

Every test that takes ``store_url`` runs twice: on a SQLite file and on a fresh PostgreSQL
schema (``tests/conftest.py``; skipped without ``ALC_TEST_POSTGRES_URL``, which CI sets).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

import alc
from alc.testing import FakeClock

if TYPE_CHECKING:
    from conftest import StoreSQL

WORKER = Path(__file__).with_name("_worker.py")


def worker(db: str | Path, *args: str) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, str(WORKER), args[0], str(db), *args[1:]],
        capture_output=True, text=True, timeout=120, check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_restore_in_another_engine(store_url: str) -> None:
    db = store_url
    first = alc.Engine(store=db)
    out = first.start(code="local a = alc.llm('one') local b = alc.llm('two: ' .. a) return a .. b")
    second = alc.Engine(store=db)
    out = second.feed(out.session_id, "1")
    assert isinstance(out, alc.NeedsResponse) and out.prompt == "two: 1"
    third = alc.Engine(store=db)
    done = third.feed(out.session_id, "2")
    assert isinstance(done, alc.Completed) and done.result == "12"


@pytest.mark.slow
def test_pairs_order_restores_in_20_fresh_processes(store_url: str) -> None:
    db = store_url
    out = worker(db, "start", "pairs")
    sid = out["session_id"]
    prompts = [out["prompt"]]
    for i in range(12):
        out = worker(db, "feed", sid, f"v{i}")
        if out["status"] == "needs_response":
            prompts.append(out["prompt"])
    assert out["status"] == "completed", out
    assert len(prompts) == 12 and len(set(prompts)) == 12
    assert out["result"] == [p.split(" ")[2] + f"=v{i}" for i, p in enumerate(prompts)]
    # 20 more fresh processes, each restoring a new session from its journal at a later point
    out = worker(db, "start", "pairs")
    sid = out["session_id"]
    for i in range(11):
        out = worker(db, "feed", sid, f"w{i}")
        assert out["status"] == "needs_response", out
    for _ in range(9):
        status = worker(db, "status", sid)
        assert status["state"] == "paused"
    done = worker(db, "feed", sid, "last")
    assert done["status"] == "completed"


def test_replay_diverged_names_query_and_leaves_journal(
    store_url: str, store_sql: StoreSQL
) -> None:
    db = store_url
    engine = alc.Engine(store=db)
    # table addresses differ between VMs, so this strategy is not deterministic
    out = engine.start(code="alc.llm('a') alc.llm('b ' .. tostring({})) alc.llm('c')")
    sid = out.session_id
    engine.feed(sid, "1")
    before = store_sql("SELECT count(*) FROM events")
    other = alc.Engine(store=db)
    failed = other.feed(sid, "2")
    assert isinstance(failed, alc.Failed) and failed.error_code == "replay_diverged"
    assert "q-1" in failed.error and "table: 0x" in failed.error
    after = store_sql("SELECT count(*) FROM events")
    assert before == after
    assert other.status(sid).state == "paused"  # type: ignore[union-attr]


def test_source_pinning_uses_the_stored_source(store_url: str, packages: Path) -> None:
    db = store_url
    pkg = packages / "pinned"
    pkg.mkdir()
    (pkg / "init.lua").write_text(
        "return {run = function(ctx) return 'v1:' .. alc.llm('original prompt') end}"
    )
    out = alc.Engine(store=db).start(strategy="pinned")
    (pkg / "init.lua").write_text(
        "return {run = function(ctx) return 'v2:' .. alc.llm('edited prompt') end}"
    )
    done = alc.Engine(store=db).feed(out.session_id, "x")
    assert isinstance(done, alc.Completed) and done.result == "v1:x"
    fresh = alc.Engine(store=db).start(strategy="pinned")
    assert isinstance(fresh, alc.NeedsResponse) and fresh.prompt == "edited prompt"


def test_source_changed_when_pinned_source_is_gone(
    store_url: str, store_sql: StoreSQL, packages: Path
) -> None:
    db = store_url
    pkg = packages / "gone"
    pkg.mkdir()
    (pkg / "init.lua").write_text("return {run = function(ctx) return alc.llm('p') end}")
    out = alc.Engine(store=db).start(strategy="gone")
    store_sql("DELETE FROM sources")
    failed = alc.Engine(store=db).feed(out.session_id, "x")
    assert isinstance(failed, alc.Failed) and failed.error_code == "source_changed"


@pytest.mark.slow
def test_two_processes_feeding_one_session_conflict(store_url: str, store_sql: StoreSQL) -> None:
    db = store_url
    for _ in range(3):
        sid = worker(db, "start", "slow")["session_id"]
        procs = [
            subprocess.Popen(
                [sys.executable, str(WORKER), "feed", str(db), sid, f"answer-{n}"],
                stdout=subprocess.PIPE, text=True,
            )
            for n in range(2)
        ]
        replies = [json.loads(p.communicate(timeout=120)[0].strip()) for p in procs]
        statuses = sorted(r["status"] for r in replies)
        assert statuses == ["completed", "error"], replies
        loser = next(r for r in replies if r["status"] == "error")
        assert loser["error_code"] in {"conflict", "session_finished", "already_answered"}
        answers = store_sql(
            "SELECT count(*) FROM events WHERE session_id = ? AND kind = 'answer'", sid
        )[0][0]
        assert answers == 1


def test_state_incr_counts_across_processes(store_url: str) -> None:
    db = store_url
    procs = [
        subprocess.Popen([sys.executable, str(WORKER), "incr", str(db), "60"],
                         stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    for p in procs:
        p.communicate(timeout=120)
        assert p.returncode == 0
    done = alc.Engine(store=db).start(code="return alc.state.get('hits')", ctx={"_ns": "race"})
    assert isinstance(done, alc.Completed) and done.result == 120


def test_state_is_not_reapplied_on_replay(store_url: str) -> None:
    db = store_url
    engine = alc.Engine(store=db)
    out = engine.start(code="local n = alc.state.incr('n') alc.llm('x') return n")
    other = alc.Engine(store=db)
    done = other.feed(out.session_id, "y")
    assert isinstance(done, alc.Completed) and done.result == 1
    check = other.start(code="return alc.state.get('n')")
    assert isinstance(check, alc.Completed) and check.result == 1


def test_eviction_and_restore(store_url: str) -> None:
    db = store_url
    engine = alc.Engine(store=db, idle_ttl=0)
    out = engine.start(code="return alc.llm('a') .. alc.llm('b')")
    assert engine.registry.statistics().hot == 1
    assert engine.registry.evict_idle() == 1
    assert engine.registry.statistics().hot == 0
    out = engine.feed(out.session_id, "A")
    done = engine.feed(out.session_id, "B")
    assert isinstance(done, alc.Completed) and done.result == "AB"
    assert engine.registry.statistics().restored >= 1


def test_memory_store_restores_after_eviction() -> None:
    engine = alc.Engine(idle_ttl=0)
    out = engine.start(code="return os.time() .. alc.llm('a') .. math.random(1e9)")
    engine.registry.evict_idle()
    done = engine.feed(out.session_id, "A")
    assert isinstance(done, alc.Completed)


def test_purge_after_retention(store_url: str) -> None:
    db = store_url
    clock = FakeClock()
    engine = alc.Engine(store=db, clock=clock, retention=3600)
    done = engine.start(code="return 1")
    paused = engine.start(code="alc.llm('x')")
    clock.advance(1800)
    assert engine.purge() == 0
    clock.advance(3600)
    assert engine.purge() == 2
    with pytest.raises(alc.SessionNotFound):
        engine.status(done.session_id)
    with pytest.raises(alc.SessionNotFound):
        engine.feed(paused.session_id, "late")


def test_sessions_listing_spans_processes(store_url: str) -> None:
    db = store_url
    worker(db, "start", "pairs")
    engine = alc.Engine(store=db)
    engine.start(code="return 1")
    listed = engine.sessions()
    assert {s.state for s in listed} == {"paused", "completed"}
    paused = engine.sessions(["paused"])
    assert len(paused) == 1 and paused[0].pending[0].id == "q-0" and paused[0].llm_calls == 1


def test_transcript(store_url: str) -> None:
    db = store_url
    engine = alc.Engine(store=db)
    out = engine.start(code="return alc.llm('one') .. alc.llm_batch({'two', 'three'})[2]")
    out = engine.feed(out.session_id, "1")
    engine.feed(out.session_id, responses={"q-1": "2", "q-2": "3"})
    transcript = alc.Engine(store=db).transcript(out.session_id)
    assert [(e["query"]["prompt"], e["answer"]) for e in transcript.entries] == [
        ("one", "1"), ("two", "2"), ("three", "3")]
    assert transcript.summary.outcome is not None
    assert transcript.summary.outcome["result"] == "13"


def test_an_unusable_store_is_a_coded_error(tmp_path: Path) -> None:
    not_a_db = tmp_path / "notes.txt"
    not_a_db.write_text("this is not an alc store")
    with pytest.raises(alc.StoreUnavailable) as info:
        alc.Engine(store=not_a_db)
    assert info.value.error_code == "store_unavailable" and "not a database" in str(info.value)
    assert not_a_db.read_text() == "this is not an alc store"  # nothing was written to it
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(alc.StoreUnavailable):
        alc.Engine(store=blocker / "sub" / "sessions.db")


def test_store_errors_during_use_are_translated(store_url: str, store_sql: StoreSQL) -> None:
    engine = alc.Engine(store=store_url)
    out = engine.start(code="return alc.llm('q')")
    store_sql("DROP TABLE events")
    with pytest.raises(alc.StoreUnavailable):
        engine.transcript(out.session_id)
