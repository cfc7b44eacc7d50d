"""What the inspector's pages show, assembled from the engine's read calls (no HTML here).

Every function takes the :class:`~alc.AsyncEngine` (so it reads exactly what the tools read,
under the request's tenant) and returns plain dicts and lists for the templates. Strategy text
(prompts, answers, logs, results) is passed through untouched: the templates escape it.
"""

from __future__ import annotations

import json
import time
from typing import Any

from alc._api import AsyncEngine
from alc.engine.errors import AlcError, MissingExtra
from alc.engine.protocol import TERMINAL_STATES, SessionSnapshot

__all__ = ["card_page", "cards_page", "eval_page", "evals_page", "session_page", "sessions_page"]

STATES = ("paused", "completed", "failed", "cancelled")
"""The state filters of the sessions page (``running`` is never stored; see engine/phase.py)."""
AGES = {"1h": 3600, "24h": 86400, "7d": 7 * 86400}
"""The age filters of the sessions page (seconds)."""


def when(epoch: float | None) -> str:
    """``2026-12-06 13:45:07 UTC`` for epoch seconds ("" for None)."""
    if not epoch:
        return ""
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(epoch))


def pretty(value: Any) -> str:
    """A JSON value as indented text (for a ``<pre>``; the template escapes it)."""
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)


async def sessions_page(
    engine: AsyncEngine,
    *,
    state: str = "",
    strategy: str = "",
    age: str = "",
    q: str = "",
    limit: int = 200,
) -> dict[str, Any]:
    """The sessions list: newest first, filtered by state, strategy, age and a search text
    (matched against the id, the strategy and the pending prompts)."""
    states = [state] if state in STATES else list(STATES)
    snaps = await engine.sessions(states, limit=limit, strategy=strategy or None)
    assert isinstance(snaps, list)
    now = time.time()
    rows = []
    needle = q.strip().casefold()
    for snap in snaps:
        if age in AGES and now - snap.updated_at > AGES[age]:
            continue
        if needle and not _matches(snap, needle):
            continue
        rows.append(_row(snap))
    return {
        "rows": rows,
        "filters": {"state": state, "strategy": strategy, "age": age, "q": q},
        "states": STATES,
        "ages": list(AGES),
    }


def _matches(snap: SessionSnapshot, needle: str) -> bool:
    hay = [snap.session_id, snap.strategy or "inline code"]
    hay += [p.prompt for p in snap.pending]
    if snap.outcome:
        hay.append(json.dumps(snap.outcome, ensure_ascii=False, default=str))
    return any(needle in h.casefold() for h in hay)


def _row(snap: SessionSnapshot) -> dict[str, Any]:
    return {
        "id": snap.session_id,
        "state": snap.state,
        "strategy": snap.strategy or "(inline code)",
        "updated": when(snap.updated_at),
        "created": when(snap.created_at),
        "llm_calls": snap.llm_calls,
        "pending": len(snap.pending) - len(snap.answered),
        "error_code": (snap.outcome or {}).get("error_code"),
    }


async def session_page(engine: AsyncEngine, session_id: str) -> dict[str, Any]:
    """One session: its timeline (each pause with its prompts, system prompts, answers and
    token usage, in issue order), progress, log, stats and budget, the result or coded error,
    and the command that continues it.

    Raises:
        SessionNotFound, InvalidInput: as :meth:`alc.AsyncEngine.transcript` (another tenant's
        session is not found).
    """
    transcript = await engine.transcript(session_id)
    snap = transcript.summary
    steps: list[dict[str, Any]] = []
    for entry in transcript.entries:
        query = entry["query"]
        steps.append(
            {
                "id": query.get("id"),
                "prompt": query.get("prompt", ""),
                "system": query.get("system"),
                "max_tokens": query.get("max_tokens"),
                "answer": entry.get("answer"),
                "usage": entry.get("usage") or {},
                "open": entry.get("answer") is None and snap.state == "paused",
                "fork": query.get("fork"),
                "at": query.get("at"),
                "asked": when(query.get("at")) if isinstance(query.get("at"), float) else "",
            }
        )
    _answer_times(steps, snap.updated_at if snap.state in TERMINAL_STATES else None)
    outcome = snap.outcome or {}
    stats = outcome.get("stats") or {}
    auto = stats.get("auto") or {}
    ended = snap.state in TERMINAL_STATES
    return {
        "id": snap.session_id,
        "state": snap.state,
        "strategy": snap.strategy or "(inline code)",
        "created": when(snap.created_at),
        "updated": when(snap.updated_at),
        "updated_at": snap.updated_at,
        "ctx": pretty(transcript.ctx),
        "code": transcript.code,
        "steps": steps,
        "forks": _fork_tree(steps),
        "progress": snap.progress,
        "log": list(snap.log),
        "llm_calls": snap.llm_calls,
        "auto": auto,
        "budget": auto.get("budget"),
        "custom": stats.get("custom") or {},
        "result": pretty(outcome.get("result")) if "result" in outcome else None,
        "error": outcome.get("error"),
        "error_code": outcome.get("error_code"),
        "ended": ended,
        "continue_cmd": None if ended else f"alc continue {snap.session_id} '<answer>'",
        "open_ids": [q.id for q in snap.pending if q.id not in snap.answered],
    }


def _answer_times(steps: list[dict[str, Any]], ended_at: float | None) -> None:
    """``after``: seconds from a query's pause to the next pause (or the end), which covers the
    driver's answer and the step it resumed; "" where the journal has no time (older sessions)."""
    times = sorted({s["at"] for s in steps if isinstance(s.get("at"), float)})
    for step in steps:
        at = step.get("at")
        step["after"] = ""
        if not isinstance(at, float) or step["answer"] is None:
            continue
        later = [t for t in times if t > at] or ([ended_at] if ended_at else [])
        if later:
            step["after"] = f"{later[0] - at:.1f} s"


def _fork_tree(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ``alc.fork`` children that asked queries, in child order, each with its queries:
    ``[{"child", "strategy", "queries": [{"id", "answered"}]}]`` (empty without a fork)."""
    children: dict[int, dict[str, Any]] = {}
    for step in steps:
        fork = step.get("fork")
        if not isinstance(fork, dict) or not isinstance(fork.get("child"), int):
            continue
        child = children.setdefault(
            fork["child"],
            {"child": fork["child"], "strategy": str(fork.get("strategy")), "queries": []},
        )
        child["queries"].append({"id": step["id"], "answered": step["answer"] is not None})
    return [children[i] for i in sorted(children)]


async def session_version(engine: AsyncEngine, session_id: str) -> tuple[float, str, int]:
    """What changes when a session moves: (updated_at, state, llm_calls)."""
    snap = await engine.status(session_id)
    assert isinstance(snap, SessionSnapshot)
    return snap.updated_at, snap.state, snap.llm_calls


async def evals_page(engine: AsyncEngine) -> dict[str, Any]:
    """The eval runs, newest first (run id, scenario, strategies, pass rates)."""

    try:
        runs = await engine.evals.runs(100)
    except AlcError as exc:
        return {"runs": [], "error": exc.message}
    return {"runs": runs, "error": None}


async def eval_page(engine: AsyncEngine, run_id: str) -> dict[str, Any]:
    """One eval run's report: per strategy its pass rate with the 95 % interval, tokens per
    case, and the paired difference from the baseline with its interval and p-values; the bars
    of the charts are computed here (percent widths), so the page needs no script to draw them.

    Raises:
        InvalidInput: no such run (or another tenant's).
    """

    try:
        report = await engine.evals.report(run_id)
    except MissingExtra as exc:  # the [eval] extra (scipy) is missing
        return {"run_id": run_id, "missing": exc.install}
    run = report["run"]
    strategies = []
    for name, st in report["strategies"].items():
        low, high = st.get("pass_rate_ci") or [0.0, 0.0]
        strategies.append(
            {
                "name": name,
                "baseline": name == report.get("baseline"),
                "n": st.get("n", 0),
                "passed": st.get("passed", 0),
                "rate": st.get("pass_rate", 0.0),
                "low": low,
                "high": high,
                "tokens": st.get("tokens_per_case", 0),
                "errors": st.get("errors", 0),
            }
        )
    max_tokens = max((s["tokens"] for s in strategies), default=0) or 1
    for s in strategies:
        s["tokens_pct"] = 100.0 * s["tokens"] / max_tokens
    comparisons = []
    for name, cmp in (report.get("comparisons") or {}).items():
        low, high = cmp.get("delta_pass_rate_ci") or [0.0, 0.0]
        comparisons.append(
            {
                "name": name,
                "delta": cmp.get("delta_pass_rate", 0.0),
                "low": low,
                "high": high,
                "p": cmp.get("p_holm", cmp.get("p_mcnemar")),
                "verdict": cmp.get("verdict", ""),
            }
        )
    return {
        "run_id": run_id,
        "missing": None,
        "scenario": run["scenario"]["name"],
        "n": len(run["scenario"]["cases"]),
        "status": run.get("status"),
        "llm": run.get("llm"),
        "baseline": report.get("baseline"),
        "strategies": strategies,
        "comparisons": comparisons,
        "created": when(run.get("created_at")),
    }


async def cards_page(engine: AsyncEngine) -> dict[str, Any]:
    """The cards of the store, newest first."""
    cards = await engine.cards.list()
    return {"cards": list(cards)}


async def card_page(engine: AsyncEngine, card_id: str) -> dict[str, Any] | None:
    """One card with its lineage (parents and children) and its first samples; None if absent."""
    card = await engine.cards.get(card_id)
    if card is None:
        return None
    lineage = None
    try:
        lineage = await engine.cards.lineage({"card_id": card_id, "direction": "both"})
    except AlcError:
        lineage = None
    samples = await engine.cards.read_samples(card_id, {"limit": 20})
    return {
        "id": card_id,
        "card": pretty(card),
        "lineage": lineage,
        "lineage_text": pretty(lineage) if lineage else None,
        "samples": [pretty(s) for s in samples],
    }
