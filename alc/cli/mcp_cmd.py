"""``alc mcp``: serve the MCP tools over stdio (for Claude Code, Cursor and other MCP hosts).

Host configuration: ``{"mcpServers": {"alc": {"command": "alc", "args": ["mcp"]}}}``.
``alc mcp --transport http`` serves streamable HTTP instead, as ``alc serve`` does (see
:mod:`alc.cli.serve_cmd`). See docs/mcp.md and :mod:`alc.mcp`.
"""

from __future__ import annotations

import os
from typing import Annotated

import typer

from alc.cli.serve_cmd import HostOpt, PortOpt, TokensOpt, Transport, TransportOpt, WorkersOpt

__all__ = ["mcp", "register"]


def mcp(
    store: Annotated[
        str | None,
        typer.Option(
            "--store",
            metavar="PATH|URL",
            help="The session store (a SQLite file or a postgresql:// URL); same as "
            "`alc --store PATH mcp`. Default: ALC_STORE, else $ALC_HOME/sessions.db.",
            show_default=False,
        ),
    ] = None,
    sampling: Annotated[
        bool,
        typer.Option(
            "--sampling/--no-sampling",
            envvar="ALC_MCP_SAMPLING",
            help="Resolve alc.llm through the client's own LLM (MCP sampling) when the client "
            "supports it, instead of returning needs_response. Off by default.",
        ),
    ] = False,
    client: Annotated[
        str,
        typer.Option(
            "--client",
            envvar="ALC_MCP_CLIENT",
            help="Name whose default thought chain sequentialthinking continues.",
        ),
    ] = "mcp",
    profile: Annotated[
        str,
        typer.Option(
            "--profile",
            envvar="ALC_MCP_PROFILE",
            help="Tool surface: default (alc's compact tools) or algocline (algocline's 61 tool "
            "names and arguments; what bare `alc` serves when stdin is not a terminal).",
        ),
    ] = "default",
    transport: TransportOpt = Transport.stdio,
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8765,
    tokens: TokensOpt = None,
    workers: WorkersOpt = None,
) -> int:
    """Serve the alc tools over MCP (stdio) until the host disconnects.

    Tools: alc_run, alc_advice, alc_continue, alc_status, alc_cancel, alc_strategies, alc_info,
    sequentialthinking. Sessions live in the store (--store / ALC_STORE / $ALC_HOME/sessions.db),
    so a restarted server continues them. Nothing is written to stdout except MCP messages.
    With --transport http: streamable HTTP on --host/--port, exactly as `alc serve`.
    """
    from alc.cli._args import store_path
    from alc.cli._output import settings
    from alc.engine.store import is_store_url
    from alc.mcp import serve

    if store is not None:
        settings.store = store
    if transport is Transport.http:
        from alc.cli.serve_cmd import serve_http

        return serve_http(host=host, port=port, tokens=tokens, workers=workers)
    path = store_path()
    if not is_store_url(path):
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    from alc.engine.errors import InvalidInput
    from alc.mcp._tools import PROFILES

    if profile not in PROFILES:
        raise InvalidInput(
            f"Unknown --profile {profile!r}; use one of {', '.join(sorted(PROFILES))}."
        )
    serve(store=path, sampling=sampling, client=client, profile=profile)
    return 0


def register(app: typer.Typer) -> None:
    """Add ``mcp`` to ``app``."""
    app.command()(mcp)
