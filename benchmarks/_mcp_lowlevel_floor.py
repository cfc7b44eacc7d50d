"""The Python MCP SDK's low-level floor for the sequential-thinking comparison (not a real server).

The SDK's low-level ``Server`` (no ``MCPServer`` tool layer: no argument model, no result
conversion) with one ``sequentialthinking`` tool that keeps nothing and returns the reference
server's reply fields. ``--transport sdk`` serves it over the SDK's ``stdio_server``;
``--transport loop`` over alc's event-loop stdio (:func:`alc.mcp._stdio.stdio_streams`, what
``alc mcp`` uses). What any Python server on this SDK pays per thought before doing any work.

    python benchmarks/_mcp_lowlevel_floor.py [--transport sdk|loop]
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import anyio
import mcp_types as types
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server

TOOL = types.Tool(
    name="sequentialthinking",
    description="Accept one thought and keep nothing (SDK floor).",
    input_schema={"type": "object", "properties": {}, "additionalProperties": True},
)


async def _list_tools(ctx: Any, params: Any) -> types.ListToolsResult:
    return types.ListToolsResult(tools=[TOOL])


async def _call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
    args = params.arguments or {}
    number = int(args.get("thoughtNumber", 1))
    reply = {
        "thoughtNumber": number,
        "totalThoughts": max(int(args.get("totalThoughts", number)), number),
        "nextThoughtNeeded": bool(args.get("nextThoughtNeeded", False)),
        "branches": [],
        "thoughtHistoryLength": number,
    }
    return types.CallToolResult(content=[types.TextContent(type="text", text=json.dumps(reply))])


server: Server[Any] = Server(
    "mcp-sdk-lowlevel-floor", on_list_tools=_list_tools, on_call_tool=_call_tool
)


async def main(transport: str) -> None:
    if transport == "loop":
        from alc.mcp._stdio import stdio_streams

        streams = stdio_streams()
    else:
        streams = stdio_server()
    async with streams as (read, write):
        await server.run(read, write, server.create_initialization_options())


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--transport", choices=("sdk", "loop"), default="sdk")
    anyio.run(main, parser.parse_args().transport)
