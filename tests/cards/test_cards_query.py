"""The card query language (where / order_by), as pure functions."""

from __future__ import annotations

from typing import Any

import pytest

from alc.engine.card_query import check_where, matches, order_keys, ordered
from alc.engine.errors import InvalidInput

CARD: dict[str, Any] = {
    "card_id": "cot_1",
    "pkg": {"name": "cot"},
    "scenario": {"name": "gsm8k_100"},
    "stats": {"pass_rate": 0.82, "n": 50, "flag": True},
    "tags": ["math", "easy"],
}


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ({}, True),
        ({"scenario": {"name": "gsm8k_100"}}, True),
        ({"scenario": {"name": "other"}}, False),
        ({"stats": {"pass_rate": {"gte": 0.8}, "n": {"gte": 30}}}, True),
        ({"stats": {"pass_rate": {"gt": 0.82}}}, False),
        ({"stats": {"pass_rate": {"lt": 0.9, "gt": 0.5}}}, True),
        ({"stats": {"n": {"lte": 50}}}, True),
        ({"stats": {"n": {"eq": 50.0}}}, True),  # 50 == 50.0
        ({"stats": {"flag": 1}}, False),  # a boolean is not a number
        ({"stats": {"flag": {"eq": True}}}, True),
        ({"scenario": {"name": {"in": ["a", "gsm8k_100"]}}}, True),
        ({"scenario": {"name": {"nin": ["gsm8k_100"]}}}, False),
        ({"scenario": {"name": {"starts_with": "gsm"}}}, True),
        ({"scenario": {"name": {"contains": "8k"}}}, True),
        ({"tags": {"contains": "math"}}, True),
        ({"tags": {"contains": "hard"}}, False),
        ({"tags": ["math", "easy"]}, True),  # implicit eq on a list
        ({"stats": {"pass_rate": {"gte": "0.5"}}}, False),  # kinds never mix
        # missing fields: eq/lt/in false, ne/nin true, exists explicit
        ({"stats": {"missing": {"eq": 1}}}, False),
        ({"stats": {"missing": {"lt": 1}}}, False),
        ({"stats": {"missing": {"ne": 1}}}, True),
        ({"stats": {"missing": {"nin": [1]}}}, True),
        ({"metadata": {"prior_card_id": {"exists": False}}}, True),
        ({"metadata": {"prior_card_id": {"exists": True}}}, False),
        ({"stats": {"pass_rate": {"exists": True}}}, True),
        # logic at any level
        ({"_or": [{"stats": {"n": 1}}, {"scenario": {"name": "gsm8k_100"}}]}, True),
        ({"_and": [{"stats": {"n": 50}}, {"scenario": {"name": "x"}}]}, False),
        ({"_not": {"scenario": {"name": "gsm8k_100"}}}, False),
        ({"stats": {"_or": [{"n": 1}, {"pass_rate": {"gte": 0.8}}]}}, True),
    ],
)
def test_where(where: dict[str, Any], expected: bool) -> None:
    assert matches(check_where(where, "t"), CARD) is expected


@pytest.mark.parametrize(
    "where",
    [
        [1, 2],
        "x",
        {"_or": {"a": 1}},
        {"_and": [1]},
        {"_not": 3},
        {"a": {"in": 3}},
        {"a": {"nin": "x"}},
        {"a": {"exists": "yes"}},
    ],
)
def test_malformed_where_is_invalid_input(where: Any) -> None:
    with pytest.raises(InvalidInput, match=r"^t: "):
        check_where(where, "t")


def test_order_by_paths_direction_missing_last_and_ties() -> None:
    rows = [
        {"id": "a", "stats": {"pass_rate": 0.5}, "created_at": "2"},
        {"id": "b", "stats": {"pass_rate": 0.9}, "created_at": "1"},
        {"id": "c", "created_at": "3"},
        {"id": "d", "stats": {"pass_rate": 0.5}, "created_at": "1"},
    ]
    desc = ordered(rows, order_keys("-stats.pass_rate", "t"))
    assert [r["id"] for r in desc] == ["b", "a", "d", "c"]
    asc = ordered(rows, order_keys(["stats.pass_rate", "created_at"], "t"))
    assert [r["id"] for r in asc] == ["d", "a", "b", "c"]
    for bad in (3, ["-"], [1], ""):
        with pytest.raises(InvalidInput):
            order_keys(bad, "t")
