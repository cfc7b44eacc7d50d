"""The executor seam: inline and process executors behave the same for every strategy."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

import alc
from alc.engine.executor import InlineExecutor, VMLost, make_executor
from alc.engine.executor.process import ProcessExecutor
from alc.engine.lua import Seeds

CODE = """
alc.state.set('seen', (alc.state.get('seen') or 0) + 1)
print('started')
local a = alc.llm('first ' .. os.getenv('EXECUTOR_TEST'))
local b = alc.llm_batch({'x', {prompt = 'y', system = 's'}})
return {a = a, b = b, t = type(os.time()), seen = alc.state.get('seen')}
"""


@pytest.fixture(params=["inline", "process"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[alc.Engine]:
    eng = alc.Engine(store=tmp_path / "s.db", executor=request.param)
    yield eng
    eng.close()


def test_a_strategy_runs_the_same_on_both(
    engine: alc.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXECUTOR_TEST", "env")
    monkeypatch.setenv("ALC_LUA_ENV_ALLOW", "EXECUTOR_TEST")
    out = engine.start(code=CODE)
    assert isinstance(out, alc.NeedsResponse) and out.prompt == "first env"
    out = engine.feed(out.session_id, "A")
    assert isinstance(out, alc.NeedsResponse) and [q.system for q in out.queries] == [None, "s"]
    out = engine.feed(out.session_id, responses={"q-1": "B", "q-2": "C"})
    assert isinstance(out, alc.Completed)
    assert out.result == {"a": "A", "b": ["B", "C"], "t": "number", "seen": 1}
    assert engine.status(out.session_id).log[0]["message"] == "started"


def test_bad_code_is_invalid_input_on_both(engine: alc.Engine) -> None:
    with pytest.raises(alc.InvalidInput, match="does not compile"):
        engine.start(code="return (")


def test_a_session_restores_by_replay_in_another_engine(engine: alc.Engine) -> None:
    out = engine.start(code="return alc.llm('a') .. alc.llm('b')")
    engine.feed(out.session_id, "1")
    other = alc.Engine(store=engine.store, executor="process")
    try:
        done = other.feed(out.session_id, "2")
    finally:
        other.close()
    assert isinstance(done, alc.Completed) and done.result == "12"


def _nest(depth: int) -> str:
    return f"local t = {{}} local c = t for i = 1, {depth} do c.x = {{}} c = c.x end "


def _depth(value: object) -> int:
    depth = 0
    while isinstance(value, dict) and "x" in value:
        value, depth = value["x"], depth + 1
    return depth


@pytest.mark.parametrize("depth", [450, 494, 499])
def test_a_value_near_the_depth_bound_crosses_both_executors(
    engine: alc.Engine, depth: int
) -> None:
    """Under the documented 500-level bound a nested value is returned, and stored in and read
    back from ``alc.state``, the same on both executors (the process executor pickled it past
    the recursion limit and lost its worker; the inline one failed reading it back)."""
    out = engine.start(code=_nest(depth) + "return t")
    assert isinstance(out, alc.Completed) and _depth(out.result) == depth, out
    back = (
        "alc.state.set('deep', t) local b, n = alc.state.get('deep'), 0 "
        "while b.x do b, n = b.x, n + 1 end return n"
    )
    out = engine.start(code=_nest(depth) + back)
    assert isinstance(out, alc.Completed) and out.result == depth, out


def test_a_value_past_the_depth_bound_fails_alike(engine: alc.Engine) -> None:
    out = engine.start(code=_nest(600) + "return t")
    assert isinstance(out, alc.Failed) and out.error_code == "lua_error", out
    assert "nested deeper than 500 levels" in out.error


def test_make_executor() -> None:
    assert isinstance(make_executor("inline"), InlineExecutor)
    process = make_executor("process")
    assert isinstance(process, ProcessExecutor)
    process.close()
    custom = InlineExecutor()
    assert make_executor(custom) is custom
    with pytest.raises(ValueError, match="unknown executor"):
        make_executor("threads")


def test_alc_executor_env_var_picks_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALC_EXECUTOR", "process")
    executor = make_executor(None)
    assert executor.name == "process"
    executor.close()
    monkeypatch.delenv("ALC_EXECUTOR")
    assert make_executor(None, default="inline").name == "inline"


def _worker_pids(executor: ProcessExecutor) -> list[int]:
    return executor.worker_pids()


def test_a_killed_worker_loses_no_paused_session(tmp_path: Path) -> None:
    executor = ProcessExecutor(workers=2)
    engine = alc.Engine(store=tmp_path / "s.db", executor=executor)
    try:
        ids = [
            engine.start(code="return alc.llm('a') .. alc.llm('b')").session_id for _ in range(6)
        ]
        for sid in ids:
            engine.feed(sid, "1")
        for worker in list(executor._pool.workers):
            os.kill(worker.process.pid, signal.SIGKILL)
            worker.process.join(5)  # dead before the next request: its VMs are lost, not failed
        results = [engine.feed(sid, "2") for sid in ids]
        assert all(isinstance(r, alc.Completed) and r.result == "12" for r in results)
        assert engine.registry.statistics().restored >= 6
        assert executor.statistics().lost >= 1
    finally:
        engine.close()


def test_a_vm_of_a_dead_worker_raises_vmlost() -> None:
    executor = ProcessExecutor(workers=1)
    registry = alc.Engine().registry
    try:
        out = registry.start(code="alc.llm('x')")
        host = registry._hot[out.session_id]._host
        vm = executor.create_vm(host, alc.Limits(), Seeds(1, 2))
        vm.start_code("return 1", {})
        (worker,) = list(executor._pool.workers)
        os.kill(worker.process.pid, signal.SIGKILL)
        worker.process.join(5)
        with pytest.raises(VMLost):
            vm.step()
        with pytest.raises(VMLost):
            vm.step()
        fresh = executor.create_vm(host, alc.Limits(), Seeds(1, 2))  # a new worker takes over
        fresh.start_code("return 1", {})
        assert fresh.step().result == 1
    finally:
        executor.close()


def test_a_timed_out_step_fails_only_its_session(tmp_path: Path) -> None:
    executor = ProcessExecutor(workers=1, grace=0.2)
    engine = alc.Engine(store=tmp_path / "s.db", executor=executor)
    try:
        paused = engine.start(code="return alc.llm('a')")
        out = engine.start(
            code="return ('a'):rep(360):find('.-.-.-b')", limits={"max_step_seconds": 0.2}
        )
        assert isinstance(out, alc.Failed) and out.error_code == "timeout"
        done = engine.feed(paused.session_id, "still here")
        assert isinstance(done, alc.Completed) and done.result == "still here"
    finally:
        engine.close()


def test_closed_engine_workers_exit() -> None:
    executor = ProcessExecutor(workers=1)
    engine = alc.Engine(executor=executor)
    engine.start(code="alc.llm('x')")
    workers = [w.process for w in executor._pool.workers]
    engine.close()
    assert all(not p.is_alive() for p in workers)


class _InterruptingHost:
    """A host whose log callback is interrupted (as by Ctrl-C in the serving process)."""

    def __getattr__(self, name: str) -> object:
        def method(*args: object) -> object:
            if name == "log":
                raise KeyboardInterrupt
            return None

        return method


def test_an_interrupted_request_retires_its_worker() -> None:
    executor = ProcessExecutor(workers=1)
    try:
        vm = executor.create_vm(_InterruptingHost(), alc.Limits(), Seeds(1, 2))  # type: ignore[arg-type]
        vm.start_code("print('hi') return 1", {})
        with pytest.raises(KeyboardInterrupt):
            vm.step()
        with pytest.raises(VMLost):  # the worker was mid-step: it serves no one any more
            vm.step()
        fresh = executor.create_vm(_InterruptingHost(), alc.Limits(), Seeds(1, 2))  # type: ignore[arg-type]
        fresh.start_code("return 2", {})
        assert fresh.step().result == 2
    finally:
        executor.close()


SUPERVISOR = """
import sys, alc
from alc.engine.executor.process import ProcessExecutor
executor = ProcessExecutor(workers=1)
engine = alc.Engine(executor=executor)
engine.start(code="alc.llm('warm')")  # the worker exists now
(worker,) = list(executor._pool.workers)
print(worker.process.pid, flush=True)
engine.start(code="return ('a'):rep(2000):find('.-.-.-.-b')")  # hours of one C call
"""


@pytest.mark.slow
def test_a_worker_dies_with_its_killed_supervisor() -> None:
    import subprocess
    import sys
    import time

    proc = subprocess.Popen([sys.executable, "-c", SUPERVISOR], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        worker_pid = int(proc.stdout.readline())
        time.sleep(0.5)  # the long step is running in the worker
        proc.kill()
        proc.wait(10)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                os.kill(worker_pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        else:
            os.kill(worker_pid, signal.SIGKILL)
            pytest.fail("the worker outlived its supervisor")
    finally:
        if proc.poll() is None:
            proc.kill()


def test_the_inline_watchdog_abandons_a_step_stuck_in_one_c_call() -> None:
    engine = alc.Engine(executor=InlineExecutor(watchdog=True, grace=0.2))
    out = engine.start(
        code="return ('a'):rep(400):find('.-.-.-b')", limits={"max_step_seconds": 0.1}
    )
    assert isinstance(out, alc.Failed) and out.error_code == "timeout"
    assert "inline executor stopped waiting" in out.error
    again = engine.start(code="return alc.llm('still')")  # the engine serves on
    assert isinstance(again, alc.NeedsResponse)
    engine.close()


def test_an_abandoned_step_can_no_longer_reach_its_host() -> None:
    from alc.engine.executor._base import _RevocableHost

    calls: list[str] = []

    class Host:
        def log(self, level: str, message: str) -> None:
            calls.append(message)

    guarded = _RevocableHost(Host())  # type: ignore[arg-type]
    guarded.log("info", "before")
    guarded.revoked = True
    with pytest.raises(RuntimeError, match="abandoned"):
        guarded.log("info", "after")
    assert calls == ["before"]


def test_inline_hands_out_calling_thread_vms_unless_the_watchdog_is_asked_for() -> None:
    from alc.engine.executor._base import _CallingThreadVM, _WatchedVM

    registry = alc.Engine().registry
    out = registry.start(code="alc.llm('x')")
    host = registry._hot[out.session_id]._host
    watched = InlineExecutor(watchdog=True)
    assert watched.watchdog and isinstance(
        watched.create_vm(host, alc.Limits(), Seeds(1, 2)), _WatchedVM
    )
    plain = InlineExecutor()
    assert not plain.watchdog
    assert isinstance(plain.create_vm(host, alc.Limits(), Seeds(1, 2)), _CallingThreadVM)


def test_make_executor_names_and_the_env_var_choose_the_watchdog(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ALC_EXECUTOR", raising=False)
    assert not _watchdog(make_executor("inline"))
    assert not _watchdog(make_executor(None))  # alc.Engine()'s default: the calling thread
    assert _watchdog(make_executor("inline-watchdog"))
    # an operator's ALC_EXECUTOR=inline (the CLI, alc mcp, alc serve) keeps the on-time guarantee
    monkeypatch.setenv("ALC_EXECUTOR", "inline")
    assert _watchdog(make_executor(None, default="process"))
    assert not _watchdog(make_executor("inline"))


def _watchdog(executor: object) -> bool:
    assert isinstance(executor, InlineExecutor)
    executor.close()
    return executor.watchdog


def test_the_calling_thread_steps_its_vm_and_serves_its_host_calls() -> None:
    import threading

    seen: list[int] = []
    engine = alc.Engine()
    out = engine.start(code="local a = alc.llm('q'); alc.log('info', a); return a")
    session = engine.registry._hot[out.session_id]
    log = session._host.log

    def spying_log(level: str, message: str) -> None:
        seen.append(threading.get_ident())
        log(level, message)

    session._host.log = spying_log  # type: ignore[method-assign]
    assert isinstance(engine.feed(out.session_id, "a"), alc.Completed)
    assert seen == [threading.get_ident()]
    engine.close()


def test_the_calling_thread_step_stops_a_lua_loop_at_its_deadline() -> None:
    engine = alc.Engine()
    out = engine.start(code="while true do end", limits={"max_step_seconds": 0.2})
    assert isinstance(out, alc.Failed) and out.error_code == "timeout"
    assert "wall-time limit" in out.error
    engine.close()


def test_the_calling_thread_step_fails_after_one_long_c_call_returns() -> None:
    engine = alc.Engine()
    out = engine.start(
        code="return ('a'):rep(300):find('.-.-.-b')", limits={"max_step_seconds": 0.05}
    )
    assert isinstance(out, alc.Failed) and out.error_code == "timeout"
    assert "inside one long C call" in out.error
    engine.close()


def test_the_calling_thread_step_stops_when_its_request_is_cancelled() -> None:
    """The step may run 60 s; the cancel comes after 0.2 s and the count hook stops the loop
    (the join is a hang guard: without the hook's check the step would run on)."""
    import threading

    from alc.engine.executor import StepControl

    engine = alc.Engine()
    out = engine.start(
        code="local a = alc.llm('q'); while true do end", limits={"max_step_seconds": 60}
    )
    control = StepControl()
    done: list[alc.Outcome] = []
    feeding = threading.Thread(
        target=lambda: done.append(
            engine.registry.feed(out.session_id, {None: alc.Response(text="a")}, control)
        ),
        daemon=True,
    )
    feeding.start()
    threading.Timer(0.2, control.cancel).start()
    feeding.join(30)
    assert not feeding.is_alive(), "the cancelled step ran on"
    fed = done[0]
    assert isinstance(fed, alc.Cancelled)
    # a control cancelled before the step: the step does not run at all
    control = StepControl()
    control.cancel()
    again = engine.registry.start(code="while true do end", control=control)
    assert isinstance(again, alc.Cancelled)
    engine.close()


def test_watchdog_threads_serve_every_job_while_one_is_stuck_and_refuse_after_shutdown() -> None:
    import threading

    from alc.engine.executor._base import _StepThreads

    threads = _StepThreads()
    release = threading.Event()
    stuck = threads.submit(release.wait, 30)  # a step that does not return yet
    done = [threads.submit(lambda k: k * 2, k) for k in range(50)]
    assert [f.result(timeout=10) for f in done] == [k * 2 for k in range(50)]
    assert not stuck.done()
    threads.shutdown()
    with pytest.raises(RuntimeError, match="closed"):
        threads.submit(lambda: None)
    release.set()
    assert stuck.result(timeout=10) is True
