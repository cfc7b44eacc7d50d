"""``sequentialthinking`` on the SDK's low-level path: a real ``python -m alc.mcp`` driven by the
SDK's client lists the same tool and gives the same replies and coded errors as the MCPServer
tool layer (``AlcMCP.call``) gives in process."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from _mcp_helpers import error, ok, wire
from mcp import Client, StdioServerParameters
from mcp.server.mcpserver import Context
from mcp_types import CallToolResult

import alc
from alc.mcp import AlcMCP
from alc.mcp._tools import TABLE

pytestmark = pytest.mark.anyio

MISSING = "s-" + "0" * 32


def thought(n: int, **extra: Any) -> dict[str, Any]:
    """Thought ``n`` of 4 (more needed), with ``extra`` arguments added or overriding."""
    return (
        dict(thought=f"thought {n}", thoughtNumber=n, totalThoughts=4, nextThoughtNeeded=True)
        | extra
    )


SCRIPT: list[tuple[dict[str, Any], str | None]] = [
    (thought(1, colour="red"), None),  # an unknown argument: a warning
    (thought(2, isRevision="true", revisesThought="1"), None),  # strings for a revision
    (thought(3, branchFromThought=1, branchId="alt"), None),
    (thought(4, branchId="alt", needs_more_thoughts=True), None),
    (thought(9, revisesThought=12), None),  # a bad reference: warnings, no error
    ({"thoughtNumber": 1}, "invalid_input"),  # no thought
    (thought(0), "invalid_input"),
    ({"thought": "x", "isRevision": "perhaps"}, "invalid_input"),
    ({"thought": "x", "session_id": "not a label!"}, "invalid_input"),
    ({"thought": "x", "task": 7}, "invalid_input"),
    (thought(2, session_id=MISSING), "session_not_found"),
    (thought(5, session_id="review"), None),  # a labelled chain starts, with a note
    (thought(6, nextThoughtNeeded=False), None),  # the default chain completes
    (thought(7), None),  # it ended: a new chain, with a note
]


def numbered(replies: list[Any]) -> list[Any]:
    """``replies`` with each session id replaced by its rank of first appearance (s-1, ...)."""
    ids: dict[str, str] = {}
    text = re.sub(
        r"s-[0-9a-f]{32}", lambda m: ids.setdefault(m[0], f"s-{len(ids) + 1}"), json.dumps(replies)
    )
    return list(json.loads(text))


def checked(result: CallToolResult, code: str | None) -> dict[str, Any]:
    if code is None:
        return ok(result)
    return error(result, code)


async def test_the_low_level_tool_matches_the_tool_layer(tmp_path: Path) -> None:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "alc.mcp", "--store", str(tmp_path / "wire.db")],
        env={**os.environ, "ALC_HOME": str(tmp_path / "home")},
        cwd=str(tmp_path),
    )
    async with Client(params, read_timeout_seconds=60) as client:
        listed = {t.name: t for t in (await client.list_tools()).tools}
        over_the_wire = [
            checked(await client.call_tool("sequentialthinking", args), code)
            for args, code in SCRIPT
        ]
        # a session of inline code named by session_id: fed through the engine's executor
        sid = ok(await client.call_tool("alc_run", {"code": "return alc.llm('q')"}))["session_id"]
        fed = ok(await client.call_tool("sequentialthinking", thought(1, session_id=sid)))
    spec = TABLE.get("sequentialthinking")
    assert spec is not None
    assert listed["sequentialthinking"].model_dump() == spec.listing().model_dump()

    app = AlcMCP(alc.AsyncEngine(tmp_path / "layer.db"))
    context = Context(mcp_server=app.server)
    through_the_layer = [
        checked(await app.call("sequentialthinking", args, context), code) for args, code in SCRIPT
    ]
    assert numbered(over_the_wire) == numbered(through_the_layer)
    assert over_the_wire[0]["warnings"] == ["unknown argument 'colour' ignored"]
    assert over_the_wire[3]["branch_tree"]["branches"] == [
        {"branchId": "alt", "from": 1, "thoughts": [3, 4]}
    ]
    assert over_the_wire[-2]["status"] == "completed"
    assert over_the_wire[-1]["session_id"] not in {r.get("session_id") for r in over_the_wire[:-1]}
    assert fed["status"] == "completed" and fed["session_id"] == sid


async def test_an_internal_error_is_a_coded_tool_error(tmp_path: Path) -> None:
    """A bug under the low-level path still comes back as ``internal_error``, never raised."""
    app = AlcMCP(alc.AsyncEngine(tmp_path / "s.db"))

    async def broken(*args: Any, **kwargs: Any) -> dict[str, Any]:
        raise RuntimeError("boom")

    app.chains.athink = broken  # type: ignore[method-assign]
    data = wire(await app.think(thought(1)))  # type: ignore[arg-type]
    assert data["error_code"] == "internal_error" and "boom" in data["error"]


def test_only_a_local_server_steps_chains_in_process(tmp_path: Path) -> None:
    """``alc mcp`` (reads files: one local client) steps chains in process; ``alc serve``'s
    remote clients keep theirs on the engine's executor, unless told otherwise."""
    engine = alc.AsyncEngine(tmp_path / "s.db")
    assert AlcMCP(engine).chains._local is not None
    assert AlcMCP(engine, read_files=False).chains._local is None
    assert AlcMCP(engine, read_files=False, thoughts_in_process=True).chains._local is not None
