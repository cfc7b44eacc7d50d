"""``alc mcp``: a stdio MCP server on the official ``mcp`` SDK (2.x), thin over the engine.

Tools (each one engine call; replies are the wire JSON of docs/protocol.md as structured
content and as text; request errors are tool errors carrying ``{"error", "error_code", ...}``):

====================  =================================================================
``alc_run``           start a session from Lua ``code`` / ``code_file`` with ``ctx``
``alc_advice``        start a session of ``strategy`` on ``task`` (``opts`` merged into ctx)
``alc_continue``      feed ``response`` / ``responses`` to a paused session
``alc_status``        one session's snapshot, or the active sessions
``alc_cancel``        cancel a paused session
``alc_strategies``    the catalogue, or one strategy's metadata
``alc_info``          version, store, search paths, Lua version
``sequentialthinking``  one thought of a durable thought chain (:mod:`alc.thinking`)
====================  =================================================================

Resources: ``alc://strategies/{name}`` (a strategy's Lua source) and ``alc://types/alc.d.lua``.
Run it with ``alc mcp`` or ``python -m alc.mcp``; see docs/mcp.md.
"""

from __future__ import annotations

from alc.mcp._server import SERVER_NAME, TOOLS, AlcMCP, create_server

__all__ = ["SERVER_NAME", "TOOLS", "AlcMCP", "create_server", "serve"]


def serve(
    *,
    store: str | None = None,
    sampling: bool = False,
    client: str = "mcp",
    profile: str = "default",
) -> None:
    """Serve MCP over stdio until the client closes the connection (blocking).

    Args:
        store: SQLite journal path or ``postgresql://`` URL (default ``$ALC_STORE`` or
            ``$ALC_HOME/sessions.db``).
        sampling: resolve ``alc.llm`` through the client's LLM when it supports sampling.
        client: the thought-chain client name (whose default chain ``sequentialthinking`` uses).
        profile: ``default`` (alc's compact tools) or ``algocline`` (algocline's 61 tool names).
    """
    import os

    store = store or os.environ.get("ALC_STORE") or None
    create_server(store=store, sampling=sampling, client=client, profile=profile).run("stdio")
