"""Issue 24, fair scheduling (process executor): no session's step waits behind another's.

The bound these tests prove (docs/operations.md, "Scheduling"): while M long steps run, each of
N quick calls (start + feed of a one-question session) is answered in less than half a long
step. Long steps last 20 s (a pure-Lua loop stopped by its 20 s step limit) and a quick call
must finish within 10 s: on a loaded 2-core machine a quick call takes well under a second, and
a scheduler that makes it wait behind a long step takes 20 s. This is a correctness bound (no
waiting behind), not a performance measurement.

Also here: the tenant shares (``rate_limited`` with ``retry_after``), the fair queue at the cap,
the pool growing and shrinking, the hostile-heap neighbour, and VMs of ended sessions freed.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _isolation import clean_env, executor_of

import alc
from alc.engine.errors import InvalidInput, RateLimited
from alc.engine.executor import Hold, StepControl
from alc.engine.executor._base import _StepThreads
from alc.engine.executor._pool import Scheduler, SchedulerConfig
from alc.engine.executor.process import ProcessExecutor
from alc.engine.tenancy import tenant_scope

LONG_SECONDS = 20.0
QUICK_BOUND = LONG_SECONDS / 2
LONG = "while true do end"  # ends with timeout at its step limit
QUICK = "return alc.llm('q') .. '!'"


def long_step(
    engine: alc.Engine, seconds: float, out: list[Any], tenant: str | None = None
) -> threading.Thread:
    """Start a step of ``seconds`` on a thread; its outcome is appended to ``out``."""

    def run() -> None:
        with tenant_scope(tenant) if tenant is not None else contextlib.nullcontext():
            out.append(engine.start(code=LONG, limits={"max_step_seconds": seconds}))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def wait_busy(executor: ProcessExecutor, n: int) -> None:
    """Until ``n`` workers are leased (the long steps run)."""
    end = time.monotonic() + 60
    while executor.statistics().busy < n:
        assert time.monotonic() < end, executor.statistics()
        time.sleep(0.05)


def quick_call(engine: alc.Engine) -> float:
    began = time.monotonic()
    first = engine.start(code=QUICK)
    assert isinstance(first, alc.NeedsResponse), first
    done = engine.feed(first.session_id, "a")
    assert isinstance(done, alc.Completed) and done.result == "a!", done
    return time.monotonic() - began


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[alc.Engine]:
    engine = alc.Engine(tmp_path / "s.db", executor=ProcessExecutor())
    yield engine
    engine.close()


# ----------------------------------------------------------------------------- no waiting behind


@pytest.mark.slow
def test_quick_sessions_are_not_held_behind_long_steps(engine: alc.Engine) -> None:
    """N = 8 quick calls beside M = 2 long steps: each is answered within the bound, and
    sessions paused on a worker that a long step holds are rebuilt elsewhere, not waited for."""
    paused = [engine.start(code=QUICK) for _ in range(3)]  # hot on the pool's first worker
    outcomes: list[Any] = []
    longs = [long_step(engine, LONG_SECONDS, outcomes) for _ in range(2)]
    wait_busy(executor_of(engine), 2)
    times = [quick_call(engine) for _ in range(8)]
    for first in paused:  # their worker may be running a long step: replayed elsewhere
        began = time.monotonic()
        done = engine.feed(first.session_id, "b")
        times.append(time.monotonic() - began)
        assert isinstance(done, alc.Completed) and done.result == "b!", done
    assert max(times) < QUICK_BOUND, times
    assert outcomes == []  # the long steps still ran while every quick call was answered
    for thread in longs:
        thread.join(LONG_SECONDS + 30)
    assert [o.error_code for o in outcomes] == ["timeout", "timeout"], outcomes


def test_a_paused_session_on_a_busy_worker_is_rebuilt_elsewhere(tmp_path: Path) -> None:
    """A hot session whose only worker runs another session's step is replayed on a second
    worker at once (its answer does not wait for the step)."""
    engine = alc.Engine(tmp_path / "s.db", executor=ProcessExecutor(workers=2))
    try:
        first = engine.start(code=QUICK)
        restored = engine.registry.statistics().restored
        outcomes: list[Any] = []
        thread = long_step(engine, 4.0, outcomes)
        wait_busy(executor_of(engine), 1)
        done = engine.feed(first.session_id, "x")
        assert outcomes == []  # the long step still runs: the feed did not wait for it
        assert isinstance(done, alc.Completed) and done.result == "x!", done
        assert engine.registry.statistics().restored == restored + 1
        thread.join(30)
        assert outcomes[0].error_code == "timeout"
    finally:
        engine.close()


# ----------------------------------------------------------------------------- tenant shares


def test_a_tenant_past_its_concurrent_share_is_rate_limited(tmp_path: Path) -> None:
    engine = alc.Engine(tmp_path / "s.db", executor=ProcessExecutor(workers=4, tenant_steps=1))
    try:
        outcomes: list[Any] = []
        thread = long_step(engine, 3.0, outcomes, tenant="a")
        wait_busy(executor_of(engine), 1)
        with tenant_scope("a"), pytest.raises(RateLimited) as refused:
            engine.start(code="return 1")
        wire = refused.value.to_wire()
        assert wire["error_code"] == "rate_limited" and wire["retry_after"] > 0
        assert wire["next_step"] == "retry"
        with tenant_scope("b"):  # the neighbour is served at once
            out = engine.start(code="return 42")
        assert isinstance(out, alc.Completed) and out.result == 42
        thread.join(30)
        with tenant_scope("a"):  # its share is back once its step ended
            assert engine.start(code="return 7").result == 7  # type: ignore[union-attr]
        # nothing of the refused request was applied
        with tenant_scope("a"):
            assert len(engine.sessions(list(alc.SessionState))) == 2
    finally:
        engine.close()


def test_a_tenant_past_its_step_seconds_is_rate_limited(tmp_path: Path) -> None:
    executor = ProcessExecutor(workers=2, tenant_step_seconds=1.0)
    engine = alc.Engine(tmp_path / "s.db", executor=executor)
    try:
        with tenant_scope("a"):
            burnt = engine.start(code=LONG, limits={"max_step_seconds": 1.2})
            assert isinstance(burnt, alc.Failed) and burnt.error_code == "timeout"
            with pytest.raises(RateLimited) as refused:
                engine.start(code="return 1")
        assert 1.0 < refused.value.retry_after <= 60.0
        assert "worker time" in refused.value.message
        with tenant_scope("b"):
            assert engine.start(code="return 2").result == 2  # type: ignore[union-attr]
        assert engine.start(code="return 3").result == 3  # type: ignore[union-attr]  # no tenant
    finally:
        engine.close()


# ------------------------------------------------------------------ the queue and the pool


class _FakeWorker:
    def __init__(self) -> None:
        self.alive = True
        self.holder: Hold | None = None
        self.vms = 0
        self.free_since = 0.0


def test_the_queue_at_the_cap_is_round_robin_between_tenants() -> None:
    """One worker, held; tenant a queues three requests, then b one: b is served second."""
    scheduler = Scheduler(
        SchedulerConfig(max_workers=1, tenant_steps=0), _FakeWorker, lambda w: None
    )
    first = Hold(None)
    scheduler.take(first, lambda w: True)
    order: list[str] = []
    holds: list[Hold] = []

    def request(name: str, tenant: str) -> None:
        hold = Hold(tenant)
        holds.append(hold)
        scheduler.take(hold, lambda w: True)
        order.append(name)
        time.sleep(0.05)
        hold.end()

    threads = []
    for name, tenant in [("a1", "a"), ("a2", "a"), ("a3", "a"), ("b1", "b")]:
        threads.append(threading.Thread(target=request, args=(name, tenant)))
        threads[-1].start()
        while sum(len(q) for q in scheduler._queues.values()) < len(threads):
            time.sleep(0.01)
    first.end()
    for thread in threads:
        thread.join(10)
    assert order == ["a1", "b1", "a2", "a3"]


def test_a_request_queued_past_the_wait_is_rate_limited() -> None:
    config = SchedulerConfig(max_workers=1, queue_seconds=0.2)
    scheduler = Scheduler(config, _FakeWorker, lambda w: None)
    scheduler.take(Hold(None), lambda w: True)
    with pytest.raises(RateLimited) as refused:
        scheduler.take(Hold("t"), lambda w: True)
    assert "stayed busy" in refused.value.message
    assert scheduler._queues == {}  # the abandoned request left the queue


def test_the_pool_grows_on_demand_and_shrinks_when_idle(tmp_path: Path) -> None:
    executor = ProcessExecutor(workers=3, min_workers=0, idle_seconds=0.5)
    engine = alc.Engine(tmp_path / "s.db", executor=executor)
    try:
        assert executor.statistics().workers == 0  # nothing started before it is needed
        outcomes: list[Any] = []
        longs = [long_step(engine, 1.5, outcomes) for _ in range(2)]
        wait_busy(executor, 2)
        assert engine.start(code="return 1").result == 1  # type: ignore[union-attr]
        assert executor.statistics().started == 3
        for thread in longs:
            thread.join(30)
        end = time.monotonic() + 30
        while executor.statistics().workers > 0:
            assert time.monotonic() < end, executor.statistics()
            time.sleep(0.1)
        assert engine.start(code="return 2").result == 2  # type: ignore[union-attr]
    finally:
        engine.close()


def test_scheduler_settings_are_checked() -> None:
    with pytest.raises(InvalidInput):
        SchedulerConfig.from_env({"ALC_WORKERS": "many"})
    with pytest.raises(InvalidInput):
        SchedulerConfig.from_env({"ALC_WORKER_IDLE_SECONDS": "nan"})
    with pytest.raises(InvalidInput):
        SchedulerConfig.from_env({"ALC_WORKERS": "0"})
    with pytest.raises(InvalidInput):
        SchedulerConfig(max_workers=2, min_workers=3)
    config = SchedulerConfig.from_env({"ALC_WORKERS": "6", "ALC_TENANT_STEP_SECONDS": "90"})
    assert (config.max_workers, config.tenant_steps, config.tenant_step_seconds) == (6, 3, 90.0)


# ----------------------------------------------------------------------------- memory


HOG = """
local keep = {}
pcall(function() while true do keep[#keep + 1] = string.rep('x', 65536) .. #keep end end)
return alc.llm('holding ' .. #keep)
"""
NEIGHBOUR = "local t = {} for i = 1, 2400 do t[i] = string.rep('y', 65536) .. i end return #t"


@pytest.mark.slow  # filling 768 MiB of Lua heap, twice (the replay): 10 to 20 s
@pytest.mark.parametrize("workers", [1, 4], ids=["evicted", "placed-apart"])
def test_a_hostile_heap_never_fails_a_neighbour(tmp_path: Path, workers: int) -> None:
    """A session raises its max_memory to the most the server allows, fills it (catching the
    failures) and pauses; a neighbour with default limits then allocates 200 MB in the same
    pool. With one worker the hog's paused VM is evicted (and later rebuilt by replay); with
    more, the neighbour is placed on a worker with room. Either way both complete."""
    executor = ProcessExecutor(workers=workers, worker_memory=1024**3)
    engine = alc.Engine(tmp_path / "s.db", executor=executor)
    try:
        hog = engine.start(code=HOG, limits={"max_memory": executor.max_session_memory})
        assert isinstance(hog, alc.NeedsResponse), hog
        out = engine.start(code=NEIGHBOUR)
        assert isinstance(out, alc.Completed) and out.result == 2400, out
        assert executor.statistics().lost == 0
        assert (executor.statistics().evicted > 0) == (workers == 1)
        done = engine.feed(hog.session_id, "ok")
        assert isinstance(done, alc.Completed) and done.result == "ok", done
    finally:
        engine.close()


def test_max_memory_over_the_server_maximum_is_invalid_input(tmp_path: Path) -> None:
    executor = ProcessExecutor(workers=1, max_session_memory=64 * 1024**2)
    engine = alc.Engine(tmp_path / "s.db", executor=executor)
    try:
        with pytest.raises(InvalidInput) as refused:
            engine.start(code="return 1", limits={"max_memory": 65 * 1024**2})
        assert "more than this server allows" in refused.value.message
        assert engine.sessions(list(alc.SessionState)) == []
        assert engine.start(code="return 1", limits={"max_memory": 64 * 1024**2}).result == 1  # type: ignore[union-attr]
    finally:
        engine.close()


def test_a_session_ended_in_its_first_step_frees_its_vm_at_once(engine: alc.Engine) -> None:
    executor = executor_of(engine)
    for _ in range(30):
        out = engine.start(code="local s = string.rep('z', 4 * 1024 * 1024) return #s")
        assert isinstance(out, alc.Completed) and out.result == 4 * 1024 * 1024
        assert executor.statistics().vms == 0  # without waiting for the garbage collector
    paused = engine.start(code=QUICK)
    assert executor.statistics().vms == 1
    engine.feed(paused.session_id, "a")
    assert executor.statistics().vms == 0


# ----------------------------------------------------------------------------- cancellation


HOST_LOOPS = {
    "os.clock": "while true do local _ = os.clock() end",
    "alc.log": "while true do alc.log('info', 'tick') end",
    "alc.state": "local i = 0 while true do i = i + 1 alc.state.set('k', i) end",
    "pcall": "while true do pcall(os.clock) pcall(alc.log, 'info', 'tick') end",
}


@pytest.mark.parametrize("executor", ["process", "inline", "inline-watchdog"])
@pytest.mark.parametrize("loop", sorted(HOST_LOOPS))
def test_cancel_stops_a_step_looping_on_host_calls(
    tmp_path: Path, executor: str, loop: str
) -> None:
    """The step's own limit is 60 s; the cancel comes once the loop runs (its first
    ``alc.progress``) and the request ends ``cancelled`` long before the limit. (Cancelling at
    once: a fast loop of counted reads would otherwise reach the per-step read bound first.)"""
    engine = alc.Engine(tmp_path / "s.db", executor=executor)
    try:
        looping = threading.Event()
        control = StepControl(on_progress=lambda _: looping.set())
        out: list[Any] = []

        def run() -> None:
            out.append(
                engine.registry.start(
                    code="alc.progress(0, 1, 'looping') " + HOST_LOOPS[loop],
                    limits={"max_step_seconds": 60},
                    control=control,
                )
            )

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        assert looping.wait(30), "the loop never started"  # a hang guard
        control.cancel()
        thread.join(30)
        assert not thread.is_alive(), "the cancelled step ran on"
        assert out[0].status == "cancelled", out
        threads = getattr(engine.registry.executor, "_pool", None)
        if isinstance(threads, _StepThreads):  # inline: the abandoned step itself stops too
            end = time.monotonic() + 20
            while threads._idle < threads._threads:
                assert time.monotonic() < end, "the abandoned step thread runs on"
                time.sleep(0.05)
    finally:
        engine.close()


# ----------------------------------------------------------------------------- through alc mcp


MCP_CLIENT = r"""
import json, os, sys, time, anyio
from mcp import Client, StdioServerParameters

LONG_SECONDS, N = float(sys.argv[1]), int(sys.argv[2])

def reply(result):
    return dict(result.structured_content)

async def main():
    params = StdioServerParameters(  # the server gets this environment (the SDK's default
        command=sys.executable, args=["-m", "alc", "mcp"], env=dict(os.environ)  # drops most)
    )
    async with Client(params, read_timeout_seconds=120) as c:
        longs, quick = [], []
        async def long():
            longs.append(reply(await c.call_tool(
                "alc_run", {"code": "while true do end",
                            "limits": {"max_step_seconds": LONG_SECONDS}})))
        async with anyio.create_task_group() as tg:
            tg.start_soon(long)
            tg.start_soon(long)
            await anyio.sleep(2.0)  # both long steps are running
            for i in range(N):
                began = time.monotonic()
                first = reply(await c.call_tool("alc_run", {"code": "return alc.llm('q') .. '!'"}))
                done = reply(await c.call_tool(
                    "alc_continue", {"session_id": first["session_id"], "response": str(i)}))
                quick.append((time.monotonic() - began, done.get("result")))
        print(json.dumps({"longs": longs, "quick": quick}))

anyio.run(main)
"""


@pytest.mark.slow
def test_quick_calls_through_alc_mcp_are_not_held_behind_long_steps(tmp_path: Path) -> None:
    """Through a real ``alc mcp`` (default settings) and the MCP SDK client: two long steps
    run as concurrent tool calls while six quick sessions start and finish, each in under
    the bound."""
    import json
    import subprocess

    script = tmp_path / "client.py"
    script.write_text(MCP_CLIENT)
    proc = subprocess.run(
        [sys.executable, str(script), str(LONG_SECONDS), "6"],
        capture_output=True,
        text=True,
        env=clean_env(tmp_path / "home"),
        cwd=str(tmp_path),
        timeout=LONG_SECONDS * 4 + 60,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    assert [q[1] for q in data["quick"]] == [f"{i}!" for i in range(6)]
    assert max(q[0] for q in data["quick"]) < QUICK_BOUND, data["quick"]
    assert [r["error_code"] for r in data["longs"]] == ["timeout", "timeout"], data["longs"]
