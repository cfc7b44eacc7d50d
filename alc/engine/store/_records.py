"""What the store keeps: session records, typed journal events, summaries.

A session's durable record is its :class:`SessionRecord` (source, ctx, seeds, limits: fixed at
creation) plus an append-only list of journal events, each stored as ``(seq, kind, data)``:

=========  ==================================================================================
kind       data
=========  ==================================================================================
pause      :class:`PauseEvent`: ``{"queries": [query wire + "hash"], "effects": [...]}``
answer     :class:`AnswerEvent`: ``{"query_id", "text", "usage"}``
end        :class:`EndEvent`: ``{"outcome": <wire object>, "effects": [...]}``
cancel     :class:`CancelEvent`: ``{"outcome": <wire object>}``
=========  ==================================================================================

Cards (``alc.card.*``, docs/cards.md) are kept as :class:`CardRecord` (the JSON body of one
immutable run record plus the columns a store indexes), their samples as JSON text rows, and
aliases as :class:`AliasRecord`.

``effects`` are the values a step read from the outside world (clock, ``os.getenv``, loaded
sources, ``alc.state``): recorded live, served back on replay. This module owns the dict form of
every event (:meth:`to_data` / :func:`decode_event`); nothing else builds or parses it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, ClassVar

__all__ = [
    "CARD_MAX_BYTES",
    "SAMPLES_MAX_BYTES",
    "SAMPLES_MAX_ROWS",
    "AliasRecord",
    "AnswerEvent",
    "CancelEvent",
    "CardRecord",
    "EndEvent",
    "JournalEntry",
    "JournalEvent",
    "PauseEvent",
    "SessionRecord",
    "Summary",
    "decode_event",
    "stored_object",
]


@dataclass(frozen=True)
class SessionRecord:
    """What a session is, fixed at creation: enough to rebuild it by replay.

    Attributes:
        session_id: ``s-`` + 32 hex digits.
        created_at: Unix epoch seconds.
        strategy: the strategy package name, or None for inline code.
        code: the inline code, or None for a strategy (its files are pinned as effects).
        ctx: the JSON ctx the session started with.
        math_seed / hash_seed: the session's seeds.
        limits: the ``Limits`` as a dict (includes ``lua_version``).
        tenant: who owns the session (the tenant of the request that created it), or None for
            a session made without tenancy (embedded use, an ``alc serve`` without tokens).
    """

    session_id: str
    created_at: float
    strategy: str | None
    code: str | None
    ctx: Any
    math_seed: int
    hash_seed: int
    limits: dict[str, Any]
    tenant: str | None = None

    def to_json(self) -> str:
        return json.dumps(self.__dict__, sort_keys=True, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> SessionRecord:
        """Raises ValueError or TypeError when ``text`` is not a record's JSON."""
        return cls(**stored_object(text))


@dataclass(frozen=True, slots=True)
class PauseEvent:
    """The session paused.

    Attributes:
        queries: each query's wire object plus ``"hash"`` (see ``session.prompt_hash``).
        effects: the outside reads of the step that led here, ``[[kind, value], ...]``.
    """

    kind: ClassVar[str] = "pause"
    queries: tuple[dict[str, Any], ...]
    effects: tuple[Any, ...] = ()

    def to_data(self) -> dict[str, Any]:
        return {"queries": list(self.queries), "effects": list(self.effects)}


@dataclass(frozen=True, slots=True)
class AnswerEvent:
    """A driver's answer to one query (already validated), with its reported usage if any."""

    kind: ClassVar[str] = "answer"
    query_id: str
    text: str
    usage: dict[str, Any] | None = None

    def to_data(self) -> dict[str, Any]:
        return {"query_id": self.query_id, "text": self.text, "usage": self.usage}


@dataclass(frozen=True, slots=True)
class EndEvent:
    """The session completed or failed: its outcome's wire object and the last step's reads."""

    kind: ClassVar[str] = "end"
    outcome: dict[str, Any]
    effects: tuple[Any, ...] = ()

    def to_data(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "effects": list(self.effects)}


@dataclass(frozen=True, slots=True)
class CancelEvent:
    """The session was cancelled: the ``cancelled`` wire object."""

    kind: ClassVar[str] = "cancel"
    outcome: dict[str, Any] = field(default_factory=dict)

    def to_data(self) -> dict[str, Any]:
        return {"outcome": self.outcome}


JournalEvent = PauseEvent | AnswerEvent | EndEvent | CancelEvent
"""One journal event (what a session operation returns for the registry to append)."""


def decode_event(kind: str, data: dict[str, Any]) -> JournalEvent:
    """The typed event of a stored ``(kind, data)`` row.

    Raises:
        ValueError: an unknown kind or a malformed row (the store reports ``store_unavailable``).
    """
    try:
        if kind == "pause":
            return PauseEvent(tuple(data["queries"]), tuple(data.get("effects") or ()))
        if kind == "answer":
            return AnswerEvent(str(data["query_id"]), str(data["text"]), data.get("usage"))
        if kind == "end":
            return EndEvent(dict(data["outcome"]), tuple(data.get("effects") or ()))
        if kind == "cancel":
            return CancelEvent(dict(data.get("outcome") or {}))
    except (KeyError, TypeError) as exc:
        raise ValueError(f"a {kind!r} event without its fields ({exc})") from None
    raise ValueError(f"unknown journal event kind {kind!r}")


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One journal row: ``seq`` counts from 1 within the session."""

    seq: int
    event: JournalEvent


@dataclass(slots=True)
class Summary:
    """The session row other processes read for ``status`` and listings.

    Attributes:
        session_id, strategy, created_at, updated_at (epoch seconds), state.
        head: the seq of the last event (0 before the first).
        pending: the open pause's queries in wire shape (empty unless paused).
        answered: ids of those already answered (partial batch).
        llm_calls: queries issued so far.
        progress: last ``alc.progress`` or None; log: recent log lines.
        outcome: the terminal wire object, or None.
        tenant: the owner, as in :class:`SessionRecord` (set by the store when it reads the
            row; a summary built by a session leaves it None and the store keeps the stored one).
    """

    session_id: str
    strategy: str | None
    created_at: float
    updated_at: float
    state: str
    head: int = 0
    pending: tuple[dict[str, Any], ...] = ()
    answered: tuple[str, ...] = ()
    llm_calls: int = 0
    progress: dict[str, Any] | None = None
    log: tuple[dict[str, Any], ...] = ()
    outcome: dict[str, Any] | None = None
    tenant: str | None = None

    def extra_json(self) -> str:
        return json.dumps(
            {
                "pending": list(self.pending),
                "answered": list(self.answered),
                "llm_calls": self.llm_calls,
                "progress": self.progress,
                "log": list(self.log),
                "outcome": self.outcome,
            },
            ensure_ascii=False,
        )


def stored_object(text: Any) -> dict[str, Any]:
    """A stored JSON object (a row's record, summary or event data).

    Raises:
        ValueError: the text is not JSON, or not an object.
    """
    if not isinstance(text, str | bytes):
        raise ValueError(f"a stored value is {type(text).__name__}, not JSON text")
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError(f"a stored value is a JSON {type(value).__name__}, not an object")
    return value


CARD_MAX_BYTES = 256 * 1024
"""The JSON of one card body (after ``append``) may be at most this many bytes (Tier 1 is a
summary of a few KB; per-case data belongs in samples)."""
SAMPLES_MAX_ROWS = 10_000
"""At most this many sample rows per card (samples are written once, in one call)."""
SAMPLES_MAX_BYTES = 16 * 1024 * 1024
"""The JSON text of one card's sample rows may total at most this many bytes."""


@dataclass(frozen=True, slots=True)
class CardRecord:
    """One card: an immutable run record (see docs/cards.md).

    Attributes:
        card_id: the card's id (``{pkg}_{model}_{YYYYMMDDTHHMMSS}_{hash6}`` unless the creator
            chose one).
        pkg: ``body["pkg"]["name"]``.
        created_at: RFC 3339 UTC text, ``YYYY-MM-DDTHH:MM:SSZ`` (listings sort on it).
        body: the whole card as a JSON object (``card_id``, ``pkg``, ``created_at``, ... and
            every section its creator wrote). Never contains JSON null.
        prior_card_id: ``body["metadata"]["prior_card_id"]`` when it is a string (lineage).
    """

    card_id: str
    pkg: str
    created_at: str
    body: dict[str, Any]
    prior_card_id: str | None = None

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> CardRecord:
        """The record of a card body (its columns read from the body).

        Raises:
            ValueError: the body lacks ``card_id``, ``pkg.name`` or ``created_at`` as strings.
        """
        pkg = body.get("pkg")
        name = pkg.get("name") if isinstance(pkg, dict) else None
        card_id, created_at = body.get("card_id"), body.get("created_at")
        if not (isinstance(card_id, str) and isinstance(name, str) and isinstance(created_at, str)):
            raise ValueError("a card body without card_id, pkg.name or created_at")
        metadata = body.get("metadata")
        prior = metadata.get("prior_card_id") if isinstance(metadata, dict) else None
        return cls(card_id, name, created_at, body, prior if isinstance(prior, str) else None)

    def body_json(self) -> str:
        return json.dumps(self.body, sort_keys=True, ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class AliasRecord:
    """A mutable name bound to a card (re-binding replaces the old binding).

    Attributes:
        name: the alias. card_id: the card it names. pkg / note: free metadata (or None).
        set_at: RFC 3339 UTC text of the last binding.
    """

    name: str
    card_id: str
    pkg: str | None
    note: str | None
    set_at: str

    def wire(self) -> dict[str, Any]:
        """The JSON form (algocline's): ``{name, card_id, set_at[, pkg][, note]}``."""
        out: dict[str, Any] = {"name": self.name, "card_id": self.card_id, "set_at": self.set_at}
        if self.pkg is not None:
            out["pkg"] = self.pkg
        if self.note is not None:
            out["note"] = self.note
        return out
