"""``alc_cards`` over the real MCP server process (``python -m alc.mcp``, stdio, SDK client)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from _cards_server import mcp_server
from mcp import Client
from mcp_types import CallToolResult

pytestmark = pytest.mark.anyio

SEED = """
alc.card.create({pkg = {name = "cot"}, card_id = "cot_a", scenario = {name = "gsm8k"},
  stats = {pass_rate = 0.9}})
alc.card.create({pkg = {name = "cot"}, card_id = "cot_b", stats = {pass_rate = 0.3},
  metadata = {prior_card_id = "cot_a", prior_relation = "sweep_variant"}})
alc.card.write_samples("cot_a", {{case = "x", passed = true}, {case = "y", passed = false}})
return "ok"
"""


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def reply(result: CallToolResult, error: str | None = None) -> dict[str, Any]:
    assert result.is_error is (error is not None), result.content
    data = json.loads(result.content[0].text)  # type: ignore[union-attr]
    assert data == result.structured_content
    if error is not None:
        assert data["error_code"] == error and data["status"] == "error"
    return dict(data)


async def test_alc_cards_actions_over_stdio(tmp_path: Path) -> None:
    params = mcp_server(tmp_path)
    async with Client(params, read_timeout_seconds=60) as c:
        tools = {t.name: t for t in (await c.list_tools()).tools}
        assert "find" in (tools["alc_cards"].description or "")
        assert reply(await c.call_tool("alc_run", {"code": SEED}))["result"] == "ok"

        async def cards(**arguments: Any) -> CallToolResult:
            return await c.call_tool("alc_cards", arguments)

        listed = reply(await cards(action="list", pkg="cot"))["cards"]
        assert {x["card_id"] for x in listed} == {"cot_a", "cot_b"}
        found = reply(await cards(action="find", where='{"stats": {"pass_rate": {"gte": 0.5}}}'))[
            "cards"
        ]
        assert [x["card_id"] for x in found] == ["cot_a"]
        ordered = reply(await cards(action="find", order_by=["stats.pass_rate"]))["cards"]
        assert [x["card_id"] for x in ordered] == ["cot_b", "cot_a"]
        got = reply(await cards(action="get", card_id="cot_a"))
        assert got["samples"] == 2 and got["card"]["scenario"] == {"name": "gsm8k"}
        rows = reply(await cards(action="samples", card_id="cot_a", where={"passed": False}))
        assert rows["samples"] == [{"case": "y", "passed": False}]
        tree = reply(await cards(action="lineage", card_id="cot_b", depth=5))
        assert [n["depth"] for n in tree["nodes"]] == [0, -1]
        alias = reply(await cards(action="alias_set", name="best", card_id="cot_a", note="n"))
        assert alias["alias"]["note"] == "n"
        assert [a["name"] for a in reply(await cards(action="alias_list"))["aliases"]] == ["best"]
        by_alias = reply(await cards(action="get_by_alias", name="best"))
        assert by_alias["card"]["card_id"] == "cot_a"
        merged = reply(await cards(action="append", card_id="cot_a", fields={"review": "ok"}))
        assert merged["card"]["review"] == "ok"

        reply(await cards(action="get", card_id="nope"), "card_not_found")
        reply(await cards(action="get_by_alias", name="nope"), "card_not_found")
        reply(await cards(action="lineage", card_id="nope"), "card_not_found")
        reply(
            await cards(action="append", card_id="cot_a", fields={"review": "x"}), "card_immutable"
        )
        reply(await cards(action="explode"), "invalid_input")
        reply(await cards(action="find", where="{nope"), "invalid_input")
        reply(await cards(action="list", bogus=1), "invalid_input")
