"""End to end: the real server process (`python -m alc.mcp`) over stdio, with the SDK's client."""

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

from alc.mcp import TOOLS

pytestmark = pytest.mark.anyio


@asynccontextmanager
async def server(tmp_path: Path, *extra: str) -> AsyncIterator[Client]:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "alc.mcp", "--store", str(tmp_path / "sessions.db"), *extra],
        env={**os.environ, "ALC_HOME": str(tmp_path / "home")},
        cwd=str(tmp_path),
    )
    async with Client(params, read_timeout_seconds=60) as client:
        yield client


async def call(client: Client, tool: str, **arguments: Any) -> Any:
    return await client.call_tool(tool, arguments)


async def test_list_run_continue_batch_partial(tmp_path: Path) -> None:
    async with server(tmp_path) as c:
        tools = (await c.list_tools()).tools
        assert [t.name for t in tools] == [t.name for t in TOOLS]
        for listed, spec in zip(tools, TOOLS, strict=True):
            assert listed.input_schema == spec.input_schema
        reply = ok(await call(c, "alc_run", code="return alc.llm('q1') .. alc.llm('q2')"))
        sid = reply["session_id"]
        reply = ok(await call(c, "alc_continue", session_id=sid, response="a"))
        assert reply["prompt"] == "q2" and reply["query_id"] == "q-1"
        reply = ok(await call(c, "alc_continue", session_id=sid, query_id="q-1", response="b"))
        assert reply["status"] == "completed" and reply["result"] == "ab"

        reply = ok(await call(c, "alc_run", code="return alc.llm_batch({'x', 'y'})"))
        sid = reply["session_id"]
        reply = ok(await call(c, "alc_continue", session_id=sid, query_id="q-1", response="Y"))
        assert reply["status"] == "accepted" and reply["remaining"] == 1
        reply = ok(
            await call(
                c, "alc_continue", session_id=sid, responses=[{"query_id": "q-0", "response": "X"}]
            )
        )
        assert reply["result"] == ["X", "Y"]

        error(
            await call(c, "alc_continue", session_id="s-" + "f" * 32, response="x"),
            "session_not_found",
        )
        error(await call(c, "alc_continue", session_id=sid, response="x"), "session_finished")
        error(await call(c, "alc_advice", strategy="nope"), "strategy_not_found")
        error(await call(c, "alc_run", code=1), "invalid_input")


async def test_print_does_not_corrupt_the_stream(tmp_path: Path) -> None:
    noisy = (
        'for i = 1, 200 do print(\'{"jsonrpc":"2.0","id":\' .. i .. \'}\') end '
        "io.write('partial line without newline') io.stderr:write('err\\n') "
        "local a = alc.llm('after noise') "
        "print(string.rep('x', 100000)) io.write('\\n\\n') "
        "return a"
    )
    async with server(tmp_path) as c:
        reply = ok(await call(c, "alc_run", code=noisy))
        assert reply["prompt"] == "after noise"
        reply = ok(await call(c, "alc_continue", session_id=reply["session_id"], response="ok"))
        assert reply["status"] == "completed" and reply["result"] == "ok"
        status = ok(await call(c, "alc_status", session_id=reply["session_id"]))
        assert status["log"]  # the prints went to the session log
        assert ok(await call(c, "alc_info"))["server"] == "alc"  # still talking


async def test_server_restart_between_calls(tmp_path: Path) -> None:
    async with server(tmp_path) as c:
        sid = ok(await call(c, "alc_advice", strategy="cot", task="T", opts={"depth": 2}))[
            "session_id"
        ]
        ok(await call(c, "alc_continue", session_id=sid, response="step one"))
        chain = ok(
            await call(
                c,
                "sequentialthinking",
                thought="before restart",
                thoughtNumber=1,
                totalThoughts=2,
                nextThoughtNeeded=True,
            )
        )
    async with server(tmp_path) as c:
        reply = ok(await call(c, "alc_continue", session_id=sid, response="step two"))
        assert "step one" in reply["prompt"] and "step two" in reply["prompt"]
        reply = ok(await call(c, "alc_continue", session_id=sid, response="Answer: 5"))
        assert reply["status"] == "completed" and reply["result"]["chain"] == [
            "step one",
            "step two",
        ]
        again = ok(
            await call(
                c,
                "sequentialthinking",
                thought="after restart",
                thoughtNumber="2",
                totalThoughts="2",
                nextThoughtNeeded="false",
            )
        )
        assert again["session_id"] == chain["session_id"]
        assert again["status"] == "completed" and again["thoughtHistoryLength"] == 2


@pytest.mark.slow
async def test_fifty_concurrent_sessions_interleaved(tmp_path: Path) -> None:
    code = (
        "local acc = {} for i = 1, 3 do acc[i] = alc.llm(ctx.name .. ' round ' .. i) end "
        "return table.concat(acc, '+')"
    )
    results: dict[str, Any] = {}
    async with server(tmp_path) as c:

        async def one(n: int) -> None:
            name = f"n{n}"
            reply = ok(await call(c, "alc_run", code=code, ctx={"name": name}))
            for i in range(1, 4):
                assert reply["prompt"] == f"{name} round {i}", reply
                await anyio.sleep((n * 7 % 5) / 1000)  # interleave differently per session
                reply = ok(
                    await call(
                        c, "alc_continue", session_id=reply["session_id"], response=f"{name}.{i}"
                    )
                )
            results[name] = reply

        async with anyio.create_task_group() as tg:
            for n in range(50):
                tg.start_soon(one, n)
        assert len(results) == 50
        for name, reply in results.items():
            assert reply["status"] == "completed"
            assert reply["result"] == f"{name}.1+{name}.2+{name}.3"
        listed = ok(await call(c, "alc_status"))
        assert listed["sessions"] == []


async def test_alc_mcp_cli_command_serves_over_stdio(tmp_path: Path) -> None:
    """The host configuration `{"command": "alc", "args": ["mcp"]}` works as documented."""
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "alc", "--store", str(tmp_path / "cli.db"), "mcp"],
        env={**os.environ, "ALC_HOME": str(tmp_path / "home")},
        cwd=str(tmp_path),
    )
    async with Client(params, read_timeout_seconds=60) as c:
        assert [t.name for t in (await c.list_tools()).tools] == [t.name for t in TOOLS]
        reply = ok(await call(c, "alc_run", code="return alc.llm('via cli')"))
        assert reply["prompt"] == "via cli"
        done = ok(await call(c, "alc_continue", session_id=reply["session_id"], response="ok"))
        assert done["status"] == "completed" and done["result"] == "ok"
