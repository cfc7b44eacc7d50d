"""The tool contract written once: schema, validation and handler from one registration; the
loop explained once; batch answers in either shape, with ``query_id`` or ``id``."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from _mcp_helpers import error, ok
from mcp import Client

import alc
from alc._requests import CancelRequest, FeedRequest, Request, ThoughtRequest
from alc.engine.accounting import estimate_tokens
from alc.mcp import TOOLS, AlcMCP
from alc.mcp._server import TABLE
from alc.mcp._tools import INSTRUCTIONS, ToolTable, Wording

pytestmark = pytest.mark.anyio

BATCH = "return alc.llm_batch({'x?', 'y?'})"


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[Client]:
    async with Client(AlcMCP(alc.AsyncEngine(tmp_path / "s.db")).server) as c:
        yield c


async def call(client: Client, tool: str, **arguments: Any) -> Any:
    return await client.call_tool(tool, arguments)


async def test_listed_schemas_are_derived_from_the_request_models(client: Client) -> None:
    listed = {t.name: t for t in (await client.list_tools()).tools}
    assert list(listed) == [spec.name for spec in TOOLS]
    for spec in TOOLS:
        assert issubclass(spec.model, Request) and callable(spec.handler)
        assert listed[spec.name].input_schema == spec.model.input_schema(), spec.name
        assert listed[spec.name].annotations is not None
        assert listed[spec.name].annotations.read_only_hint is spec.read_only
    # a field's description in the model is what the client reads
    props = listed["alc_cancel"].input_schema["properties"]
    assert (
        props["session_id"]["description"] == CancelRequest.model_fields["session_id"].description
    )
    assert "title" not in json.dumps(listed["alc_continue"].input_schema)


def test_a_tool_is_one_model_and_one_handler_and_aliases_are_one_line() -> None:
    table = ToolTable()

    @table.tool("t_cancel", CancelRequest, Wording("T", "Cancel."))
    async def handler(self: Any, args: CancelRequest, ctx: Any) -> Any:
        return args

    alias = table.alias("other_cancel", "t_cancel")
    original = table.get("t_cancel")
    assert original is not None and alias.handler is original.handler is handler
    assert alias.model is CancelRequest and alias.input_schema == original.input_schema
    assert [s.name for s in table] == ["t_cancel", "other_cancel"]
    with pytest.raises(ValueError, match="registered twice"):
        table.alias("t_cancel", "other_cancel")
    with pytest.raises(KeyError):
        table.alias("x", "no_such_tool")


def test_the_loop_is_explained_once_and_descriptions_stay_small() -> None:
    assert "needs_response" in INSTRUCTIONS and "alc_continue" in INSTRUCTIONS
    # the loop's wording ("completed" ends it, batches answered by query_id) is not repeated
    for spec in TOOLS:
        assert '"completed"' not in spec.description, spec.name
        assert "remaining" not in spec.description, spec.name
    listed = sum(
        len(json.dumps(s.listing().model_dump(mode="json", by_alias=True, exclude_none=True)))
        for s in TOOLS
    )
    # chars/4 (alc's estimator): 5236 before the rewrite, ~4070 after; a budget keeps it there
    assert estimate_tokens(listed + len(INSTRUCTIONS)) < 4400


def test_thinking_schema_is_the_reference_and_parsing_stays_lenient() -> None:
    schema = ThoughtRequest.input_schema()
    assert schema["required"] == ["thought", "nextThoughtNeeded", "thoughtNumber", "totalThoughts"]
    assert schema["properties"]["totalThoughts"] == {
        "type": "integer",
        "description": "Estimated total thoughts needed (numeric value, e.g., 5, 10)",
        "minimum": 1,
    }
    given = {"thought": "t", "thought_number": "2", "nextThoughtNeeded": "false", "extra": 1}
    assert ThoughtRequest.parse(given, "sequentialthinking").arguments() == given


async def test_batch_answers_as_an_object_or_with_id(client: Client) -> None:
    sid = ok(await call(client, "alc_run", code=BATCH))["session_id"]
    reply = ok(await call(client, "alc_continue", session_id=sid, responses={"q-0": "X"}))
    assert reply["status"] == "accepted" and reply["remaining"] == 1
    reply = ok(
        await call(
            client, "alc_continue", session_id=sid, responses=[{"id": "q-1", "response": "Y"}]
        )
    )
    assert reply["status"] == "completed" and reply["result"] == ["X", "Y"]


async def test_batch_item_with_usage_and_query_id(client: Client) -> None:
    sid = ok(await call(client, "alc_run", code=BATCH))["session_id"]
    items = [
        {"query_id": "q-0", "response": "X", "usage": {"prompt_tokens": 3, "response_tokens": 1}},
        {"query_id": "q-1", "response": "Y"},
    ]
    reply = ok(await call(client, "alc_continue", session_id=sid, responses=items))
    assert reply["status"] == "completed" and reply["result"] == ["X", "Y"]


@pytest.mark.parametrize(
    ("responses", "words"),
    [
        ([{"query_id": "q-0", "id": "q-0", "response": "X"}], "both query_id and id"),
        ([{"query_id": "q-0"}], "response"),
        ([{"query_id": "q-0", "response": "X", "text": "Y"}], "text"),
        (["X"], "responses[0]"),
        ([{"query_id": "nope", "response": "X"}], "is not a query id"),
        ([{"query_id": "q-0", "response": 5}], "must be text"),
        ("X", "responses must"),
    ],
)
async def test_malformed_batches_are_invalid_input(
    client: Client, responses: Any, words: str
) -> None:
    sid = ok(await call(client, "alc_run", code=BATCH))["session_id"]
    data = error(
        await call(client, "alc_continue", session_id=sid, responses=responses), "invalid_input"
    )
    assert words in data["error"]
    # nothing was fed: the session still waits for both answers
    assert ok(await call(client, "alc_status", session_id=sid))["state"] == "paused"


async def test_unknown_tool_and_unknown_argument_are_invalid_input(client: Client) -> None:
    data = error(await call(client, "alc_nope"), "invalid_input")
    assert "alc_nope" in data["error"]
    data = error(await call(client, "alc_cancel", session_id="s-" + "0" * 32, x=1), "invalid_input")
    assert "x" in data["error"] and "alc_cancel" in data["error"]


def test_feed_request_model_keeps_the_answers_as_given() -> None:
    args = FeedRequest.parse({"session_id": "s-1", "responses": {"q-0": "a"}}, "alc_continue")
    assert args.responses == {"q-0": "a"}
    assert {"session_id"} == set(FeedRequest.input_schema()["required"])
    assert TABLE.get("alc_continue") is not None
