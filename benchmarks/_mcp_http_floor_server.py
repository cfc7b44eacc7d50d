"""The SDK floor for ``alc serve``: the SDK's own no-op tool server on the same transport.

An ``MCPServer`` (the SDK ``alc serve`` is built on) whose ``alc_run`` and ``alc_continue`` do no
work, served the way ``alc serve`` serves its tools: streamable HTTP, stateless, SSE replies,
uvicorn on 127.0.0.1 with the access log off. It prints ``{"event": "listening", "port": N}`` on
stderr like ``alc serve``, so the load client of ``benchmarks/serve.py`` drives both the same way.
Not a real server. ``python benchmarks/_mcp_http_floor_server.py``.
"""

from __future__ import annotations

import json
import socket
import sys
from typing import Any

import uvicorn
from mcp.server.mcpserver import MCPServer

server: MCPServer[Any] = MCPServer("mcp-sdk-http-floor", log_level="WARNING")  # alc logs no INFO


@server.tool(name="alc_run")
def alc_run(code: str, ctx: dict[str, Any] | None = None) -> dict[str, Any]:
    """Start nothing; answer like a session paused on its first question."""
    return {"session_id": "floor", "status": "needs_response", "prompt": "q"}


@server.tool(name="alc_continue")
def alc_continue(session_id: str, response: str) -> dict[str, Any]:
    """Feed nothing; answer like the finished 2-pause chain of the load client."""
    return {"session_id": session_id, "status": "completed", "result": "aa"}


def main() -> None:
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets whose proto is TCP, and
    # without it every reply waits ~40 ms for a delayed ACK (Nagle)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(2048)
    app = server.streamable_http_app(stateless_http=True, json_response=False)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    print(json.dumps({"event": "listening", "port": sock.getsockname()[1]}), file=sys.stderr)
    sys.stderr.flush()
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
