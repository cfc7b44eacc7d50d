"""``alc continue`` without typer: the command's body, and the reply step ``run`` shares.

:func:`continue_session` is what ``alc continue`` does once its command line is parsed, by typer
(:func:`alc.cli.session_cmd.continue_`) or by the fast path (:mod:`alc.cli._fast`); both call
it with the same values, so the two paths cannot drift. Only the standard library and the
CLI's typer-free modules are imported here; the engine is imported by :func:`open_engine`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from alc.cli._args import apply_output, open_engine, parse_json_arg, read_file, read_text_arg
from alc.cli._output import emit, exit_code_for_reply

if TYPE_CHECKING:
    from pathlib import Path

    from alc._api import Engine
    from alc.engine.protocol import Outcome

__all__ = ["continue_session", "finish", "responder_for"]


def continue_session(
    session_id: str,
    response: str | None = None,
    *,
    query_id: str | None = None,
    responses: str | None = None,
    file: Path | None = None,
    usage: str | None = None,
    llm: str | None = None,
    output: bool | None = None,
) -> int:
    """Answer a paused session, print the next reply (with ``llm``, drive it to the end).

    Args:
        session_id: the session id or ``last``.
        response: the answer text, or ``-`` to read it from stdin.
        query_id / responses / file / usage / llm / output: the values of ``--query-id``,
            ``--responses`` (JSON text, ``@file`` or ``-``), ``--file``, ``--usage`` (JSON),
            ``--llm`` and ``--json/--pretty``.

    Returns:
        The exit code of the reply (:func:`alc.cli._output.exit_code_for_reply`).

    Raises:
        AlcError: a bad request or an engine error (the caller turns it into an exit code).
        Interrupted: Ctrl-C while driving with ``llm``.
    """
    from alc.engine.errors import InvalidInput

    apply_output(output)
    if response is not None and file is not None:
        raise InvalidInput("Give the answer either as RESPONSE or with --file, not both.")
    text: str | None = None
    if file is not None:
        text = read_file(str(file), "--file")
    elif response is not None:
        text = read_text_arg(response, "RESPONSE") if response == "-" else response
    batch = parse_json_arg(responses, "--responses") if responses is not None else None
    usage_value = parse_json_arg(usage, "--usage") if usage is not None else None
    responder = responder_for(llm)
    engine = open_engine()
    outcome: Outcome
    if llm is not None and (text, query_id, batch, usage_value) == (None, None, None, None):
        outcome = engine.pending(session_id)  # --llm alone: drive on from the pending queries
    else:  # the engine checks the answers (nothing to feed, answered twice, bad usage, ...)
        outcome = engine.feed(
            session_id, text, query_id=query_id, responses=batch, usage=usage_value
        )
    return finish(engine, outcome, responder, llm)


def responder_for(spec: str | None) -> Any:
    """Build the ``--llm`` responder before touching the session, so a bad spec changes nothing."""
    if spec is None:
        return None
    from alc.cli._drive import build_responder

    return build_responder(spec)


def finish(engine: Engine, outcome: Outcome, responder: Any, spec: str | None) -> int:
    """Drive on when a responder was given, then print the reply and return its exit code."""
    if responder is not None and spec is not None:
        from alc.cli._drive import drive

        outcome = drive(engine, outcome, responder, spec)
    reply = outcome.wire()
    emit(reply)
    return exit_code_for_reply(reply)
