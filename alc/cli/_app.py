"""The typer application of ``alc``: :data:`app`, its global options and its commands.

Imported by :func:`alc.cli.run` for every command line the fast path (:mod:`alc.cli._fast`)
does not take, and by ``alc.cli.app`` (tests, documentation tools). Building it imports typer
and registers every module of :data:`alc.cli.COMMAND_MODULES`.
"""

from __future__ import annotations

import copy
import importlib
from collections.abc import Sequence
from typing import Annotated

import typer

from alc.cli._options import OutputOpt
from alc.cli._output import EXIT_CODES_HELP, settings

__all__ = ["COMMAND_MODULES", "app", "app_for"]

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


def app_for(args: Sequence[str]) -> typer.Typer:
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
