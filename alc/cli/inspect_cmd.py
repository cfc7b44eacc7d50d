"""``alc status``, ``alc sessions`` and ``alc show``: read-only views of the store.

They never change a session and always exit 0 on a valid reply (even for a failed session:
reporting a failure is a valid reply); 2 when the request is wrong (unknown or malformed id).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from alc.cli._args import apply_output, open_engine
from alc.cli._options import OutputOpt, SessionArg, complete_session
from alc.cli._output import EXIT_OK, emit

__all__ = ["register"]


def status(
    session_id: Annotated[
        str | None,
        typer.Argument(
            help="A session id, or `last` (the most recently updated session); without it, the "
            "active sessions.",
            show_default=False,
            autocompletion=complete_session,
        ),
    ] = None,
    output: OutputOpt = None,
) -> int:
    """Show a session's state, pending queries, progress and recent log.

    Without SESSION_ID, lists the active (paused or running) sessions, like `alc sessions`.
    """
    apply_output(output)
    found = open_engine().status(session_id)
    if isinstance(found, list):
        emit({"sessions": [s.wire() for s in found]}, "sessions")
    else:
        emit(found.wire(), "snapshot")
    return EXIT_OK


def sessions(
    all_: Annotated[
        bool, typer.Option("--all", "-a", help="Every state, not only paused and running.")
    ] = False,
    state: Annotated[
        list[str] | None,
        typer.Option(
            "--state",
            "-s",
            help="Only sessions in this state (running, paused, completed, failed or "
            "cancelled: alc.SessionState); repeatable.",
            show_default=False,
        ),
    ] = None,
    count: Annotated[
        int, typer.Option("--count", "-n", min=1, help="At most this many, newest first.")
    ] = 50,
    strategy: Annotated[
        str | None,
        typer.Option(
            "--strategy", help="Only sessions of this strategy (e.g. thinking).", show_default=False
        ),
    ] = None,
    output: OutputOpt = None,
) -> int:
    """List the sessions of the store, most recently updated first.

    JSON: {"sessions": [<snapshot>, ...]}; a table when printed to a terminal.
    """
    from alc.engine.protocol import ACTIVE_STATES

    apply_output(output)
    states = state or (None if all_ else sorted(ACTIVE_STATES))  # the engine checks the names
    found = open_engine().sessions(states, count, strategy)
    emit({"sessions": [s.wire() for s in found]}, "sessions")
    return EXIT_OK


def show(session_id: SessionArg, output: OutputOpt = None) -> int:
    """Show a session's transcript: ctx, every prompt and answer, and the result.

    JSON: {"session_id", "state", "strategy", "code", "ctx", "entries": [{"query", "answer",
    "usage"}, ...], "pending", "outcome", "progress", "log", "llm_calls", "created_at",
    "updated_at"}.
    """
    apply_output(output)
    transcript = open_engine().transcript(session_id)
    reply: dict[str, Any] = transcript.summary.wire()
    reply.update(code=transcript.code, ctx=transcript.ctx, entries=list(transcript.entries))
    emit(reply, "transcript")
    return EXIT_OK


def register(app: typer.Typer) -> None:
    """Add status, sessions and show to ``app``."""
    app.command()(status)
    app.command()(sessions)
    app.command()(show)
