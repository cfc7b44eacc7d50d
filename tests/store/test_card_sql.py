"""``alc.card.find`` in SQL gives what the Python ``where`` / ``order_by`` gives, on SQLite and
PostgreSQL: a corpus of filters over a corpus of cards, each compared with
``card_query.matches`` / ``ordered`` (the reference), plus what must fall back to Python."""

from __future__ import annotations

from typing import Any

import pytest

from alc.engine.card_query import check_where, matches, order_keys, ordered
from alc.engine.store import open_store
from alc.engine.store._cardsql import _Compiler
from alc.engine.store._dialect import POSTGRES, SQLITE
from alc.engine.store._records import CardRecord

BODIES: list[dict[str, Any]] = [
    {"stats": {"pass_rate": 0.9, "n": 10}, "model": "gpt", "tags": ["a", "b", 1], "ok": True},
    {"stats": {"pass_rate": 0.5, "n": 3}, "model": "claude", "tags": ["b"], "ok": False},
    {"stats": {"pass_rate": 1, "n": 7.5}, "model": "Claude-x", "tags": [], "note": 'it\'s "x"'},
    {"stats": {"pass_rate": "high"}, "model": "llama", "tags": [True, 2.0], "ok": 1},
    {"stats": [1, 2], "model": "", "tags": "a,b", "weird key": {"a.b": 3}},
    {"model": "gpt-4 ü", "stats": {"pass_rate": 0.75, "n": 0}, "nested": {"x": {"y": "z"}}},
    {"model": 5, "ok": "true", "tags": [["a"]], "stats": {"pass_rate": -1e300}},
]

WHERES: list[dict[str, Any]] = [
    {},
    {"model": "gpt"},
    {"model": {"eq": "gpt"}},
    {"model": {"ne": "gpt"}},
    {"model": {"in": ["gpt", "llama", 5]}},
    {"model": {"nin": ["gpt", "claude"]}},
    {"model": {"in": []}},
    {"model": {"nin": []}},
    {"stats": {"pass_rate": {"gte": 0.75}}},
    {"stats": {"pass_rate": {"gt": 0.5, "lt": 1}}},
    {"stats": {"pass_rate": {"lte": 1}}},
    {"stats": {"pass_rate": {"lt": "m"}}},
    {"stats": {"pass_rate": 1.0}},
    {"stats": {"n": {"exists": True}}},
    {"stats": {"n": {"exists": False}}},
    {"missing": {"exists": False}},
    {"missing": {"ne": 1}},
    {"missing": 1},
    {"ok": True},
    {"ok": False},
    {"ok": {"ne": True}},
    {"ok": 1},
    {"ok": "true"},
    {"tags": {"contains": "a"}},
    {"tags": {"contains": 1}},
    {"tags": {"contains": True}},
    {"tags": {"contains": 2}},
    {"tags": {"contains": ","}},
    {"tags": {"contains": ""}},
    {"model": {"contains": "laud"}},
    {"model": {"starts_with": "gpt"}},
    {"model": {"starts_with": "Claude"}},
    {"model": {"starts_with": ""}},
    {"model": {"starts_with": 5}},
    {"model": {"gt": "claude"}},
    {"model": {"lt": "a"}},
    {"model": {"gte": 5}},
    {"_or": [{"model": "gpt"}, {"stats": {"pass_rate": {"lt": 0.6}}}]},
    {"_and": [{"model": {"ne": "gpt"}}, {"ok": {"exists": True}}]},
    {"_not": {"model": "gpt"}},
    {"_or": []},
    {"_and": []},
    {"stats": {"_or": [{"n": {"gt": 5}}, {"pass_rate": "high"}]}},
    {"stats": {"_not": {"pass_rate": {"gte": 0.5}}}},
    {"nested": {"x": {"y": "z"}}},
    {"nested": {"x": {"y": {"starts_with": "z"}}}},
    {"weird key": {"a.b": 3}},
    {"stats": {"0": {"exists": True}}},
    {"note": {"contains": '"x"'}},
    {"model": {"eq": "gpt'; DROP TABLE cards; --"}},
    {"model": {"contains": "%"}},
    {"model": {"contains": "_"}},
]

FALLBACK: list[dict[str, Any]] = [
    {"tags": ["b"]},
    {"tags": {"contains": ["a"]}},
    {"stats": {"eq": {"pass_rate": 0.5, "n": 3}}},
    {"model": {"in": [["gpt"]]}},
]

ORDERS: list[Any] = [
    "stats.pass_rate",
    "-stats.pass_rate",
    ["model", "-stats.n"],
    "-ok",
    "missing",
    ["-model"],
]


def card(n: int, body: dict[str, Any]) -> CardRecord:
    full = {"card_id": f"c{n}", "pkg": {"name": "p" if n % 3 else "q"}}
    full["created_at"] = f"2026-01-0{1 + n % 4}T00:00:00Z"  # ties: card_id decides
    return CardRecord.from_body({**full, **body})


@pytest.fixture
def store(store_url: str) -> Any:
    s = open_store(store_url)
    for n, body in enumerate(BODIES):
        assert s.card_put(card(n, body))
    yield s
    s.close()


def reference(where: dict[str, Any], keys: Any, pkg: str | None = None) -> list[str]:
    cards = sorted(
        (card(n, b) for n, b in enumerate(BODIES)),
        key=lambda c: (c.created_at, c.card_id),
        reverse=True,
    )
    bodies = [c.body for c in cards if (pkg is None or c.pkg == pkg) and matches(where, c.body)]
    if keys:
        bodies = ordered(bodies, keys)
    return [b["card_id"] for b in bodies]


def found(store: Any, where: dict[str, Any], keys: Any = None, **kw: Any) -> list[str]:
    return [c.card_id for c in store.card_find(where=where, order_by=keys, **kw)]


def test_every_filter_of_the_corpus_gives_the_python_result(store: Any) -> None:
    for where in [*WHERES, *FALLBACK]:
        checked = check_where(where, "test")
        assert found(store, checked) == reference(checked, None), where
        assert found(store, checked, pkg="p") == reference(checked, None, "p"), where


def test_every_order_of_the_corpus_gives_the_python_order(store: Any) -> None:
    for order_by in ORDERS:
        keys = order_keys(order_by, "test")
        for where in ({}, {"model": {"exists": True}}, {"stats": {"n": {"exists": True}}}):
            assert found(store, where, keys) == reference(where, keys), (order_by, where)


def test_offset_and_limit_apply_after_the_filter_and_order(store: Any) -> None:
    keys = order_keys("-stats.pass_rate", "test")
    where = {"stats": {"pass_rate": {"exists": True}}}
    everything = reference(where, keys)
    for offset, limit in ((0, None), (1, 2), (2, 100), (10, 1), (0, 0)):
        got = found(store, where, keys, offset=offset, limit=limit)
        assert got == everything[offset : None if limit is None else offset + limit]


@pytest.mark.parametrize("dialect", [SQLITE, POSTGRES], ids=["sqlite", "postgres"])
def test_filter_values_are_bound_never_formatted(dialect: Any) -> None:
    hostile = "x'); DROP TABLE cards; --"
    sql, params = _Compiler(dialect).where({hostile: {"eq": hostile, "starts_with": hostile}}, [])
    assert "DROP" not in sql and hostile in params


def test_filters_sql_cannot_express_fall_back_to_python() -> None:
    from alc.engine.store._cardsql import NotCompiled

    for where in FALLBACK:
        with pytest.raises(NotCompiled):
            _Compiler(SQLITE).where(where, [])
    with pytest.raises(NotCompiled):
        _Compiler(SQLITE).where({'a"b': 1}, [])
    _Compiler(POSTGRES).where({'a"b': 1}, [])  # PostgreSQL binds each key on its own


def test_a_card_postgres_jsonb_cannot_hold_is_found_in_python(store_url: str) -> None:
    s = open_store(store_url)
    try:
        s.card_put(card(0, {"note": "nul\u0000here"}))
        s.card_put(card(1, {"note": "plain"}))
        assert found(s, {"note": {"contains": "\u0000"}}) == ["c0"]
        assert found(s, {"note": {"starts_with": "pl"}}) == ["c1"]
    finally:
        s.close()
