"""Store.session_ids: the ids of Store.list, without decoding a summary (every store)."""

from __future__ import annotations

import pytest

from alc.engine.store import PauseEvent, SessionRecord, Store, Summary, open_store


def _add(store: Store, n: int, strategy: str, tenant: str | None) -> str:
    sid = f"s-{n:032x}"
    record = SessionRecord(sid, 1.0, strategy, None, {}, 1, 2, {}, tenant)
    query = {"id": "q-0", "prompt": "p", "hash": "h"}
    store.create(record, [PauseEvent((query,))], Summary(sid, strategy, 1.0, float(n), "paused", 1))
    return sid


@pytest.mark.parametrize("where", ["memory", "database"])
def test_session_ids_page_through_the_listing(where: str, store_url: str) -> None:
    store = open_store(None if where == "memory" else store_url)
    try:
        mine = [_add(store, n, "thinking", "t1") for n in range(1, 8)]
        _add(store, 20, "other", "t1")
        _add(store, 21, "thinking", "t2")
        listed = [s.session_id for s in store.list(None, 100, "thinking", "t1")]
        assert listed == mine[::-1]
        assert store.session_ids(100, 0, "thinking", "t1") == listed
        assert store.session_ids(3, 5, "thinking", "t1") == listed[5:]
        assert store.session_ids(2, 1, "thinking", "t1") == listed[1:3]
        assert store.session_ids(5, 100, "thinking", "t1") == []
        assert len(store.session_ids(100)) == 9
    finally:
        store.close()
