"""``MemoryStore``: the process-local store (sessions survive eviction, not the process)."""

from __future__ import annotations

import builtins
import json
import threading
from collections.abc import Iterable, Sequence
from typing import Any

from alc.engine.errors import SessionNotFound
from alc.engine.store._interfaces import (
    Store,
    appended,
    card_missing,
    check_samples,
    conflict,
    incremented,
    newest_first,
    samples_exist,
)
from alc.engine.store._records import (
    AliasRecord,
    CardRecord,
    JournalEntry,
    JournalEvent,
    SessionRecord,
    Summary,
)

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
        self._cards: dict[str, CardRecord] = {}
        self._samples: dict[str, tuple[str, ...]] = {}
        self._aliases: dict[str, AliasRecord] = {}

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

    # cards
    def card_put(self, card: CardRecord) -> bool:
        with self._lock:
            if card.card_id in self._cards:
                return False
            self._cards[card.card_id] = card
            return True

    def card_get(self, card_id: str) -> CardRecord | None:
        with self._lock:
            return self._cards.get(card_id)

    def card_list(
        self, pkg: str | None = None, limit: int | None = None
    ) -> builtins.list[CardRecord]:
        with self._lock:
            rows = [c for c in self._cards.values() if pkg is None or c.pkg == pkg]
        return newest_first(rows)[:limit]

    def card_children(self, card_id: str) -> builtins.list[CardRecord]:
        with self._lock:
            return newest_first(c for c in self._cards.values() if c.prior_card_id == card_id)

    def card_append(self, card_id: str, fields: dict[str, Any]) -> CardRecord:
        with self._lock:
            merged = appended(self._cards.get(card_id), card_id, fields)
            self._cards[card_id] = merged
            return merged

    def samples_put(self, card_id: str, rows: Sequence[str]) -> int:
        check_samples(card_id, rows)
        with self._lock:
            if card_id not in self._cards:
                raise card_missing(card_id)
            if card_id in self._samples:
                raise samples_exist(card_id)
            self._samples[card_id] = tuple(rows)
            return len(rows)

    def samples_read(
        self, card_id: str, offset: int = 0, limit: int | None = None
    ) -> builtins.list[str]:
        with self._lock:
            if card_id not in self._cards:
                raise card_missing(card_id)
            rows = self._samples.get(card_id, ())
        end = None if limit is None else offset + limit
        return list(rows[offset:end])

    def samples_count(self, card_id: str) -> int:
        with self._lock:
            return len(self._samples.get(card_id, ()))

    def alias_set(self, alias: AliasRecord) -> None:
        with self._lock:
            if alias.card_id not in self._cards:
                raise card_missing(alias.card_id)
            self._aliases[alias.name] = alias

    def alias_get(self, name: str) -> AliasRecord | None:
        with self._lock:
            return self._aliases.get(name)

    def alias_list(self, pkg: str | None = None) -> builtins.list[AliasRecord]:
        with self._lock:
            rows = [a for a in self._aliases.values() if pkg is None or a.pkg == pkg]
        return sorted(rows, key=lambda a: a.name)
