"""Options shared by several commands, and the helpers that turn their text into values.

Only ``typer`` and the standard library are imported here; the engine is imported inside
:func:`open_engine`, so parsing and ``--help`` stay fast.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from alc.cli._output import settings

if TYPE_CHECKING:
    from alc._api import Engine

__all__ = [
    "OutputOpt",
    "SessionArg",
    "apply_output",
    "complete_session",
    "open_engine",
    "parse_json_arg",
    "read_text_arg",
    "store_path",
]

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


def apply_output(flag: bool | None) -> None:
    """Record a command's ``--json/--pretty`` (it wins over the global flag)."""
    if flag is not None:
        settings.json = flag


def store_path() -> str:
    """The store: ``--store`` (a SQLite path or a ``postgresql://`` URL), else the API's default
    (``ALC_STORE``, else ``$ALC_HOME/sessions.db``: :meth:`alc.Engine.default_store_path`)."""
    if settings.store:
        return settings.store
    from alc._api import default_store_path

    return default_store_path()


def open_engine(*, durable: bool = True) -> Engine:
    """The engine over the durable store every CLI call shares (``durable=False``: an engine
    that opens no store, for the commands that touch no session: strategies, info).

    Strategies run on the process executor (``ALC_EXECUTOR=inline`` to run them in the CLI's
    own process), so every limit holds from outside the VM and a reply always comes back.
    """
    from alc._api import Engine
    from alc.engine.executor import make_executor

    store = store_path() if durable else None
    return Engine(store=store, executor=make_executor(None, default="process"))


def read_text_arg(value: str, what: str) -> str:
    """Read ``-`` (stdin), ``@path`` (a file) or the literal text.

    Raises:
        InvalidInput: the file cannot be read.
    """
    if value == "-" or value == "@-":
        return sys.stdin.read()
    if value.startswith("@"):
        return read_file(value[1:], what)
    return value


def read_file(path: str, what: str) -> str:
    """The text of ``path`` (UTF-8).

    Raises:
        InvalidInput: missing or unreadable file (the message names the option).
    """
    from alc.engine.errors import InvalidInput

    try:
        return Path(path).expanduser().read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{what}: cannot read {path!r}: {exc}.") from None


def parse_json_arg(value: str, what: str) -> Any:
    """Parse an option given as inline JSON, ``@file.json`` or ``-`` (stdin).

    Raises:
        InvalidInput: unreadable file or invalid JSON (the message names the option).
    """
    from alc.engine.errors import InvalidInput

    text = read_text_arg(value, what)
    try:
        return json.loads(text)
    except RecursionError:
        raise InvalidInput(f"{what} nests too deeply to be read; flatten it.") from None
    except ValueError as exc:  # JSONDecodeError, or an integer of more than 4300 digits
        raise InvalidInput(f"{what} is not valid JSON ({exc}): {text[:80]!r}.") from None


def parse_limits(items: list[str] | None) -> dict[str, Any] | None:
    """``--limit key=value`` pairs as a dict; values are JSON when they parse, else strings.

    Raises:
        InvalidInput: an item without ``=``, or a value JSON cannot hold (a number of thousands
            of digits). (Unknown keys and bad values are refused by the engine, which knows
            the limits.)
    """
    from alc.engine.errors import InvalidInput

    if not items:
        return None
    limits: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise InvalidInput(
                f"--limit {item!r}: expected key=value, e.g. --limit max_step_seconds=30."
            )
        try:
            limits[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            limits[key.strip()] = raw
        except (ValueError, RecursionError) as exc:  # a number of > 4300 digits, deep nesting
            raise InvalidInput(f"--limit {key.strip()}: cannot read the value ({exc}).") from None
    return limits
