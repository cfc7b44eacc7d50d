"""Terminal-safe text: the one place that decides which characters may reach a terminal raw.

Strategy-controlled text (prompts, log lines, progress messages, results) is shown by the CLI
and by the ``interactive`` responder; neither may let it act on the terminal. :func:`visible`
shows control characters (ESC, BEL, CR, DEL, the C1 range such as CSI ``\\x9b``, bidi overrides
and isolates, lone surrogates) as escapes like ``\\x1b``; :func:`json_safe` escapes the same
characters in JSON text as ``\\u001b`` (the same JSON value). Standard library only, so every
layer may import it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["json_safe", "visible", "visible_tree"]

# control characters a terminal may act on: C0 (json.dumps escapes these itself), DEL, C1
# (0x9b is CSI on 8-bit terminals), the bidi overrides and isolates that reorder a line; and
# lone surrogates, which cannot be written to a UTF-8 stream at all
_CONTROLS = (
    [c for c in range(0x20) if c not in (0x09, 0x0A)]
    + list(range(0x7F, 0xA0))
    + [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]
    + list(range(0xD800, 0xE000))
)
_VISIBLE = {c: (f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}") for c in _CONTROLS}
_JSON_ESCAPES = {c: f"\\u{c:04x}" for c in _CONTROLS if c >= 0x20}


def visible(text: str) -> str:
    """``text`` safe for a terminal: control characters other than newline and tab are shown
    as escapes (``\\x1b``, ``\\x07``, ``\\x9b``, ``\\u202e``) instead of being acted on."""
    return text.translate(_VISIBLE)


def json_safe(text: str) -> str:
    """JSON text with the control characters ``json.dumps`` leaves raw (DEL, C1, bidi, lone
    surrogates) escaped as ``\\uXXXX``: the same JSON value, inert on a terminal."""
    return text.translate(_JSON_ESCAPES)


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
