"""The store: where sessions live durably, split into its four jobs (see ``_interfaces``).

Public names: :class:`Store` (the four interfaces in one), :class:`MemoryStore` (a process-local
dict, for embedding and tests), :class:`SQLiteStore` (stdlib ``sqlite3`` in WAL mode; the default
for the CLI and MCP server), the records and typed journal events (``_records``), and
:func:`open_store`. Replay itself lives in ``alc.engine.session``; the store only keeps.
"""

from __future__ import annotations

import os

from alc.engine.store._interfaces import InternalRecords, Journal, SourceStore, StateStore, Store
from alc.engine.store._memory import MemoryStore
from alc.engine.store._records import (
    AnswerEvent,
    CancelEvent,
    EndEvent,
    JournalEntry,
    JournalEvent,
    PauseEvent,
    SessionRecord,
    Summary,
    decode_event,
)
from alc.engine.store._sqlite import SQLiteStore

__all__ = [
    "AnswerEvent",
    "CancelEvent",
    "EndEvent",
    "InternalRecords",
    "Journal",
    "JournalEntry",
    "JournalEvent",
    "MemoryStore",
    "PauseEvent",
    "SQLiteStore",
    "SessionRecord",
    "SourceStore",
    "StateStore",
    "Store",
    "Summary",
    "decode_event",
    "open_store",
]


def open_store(store: Store | str | os.PathLike[str] | None) -> Store:
    """A Store from what a user passed: a Store, a path (SQLite), or None (in memory)."""
    if store is None:
        return MemoryStore()
    if isinstance(store, Store):
        return store
    return SQLiteStore(store)
