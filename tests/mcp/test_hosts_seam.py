"""The seam under the MCP host features: ``AsyncEngine``'s ``on_progress`` and task cancellation,
and the server in-process (the SDK's direct client), on both executors.

The stdio tests (``test_hosts_stdio.py``) cross the process boundary; these pin down what the
API layer promises the server: progress reports reach the request's callback from the step's
thread and never during replay, and cancelling the awaiting task stops the step and journals the
session ``cancelled`` while other sessions go on.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from _mcp_helpers import error, ok
from mcp import Client

import alc
from alc.engine.executor.process import ProcessExecutor
from alc.mcp import AlcMCP

pytestmark = pytest.mark.anyio

PROGRESS = "for i = 1, 3 do alc.progress(i, 3, 'p' .. i) end local a = alc.llm('q') return a"
SPIN = "local a = alc.llm('go') while true do end"


@pytest.fixture(params=["inline", "process"])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[alc.AsyncEngine]:
    engine = alc.AsyncEngine(tmp_path / "s.db", executor=request.param)
    yield engine
    await engine.close()


async def test_on_progress_hears_live_steps_only(engine: alc.AsyncEngine, tmp_path: Path) -> None:
    heard: list[tuple[dict[str, Any], bool]] = []
    loop_thread = threading.get_ident()

    def on_progress(report: dict[str, Any]) -> None:
        heard.append((report, threading.get_ident() != loop_thread))

    out = await engine.start(PROGRESS, on_progress=on_progress)
    assert [r for r, _ in heard] == [{"message": f"p{i}", "step": i, "total": 3} for i in (1, 2, 3)]
    assert all(off_loop for _, off_loop in heard)  # reported from the step's thread

    # a new engine on the same store replays the first step to feed the session: no reports
    heard.clear()
    again = alc.AsyncEngine(tmp_path / "s.db", executor="inline")
    try:
        done = await again.feed(out.session_id, "A", on_progress=on_progress)
    finally:
        await again.close()
    assert done.status == "completed" and heard == []


async def test_a_failing_progress_callback_does_not_fail_the_strategy(
    engine: alc.AsyncEngine,
) -> None:
    def broken(report: dict[str, Any]) -> None:
        raise RuntimeError("display gone")

    out = await engine.start("alc.progress(1, 1, 'x') return 'fine'", on_progress=broken)
    assert out.status == "completed" and out.result == "fine"  # type: ignore[union-attr]


async def test_cancelling_the_awaiting_task_cancels_the_session(engine: alc.AsyncEngine) -> None:
    paused = await engine.start("return alc.llm('other?')")
    spin = await engine.start(SPIN, limits={"max_step_seconds": 10})
    started = anyio.Event()

    async def feed() -> None:
        started.set()
        await engine.feed(spin.session_id, "go")
        raise AssertionError("the endless step returned")

    async with anyio.create_task_group() as tg:
        tg.start_soon(feed)
        await started.wait()
        await anyio.sleep(0.3)  # let the step get going (either way it must end cancelled)
        tg.cancel_scope.cancel()

    status = await engine.status(spin.session_id)
    assert isinstance(status, alc.SessionSnapshot)
    assert status.state == "cancelled" and status.outcome is not None
    assert status.outcome["status"] == "cancelled" and "stats" in status.outcome
    done = await engine.feed(paused.session_id, "still here")
    assert done.status == "completed" and done.result == "still here"  # type: ignore[union-attr]
    assert (await engine.start("return 1")).status == "completed"
    executor = engine.registry.executor
    if isinstance(executor, ProcessExecutor):  # the spinning worker was retired, not leaked
        stats = executor.statistics()
        assert stats.lost >= 1 and stats.workers <= 2, stats


async def test_server_in_process_progress_and_cancel(tmp_path: Path) -> None:
    server = AlcMCP(alc.AsyncEngine(tmp_path / "s.db")).server
    seen: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, total, message))

    async with Client(server) as c:
        reply = ok(await c.call_tool("alc_run", {"code": PROGRESS}, progress_callback=on_progress))
        assert reply["status"] == "needs_response"
        assert seen and seen[-1] == (3.0, 3.0, "p3")

        sid = ok(await c.call_tool("alc_run", {"code": SPIN}))["session_id"]
        with anyio.move_on_after(1.0):  # the caller gives up: the request is cancelled
            await c.call_tool("alc_continue", {"session_id": sid, "response": "go"})
        status = ok(await c.call_tool("alc_status", {"session_id": sid}))
        assert status["phase"] == "cancelled"
        assert ok(await c.call_tool("alc_run", {"code": "return 2"}))["result"] == 2
        # a request error inside a relayed call stays the request's own coded error
        bad = await c.call_tool("alc_run", {"code": 1}, progress_callback=on_progress)
        error(bad, "invalid_input")
