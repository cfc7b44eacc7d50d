"""``MemoryStore``: the process-local store (sessions survive eviction, not the process)."""

from __future__ import annotations

import builtins
import json
import threading
from collections.abc import Iterable, Sequence
from typing import Any

from alc.engine.errors import SessionNotFound
from alc.engine.store._interfaces import Store, conflict, incremented
from alc.engine.store._records import JournalEntry, JournalEvent, SessionRecord, Summary

__all__ = ["MemoryStore"]


class MemoryStore(Store):
    """Process-local store: sessions survive eviction but not the process. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[str, SessionRecord] = {}
        self._events: dict[str, list[JournalEntry]] = {}
        self._summaries: dict[str, Summary] = {}
        self._sources: dict[str, str] = {}
        self._kv: dict[tuple[str, str], str] = {}
        self._internal: dict[tuple[str, str], str] = {}

    def create(
        self, record: SessionRecord, events: Sequence[JournalEvent], summary: Summary
    ) -> int:
        with self._lock:
            self._records[record.session_id] = record
            self._events[record.session_id] = []
            return self._append(record.session_id, events, summary)

    def _append(self, session_id: str, events: Sequence[JournalEvent], summary: Summary) -> int:
        log = self._events[session_id]
        for event in events:
            log.append(JournalEntry(len(log) + 1, event))
        summary.head = len(log)
        summary.tenant = self._records[session_id].tenant
        self._summaries[session_id] = summary
        return len(log)

    def append(
        self,
        session_id: str,
        expected_head: int,
        events: Sequence[JournalEvent],
        summary: Summary,
    ) -> int:
        with self._lock:
            log = self._events.get(session_id)
            if log is None:
                raise SessionNotFound(session_id)
            if len(log) != expected_head:
                raise conflict(session_id)
            return self._append(session_id, events, summary)

    def load(self, session_id: str) -> tuple[SessionRecord, list[JournalEntry], Summary]:
        with self._lock:
            if session_id not in self._records:
                raise SessionNotFound(session_id)
            return (
                self._records[session_id],
                list(self._events[session_id]),
                self._summaries[session_id],
            )

    def summary(self, session_id: str) -> Summary:
        try:
            return self._summaries[session_id]
        except KeyError:
            raise SessionNotFound(session_id) from None

    def list(
        self,
        states: Iterable[str] | None = None,
        limit: int = 100,
        strategy: str | None = None,
        tenant: str | None = None,
    ) -> list[Summary]:
        wanted = set(states) if states is not None else None
        with self._lock:
            rows = [
                s
                for s in self._summaries.values()
                if (wanted is None or s.state in wanted)
                and (strategy is None or s.strategy == strategy)
                and (tenant is None or s.tenant == tenant)
            ]
        rows.sort(key=lambda s: s.updated_at, reverse=True)
        return rows[:limit]

    def put_source(self, digest: str, text: str) -> None:
        self._sources[digest] = text

    def get_source(self, digest: str) -> str | None:
        return self._sources.get(digest)

    def purge(self, before: float, states: Iterable[str]) -> int:
        wanted = set(states)
        with self._lock:
            doomed = [
                sid
                for sid, s in self._summaries.items()
                if s.state in wanted and s.updated_at < before
            ]
            for sid in doomed:
                self._drop(sid)
        return len(doomed)

    def delete(self, session_id: str) -> bool:
        with self._lock:
            if session_id not in self._records:
                return False
            self._drop(session_id)
            return True

    def _drop(self, session_id: str) -> None:
        del self._records[session_id], self._events[session_id], self._summaries[session_id]

    # alc.state
    def state_get(self, ns: str, key: str) -> str | None:
        with self._lock:
            return self._kv.get((ns, key))

    def state_set(self, ns: str, key: str, value: str) -> None:
        with self._lock:
            self._kv[(ns, key)] = value

    def state_keys(self, ns: str) -> builtins.list[str]:
        with self._lock:
            return sorted(k for (n, k) in self._kv if n == ns)

    def state_delete(self, ns: str, key: str) -> bool:
        with self._lock:
            return self._kv.pop((ns, key), None) is not None

    def state_has(self, ns: str, key: str) -> bool:
        with self._lock:
            return (ns, key) in self._kv

    def state_set_nx(self, ns: str, key: str, value: str) -> bool:
        with self._lock:
            if (ns, key) in self._kv:
                return False
            self._kv[(ns, key)] = value
            return True

    def state_incr(self, ns: str, key: str, delta: Any, default: Any) -> int | float:
        with self._lock:
            value = incremented(self._kv.get((ns, key)), delta, default)
            self._kv[(ns, key)] = json.dumps(value)
            return value

    # engine-internal records
    def get_internal(self, space: str, key: str) -> str | None:
        with self._lock:
            return self._internal.get((space, key))

    def set_internal(self, space: str, key: str, value: str) -> None:
        with self._lock:
            self._internal[(space, key)] = value
