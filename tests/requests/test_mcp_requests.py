"""Bad request inputs through the MCP server: tool errors with the exact ``error_code``;
unexpected exceptions are ``internal_error``; undecodable JSON-RPC lines on stdio get a JSON-RPC
error reply and the server goes on serving; ``alc mcp --store PATH`` works."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import mcp_types as types
import pytest
from mcp import Client

import alc
from alc.mcp import AlcMCP

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def mcp_server(tmp_path: Path) -> AlcMCP:
    return AlcMCP(alc.AsyncEngine(tmp_path / "s.db"))


@pytest.fixture
async def client(mcp_server: AlcMCP) -> AsyncIterator[Client]:
    async with Client(mcp_server.server) as c:
        yield c


async def tool_error(
    client: Client, tool: str, error_code: str, **arguments: Any
) -> dict[str, Any]:
    result: types.CallToolResult = await client.call_tool(tool, arguments)
    assert result.is_error, result.content
    text = result.content[0].text  # type: ignore[union-attr]
    data = json.loads(text)
    assert data["error_code"] == error_code, data
    assert data["status"] == "error" and "Traceback" not in data["error"]
    return dict(data)


async def paused(client: Client) -> str:
    result = await client.call_tool("alc_run", {"code": "return alc.llm('q')"})
    assert not result.is_error
    assert result.structured_content is not None
    return str(result.structured_content["session_id"])


async def test_class_6_inputs_are_coded_tool_errors(client: Client) -> None:
    sid = await paused(client)
    await tool_error(
        client, "alc_continue", "invalid_input", session_id=sid, query_id="q-²", response="a"
    )
    await tool_error(
        client,
        "alc_continue",
        "invalid_input",
        session_id=sid,
        responses=[{"query_id": "q-²", "response": "a"}],
    )
    deep: Any = []
    for _ in range(205):  # past the 200-level bound (the in-process SDK client stops near 255)
        deep = [deep]
    await tool_error(client, "alc_run", "invalid_input", code="return 1", ctx={"x": deep})
    await tool_error(client, "alc_run", "invalid_input", code="return 1", ctx={"x": 10**400})
    await tool_error(
        client, "alc_run", "invalid_input", code="return 1", ctx={"budget": {"max_tokens": 10**30}}
    )
    for usage in ({"prompt_tokens": -5}, {"prompt_tokens": "abc"}, {"prompt_tokens": 10**400}):
        await tool_error(
            client, "alc_continue", "invalid_input", session_id=sid, response="a", usage=usage
        )
    await tool_error(client, "alc_status", "invalid_input", session_id=sid + "\n")
    await tool_error(client, "alc_continue", "invalid_input", session_id=sid + "\n", response="a")
    ok = await client.call_tool("alc_continue", {"session_id": sid, "response": "fine"})
    assert not ok.is_error and ok.structured_content is not None
    assert ok.structured_content["result"] == "fine"  # nothing bad was applied


async def test_unexpected_exception_is_internal_error(
    mcp_server: AlcMCP, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("kaput")

    monkeypatch.delenv("ALC_TRACEBACK", raising=False)
    monkeypatch.setattr(mcp_server.engine, "start", boom)
    data = await tool_error(client, "alc_run", "internal_error", code="return 1")
    assert "RuntimeError" in data["error"] and "kaput" in data["error"]
    # an AlcError keeps its code, and the server goes on serving
    await tool_error(client, "alc_status", "session_not_found", session_id="s-" + "0" * 32)


# ---------------------------------------------------------------- raw JSON-RPC over stdio

INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "raw", "version": "1"},
    },
}
INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}


def _raw_session(
    command: list[str], lines: list[str], tmp_path: Path, replies: int
) -> list[dict[str, Any]]:
    """Send ``lines`` after the handshake, wait for ``replies`` replies (besides the
    handshake's), then close stdin; return the replies in order of arrival."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ALC_")}
    environ["ALC_HOME"] = str(tmp_path / "home")
    proc = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environ,
        cwd=tmp_path,
    )
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    text = "\n".join([json.dumps(INIT), json.dumps(INITIALIZED), *lines]) + "\n"
    proc.stdin.write(text.encode("utf-8", "surrogatepass"))
    proc.stdin.flush()
    got: list[dict[str, Any]] = []
    done = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            got.append(json.loads(line))
            if len(got) == replies + 1:
                break
        done.set()

    threading.Thread(target=read, daemon=True).start()
    done.wait(timeout=60)
    proc.stdin.close()
    try:
        proc.wait(timeout=30)
    finally:
        proc.kill()
    err = proc.stderr.read().decode("utf-8", "replace")
    assert "Traceback" not in err, err
    assert len(got) == replies + 1, (got, err)
    assert got[0]["id"] == 1 and "result" in got[0]
    return got[1:]


def _by_id(replies: list[dict[str, Any]]) -> dict[Any, dict[str, Any]]:
    return {r.get("id"): r for r in replies}


def _call(rid: int, tool: str, arguments: str) -> str:
    return (
        '{"jsonrpc":"2.0","id":'
        + str(rid)
        + ',"method":"tools/call","params":{"name":"'
        + tool
        + '","arguments":'
        + arguments
        + "}}"
    )


def test_undecodable_lines_get_json_rpc_errors_and_the_server_goes_on(tmp_path: Path) -> None:
    lines = [
        _call(2, "alc_run", '{"code":"return \'\\ud800\'"}'),  # a lone surrogate escape
        "this is not json",
        '{"jsonrpc":"2.0","id":4,"method":"tools/call","params":',  # cut short
        '[{"jsonrpc":"2.0","id":5,"method":"tools/list"}]',  # a batch: not in MCP
        '{"jsonrpc":"2.0","id":"\\udc00x","method":"tools/list","params":{"a":"\\ud800"}}',
        '{"jsonrpc":"2.0","method":"notifications/progress","params":{"a":"\\ud800"}}',
        _call(9, "alc_run", '{"code":"return 1","ctx":{"x":' + "[" * 10_000 + "]" * 10_000 + "}}"),
        '{"jsonrpc":"2.0","id":6,"method":"tools/list"}',
        _call(7, "alc_run", '{"code":"return 40 + 2"}'),
    ]
    command = [sys.executable, "-m", "alc.mcp", "--store", "s.db"]
    replies = _raw_session(command, lines, tmp_path, replies=8)
    got = _by_id(replies)
    assert got[2]["error"]["code"] == -32600  # the id was recoverable
    nulls = [r for r in replies if r.get("id") is None]
    assert [r["error"]["code"] for r in nulls] == [-32700, -32700, -32600, -32600, -32700]
    assert "tools" in got[6]["result"]
    result = got[7]["result"]
    assert not result.get("isError") and json.loads(result["content"][0]["text"])["result"] == 42
    assert len(replies) == 8  # and nothing for the undecodable notification


def test_surrogate_reaching_a_tool_is_invalid_input(tmp_path: Path) -> None:
    # a lone *trailing* surrogate escape passes the SDK's decoder: the engine refuses it
    replies = _raw_session(
        [sys.executable, "-m", "alc.mcp", "--store", "s.db"],
        [_call(2, "alc_run", '{"code":"return \'\\udc00\'"}'), _call(3, "alc_info", "{}")],
        tmp_path,
        replies=2,
    )
    got = _by_id(replies)
    if "error" in got[2]:
        assert got[2]["error"]["code"] == -32600
    else:
        assert got[2]["result"]["isError"]
        assert json.loads(got[2]["result"]["content"][0]["text"])["error_code"] == "invalid_input"
    assert "result" in got[3]


@pytest.mark.parametrize("where", ["after", "before"])
def test_alc_mcp_store_option(tmp_path: Path, where: str) -> None:
    store = tmp_path / "elsewhere" / "my.db"
    args = ["mcp", "--store", str(store)] if where == "after" else ["--store", str(store), "mcp"]
    replies = _raw_session(
        [sys.executable, "-m", "alc", *args],
        [_call(2, "alc_run", '{"code":"return alc.llm(\'q\')"}')],
        tmp_path,
        replies=1,
    )
    reply = json.loads(replies[0]["result"]["content"][0]["text"])
    assert reply["status"] == "needs_response"
    assert store.is_file()
    snapshot = alc.Engine(store).status(reply["session_id"])
    assert isinstance(snapshot, alc.SessionSnapshot) and snapshot.state == "paused"
    assert not (tmp_path / "home" / "sessions.db").exists()
