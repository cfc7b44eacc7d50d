"""Reading stored runs: history, per-case results, statistics and paired comparisons.

Everything here reads the store only (no model is asked). Statistics come from
:mod:`alc.eval._stats`; a comparison is always paired on the cases both sides ran.
"""

from __future__ import annotations

import time
from typing import Any

from alc.engine.errors import InvalidInput
from alc.eval._model import EngineLike
from alc.eval._records import RunRecords
from alc.eval._stats import compare, holm, require_eval_extra, summarize, verdict, welch

__all__ = ["compare_runs", "list_runs", "run_report", "show_run"]


def _samples(records: RunRecords, record: dict[str, Any], strategy: str) -> list[dict[str, Any]]:
    """A strategy's samples: from its card once written, else the pairs graded so far."""
    card = record.get("cards", {}).get(strategy)
    if card is not None:
        return records.samples(card)
    out = []
    for case in record["scenario"]["cases"]:
        pair = records.pair(record["run_id"], strategy, case["id"])
        if "sample" in pair:
            out.append(pair["sample"])
    return out


def list_runs(
    engine: EngineLike, limit: int = 50, strategy: str | None = None
) -> list[dict[str, Any]]:
    """The newest runs first (at most ``limit``; only those of ``strategy`` when given):
    ``run_id, created_at (RFC 3339), status, scenario, n, strategies, baseline, llm, done``
    (pairs graded) and ``pass_rates`` per strategy."""
    records = RunRecords(engine.store)
    out: list[dict[str, Any]] = []
    for run_id in reversed(records.run_ids()):
        if limit and len(out) >= limit:
            break
        record = records.run(run_id)
        if strategy is not None and strategy not in record["strategies"]:
            continue
        rates = {}
        done = 0
        for s in record["strategies"]:
            samples = _samples(records, record, s)
            done += len(samples)
            rates[s] = sum(bool(x["passed"]) for x in samples) / len(samples) if samples else None
        out.append(
            {
                "run_id": run_id,
                "created_at": time.strftime(
                    "%Y-%m-%dT%H:%M:%SZ", time.gmtime(record["created_at"])
                ),
                "status": record["status"],
                "scenario": record["scenario"]["name"],
                "n": len(record["scenario"]["cases"]),
                "strategies": record["strategies"],
                "baseline": record.get("baseline"),
                "llm": record.get("llm"),
                "done": done,
                "pass_rates": rates,
            }
        )
    return out


def show_run(
    engine: EngineLike, run_id: str, *, strategy: str | None = None, transcripts: bool = False
) -> dict[str, Any]:
    """One run: its record and every graded pair (``cases``: one row per (strategy, case) with
    answer, score, passed, grades, tokens, session_id); ``transcripts`` adds each pair's
    prompts and answers from its session.

    Raises:
        InvalidInput: no such run, or a strategy the run does not have.
    """
    records = RunRecords(engine.store)
    record = records.run(run_id)
    names = record["strategies"]
    if strategy is not None:
        if strategy not in names:
            raise InvalidInput(f"Run {run_id} has no strategy {strategy!r} ({', '.join(names)}).")
        names = [strategy]
    rows = []
    for name in names:
        for sample in _samples(records, record, name):
            row = {"strategy": name, **{k: v for k, v in sample.items() if k != "judged"}}
            if transcripts:
                row["transcript"] = _transcript(engine, sample["session_id"])
            rows.append(row)
    return {"run": record, "cases": rows}


def _transcript(engine: EngineLike, session_id: str) -> list[dict[str, Any]] | None:
    try:
        entries = engine.transcript(session_id).entries
    except Exception:  # the session was purged: the sample still holds the answer
        return None
    return [
        {
            "prompt": e["query"].get("prompt"),
            "system": e["query"].get("system"),
            "answer": e.get("answer"),
        }
        for e in entries
    ]


def run_report(engine: EngineLike, run_id: str) -> dict[str, Any]:
    """Every statistic of one run: ``run`` (the record), ``strategies`` (name -> summary, see
    :func:`alc.eval._stats.summarize`) and ``comparisons`` (each strategy against the baseline,
    paired, with ``p_holm`` adjusted over the strategies compared).

    Raises:
        MissingExtra: the ``[eval]`` extra (scipy) is not installed.
        InvalidInput: no such run.
    """
    require_eval_extra("an eval report")
    records = RunRecords(engine.store)
    record = records.run(run_id)
    samples = {s: _samples(records, record, s) for s in record["strategies"]}
    summaries = {s: summarize(v) for s, v in samples.items() if v}
    baseline = record.get("baseline")
    comparisons: dict[str, Any] = {}
    if baseline and samples.get(baseline):
        for s in record["strategies"]:
            if s != baseline and samples[s]:
                comparisons[s] = compare(samples[baseline], samples[s])
        _adjust(comparisons)
    return {
        "run": record,
        "strategies": summaries,
        "comparisons": comparisons,
        "baseline": baseline,
    }


def _adjust(comparisons: dict[str, Any]) -> None:
    """Add ``p_holm`` (Holm over all comparisons) and the verdict that uses it."""
    names = list(comparisons)
    adjusted = holm([comparisons[n]["p_mcnemar"] for n in names])
    for name, p in zip(names, adjusted, strict=True):
        comparisons[name]["p_holm"] = p
        comparisons[name]["verdict"] = verdict(comparisons[name])


def _side(records: RunRecords, ref: str) -> tuple[dict[str, Any], list[str]]:
    run_id, _, strategy = ref.partition(":")
    record = records.run(run_id)
    if strategy:
        if strategy not in record["strategies"]:
            raise InvalidInput(
                f"Run {run_id} has no strategy {strategy!r} ({', '.join(record['strategies'])})."
            )
        return record, [strategy]
    return record, list(record["strategies"])


def compare_runs(engine: EngineLike, a: str, b: str | None = None) -> dict[str, Any]:
    """Paired comparisons, on the cases both sides ran.

    - ``compare_runs(e, RUN)``: each strategy of the run against its baseline (Holm-adjusted).
    - ``compare_runs(e, A, B)`` where ``A`` / ``B`` are ``RUN`` or ``RUN:STRATEGY``: B against
      A (A is the baseline). Two single-strategy sides compare those; two runs of the same
      strategies compare each strategy of B with the same one of A (another model, prompt or
      seed); otherwise name the strategies.

    Returns ``{"a", "b", "comparisons": {label: comparison}}`` (see
    :func:`alc.eval._stats.compare`; ``p_holm`` when more than one; two runs add ``welch``,
    the unpaired Welch's t-test of the scores, :func:`alc.eval._stats.welch`).

    Raises:
        MissingExtra: the ``[eval]`` extra (scipy) is not installed.
        InvalidInput: unknown runs or strategies, sides that cannot be paired.
    """
    require_eval_extra("an eval comparison")
    records = RunRecords(engine.store)
    if b is None:
        report = run_report(engine, a.partition(":")[0])
        if not report["comparisons"]:
            raise InvalidInput(f"Run {a} has no baseline to compare with; give a second run.")
        return {"a": a, "b": None, "comparisons": report["comparisons"]}
    rec_a, names_a = _side(records, a)
    rec_b, names_b = _side(records, b)
    if len(names_a) == 1 and len(names_b) == 1:
        pairs = [(names_a[0], names_b[0])]
    elif set(names_a) == set(names_b):
        pairs = [(s, s) for s in names_b]
    else:
        raise InvalidInput(
            "Name the strategies to compare: RUN_A:STRATEGY RUN_B:STRATEGY (the runs do not hold "
            "the same strategies)."
        )
    comparisons: dict[str, Any] = {}
    for sa, sb in pairs:
        label = f"{rec_b['run_id']}:{sb} vs {rec_a['run_id']}:{sa}"
        side_a, side_b = _samples(records, rec_a, sa), _samples(records, rec_b, sb)
        try:
            comparisons[label] = compare(side_a, side_b)
        except ValueError as exc:
            raise InvalidInput(f"Cannot compare {label}: {exc}.") from None
        comparisons[label]["welch"] = welch(
            [float(s["score"]) for s in side_a], [float(s["score"]) for s in side_b]
        )
    if len(comparisons) > 1:
        _adjust(comparisons)
    return {"a": a, "b": b, "comparisons": comparisons}
