"""CardStore on every backend (``store`` runs each test once per entry of STORE_FACTORIES)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from alc.engine.errors import CardImmutable, CardNotFound, CardTooLarge
from alc.engine.store import Store
from alc.engine.store._records import (
    CARD_MAX_BYTES,
    SAMPLES_MAX_ROWS,
    AliasRecord,
    CardRecord,
)


def card(
    card_id: str, pkg: str = "p", at: str = "2026-01-01T00:00:00Z", **extra: Any
) -> CardRecord:
    return CardRecord.from_body(
        {"card_id": card_id, "pkg": {"name": pkg}, "created_at": at, **extra}
    )


def test_put_is_insert_only(store: Store) -> None:
    assert store.card_put(card("a", stats={"pass_rate": 0.5}))
    assert not store.card_put(card("a", stats={"pass_rate": 0.9}))
    got = store.card_get("a")
    assert got is not None and got.body["stats"] == {"pass_rate": 0.5}
    assert store.card_get("missing") is None


def test_list_newest_first_by_package_with_limit(store: Store) -> None:
    store.card_put(card("old", at="2025-01-01T00:00:00Z"))
    store.card_put(card("new", at="2026-06-01T00:00:00Z"))
    store.card_put(card("same-b", at="2026-01-01T00:00:00Z"))
    store.card_put(card("same-a", at="2026-01-01T00:00:00Z"))
    store.card_put(card("other", pkg="q", at="2027-01-01T00:00:00Z"))
    assert [c.card_id for c in store.card_list("p")] == ["new", "same-b", "same-a", "old"]
    assert [c.card_id for c in store.card_list()][:2] == ["other", "new"]
    assert [c.card_id for c in store.card_list(limit=1)] == ["other"]
    assert store.card_list("nobody") == []


def test_append_adds_keys_only_and_is_atomic(store: Store) -> None:
    store.card_put(card("a", stats={"pass_rate": 0.5}))
    merged = store.card_append("a", {"caveats": {"notes": "rescored"}, "gone": None})
    assert merged.body["caveats"] == {"notes": "rescored"} and "gone" not in merged.body
    with pytest.raises(CardImmutable):
        store.card_append("a", {"fresh": 1, "stats": {"pass_rate": 1.0}})
    body = store.card_get("a").body  # type: ignore[union-attr]
    assert body["stats"] == {"pass_rate": 0.5} and "fresh" not in body  # nothing written
    with pytest.raises(CardNotFound):
        store.card_append("missing", {"x": 1})
    with pytest.raises(CardTooLarge):
        store.card_append("a", {"blob": "x" * CARD_MAX_BYTES})
    assert "blob" not in store.card_get("a").body  # type: ignore[union-attr]


def test_samples_write_once_and_paged(store: Store) -> None:
    store.card_put(card("a"))
    rows = [f'{{"i":{i}}}' for i in range(5)]
    assert store.samples_put("a", rows) == 5
    with pytest.raises(CardImmutable):
        store.samples_put("a", ['{"i":9}'])
    assert store.samples_read("a") == rows
    assert store.samples_read("a", 1, 2) == rows[1:3]
    assert store.samples_read("a", 10) == []
    assert store.samples_count("a") == 5
    store.card_put(card("b"))
    assert store.samples_read("b") == [] and store.samples_count("b") == 0
    with pytest.raises(CardNotFound):
        store.samples_put("missing", ["{}"])
    with pytest.raises(CardNotFound):
        store.samples_read("missing")


def test_samples_bounds(store: Store) -> None:
    store.card_put(card("a"))
    with pytest.raises(CardTooLarge):
        store.samples_put("a", ["{}"] * (SAMPLES_MAX_ROWS + 1))
    assert store.samples_count("a") == 0  # a refused write leaves the card without samples
    assert store.samples_put("a", ["{}"] * SAMPLES_MAX_ROWS) == SAMPLES_MAX_ROWS


def test_aliases_rebind_filter_and_need_a_card(store: Store) -> None:
    store.card_put(card("a"))
    store.card_put(card("b"))
    store.alias_set(AliasRecord("best", "a", "p", "first", "t1"))
    store.alias_set(AliasRecord("zeta", "b", None, None, "t1"))
    store.alias_set(AliasRecord("best", "b", "p", None, "t2"))
    assert store.alias_get("best") == AliasRecord("best", "b", "p", None, "t2")
    assert [a.name for a in store.alias_list()] == ["best", "zeta"]
    assert [a.name for a in store.alias_list("p")] == ["best"]
    with pytest.raises(CardNotFound):
        store.alias_set(AliasRecord("x", "missing", None, None, "t"))
    assert store.alias_get("x") is None


def test_children_follow_prior_card_id(store: Store) -> None:
    store.card_put(card("root"))
    store.card_put(card("c1", at="2026-02-01T00:00:00Z", metadata={"prior_card_id": "root"}))
    store.card_put(card("c2", at="2026-03-01T00:00:00Z", metadata={"prior_card_id": "root"}))
    store.card_put(card("g1", metadata={"prior_card_id": "c1"}))
    assert [c.card_id for c in store.card_children("root")] == ["c2", "c1"]
    assert store.card_get("g1").prior_card_id == "c1"  # type: ignore[union-attr]
    assert store.card_children("g1") == []


def test_concurrent_creates_of_one_id_have_one_winner(store: Store) -> None:
    wins: list[bool] = []

    def put(i: int) -> None:
        wins.append(store.card_put(card("same", stats={"i": i})))

    threads = [threading.Thread(target=put, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wins.count(True) == 1 and len(wins) == 8


def test_sqlite_cards_survive_reopen(tmp_path: Any) -> None:
    from alc.engine.store import SQLiteStore

    first = SQLiteStore(tmp_path / "s.db")
    first.card_put(card("a", stats={"pass_rate": 0.5}))
    first.samples_put("a", ['{"ok":true}'])
    first.alias_set(AliasRecord("best", "a", None, None, "t"))
    first.close()
    again = SQLiteStore(tmp_path / "s.db")
    assert again.card_get("a").body["stats"] == {"pass_rate": 0.5}  # type: ignore[union-attr]
    assert again.samples_read("a") == ['{"ok":true}']
    assert again.alias_get("best") is not None
    assert again._db.execute(
        "SELECT COUNT(*) FROM schema_migrations WHERE name = '0004_cards'"
    ).fetchone() == (1,)


def test_corrupted_card_row_is_store_unavailable(tmp_path: Any) -> None:
    from alc.engine.errors import StoreUnavailable
    from alc.engine.store import SQLiteStore

    s = SQLiteStore(tmp_path / "s.db")
    s.card_put(card("a"))
    s._db.execute("UPDATE cards SET body = 'not json' WHERE card_id = 'a'")
    with pytest.raises(StoreUnavailable, match="card 'a'"):
        s.card_get("a")
