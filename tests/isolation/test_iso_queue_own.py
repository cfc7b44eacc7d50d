"""At the pool's cap, a request whose VM's worker is busy queues for the first worker freed,
its own preferred, instead of replaying its session at once (``Scheduler.lease_or_queue``).

Replaying at the cap could only queue too, then rebuild the session from its whole log on
whichever worker came free: under load every feed became a replay, and the server's
throughput fell as calls in flight rose. The guarantee of issue 24 is unchanged: with a worker
free (or room to start one) a busy worker's session is still rebuilt there at once
(``test_iso_fairness.py``), and a queued request is granted whichever worker frees first.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import alc
from alc.engine.errors import RateLimited
from alc.engine.executor import Hold
from alc.engine.executor._pool import Scheduler, SchedulerConfig
from alc.engine.executor.process import ProcessExecutor

QUICK = "return alc.llm('q') .. '!'"


def _fake_worker() -> SimpleNamespace:
    return SimpleNamespace(alive=True, holder=None, vms=0, free_since=0.0)


def _pool(workers: int, **config: Any) -> tuple[Scheduler, list[Any]]:
    scheduler = Scheduler(
        SchedulerConfig(max_workers=workers, tenant_steps=0, **config), _fake_worker, lambda w: None
    )
    holds = [Hold(None) for _ in range(workers)]
    made = [scheduler.take(hold, lambda w: True) for hold in holds]
    for hold in holds:
        hold.end()
    assert len(set(map(id, made))) == workers
    return scheduler, made


def _in_thread(fn: Any) -> tuple[threading.Thread, list[Any]]:
    out: list[Any] = []

    def run() -> None:
        try:
            out.append(fn())
        except Exception as exc:
            out.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


def _queued(scheduler: Scheduler, n: int) -> None:
    end = time.monotonic() + 30
    while sum(len(q) for q in scheduler._queues.values()) < n:
        assert time.monotonic() < end, "the request never queued"
        time.sleep(0.01)


def test_a_free_worker_means_no_queueing() -> None:
    scheduler, (mine, other) = _pool(2)
    busy = Hold(None)
    assert scheduler.lease(mine, busy)
    hold = Hold("t")
    assert scheduler.lease_or_queue(mine, hold) is None  # rebuilt on `other`, at once
    assert other.holder is None and scheduler._queues == {}
    busy.end()
    assert scheduler.lease_or_queue(mine, hold) is mine
    hold.end()


def test_room_under_the_cap_means_no_queueing() -> None:
    scheduler = Scheduler(SchedulerConfig(max_workers=2), _fake_worker, lambda w: None)
    busy = Hold(None)
    worker = scheduler.take(busy, lambda w: True)
    assert scheduler.lease_or_queue(worker, Hold(None)) is None  # a second worker may start
    busy.end()


def test_at_the_cap_the_own_worker_freed_is_leased() -> None:
    scheduler, (worker,) = _pool(1)
    busy = Hold(None)
    assert scheduler.lease(worker, busy)
    hold = Hold("t")
    thread, out = _in_thread(lambda: scheduler.lease_or_queue(worker, hold))
    _queued(scheduler, 1)
    assert out == []  # it waits (at the cap a replay would wait too)
    busy.end()
    thread.join(30)
    assert out == [worker] and worker.holder is hold
    hold.end()
    assert worker.holder is None


def test_at_the_cap_another_worker_freed_first_is_granted() -> None:
    """Its VM's worker runs a long step: the first worker freed is the request's (no waiting
    behind that step); the caller then rebuilds the session there."""
    scheduler, (mine, other) = _pool(2)
    long_step, short_step = Hold(None), Hold(None)
    assert scheduler.lease(mine, long_step) and scheduler.lease(other, short_step)
    hold = Hold("t")
    thread, out = _in_thread(lambda: scheduler.lease_or_queue(mine, hold))
    _queued(scheduler, 1)
    short_step.end()
    thread.join(30)
    assert out == [other] and other.holder is hold and mine.holder is long_step
    hold.end()
    long_step.end()


def test_the_preferred_worker_wins_when_several_are_freed() -> None:
    scheduler, (emptier, mine) = _pool(2)
    mine.vms = 5  # the grant would otherwise pick the worker with the fewest VMs
    both = Hold(None)
    assert scheduler.lease(emptier, both) and scheduler.lease(mine, both)
    hold = Hold(None)
    thread, out = _in_thread(lambda: scheduler.lease_or_queue(mine, hold))
    _queued(scheduler, 1)
    both.end()
    thread.join(30)
    assert out == [mine]
    hold.end()


def test_the_queue_stays_fair_and_bounded() -> None:
    """Queued for its own worker, a request still takes its tenant's turn, and fails
    ``rate_limited`` when nothing is freed within ``queue_seconds``."""
    scheduler, (worker,) = _pool(1, queue_seconds=0.2)
    busy = Hold(None)
    assert scheduler.lease(worker, busy)
    with pytest.raises(RateLimited):
        scheduler.lease_or_queue(worker, Hold("t"))
    assert scheduler._queues == {}
    busy.end()


def test_a_dead_worker_is_not_waited_for() -> None:
    scheduler, (worker, other) = _pool(2)
    holds = [Hold(None), Hold(None)]
    assert scheduler.lease(worker, holds[0]) and scheduler.lease(other, holds[1])
    worker.alive = False
    assert scheduler.lease_or_queue(worker, Hold(None)) is None  # VMLost: replayed
    for hold in holds:
        hold.end()


def test_concurrent_feeds_on_one_worker_step_their_hot_vms(tmp_path: Path) -> None:
    """One worker, sessions fed from many threads at once: each feed waits its turn for the
    worker and steps its hot VM; none is rebuilt by replay."""
    engine = alc.Engine(tmp_path / "s.db", executor=ProcessExecutor(workers=1))
    try:
        firsts = [engine.start(code=QUICK) for _ in range(12)]
        restored = engine.registry.statistics().restored
        results: list[Any] = []
        barrier = threading.Barrier(len(firsts))

        def feed(first: Any) -> None:
            barrier.wait(30)
            results.append(engine.feed(first.session_id, first.session_id[-4:]))

        threads = [threading.Thread(target=feed, args=(f,), daemon=True) for f in firsts]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert sorted(r.result for r in results) == sorted(f.session_id[-4:] + "!" for f in firsts)
        assert engine.registry.statistics().restored == restored
    finally:
        engine.close()
