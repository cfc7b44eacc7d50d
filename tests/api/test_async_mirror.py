"""The async mirror in use: drive on from a pause with on_pause, services, errors as raised;
MCP renders next_step as the tool to call."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import pytest
from mcp import Client

import alc
from alc.mcp import AlcMCP
from alc.responders import ResponderError

pytestmark = pytest.mark.anyio


async def test_async_drive_on_a_paused_session_with_on_pause(tmp_path: Path) -> None:
    engine = alc.AsyncEngine(tmp_path / "s.db")
    out = await engine.start("return alc.llm('a') .. alc.llm_batch({'b', 'c'})[2]")
    seen: list[str] = []
    done = await engine.drive(
        session_id=out.session_id,
        llm=lambda q: q.prompt.upper(),
        on_pause=lambda o: seen.append(o.status),
    )
    assert isinstance(done, alc.Completed) and done.result == "AC"
    assert seen == ["needs_response", "completed"]
    assert [s.session_id for s in await engine.sessions(["completed"])] == [out.session_id]
    assert (await engine.transcript(out.session_id)).entries[0]["answer"] == "A"
    assert await engine.delete(out.session_id) and await engine.purge() == 0
    await engine.close()


async def test_async_drive_raises_what_the_llm_raises_and_leaves_the_pause() -> None:
    engine = alc.AsyncEngine()

    async def llm(query: alc.Query) -> str:
        if query.prompt == "b":
            raise ResponderError("no", responder="test")
        await anyio.sleep(0)
        return "x"

    out = await engine.start("return alc.llm_batch({'a', 'b'})")
    with pytest.raises(ResponderError):  # not an exception group
        await engine.drive(session_id=out.session_id, llm=llm)
    assert len((await engine.pending(out.session_id)).queries) == 2  # nothing was applied


async def test_async_services(tmp_path: Path) -> None:
    engine = alc.AsyncEngine(tmp_path / "s.db")
    names = [s.name for s in await engine.strategies()]
    assert "cot" in names and (await engine.describe("cot")).name == "cot"
    assert "function" in (await engine.strategy_source("cot"))
    assert (await engine.info())["store"] == str(tmp_path / "s.db")
    with pytest.raises(alc.StrategyNotFound):
        await engine.strategy_source("no_such_strategy")
    assert alc.AsyncEngine.default_store_path() == alc.Engine.default_store_path()


def test_task_is_merged_into_ctx() -> None:
    engine = alc.Engine()
    out = engine.start("return alc.llm(ctx.task .. ctx.n)", ctx={"task": "old", "n": 1}, task="new")
    assert isinstance(out, alc.NeedsResponse) and out.prompt == "new1"
    with pytest.raises(alc.InvalidInput, match="not both"):
        engine.drive("return 1", session_id=out.session_id, llm=lambda q: "x")


async def test_mcp_words_next_step_as_the_tool_to_call(tmp_path: Path) -> None:
    missing = "s-" + "0" * 32
    async with Client(AlcMCP(alc.AsyncEngine(tmp_path / "s.db")).server) as client:
        result = await client.call_tool("alc_status", {"session_id": missing})
        data = json.loads(result.content[0].text)  # type: ignore[union-attr]
        assert data["next_step"] == "list_sessions"
        assert data["hint"] == "call alc_status without session_id (the active sessions)"
        result = await client.call_tool("alc_advice", {"strategy": "no_such_strategy"})
        data = json.loads(result.content[0].text)  # type: ignore[union-attr]
        assert data["next_step"] == "list_strategies" and data["hint"] == "call alc_strategies"


async def test_engines_are_context_managers_that_close(tmp_path: Path) -> None:
    with alc.Engine(tmp_path / "a.db", executor="process") as engine:
        assert engine.start("return 1").result == 1  # type: ignore[union-attr]
    with pytest.raises(RuntimeError, match="closed"):  # its worker pool was shut down
        engine.start("return 2")
    async with alc.AsyncEngine(tmp_path / "b.db") as async_engine:
        assert (await async_engine.start("return 3")).result == 3  # type: ignore[union-attr]
