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

from alc.engine.store._interfaces import InternalRecords, Journal, SourceStore, StateStore, Store
from alc.engine.store._memory import MemoryStore
from alc.engine.store._quota import StateQuota, Usage
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
from alc.engine.store._scoped import ScopedState
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
    "ScopedState",
    "SessionRecord",
    "SourceStore",
    "StateQuota",
    "StateStore",
    "Store",
    "Summary",
    "Usage",
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


def open_store(
    store: Store | str | os.PathLike[str] | None, *, state_quota: StateQuota | None = None
) -> Store:
    """A Store from what a user passed: a Store, a ``postgresql://`` / ``postgres://`` URL
    (PostgreSQL, shared by processes and machines), a path (SQLite), or None (in memory).

    ``state_quota`` bounds ``alc.state`` (default: :meth:`StateQuota.from_env`); a Store passed
    in keeps its own unless one is given here.

    Raises:
        StoreUnavailable: the store cannot be opened (bad path or URL, unreachable server); the
            message says what to check.
        MissingExtra: a ``postgresql://`` URL without the ``[postgres]`` extra installed.
    """
    if store is None:
        return MemoryStore(state_quota=state_quota)
    if isinstance(store, Store):
        if state_quota is not None:
            store.state_quota = state_quota
        return store
    if is_store_url(store):
        from alc._extras import require

        require("postgres", needed_by="a PostgreSQL store (postgresql:// URL)")
        from alc.engine.store._postgres import PostgresStore

        return PostgresStore(store, state_quota=state_quota)
    return SQLiteStore(store, state_quota=state_quota)
