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
``register(app: typer.Typer) -> None`` and add its module name to
:data:`alc.cli._app.COMMAND_MODULES`. Keep heavy imports (the engine, rich, pydantic, SDKs)
inside the command functions: every CLI call is a new process, and ``alc continue`` must start
fast.

This package imports neither typer nor the engine: :data:`app` (``alc.cli._app``) is built on
first access. :func:`run` first offers the command line to the fast path
(:mod:`alc.cli._fast`), which takes the usual shapes of ``alc continue`` and runs the very
function typer's ``continue`` calls (:func:`alc.cli._continue.continue_session`), with the same
output and exit codes; every other command line goes to typer.

Output and exit codes are described in :mod:`alc.cli._output`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from alc.cli._output import EXIT_INTERRUPTED

if TYPE_CHECKING:
    from alc.cli._app import COMMAND_MODULES, app

__all__ = ["COMMAND_MODULES", "app", "main", "run"]


def __getattr__(name: str) -> Any:
    """:data:`app` and :data:`COMMAND_MODULES`, from :mod:`alc.cli._app` on first access (PEP
    562), so that ``import alc.cli`` imports no typer.

    Raises:
        AttributeError: ``name`` is not in this module.
    """
    if name in ("app", "COMMAND_MODULES"):
        from alc.cli import _app

        value = getattr(_app, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'alc.cli' has no attribute {name!r}")


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
    args = list(sys.argv[1:] if argv is None else argv)
    if not args and not sys.stdin.isatty() and "_ALC_COMPLETE" not in os.environ:
        # algocline's host config {"command": "alc"}: serve its MCP surface over stdio (a shell
        # asking for completions also runs bare `alc` on a pipe, with _ALC_COMPLETE set)
        args = ["mcp", "--profile", "algocline"]
    from alc.cli._fast import parse_continue

    fast = parse_continue(args)
    if fast is not None:
        from alc.cli._fast import run_continue

        return _guarded(lambda: run_continue(fast))
    return _run_typer(args)


def _run_typer(args: list[str]) -> int:
    """Parse and run ``args`` with the typer application (every command line but the fast
    path's)."""
    import typer

    from alc.cli import _output
    from alc.cli._app import app_for

    command = typer.main.get_command(app_for(args))

    def invoke() -> int:
        try:
            result = command.main(args=args, prog_name="alc", standalone_mode=False)
        except typer.Abort:
            return EXIT_INTERRUPTED
        except typer.TyperException as exc:  # click's UsageError & co: bad command line
            format_message = getattr(exc, "format_message", None)
            return _output.usage_error(format_message() if callable(format_message) else str(exc))
        return result if isinstance(result, int) else 0

    return _guarded(invoke)


def _guarded(invoke: Callable[[], int]) -> int:
    """``invoke()``, with its errors turned into exit codes (see :func:`main`)."""
    from alc.cli import _output
    from alc.cli._drive import Interrupted
    from alc.engine.errors import AlcError

    try:
        return invoke()
    except AlcError as exc:
        return _output.fail(exc)
    except Interrupted as exc:
        return _interrupted(exc.session_id, exc.spec)
    except Exception as exc:  # the safety net: a bug is an internal_error, never a traceback
        return _output.internal_error(exc)


def _interrupted(session_id: str, spec: str) -> int:
    """Ctrl-C while driving: print where the session stands and how to continue it."""
    import shlex

    from alc.cli import _output
    from alc.cli._args import open_engine

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
