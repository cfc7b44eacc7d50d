"""``alc run``, ``alc continue`` and ``alc cancel``: the commands that move a session.

Each parses its arguments, makes one engine call (or, with ``--llm``, drives the session to its
end with a responder) and prints the reply. Exit codes: see :mod:`alc.cli._output`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from alc.cli._args import (
    apply_output,
    open_engine,
    parse_json_arg,
    parse_limits,
    read_file,
    read_text_arg,
)
from alc.cli._continue import continue_session, finish, responder_for
from alc.cli._options import OutputOpt, SessionArg
from alc.cli._output import EXIT_CODES_HELP, emit, exit_code_for_reply

__all__ = ["register"]

LlmOpt = Annotated[
    str | None,
    typer.Option(
        "--llm",
        metavar="SPEC",
        help="Drive the session to its end with a responder: interactive, 'cmd:<shell command>', "
        "openai:<model>, scripted:<file.json>, local[:<model.gguf>].",
        show_default=False,
    ),
]


def run(
    target: Annotated[
        str | None,
        typer.Argument(
            help="A strategy name (built-in or installed) or a .lua file.", show_default=False
        ),
    ] = None,
    code: Annotated[
        str | None,
        typer.Option(
            "--code", help="Inline Lua instead of TARGET ('-' reads stdin).", show_default=False
        ),
    ] = None,
    task: Annotated[
        str | None,
        typer.Option("--task", "-t", help="The task (sets ctx.task).", show_default=False),
    ] = None,
    ctx: Annotated[
        str | None,
        typer.Option(
            "--ctx",
            metavar="JSON|@FILE",
            help="The ctx object: inline JSON, @file.json or - (stdin).",
            show_default=False,
        ),
    ] = None,
    llm: LlmOpt = None,
    limit: Annotated[
        list[str] | None,
        typer.Option(
            "--limit",
            metavar="KEY=VALUE",
            help="Sandbox limit for this session (max_memory, max_instructions, "
            "max_step_seconds, lua_version); repeatable.",
            show_default=False,
        ),
    ] = None,
    output: OutputOpt = None,
) -> int:
    """Start a session and print its first pause (or, with --llm, drive it to the end).

    Examples:

        alc run cot --task "Why is the sky blue?"

        alc run ./my_strategy.lua --ctx '{"task": "...", "n": 3}'

        alc run --code 'return alc.llm("hi")'

        alc run sc --task "17 * 23?" --llm 'cmd:llm -m gpt-4o-mini'
    """
    apply_output(output)
    source, strategy = _source(target, code)
    context = parse_json_arg(ctx, "--ctx") if ctx is not None else None
    responder = responder_for(llm)
    engine = open_engine()
    outcome = engine.start(
        source, strategy=strategy, ctx=context, task=task, limits=parse_limits(limit)
    )
    return finish(engine, outcome, responder, llm)


def continue_(
    session_id: SessionArg,
    response: Annotated[
        str | None,
        typer.Argument(
            help="The answer text, or - to read it from stdin.",
            show_default=False,
            metavar="[RESPONSE|-]",
        ),
    ] = None,
    query_id: Annotated[
        str | None,
        typer.Option(
            "--query-id",
            "-q",
            help="Which query RESPONSE answers (needed when several are pending).",
            show_default=False,
        ),
    ] = None,
    responses: Annotated[
        str | None,
        typer.Option(
            "--responses",
            metavar="JSON|@FILE",
            help='Several answers at once: {"q-3": "...", "q-4": {"text": "...", "usage": {...}}}'
            ' or [{"query_id": "q-3", "response": "..."}, ...] (as alc_continue takes them).',
            show_default=False,
        ),
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file", "-f", help="Read the answer text from this file.", show_default=False
        ),
    ] = None,
    usage: Annotated[
        str | None,
        typer.Option(
            "--usage",
            metavar="JSON",
            help='Real token usage of the answer: {"prompt_tokens": n, "response_tokens": m}.',
            show_default=False,
        ),
    ] = None,
    llm: LlmOpt = None,
    output: OutputOpt = None,
) -> int:
    """Answer a paused session and print the next reply (with --llm, drive it to the end).

    Examples:

        alc continue s-... "Paris"

        echo "a long answer" | alc continue s-... -

        alc continue s-... --responses '{"q-3": "yes", "q-4": "no"}'

        alc continue s-... --llm interactive
    """
    return continue_session(
        session_id,
        response,
        query_id=query_id,
        responses=responses,
        file=file,
        usage=usage,
        llm=llm,
        output=output,
    )


def cancel(session_id: SessionArg, output: OutputOpt = None) -> int:
    """Cancel a paused session (it stays readable with `alc show`)."""
    apply_output(output)
    reply = open_engine().cancel(session_id).wire()
    emit(reply)
    return exit_code_for_reply(reply)


def delete(session_id: SessionArg, output: OutputOpt = None) -> int:
    """Delete a session and its whole journal (its transcript is gone afterwards)."""
    apply_output(output)
    engine = open_engine()
    session_id = engine.session_service.resolve(session_id)  # `last` -> its id, for the reply
    if not engine.delete(session_id):
        from alc.engine.errors import SessionNotFound

        raise SessionNotFound(session_id)
    reply = {"deleted": True, "session_id": session_id, "status": "deleted"}
    emit(reply)
    return 0


def _source(target: str | None, code: str | None) -> tuple[str | None, str | None]:
    """``(code, strategy)`` from TARGET / --code. Neither or both go to the engine as given, which
    refuses them with the message every front end shares."""
    if target is not None and code is not None:
        return code, target
    if code is not None:
        return read_text_arg(code, "--code") if code == "-" else code, None
    if target is not None and (target.endswith(".lua") or Path(target).is_file()):
        return read_file(target, "TARGET"), None
    return None, target


def register(app: typer.Typer) -> None:
    """Add run, continue, cancel and delete to ``app``."""
    app.command(epilog=EXIT_CODES_HELP)(run)
    app.command("continue", epilog=EXIT_CODES_HELP)(continue_)
    app.command(epilog=EXIT_CODES_HELP)(cancel)
    app.command(epilog=EXIT_CODES_HELP)(delete)
