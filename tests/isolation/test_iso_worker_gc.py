"""A worker frees closed VMs' heaps in one collection for many closes (not one per close, see
``_worker._Garbage``), and the memory of closed VMs still goes back to the OS: small heaps
(under the immediate bound) and a large one alike."""

from __future__ import annotations

import time
from pathlib import Path

from _isolation import executor_of

import alc
from alc.engine.executor import _worker
from alc.engine.executor.process import ProcessExecutor

MiB = 1024 * 1024
HOLD = "local t = string.rep('x', {n}) return #t + #alc.llm('q')"
SMALL = (  # about 4 MiB in small blocks (below malloc's mmap threshold: freed only by a trim)
    "local t = {{}} for i = 1, 30000 do t[i] = string.rep('x', 100) .. i end "
    "return #t + #alc.llm('q')"
)


def _rss(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) * 1024


def _freed(pid: int, below: int) -> int:
    end = time.monotonic() + 30  # a hang guard, not a timing bound
    while (rss := _rss(pid)) >= below:
        assert time.monotonic() < end, f"the worker still holds {rss / MiB:.0f} MiB"
        time.sleep(0.05)
    return rss


def test_the_garbage_is_due_by_bytes_or_count() -> None:
    garbage = _worker._Garbage()
    garbage.add(_worker.COLLECT_BYTES // 2)
    assert not garbage.due()
    garbage.add(_worker.COLLECT_BYTES // 2)
    assert garbage.due()
    garbage.collect()
    for _ in range(_worker.COLLECT_VMS - 1):
        garbage.add(0)
    assert not garbage.due()
    garbage.add(0)
    assert garbage.due()


def test_closed_heaps_are_freed_when_the_worker_is_idle(tmp_path: Path) -> None:
    """Three sessions of about 4 MiB each in small blocks (under the immediate bound)
    cancelled: the worker gives the memory back, and goes on serving."""
    engine = alc.Engine(tmp_path / "s.db", executor=ProcessExecutor(workers=1))
    try:
        engine.start(code="return 1")
        (pid,) = executor_of(engine).worker_pids()
        before = _rss(pid)
        paused = [engine.start(code=SMALL) for _ in range(3)]
        assert _rss(pid) > before + 10 * MiB
        for first in paused:
            engine.cancel(first.session_id)
        _freed(pid, before + 6 * MiB)
        done = engine.feed(engine.start(code=HOLD.format(n=10)).session_id, "a")
        assert isinstance(done, alc.Completed) and done.result == 11
    finally:
        engine.close()


def test_a_large_closed_heap_is_freed_before_the_next_request(tmp_path: Path) -> None:
    engine = alc.Engine(tmp_path / "s.db", executor=ProcessExecutor(workers=1))
    try:
        engine.start(code="return 1")
        (pid,) = executor_of(engine).worker_pids()
        before = _rss(pid)
        big = engine.start(code=HOLD.format(n=40 * MiB), limits={"max_memory": 256 * MiB})
        assert _rss(pid) > before + 30 * MiB
        engine.cancel(big.session_id)
        _freed(pid, before + 20 * MiB)
    finally:
        engine.close()
