"""``alc serve``: the MCP tools over streamable HTTP, one stateless replica (see docs/deploy.md).

Run N of them on one database behind a load balancer; each takes any request. Without tokens a
replica serves localhost only. The HTTP side lives in :mod:`alc.mcp._http`; this module only
turns options into its :class:`~alc.mcp._http.ServeConfig`.
"""

from __future__ import annotations

import enum
import os
from typing import Annotated, Any

import typer

__all__ = [
    "HostOpt",
    "PortOpt",
    "TokensOpt",
    "Transport",
    "TransportOpt",
    "VerifierOpt",
    "WorkersOpt",
    "register",
    "serve",
    "serve_http",
]

HostOpt = Annotated[
    str,
    typer.Option(
        "--host",
        envvar="ALC_HOST",
        help="Address to listen on. Without tokens only a loopback address is allowed.",
    ),
]
PortOpt = Annotated[
    int,
    typer.Option("--port", envvar="ALC_PORT", help="TCP port (0: a free one, printed on start)."),
]
TokensOpt = Annotated[
    str | None,
    typer.Option(
        "--tokens",
        metavar="FILE",
        help="Bearer tokens, TOML or JSON: token -> tenant (also ALC_TOKENS: JSON or "
        "token=tenant,...). Every request then needs one; sessions belong to its tenant.",
        show_default=False,
    ),
]


class Transport(enum.StrEnum):
    """How ``alc mcp`` talks to its client."""

    stdio = "stdio"
    http = "http"


TransportOpt = Annotated[
    Transport,
    typer.Option(
        "--transport",
        help="stdio (default: one host, over stdin/stdout) or http (streamable HTTP, as "
        "`alc serve`; --host, --port and --tokens apply).",
    ),
]
VerifierOpt = Annotated[
    str | None,
    typer.Option(
        "--verifier",
        envvar="ALC_TOKEN_VERIFIER",
        metavar="MODULE:NAME",
        help="A bearer-token verifier of your own (e.g. OAuth introspection or JWT): an "
        "mcp.server.auth TokenVerifier, or a class or function making one. Replaces --tokens.",
        show_default=False,
    ),
]
WorkersOpt = Annotated[
    int | None,
    typer.Option(
        "--workers",
        envvar="ALC_WORKERS",
        help="The most Lua worker processes of this replica, started on demand (process "
        "executor; default max(4, 2 x CPUs)). Scheduling knobs: docs/operations.md.",
        show_default=False,
    ),
]


def serve(
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8765,
    tokens: TokensOpt = None,
    verifier: VerifierOpt = None,
    workers: WorkersOpt = None,
    store: Annotated[
        str | None,
        typer.Option(
            "--store",
            metavar="PATH|URL",
            help="The session store shared by the replicas (same as `alc --store`). Default: "
            "ALC_STORE, else $ALC_HOME/sessions.db.",
            show_default=False,
        ),
    ] = None,
    max_body_bytes: Annotated[
        int,
        typer.Option(
            "--max-body-bytes",
            envvar="ALC_MAX_BODY_BYTES",
            help="Largest request body in bytes; bigger ones get 413.",
        ),
    ] = 4 * 1024 * 1024,
    body_timeout: Annotated[
        float,
        typer.Option(
            "--body-timeout",
            envvar="ALC_BODY_TIMEOUT",
            help="Seconds a client has to send a whole request body; slower ones get 408.",
        ),
    ] = 30.0,
    header_timeout: Annotated[
        float,
        typer.Option(
            "--header-timeout",
            envvar="ALC_HEADER_TIMEOUT",
            help="Seconds a client has to send a request's headers; slower connections close.",
        ),
    ] = 10.0,
    max_connections: Annotated[
        int,
        typer.Option(
            "--max-connections",
            envvar="ALC_MAX_CONNECTIONS",
            help="Open connections served at once; more get 503.",
        ),
    ] = 256,
    shutdown_timeout: Annotated[
        float,
        typer.Option(
            "--shutdown-timeout",
            envvar="ALC_SHUTDOWN_TIMEOUT",
            help="Seconds requests in flight may take to finish after SIGTERM.",
        ),
    ] = 30.0,
    json_response: Annotated[
        bool,
        typer.Option(
            "--json-response/--sse",
            help="Answer each POST with one JSON body instead of an SSE stream.",
        ),
    ] = False,
    access_log: Annotated[
        bool,
        typer.Option(
            "--access-log/--no-access-log",
            envvar="ALC_ACCESS_LOG",
            help="Write one JSON line per HTTP request to stderr.",
        ),
    ] = True,
) -> int:
    """Serve the alc MCP tools over streamable HTTP (POST /mcp; GET /healthz, /readyz).

    Stateless: any replica on the same store serves any session. Logs one JSON line per
    request on stderr (unless --no-access-log). SIGTERM drains: requests in flight finish,
    then the replica exits.
    """
    if store is not None:
        from alc.cli._output import settings

        settings.store = store
    return serve_http(
        host=host,
        port=port,
        tokens=tokens,
        verifier=verifier,
        workers=workers,
        max_body_bytes=max_body_bytes,
        shutdown_timeout=shutdown_timeout,
        json_response=json_response,
        guards={
            "body_timeout": body_timeout,
            "header_timeout": header_timeout,
            "max_connections": max_connections,
            "access_log": access_log,
        },
    )


def serve_http(
    *,
    host: str,
    port: int,
    tokens: str | None,
    workers: int | None,
    verifier: str | None = None,
    max_body_bytes: int = 4 * 1024 * 1024,
    shutdown_timeout: float = 30.0,
    json_response: bool = False,
    guards: dict[str, Any] | None = None,
) -> int:
    """Build and run one replica (shared by ``alc serve`` and ``alc mcp --transport http``).

    ``guards``: ``body_timeout``, ``header_timeout``, ``max_connections``, ``access_log`` of
    :class:`~alc.mcp._http.ServeConfig` (its defaults when absent).

    Raises:
        InvalidInput: bad tokens or verifier, both given, a non-loopback host without either,
            bad numbers.
    """
    from alc._api import AsyncEngine
    from alc.cli._args import store_path
    from alc.engine.errors import InvalidInput
    from alc.engine.executor import make_executor
    from alc.engine.executor.process import ProcessExecutor
    from alc.engine.store import is_store_url
    from alc.mcp._http import HTTPServer, ServeConfig, StaticTokens, load_tokens, load_verifier
    from alc.mcp._server import AlcMCP

    table = load_tokens(tokens, os.environ.get("ALC_TOKENS"))
    verifier = verifier or os.environ.get("ALC_TOKEN_VERIFIER") or None
    if verifier is not None and table:
        raise InvalidInput("Give --verifier or bearer tokens (--tokens / ALC_TOKENS), not both.")
    config = ServeConfig(
        host=host,
        port=port,
        verifier=load_verifier(verifier) if verifier else StaticTokens(table) if table else None,
        max_body_bytes=max_body_bytes,
        shutdown_timeout=shutdown_timeout,
        json_response=json_response,
        **(guards or {}),
    )
    config.check()
    path = store_path()
    if not is_store_url(path):
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    inline = os.environ.get("ALC_EXECUTOR") == "inline"
    executor = make_executor(None, default="process") if workers is None or inline else None
    engine = AsyncEngine(path, executor=executor or ProcessExecutor(workers=max(1, workers or 2)))
    return HTTPServer(AlcMCP(engine, read_files=False), config, store=path).run()


def register(app: typer.Typer) -> None:
    """Add ``serve`` to ``app``."""
    app.command()(serve)
