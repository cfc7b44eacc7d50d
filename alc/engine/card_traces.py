"""Traces in card samples: the ``trace`` objects algocline's recipe_trace writes into sample
rows (``{total_calls, total_trace_ms, completed}``), queried across cards and compared
(algocline's ``alc_trace_query`` / ``alc_trace_diff``). Read-only over the card store.

Errors: :class:`~alc.engine.errors.CardNotFound` (unknown card),
:class:`~alc.engine.errors.InvalidInput` (a sample index past the rows, a row without a trace).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from alc.engine.cards import LIST_MAX, Cards
from alc.engine.errors import CardNotFound, InvalidInput

__all__ = ["trace_diff", "trace_query"]


@dataclass(frozen=True)
class _Trace:
    """A sample's ``trace`` object as recipe_trace writes it: ``total_calls`` (an integer >= 0;
    a row without it is untraced), ``total_trace_ms`` (0 when absent), ``completed``."""

    calls: int
    ms: float
    completed: bool

    @classmethod
    def of(cls, row: Any) -> _Trace | None:
        trace = row.get("trace") if isinstance(row, dict) else None
        calls = trace.get("total_calls") if isinstance(trace, dict) else None
        if isinstance(calls, bool) or not isinstance(calls, int) or calls < 0:
            return None
        assert isinstance(trace, dict)
        ms = trace.get("total_trace_ms")
        if isinstance(ms, bool) or not isinstance(ms, int | float):
            ms = 0.0
        return cls(calls, float(ms), trace.get("completed") is True)

    def wire(self) -> dict[str, Any]:
        return {"total_calls": self.calls, "total_trace_ms": self.ms, "completed": self.completed}

    def per_call(self) -> float:
        return self.ms / self.calls if self.calls else 0.0


def _in_range(value: float, low: Any, high: Any) -> bool:
    return (low is None or value >= low) and (high is None or value <= high)


def trace_query(cards: Cards, query: dict[str, Any]) -> dict[str, Any]:
    """Sample rows that carry a ``trace`` object, over every card (of ``query["pkg"]``), in
    card order then row order (algocline's ``alc_trace_query``).

    ``query``: ``pkg``, ``min_calls``/``max_calls`` (inclusive bounds on ``trace.total_calls``),
    ``min_ms``/``max_ms`` (on ``trace.total_trace_ms``), ``completed`` (bool), ``offset``,
    ``limit`` (None: all). Returns ``{"rows": [{card_id, pkg, sample_index, trace:
    {total_calls, total_trace_ms, completed}, case?}], "total"}`` (``total`` before paging).
    """
    hits: list[dict[str, Any]] = []
    for summary in cards.list({"pkg": query.get("pkg"), "limit": LIST_MAX}):
        for index, row in enumerate(cards.read_samples(summary["card_id"])):
            trace = _Trace.of(row)
            if trace is None or not _in_range(
                trace.calls, query.get("min_calls"), query.get("max_calls")
            ):
                continue
            if not _in_range(trace.ms, query.get("min_ms"), query.get("max_ms")):
                continue
            if query.get("completed") is not None and trace.completed != query["completed"]:
                continue
            hit = {"card_id": summary["card_id"], "pkg": summary.get("pkg")}
            hit.update(sample_index=index, trace=trace.wire())
            if "case" in row:
                hit["case"] = row["case"]
            hits.append(hit)
    offset: int = query.get("offset") or 0
    limit = query.get("limit")
    return {"rows": hits[offset : None if limit is None else offset + limit], "total": len(hits)}


def _trace_row(cards: Cards, card_id: str, index: int) -> _Trace:
    if cards.get(card_id) is None:
        raise CardNotFound(f"No card {card_id!r} in this store (alc_card_list shows them).")
    rows = cards.read_samples(card_id)
    if index >= len(rows):
        raise InvalidInput(
            f"Card {card_id!r}: sample index {index} is out of range ({len(rows)} rows)."
        )
    trace = _Trace.of(rows[index])
    if trace is None:
        raise InvalidInput(
            f"Card {card_id!r}: sample {index} has no trace (a trace object with total_calls)."
        )
    return trace


def trace_diff(cards: Cards, a: str, b: str, a_index: int = 0, b_index: int = 0) -> dict[str, Any]:
    """Compare two trace rows as algocline's ``alc_trace_diff`` does: ``{"a_ref", "b_ref",
    "a_trace", "b_trace", "delta": {calls_delta, ms_delta, ms_per_call_delta (the average
    ms per call, 0 for no calls), completed_a, completed_b}}``, every delta ``b - a``.

    Raises:
        CardNotFound: an unknown card. InvalidInput: an index past the rows, or a row
            without a trace.
    """
    ta, tb = _trace_row(cards, a, a_index), _trace_row(cards, b, b_index)
    return {
        "a_ref": {"card_id": a, "sample_index": a_index},
        "b_ref": {"card_id": b, "sample_index": b_index},
        "a_trace": ta.wire(),
        "b_trace": tb.wire(),
        "delta": {
            "calls_delta": tb.calls - ta.calls,
            "ms_delta": tb.ms - ta.ms,
            "ms_per_call_delta": tb.per_call() - ta.per_call(),
            "completed_a": ta.completed,
            "completed_b": tb.completed,
        },
    }
