"""The store's four jobs, each a small interface a backend implements on its own.

- :class:`Journal`: sessions (record, summary) and their append-only events, with the write rule:
  every write is one transaction that first checks the session's ``head`` (last event number);
  if another writer appended in between it raises :class:`~alc.engine.errors.Conflict` and
  changes nothing. Nothing is ever rewritten; only purge and delete remove whole sessions.
- :class:`SourceStore`: source files pinned by content hash (what replay re-loads).
- :class:`StateStore`: the persistent key-value store behind ``alc.state`` (values are JSON
  text), one operation per method, each atomic.
- :class:`InternalRecords`: engine-internal records (thought-chain bindings, ...) in a key space
  of their own that no ``alc.state`` namespace can reach, whatever a strategy sets as ``ctx._ns``.

:class:`Store` is all four; ``MemoryStore`` and ``SQLiteStore`` implement it. A shared server
database plugs in by implementing the same methods with the same transaction rule.
"""

from __future__ import annotations

import builtins
import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from typing import Any

from alc.engine.errors import Conflict
from alc.engine.store._records import JournalEntry, JournalEvent, SessionRecord, Summary

__all__ = ["InternalRecords", "Journal", "SourceStore", "StateStore", "Store"]


class Journal(ABC):
    """Sessions and their events. Implementations must be safe to call from several threads."""

    path: str = ":memory:"

    @abstractmethod
    def create(
        self, record: SessionRecord, events: Sequence[JournalEvent], summary: Summary
    ) -> int:
        """Insert a new session with its first events; returns the new head.

        The session's owner is ``record.tenant``; the store keeps it with the session row and
        returns it in every :class:`Summary` it reads (``summary.tenant`` is not consulted).
        """

    @abstractmethod
    def append(
        self,
        session_id: str,
        expected_head: int,
        events: Sequence[JournalEvent],
        summary: Summary,
    ) -> int:
        """Append events atomically if the head is still ``expected_head``; returns the new head.

        Raises:
            Conflict: the head moved (another writer got there first); nothing was written.
            SessionNotFound: no such session.
        """

    @abstractmethod
    def load(self, session_id: str) -> tuple[SessionRecord, list[JournalEntry], Summary]:
        """The record, every event in order, and the summary.

        Raises:
            SessionNotFound: no such session.
            StoreUnavailable: a row cannot be decoded.
        """

    @abstractmethod
    def summary(self, session_id: str) -> Summary:
        """The summary row. Raises SessionNotFound."""

    @abstractmethod
    def list(
        self,
        states: Iterable[str] | None = None,
        limit: int = 100,
        strategy: str | None = None,
        tenant: str | None = None,
    ) -> list[Summary]:
        """Summaries, most recently updated first, optionally filtered by state, strategy and
        owner (``tenant``: only that tenant's sessions; None: every session)."""

    @abstractmethod
    def purge(self, before: float, states: Iterable[str]) -> int:
        """Delete sessions in ``states`` not updated since ``before``; returns how many."""

    @abstractmethod
    def delete(self, session_id: str) -> bool:
        """Delete one session and its events; returns whether it existed."""

    def close(self) -> None:  # noqa: B027 - optional hook, not abstract
        """Release resources (no-op by default)."""


class SourceStore(ABC):
    """Source texts by content hash."""

    @abstractmethod
    def put_source(self, digest: str, text: str) -> None:
        """Keep a source file's text under its content hash (idempotent)."""

    @abstractmethod
    def get_source(self, digest: str) -> str | None:
        """The text stored under ``digest``, or None."""


class StateStore(ABC):
    """``alc.state``: JSON-text values under ``(namespace, key)``; each method is atomic."""

    @abstractmethod
    def state_get(self, ns: str, key: str) -> str | None:
        """The value's JSON text, or None."""

    @abstractmethod
    def state_set(self, ns: str, key: str, value: str) -> None:
        """Write the value (JSON text)."""

    @abstractmethod
    def state_keys(self, ns: str) -> builtins.list[str]:
        """The namespace's keys, sorted."""

    @abstractmethod
    def state_delete(self, ns: str, key: str) -> bool:
        """Remove the key; whether it existed."""

    @abstractmethod
    def state_has(self, ns: str, key: str) -> bool:
        """Whether the key exists."""

    @abstractmethod
    def state_set_nx(self, ns: str, key: str, value: str) -> bool:
        """Write the value only if the key is absent; whether it was written."""

    @abstractmethod
    def state_incr(self, ns: str, key: str, delta: Any, default: Any) -> int | float:
        """Add ``delta`` to the number stored (``default`` when absent); the new value.

        Raises:
            ValueError: the stored value or ``delta`` is not a number.
        """


class InternalRecords(ABC):
    """Engine-internal text records under ``(space, key)``, out of ``alc.state``'s reach."""

    @abstractmethod
    def get_internal(self, space: str, key: str) -> str | None:
        """The record's text, or None."""

    @abstractmethod
    def set_internal(self, space: str, key: str, value: str) -> None:
        """Write the record."""


class Store(Journal, SourceStore, StateStore, InternalRecords):
    """Everything the engine keeps: the four interfaces in one object."""


def incremented(current: str | None, delta: Any, default: Any) -> int | float:
    """The result of ``alc.state.incr`` on a stored JSON value (shared by the backends).

    Raises:
        ValueError: the stored value or ``delta`` is not a number.
    """
    base = json.loads(current) if current is not None else default
    if isinstance(base, bool) or not isinstance(base, int | float):
        raise ValueError("alc.state.incr: the stored value is not a number")
    if isinstance(delta, bool) or not isinstance(delta, int | float):
        raise ValueError("alc.state.incr: delta must be a number")
    return base + delta


def conflict(session_id: str) -> Conflict:
    """The error of a write that lost the race for a session's head."""
    return Conflict(
        f"Session {session_id} was advanced by another process or task at the same time; "
        "nothing was applied. Read its state and answer the current queries.",
        session_id=session_id,
    )
