"""algocline host prompts against the real server process over stdio (issue 15, "Hosts").

``ctx`` / ``opts`` as JSON text, algocline's ``project_root`` and ``host_mode``, ``alc_status``'s
v2 fields, ``alc.progress`` as progress notifications, and ``notifications/cancelled`` stopping a
running step: each through the SDK's own client, as a host would send it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
from _mcp_helpers import error, ok
from mcp import Client, StdioServerParameters

import alc

pytestmark = pytest.mark.anyio

SPIN = (
    "local a = alc.llm('go') alc.progress(1, 1, 'spinning') local x = 0 while true do x = x + 1 end"
)
"""A strategy whose second step never ends on its own (within the default 120 s step limit)."""


@asynccontextmanager
async def server(tmp_path: Path, **env: str) -> AsyncIterator[Client]:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "alc.mcp", "--store", str(tmp_path / "sessions.db")],
        env={**os.environ, "ALC_HOME": str(tmp_path / "home"), **env},
        cwd=str(tmp_path),
    )
    async with Client(params, read_timeout_seconds=120) as client:
        yield client


async def call(client: Client, tool: str, **arguments: Any) -> Any:
    return await client.call_tool(tool, arguments)


async def test_ctx_as_json_text_project_root_and_host_mode(tmp_path: Path) -> None:
    async with server(tmp_path) as c:
        reply = ok(await call(c, "alc_run", code="return ctx.x * 21", ctx='{"x": 2}'))
        assert reply["status"] == "completed" and reply["result"] == 42
        reply = ok(await call(c, "alc_run", code="return ctx.x", ctx={"x": "object"}))
        assert reply["result"] == "object"  # an object is still taken as is
        reply = ok(await call(c, "alc_advice", strategy="cot", task="T", opts='{"depth": 1}'))
        assert reply["status"] == "needs_response" and "T" in reply["prompt"]

        bad = error(await call(c, "alc_run", code="return 1", ctx="[1, 2]"), "invalid_input")
        assert "ctx" in bad["error"] and "an array, not an object" in bad["error"]
        bad = error(await call(c, "alc_run", code="return 1", ctx="{not json"), "invalid_input")
        assert "ctx was sent as text that is not JSON" in bad["error"]
        bad = error(await call(c, "alc_advice", strategy="cot", opts='"x"'), "invalid_input")
        assert "opts" in bad["error"] and "a string, not an object" in bad["error"]

        # algocline's project_root and host_mode: accepted, checked for shape, not needed
        reply = ok(
            await call(
                c,
                "alc_run",
                code="return 'ran'",
                project_root=str(tmp_path),
                host_mode=True,
            )
        )
        assert reply["result"] == "ran"
        reply = ok(
            await call(
                c, "alc_advice", strategy="cot", task="T", project_root="/no/such", host_mode=False
            )
        )
        assert reply["status"] == "needs_response"
        bad = error(await call(c, "alc_run", code="return 1", host_mode="yes"), "invalid_input")
        assert "host_mode must be true or false" in bad["error"]
        bad = error(await call(c, "alc_run", code="return 1", project_root=3), "invalid_input")
        assert "project_root must be a folder path" in bad["error"]


async def test_status_v2_fields_and_conversation(tmp_path: Path) -> None:
    code = "return alc.llm('first question') .. alc.llm('second', {system = 'be brief'})"
    async with server(tmp_path) as c:
        sid = ok(await call(c, "alc_run", code=code))["session_id"]
        status = ok(await call(c, "alc_status", session_id=sid))
        assert status["phase"] == "awaiting_response" and status["state"] == "paused"
        assert status["last_activity_at"] == status["updated_at"] and status["idle_ms"] >= 0
        assert "conversation_history" not in status
        # 'first question' is 14 characters: 4 estimated tokens, nothing answered yet
        assert status["tokens"] == {
            "prompt_tokens": {"source": "estimated", "tokens": 4},
            "response_tokens": {"source": "estimated", "tokens": 0},
            "total_tokens": {"source": "estimated", "tokens": 4},
        }
        usage = {"prompt_tokens": 10, "response_tokens": 3}
        ok(await call(c, "alc_continue", session_id=sid, response="one", usage=usage))

        status = ok(await call(c, "alc_status", session_id=sid, include_conversation=True))
        assert status["tokens"]["prompt_tokens"] == {"source": "provided", "tokens": 10 + 4}
        assert status["tokens"]["response_tokens"] == {"source": "provided", "tokens": 3}
        assert status["conversation_total"] == 2
        assert status["conversation_history"] == [
            {"prompt": "first question", "query_id": "q-0", "response": "one", "system": None},
            {"prompt": "second", "query_id": "q-1", "response": None, "system": "be brief"},
        ]
        latest = ok(
            await call(c, "alc_status", session_id=sid, include_history=True, conversation_limit=1)
        )
        assert [e["query_id"] for e in latest["conversation_history"]] == ["q-1"]

        listing = ok(await call(c, "alc_status"))
        (row,) = listing["sessions"]
        assert row["session_id"] == sid and row["phase"] == "awaiting_response"
        assert row["last_activity_at"] == row["updated_at"]

        ok(await call(c, "alc_continue", session_id=sid, response="two"))
        done = ok(await call(c, "alc_status", session_id=sid))
        assert done["phase"] == "completed" and done["outcome"]["result"] == "onetwo"
        error(await call(c, "alc_status", session_id=sid, conversation_limit=-1), "invalid_input")


async def test_progress_reaches_the_client_as_notifications(tmp_path: Path) -> None:
    code = (
        "for i = 1, 3 do alc.progress(i, 3, 'step ' .. i) end "
        "local a = alc.llm('q') alc.progress(4, 4, 'after the answer') return a"
    )
    seen: list[tuple[float, float | None, str | None]] = []
    last = anyio.Event()

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, total, message))
        if message in ("step 3", "after the answer"):
            last.set()

    async with server(tmp_path) as c:
        reply = ok(await c.call_tool("alc_run", {"code": code}, progress_callback=on_progress))
        with anyio.fail_after(30):  # a hang guard: the callback runs in its own task
            await last.wait()
        # reports made faster than the wire takes them are coalesced; the last always arrives
        assert seen[-1] == (3.0, 3.0, "step 3")
        assert all(s in [(float(i), 3.0, f"step {i}") for i in (1, 2, 3)] for s in seen)
        assert [s[0] for s in seen] == sorted(s[0] for s in seen)

        last = anyio.Event()
        seen.clear()
        done = ok(
            await c.call_tool(
                "alc_continue",
                {"session_id": reply["session_id"], "response": "A"},
                progress_callback=on_progress,
            )
        )
        assert done["result"] == "A"
        with anyio.fail_after(30):
            await last.wait()
        assert seen == [(4.0, 4.0, "after the answer")]

        # without a progress token the same strategy runs and nothing is sent
        assert ok(await call(c, "alc_run", code=code))["status"] == "needs_response"
        assert ok(await call(c, "alc_status", session_id=reply["session_id"]))["progress"] == {
            "message": "after the answer",
            "step": 4,
            "total": 4,
        }


async def _cancel_spinning_step(c: Client, sid: str) -> None:
    """Send alc_continue into SPIN's endless step and cancel the request once it spins."""
    spinning = anyio.Event()

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        if message == "spinning":
            spinning.set()

    async def continue_call() -> None:
        arguments = {"session_id": sid, "response": "go on"}
        await c.call_tool("alc_continue", arguments, progress_callback=on_progress)
        raise AssertionError("the endless step replied")

    async with anyio.create_task_group() as tg:
        tg.start_soon(continue_call)
        with anyio.fail_after(60):  # a hang guard, not a timing assertion
            await spinning.wait()
        tg.cancel_scope.cancel()  # the SDK sends notifications/cancelled for the request


@pytest.mark.parametrize("executor", ["process", "inline"])
async def test_cancelled_request_cancels_the_step_and_the_session(
    tmp_path: Path, executor: str
) -> None:
    async with server(tmp_path, ALC_EXECUTOR=executor) as c:
        other = ok(await call(c, "alc_run", code="return alc.llm('other?')"))["session_id"]
        # the inline watchdog abandons the VM: its thread ends at this session's own step limit
        limits = {"max_step_seconds": 10}
        sid = ok(await call(c, "alc_run", code=SPIN, limits=limits))["session_id"]
        await _cancel_spinning_step(c, sid)

        with anyio.fail_after(60):
            while (status := ok(await call(c, "alc_status", session_id=sid)))["phase"] != (
                "cancelled"
            ):
                # the store shows the pause until the step's outcome is journaled
                assert status["phase"] == "awaiting_response", status
                await anyio.sleep(0.05)
        assert status["state"] == "cancelled" and status["outcome"]["status"] == "cancelled"
        gone = await call(c, "alc_continue", session_id=sid, response="x")
        gone = error(gone, "session_finished")
        assert "cancelled" in gone["error"]

        # the server goes on serving: a new session, and the one paused before the cancel
        assert ok(await call(c, "alc_run", code="return 6 * 7"))["result"] == 42
        done = ok(await call(c, "alc_continue", session_id=other, response="fine"))
        assert done["status"] == "completed" and done["result"] == "fine"

    # the journal says so too, for any later process
    engine = alc.Engine(tmp_path / "sessions.db")
    assert engine.status(sid).state == "cancelled"  # type: ignore[union-attr]
    assert [s.session_id for s in engine.sessions(["cancelled"])] == [sid]


def test_the_last_progress_report_precedes_the_reply_on_the_wire(tmp_path: Path) -> None:
    """Raw JSON-RPC lines to the real server: for every call, the last ``alc.progress`` report
    is on the wire before the tool's reply (a client drops progress for a finished request)."""
    import json
    import subprocess

    server_process = subprocess.Popen(
        [sys.executable, "-m", "alc.mcp", "--store", str(tmp_path / "sessions.db")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "ALC_HOME": str(tmp_path / "home")},
        cwd=str(tmp_path),
    )
    assert server_process.stdin is not None and server_process.stdout is not None
    stdin, stdout = server_process.stdin, server_process.stdout

    def send(message: dict[str, Any]) -> None:
        stdin.write(json.dumps(message) + "\n")
        stdin.flush()

    try:
        hello = {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t"}}
        send({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": hello})
        assert json.loads(stdout.readline())["id"] == 0
        send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        code = "for i = 1, 3 do alc.progress(i, 3, 'step ' .. i) end return 1"
        for n in range(1, 11):
            params = {"name": "alc_run", "arguments": {"code": code}, "_meta": {"progressToken": n}}
            send({"jsonrpc": "2.0", "id": n, "method": "tools/call", "params": params})
            seen: list[str] = []
            while (message := json.loads(stdout.readline())).get("id") != n:
                assert message["method"] == "notifications/progress", message
                assert message["params"]["progressToken"] == n
                seen.append(message["params"]["message"])
            assert seen[-1] == "step 3" and seen == sorted(seen), seen
            assert message["result"]["structuredContent"]["result"] == 1
    finally:
        stdin.close()
        server_process.wait(timeout=60)
