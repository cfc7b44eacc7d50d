"""The fast path of ``alc continue``: its usual command lines, parsed without typer.

A cold ``alc continue`` is the CLI's hot command (one process per answer); importing typer and
building its click command (typer builds a pydantic ``TypeAdapter`` per parameter) cost more
than the rest of the call. :func:`parse_continue` takes the command lines whose meaning is
plain and returns ``None`` for every other one, which then goes to typer unchanged:

    alc [--store PATH|URL | --store=PATH|URL] [--json | --pretty] continue SESSION [RESPONSE|-]
        [--query-id|-q ID] [--responses JSON|@FILE|-] [--usage JSON] [--llm SPEC]
        [--json | --pretty]

(options after ``continue`` in any order, between or after the arguments, ``--name=value`` or
``--name value``). Anything else goes to typer: ``--help``, ``--version``, ``--file``, an unknown
or repeated option, ``--``, a value or argument that starts with ``-`` (other than ``-``
itself), a missing or extra argument, an argument that is not valid UTF-8, and every call with
``_ALC_COMPLETE`` set (shell completion). :func:`run_continue` then runs the function typer's
command runs (:func:`alc.cli._continue.continue_session`) with the values typer would have
passed, and handles Ctrl-C, end of input and a closed stdout as typer does; the caller
(:func:`alc.cli.run`) turns errors into exit codes for both paths alike. ``tests/cli`` checks
both paths give the same stdout, stderr and exit code over many command lines.
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Sequence
from typing import Any

from alc.cli._output import EXIT_INTERRUPTED, settings

__all__ = ["FastContinue", "parse_continue", "run_continue"]

_GLOBAL_FLAGS = {"--json": True, "--pretty": False}
_VALUE_OPTIONS = {
    "--query-id": "query_id",
    "-q": "query_id",
    "--responses": "responses",
    "--usage": "usage",
    "--llm": "llm",
}


class FastContinue:
    """A parsed ``alc continue`` command line.

    Attributes:
        store: ``--store`` before the command, else ``$ALC_STORE`` if set and not empty, else
            None (as typer's option with its environment variable).
        json: the ``--json/--pretty`` given before the command, else None.
        arguments: SESSION and RESPONSE (one or two strings).
        options: the command's options by parameter name (``query_id``, ``responses``,
            ``usage``, ``llm``, ``output``).
    """

    __slots__ = ("arguments", "json", "options", "store")

    def __init__(
        self,
        store: str | None = None,
        json: bool | None = None,
        arguments: list[str] | None = None,
        options: dict[str, Any] | None = None,
    ) -> None:
        self.store = store
        self.json = json
        self.arguments: list[str] = [] if arguments is None else arguments
        self.options: dict[str, Any] = {} if options is None else options

    def _fields(self) -> tuple[Any, ...]:
        return (self.store, self.json, self.arguments, self.options)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FastContinue):
            return NotImplemented
        return self._fields() == other._fields()

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        store, json, arguments, options = self._fields()
        return f"FastContinue({store=!r}, {json=!r}, {arguments=!r}, {options=!r})"


def parse_continue(args: Sequence[str]) -> FastContinue | None:
    """``args`` as a :class:`FastContinue`, or None when typer must parse them (see above)."""
    if "_ALC_COMPLETE" in os.environ or not all(_plain(arg) for arg in args):
        return None
    parsed = FastContinue()
    rest = list(args)
    if not _global_options(rest, parsed) or rest[:1] != ["continue"]:
        return None
    del rest[0]
    while rest:
        arg = rest.pop(0)
        if arg == "-" or not arg.startswith("-"):
            parsed.arguments.append(arg)
        elif not _command_option(arg, rest, parsed.options):
            return None
    if not 1 <= len(parsed.arguments) <= 2:
        return None
    if parsed.store is None:
        parsed.store = os.environ.get("ALC_STORE") or None
    return parsed


def _plain(arg: str) -> bool:
    """Whether ``arg`` is valid UTF-8 text (an argument that was not is left to typer)."""
    try:
        arg.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _global_options(rest: list[str], parsed: FastContinue) -> bool:
    """Consume the options before the command word; False for one typer must see."""
    seen: set[str] = set()
    while rest and rest[0].startswith("-"):
        arg = rest.pop(0)
        name, eq, value = arg.partition("=")
        if name == "--store":
            if not eq:
                if not rest or _looks_like_option(rest[0]):
                    return False
                value = rest.pop(0)
            parsed.store = value
        elif arg in _GLOBAL_FLAGS:
            name, parsed.json = "output", _GLOBAL_FLAGS[arg]
        else:
            return False
        if name in seen:
            return False
        seen.add(name)
    return True


def _command_option(arg: str, rest: list[str], options: dict[str, Any]) -> bool:
    """Consume one option of ``continue`` into ``options``; False for one typer must see."""
    value: str | bool
    if arg in _GLOBAL_FLAGS:
        key, value = "output", _GLOBAL_FLAGS[arg]
    else:
        name, eq, text = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        key = _VALUE_OPTIONS.get(name, "")
        if not key:
            return False
        if not eq:
            if not rest or _looks_like_option(rest[0]):
                return False
            text = rest.pop(0)
        value = text
    if key in options:
        return False
    options[key] = value
    return True


def _looks_like_option(value: str) -> bool:
    return value.startswith("-") and value != "-"


def run_continue(parsed: FastContinue) -> int:
    """Run ``alc continue`` as typer would with these values; returns the exit code.

    As typer's command runner: end of input prints a newline on stderr and gives 130, Ctrl-C
    gives 130, a closed stdout (``EPIPE``) exits 1 quietly.

    Raises:
        AlcError, Interrupted, Exception: as :func:`alc.cli._continue.continue_session`
            (:func:`alc.cli.run` turns them into exit codes).
        SystemExit: stdout was closed.
    """
    from alc.cli._continue import continue_session

    settings.store, settings.json = parsed.store, parsed.json
    try:
        return continue_session(*parsed.arguments, **parsed.options)
    except EOFError:
        sys.stderr.write("\n")
        sys.stderr.flush()
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except OSError as exc:
        if exc.errno != errno.EPIPE:
            raise
        _quiet_stdout()
        sys.exit(1)


def _quiet_stdout() -> None:
    """After ``EPIPE``: point stdout at /dev/null so that the flush at exit cannot fail."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout has no descriptor (replaced in process)
        pass
    finally:
        os.close(devnull)
