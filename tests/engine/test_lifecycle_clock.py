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
