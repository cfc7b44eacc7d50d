"""Session logs over the journal: algocline's notes, log view, usage statistics and the
``pending_filter`` projection of ``alc_status``.

algocline writes one JSON log file per session (``~/.algocline/logs/<id>.json``: the
transcript, its stats and notes) and reads them back for ``alc_log_view`` / ``alc_stats``.
alc already journals every session in its store, so each function here composes the same
document from the journal (:meth:`~alc.Engine.transcript`, :meth:`~alc.Engine.sessions`);
notes are kept as an internal record of the store (a key space no ``alc.state`` namespace
reaches), so they survive restarts and are seen by every process sharing the store.

Every function takes the blocking :class:`~alc.Engine`; errors are alc's coded errors
(``session_not_found``, ``invalid_input``).
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from alc._api import Engine
from alc.engine.errors import InvalidInput
from alc.engine.protocol import Query, SessionSnapshot

__all__ = [
    "DEFAULT_LOG_CHARS",
    "PREVIEW_CHARS",
    "PendingFilter",
    "add_note",
    "log_list",
    "pending_filter",
    "projected",
    "session_log",
    "session_notes",
    "usage_stats",
]

NOTES_SPACE = "algocline.notes"
"""The store's internal key space holding each session's notes (key: the session id)."""

PREVIEW_CHARS = 200
"""Characters of the prompt the ``preview`` preset shows (``ALC_PROMPT_PREVIEW_CHARS``
overrides it, as in algocline)."""

DEFAULT_LOG_CHARS = 100_000
"""``max_chars`` of ``alc_log_view`` when not given (algocline's 100 KB)."""

_MAX_NOTE_CHARS = 100_000
_MAX_NOTES = 1000
_STATS_SCAN = 100_000
"""At most this many sessions (the most recent) are read by :func:`usage_stats`."""


# ---------------------------------------------------------------------- pending_filter


@dataclass(frozen=True)
class PendingFilter:
    """Which fields of each pending query ``alc_status`` shows (algocline's ``PendingFilter``).

    Attributes:
        query_id / max_tokens / system / grounded / underspecified: show that field.
        prompt: ``"off"``, ``"preview"`` (the first ``chars`` characters, as
            ``prompt_preview``) or ``"full"``.
        chars: the preview length in characters.
    """

    query_id: bool = False
    max_tokens: bool = False
    system: bool = False
    grounded: bool = False
    underspecified: bool = False
    prompt: str = "off"
    chars: int = PREVIEW_CHARS

    def project(self, query: Query) -> dict[str, Any]:
        """The fields of ``query`` this filter shows."""
        out: dict[str, Any] = {}
        for name in ("max_tokens", "system", "grounded", "underspecified"):
            if getattr(self, name):
                out[name] = getattr(query, name)
        if self.query_id:
            out["query_id"] = query.id
        if self.prompt == "full":
            out["prompt"] = query.prompt
        elif self.prompt == "preview":
            out["prompt_preview"] = query.prompt[: self.chars]
        return out


_FLAGS = ("query_id", "max_tokens", "system", "grounded", "underspecified")


def _preview_chars() -> int:
    raw = os.environ.get("ALC_PROMPT_PREVIEW_CHARS", "")
    return int(raw) if raw.isdigit() else PREVIEW_CHARS


def pending_filter(value: Any) -> PendingFilter | None:
    """algocline's ``pending_filter``: None (no projection), a preset name (``meta``: query id
    and max_tokens; ``preview``: those and the first ``ALC_PROMPT_PREVIEW_CHARS`` (200)
    characters of the prompt; ``full``: every field), or an object of booleans
    ``query_id``, ``max_tokens``, ``system``, ``grounded``, ``underspecified`` and
    ``prompt``: ``{"mode": "off" | "full" | "preview", "chars": n}``.

    Raises:
        InvalidInput: an unknown preset, or an object of another shape.
    """
    if value is None:
        return None
    if isinstance(value, str):
        presets = {
            "meta": PendingFilter(query_id=True, max_tokens=True),
            "preview": PendingFilter(True, True, prompt="preview", chars=_preview_chars()),
            "full": PendingFilter(True, True, True, True, True, prompt="full"),
        }
        if value not in presets:
            raise InvalidInput(
                f'unknown pending_filter preset {value!r} (valid: "meta" | "preview" | "full").'
            )
        return presets[value]
    if not isinstance(value, dict):
        raise InvalidInput(
            "pending_filter must be a preset name (text) or a filter object, not "
            f"{type(value).__name__}."
        )
    return _filter_object(value)


def _filter_object(value: Mapping[str, Any]) -> PendingFilter:
    unknown = sorted(set(value) - {*_FLAGS, "prompt"})
    if unknown:
        raise InvalidInput(f"invalid pending_filter object: unknown keys {unknown}.")
    flags = {k: value.get(k, False) for k in _FLAGS}
    bad = [k for k, v in flags.items() if not isinstance(v, bool)]
    if bad:
        raise InvalidInput(f"invalid pending_filter object: {bad} must be true or false.")
    prompt = value.get("prompt") or {"mode": "off"}
    mode = prompt.get("mode") if isinstance(prompt, dict) else None
    chars: Any = prompt.get("chars", PREVIEW_CHARS) if isinstance(prompt, dict) else None
    if mode not in ("off", "preview", "full") or not _count(chars):
        raise InvalidInput(
            'invalid pending_filter object: prompt must be {"mode": "off"}, {"mode": "full"} '
            'or {"mode": "preview", "chars": n}.'
        )
    return PendingFilter(**flags, prompt=str(mode), chars=int(chars))


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


# ---------------------------------------------------------------------- notes


def session_notes(engine: Engine, session_id: str) -> list[dict[str, Any]]:
    """The notes of a session, oldest first: ``{"content", "title", "timestamp"}`` (epoch s)."""
    raw = engine.store.get_internal(NOTES_SPACE, session_id)
    return list(json.loads(raw)) if raw else []


def add_note(engine: Engine, session_id: str, content: str, title: str | None) -> dict[str, Any]:
    """Add a note to a session's log; returns ``{"session_id", "notes_count"}``.

    Raises:
        SessionNotFound: no such session.
        InvalidInput: empty or oversized content, or too many notes.
    """
    if not isinstance(content, str) or not content.strip():
        raise InvalidInput("alc_note: content must be non-empty text.")
    if len(content) > _MAX_NOTE_CHARS or (title is not None and len(title) > _MAX_NOTE_CHARS):
        raise InvalidInput(f"alc_note: a note holds at most {_MAX_NOTE_CHARS} characters.")
    session_id = engine.registry.status(session_id).session_id  # exists ("last" resolved)
    notes = session_notes(engine, session_id)
    if len(notes) >= _MAX_NOTES:
        raise InvalidInput(f"alc_note: session {session_id} has {_MAX_NOTES} notes already.")
    now = engine.registry.clock.time()
    notes.append({"content": content, "title": title, "timestamp": now})
    engine.store.set_internal(NOTES_SPACE, session_id, json.dumps(notes))
    return {"session_id": session_id, "notes_count": len(notes)}


# ---------------------------------------------------------------------- log view


def _stats(snapshot: SessionSnapshot) -> dict[str, Any]:
    auto = ((snapshot.outcome or {}).get("stats") or {}).get("auto") or {}
    elapsed = round((snapshot.updated_at - snapshot.created_at) * 1000)
    return {"elapsed_ms": elapsed, "llm_calls": snapshot.llm_calls, "rounds": 0, **auto}


def _task_hint(ctx: Any) -> str | None:
    task = ctx.get("task") if isinstance(ctx, dict) else None
    return task[:100] if isinstance(task, str) else None


def _summary(engine: Engine, snapshot: SessionSnapshot) -> dict[str, Any]:
    stats = _stats(snapshot)
    return {
        "session_id": snapshot.session_id,
        "strategy": snapshot.strategy,
        "state": snapshot.state,
        "created_at": snapshot.created_at,
        "updated_at": snapshot.updated_at,
        "elapsed_ms": stats["elapsed_ms"],
        "llm_calls": stats["llm_calls"],
        "rounds": stats["rounds"],
        "notes_count": len(session_notes(engine, snapshot.session_id)),
    }


def log_list(engine: Engine, limit: int | None) -> dict[str, Any]:
    """``{"sessions": [...]}``: the most recently updated sessions' summaries (``limit``,
    default 50; 0: all, at most 100 000): id, strategy, state, timestamps, elapsed_ms,
    llm_calls, notes_count."""
    limit = 50 if limit is None else limit
    found = engine.sessions(limit=min(limit, _STATS_SCAN) or _STATS_SCAN)
    return {"sessions": [_summary(engine, s) for s in found]}


def session_log(engine: Engine, session_id: str, max_chars: int | None) -> dict[str, Any]:
    """One session's full log: ``session_id``, ``strategy``, ``state``, ``task_hint``,
    ``ctx``, ``stats``, ``transcript`` (``[{"round", "query_id", "prompt", "system",
    "response"}]``, oldest first), ``notes`` and ``outcome``. When its JSON exceeds
    ``max_chars`` (default 100 000; 0: no cap) the oldest rounds are dropped and
    ``truncated``, ``original_rounds`` and ``returned_rounds`` say so.

    Raises:
        SessionNotFound: no such session.
    """
    transcript = engine.transcript(session_id)
    summary = transcript.summary
    rounds = [
        {
            "round": i + 1,
            "query_id": e["query"].get("id"),
            "prompt": e["query"].get("prompt"),
            "system": e["query"].get("system"),
            "response": e["answer"],
        }
        for i, e in enumerate(transcript.entries)
    ]
    doc: dict[str, Any] = {
        "session_id": summary.session_id,
        "strategy": summary.strategy,
        "state": summary.state,
        "task_hint": _task_hint(transcript.ctx),
        "ctx": transcript.ctx,
        "stats": _stats(summary),
        "transcript": rounds,
        "notes": session_notes(engine, summary.session_id),
        "outcome": summary.outcome,
    }
    cap = DEFAULT_LOG_CHARS if max_chars is None else max_chars
    return _fit(doc, rounds, cap) if cap else doc


def _fit(doc: dict[str, Any], rounds: list[dict[str, Any]], cap: int) -> dict[str, Any]:
    """``doc`` with as many of its newest rounds as fit in ``cap`` characters of JSON."""
    if len(json.dumps(doc)) <= cap:
        return doc
    low, high = 0, len(rounds)  # the largest kept count that fits (binary search)
    while low < high:
        mid = (low + high + 1) // 2
        doc["transcript"] = rounds[len(rounds) - mid :]
        if len(json.dumps(doc)) <= cap:
            low = mid
        else:
            high = mid - 1
    doc["transcript"] = rounds[len(rounds) - low :] if low else []
    doc.update(truncated=True, original_rounds=len(rounds), returned_rounds=low)
    return doc


# ---------------------------------------------------------------------- stats

_SUMMED = ("elapsed_ms", "llm_calls", "rounds")
_TOTALS = ("total_prompt_chars", "total_response_chars")


def usage_stats(engine: Engine, strategy: str | None, days: int | None) -> dict[str, Any]:
    """Usage across the store's sessions: ``{"total_sessions", "strategies": {name: {"count",
    "avg_elapsed_ms", "avg_llm_calls", "avg_rounds", "total_prompt_chars",
    "total_response_chars", "total_prompt_tokens", "total_response_tokens", "total_tokens"}}}``
    (inline code counts as ``"(code)"``), only sessions updated in the last ``days`` days
    and of ``strategy`` when given. Ended sessions count their final stats; active ones what
    they used so far."""
    cutoff = None if days is None else engine.registry.clock.time() - days * 86_400
    acc: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    total = 0
    for snapshot in engine.sessions(limit=_STATS_SCAN, strategy=strategy):
        if cutoff is not None and snapshot.updated_at < cutoff:
            continue
        stats = _stats(snapshot)
        row = acc[snapshot.strategy or "(code)"]
        row["count"] += 1
        for key in (*_SUMMED, *_TOTALS):
            row[key] += int(stats.get(key) or 0)
        for key in ("prompt_tokens", "response_tokens"):
            row[key] += int((stats.get(key) or {}).get("tokens") or 0)
        total += 1
    strategies = {}
    for name, row in sorted(acc.items()):
        n = row["count"]
        strategies[name] = {
            "count": n,
            **{f"avg_{k}": round(row[k] / n) for k in _SUMMED},
            **{k: row[k] for k in _TOTALS},
            "total_prompt_tokens": row["prompt_tokens"],
            "total_response_tokens": row["response_tokens"],
            "total_tokens": row["prompt_tokens"] + row["response_tokens"],
        }
    return {"total_sessions": total, "strategies": strategies}


def projected(
    wire: dict[str, Any], snapshot: SessionSnapshot, projection: PendingFilter | None
) -> dict[str, Any]:
    """``wire`` (a session's status) with its ``pending`` queries projected by ``projection``
    (unchanged when None)."""
    if projection is not None:
        wire["pending"] = [projection.project(q) for q in snapshot.pending]
    return wire
