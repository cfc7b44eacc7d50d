"""The stdio transport of `python -m alc.mcp`: event-loop pipes, and the SDK's files otherwise.

Real server processes, raw JSON-RPC lines: over pipes the loop-served transport answers every
request (including a line far beyond asyncio's default 64 KiB line limit); with a regular file
as stdin the server falls back to the SDK's transport and answers just the same; stray writes to
fd 1 while serving go to stderr, not onto the wire.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "test", "version": "0"},
    },
}
INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}


def _call(request_id: int, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "tools/call",
        "params": {"name": tool, "arguments": arguments},
    }


def _lines(*messages: dict[str, Any]) -> bytes:
    return b"".join(json.dumps(m).encode() + b"\n" for m in messages)


def _server(tmp_path: Path, stdin: Any) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "alc.mcp", "--store", str(tmp_path / "sessions.db")],
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "ALC_HOME": str(tmp_path / "home")},
        cwd=str(tmp_path),
    )


def _replies(proc: subprocess.Popen[bytes], count: int) -> list[dict[str, Any]]:
    assert proc.stdout is not None
    return [json.loads(proc.stdout.readline()) for _ in range(count)]


def _long_run(request_id: int) -> dict[str, Any]:
    ctx = {"blob": "x" * 300_000}  # one line of ~300 KB
    return _call(request_id, "alc_run", {"code": "return #ctx.blob", "ctx": ctx})


def test_pipes_answer_every_request_and_lines_past_the_default_limit(tmp_path: Path) -> None:
    proc = _server(tmp_path, subprocess.PIPE)
    assert proc.stdin is not None
    try:
        proc.stdin.write(_lines(INIT, INITIALIZED, _long_run(2)))
        proc.stdin.write(_lines(_call(3, "alc_run", {"code": "return 'end'"})))
        proc.stdin.flush()
        by_id = {r["id"]: r for r in _replies(proc, 3)}  # requests run concurrently
    finally:
        proc.stdin.close()
        assert proc.wait(60) == 0
    assert sorted(by_id) == [1, 2, 3]
    assert "300000" in json.dumps(by_id[2]["result"])
    assert "end" in json.dumps(by_id[3]["result"])


def test_a_regular_file_as_stdin_uses_the_sdk_transport(tmp_path: Path) -> None:
    source = tmp_path / "requests.jsonl"
    source.write_bytes(_lines(INIT, INITIALIZED))
    with source.open("rb") as stdin:
        proc = _server(tmp_path, stdin)
        replies = _replies(proc, 1)
        assert proc.wait(60) == 0  # EOF of the file ends the server
    assert replies[0]["id"] == 1
    assert replies[0]["result"]["serverInfo"]["name"]


def test_stray_output_of_the_process_misses_the_wire(tmp_path: Path) -> None:
    code = "import os; os.write(1, b'stray bytes on fd 1\\n')"  # what a careless library does
    script = tmp_path / "run.py"
    script.write_text(
        "import sys, anyio\n"
        "from alc.mcp._stdio import stdio_streams\n"
        "async def main():\n"
        "    async with stdio_streams() as (read, write):\n"
        f"        {code}\n"
        "        async for message in read:\n"
        "            await write.send(message)\n"  # echo the decoded message back
        "            break\n"
        "        await write.aclose()\n"
        "anyio.run(main)\n"
    )
    proc = subprocess.run(
        [sys.executable, str(script)],
        input=_lines(INIT),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    assert b"stray bytes" not in proc.stdout
    assert b"stray bytes" in proc.stderr
    assert json.loads(proc.stdout.decode().splitlines()[0])["method"] == "initialize"
