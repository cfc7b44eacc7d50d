"""The ``alc`` command line (typer + rich), thin over :class:`alc.Engine`.

Layout: one module per command group, each with ``register(app)``; this module owns the
:data:`app`, the global options and :func:`main`, the one place where errors become exit codes.

=====================  =============================================================
``session_cmd``        run, continue, cancel (the commands that move a session)
``inspect_cmd``        status, sessions, show (read-only views of the store)
``catalog_cmd``        strategies, info
``pkg_cmd``            pkg install / list / remove / link / unlink / doctor / scaffold / test
``eval_cmd``           eval run / compare / list / show / report / regrade
``cards_cmd``          cards list|show|find|samples|alias|lineage (the store's run records)
``mcp_cmd``            mcp (stdio, or ``--transport http``)
``serve_cmd``          serve (streamable HTTP replica; :mod:`alc.mcp._http`)
``ui_cmd``             ui (the session inspector on 127.0.0.1; :mod:`alc.inspector`)
=====================  =============================================================

To add a command group (e.g. ``alc mcp``), write ``alc/cli/<name>_cmd.py`` with a
``register(app: typer.Typer) -> None`` and add its module name to :data:`COMMAND_MODULES`.
Keep heavy imports (the engine, rich, pydantic, SDKs) inside the command functions: every CLI
call is a new process, and ``alc continue`` must start fast.

Output and exit codes are described in :mod:`alc.cli._output`.
"""

from __future__ import annotations

import copy
import importlib
import os
import sys
from collections.abc import Sequence
from typing import Annotated

import typer

from alc.cli._options import OutputOpt
from alc.cli._output import EXIT_CODES_HELP, EXIT_INTERRUPTED, settings

__all__ = ["COMMAND_MODULES", "app", "main"]

COMMAND_MODULES: tuple[str, ...] = (
    "alc.cli.session_cmd",
    "alc.cli.inspect_cmd",
    "alc.cli.catalog_cmd",
    "alc.cli.cards_cmd",
    "alc.cli.mcp_cmd",
    "alc.cli.serve_cmd",
    "alc.cli.ui_cmd",
    "alc.cli.pkg_cmd",
    "alc.cli.eval_cmd",
)
"""Modules whose ``register(app)`` adds commands, in help order."""

app = typer.Typer(
    name="alc",
    help="Run LLM reasoning strategies written in Lua; each alc.llm call pauses the session "
    "until you (or --llm) answer it. Sessions are journaled and continue across processes. "
    "Replies are JSON when stdout is not a terminal.",
    epilog=EXIT_CODES_HELP,
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)
"""The typer application; :func:`main` runs it."""


def _print_version(value: bool) -> None:
    """``--version``: print ``alc <version>`` (the installed distribution's) and exit 0."""
    if not value:
        return
    from importlib.metadata import PackageNotFoundError, version

    try:
        number = version("alc-engine")
    except PackageNotFoundError:  # run from a checkout that is not installed (PYTHONPATH)
        from alc.engine import __version__ as number
    typer.echo(f"alc {number}")
    raise typer.Exit(0)


@app.callback()
def _global_options(
    store: Annotated[
        str | None,
        typer.Option(
            "--store",
            envvar="ALC_STORE",
            metavar="PATH|URL",
            help="The session store: a SQLite file, or a postgresql:// URL (shared by processes "
            "and machines). Default: $ALC_HOME/sessions.db.",
            show_default=False,
        ),
    ] = None,
    output: OutputOpt = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            is_eager=True,
            callback=_print_version,
            help="Print `alc <version>` and exit.",
        ),
    ] = False,
) -> None:
    """Options before the command apply to every command."""
    settings.store = store
    settings.json = output


for _module in COMMAND_MODULES:
    importlib.import_module(_module).register(app)
del _module


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI with ``argv`` (default ``sys.argv[1:]``); exits the process with its code.

    Errors are converted here, once: ``AlcError`` -> JSON error object + stderr line + exit
    code (2 request, 1 session, 3 responder), usage errors -> exit 2, Ctrl-C while driving ->
    the pause it left, a hint on stderr, exit 130, any other exception -> ``internal_error``,
    exit 70, no traceback. ``ALC_TRACEBACK=1`` re-raises.
    """
    code = run(argv)
    sys.exit(code)


def run(argv: Sequence[str] | None = None) -> int:
    """:func:`main` without the ``sys.exit``: returns the exit code."""
    from alc.cli import _output
    from alc.cli._drive import Interrupted
    from alc.engine.errors import AlcError

    args = list(sys.argv[1:] if argv is None else argv)
    if not args and not sys.stdin.isatty() and "_ALC_COMPLETE" not in os.environ:
        # algocline's host config {"command": "alc"}: serve its MCP surface over stdio (a shell
        # asking for completions also runs bare `alc` on a pipe, with _ALC_COMPLETE set)
        args = ["mcp", "--profile", "algocline"]
    command = typer.main.get_command(_app_for(args))
    try:
        result = command.main(args=args, prog_name="alc", standalone_mode=False)
    except AlcError as exc:
        return _output.fail(exc)
    except Interrupted as exc:
        return _interrupted(exc.session_id, exc.spec)
    except typer.Abort:
        return EXIT_INTERRUPTED
    except typer.TyperException as exc:  # click's UsageError & co: bad command line
        format_message = getattr(exc, "format_message", None)
        return _output.usage_error(format_message() if callable(format_message) else str(exc))
    except Exception as exc:  # the safety net: a bug is an internal_error, never a traceback
        return _output.internal_error(exc)
    return result if isinstance(result, int) else 0


def _app_for(args: Sequence[str]) -> typer.Typer:
    """:data:`app` with only the command ``args`` names, else the whole of it.

    Building a click command inspects every command function's signature; one command instead
    of all of them is a large part of a cold ``alc continue``. ``alc --help``, no command, an
    unknown one or ``--help`` before the command get the whole app (the same help and errors).
    """
    name = _command_name(args)
    commands = [
        c
        for c in app.registered_commands
        if name == (c.name or typer.main.get_command_name(getattr(c.callback, "__name__", "")))
    ]
    groups = [g for g in app.registered_groups if name is not None and g.name == name]
    if not commands and not groups:
        return app
    trimmed = copy.copy(app)
    trimmed.registered_commands, trimmed.registered_groups = commands, groups
    return trimmed


def _command_name(args: Sequence[str]) -> str | None:
    """The command word of a command line: the first argument that is not a global option."""
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in ("--help", "-h", "--"):
            return None
        elif arg == "--store":
            skip = True  # its value follows
        elif not arg.startswith("-"):
            return arg
    return None


def _interrupted(session_id: str, spec: str) -> int:
    """Ctrl-C while driving: print where the session stands and how to continue it."""
    import shlex

    from alc.cli import _output
    from alc.cli._options import open_engine

    try:
        reply = open_engine().pending(session_id).wire()
    except Exception:  # the session ended or cannot be read: the hint still holds
        reply = {"session_id": session_id, "status": "interrupted"}
    _output.emit(reply)
    _output.note(
        f"alc: interrupted; session {session_id} is paused. Continue it with\n"
        f"  alc continue {session_id} --llm {shlex.quote(spec)}\n"
        f"or answer it yourself: alc continue {session_id} 'ANSWER'"
    )
    return EXIT_INTERRUPTED
