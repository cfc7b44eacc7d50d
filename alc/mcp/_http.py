"""``alc serve``: the MCP tools over streamable HTTP, as a stateless replica.

The tools are :class:`~alc.mcp._server.AlcMCP`'s, the same as over stdio. The transport is the
official SDK's :class:`StreamableHTTPSessionManager` in **stateless** mode: no MCP session is
kept between HTTP requests, so any replica can take any request, and an alc session lives only in
the store (every replica on one database serves every session; a session hot in one replica and
fed through another is rebuilt there by replay, see ``SessionRegistry._checkout``). Starlette
routes and uvicorn serve it:

==============  ===================================================================
``POST /mcp``   the MCP endpoint (JSON-RPC; replies as SSE, or JSON with
                ``json_response``); needs ``Authorization: Bearer <token>`` when tokens
                are configured (else ``401`` with ``{"error": "invalid_token", ...}``)
``GET /healthz``  ``200 {"status": "ok"}`` while the process serves
``GET /readyz``   ``200 {"status": "ready"}`` when the store answers, ``503`` with
                ``{"status": "unavailable", "error": ...}`` when it does not, or while the
                replica drains for shutdown (``"status": "draining"``)
==============  ===================================================================

- **Auth and tenancy**: bearer tokens are checked by the SDK's auth backend
  (``BearerAuthBackend``, headers only) and refused by :class:`~alc.mcp._guard.RequireBearer`
  **before any byte of the body is read** (``401`` with ``WWW-Authenticate: Bearer
  error="invalid_token", error_description="..."``), with a pluggable
  :class:`~mcp.server.auth.provider.TokenVerifier`: :class:`StaticTokens` (token -> tenant, from
  a file or ``ALC_TOKENS``) for self-hosting, or any OAuth verifier. The tenant of a request is
  :func:`tenant_of` its :class:`~mcp.server.auth.provider.AccessToken` and is set as the
  request-scoped tenant (:func:`alc.engine.tenancy.tenant_scope`) for the engine calls the
  request makes.
- **Limits and logs**: a request body over ``max_body_bytes`` is ``413``, one not in within
  ``body_timeout`` seconds ``408``, request headers not in within ``header_timeout`` seconds
  close the connection, more than ``max_connections`` open connections get ``503``
  (:mod:`alc.mcp._guard`); one JSON line per request goes to stderr (``method``, ``path``,
  ``status``, ``duration_ms``, ``tenant``), written in order by a writer thread off the
  requests' path (``access_log=False``, ``alc serve --no-access-log``: none).
- **Shutdown**: on SIGTERM / SIGINT the replica stops accepting connections, reports
  ``draining`` on ``/readyz``, lets the requests in flight finish (their steps included, up to
  ``shutdown_timeout`` seconds) and answers them in full, then stops its worker processes.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import ipaddress
import json
import queue
import signal
import sys
import threading
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO

import anyio.to_thread
from mcp.server.auth.middleware.auth_context import AuthContextMiddleware
from mcp.server.auth.middleware.bearer_auth import (
    AuthenticatedUser,
    BearerAuthBackend,
    RequireAuthMiddleware,
)
from mcp.server.auth.provider import AccessToken, TokenVerifier
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp, StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from alc.engine.errors import AlcError, InvalidInput
from alc.engine.store import redacted
from alc.engine.tenancy import check_tenant, tenant_scope
from alc.inspector import Authenticate, inspector_app
from alc.mcp._guard import (
    DEFAULT_BODY_TIMEOUT,
    DEFAULT_HEADER_TIMEOUT,
    DEFAULT_MAX_CONNECTIONS,
    BodyLimit,
    GuardedH11,
    RequireBearer,
)
from alc.mcp._server import AlcMCP

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "DEFAULT_PORT",
    "MCP_PATH",
    "MIN_TOKEN_CHARS",
    "HTTPServer",
    "ServeConfig",
    "StaticTokens",
    "build_app",
    "flush_log",
    "is_loopback",
    "load_tokens",
    "load_verifier",
    "log_event",
    "tenant_of",
]

DEFAULT_PORT = 8765
DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024
"""Largest request body (bytes) by default: 4 MiB, the SDK's own default."""
MCP_PATH = "/mcp"
MAX_HEADER_BYTES = 16 * 1024
"""Largest request head (request line and headers) in bytes; bigger is ``400``."""
UI_PATH = "/ui"
"""Where `alc serve` mounts the session inspector (alc.inspector)."""
MIN_TOKEN_CHARS = 16
"""A bearer token shorter than this is refused when tokens are loaded (too easy to guess)."""


class _LogWriter:
    """Writes the log lines to their stream on a thread of its own, in the order they were
    given: the event loop only queues a line's fields; the writer formats them and writes the
    lines that queued within :data:`LOG_BATCH_SECONDS` in one write (a blocking write to a slow
    pipe, the JSON encoding, and a wake-up per line stay off the requests' path). :meth:`flush`
    waits until every line given before it is written."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[_LogItem] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start = threading.Lock()

    def put(self, stream: TextIO, line: str | dict[str, Any]) -> None:
        """Queue ``line`` for ``stream``: a text, or the fields of a JSON line (``ts`` in epoch
        seconds, written as ISO 8601 UTC). The writer thread starts on first use."""
        if self._thread is None:
            with self._start:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._run, name="alc-log-writer", daemon=True
                    )
                    self._thread.start()
                    atexit.register(self.flush)
        self._queue.put((stream, line))

    def flush(self, timeout: float = 10.0) -> None:
        """Wait (at most ``timeout`` seconds) until the lines queued so far are written."""
        if self._thread is None or not self._thread.is_alive():
            return
        done = threading.Event()
        self._queue.put(done)
        done.wait(timeout)

    def _run(self) -> None:
        while True:
            items = [self._queue.get()]
            if not isinstance(items[0], threading.Event):
                time.sleep(LOG_BATCH_SECONDS)  # let the lines of concurrent requests gather
            with contextlib.suppress(queue.Empty):
                while len(items) < 10_000:
                    items.append(self._queue.get_nowait())
            batch: list[str] = []
            stream: TextIO | None = None
            for item in items:
                if isinstance(item, threading.Event):
                    self._write(stream, batch)
                    item.set()
                    continue
                if item[0] is not stream:
                    self._write(stream, batch)
                    stream = item[0]
                batch.append(_text(item[1]))
            self._write(stream, batch)

    @staticmethod
    def _write(stream: TextIO | None, batch: list[str]) -> None:
        if stream is None or not batch:
            return
        try:
            stream.write("".join(batch))
            stream.flush()
        except (OSError, ValueError):  # stderr closed or gone: the lines cannot be kept
            pass
        batch.clear()


_LogItem = tuple[TextIO, str | dict[str, Any]] | threading.Event
LOG_BATCH_SECONDS = 0.005
"""How long the log writer lets lines gather before a write (seconds)."""
_WRITER = _LogWriter()


def _text(line: str | dict[str, Any]) -> str:
    if isinstance(line, str):
        return line
    stamp = datetime.fromtimestamp(line["ts"], UTC).isoformat(timespec="milliseconds")
    return json.dumps({**line, "ts": stamp}, sort_keys=True, default=str) + "\n"


def log_event(event: str, **fields: Any) -> None:
    """Write one structured log line (a JSON object with ``ts`` and ``event``) to stderr.

    The line is formatted and written by a writer thread, in order with the other lines (see
    :func:`flush_log`); the call itself neither encodes nor blocks on the stream.
    """
    _WRITER.put(sys.stderr, {**fields, "ts": time.time(), "event": event})


def flush_log(timeout: float = 10.0) -> None:
    """Wait (at most ``timeout`` seconds) until every line :func:`log_event` took is written."""
    _WRITER.flush(timeout)


# ---------------------------------------------------------------------- tokens and tenants


class StaticTokens(TokenVerifier):
    """Bearer tokens from a fixed table ``{token: tenant}`` (self-hosting).

    Tokens are kept only as SHA-256 digests. A verified token becomes an
    :class:`AccessToken` whose ``client_id`` and ``claims["tenant"]`` are the tenant.
    """

    def __init__(self, tokens: Mapping[str, str]) -> None:
        self._tenants = {_digest(token): tenant for token, tenant in tokens.items()}

    def __len__(self) -> int:
        return len(self._tenants)

    async def verify_token(self, token: str) -> AccessToken | None:
        """The access token of ``token``, or None if it is not one of the table's."""
        tenant = self._tenants.get(_digest(token))
        if tenant is None:
            return None
        return AccessToken(token=token, client_id=tenant, scopes=[], claims={"tenant": tenant})


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def tenant_of(token: AccessToken) -> str:
    """The tenant a verified token acts for: ``claims["tenant"]`` if the verifier set it, else
    the token's ``subject``, else its ``client_id`` (an OAuth verifier may fill any of them).

    Raises:
        InvalidInput: the value is not a tenant name (see :func:`~alc.engine.tenancy.check_tenant`).
    """
    claims = token.claims or {}
    tenant = claims.get("tenant") or token.subject or token.client_id
    return check_tenant(str(tenant))


def load_tokens(path: str | None, env: str | None) -> dict[str, str]:
    """The token table ``{token: tenant}`` from a file and/or the ``ALC_TOKENS`` value.

    The file is TOML (``*.toml``) or JSON: either a ``tokens`` table or a top-level one, each entry
    ``"<token>" = "<tenant>"``. ``env`` is a JSON object of the same shape, or
    ``token=tenant,token=tenant``. Both may be given (the file wins on a duplicate token).

    Raises:
        InvalidInput: unreadable or malformed input, a token shorter than
            :data:`MIN_TOKEN_CHARS`, a tenant that is not a tenant name.
    """
    table: dict[str, str] = {}
    if env:
        table.update(_parse_env_tokens(env))
    if path is not None:
        table.update(_read_token_file(path))
    for token, tenant in table.items():
        if len(token) < MIN_TOKEN_CHARS or not token.isprintable() or " " in token:
            raise InvalidInput(
                f"A bearer token for tenant {tenant!r} is shorter than {MIN_TOKEN_CHARS} "
                "characters or holds spaces or control characters; use a long random one "
                "(e.g. `openssl rand -hex 32`)."
            )
        check_tenant(tenant)
    return table


def _read_token_file(path: str) -> dict[str, str]:
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
        if path.endswith(".toml"):
            import tomllib

            data: Any = tomllib.loads(raw.decode("utf-8"))
        else:
            data = json.loads(raw)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput(f"--tokens: cannot read {path!r} ({exc}).") from None
    return _token_table(data, f"--tokens {path}")


def _parse_env_tokens(text: str) -> dict[str, str]:
    if text.lstrip().startswith("{"):
        try:
            return _token_table(json.loads(text), "ALC_TOKENS")
        except ValueError as exc:
            raise InvalidInput(f"ALC_TOKENS is not valid JSON ({exc}).") from None
    table: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        token, sep, tenant = item.partition("=")
        if not sep:
            raise InvalidInput("ALC_TOKENS: expected token=tenant pairs separated by commas.")
        table[token.strip()] = tenant.strip()
    return table


def _token_table(data: Any, where: str) -> dict[str, str]:
    if isinstance(data, dict) and isinstance(data.get("tokens"), dict):
        data = data["tokens"]
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise InvalidInput(
            f'{where}: expected a table of "<token>" = "<tenant>" entries (optionally under '
            "a [tokens] table)."
        )
    return dict(data)


def load_verifier(spec: str) -> TokenVerifier:
    """The verifier named by ``spec``, ``"package.module:name"``: ``name`` is a
    :class:`TokenVerifier` instance, or a class or function called without arguments to make
    one (read its own settings from the environment). This is how an OAuth 2.1 resource server
    plugs in (e.g. a verifier that introspects tokens at the authorization server, RFC 7662,
    or checks JWT signatures), with the tenant in ``claims["tenant"]``, ``subject`` or
    ``client_id`` (:func:`tenant_of`).

    Raises:
        InvalidInput: not importable, or not a verifier.
    """
    import importlib

    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise InvalidInput(f"--verifier {spec!r}: expected package.module:name.")
    try:
        found: Any = getattr(importlib.import_module(module_name), attr)
        ready = hasattr(found, "verify_token") and not isinstance(found, type)
        verifier = found if ready else found()
    except Exception as exc:  # any failure of foreign code is the user's configuration
        raise InvalidInput(f"--verifier {spec!r} cannot be loaded ({exc!r}).") from None
    if not callable(getattr(verifier, "verify_token", None)):
        raise InvalidInput(f"--verifier {spec!r} is not a TokenVerifier (no verify_token).")
    return verifier  # type: ignore[no-any-return]


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (``localhost``, ``127.0.0.0/8``, ``::1``)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


# ---------------------------------------------------------------------- the application


@dataclass
class ServeConfig:
    """How one replica serves.

    Attributes:
        host, port: where to listen (``port=0``: a free port, reported on start-up).
        verifier: the bearer-token verifier, or None for no auth (then ``host`` must be a
            loopback address).
        max_body_bytes: largest request body; bigger is ``413``.
        body_timeout: seconds a client has to send a whole body; slower is ``408``.
        header_timeout: seconds a client has to send a request's headers; slower is closed.
        max_connections: open connections served at once; more get ``503``.
        shutdown_timeout: seconds requests in flight may take to finish after SIGTERM.
        json_response: answer POSTs with one JSON body instead of an SSE stream.
        access_log: write one JSON line per HTTP request to stderr (``--no-access-log``: off).
        draining: set on shutdown; ``/readyz`` then answers ``503``.
    """

    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    verifier: TokenVerifier | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    body_timeout: float = DEFAULT_BODY_TIMEOUT
    header_timeout: float = DEFAULT_HEADER_TIMEOUT
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    shutdown_timeout: float = 30.0
    json_response: bool = False
    access_log: bool = True
    draining: bool = field(default=False, compare=False)

    def check(self) -> None:
        """Refuse a configuration that would expose an unauthenticated server.

        Raises:
            InvalidInput: no verifier and a non-loopback ``host``; a bad port or size.
        """
        if self.verifier is None and not is_loopback(self.host):
            raise InvalidInput(
                f"alc serve without authentication binds to localhost only; --host "
                f"{self.host} would let anyone who reaches it run Lua on this machine. "
                "Configure bearer tokens (--tokens FILE or ALC_TOKENS) or use --host 127.0.0.1."
            )
        if not 0 <= self.port <= 65535:
            raise InvalidInput(f"--port {self.port} is not a TCP port (0 to 65535).")
        if self.max_body_bytes < 1024:
            raise InvalidInput("--max-body-bytes must be at least 1024.")
        for name, value in (("body", self.body_timeout), ("header", self.header_timeout)):
            if not 0.1 <= value <= 3600:
                raise InvalidInput(f"--{name}-timeout must be from 0.1 to 3600 seconds.")
        if self.max_connections < 1:
            raise InvalidInput("--max-connections must be at least 1.")


def build_app(server: AlcMCP, config: ServeConfig) -> Starlette:
    """The ASGI application of one replica (routes and middleware as in the module docs)."""
    manager = StreamableHTTPSessionManager(
        app=server.server._lowlevel_server,
        json_response=config.json_response,
        stateless=True,
        security_settings=_security(config.host),
        max_request_body_size=config.max_body_bytes,
    )
    endpoint: ASGIApp = StreamableHTTPASGIApp(manager)
    middleware = [Middleware(_AccessLog)] if config.access_log else []
    if config.verifier is not None:  # authenticate (headers only) before reading any body
        endpoint = RequireAuthMiddleware(endpoint, required_scopes=[])
        middleware += [
            Middleware(AuthenticationMiddleware, backend=BearerAuthBackend(config.verifier)),
            Middleware(RequireBearer, paths=frozenset({MCP_PATH})),
            Middleware(AuthContextMiddleware),
            Middleware(_TenantScope),
        ]
    middleware.append(
        Middleware(
            BodyLimit,
            max_bytes=config.max_body_bytes,
            timeout=config.body_timeout,
            paths=frozenset({MCP_PATH}),
        )
    )

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        if config.draining:
            return JSONResponse({"status": "draining"}, status_code=503)
        try:
            await anyio.to_thread.run_sync(lambda: server.engine.store.list(limit=1))
        except AlcError as exc:
            return JSONResponse({**exc.to_wire(), "status": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ready"})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with manager.run():
            yield
        await server.engine.close()

    routes = [
        Route(MCP_PATH, endpoint=endpoint),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Mount(UI_PATH, inspector_app(server.engine, authenticate=_authenticator(config))),
    ]
    return Starlette(routes=routes, middleware=middleware, lifespan=lifespan)


def _authenticator(config: ServeConfig) -> Authenticate | None:
    """The inspector's token check: the replica's verifier, and the tenant the token acts for."""
    verifier = config.verifier
    if verifier is None:
        return None

    async def authenticate(token: str) -> str | None:
        access = await verifier.verify_token(token)
        if access is None:
            return None
        try:
            return tenant_of(access)
        except InvalidInput:
            return None

    return authenticate


def _security(host: str) -> TransportSecuritySettings | None:
    """DNS-rebinding protection for a loopback bind (a browser page cannot reach the server
    through a hostile name); none for a public bind, where the load balancer sets ``Host``."""
    if not is_loopback(host):
        return None
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=["127.0.0.1:*", "localhost:*", "[::1]:*"],
        allowed_origins=["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"],
    )


class _TenantScope:
    """Serve an authenticated request as its token's tenant (inside the auth middleware)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        user = scope.get("user")
        if scope["type"] != "http" or not isinstance(user, AuthenticatedUser):
            await self.app(scope, receive, send)
            return
        try:
            tenant = tenant_of(user.access_token)
        except InvalidInput as exc:
            await JSONResponse(exc.to_wire(), status_code=403)(scope, receive, send)
            return
        scope.setdefault("state", {})["alc_tenant"] = tenant
        with tenant_scope(tenant):
            await self.app(scope, receive, send)


class _AccessLog:
    """One JSON line per HTTP request on stderr: method, path, status, duration_ms, tenant."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [500]

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            client = scope.get("client")
            log_event(
                "request",
                method=scope.get("method"),
                path=scope.get("path"),
                status=status[0],
                duration_ms=round((time.perf_counter() - started) * 1000, 3),
                tenant=scope.get("state", {}).get("alc_tenant"),
                client=client[0] if client else None,
            )


def _finish_streams_on_drain() -> None:
    """Let an SSE reply in flight finish on SIGTERM instead of being cut off.

    ``sse_starlette`` (the SDK's SSE responses) ends every open stream as soon as uvicorn
    receives a shutdown signal; the reply of a step still running was then lost (HTTP 200 with
    an empty body, though the session completed in the journal). A stateless replica's streams
    each end with their reply, and uvicorn's graceful shutdown already waits for them (up to
    ``shutdown_timeout``), so the early cut is turned off.
    """
    from sse_starlette.sse import AppStatus

    AppStatus.disable_automatic_graceful_drain()  # type: ignore[no-untyped-call]


class HTTPServer:
    """uvicorn serving :func:`build_app`, with the start-up and drain lines of ``alc serve``."""

    def __init__(self, server: AlcMCP, config: ServeConfig, *, store: str) -> None:
        import uvicorn

        self.config = config
        self.store = store
        self.signals: list[int] = []
        app = build_app(server, config)
        uv_config = uvicorn.Config(
            app,
            host=config.host,
            port=config.port,
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=int(config.shutdown_timeout),
            lifespan="on",
            http=GuardedH11.with_timeout(config.header_timeout),
            limit_concurrency=config.max_connections,
            h11_max_incomplete_event_size=MAX_HEADER_BYTES,
        )
        _finish_streams_on_drain()
        outer = self

        class _Server(uvicorn.Server):
            async def startup(self, sockets: Any = None) -> None:
                await super().startup(sockets)
                if self.started:
                    outer.started(self)

            def handle_exit(self, sig: int, frame: Any) -> None:
                if not config.draining:
                    config.draining = True
                    log_event("draining", signal=sig, timeout_s=config.shutdown_timeout)
                super().handle_exit(sig, frame)
                outer.signals.append(sig)
                self._captured_signals.clear()  # drained: exit with a code, not by the signal

        self.uvicorn = _Server(uv_config)

    def started(self, uv: Any) -> None:
        port = self.config.port
        for listener in getattr(uv, "servers", []):
            for sock in listener.sockets:
                port = sock.getsockname()[1]
        auth = self.config.verifier is not None
        log_event(
            "listening",
            url=f"http://{self.config.host}:{port}{MCP_PATH}",
            host=self.config.host,
            port=port,
            store=redacted(self.store),
            auth="bearer" if auth else "none",
            message=(
                "bearer tokens required; each session belongs to the tenant that created it"
                if auth
                else "no authentication configured: serving localhost only (pass --tokens FILE "
                "or set ALC_TOKENS to serve other hosts)"
            ),
        )
        flush_log()  # the start-up line is out before anyone is told the port

    def run(self) -> int:
        """Serve until SIGTERM / SIGINT, then drain and stop (blocking).

        Returns:
            The exit code: 0 after SIGTERM (or a normal stop), 130 after SIGINT.
        """
        self.uvicorn.run()
        log_event("stopped", signals=self.signals)
        flush_log()
        return 130 if signal.SIGINT in self.signals else 0
