"""The MCP server in-process, driven by the official SDK client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import mcp_types as types
import pytest
from _mcp_helpers import error, ok
from mcp import Client

import alc
from alc.mcp import TOOLS, AlcMCP

pytestmark = pytest.mark.anyio

EXPECTED_TOOLS = {
    "alc_run": ({"code", "code_file", "ctx", "limits", "project_root", "host_mode"}, set()),
    "alc_advice": (
        {"strategy", "task", "opts", "limits", "project_root", "host_mode"},
        {"strategy"},
    ),
    "alc_continue": (
        {"session_id", "response", "query_id", "responses", "usage"},
        {"session_id"},
    ),
    "alc_status": (
        {
            "session_id",
            "include_conversation",
            "include_history",
            "conversation_limit",
            "pending_filter",
        },
        set(),
    ),
    "alc_cancel": ({"session_id"}, {"session_id"}),
    "alc_strategies": ({"name"}, set()),
    "alc_info": (set(), set()),
    "alc_cards": (
        {
            "action",
            "card_id",
            "pkg",
            "where",
            "order_by",
            "limit",
            "offset",
            "name",
            "note",
            "fields",
            "direction",
            "depth",
            "include_stats",
            "relation_filter",
        },
        {"action"},
    ),
    "alc_pkg": (
        {
            "action",
            "source",
            "ref",
            "name",
            "scope",
            "update",
            "include_builtin",
            "path",
            "directory",
            "target",
            "answers",
            "project_root",
        },
        {"action"},
    ),
    "alc_eval_run": (
        {"scenario", "strategies", "baseline", "n", "seed", "strategy_opts", "run_id"},
        set(),
    ),
    "alc_eval_compare": ({"run_a", "run_b", "eval_id_a", "eval_id_b"}, set()),
    "alc_eval_history": ({"run_id", "strategy", "cases", "limit"}, set()),
    "sequentialthinking": (
        {
            "thought",
            "nextThoughtNeeded",
            "thoughtNumber",
            "totalThoughts",
            "isRevision",
            "revisesThought",
            "branchFromThought",
            "branchId",
            "needsMoreThoughts",
            "session_id",
        },
        {"thought", "nextThoughtNeeded", "thoughtNumber", "totalThoughts"},
    ),
}

BATCH = "local r = alc.llm_batch({'a?', 'b?', 'c?'}) return table.concat(r, ',')"


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[Client]:
    server = AlcMCP(alc.AsyncEngine(tmp_path / "s.db")).server
    async with Client(server) as c:
        yield c


async def call(client: Client, tool: str, **arguments: Any) -> types.CallToolResult:
    return await client.call_tool(tool, arguments)


async def test_tools_exact_set_and_schemas(client: Client) -> None:
    listed = (await client.list_tools()).tools
    assert [t.name for t in listed] == [spec.name for spec in TOOLS]
    assert {t.name for t in listed} == set(EXPECTED_TOOLS)
    for tool in listed:
        props, required = EXPECTED_TOOLS[tool.name]
        schema = tool.input_schema
        assert schema["type"] == "object"
        assert set(schema.get("properties", {})) == props, tool.name
        assert set(schema.get("required", [])) == required, tool.name
        assert tool.description
    thinking = next(t for t in listed if t.name == "sequentialthinking")
    props = thinking.input_schema["properties"]
    assert props["thoughtNumber"] == {
        "type": "integer",
        "description": "Current thought number (numeric value, e.g., 1, 2, 3)",
        "minimum": 1,
    }
    assert props["nextThoughtNeeded"]["type"] == "boolean"
    run = next(t for t in listed if t.name == "alc_run")
    assert "alc_continue" in (run.description or "")  # the description teaches the loop


async def test_run_continue_completed(client: Client) -> None:
    reply = ok(await call(client, "alc_run", code="return {sum = alc.llm('2+2?')}", ctx={"k": 1}))
    assert reply["status"] == "needs_response" and reply["prompt"] == "2+2?"
    assert reply["query_id"] == "q-0"
    reply = ok(await call(client, "alc_continue", session_id=reply["session_id"], response="4"))
    assert reply["status"] == "completed" and reply["result"] == {"sum": "4"}
    assert set(reply) == {"result", "session_id", "stats", "status"}


async def test_code_file(client: Client, tmp_path: Path) -> None:
    path = tmp_path / "s.lua"
    path.write_text("return ctx.x * 2")
    reply = ok(await call(client, "alc_run", code_file=str(path), ctx={"x": 21}))
    assert reply["result"] == 42


async def test_advice_strategy(client: Client) -> None:
    reply = ok(await call(client, "alc_advice", strategy="cot", task="Why?", opts={"depth": 1}))
    assert reply["status"] == "needs_response" and "Why?" in reply["prompt"]
    reply = ok(await call(client, "alc_continue", session_id=reply["session_id"], response="s1"))
    reply = ok(
        await call(client, "alc_continue", session_id=reply["session_id"], response="Answer: 7")
    )
    assert reply["status"] == "completed" and reply["result"]["final"] == "7"


async def test_batch_and_partial_feed(client: Client) -> None:
    reply = ok(await call(client, "alc_run", code=BATCH))
    sid = reply["session_id"]
    assert [q["id"] for q in reply["queries"]] == ["q-0", "q-1", "q-2"]
    reply = ok(await call(client, "alc_continue", session_id=sid, query_id="q-1", response="B"))
    assert reply == {"remaining": 2, "session_id": sid, "status": "accepted"}
    status = ok(await call(client, "alc_status", session_id=sid))
    assert status["answered"] == ["q-1"] and len(status["pending"]) == 3
    reply = ok(
        await call(
            client,
            "alc_continue",
            session_id=sid,
            responses=[
                {"query_id": "q-0", "response": "A"},
                {
                    "query_id": "q-2",
                    "response": "C",
                    "usage": {"prompt_tokens": 3, "response_tokens": 1},
                },
            ],
        )
    )
    assert reply["status"] == "completed" and reply["result"] == "A,B,C"


async def test_every_request_error_code(client: Client) -> None:
    missing = "s-" + "0" * 32
    error(await call(client, "alc_run"), "invalid_input")
    error(await call(client, "alc_run", code="x", code_file="y"), "invalid_input")
    error(await call(client, "alc_run", code="return (", ctx={}), "invalid_input")
    error(await call(client, "alc_run", code_file="/nonexistent/file.lua"), "invalid_input")
    error(await call(client, "alc_continue", session_id="nope", response="x"), "invalid_input")
    error(await call(client, "alc_continue", session_id=missing), "invalid_input")
    error(await call(client, "alc_status", session_id=missing, extra=1), "invalid_input")
    error(await call(client, "alc_continue", session_id=missing, response="x"), "session_not_found")
    error(await call(client, "alc_status", session_id=missing), "session_not_found")
    error(await call(client, "alc_cancel", session_id=missing), "session_not_found")
    error(
        await call(client, "alc_advice", strategy="no_such_strategy", task="t"),
        "strategy_not_found",
    )
    error(await call(client, "alc_strategies", name="no_such_strategy"), "strategy_not_found")
    sid = ok(await call(client, "alc_run", code=BATCH))["session_id"]
    error(await call(client, "alc_continue", session_id=sid, response="x"), "ambiguous_query")
    error(
        await call(client, "alc_continue", session_id=sid, query_id="q-9", response="x"),
        "unknown_query",
    )
    ok(await call(client, "alc_continue", session_id=sid, query_id="q-0", response="x"))
    error(
        await call(client, "alc_continue", session_id=sid, query_id="q-0", response="y"),
        "already_answered",
    )
    ok(await call(client, "alc_cancel", session_id=sid))
    data = error(
        await call(client, "alc_continue", session_id=sid, query_id="q-1", response="y"),
        "session_finished",
    )
    assert data["session_id"] == sid
    error(await call(client, "alc_cancel", session_id=sid), "session_finished")
    error(await call(client, "sequentialthinking", thought=""), "invalid_input")


async def test_failed_session_is_a_normal_result(client: Client) -> None:
    reply = ok(await call(client, "alc_run", code="error('boom')"))
    assert reply["status"] == "error" and reply["error_code"] == "lua_error"
    reply = ok(
        await call(
            client,
            "alc_run",
            code="alc.llm('a') return alc.llm('b')",
            ctx={"budget": {"max_llm_calls": 1}},
        )
    )
    reply = ok(await call(client, "alc_continue", session_id=reply["session_id"], response="x"))
    assert reply["status"] == "error" and reply["error_code"] == "budget_exceeded"


async def test_status_list_and_cancel(client: Client) -> None:
    a = ok(await call(client, "alc_run", code="return alc.llm('a')"))["session_id"]
    b = ok(await call(client, "alc_run", code="return alc.llm('b')"))["session_id"]
    listed = ok(await call(client, "alc_status"))
    assert {s["session_id"] for s in listed["sessions"]} == {a, b}
    cancelled = ok(await call(client, "alc_cancel", session_id=a))
    assert cancelled["status"] == "cancelled"
    listed = ok(await call(client, "alc_status"))
    assert {s["session_id"] for s in listed["sessions"]} == {b}
    status = ok(await call(client, "alc_status", session_id=a))
    assert status["state"] == "cancelled" and status["outcome"]["status"] == "cancelled"


async def test_print_goes_to_the_session_log(client: Client) -> None:
    code = "print('to stdout?') io.write('w') io.stderr:write('e') return alc.llm('q')"
    reply = ok(await call(client, "alc_run", code=code))
    status = ok(await call(client, "alc_status", session_id=reply["session_id"]))
    assert any("to stdout?" in line["message"] for line in status["log"])


async def test_strategies_info_and_resources(client: Client) -> None:
    catalogue = ok(await call(client, "alc_strategies"))
    names = {s["name"] for s in catalogue["strategies"]}
    assert {"cot", "thinking"} <= names
    one = ok(await call(client, "alc_strategies", name="thinking"))
    assert one["name"] == "thinking" and one["params"]
    info = ok(await call(client, "alc_info"))
    assert info["sampling"] is False and info["lua_version"].startswith("Lua")
    assert info["store"].endswith("s.db")
    templates = (await client.list_resource_templates()).resource_templates
    assert [t.uri_template for t in templates] == ["alc://strategies/{name}"]
    source = await client.read_resource("alc://strategies/thinking")
    assert "M.meta" in source.contents[0].text  # type: ignore[union-attr]
    types_path = Path(info["types"])
    if types_path.is_file():
        types_res = await client.read_resource("alc://types/alc.d.lua")
        assert types_res.contents[0].text == types_path.read_text()  # type: ignore[union-attr]
    else:
        resources = (await client.list_resources()).resources
        assert [str(r.uri) for r in resources] == ["alc://types/alc.d.lua"]


async def test_sequentialthinking_tool(client: Client) -> None:
    reply = ok(
        await call(
            client,
            "sequentialthinking",
            thought="one",
            thoughtNumber=1,
            totalThoughts=2,
            nextThoughtNeeded=True,
        )
    )
    sid = reply["session_id"]
    assert reply["status"] == "thinking" and reply["thoughtHistoryLength"] == 1
    reply = ok(
        await call(
            client,
            "sequentialthinking",
            thought="two",
            thought_number="2",
            total_thoughts="2",
            next_thought_needed="false",
        )
    )
    assert reply["session_id"] == sid and reply["status"] == "completed"
    status = ok(await call(client, "alc_status", session_id=sid))
    assert status["state"] == "completed" and status["strategy"] == "thinking"
    assert status["outcome"]["result"]["counts"]["thoughts"] == 2


async def _answer(
    context: Any, params: types.CreateMessageRequestParams
) -> types.CreateMessageResult:
    text = params.messages[0].content.text  # type: ignore[union-attr]
    suffix = f"|{params.system_prompt}" if params.system_prompt else ""
    return types.CreateMessageResult(
        role="assistant",
        content=types.TextContent(type="text", text=f"<{text}>{suffix}"),
        model="test",
    )


SAMPLED = (
    "local a = alc.llm('first', {system = 'sys'}) "
    "local b = alc.llm_batch({'x', 'y'}) "
    "return {a = a, b = b, c = alc.llm('last')}"
)


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_sampling_mode(tmp_path: Path, mode: str) -> None:
    server = AlcMCP(alc.AsyncEngine(tmp_path / "s.db"), sampling=True).server
    async with Client(server, sampling_callback=_answer, mode=mode) as c:
        reply = ok(await c.call_tool("alc_run", {"code": SAMPLED}))
        assert reply["status"] == "completed"
        assert reply["result"] == {"a": "<first>|sys", "b": ["<x>", "<y>"], "c": "<last>"}
        info = ok(await c.call_tool("alc_info", {}))
        assert info["sampling"] is True
        # a session started by hand is finished through sampling by alc_continue
        start = ok(
            await c.call_tool("alc_advice", {"strategy": "cot", "task": "t", "opts": {"depth": 2}})
        )
        assert start["status"] == "completed" and start["result"]["chain"][0].startswith("<")
    async with Client(server, mode=mode) as c:  # no sampling capability: the plain loop
        reply = ok(await c.call_tool("alc_run", {"code": SAMPLED}))
        assert reply["status"] == "needs_response"


async def test_sampling_is_off_by_default(tmp_path: Path) -> None:
    server = AlcMCP(alc.AsyncEngine(tmp_path / "s.db")).server
    async with Client(server, sampling_callback=_answer) as c:
        reply = ok(await c.call_tool("alc_run", {"code": SAMPLED}))
        assert reply["status"] == "needs_response"


@pytest.mark.slow
async def test_a_slow_step_does_not_block_other_sessions(client: Client) -> None:
    import anyio

    slow_done = anyio.Event()
    order: list[str] = []

    async def slow() -> None:
        # a few hundred million instructions: seconds of Lua on a worker thread
        code = "local x = 0 for i = 1, 3e8 do x = x + i end return alc.llm(tostring(x))"
        reply = ok(await call(client, "alc_run", code=code))
        assert reply["status"] == "needs_response"
        order.append("slow")
        slow_done.set()

    async with anyio.create_task_group() as tg:
        tg.start_soon(slow)
        await anyio.sleep(0.05)  # let the slow step start first
        for n in range(5):  # several quick sessions complete while it still runs
            reply = ok(await call(client, "alc_run", code=f"return {n} + 1"))
            assert reply["status"] == "completed" and reply["result"] == n + 1
            order.append(f"quick-{n}")
        await slow_done.wait()
    assert order[-1] == "slow"


async def test_alc_run_and_alc_advice_take_limits(client: Client) -> None:
    run = ok(
        await call(client, "alc_run", code="while true do end", limits={"max_instructions": 1})
    )
    assert run["error_code"] == "timeout"
    bad = error(
        await call(client, "alc_advice", strategy="cot", task="x", limits="tight"), "invalid_input"
    )
    assert "limits must be an object" in bad["error"]
    big = error(
        await call(client, "alc_run", code="return 1", limits={"max_memory": 10}), "invalid_input"
    )
    assert "max_memory" in big["error"]
