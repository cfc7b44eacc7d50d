"""The store's record types behave as the frozen dataclasses they replace (value objects)."""

from __future__ import annotations

import copy
import dataclasses
import json
import pickle

import pytest

from alc.engine.store._records import (
    AliasRecord,
    AnswerEvent,
    CancelEvent,
    CardRecord,
    EndEvent,
    JournalEntry,
    PauseEvent,
    SessionRecord,
    Summary,
    decode_event,
)

RECORD = SessionRecord("s-1", 1.5, None, "return 1", {"k": [1]}, 7, 8, {"lua_version": "5.4"})
FROZEN = [
    RECORD,
    PauseEvent(({"id": "q-0", "hash": "h"},), (("clock", 1.0),)),
    AnswerEvent("q-0", "text", {"prompt_tokens": 1}),
    EndEvent({"status": "completed"}),
    CancelEvent({"status": "cancelled"}),
    JournalEntry(3, AnswerEvent("q-1", "t")),
    CardRecord("c", "pkg", "2026-01-01T00:00:00Z", {"card_id": "c"}),
    AliasRecord("best", "c", None, "note", "2026-01-01T00:00:00Z"),
]


@pytest.mark.parametrize("record", FROZEN, ids=lambda r: type(r).__name__)
def test_frozen_records_are_values(record: object) -> None:
    twin = pickle.loads(pickle.dumps(record))
    assert twin == record and twin is not record
    assert copy.deepcopy(record) == record and copy.copy(record) == record
    assert record != object() and record != [record]
    assert repr(record).startswith(f"{type(record).__name__}(")
    name = {"SessionRecord": "session_id", "JournalEntry": "seq", "CardRecord": "card_id"}.get(
        type(record).__name__, "outcome" if isinstance(record, EndEvent | CancelEvent) else "text"
    )
    name = "queries" if isinstance(record, PauseEvent) else name
    name = "name" if isinstance(record, AliasRecord) else name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(record, name, None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        delattr(record, name)
    with pytest.raises((AttributeError, TypeError)):
        record.__dict__  # noqa: B018  (slotted: no per-instance dict)


def test_fields_differ_by_value_and_class() -> None:
    assert AnswerEvent("q-0", "a") != AnswerEvent("q-0", "b")
    entry = JournalEntry(3, AnswerEvent("q-1", "t"))
    assert hash(entry) == hash(JournalEntry(3, AnswerEvent("q-1", "t")))  # hashed by fields
    assert len({entry, JournalEntry(3, AnswerEvent("q-1", "t")), JournalEntry(4, entry.event)}) == 2
    with pytest.raises(TypeError):
        hash(EndEvent({"x": 1}))  # a dict field, as with a dataclass
    assert EndEvent({"x": 1}) != CancelEvent({"x": 1})
    assert repr(AnswerEvent("q-0", "a")) == "AnswerEvent(query_id='q-0', text='a', usage=None)"
    assert CancelEvent().outcome == {} and CancelEvent().outcome is not CancelEvent().outcome


def test_session_record_json_round_trip() -> None:
    text = RECORD.to_json()
    fields = "code created_at ctx hash_seed limits math_seed session_id strategy tenant"
    assert list(json.loads(text)) == fields.split()  # sorted keys
    assert SessionRecord.from_json(text) == RECORD
    with pytest.raises(TypeError):
        SessionRecord.from_json('{"session_id": "s"}')


def test_summary_is_mutable_and_unhashable() -> None:
    summary = Summary("s-1", None, 1.0, 2.0, "paused")
    summary.head = 4
    assert summary.head == 4 and summary == Summary("s-1", None, 1.0, 2.0, "paused", head=4)
    with pytest.raises(TypeError):
        hash(summary)
    assert pickle.loads(pickle.dumps(summary)) == summary


def test_events_round_trip_through_their_data() -> None:
    for event in FROZEN[1:5]:
        assert decode_event(event.kind, event.to_data()) == event  # type: ignore[attr-defined]
