"""The store's five jobs, each a small interface a backend implements on its own.

- :class:`Journal`: sessions (record, summary) and their append-only events, with the write rule:
  every write is one transaction that first checks the session's ``head`` (last event number);
  if another writer appended in between it raises :class:`~alc.engine.errors.Conflict` and
  changes nothing. Nothing is ever rewritten; only purge and delete remove whole sessions.
- :class:`SourceStore`: source files pinned by content hash (what replay re-loads).
- :class:`StateStore`: the persistent key-value store behind ``alc.state`` (values are JSON
  text), one operation per method, each atomic.
- :class:`InternalRecords`: engine-internal records (thought-chain bindings, ...) in a key space
  of their own that no ``alc.state`` namespace can reach, whatever a strategy sets as ``ctx._ns``.

- :class:`CardStore`: cards (``alc.card.*``): immutable run records, their write-once samples,
  mutable aliases, and the parent links lineage walks. Every method is one transaction.

:class:`Store` is all five; ``MemoryStore`` and ``SQLStore`` (SQLite and PostgreSQL, over the
dialect seam of ``_dialect``) implement it.
"""

from __future__ import annotations

import builtins
import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from typing import Any

from alc.engine.errors import CardImmutable, CardNotFound, CardTooLarge, Conflict
from alc.engine.store._quota import StateQuota, Usage
from alc.engine.store._records import (
    CARD_MAX_BYTES,
    SAMPLES_MAX_BYTES,
    SAMPLES_MAX_ROWS,
    AliasRecord,
    CardRecord,
    JournalEntry,
    JournalEvent,
    SessionRecord,
    Summary,
)

__all__ = ["CardStore", "InternalRecords", "Journal", "SourceStore", "StateStore", "Store"]


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

    def session_ids(
        self,
        limit: int = 100,
        offset: int = 0,
        strategy: str | None = None,
        tenant: str | None = None,
    ) -> builtins.list[str]:
        """The ids :meth:`list` would give (every state), without the first ``offset``: a
        listing that decodes no summary (a store answers it from its index alone)."""
        listed = self.list(None, max(0, limit) + max(0, offset), strategy, tenant)
        return [s.session_id for s in listed[max(0, offset) :]]

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
    """``alc.state``: JSON-text values under ``(tenant, namespace, key)``; each method is atomic.

    ``tenant`` is the owner (None: no tenancy), kept in a column of its own: no namespace or
    tenant name can reach another tenant's values. Every write is checked against the store's
    :class:`~alc.engine.store._quota.StateQuota` in the transaction that writes it.
    """

    state_quota: StateQuota = StateQuota()

    @abstractmethod
    def state_get(self, ns: str, key: str, *, tenant: str | None = None) -> str | None:
        """The value's JSON text, or None."""

    @abstractmethod
    def state_set(self, ns: str, key: str, value: str, *, tenant: str | None = None) -> None:
        """Write the value (JSON text).

        Raises:
            StateQuotaExceeded: the namespace or the tenant would pass its quota; nothing written.
        """

    @abstractmethod
    def state_keys(self, ns: str, *, tenant: str | None = None) -> builtins.list[str]:
        """The namespace's keys, sorted."""

    @abstractmethod
    def state_delete(self, ns: str, key: str, *, tenant: str | None = None) -> bool:
        """Remove the key; whether it existed."""

    @abstractmethod
    def state_has(self, ns: str, key: str, *, tenant: str | None = None) -> bool:
        """Whether the key exists."""

    @abstractmethod
    def state_set_nx(self, ns: str, key: str, value: str, *, tenant: str | None = None) -> bool:
        """Write the value only if the key is absent; whether it was written.

        Raises:
            StateQuotaExceeded: as for :meth:`state_set` (only when it would write).
        """

    @abstractmethod
    def state_incr(
        self, ns: str, key: str, delta: Any, default: Any, *, tenant: str | None = None
    ) -> int | float:
        """Add ``delta`` to the number stored (``default`` when absent); the new value.

        Raises:
            ValueError: the stored value or ``delta`` is not a number.
            StateQuotaExceeded: as for :meth:`state_set`.
        """

    @abstractmethod
    def state_usage(self, ns: str | None, *, tenant: str | None = None) -> Usage:
        """What the namespace (None: every namespace of the tenant) holds."""


class InternalRecords(ABC):
    """Engine-internal text records under ``(space, key)``, out of ``alc.state``'s reach."""

    @abstractmethod
    def get_internal(self, space: str, key: str) -> str | None:
        """The record's text, or None."""

    @abstractmethod
    def set_internal(self, space: str, key: str, value: str) -> None:
        """Write the record."""


class CardStore(ABC):
    """Cards, samples, aliases (docs/cards.md). Each method is atomic; nothing here rewrites a
    card's existing data: ``card_append`` only adds top-level keys, samples are written once.

    Listing order everywhere: ``created_at`` descending, then ``card_id`` descending.

    Every method takes the owner, ``tenant`` (None: no tenancy), kept in a column of its own:
    card ids and alias names are unique per tenant, and a tenant reads, lists and links only
    its own cards (another tenant's card is as absent as one that never existed).
    """

    @abstractmethod
    def card_put(self, card: CardRecord, *, tenant: str | None = None) -> bool:
        """Insert a new card; False (and nothing written) when its id exists already."""

    @abstractmethod
    def card_get(self, card_id: str, *, tenant: str | None = None) -> CardRecord | None:
        """The card, or None."""

    @abstractmethod
    def card_list(
        self, pkg: str | None = None, limit: int | None = None, *, tenant: str | None = None
    ) -> builtins.list[CardRecord]:
        """Cards (of one ``pkg`` when given), newest first, at most ``limit`` (None: all)."""

    def card_find(
        self,
        pkg: str | None = None,
        where: dict[str, Any] | None = None,
        order_by: builtins.list[tuple[builtins.list[str], bool]] | None = None,
        offset: int = 0,
        limit: int | None = None,
        *,
        tenant: str | None = None,
    ) -> builtins.list[CardRecord]:
        """The cards (of one ``pkg`` when given) matching ``where`` (checked by
        :func:`~alc.engine.card_query.check_where`; None: all), ordered by ``order_by`` (from
        :func:`~alc.engine.card_query.order_keys`; None: newest first), from ``offset``, at most
        ``limit`` (None: all). This default filters in Python; the SQL stores compile it.
        """
        from alc.engine.card_query import matches, ordered

        cards = [c for c in self.card_list(pkg, tenant=tenant) if matches(where or {}, c.body)]
        if order_by:
            by_body = {id(c.body): c for c in cards}
            cards = [by_body[id(b)] for b in ordered([c.body for c in cards], order_by)]
        return cards[offset : None if limit is None else offset + limit]

    @abstractmethod
    def card_children(
        self, card_id: str, *, tenant: str | None = None
    ) -> builtins.list[CardRecord]:
        """The cards whose ``prior_card_id`` is ``card_id``, newest first."""

    @abstractmethod
    def card_append(
        self, card_id: str, fields: dict[str, Any], *, tenant: str | None = None
    ) -> CardRecord:
        """Add new top-level keys to a card (see :func:`appended`); the merged card.

        Raises:
            CardNotFound: no such card. CardImmutable: a key exists already.
            CardTooLarge: the merged body is over :data:`CARD_MAX_BYTES`. Nothing is written.
        """

    @abstractmethod
    def samples_put(self, card_id: str, rows: Sequence[str], *, tenant: str | None = None) -> int:
        """Write the card's sample rows (JSON texts), once; returns how many.

        Raises:
            CardNotFound: no such card. CardImmutable: the card has samples already.
        """

    @abstractmethod
    def samples_read(
        self,
        card_id: str,
        offset: int = 0,
        limit: int | None = None,
        *,
        tenant: str | None = None,
    ) -> builtins.list[str]:
        """Sample rows (JSON texts) in written order from ``offset``, at most ``limit``.

        Raises:
            CardNotFound: no such card (a card without samples gives ``[]``).
        """

    @abstractmethod
    def samples_count(self, card_id: str, *, tenant: str | None = None) -> int:
        """How many sample rows the card has (0 for none or no such card)."""

    @abstractmethod
    def alias_set(self, alias: AliasRecord, *, tenant: str | None = None) -> None:
        """Bind (or re-bind) ``alias.name`` to ``alias.card_id``.

        Raises:
            CardNotFound: the card does not exist; nothing is written.
        """

    @abstractmethod
    def alias_get(self, name: str, *, tenant: str | None = None) -> AliasRecord | None:
        """The alias, or None."""

    @abstractmethod
    def alias_list(
        self, pkg: str | None = None, *, tenant: str | None = None
    ) -> builtins.list[AliasRecord]:
        """Aliases (whose ``pkg`` is ``pkg`` when given), by name."""


class Store(Journal, SourceStore, StateStore, InternalRecords, CardStore):
    """Everything the engine keeps: the five interfaces in one object."""


def appended(card: CardRecord | None, card_id: str, fields: dict[str, Any]) -> CardRecord:
    """The card after ``card_append(card_id, fields)`` (shared by the backends): new top-level
    keys only, JSON nulls dropped, within :data:`CARD_MAX_BYTES`.

    Raises:
        CardNotFound, CardImmutable, CardTooLarge: see :meth:`CardStore.card_append`.
    """
    if card is None:
        raise CardNotFound(f"alc.card.append: no card {card_id!r} in this store.")
    body = dict(card.body)
    for key, value in fields.items():
        if key in body:
            raise CardImmutable(
                f"alc.card.append: key {key!r} is already set on card {card_id!r}; cards are "
                "immutable, append under a new top-level key."
            )
        if value is not None:
            body[key] = value
    merged = CardRecord.from_body(body)
    check_card_size(merged)
    return merged


def check_card_size(card: CardRecord) -> None:
    """Raises CardTooLarge when the card's JSON is over :data:`CARD_MAX_BYTES`."""
    size = len(card.body_json().encode())
    if size > CARD_MAX_BYTES:
        raise CardTooLarge(
            f"card {card.card_id!r} would be {size:,} bytes of JSON, over the bound of "
            f"{CARD_MAX_BYTES:,}; keep per-case data in its samples (alc.card.write_samples)."
        )


def check_samples(card_id: str, rows: Sequence[str]) -> None:
    """Raises CardTooLarge when ``rows`` are over :data:`SAMPLES_MAX_ROWS` or
    :data:`SAMPLES_MAX_BYTES`."""
    if len(rows) > SAMPLES_MAX_ROWS:
        raise CardTooLarge(
            f"alc.card.write_samples: {len(rows):,} rows for card {card_id!r}, over the bound of "
            f"{SAMPLES_MAX_ROWS:,} rows per card."
        )
    size = sum(len(r.encode()) for r in rows)
    if size > SAMPLES_MAX_BYTES:
        raise CardTooLarge(
            f"alc.card.write_samples: the rows of card {card_id!r} are {size:,} bytes of JSON, "
            f"over the bound of {SAMPLES_MAX_BYTES:,}."
        )


def samples_exist(card_id: str) -> CardImmutable:
    """The error of a second ``samples_put`` on one card."""
    return CardImmutable(
        f"alc.card.write_samples: card {card_id!r} has samples already (they are written once)."
    )


def card_missing(card_id: str) -> CardNotFound:
    """The error of an operation on a card that does not exist."""
    return CardNotFound(f"No card {card_id!r} in this store.")


def newest_first(cards: Iterable[CardRecord]) -> builtins.list[CardRecord]:
    """Cards in listing order: ``created_at`` descending, then ``card_id`` descending."""
    return sorted(cards, key=lambda c: (c.created_at, c.card_id), reverse=True)


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
