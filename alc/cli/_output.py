"""Where every reply and every error leaves the CLI: JSON on stdout, or rich for humans.

The rules, stated once:

- **Mode.** JSON (one compact object per reply, the wire format, keys sorted) when stdout is not
  a terminal; rich rendering when it is. ``--json`` / ``--pretty`` override.
- **Exit codes** (:func:`exit_code_for_error`, :func:`exit_code_for_reply`)::

      0    a valid reply: the session paused, accepted answers, completed, or was cancelled
      1    the session failed (lua_error, budget_exceeded, timeout, memory_limit,
           replay_diverged, source_changed)
      2    bad request: usage, invalid input, unknown session or query, conflict, ...
      3    the --llm responder failed (bad spec, the model or command failed);
           the session, if any, is left paused
      70   internal error: a bug in alc (``internal_error``; ALC_TRACEBACK=1 shows it)
      130  interrupted (Ctrl-C); the session is left paused

- **Errors.** :func:`fail` is the one place an :class:`~alc.AlcError` becomes an exit code, a
  JSON error object on stdout (JSON mode) and a readable line on stderr (always).
  :func:`internal_error` does the same for any other exception (``error_code``
  ``internal_error``, exit 70): a bug, reported without a traceback. ``ALC_TRACEBACK=1``
  re-raises instead, for debugging.
- **Terminal safety.** Strategy-controlled text never reaches a terminal raw: :func:`visible`
  (from :mod:`alc._text`, shared with the ``interactive`` responder)
  shows control characters (ESC, BEL, CR, DEL, the C1 range such as CSI ``\x9b``, bidi
  overrides) as escapes like ``\x1b``, in pretty output and in every stderr line; JSON output
  escapes the same characters as ``\u001b`` (the same JSON value).

This module stays cheap to import (no rich, no pydantic): rendering imports :mod:`alc.cli._render`
only in pretty mode.
"""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Any

from alc._text import json_safe, visible, visible_tree

if TYPE_CHECKING:
    from alc.engine.errors import AlcError

__all__ = [
    "EXIT_BAD_REQUEST",
    "EXIT_FAILED",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_RESPONDER",
    "Settings",
    "emit",
    "exit_code_for_error",
    "exit_code_for_reply",
    "fail",
    "internal_error",
    "json_mode",
    "note",
    "settings",
    "visible",
    "visible_tree",
]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_REQUEST = 2
EXIT_RESPONDER = 3
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130

EXIT_CODES_HELP = (
    "Exit codes: 0 a valid reply (paused, accepted, completed, cancelled); "
    "1 the session failed (lua_error, budget_exceeded, timeout, ...); "
    "2 bad request (usage, unknown session or query, conflict, ...); "
    "3 the --llm responder failed (the session stays paused); "
    "70 internal error (a bug; ALC_TRACEBACK=1 shows it); "
    "130 interrupted (the session stays paused)."
)


class Settings:
    """Process-wide CLI options, set by the global callback and by per-command flags.

    Attributes:
        json: True for ``--json``, False for ``--pretty``, None to decide by ``isatty``.
        store: the ``--store`` path, or None (``ALC_STORE``, then ``$ALC_HOME/sessions.db``).
    """

    __slots__ = ("json", "store")

    def __init__(self, json: bool | None = None, store: str | None = None) -> None:
        self.json = json
        self.store = store


settings = Settings()
"""The options of this invocation (one CLI call = one process = one settings object)."""


def json_mode() -> bool:
    """True when replies are printed as JSON (forced, or stdout is not a terminal)."""
    if settings.json is not None:
        return settings.json
    return not sys.stdout.isatty()


def dumps(obj: Any) -> str:
    """The wire encoding (as :func:`alc.engine.protocol.dumps`, without importing pydantic),
    with terminal control characters that JSON leaves raw (DEL, C1, bidi) escaped as ``\\uXXXX``.
    """
    text = json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return json_safe(text)


def emit(reply: dict[str, Any], kind: str = "outcome") -> None:
    """Print one reply: a JSON line, or a rich rendering chosen by ``kind``.

    Args:
        reply: the JSON-ready object (wire shape).
        kind: which pretty renderer to use (``outcome``, ``snapshot``, ``sessions``,
            ``transcript``, ``strategies``, ``strategy``, ``info``); JSON mode ignores it.
    """
    if json_mode():
        sys.stdout.write(dumps(reply) + "\n")
        sys.stdout.flush()
        if kind == "outcome" and reply.get("status") == "error":
            note(f"alc: session failed [{reply.get('error_code')}]: {reply.get('error')}")
        return
    from alc.cli import _render

    _render.render(kind, reply)


def note(message: str) -> None:
    """A line for humans on stderr (hints, interruptions); never on stdout. Control characters
    are shown as escapes (:func:`visible`): messages carry strategy-controlled text."""
    sys.stderr.write(visible(message.rstrip("\n")) + "\n")
    sys.stderr.flush()


def exit_code_for_reply(reply: dict[str, Any]) -> int:
    """0 for every valid reply, 1 when it reports a failed session (``status == "error"``)."""
    return EXIT_FAILED if reply.get("status") == "error" else EXIT_OK


def exit_code_for_error(exc: AlcError) -> int:
    """The exit code of an error: 2 request, 1 session, 3 responder (see the module docstring)."""
    from alc.engine.errors import RequestError, SessionError

    if isinstance(exc, RequestError):
        return EXIT_BAD_REQUEST
    if isinstance(exc, SessionError):
        return EXIT_FAILED
    if exc.error_code == "responder_failed":
        return EXIT_RESPONDER
    return EXIT_BAD_REQUEST


def fail(exc: AlcError) -> int:
    """Report ``exc`` (JSON on stdout in JSON mode, one line on stderr) and return its exit code.

    Raises:
        AlcError: ``exc`` itself when ``ALC_TRACEBACK=1`` is set.
    """
    if _traceback_wanted():
        raise exc
    _report(exc.to_wire(), _next_step_hint(exc))
    return exit_code_for_error(exc)


_CLI_NEXT_STEPS = {
    "read_status": "alc status {sid}",
    "list_sessions": "alc sessions",
    "list_strategies": "alc strategies",
    "start_new_session": "alc run ...",
    "delete_session": "alc delete {sid}",
    "fix_store": "alc info (shows the store path; ALC_STORE or --store picks another)",
    "retry": "run the same command again",
}
"""How the CLI words each engine ``next_step`` hint (``alc.engine.errors.NEXT_STEPS``)."""


def _next_step_hint(exc: AlcError) -> str:
    template = _CLI_NEXT_STEPS.get(exc.next_step or "")
    if template is None:
        return ""
    return " (next: " + template.format(sid=exc.session_id or "SESSION_ID") + ")"


def internal_error(exc: BaseException) -> int:
    """Report an unexpected exception (a bug) as ``internal_error``; returns 70.

    The JSON error object goes to stdout in JSON mode, one line to stderr always; no traceback.

    Raises:
        BaseException: ``exc`` itself when ``ALC_TRACEBACK=1`` is set.
    """
    if _traceback_wanted():
        raise exc
    try:
        detail = str(exc)[:500]
    except Exception:  # an exception whose __str__ fails: its type must do
        detail = "(no message)"
    message = (
        f"alc failed unexpectedly ({type(exc).__name__}: {detail}). This is a bug; "
        "run again with ALC_TRACEBACK=1 to see the traceback, and report it."
    )
    _report({"error": message, "error_code": "internal_error", "status": "error"})
    return EXIT_INTERNAL


def usage_error(message: str) -> int:
    """Report a command-line usage error (``error_code`` ``usage_error``); returns 2."""
    _report(
        {"error": message, "error_code": "usage_error", "status": "error"},
        "\nTry 'alc --help' or 'alc COMMAND --help'.",
    )
    return EXIT_BAD_REQUEST


def _traceback_wanted() -> bool:
    return os.environ.get("ALC_TRACEBACK", "") not in ("", "0")


def _report(wire: dict[str, Any], hint: str = "") -> None:
    """An error object: on stdout in JSON mode, and always as one line on stderr."""
    if json_mode():
        sys.stdout.write(dumps(wire) + "\n")
        sys.stdout.flush()
    note(f"alc: error [{wire['error_code']}]: {wire['error']}{hint}")
