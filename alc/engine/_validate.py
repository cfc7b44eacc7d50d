"""Input checks shared by every entry point: one place decides what a request may carry.

Every value that arrives from a driver (ctx, code, query ids, usage counts) is checked here, and
a bad one becomes :class:`~alc.engine.errors.InvalidInput` (``invalid_input``), never a raw
``RecursionError`` / ``OverflowError`` / ``UnicodeEncodeError`` further down. The checks are
iterative (no recursion, so a value nested 100,000 deep costs one pass and no stack).

=====================  =====================================================================
``MAX_DEPTH``          JSON nesting allowed in ctx (200 levels)
``VALUE_MAX_DEPTH``    JSON nesting of any value crossing the VM boundary (500 levels, as
                       ``alc.json_encode``); other boundaries pass their own to ``check_json``
``INT_MIN/INT_MAX``    integers in ctx must fit a Lua integer (64-bit signed)
``MAX_TOKEN_COUNT``    a usage count a driver reports for one answer (at most 2**31 - 1)
=====================  =====================================================================
"""

from __future__ import annotations

import math
import re
from typing import Any, TypeAlias, TypeGuard

from alc.engine.errors import InvalidInput

__all__ = [
    "INT_MAX",
    "INT_MIN",
    "MAX_DEPTH",
    "MAX_TOKEN_COUNT",
    "VALUE_MAX_DEPTH",
    "check_json",
    "check_text",
    "check_token_count",
    "is_query_id",
    "is_session_id",
]

MAX_DEPTH = 200
"""How deeply arrays and objects may nest in a ctx."""
VALUE_MAX_DEPTH = 500
"""How deeply a JSON value may nest anywhere (``alc.json_encode``'s bound, docs/lua-api.md)."""
INT_MIN = -(2**63)
INT_MAX = 2**63 - 1
"""The range of a Lua integer: integers outside it are refused (they would not survive Lua)."""
MAX_CODE_CHARS = 16 * 1024 * 1024
"""The longest inline strategy code a start request may carry (characters)."""
MAX_CTX_BYTES = 64 * 1024 * 1024
"""The largest ctx a start request may carry (bytes of its JSON); it is journaled whole."""
MAX_TOKEN_COUNT = 2**31 - 1
"""The largest token count a driver may report for one answer."""

_Where: TypeAlias = "tuple[_Where, str | int] | None"

_SURROGATE = re.compile("[\ud800-\udfff]")
_QUERY_ID = re.compile(r"q-[0-9]+")
_SESSION_ID = re.compile(r"s-[0-9a-f]{32}")


def check_text(value: str, what: str) -> str:
    """Return ``value`` if it is encodable text (no lone surrogate, so valid UTF-8).

    Raises:
        InvalidInput: a lone surrogate (e.g. from a ``\\ud800`` JSON escape).
    """
    problem = _text_problem(value, what)
    if problem is not None:
        raise InvalidInput(f"{problem}; send UTF-8 text.")
    return value


def check_size(size: int, limit: int, what: str, unit: str) -> None:
    """Refuse an input larger than its bound.

    Raises:
        InvalidInput: ``size > limit``, naming ``what``, both numbers and ``unit``.
    """
    if size > limit:
        raise InvalidInput(f"{what} is {size:,} {unit}, more than the {limit:,} alc accepts.")


def check_json(value: Any, what: str, max_depth: int = MAX_DEPTH) -> None:
    """Check that ``value`` is plain JSON alc can hand to Lua and journal.

    Plain JSON: dicts with string keys, lists (or tuples), strings without lone surrogates,
    integers within 64-bit signed range, finite floats, booleans and None; nested at most
    ``max_depth`` levels (default :data:`MAX_DEPTH`, a ctx's; at most
    :data:`VALUE_MAX_DEPTH` anywhere).

    Raises:
        InvalidInput: ``"<what> must be plain JSON: ..."`` naming the first offending part by
            its path (``ctx.a[3].b``).
    """
    problem = _json_problem(value, what, max_depth)
    if problem is not None:
        raise InvalidInput(f"{what} must be plain JSON: {problem}.")


def _json_problem(value: Any, what: str, max_depth: int) -> str | None:
    # (value, depth, where): ``where`` links back to the parent, (parent's where, key or index),
    # so a path string is only built for the error message
    stack: list[tuple[Any, int, _Where]] = [(value, 0, None)]
    while stack:
        item, depth, where = stack.pop()
        if item is None or isinstance(item, bool):
            continue
        if isinstance(item, str):
            if not item.isascii() and _SURROGATE.search(item):
                return _text_problem(item, _path(what, where))
        elif isinstance(item, int):
            if not INT_MIN <= item <= INT_MAX:
                return (
                    f"{_path(what, where)} is an integer outside the 64-bit signed range "
                    f"({_digits(item)}); send such numbers as strings"
                )
        elif isinstance(item, float):
            if not math.isfinite(item):
                return f"{_path(what, where)} is {item}; numbers must be finite"
        elif isinstance(item, dict | list | tuple):
            if depth >= max_depth:
                return f"it nests deeper than {max_depth} levels; flatten it"
            if isinstance(item, dict):
                for key, child in item.items():
                    if not isinstance(key, str):
                        return (
                            f"{_path(what, where)} has a key {key!r} of type "
                            f"{type(key).__name__}; object keys are strings"
                        )
                    if not key.isascii() and _SURROGATE.search(key):
                        return _text_problem(key, f"a key of {_path(what, where)}")
                    stack.append((child, depth + 1, (where, key)))
            else:
                stack.extend((child, depth + 1, (where, i)) for i, child in enumerate(item))
        else:
            return (
                f"{_path(what, where)} is a {type(item).__name__} (allowed: objects, arrays, "
                "strings, finite numbers, booleans, null)"
            )
    return None


def _text_problem(value: str, what: str) -> str | None:
    found = _SURROGATE.search(value)
    if found is None:
        return None
    return (
        f"{what} contains a lone surrogate ({found.group()!a} at position {found.start()}), "
        "which is not valid Unicode text"
    )


def check_token_count(value: Any, what: str) -> int | None:
    """A reported token count: None, or a whole number from 0 to :data:`MAX_TOKEN_COUNT`.

    Integral floats (``12.0``) are accepted; booleans, strings, fractions, negative and huge
    numbers are not (a negative count would let a session slip past ``ctx.budget.max_tokens``).

    Raises:
        InvalidInput: anything else.
    """
    if value is None:
        return None
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    if number is None or not 0 <= number <= MAX_TOKEN_COUNT:
        shown = _digits(value) if isinstance(value, int) else repr(value)[:40]
        raise InvalidInput(
            f"{what} must be a whole number of tokens from 0 to {MAX_TOKEN_COUNT}, not {shown}."
        )
    return number


def is_query_id(value: object) -> bool:
    """True for a well-formed query id: ``q-`` and ASCII digits (``q-0``, ``q-17``)."""
    return isinstance(value, str) and _QUERY_ID.fullmatch(value) is not None


def is_session_id(value: object) -> TypeGuard[str]:
    """True for a well-formed session id: ``s-`` and 32 lowercase hex digits (128 bits)."""
    return isinstance(value, str) and _SESSION_ID.fullmatch(value) is not None


def _digits(number: int) -> str:
    """A huge integer shown without converting all of it (str() refuses > 4300 digits)."""
    if -(10**30) < number < 10**30:
        return str(number)
    return f"an integer of about {int(abs(number).bit_length() * 0.30103) + 1} digits"


def _path(what: str, where: _Where) -> str:
    """``ctx.a[3].b`` from the links of :func:`check_json`."""
    parts: list[str] = []
    while where is not None:
        where, step = where
        if isinstance(step, int):
            parts.append(f"[{step}]")
        else:
            shown = step if len(step) <= 40 else step[:40] + "…"
            parts.append("." + (ascii(shown)[1:-1] if _SURROGATE.search(shown) else shown))
    return what + "".join(reversed(parts))
