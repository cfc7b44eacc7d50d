"""``alc.card.find`` in SQL: the ``where`` DSL of ``alc.engine.card_query`` compiled to a
``WHERE`` clause over the card body (SQLite JSON1 ``json_type`` / ``json_extract`` /
``json_each``; PostgreSQL JSONB ``->`` on ``body::jsonb``), ``order_by`` to ``ORDER BY``, and
``offset`` / ``limit`` to ``LIMIT ? OFFSET ?``. Every value, key and path is a bound parameter;
nothing from a filter is formatted into the SQL text.

The SQL gives the same cards in the same order as :func:`~alc.engine.card_query.matches` and
:func:`~alc.engine.card_query.ordered` (tests/store/test_card_sql.py checks a corpus of filters
on both databases). What does not compile runs in Python on the filtered rows: an ``eq`` /
``in`` / ``contains`` against an object or a list, a key with a ``"`` in SQLite (JSON paths
cannot quote it), text holding a NUL, and an ``order_by`` whose field holds an object, a list or
null in a matching card (Python orders those by ``repr``). A card PostgreSQL's ``jsonb`` cannot
read (a ``\\u0000`` in a string) sends the whole search to Python (``SQLStore.card_find``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from alc.engine.card_query import LOGICAL, OPERATORS, matches, ordered
from alc.engine.store._dialect import Conn, Dialect
from alc.engine.store._records import CardRecord
from alc.engine.store._rows import card_from_row

__all__ = ["find_cards"]

Fragment = tuple[str, list[Any]]
"""SQL text with ``?`` marks and its parameters, in order."""
OrderKeys = list[tuple[list[str], bool]]


class NotCompiled(Exception):
    """A part of a filter that SQL cannot express with the same meaning."""


def _is_leaf(cond: Any) -> bool:
    return isinstance(cond, dict) and bool(cond) and all(k in OPERATORS for k in cond)


class _Fields:
    """The per-dialect expressions of one field (a path of object keys) of ``j``, the body."""

    def __init__(self, dialect: Dialect) -> None:
        self.pg = dialect.name == "postgres"

    def at(self, path: Sequence[str]) -> Fragment:
        """The field: SQLite a JSON path text for ``json_type(j, ?)``; PostgreSQL ``j -> ...``."""
        if any("\x00" in key for key in path):
            raise NotCompiled("a key with a NUL")
        if self.pg:
            return "(j" + " -> CAST(? AS TEXT)" * len(path) + ")", list(path)
        if any('"' in key for key in path):
            raise NotCompiled("a key with a double quote")
        return "?", ["$" + "".join(f'."{key}"' for key in path)]

    def kind(self, path: Sequence[str]) -> Fragment:
        """The JSON kind: ``number string boolean null object array`` (NULL: missing)."""
        f, params = self.at(path)
        if self.pg:
            return f"jsonb_typeof({f})", params
        return (
            f"(CASE json_type(j, {f}) WHEN 'integer' THEN 'number' WHEN 'real' THEN 'number' "
            f"WHEN 'text' THEN 'string' WHEN 'true' THEN 'boolean' WHEN 'false' THEN 'boolean' "
            f"ELSE json_type(j, {f}) END)",
            params * 2,
        )

    def value(self, path: Sequence[str], kind: str) -> Fragment:
        """The field as an SQL value when it is of ``kind`` (number, string, boolean), else
        NULL; booleans as 0 / 1."""
        f, params = self.at(path)
        if self.pg:
            cast = {"number": f"({f})::numeric", "string": f"({f} #>> '{{}}') COLLATE \"C\""}
            got = cast.get(kind, f"CASE WHEN ({f})::text = 'true' THEN 1 ELSE 0 END")
            return f"(CASE WHEN jsonb_typeof({f}) = '{kind}' THEN {got} END)", params * 2
        types = {"number": "'integer', 'real'", "string": "'text'", "boolean": "'true', 'false'"}
        return (
            f"(CASE WHEN json_type(j, {f}) IN ({types[kind]}) THEN json_extract(j, {f}) END)",
            params * 2,
        )


_KINDS: tuple[tuple[type | tuple[type, ...], str], ...] = (
    (bool, "boolean"),
    ((int, float), "number"),
    (str, "string"),
    (type(None), "null"),
)


def _kind_of(value: Any) -> str:
    """The JSON kind of a filter value (``bool`` before ``int``: a boolean is no number).

    Raises:
        NotCompiled: an object or a list, or text holding a NUL (SQLite's string functions stop
            at it; PostgreSQL's text refuses it).
    """
    if isinstance(value, str) and "\x00" in value:
        raise NotCompiled("text with a NUL")
    for types, kind in _KINDS:
        if isinstance(value, types):
            return kind
    raise NotCompiled("a comparison with an object or a list")


class _Compiler:
    def __init__(self, dialect: Dialect) -> None:
        self.fields = _Fields(dialect)
        self.pg = dialect.name == "postgres"

    def where(self, where: dict[str, Any], path: list[str]) -> Fragment:
        parts: list[Fragment] = []
        for key, cond in where.items():
            if key == "_and" or key == "_or":
                items = [self.where(w, path) for w in cond]
                joiner, empty = (" AND ", "TRUE") if key == "_and" else (" OR ", "FALSE")
                parts.append(_join(items, joiner, empty))
            elif key == "_not":
                sql, params = self.where(cond, path)
                parts.append((f"NOT ({sql})", params))
            elif _is_leaf(cond):
                parts.append(_join([self.op(op, a, [*path, key]) for op, a in cond.items()]))
            elif isinstance(cond, dict):
                parts.append(self.where(cond, [*path, key]))
            else:
                parts.append(self.op("eq", cond, [*path, key]))
        return _join(parts)

    def eq(self, arg: Any, path: list[str]) -> Fragment:
        kind = _kind_of(arg)
        if kind in ("number", "string"):
            sql, params = self.fields.value(path, kind)
            return f"COALESCE({sql} = {self.param(kind)}, FALSE)", [*params, arg]
        sql, params = self.fields.kind(path)
        if kind == "null":
            return f"COALESCE({sql} = 'null', FALSE)", params
        value, more = self.fields.value(path, "boolean")
        return f"COALESCE({value} = ?, FALSE)", [*more, int(arg)]

    def param(self, kind: str) -> str:
        return "CAST(? AS TEXT)" if kind == "string" else "?"

    def op(self, op: str, arg: Any, path: list[str]) -> Fragment:
        if op == "exists":
            sql, params = self.fields.kind(path)
            return (f"{sql} IS {'NOT ' if arg else ''}NULL", params)
        if op in ("eq", "ne"):
            sql, params = self.eq(arg, path)
            return (sql, params) if op == "eq" else (f"NOT ({sql})", params)
        if op in ("in", "nin"):
            sql, params = _join([self.eq(a, path) for a in arg], " OR ", "FALSE")
            return (sql, params) if op == "in" else (f"NOT ({sql})", params)
        if op == "contains":
            return self.contains(arg, path)
        if op == "starts_with":
            if _kind_of(arg) != "string":
                return "FALSE", []
            sql, params = self.fields.value(path, "string")
            return f"COALESCE(substr({sql}, 1, length(CAST(? AS TEXT))) = ?, FALSE)", [
                *params,
                arg,
                arg,
            ]
        kind = _kind_of(arg)
        if kind not in ("number", "string"):
            return "FALSE", []
        sign = {"lt": "<", "lte": "<=", "gt": ">", "gte": ">="}[op]
        sql, params = self.fields.value(path, kind)
        return f"COALESCE({sql} {sign} {self.param(kind)}, FALSE)", [*params, arg]

    def contains(self, arg: Any, path: list[str]) -> Fragment:
        kind = _kind_of(arg)
        parts: list[Fragment] = []
        if kind == "string":
            sql, params = self.fields.value(path, "string")
            find = "strpos" if self.pg else "instr"
            parts.append((f"COALESCE({find}({sql}, CAST(? AS TEXT)) > 0, FALSE)", [*params, arg]))
        f, params = self.fields.at(path)
        if self.pg:
            parts.append(
                (
                    f"COALESCE(jsonb_typeof({f}) = 'array' AND {f} @> CAST(? AS jsonb), FALSE)",
                    [*params, *params, json.dumps([arg])],
                )
            )
        else:
            test = {
                "number": ("e.type IN ('integer', 'real') AND e.value = ?", [arg]),
                "string": ("e.type = 'text' AND e.value = ?", [arg]),
                "boolean": (f"e.type = '{'true' if arg else 'false'}'", []),
                "null": ("e.type = 'null'", []),
            }[kind]
            parts.append(
                (
                    f"COALESCE(json_type(j, {f}) = 'array' AND EXISTS (SELECT 1 FROM "
                    f"json_each(j, {f}) e WHERE {test[0]}), FALSE)",
                    [*params, *params, *test[1]],
                )
            )
        return _join(parts, " OR ", "FALSE")

    def order(self, keys: OrderKeys) -> Fragment:
        terms: list[Fragment] = []
        for path, descending in keys:
            way = " DESC" if descending else ""
            kind, params = self.fields.kind(path)
            terms.append((f"(CASE WHEN {kind} IS NULL THEN 1 ELSE 0 END)", params))
            terms.append(
                (
                    f"(CASE {kind} WHEN 'number' THEN 0 WHEN 'string' THEN 1 "
                    f"WHEN 'boolean' THEN 2 ELSE 3 END){way}",
                    params,
                )
            )
            for value_kind in ("number", "string", "boolean"):
                sql, more = self.fields.value(path, value_kind)
                terms.append((sql + way, more))
        return _join(terms, ", ", "")

    def unordered(self, keys: OrderKeys) -> Fragment:
        """True when a field of ``keys`` holds something SQL cannot order as Python does."""
        parts = []
        for path, _ in keys:
            kind, params = self.fields.kind(path)
            parts.append((f"{kind} IN ('object', 'array', 'null')", params))
        return _join(parts, " OR ", "FALSE")


def _join(parts: list[Fragment], joiner: str = " AND ", empty: str = "TRUE") -> Fragment:
    if not parts:
        return empty, []
    return joiner.join(f"({sql})" if joiner != ", " else sql for sql, _ in parts), [
        p for _, params in parts for p in params
    ]


def find_cards(
    conn: Conn,
    dialect: Dialect,
    path: str,
    scope: tuple[str, str | None],
    query: tuple[dict[str, Any] | None, OrderKeys | None, int, int | None],
) -> list[CardRecord]:
    """The cards of ``scope`` = ``(tenant column, pkg or None)`` matching ``query`` =
    ``(where, order keys, offset, limit)`` (both checked by ``card_query``), in order.

    Raises:
        StoreUnavailable: a row cannot be decoded (``path`` names the store in the message).
    """
    where, keys, offset, limit = query
    owner, pkg = scope
    body = "CAST(body AS jsonb)" if dialect.name == "postgres" else "body"
    source = f"(SELECT card_id, body, created_at, {body} AS j FROM cards WHERE tenant = ?"
    scope_params: list[Any] = [owner]
    if pkg is not None:
        source += " AND pkg = ?"
        scope_params.append(pkg)
    source += ") c"
    compiler = _Compiler(dialect)
    newest = "created_at DESC, card_id DESC"

    def run(sql: str, params: list[Any]) -> list[Any]:
        rows: list[Any] = conn.execute(dialect.sql(sql), params).fetchall()
        return rows

    try:
        test, test_params = compiler.where(where or {}, [])
    except NotCompiled:
        rows = run(f"SELECT card_id, body FROM {source} ORDER BY {newest}", scope_params)
        cards = [card_from_row(path, row) for row in rows]
        return _in_python([c for c in cards if matches(where or {}, c.body)], keys, offset, limit)
    base = f"SELECT card_id, body FROM {source} WHERE {test}"
    params = [*scope_params, *test_params]
    if keys:
        odd, odd_params = compiler.unordered(keys)
        if run(f"{base} AND ({odd}) LIMIT 1", [*params, *odd_params]):
            rows = run(f"{base} ORDER BY {newest}", params)
            return _in_python([card_from_row(path, row) for row in rows], keys, offset, limit)
        order, order_params = compiler.order(keys)
        base += f" ORDER BY {order}, {newest}"
        params += order_params
    else:
        base += f" ORDER BY {newest}"
    rows = run(base + " LIMIT ? OFFSET ?", [*params, dialect.limit(limit), max(0, offset)])
    return [card_from_row(path, row) for row in rows]


def _in_python(
    cards: list[CardRecord], keys: OrderKeys | None, offset: int, limit: int | None
) -> list[CardRecord]:
    """Order and page ``cards`` (filtered already, newest first) as ``alc.card.find`` does."""
    if keys:
        by_body = {id(c.body): c for c in cards}
        cards = [by_body[id(b)] for b in ordered([c.body for c in cards], keys)]
    return cards[offset : None if limit is None else offset + limit]


assert {"_and", "_or", "_not"} == LOGICAL  # the keys _Compiler.where knows
