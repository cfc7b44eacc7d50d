"""Terminal-safe text: the one place that decides which characters may reach a terminal raw.

Strategy-controlled text (prompts, log lines, progress messages, results) is shown by the CLI
and by the ``interactive`` responder; neither may let it act on the terminal. :func:`visible`
shows control characters (ESC, BEL, CR, DEL, the C1 range such as CSI ``\\x9b``, bidi overrides
and isolates, lone surrogates) as escapes like ``\\x1b``; :func:`json_safe` escapes the same
characters in JSON text as ``\\u001b`` (the same JSON value). Standard library only, so every
layer may import it.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["json_safe", "visible", "visible_tree"]

# control characters a terminal may act on: C0 (json.dumps escapes these itself), DEL, C1
# (0x9b is CSI on 8-bit terminals), the bidi overrides and isolates that reorder a line; and
# lone surrogates, which cannot be written to a UTF-8 stream at all. Matched by a character
# class (a translation table of the 2,100 code points cost a cold CLI call about 1 ms to build).
_JSON_UNSAFE = "\\x7f-\\x9f\\u202a-\\u202e\\u2066-\\u2069\\ud800-\\udfff"
_CONTROLS = re.compile(f"[\\x00-\\x08\\x0b-\\x1f{_JSON_UNSAFE}]")
_JSON_ESCAPES = re.compile(f"[{_JSON_UNSAFE}]")


def _escape(match: re.Match[str]) -> str:
    c = ord(match[0])
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match[0]):04x}"


def visible(text: str) -> str:
    """``text`` safe for a terminal: control characters other than newline and tab are shown
    as escapes (``\\x1b``, ``\\x07``, ``\\x9b``, ``\\u202e``) instead of being acted on."""
    return _CONTROLS.sub(_escape, text)


def json_safe(text: str) -> str:
    """JSON text with the control characters ``json.dumps`` leaves raw (DEL, C1, bidi, lone
    surrogates) escaped as ``\\uXXXX``: the same JSON value, inert on a terminal."""
    return _JSON_ESCAPES.sub(_json_escape, text)


def visible_tree(value: Any) -> Any:
    """A copy of a JSON-ready value with :func:`visible` applied to every string (keys too);
    iterative, so any depth is fine."""
    root: list[Any] = [None]
    stack: list[tuple[Any, Any, Any]] = [(value, root, 0)]
    while stack:
        item, parent, slot = stack.pop()
        if isinstance(item, str):
            parent[slot] = visible(item)
        elif isinstance(item, dict):
            copy: dict[Any, Any] = {}
            parent[slot] = copy
            for key, child in item.items():
                name = visible(key) if isinstance(key, str) else key
                copy[name] = None
                stack.append((child, copy, name))
        elif isinstance(item, list | tuple):
            items: list[Any] = [None] * len(item)
            parent[slot] = items
            stack.extend((child, items, i) for i, child in enumerate(item))
        else:
            parent[slot] = item
    return root[0]
