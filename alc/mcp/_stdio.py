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

The SDK's ``stdio_server`` reads and writes stdio through ``anyio.wrap_file``: a worker-thread
round trip for every line read, every write and every flush (three per request). When stdin and
stdout are pipes, sockets or terminals and the loop is asyncio, :func:`stdio_streams` hands the
same ``stdio_server`` (its JSON-RPC decoding with the SDK's types, its framing, its streams)
line reader and writer objects served by the event loop itself (``connect_read_pipe`` /
``connect_write_pipe``): no thread per line. It claims fd 0 and 1 the way the SDK does (they
point at the null device and at stderr while serving, so stray output misses the wire) and
restores them on exit. Anything else (a regular file as stdin, another event loop) gets the
SDK's own transport.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import stat
import sys
from asyncio.streams import FlowControlMixin
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from anyio.streams.memory import MemoryObjectSendStream
from mcp.server.mcpserver import MCPServer
from mcp.server.stdio import stdio_server
from mcp.shared.message import SessionMessage
from mcp_types import INVALID_REQUEST, PARSE_ERROR, ErrorData, JSONRPCError
from pydantic import ValidationError

__all__ = ["StdioServer", "error_reply", "relay", "stdio_streams"]

_log = logging.getLogger("alc.mcp")
_INT64 = 2**63


class StdioServer(MCPServer[Any]):
    """:class:`MCPServer` whose stdio transport answers undecodable requests (see module)."""

    async def run_stdio_async(self) -> None:
        """Serve stdio until the client closes it."""
        lowlevel = self._lowlevel_server
        async with stdio_streams() as (read_stream, write_stream):
            send, receive = anyio.create_memory_object_stream[SessionMessage | Exception](0)
            async with anyio.create_task_group() as tg:
                tg.start_soon(relay, read_stream, send, write_stream)
                await lowlevel.run(receive, write_stream, lowlevel.create_initialization_options())
                tg.cancel_scope.cancel()


_MAX_LINE = 1 << 30
"""Longest line the event-loop reader takes (the SDK's reader has no bound; this one must)."""


@asynccontextmanager
async def stdio_streams() -> AsyncIterator[tuple[Any, Any]]:
    """The SDK's ``stdio_server`` streams over the process's stdio, fed by the event loop when it
    can be (see the module docstring), else by the SDK's own thread-backed files."""
    if not _loop_can_serve(0) or not _loop_can_serve(1):
        async with stdio_server() as streams:
            yield streams
        return
    wire_in, wire_out = _claim(0, os.O_RDONLY), _claim(1, os.O_WRONLY)
    loop = asyncio.get_running_loop()
    try:
        reader = asyncio.StreamReader(limit=_MAX_LINE)
        source = os.fdopen(wire_in, "rb", buffering=0, closefd=False)
        sink = os.fdopen(wire_out, "wb", buffering=0, closefd=False)
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), source)
        transport, protocol = await loop.connect_write_pipe(FlowControlMixin, sink)
        writer = asyncio.StreamWriter(transport, protocol, None, loop)
        try:
            async with stdio_server(_LoopLines(reader), _LoopWriter(writer)) as streams:  # type: ignore[arg-type]
                yield streams
        finally:
            transport.close()
    finally:
        _release(0, wire_in)
        _release(1, wire_out)


def _loop_can_serve(fd: int) -> bool:
    """Whether the asyncio loop can watch ``fd`` (a pipe, socket or terminal, not a file)."""
    try:
        asyncio.get_running_loop()  # RuntimeError under another event loop (trio) or none
        stream = sys.stdin if fd == 0 else sys.stdout
        if stream is None or stream.fileno() != fd:
            return False
        mode = os.fstat(fd).st_mode
    except (OSError, ValueError, AttributeError, RuntimeError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or stat.S_ISCHR(mode)


def _claim(fd: int, flags: int) -> int:
    """A private duplicate of the wire ``fd``; ``fd`` itself then points at the null device
    (stdin) or at stderr (stdout), so nothing else in the process reads or writes the wire."""
    private = os.dup(fd)
    os.set_inheritable(private, False)
    diversion = os.open(os.devnull, flags) if fd == 0 else os.dup(2)
    try:
        os.dup2(diversion, fd)
    finally:
        os.close(diversion)
    return private


def _release(fd: int, private: int) -> None:
    """Point ``fd`` back at the wire, blocking again (the loop made it non-blocking)."""
    try:
        os.set_blocking(private, True)
        os.dup2(private, fd)
    except OSError:
        _log.warning("could not restore fd %d after serving stdio", fd)
    finally:
        os.close(private)


class _LoopLines:
    """Lines of the wire as text, read by the event loop (``async for`` like an AsyncFile)."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self._reader = reader

    def __aiter__(self) -> _LoopLines:
        return self

    async def __anext__(self) -> str:
        try:
            line = await self._reader.readuntil(b"\n")
        except asyncio.IncompleteReadError as exc:  # the last line has no newline, or EOF
            if not exc.partial:
                raise StopAsyncIteration from None
            line = exc.partial
        except asyncio.LimitOverrunError:
            raise ValueError(f"a line of more than {_MAX_LINE} bytes on stdin") from None
        return line.decode("utf-8", "replace")


class _LoopWriter:
    """The wire as text written by the event loop (``write`` + ``flush`` like an AsyncFile)."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer

    async def write(self, text: str) -> int:
        self._writer.write(text.encode("utf-8"))
        return len(text)

    async def flush(self) -> None:
        await self._writer.drain()


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
