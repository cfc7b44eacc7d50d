"""Issue 13, worker loss (process executor only): a dead worker fails only the step in flight;
the sessions it held are rebuilt by replay and lose nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from _isolation import PATTERN, completed, executor_of, failed, wire

import alc
from alc.engine.executor.process import ProcessExecutor

THREE_STEPS = "local a = alc.llm('a') local b = alc.llm('b') local c = alc.llm('c') return a..b..c"


@pytest.fixture
def pool() -> Iterator[alc.Engine]:
    engine = alc.Engine(executor="process")
    yield engine
    engine.close()


def worker_pids(engine: alc.Engine) -> list[int]:
    return executor_of(engine).worker_pids()


def paused(engine: alc.Engine, n: int = 5) -> list[str]:
    ids = []
    for _ in range(n):
        out = engine.start(code=THREE_STEPS)
        assert out.prompt == "a"
        ids.append(out.session_id)
    return ids


def finish(engine: alc.Engine, ids: list[str]) -> None:
    for sid in ids:
        assert wire(engine.feed(sid, "x"))["status"] == "needs_response"
        assert wire(engine.feed(sid, "y"))["status"] == "needs_response"
        completed(engine.feed(sid, "z"), "xyz")


def test_timeout_kill_spares_the_other_sessions(pool: alc.Engine) -> None:
    ids = paused(pool)
    assert worker_pids(pool)  # one request at a time: the pool needs no second worker
    failed(pool.start(code=PATTERN, limits={"max_step_seconds": 0.25}), "timeout")
    assert executor_of(pool).statistics().lost >= 1
    finish(pool, ids)
    completed(pool.start(code="return 'alive'"), "alive")


def test_timeout_kill_mid_session(pool: alc.Engine) -> None:
    """A session whose own later step kills its worker fails with timeout; its neighbours
    paused at their second step go on."""
    ids = paused(pool, 4)
    for sid in ids:
        pool.feed(sid, "x")
    attacker = pool.start(
        code="local a = alc.llm('go') " + PATTERN, limits={"max_step_seconds": 0.25}
    )
    failed(pool.feed(attacker.session_id, "go"), "timeout")
    for sid in ids:
        pool.feed(sid, "y")
        completed(pool.feed(sid, "z"), "xyz")
    assert executor_of(pool).statistics().lost >= 1


def test_externally_killed_workers(pool: alc.Engine) -> None:
    ids = paused(pool)
    pids = worker_pids(pool)
    assert pids
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    wait_dead(pids)
    finish(pool, ids)
    stats = executor_of(pool).statistics()
    assert stats.lost >= len(pids)
    assert set(worker_pids(pool)).isdisjoint(pids)


def test_worker_killed_between_two_feeds_of_a_batch(pool: alc.Engine) -> None:
    out = pool.start(code="return alc.llm_batch({'p', 'q'})")
    sid = out.session_id
    assert wire(pool.feed(sid, "P", query_id="q-0"))["status"] == "accepted"
    pids = worker_pids(pool)
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    wait_dead(pids)
    completed(pool.feed(sid, "Q", query_id="q-1"), ["P", "Q"])


def test_worker_killed_right_before_a_feed(pool: alc.Engine) -> None:
    """A worker SIGKILLed while idle may still look alive when the feed is sent (the kernel has
    not closed its pipe yet): it never acknowledges the request, so the paused session is
    rebuilt by replay instead of failing ``worker_lost``. Repeated to meet the race."""
    for _ in range(3):
        ids = paused(pool, 4)
        for sid in ids:
            for pid in worker_pids(pool):
                os.kill(pid, signal.SIGKILL)
            assert wire(pool.feed(sid, "x"))["status"] == "needs_response"


@pytest.mark.parametrize("method", ["fork", "forkserver"])
def test_a_one_worker_pool_replaces_a_worker_killed_while_idle(method: str) -> None:
    """At the cap of one worker, a request whose worker died under it (before or while taking
    the request) gets the dead worker's room for a new one, never a wait for itself."""
    engine = alc.Engine(executor=ProcessExecutor(workers=1, start_method=method))
    try:
        for _ in range(3):
            ids = paused(engine, 2)
            for pid in worker_pids(engine):
                os.kill(pid, signal.SIGKILL)
            began = time.monotonic()
            for sid in ids:
                assert wire(engine.feed(sid, "x"))["status"] == "needs_response"
            assert time.monotonic() - began < 20  # not the queue's 30 s wait
    finally:
        engine.close()


def test_vm_count_stays_consistent(pool: alc.Engine, tmp_path: Path) -> None:
    for i in range(3):
        (tmp_path / f"c{i}").mkdir()
        (tmp_path / f"c{i}" / "init.lua").write_text(
            f'return {{meta={{name="c{i}"}}, run=function(ctx) return {i} end}}'
        )
    engine = alc.Engine(executor="process", packages_path=[tmp_path])
    try:
        for _ in range(3):
            completed(engine.start(code="return #alc.fork({'c0', 'c1', 'c2'})"), 3)
        import gc

        gc.collect()
        assert executor_of(engine).statistics().vms >= 0
    finally:
        engine.close()


SUPERVISOR = """
import os, signal, sys
import alc
from alc.engine.executor.process import ProcessExecutor

def main():
    engine = alc.Engine(executor="process")
    engine.start(code="return alc.llm('q')")
    engine.start(code="return alc.llm('q')")
    pids = engine.registry.executor.worker_pids()
    print(" ".join(map(str, pids)), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)

if __name__ == "__main__":
    main()
"""


@pytest.mark.slow
def test_workers_exit_when_their_supervisor_dies(tmp_path: Path) -> None:
    script = tmp_path / "supervisor.py"
    script.write_text(SUPERVISOR)
    proc = subprocess.Popen(
        [sys.executable, str(script)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()  # not read to EOF: orphaned workers may hold the pipe
    proc.wait(60)
    proc.stdout.close()
    pids = [int(p) for p in line.split()]
    assert pids
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(p) for p in pids):
            time.sleep(0.05)
        assert not any(_alive(p) for p in pids), "orphaned workers still running"
    finally:
        for pid in pids:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def wait_dead(pids: list[int]) -> None:
    """Until the killed workers have exited (zombies count: their pipes are closed)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.01)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_worker_that_cannot_start_is_a_clear_error_not_a_failed_session(
    tmp_path: Path,
) -> None:
    """A script that builds an engine at import time, without a ``__main__`` guard, in a process
    with a second thread: its fork-server workers import the script again and die starting.
    The request gets ``executor_unavailable`` naming the cause; no session is created."""
    script = tmp_path / "unguarded.py"
    script.write_text(
        "import threading, time, alc\n"
        "threading.Thread(target=time.sleep, args=(30,), daemon=True).start()\n"
        f"engine = alc.Engine({str(tmp_path / 's.db')!r}, executor='process')\n"
        "try:\n"
        "    engine.start(code='return 1')\n"
        "except alc.AlcError as exc:\n"
        "    print('CODE', exc.error_code, exc.message)\n"
        "print('SESSIONS', len(engine.sessions(list(alc.SessionState))))\n"
    )
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    parent = [line for line in out.stdout.splitlines() if line.startswith(("CODE", "SESSIONS"))]
    assert parent[0].startswith("CODE executor_unavailable"), out.stdout + out.stderr
    assert 'if __name__ == "__main__":' in parent[0]
    assert parent[-1] == "SESSIONS 0"
