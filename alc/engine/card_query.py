"""The card query language: algocline's Prisma-style ``where`` filter and dotted ``order_by``.

Used by ``alc.card.find`` (evaluated against each whole card body) and ``alc.card.read_samples``
(against each sample row). Pure functions over JSON values; docs/cards.md is the reference.

``where`` rules (algocline 0.20+):

- a nested object extends the path: ``{stats = {pass_rate = {gte = 0.8}}}`` tests
  ``stats.pass_rate``;
- an object whose every key is an operator is a leaf comparison; operators are
  ``eq ne lt lte gt gte in nin exists contains starts_with``;
- any other value is an implicit ``eq``;
- several keys in one object combine with AND; ``_and`` / ``_or`` take a list of filters,
  ``_not`` one filter, at any level;
- a missing field makes ``eq lt lte gt gte in contains starts_with`` false and ``ne nin`` true;
  ``exists`` says which it wants.

Comparisons never mix kinds: numbers compare with numbers, strings with strings (booleans are
not numbers); any other pairing is false.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from alc.engine._validate import check_json
from alc.engine.errors import InvalidInput

__all__ = [
    "LOGICAL",
    "OPERATORS",
    "WHERE_MAX_DEPTH",
    "check_where",
    "matches",
    "order_keys",
    "ordered",
]

OPERATORS = frozenset(
    {"eq", "ne", "lt", "lte", "gt", "gte", "in", "nin", "exists", "contains", "starts_with"}
)
"""The leaf operators of ``where``; card and sample fields must not use these names."""
LOGICAL = frozenset({"_and", "_or", "_not"})
"""The logical keys of ``where``."""
WHERE_MAX_DEPTH = 64
"""How deeply a ``where`` filter may nest (objects and lists, counted as JSON levels):
matching walks it recursively, so it is bounded well inside Python's stack."""
_MISSING = object()


def _is_leaf(cond: Any) -> bool:
    return isinstance(cond, dict) and bool(cond) and all(k in OPERATORS for k in cond)


def check_where(where: Any, what: str) -> dict[str, Any]:
    """``where`` itself after checking its shape (``what`` names the caller in messages).

    Raises:
        InvalidInput: not an object, not plain JSON or nested deeper than
            :data:`WHERE_MAX_DEPTH` levels (the shared ``check_json``, before anything
            recursive reads it), ``_and`` / ``_or`` not a list of objects, ``_not`` not an
            object, ``in`` / ``nin`` without a list, ``exists`` without a boolean.
    """
    if not isinstance(where, dict):
        raise InvalidInput(f"{what}: where must be a table of conditions (a JSON object)")
    check_json(where, f"{what}: where", WHERE_MAX_DEPTH)
    _check_shape(where, what)
    return where


def _check_shape(where: Any, what: str) -> None:
    if not isinstance(where, dict):
        raise InvalidInput(f"{what}: where must be a table of conditions (a JSON object)")
    for key, cond in where.items():
        if key in ("_and", "_or"):
            if not isinstance(cond, list):
                raise InvalidInput(f"{what}: where.{key} must be a list of conditions")
            for item in cond:
                _check_shape(item, what)
        elif key == "_not":
            _check_shape(cond, what)
        elif _is_leaf(cond):
            _check_leaf(cond, key, what)
        elif isinstance(cond, dict):
            _check_shape(cond, what)


def _check_leaf(cond: dict[str, Any], key: str, what: str) -> None:
    for op, arg in cond.items():
        if op in ("in", "nin") and not isinstance(arg, list):
            raise InvalidInput(f"{what}: where {key}.{op} takes a list of values")
        if op == "exists" and not isinstance(arg, bool):
            raise InvalidInput(f"{what}: where {key}.exists takes true or false")


def matches(where: dict[str, Any], value: Any) -> bool:
    """Whether ``value`` (a card body or a sample row) satisfies ``where`` (already checked)."""
    for key, cond in where.items():
        if key == "_and":
            ok = all(matches(w, value) for w in cond)
        elif key == "_or":
            ok = any(matches(w, value) for w in cond)
        elif key == "_not":
            ok = not matches(cond, value)
        else:
            field = value.get(key, _MISSING) if isinstance(value, dict) else _MISSING
            ok = _condition(cond, field)
        if not ok:
            return False
    return True


def _condition(cond: Any, field: Any) -> bool:
    if _is_leaf(cond):
        return all(_operator(op, arg, field) for op, arg in cond.items())
    if isinstance(cond, dict):
        return matches(cond, field if isinstance(field, dict) else {})
    return field is not _MISSING and _equal(field, cond)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def _equal(a: Any, b: Any) -> bool:
    return _kind(a) == _kind(b) and a == b


def _compare(a: Any, b: Any, test: Callable[[Any, Any], bool]) -> bool:
    kind = _kind(a)
    return kind == _kind(b) and kind in ("number", "str") and test(a, b)


_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
}


def _operator(op: str, arg: Any, field: Any) -> bool:
    present = field is not _MISSING
    if op == "exists":
        return present is bool(arg)
    if op == "ne":
        return not present or not _equal(field, arg)
    if op == "nin":
        return not present or not any(_equal(field, x) for x in arg)
    if not present:
        return False
    if op == "eq":
        return _equal(field, arg)
    if op == "in":
        return any(_equal(field, x) for x in arg)
    if op == "contains":
        if isinstance(field, str):
            return isinstance(arg, str) and arg in field
        return isinstance(field, list) and any(_equal(x, arg) for x in field)
    if op == "starts_with":
        return isinstance(field, str) and isinstance(arg, str) and field.startswith(arg)
    return _compare(field, arg, _COMPARISONS[op])


def order_keys(order_by: Any, what: str) -> list[tuple[list[str], bool]]:
    """``order_by`` (a dotted path or a list of them, ``-`` first for descending) as
    ``[(path parts, descending), ...]``.

    Raises:
        InvalidInput: not a string or a list of non-empty strings.
    """
    items = [order_by] if isinstance(order_by, str) else order_by
    if not isinstance(items, list) or not all(isinstance(i, str) and i.strip("-") for i in items):
        raise InvalidInput(f"{what}: order_by must be a dotted path or a list of them")
    return [(item.lstrip("-").split("."), item.startswith("-")) for item in items]


def _at(value: Any, path: Sequence[str]) -> Any:
    for part in path:
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


def ordered(rows: Sequence[Any], keys: list[tuple[list[str], bool]]) -> list[Any]:
    """``rows`` sorted by ``keys`` (the first key first). Per key, values of the same kind
    compare (numbers before strings before other kinds); rows without the field come last
    whatever the direction. The sort is stable."""
    out = list(rows)
    for path, descending in reversed(keys):
        present = [r for r in out if _at(r, path) is not _MISSING]
        missing = [r for r in out if _at(r, path) is _MISSING]
        present.sort(key=lambda r, p=path: _sort_key(_at(r, p)), reverse=descending)  # type: ignore[misc]
        out = present + missing
    return out


def _sort_key(value: Any) -> tuple[int, Any]:
    kind = _kind(value)
    if kind == "number":
        return (0, value)
    if kind == "str":
        return (1, value)
    if kind == "bool":
        return (2, value)
    return (3, repr(value))
