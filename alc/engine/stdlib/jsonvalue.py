"""JSON text to the plain Python value a session VM receives: the one decode path.

Every JSON value the engine reads back into Lua (``alc.json_decode``, ``alc.state`` values,
``alc.stats.get``, stored run records) is decoded here, with the same bound and the same error
wording, and then converted by :meth:`alc.engine.lua.LuaVM.to_lua`, whose rules complete the
contract of docs/lua-api.md (algocline >= 0.44.3):

- JSON ``null`` becomes ``nil``, at any depth (a key whose value is null is absent; an array
  element that is null is a hole); ``alc.NULL`` exists only to *encode* an explicit null;
- arrays stay arrays, also when empty (they re-encode as ``[]``);
- integers stay integers (within the 64-bit range), floats stay floats (``2.0``).

A host callback that returns a value it decoded with :func:`decode` therefore needs nothing
else to follow these rules.
"""

from __future__ import annotations

import json
from typing import Any

from alc.engine.stdlib._bounds import JSON_DECODE_MAX_CHARS

__all__ = ["decode"]


def decode(text: str, what: str = "alc.json_decode") -> Any:
    """The Python value of JSON ``text`` (dicts, lists, str, int, float, bool, None).

    Args:
        text: JSON text of at most ``JSON_DECODE_MAX_CHARS`` characters.
        what: the Lua function named in error messages.

    Raises:
        ValueError: text past the bound, invalid JSON (with line and column), or nested too
            deeply; the message starts with ``what`` (it becomes the Lua error).
    """
    if len(text) > JSON_DECODE_MAX_CHARS:
        raise ValueError(
            f"{what}: the text is {len(text):,} characters, over the bound of "
            f"{JSON_DECODE_MAX_CHARS:,}; decode it in parts"
        )
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"{what}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        raise ValueError(f"{what}: the JSON is nested too deeply") from None
