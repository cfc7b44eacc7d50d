"""``alc ui``: the session inspector on 127.0.0.1, over the CLI's store (:mod:`alc.inspector`)."""

from __future__ import annotations

from typing import Annotated

import typer


def ui(
    port: Annotated[
        int, typer.Option("--port", help="TCP port on 127.0.0.1 (0: any free port).")
    ] = 8766,
    open_browser: Annotated[
        bool, typer.Option("--open", help="Open the page in the default web browser.")
    ] = False,
) -> int:
    """Serve the session inspector on 127.0.0.1 and print its URL (Ctrl-C stops it).

    Read-only pages over the store (`alc --store` / ALC_STORE, else $ALC_HOME/sessions.db):
    sessions with their prompts, answers, logs and results, live while they run; eval runs with
    charts; cards with lineage. Only this machine can reach it; `alc serve` serves the same
    pages at /ui/ behind its bearer tokens.
    """
    import socket
    import sys
    import webbrowser

    import uvicorn

    from alc._api import AsyncEngine
    from alc.cli._args import store_path
    from alc.engine.errors import InvalidInput
    from alc.engine.executor import InlineExecutor
    from alc.inspector import standalone_app

    if not 0 <= port <= 65535:
        raise InvalidInput(f"--port {port} is not a TCP port (0 to 65535).")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError as exc:
        sock.close()
        raise InvalidInput(
            f"Cannot listen on 127.0.0.1:{port} ({exc.strerror}); pick another --port."
        ) from None
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/ui/"
    # the pages only read: no strategy runs here, so the in-process executor is enough
    engine = AsyncEngine(store_path(), executor=InlineExecutor())
    print(f"alc inspector: {url}  (Ctrl-C to stop)", file=sys.stderr, flush=True)
    print(url, flush=True)
    if open_browser:
        webbrowser.open(url)
    config = uvicorn.Config(standalone_app(engine), log_level="warning", lifespan="on")
    uvicorn.Server(config).run(sockets=[sock])
    return 0


def register(app: typer.Typer) -> None:
    """Add ``ui`` to ``app``."""
    app.command()(ui)
