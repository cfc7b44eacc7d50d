"""Issue 13 end to end through the MCP stdio server (``alc mcp``, ALC_EXECUTOR unset, so the
process executor): a representative attack per class gets its coded reply and the server goes
on serving; the neighbour test feeds 50 sessions while attacks run.

``alc_run`` takes no ``limits`` argument, so the attacks here run under the default limits
(120 s per step, 2e9 instructions, 256 MiB): a freeze is bounded by the instruction limit or by
the attack's own length, not by a short step deadline.
"""

from __future__ import annotations

import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
from _isolation import (
    BATCH_REFS,
    DEEP_RESULT,
    GC_FINALIZER,
    GETENV_BYPASS,
    GSUB_REPLACED,
    LOOP,
    MATCH_ENUM_LONG,
    PAIRS_RESULT,
    PATTERN,
    SECRET,
    TOSTRING_BOOM,
    clean_env,
    store_bytes,
)
from mcp import Client, StdioServerParameters
from mcp_types import CallToolResult

pytestmark = [pytest.mark.slow, pytest.mark.anyio]

FILL_ONCE = """
local t, i = {}, 0
while true do
  i = i + 1
  local ok = pcall(function() t[#t + 1] = string.rep("x", 4096) .. i end)
  if not ok then break end
end
return #alc.llm("hi")
"""


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@asynccontextmanager
async def server(tmp_path: Path, env: dict[str, str] | None = None) -> AsyncIterator[Client]:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "alc", "mcp", "--store", str(tmp_path / "sessions.db")],
        env=clean_env(tmp_path / "home", env),  # no ALC_EXECUTOR: the server's default
        cwd=str(tmp_path),
    )
    async with Client(params, read_timeout_seconds=120) as client:
        yield client


def reply(result: CallToolResult) -> dict[str, Any]:
    """The JSON object of a tool reply (a failed session is a reply, not a tool error)."""
    assert result.structured_content is not None, result.content
    data = dict(result.structured_content)
    assert data.get("error_code") != "internal_error", data
    return data


async def run(c: Client, code: str, **args: Any) -> dict[str, Any]:
    return reply(await c.call_tool("alc_run", {"code": code, **args}))


async def feed(c: Client, sid: str, text: str) -> dict[str, Any]:
    return reply(await c.call_tool("alc_continue", {"session_id": sid, "response": text}))


@pytest.mark.parametrize(
    ("code", "status", "error_code"),
    [
        (GC_FINALIZER, "error", "lua_error"),  # 1 freeze
        (PAIRS_RESULT, "completed", None),  # 1 freeze
        (BATCH_REFS, "error", "memory_limit"),  # 4 limits
        (MATCH_ENUM_LONG, "error", "lua_error"),  # 4 limits
        (TOSTRING_BOOM, "error", "lua_error"),  # 5 escapes
        (GSUB_REPLACED, "completed", None),  # 5 escapes
        (DEEP_RESULT, "error", "lua_error"),  # 5 escapes
    ],
    ids=["gc", "pairs", "batch-refs", "match-enum", "tostring-boom", "gsub", "deep"],
)
async def test_attack(tmp_path: Path, code: str, status: str, error_code: str | None) -> None:
    async with server(tmp_path) as c:
        data = await run(c, code)
        assert data["status"] == status, data
        if error_code is not None:
            assert data["error_code"] == error_code, data
        assert reply(await c.call_tool("alc_info", {}))["server"] == "alc"


async def test_full_heap_then_answer(tmp_path: Path) -> None:  # 2 abort
    async with server(tmp_path) as c:
        data = await run(c, FILL_ONCE)
        assert data["status"] == "needs_response", data
        data = await feed(c, data["session_id"], "y" * 300)
        assert data == {**data, "status": "completed", "result": 300} or (
            data["status"] == "error" and data["error_code"] == "memory_limit"
        ), data
        again = await c.call_tool(
            "alc_continue", {"session_id": data["session_id"], "response": "y" * 300}
        )
        assert again.is_error and reply(again)["error_code"] == "session_finished"
        assert reply(await c.call_tool("alc_info", {}))["server"] == "alc"  # the server lives


async def test_getenv_bypass(tmp_path: Path) -> None:  # 3 sandbox
    async with server(tmp_path, {"OPENAI_API_KEY": SECRET}) as c:
        data = await run(c, GETENV_BYPASS)
        assert data["status"] == "needs_response" and data["prompt"] == "none", data
        done = await feed(c, data["session_id"], "fine")
        assert done["result"] == "fine"
    stored = store_bytes(tmp_path)
    assert data["session_id"].encode() in stored
    assert SECRET.encode() not in stored


THREE_STEPS = (
    "local acc = {} for i = 1, 3 do acc[i] = alc.llm(ctx.name .. ' round ' .. i) end "
    "return table.concat(acc, '+')"
)


@pytest.mark.parametrize("attack", [PATTERN, LOOP], ids=["pattern", "instruction-loop"])
async def test_neighbours_keep_being_served(tmp_path: Path, attack: str) -> None:
    """50 sessions of three steps are fed to completion while a freeze attack runs in another
    concurrent tool call; none is lost, and the server answers alc_info throughout."""
    results: dict[str, dict[str, Any]] = {}
    attack_reply: dict[str, Any] = {}
    info_while_attacking: list[float] = []
    async with server(tmp_path) as c:
        started = [await run(c, THREE_STEPS, ctx={"name": f"n{n}"}) for n in range(50)]
        attacking = anyio.Event()
        attack_done = anyio.Event()

        async def attacker() -> None:
            attacking.set()
            # the loop would run the default 120 s step: a 10 s step keeps the test short and
            # still spans every neighbour's three feeds
            limits = {"max_step_seconds": 10} if attack == LOOP else {}
            attack_reply.update(await run(c, attack, limits=limits))
            attack_done.set()

        async def prober() -> None:
            await attacking.wait()
            while not attack_done.is_set():
                t = time.monotonic()
                assert reply(await c.call_tool("alc_info", {}))["server"] == "alc"
                info_while_attacking.append(time.monotonic() - t)
                await anyio.sleep(0.05)

        async def one(n: int, first: dict[str, Any]) -> None:
            await attacking.wait()
            name, data = f"n{n}", first
            for i in range(1, 4):
                assert data["prompt"] == f"{name} round {i}", data
                data = await feed(c, data["session_id"], f"{name}.{i}")
            results[name] = data

        async with anyio.create_task_group() as tg:
            tg.start_soon(attacker)
            tg.start_soon(prober)
            for n, first in enumerate(started):
                tg.start_soon(one, n, first)
        assert len(results) == 50
        for name, data in results.items():
            assert data["status"] == "completed", data
            assert data["result"] == f"{name}.1+{name}.2+{name}.3"
        if attack == LOOP:
            assert attack_reply["error_code"] == "timeout", attack_reply
        else:  # one pattern call under the default 120 s step: it runs to its end
            assert attack_reply["status"] in ("completed", "error"), attack_reply
        assert info_while_attacking  # the server answered while the attack ran
        listed = reply(await c.call_tool("alc_status", {}))
        assert listed["sessions"] == []
