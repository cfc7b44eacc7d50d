"""The stdio transport with a JSON-RPC error reply to every line the SDK cannot decode.

The SDK's ``stdio_server`` decodes each line with pydantic; a line it cannot decode (not JSON,
not a JSON-RPC message, or JSON whose strings are not valid Unicode such as a ``\\ud800``
escape) reaches the server as an ``Exception`` item, which the SDK only logs: the client's
request never gets an answer and the client waits forever. :class:`StdioServer` keeps the SDK's
transport (its fd handling included) and puts :func:`relay` between it and the server, which
answers such a line the way JSON-RPC 2.0 says:

- not JSON at all: ``-32700`` (parse error) with ``"id": null``;
- JSON, but not a valid request (a lone surrogate, a missing field, a batch array):
  ``-32600`` (invalid request) with the request's ``id`` when it can be read, else ``null``;
- an undecodable notification or response (no ``id``, or no ``method``): no reply, as the
  spec requires; the server just goes on.

The server keeps serving in every case.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import anyio
from anyio.streams.memory import MemoryObjectSendStream
from mcp.server.mcpserver import MCPServer
from mcp.server.stdio import stdio_server
from mcp.shared.message import SessionMessage
from mcp_types import INVALID_REQUEST, PARSE_ERROR, ErrorData, JSONRPCError
from pydantic import ValidationError

__all__ = ["StdioServer", "error_reply", "relay"]

_log = logging.getLogger("alc.mcp")
_INT64 = 2**63


class StdioServer(MCPServer[Any]):
    """:class:`MCPServer` whose stdio transport answers undecodable requests (see module)."""

    async def run_stdio_async(self) -> None:
        """Serve stdio until the client closes it."""
        lowlevel = self._lowlevel_server
        async with stdio_server() as (read_stream, write_stream):
            send, receive = anyio.create_memory_object_stream[SessionMessage | Exception](0)
            async with anyio.create_task_group() as tg:
                tg.start_soon(relay, read_stream, send, write_stream)
                await lowlevel.run(receive, write_stream, lowlevel.create_initialization_options())
                tg.cancel_scope.cancel()


async def relay(
    source: Any,
    sink: MemoryObjectSendStream[SessionMessage | Exception],
    replies: Any,
) -> None:
    """Pass decoded messages from ``source`` to ``sink``; answer undecodable ones on
    ``replies`` (the transport's write stream) with :func:`error_reply`."""
    async with sink:
        async for item in source:
            if not isinstance(item, Exception):
                await sink.send(item)
                continue
            reply = error_reply(item)
            if reply is None:
                _log.warning("undecodable notification or response from the client ignored")
                continue
            _log.warning("undecodable request answered: %s", ascii(reply.error.message))
            await replies.send(SessionMessage(reply))


def error_reply(exc: Exception) -> JSONRPCError | None:
    """The JSON-RPC error answering the line that raised ``exc``, or None when none is due."""
    if not isinstance(exc, ValidationError):
        return _error(None, PARSE_ERROR, "Parse error: the message could not be read.")
    errors = exc.errors(include_url=False)
    first: dict[str, Any] = dict(errors[0]) if errors else {}
    raw = first.get("input")
    if first.get("type") == "json_invalid" and isinstance(raw, str | bytes):
        try:
            message = json.loads(raw)
        except (ValueError, RecursionError):
            return _error(None, PARSE_ERROR, "Parse error: the message is not JSON.")
        detail = str(first.get("msg", "invalid JSON"))
    else:
        message = raw
        detail = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ())) or 'message'}: {e.get('msg')}"
            for e in errors[:3]
        )
    if not isinstance(message, dict):
        return _error(None, INVALID_REQUEST, "Invalid request: expected one JSON-RPC object.")
    if "method" not in message or "id" not in message:
        return None  # a notification or a response: JSON-RPC sends no reply to those
    return _error(_request_id(message.get("id")), INVALID_REQUEST, f"Invalid request: {detail}")


def _request_id(value: Any) -> int | str | None:
    """The id to answer with: the request's, when it is a plain int or text, else null."""
    if isinstance(value, int) and not isinstance(value, bool) and -_INT64 <= value < _INT64:
        return value
    if isinstance(value, str) and len(value) <= 256:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return None
        return value
    return None


def _error(request_id: int | str | None, code: int, message: str) -> JSONRPCError:
    text = message[:300].encode("utf-8", "replace").decode("utf-8")
    return JSONRPCError(jsonrpc="2.0", id=request_id, error=ErrorData(code=code, message=text))
