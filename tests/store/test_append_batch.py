"""A journal append is one transaction of at most two statements, and all or nothing: a failed
write leaves neither its events nor the moved summary (both databases)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alc.engine.errors import Conflict, SessionNotFound, StoreUnavailable
from alc.engine.store import (
    AnswerEvent,
    JournalEvent,
    PauseEvent,
    SessionRecord,
    SQLiteStore,
    Store,
    Summary,
    open_store,
)
from alc.engine.store._sql import _ROWS_PER_INSERT

SID = "s-" + "ab" * 16


def _record() -> SessionRecord:
    return SessionRecord(SID, 1.0, None, "alc.llm('q')", {}, 1, 2, {"max_step_seconds": 1.0})


def _pause(n: int) -> PauseEvent:
    query = {"id": f"q-{n}", "prompt": f"prompt {n}", "hash": f"h{n}", "options": {"n": [n] * 3}}
    return PauseEvent((query,), (["time", 1.5],))


def _summary(head: int, state: str = "paused") -> Summary:
    return Summary(SID, None, 1.0, 2.0 + head, state, head, pending=({"id": f"q-{head}"},))


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = open_store(store_url)
    opened.create(_record(), [_pause(0)], _summary(1))
    yield opened
    opened.close()


def _rows(store_sql: Any) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in store_sql("SELECT seq, kind FROM events ORDER BY seq")]


def _head(store_sql: Any) -> int:
    return int(store_sql("SELECT head FROM sessions WHERE id = ?", SID)[0][0])


def test_an_append_writes_every_event_and_the_summary(store: Store, store_sql: Any) -> None:
    events: list[JournalEvent] = [AnswerEvent("q-0", '{"thought": "a"}'), _pause(1)]
    assert store.append(SID, 1, events, _summary(3)) == 3
    assert _rows(store_sql) == [(1, "pause"), (2, "answer"), (3, "pause")]
    _, entries, summary = store.load(SID)
    assert [e.event for e in entries][1:] == events
    assert summary.head == 3 and summary.pending == ({"id": "q-3"},)
    assert summary.updated_at == 5.0


def test_a_long_batch_goes_through_the_bulk_insert(store: Store, store_sql: Any) -> None:
    events: list[JournalEvent] = [AnswerEvent(f"q-{n}", str(n)) for n in range(_ROWS_PER_INSERT)]
    events.append(_pause(1))
    head = 1 + len(events)
    assert store.append(SID, 1, events, _summary(head)) == head
    assert len(_rows(store_sql)) == head and _head(store_sql) == head
    assert [e.event for e in store.load(SID)[1]][1:] == events


def test_a_moved_head_or_a_missing_session_writes_nothing(store: Store, store_sql: Any) -> None:
    with pytest.raises(Conflict):
        store.append(SID, 0, [AnswerEvent("q-0", "late")], _summary(2))
    with pytest.raises(SessionNotFound):
        store.append("s-" + "cd" * 16, 0, [AnswerEvent("q-0", "x")], _summary(1))
    assert _rows(store_sql) == [(1, "pause")] and _head(store_sql) == 1


def test_a_failed_event_insert_rolls_the_summary_back(store: Store, store_sql: Any) -> None:
    """The insert fails after the summary's update succeeded (a stray row sits at the second
    seq): the transaction leaves neither the first event nor the new head."""
    store_sql(
        "INSERT INTO events (session_id, seq, kind, data) VALUES (?, ?, ?, ?)",
        SID,
        3,
        "answer",
        '{"query_id": "q-9", "text": "stray", "usage": null}',
    )
    with pytest.raises(StoreUnavailable):
        store.append(SID, 1, [AnswerEvent("q-0", "a"), _pause(1)], _summary(3))
    assert _rows(store_sql) == [(1, "pause"), (3, "answer")]
    assert _head(store_sql) == 1
    assert store.summary(SID).updated_at == 3.0  # the summary of the create, untouched


class _Recorder:
    """A sqlite3 connection that records the text of every statement it runs."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.statements: list[str] = []

    def execute(self, sql: str, params: Any = ()) -> Any:
        self.statements.append(sql.split()[0])
        return self.db.execute(sql, params)

    def executemany(self, sql: str, rows: Any) -> Any:
        self.statements.append("executemany")
        return self.db.executemany(sql, rows)


def test_sqlite_appends_in_two_statements_inside_one_transaction(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.db")
    try:
        store.create(_record(), [_pause(0)], _summary(1))
        recorder = _Recorder(store.connector.db)  # type: ignore[attr-defined]
        store.connector.db = recorder  # type: ignore[attr-defined]
        store.append(SID, 1, [AnswerEvent("q-0", "a"), _pause(1)], _summary(3))
        assert recorder.statements == ["BEGIN", "UPDATE", "INSERT", "COMMIT"]
    finally:
        store.connector.db = recorder.db  # type: ignore[attr-defined]
        store.close()
