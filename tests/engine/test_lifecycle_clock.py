"""Eviction and retention run on the injected clock (alc.testing.FakeClock)."""

from __future__ import annotations

from pathlib import Path

import alc
from alc.testing import FakeClock


def test_idle_sessions_are_evicted_on_the_fake_clock_and_restore(tmp_path: Path) -> None:
    clock = FakeClock()
    engine = alc.Engine(store=tmp_path / "s.db", clock=clock, idle_ttl=60)
    sid = engine.start(code="return alc.llm('a') .. alc.llm('b')").session_id
    assert engine.registry.evict_idle() == 0
    clock.advance(59)
    assert engine.registry.evict_idle() == 0
    clock.advance(2)
    assert engine.registry.evict_idle() == 1
    assert engine.registry.statistics().hot == 0
    engine.feed(sid, "1")  # restored by replay, hot again, touched now
    assert engine.registry.statistics().restored == 1
    clock.advance(30)
    assert engine.registry.evict_idle() == 0
    done = engine.feed(sid, "2")
    assert isinstance(done, alc.Completed) and done.result == "12"


def test_retention_purges_on_the_fake_clock(tmp_path: Path) -> None:
    clock = FakeClock()
    engine = alc.Engine(store=tmp_path / "s.db", clock=clock, retention=3600)
    ended = engine.start(code="return 1").session_id
    paused = engine.start(code="return alc.llm('a')").session_id
    clock.advance(3599)
    assert engine.purge() == 0
    clock.advance(2)
    assert engine.purge() == 2
    assert engine.sessions(states=list(alc.SessionState)) == []
    assert ended != paused


def test_the_session_lock_table_holds_only_sessions_in_use(tmp_path: Path) -> None:
    """A long-lived registry keeps no per-session record of the sessions it has served (one
    lock per session ever fed used to stay in memory, and pinned the allocator's arenas)."""
    engine = alc.Engine(store=tmp_path / "s.db")
    for _ in range(50):
        out = engine.start(code="return alc.llm('a')")
        engine.feed(out.session_id, "x")
    paused = engine.start(code="return alc.llm('a') .. alc.llm('b')")
    engine.feed(paused.session_id, "1")
    engine.cancel(engine.start(code="return alc.llm('a')").session_id)
    assert len(engine.registry._locks) == 0


def test_a_session_lock_is_one_lock_while_threads_wait_for_it() -> None:
    import threading

    from alc.engine.registry import _SessionLocks

    locks = _SessionLocks()
    inside: list[str] = []
    with locks.hold("s") as first:
        assert first
        with locks.hold("s", blocking=False) as second:  # held: not acquired, nothing waits
            assert not second
        done = threading.Event()

        def wait_then_note() -> None:
            with locks.hold("s"):
                inside.append("waiter")
            done.set()

        waiter = threading.Thread(target=wait_then_note)
        waiter.start()
        assert not done.wait(0.05)  # it waits on the lock the holder has
        inside.append("holder")
    assert done.wait(5) and inside == ["holder", "waiter"]
    waiter.join()
    assert len(locks) == 0
