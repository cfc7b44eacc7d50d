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
from alc.engine.store._quota import StateQuota, Usage, row_size, tenant_column
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
    """Process-local store: sessions survive eviction but not the process. Thread-safe.

    Args:
        state_quota: the bounds of ``alc.state`` (default :meth:`StateQuota.from_env`).
    """

    def __init__(self, *, state_quota: StateQuota | None = None) -> None:
        self.state_quota = state_quota or StateQuota.from_env()
        self._lock = threading.Lock()
        self._records: dict[str, SessionRecord] = {}
        self._events: dict[str, list[JournalEntry]] = {}
        self._summaries: dict[str, Summary] = {}
        self._sources: dict[str, str] = {}
        self._kv: dict[tuple[str, str, str], str] = {}  # (tenant, ns, key) -> value
        self._usage: dict[tuple[str, str | None], Usage] = {}  # (tenant, ns or None for all)
        self._internal: dict[tuple[str, str], str] = {}
        self._cards: dict[tuple[str, str], CardRecord] = {}  # keyed (tenant, id) from here on
        self._samples: dict[tuple[str, str], tuple[str, ...]] = {}
        self._aliases: dict[tuple[str, str], AliasRecord] = {}

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

    # alc.state: keyed (tenant column, ns, key); usage per (tenant, ns) and (tenant, None)
    def state_get(self, ns: str, key: str, *, tenant: str | None = None) -> str | None:
        with self._lock:
            return self._kv.get((tenant_column(tenant), ns, key))

    def _write(
        self, tenant: str | None, ns: str, key: str, value: str | None, only_if_absent: bool
    ) -> bool:
        """Write (``value``) or delete (None) one key within the quota; whether it changed.
        Callers hold the lock."""
        owner = tenant_column(tenant)
        old = self._kv.get((owner, ns, key))
        if (old is not None and only_if_absent) or (old is None and value is None):
            return False
        old_size = 0 if old is None else row_size(key, old)
        new_size = 0 if value is None else row_size(key, value)
        grow = Usage(new_size - old_size, (value is not None) - (old is not None))
        in_ns = self._usage.get((owner, ns), Usage())
        in_tenant = self._usage.get((owner, None), Usage())
        self.state_quota.check(ns, key, grow, in_ns, in_tenant, tenant)
        if value is None:
            del self._kv[(owner, ns, key)]
        else:
            self._kv[(owner, ns, key)] = value
        for scope, was in (((owner, ns), in_ns), ((owner, None), in_tenant)):
            self._usage[scope] = Usage(was.size + grow.size, was.keys + grow.keys)
        return True

    def state_set(self, ns: str, key: str, value: str, *, tenant: str | None = None) -> None:
        with self._lock:
            self._write(tenant, ns, key, value, False)

    def state_keys(self, ns: str, *, tenant: str | None = None) -> builtins.list[str]:
        owner = tenant_column(tenant)
        with self._lock:
            return sorted(k for (t, n, k) in self._kv if t == owner and n == ns)

    def state_delete(self, ns: str, key: str, *, tenant: str | None = None) -> bool:
        with self._lock:
            return self._write(tenant, ns, key, None, False)

    def state_has(self, ns: str, key: str, *, tenant: str | None = None) -> bool:
        return self.state_get(ns, key, tenant=tenant) is not None

    def state_set_nx(self, ns: str, key: str, value: str, *, tenant: str | None = None) -> bool:
        with self._lock:
            return self._write(tenant, ns, key, value, True)

    def state_incr(
        self, ns: str, key: str, delta: Any, default: Any, *, tenant: str | None = None
    ) -> int | float:
        with self._lock:
            current = self._kv.get((tenant_column(tenant), ns, key))
            value = incremented(current, delta, default)
            self._write(tenant, ns, key, json.dumps(value), False)
            return value

    def state_usage(self, ns: str | None, *, tenant: str | None = None) -> Usage:
        with self._lock:
            return self._usage.get((tenant_column(tenant), ns), Usage())

    # engine-internal records
    def get_internal(self, space: str, key: str) -> str | None:
        with self._lock:
            return self._internal.get((space, key))

    def set_internal(self, space: str, key: str, value: str) -> None:
        with self._lock:
            self._internal[(space, key)] = value

    # cards: keyed (tenant column, card id / alias name)
    def card_put(self, card: CardRecord, *, tenant: str | None = None) -> bool:
        where = (tenant_column(tenant), card.card_id)
        with self._lock:
            if where in self._cards:
                return False
            self._cards[where] = card
            return True

    def card_get(self, card_id: str, *, tenant: str | None = None) -> CardRecord | None:
        with self._lock:
            return self._cards.get((tenant_column(tenant), card_id))

    def _owned(self, tenant: str | None) -> builtins.list[CardRecord]:
        owner = tenant_column(tenant)
        with self._lock:
            return [c for (t, _), c in self._cards.items() if t == owner]

    def card_list(
        self, pkg: str | None = None, limit: int | None = None, *, tenant: str | None = None
    ) -> builtins.list[CardRecord]:
        rows = [c for c in self._owned(tenant) if pkg is None or c.pkg == pkg]
        return newest_first(rows)[:limit]

    def card_children(
        self, card_id: str, *, tenant: str | None = None
    ) -> builtins.list[CardRecord]:
        return newest_first(c for c in self._owned(tenant) if c.prior_card_id == card_id)

    def card_append(
        self, card_id: str, fields: dict[str, Any], *, tenant: str | None = None
    ) -> CardRecord:
        where = (tenant_column(tenant), card_id)
        with self._lock:
            merged = appended(self._cards.get(where), card_id, fields)
            self._cards[where] = merged
            return merged

    def samples_put(self, card_id: str, rows: Sequence[str], *, tenant: str | None = None) -> int:
        check_samples(card_id, rows)
        where = (tenant_column(tenant), card_id)
        with self._lock:
            if where not in self._cards:
                raise card_missing(card_id)
            if where in self._samples:
                raise samples_exist(card_id)
            self._samples[where] = tuple(rows)
            return len(rows)

    def samples_read(
        self,
        card_id: str,
        offset: int = 0,
        limit: int | None = None,
        *,
        tenant: str | None = None,
    ) -> builtins.list[str]:
        where = (tenant_column(tenant), card_id)
        with self._lock:
            if where not in self._cards:
                raise card_missing(card_id)
            rows = self._samples.get(where, ())
        end = None if limit is None else offset + limit
        return list(rows[offset:end])

    def samples_count(self, card_id: str, *, tenant: str | None = None) -> int:
        with self._lock:
            return len(self._samples.get((tenant_column(tenant), card_id), ()))

    def alias_set(self, alias: AliasRecord, *, tenant: str | None = None) -> None:
        owner = tenant_column(tenant)
        with self._lock:
            if (owner, alias.card_id) not in self._cards:
                raise card_missing(alias.card_id)
            self._aliases[(owner, alias.name)] = alias

    def alias_get(self, name: str, *, tenant: str | None = None) -> AliasRecord | None:
        with self._lock:
            return self._aliases.get((tenant_column(tenant), name))

    def alias_list(
        self, pkg: str | None = None, *, tenant: str | None = None
    ) -> builtins.list[AliasRecord]:
        owner = tenant_column(tenant)
        with self._lock:
            rows = [
                a
                for (t, _), a in self._aliases.items()
                if t == owner and (pkg is None or a.pkg == pkg)
            ]
        return sorted(rows, key=lambda a: a.name)
