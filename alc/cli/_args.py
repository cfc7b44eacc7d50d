"""The CLI's typer-free helpers: option text into values, and the engine every command opens.

Only the standard library is imported here (the engine inside :func:`open_engine`), so the
``alc continue`` fast path (:mod:`alc.cli._fast`) and ``--help`` stay fast; the typer
annotations of the shared options live in :mod:`alc.cli._options`, which re-exports these.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alc.cli._output import settings

if TYPE_CHECKING:
    from alc._api import Engine

__all__ = [
    "apply_output",
    "open_engine",
    "parse_json_arg",
    "parse_limits",
    "read_file",
    "read_text_arg",
    "store_path",
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


def open_engine(*, durable: bool = True, pool: bool = False) -> Engine:
    """The engine over the durable store every CLI call shares (``durable=False``: an engine
    that opens no store, for the commands that touch no session: strategies, info).

    Where strategies run, unless ``ALC_EXECUTOR`` (``inline`` / ``process``) says otherwise:

    - by default, in the CLI's own process, on the inline executor with its watchdog (each step
      on a helper thread, abandoned with ``timeout`` one second past its deadline, so a reply
      comes back on time even from a step stuck in one long C call; memory capped by the Lua
      allocator). A CLI call is one short process that restores its session by replay: a
      worker process would only replay it again, step by step over a pipe, for one answer.
    - ``pool=True`` (``alc eval run`` / ``regrade``: many sessions in one call): the process
      executor's supervised workers (limits also enforced from outside the VM, a crash fails
      only the step in flight).

    ``ALC_EXECUTOR=inline`` always gets the watchdog here, whatever the inline executor's own
    default.

    Raises:
        ValueError: ``ALC_EXECUTOR`` names no executor.
    """
    from alc._api import Engine
    from alc.engine.executor import Executor, InlineExecutor, make_executor

    store = store_path() if durable else None
    spec = os.environ.get("ALC_EXECUTOR") or ("process" if pool else "inline")
    executor: Executor = InlineExecutor(watchdog=True) if spec == "inline" else make_executor(spec)
    return Engine(store=store, executor=executor)


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
