"""The typer annotations of the options and arguments shared by several commands.

Only ``typer`` and :mod:`alc.cli._args` (the typer-free helpers that turn option text into
values) are imported; the engine is imported inside :func:`~alc.cli._args.open_engine`, so
parsing and ``--help`` stay fast.
"""

from __future__ import annotations

from typing import Annotated

import typer

from alc.cli._args import open_engine

__all__ = ["OutputOpt", "SessionArg", "complete_session"]

OutputOpt = Annotated[
    bool | None,
    typer.Option(
        "--json/--pretty",
        help="Force JSON (one object per reply) or rich output. Default: JSON unless stdout "
        "is a terminal.",
        show_default=False,
    ),
]
"""``--json/--pretty`` on every command (the same flag is accepted before the command)."""


def complete_session(incomplete: str) -> list[tuple[str, str]]:
    """Shell completion of a session id: ``last`` and the store's 20 most recently updated
    sessions (id, with state and strategy as help) that start with ``incomplete``. Never
    raises: a store that cannot be read completes ``last`` only."""
    found: list[tuple[str, str]] = [("last", "the most recently updated session")]
    try:
        engine = open_engine()
        try:
            for snap in engine.sessions(None, 20):
                found.append((snap.session_id, f"{snap.state} {snap.strategy or '(code)'}"))
        finally:
            engine.close()
    except Exception:  # completion must never print a traceback into the shell
        pass
    return [(value, help_) for value, help_ in found if value.startswith(incomplete)]


SessionArg = Annotated[
    str,
    typer.Argument(
        help="The session id (s-...), as printed by `alc run`, or `last`: the most recently "
        "updated session of the store.",
        show_default=False,
        autocompletion=complete_session,
    ),
]
