"""The eval tools through a real MCP client (in process): the host answers every pause itself
with alc_continue, then compares and reads the history."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

import alc
from alc.eval import builtin_scenario
from alc.mcp import AlcMCP

pytestmark = pytest.mark.anyio

CASES = {c.input: c.expected[0] for c in builtin_scenario("logic", 3, seed=0).cases}  # type: ignore[union-attr]


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[Client]:
    server = AlcMCP(alc.AsyncEngine(tmp_path / "s.db")).server
    async with Client(server) as c:
        yield c


async def call(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    result = await client.call_tool(tool, arguments)
    data = json.loads(result.content[0].text)  # type: ignore[union-attr]
    assert not result.is_error, data
    return dict(data)


def answer(prompt: str) -> str:
    """Right when asked directly; a wrong guess inside the step_back strategy."""
    return f"Answer: {CASES[prompt]}" if prompt in CASES else "Answer: Maybe"


async def test_host_driven_run_compare_and_history(client: Client) -> None:
    step = await call(client, "alc_eval_run", scenario="logic", strategies=["step_back"], n=3)
    assert step["status"] == "needs_response" and step["total"] == 6
    run_id, answered = step["run_id"], 0
    while step["status"] == "needs_response":
        reply = step["pending"]
        while reply["status"] == "needs_response":
            reply = await call(
                client,
                "alc_continue",
                session_id=reply["session_id"],
                response=answer(reply["prompt"]),
            )
            answered += 1
        assert reply["status"] == "completed"
        step = await call(client, "alc_eval_run", run_id=run_id)
    assert step["status"] == "complete" and answered == 3 + 3 * 3  # step_back: 3 calls a case
    assert step["strategies"]["direct"]["pass_rate"] == 1.0
    assert step["strategies"]["step_back"]["pass_rate"] == 0.0
    assert step["comparisons"]["step_back"]["verdict"].startswith("Too few cases")

    cmp = await call(client, "alc_eval_compare", run_a=run_id)
    assert cmp["comparisons"]["step_back"]["b"] == 3
    runs = await call(client, "alc_eval_history")
    assert runs["runs"][0]["run_id"] == run_id and runs["runs"][0]["status"] == "complete"
    hist = await call(client, "alc_eval_history", run_id=run_id, cases=True, strategy="direct")
    assert [c["passed"] for c in hist["cases"]] == [True, True, True]


async def test_eval_tool_errors_are_invalid_input(client: Client) -> None:
    result = await client.call_tool("alc_eval_run", {})
    assert result.is_error
    assert json.loads(result.content[0].text)["error_code"] == "invalid_input"  # type: ignore[union-attr]
    result = await client.call_tool("alc_eval_history", {"run_id": "ev-000000000000"})
    assert result.is_error and "No eval run" in result.content[0].text  # type: ignore[union-attr]
    result = await client.call_tool("alc_eval_run", {"scenario": "arith", "n": 0})
    assert result.is_error
