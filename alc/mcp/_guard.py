"""What ``alc serve`` does with a connection before any engine code runs: authenticate first,
then read a bounded body within a deadline, and give up on clients that trickle headers.

Order of the ASGI layers (outermost first; see :func:`alc.mcp._http.build_app`): access log,
bearer authentication (headers only), :class:`RequireBearer` (``401`` before a byte of the body is
read), tenant scope, :class:`BodyLimit` (size and read deadline), the MCP endpoint. Below the ASGI
app, :class:`GuardedH11` (the uvicorn protocol) closes a connection whose request headers do not
arrive in full within a deadline, and uvicorn's ``limit_concurrency`` answers ``503`` past a number
of open connections.

Every refusal is a JSON error object with a stable ``error_code`` and ``Connection: close``, so a
refused client cannot keep its connection (and the server's buffers) busy.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import anyio
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from alc.engine.errors import InvalidInput

__all__ = [
    "DEFAULT_BODY_TIMEOUT",
    "DEFAULT_HEADER_TIMEOUT",
    "DEFAULT_MAX_CONNECTIONS",
    "BodyLimit",
    "GuardedH11",
    "RequireBearer",
]

DEFAULT_BODY_TIMEOUT = 30.0
"""Seconds a client has to send a whole request body (after its headers); past it, ``408``."""
DEFAULT_HEADER_TIMEOUT = 10.0
"""Seconds a client has to send a request's headers in full; past it, the connection is closed."""
DEFAULT_MAX_CONNECTIONS = 256
"""Open connections (and requests in flight) a replica serves; past it, ``503``."""


async def _refuse(
    send: Send, status: int, wire: dict[str, Any], *extra: tuple[bytes, bytes]
) -> None:
    """Answer with a JSON error and close the connection (the body is never read)."""
    body = json.dumps(wire, sort_keys=True).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
        *extra,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class RequireBearer:
    """``401`` for a request to a guarded path without a valid bearer token, sent before the
    body is read. Runs after the authentication middleware (which looks at headers only).

    The reply carries ``WWW-Authenticate: Bearer error="invalid_token", error_description="..."``
    (RFC 6750), which MCP clients show, and the same fields as JSON.
    """

    def __init__(self, app: ASGIApp, paths: frozenset[str]) -> None:
        self.app = app
        self.paths = paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope.get("path") not in self.paths
            or isinstance(scope.get("user"), AuthenticatedUser)
        ):
            await self.app(scope, receive, send)
            return
        header = Headers(scope=scope).get("authorization", "")
        if not header.lower().startswith("bearer "):
            description = "No bearer token: send the header Authorization: Bearer <token>."
        else:
            description = "The bearer token is not valid on this server (unknown or expired)."
        challenge = f'Bearer error="invalid_token", error_description="{description}"'
        wire = {
            "error": "invalid_token",
            "error_code": "invalid_token",
            "error_description": description,
        }
        await _refuse(send, 401, wire, (b"www-authenticate", challenge.encode()))


class BodyLimit:
    """Bound every request body in size and time.

    A request to one of ``paths`` (the MCP endpoint) has its body read up front: one over
    ``max_bytes`` (declared by ``Content-Length`` or streamed past it) is ``413``
    (``request_too_large``), one that does not arrive in full within ``timeout`` seconds is
    ``408`` (``request_timeout``), and the connection is closed. Any other route reads its body
    itself, if at all (nothing is buffered for a route that takes none): past ``max_bytes`` or
    ``timeout`` it sees the client disconnect.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, timeout: float, paths: frozenset[str]) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.paths = paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope.get("path") not in self.paths:
            await self.app(scope, self._bounded(receive), send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(send)
            return
        body, more, tail = bytearray(), True, None
        with anyio.move_on_after(self.timeout) as deadline:
            while more:
                message = await receive()
                if message["type"] != "http.request":
                    tail = message
                    break
                body += message.get("body", b"")
                more = bool(message.get("more_body", False))
                if len(body) > self.max_bytes:
                    await self._too_large(send)
                    return
        if deadline.cancelled_caught:
            wire = InvalidInput(
                f"The request body did not arrive within {self.timeout:g} seconds."
            ).to_wire()
            await _refuse(send, 408, {**wire, "error_code": "request_timeout"})
            return
        queue: list[Message] = [{"type": "http.request", "body": bytes(body), "more_body": more}]
        del body
        if tail is not None:
            queue.append(tail)

        async def replay() -> Message:
            return queue.pop(0) if queue else await receive()

        await self.app(scope, replay, send)

    def _bounded(self, receive: Receive) -> Receive:
        """``receive`` that reports a disconnect once the body passes the size or time bound
        (after the body's last part, messages pass unbounded: a long reply may wait for the
        client's disconnect)."""
        deadline = anyio.current_time() + self.timeout
        seen = 0
        complete = False

        async def bounded() -> Message:
            nonlocal seen, complete
            if complete:
                return await receive()
            if seen > self.max_bytes:
                return {"type": "http.disconnect"}
            with anyio.move_on_after(deadline - anyio.current_time()):
                message = await receive()
                if message["type"] == "http.request":
                    seen += len(message.get("body", b""))
                    complete = not message.get("more_body", False)
                    if seen > self.max_bytes:
                        return {"type": "http.disconnect"}
                return message
            return {"type": "http.disconnect"}

        return bounded

    async def _too_large(self, send: Send) -> None:
        wire = InvalidInput(
            f"The request body is larger than this server accepts ({self.max_bytes} bytes)."
        ).to_wire()
        await _refuse(send, 413, {**wire, "error_code": "request_too_large"})


class GuardedH11(H11Protocol):
    """uvicorn's h11 protocol with a deadline on request headers: a connection whose next
    request's headers are not complete ``header_timeout`` seconds after it opened (or after the
    previous reply) is closed. uvicorn itself has no such deadline (its keep-alive timer restarts
    on every byte), so a client trickling header bytes would hold a connection for ever.

    Configure with :meth:`with_timeout` (uvicorn builds the protocol from a class).
    """

    header_timeout: float = DEFAULT_HEADER_TIMEOUT
    _header_timer: asyncio.TimerHandle | None = None
    _armed_for: Any = None

    @classmethod
    def with_timeout(cls, seconds: float) -> type[GuardedH11]:
        """A subclass with ``header_timeout = seconds``."""
        return type("GuardedH11", (cls,), {"header_timeout": float(seconds)})

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def handle_events(self) -> None:
        super().handle_events()
        if self._header_timer is not None and self.cycle is not self._armed_for:
            self._disarm()  # a new request's headers are in: its body has its own deadline

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()  # the next request on this connection gets the same deadline

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._armed_for = self.cycle
        self._header_timer = self.loop.call_later(self.header_timeout, self._expired)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _expired(self) -> None:
        self._header_timer = None
        if self.cycle is self._armed_for and not self.transport.is_closing():
            self.transport.close()
