"""The store: where sessions live durably, split into its four jobs (see ``_interfaces``).

Public names: :class:`Store` (the four interfaces in one), :class:`MemoryStore` (a process-local
dict, for embedding and tests), :class:`SQLiteStore` (stdlib ``sqlite3`` in WAL mode; the default
for the CLI and MCP server), the records and typed journal events (``_records``), and
:func:`open_store`. ``PostgresStore`` (``_postgres``: the shared store of a deployment, needs the
``[postgres]`` extra) is reached through :func:`open_store` with a ``postgresql://`` URL. Replay
itself lives in ``alc.engine.session``; the store only keeps.
"""

from __future__ import annotations

import os
from typing import TypeGuard

from alc.engine.errors import StoreUnavailable
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
from alc.engine.store._redact import redacted
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
    "is_store_url",
    "open_store",
    "redacted",
]


POSTGRES_SCHEMES = ("postgresql://", "postgres://")
"""URL prefixes that select :class:`~alc.engine.store._postgres.PostgresStore`."""


def is_store_url(store: object) -> TypeGuard[str]:
    """Whether ``store`` names a database server (a ``postgresql://`` URL) rather than a file."""
    return isinstance(store, str) and store.lower().startswith(POSTGRES_SCHEMES)


def open_store(store: Store | str | os.PathLike[str] | None) -> Store:
    """A Store from what a user passed: a Store, a ``postgresql://`` / ``postgres://`` URL
    (PostgreSQL, shared by processes and machines), a path (SQLite), or None (in memory).

    Raises:
        StoreUnavailable: the store cannot be opened (bad path or URL, unreachable server, the
            ``[postgres]`` extra missing); the message says what to check.
    """
    if store is None:
        return MemoryStore()
    if isinstance(store, Store):
        return store
    if is_store_url(store):
        try:
            from alc.engine.store._postgres import PostgresStore
        except ImportError as exc:
            raise StoreUnavailable(
                f"A PostgreSQL store needs psycopg 3 and psycopg-pool ({exc}): "
                "pip install 'alc-engine[postgres]'."
            ) from exc
        return PostgresStore(store)
    return SQLiteStore(store)
