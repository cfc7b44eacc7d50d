"""Row decoding shared by the SQL stores (SQLite and PostgreSQL).

Both stores keep sessions, cards and aliases in the same columns; this module turns their rows
into records, and a row that cannot be decoded into ``store_unavailable``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from alc.engine.errors import StoreUnavailable
from alc.engine.store._quota import tenant_column
from alc.engine.store._records import AliasRecord, CardRecord, Summary, stored_object

__all__ = [
    "ALIAS_COLUMNS",
    "ALIAS_UPSERT",
    "CARD_COLUMNS",
    "NEWEST_FIRST",
    "alias_columns",
    "card_columns",
    "card_filter",
    "card_from_row",
    "decoding",
    "summary_from_row",
]

CARD_COLUMNS = "SELECT card_id, body FROM cards"
"""The columns :func:`card_from_row` reads."""
NEWEST_FIRST = " ORDER BY created_at DESC, card_id DESC"
ALIAS_COLUMNS = "SELECT name, card_id, pkg, note, set_at FROM card_aliases"
ALIAS_UPSERT = (
    "INSERT INTO card_aliases (tenant, name, card_id, pkg, note, set_at) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (tenant, name) DO UPDATE SET "
    "card_id = excluded.card_id, pkg = excluded.pkg, note = excluded.note, "
    "set_at = excluded.set_at"
)
"""Bind or re-bind an alias (``?`` marks, see ``Dialect.sql``), after
:func:`tenant_column` then :func:`alias_columns`."""


def card_columns(card: CardRecord) -> tuple[Any, ...]:
    """``(card_id, pkg, created_at, prior_card_id, body)`` of a card row."""
    return (card.card_id, card.pkg, card.created_at, card.prior_card_id, card.body_json())


def alias_columns(alias: AliasRecord) -> tuple[Any, ...]:
    """``(name, card_id, pkg, note, set_at)`` of an alias row."""
    return (alias.name, alias.card_id, alias.pkg, alias.note, alias.set_at)


def card_filter(tenant: str | None, pkg: str | None, mark: str) -> tuple[str, tuple[Any, ...]]:
    """The ``WHERE`` clause (and its parameters) of the tenant's cards or aliases, of one
    ``pkg`` when given; ``mark`` is the dialect's parameter mark."""
    owner = tenant_column(tenant)
    if pkg is None:
        return f" WHERE tenant = {mark}", (owner,)
    return f" WHERE tenant = {mark} AND pkg = {mark}", (owner, pkg)


def summary_from_row(row: tuple[Any, ...]) -> Summary:
    """The :class:`Summary` of a session row (the columns of both stores' session queries).

    Raises:
        ValueError: a summary field has the wrong type (a corrupted row).
    """
    extra = stored_object(row[7])
    pending = extra.get("pending", ())
    answered = extra.get("answered", ())
    llm_calls = extra.get("llm_calls", 0)
    progress, outcome = extra.get("progress"), extra.get("outcome")
    log = extra.get("log", ())
    if not (
        isinstance(pending, list | tuple)
        and all(isinstance(q, dict) for q in pending)
        and isinstance(answered, list | tuple)
        and all(isinstance(a, str) for a in answered)
        and isinstance(llm_calls, int)
        and isinstance(log, list | tuple)
        and isinstance(progress, dict | None)
        and isinstance(outcome, dict | None)
    ):
        raise ValueError("the summary row has fields of the wrong type")
    return Summary(
        session_id=row[0],
        strategy=row[1],
        state=row[2],
        created_at=row[3],
        updated_at=row[4],
        head=row[5],
        pending=tuple(pending),
        answered=tuple(answered),
        llm_calls=llm_calls,
        progress=progress,
        log=tuple(log),
        outcome=outcome,
        tenant=row[8],
    )


def card_from_row(path: str, row: tuple[Any, ...]) -> CardRecord:
    """The card of a ``(card_id, body)`` row; a row that cannot be decoded is
    ``store_unavailable``."""
    try:
        return CardRecord.from_body(stored_object(row[1]))
    except (ValueError, TypeError, RecursionError) as exc:
        raise StoreUnavailable(
            f"The store at {path} holds a corrupted row for card {row[0]!r} ({exc}); the card "
            "cannot be read. Restore the store from a backup."
        ) from exc


@contextlib.contextmanager
def decoding(path: str, session_id: str) -> Iterator[None]:
    """Turn a row that cannot be decoded (corrupted or hand-edited) into ``store_unavailable``."""
    try:
        yield
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
        raise StoreUnavailable(
            f"The session store at {path} holds a corrupted row for session {session_id} "
            f"({type(exc).__name__}: {str(exc)[:200]}); the session cannot be read. Delete it "
            "or restore the store from a backup.",
            session_id=session_id,
            next_step="delete_session",
        ) from exc
