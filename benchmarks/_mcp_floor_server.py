"""The Python MCP SDK floor for the sequential-thinking comparison (not a real server).

A stdio ``MCPServer`` (the SDK ``alc mcp`` is built on) with one ``sequentialthinking`` tool that
keeps nothing and returns the reference server's reply fields: what any Python server on this SDK
pays per thought before doing any work. ``python benchmarks/_mcp_floor_server.py``.
"""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import MCPServer

server: MCPServer[Any] = MCPServer("mcp-sdk-floor")


@server.tool(name="sequentialthinking")
def sequentialthinking(
    thought: str, thoughtNumber: int, totalThoughts: int, nextThoughtNeeded: bool
) -> dict[str, Any]:
    """Accept one thought and keep nothing (SDK floor)."""
    return {
        "thoughtNumber": thoughtNumber,
        "totalThoughts": max(totalThoughts, thoughtNumber),
        "nextThoughtNeeded": nextThoughtNeeded,
        "branches": [],
        "thoughtHistoryLength": thoughtNumber,
    }


if __name__ == "__main__":
    server.run()
