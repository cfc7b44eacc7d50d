"""Row decoding shared by the SQL stores (SQLite and PostgreSQL).

Both stores keep sessions, cards and aliases in the same columns; this module turns their rows
into records, and a row that cannot be decoded into ``store_unavailable``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from alc.engine.errors import StoreUnavailable
from alc.engine.store._records import CardRecord, Summary, stored_object

__all__ = [
    "ALIAS_COLUMNS",
    "CARD_COLUMNS",
    "NEWEST_FIRST",
    "card_from_row",
    "decoding",
    "summary_from_row",
]

CARD_COLUMNS = "SELECT card_id, body FROM cards"
"""The columns :func:`card_from_row` reads."""
NEWEST_FIRST = " ORDER BY created_at DESC, card_id DESC"
ALIAS_COLUMNS = "SELECT name, card_id, pkg, note, set_at FROM card_aliases"


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
