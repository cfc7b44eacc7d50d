"""Running an evaluation: every (strategy, case) pair is one alc session driven by a responder.

:func:`run_eval` is the one loop (``Engine.evaluate``, ``alc eval run`` and the MCP tool call
it). Pairs run on worker threads, at most ``concurrency`` at a time (anyio); each pair is:

1. skipped when its sample is already written (a re-run continues a run);
2. driven on from its last pause when its session exists and is paused (Ctrl-C left it there),
   else started fresh with ``ctx = {**strategy_opts, "task": case.input}``;
3. graded from the strategy's result text, and written at once (:mod:`alc.eval._records`).

When every case of a strategy is graded its card is written; when every strategy is done the
run is ``complete``. :func:`regrade` grades stored answers again with other graders (no model is
asked; model-judged graders reuse cached judge answers and ask the judge only for new prompts).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict

from alc.engine.errors import InvalidInput
from alc.engine.protocol import Completed, Failed, NeedsResponse, SessionState
from alc.eval._graders import Judge, check_graders, grade
from alc.eval._model import EngineLike, GraderSpec, Scenario
from alc.eval._records import RunRecords, new_run_id
from alc.eval._stats import require_eval_extra, summarize

LLM = Any
"""A blocking LLM as ``Engine.drive`` takes it: ``llm(query) -> str | Response`` or a responder."""

__all__ = [
    "EvalOptions",
    "Progress",
    "RunSpec",
    "answer_text",
    "regrade",
    "run_eval",
    "step_host_run",
]


class EvalOptions(TypedDict, total=False):
    """The optional keyword arguments of :func:`alc.eval.evaluate` and ``Engine.evaluate``
    (every key may be left out; the defaults are :func:`alc.eval.evaluate`'s).

    Keys:
        baseline: the strategy the others are compared with (default ``direct``), or None.
        n: how many cases (default: all of a file, 50 of a generated built-in set).
        seed: the generator seed of built-in sets (default 0).
        judge: responder (spec or object) of model-judged graders (default: the run's ``llm``).
        strategy_opts: ctx parameters per strategy, ``{"sc": {"n": 3}}``.
        concurrency: pairs in flight at once (default 2, at least 1).
        run_id: continue this run (default: the unfinished run of the same configuration).
        on_progress: called after each graded pair with a :class:`Progress`.
    """

    baseline: str | None
    n: int | None
    seed: int
    judge: Any
    strategy_opts: Mapping[str, Mapping[str, Any]] | None
    concurrency: int
    run_id: str | None
    on_progress: Callable[[Progress], None] | None


@dataclass(frozen=True)
class RunSpec:
    """What to evaluate.

    Attributes:
        scenario: the cases and graders.
        strategies: strategy names (the baseline is added first when missing).
        baseline: the strategy the others are compared with (``direct`` by default), or None.
        llm: the responder spec (``local``, ``openai:...``) recorded with the run; the responder
            object itself is an argument of :func:`run_eval`.
        judge: the spec of the model-judged graders' responder (None: the run's responder).
        strategy_opts: per-strategy ctx parameters, ``{"sc": {"n": 3}}``.
        concurrency: pairs in flight at once (>= 1).
        limits: per-session sandbox limits (``Limits`` fields).
    """

    scenario: Scenario
    strategies: tuple[str, ...]
    baseline: str | None = "direct"
    llm: str = "unknown"
    judge: str | None = None
    strategy_opts: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    concurrency: int = 2
    limits: Mapping[str, Any] | None = None

    @property
    def all_strategies(self) -> tuple[str, ...]:
        if self.baseline and self.baseline not in self.strategies:
            return (self.baseline, *self.strategies)
        return self.strategies

    def fingerprint(self, with_llm: bool = True) -> str:
        """The identity of this configuration: a re-run with the same one continues its run
        (``with_llm=False``: everything but the responder, what ``run_id=`` must match)."""
        data = {
            "scenario": self.scenario.wire(),
            "strategies": self.all_strategies,
            "baseline": self.baseline,
            "llm": self.llm if with_llm else None,
            "judge": self.judge,
            "opts": {k: dict(v) for k, v in self.strategy_opts.items()},
        }
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:24]


@dataclass
class Progress:
    """A snapshot for progress displays: pairs done of total, passes, tokens so far."""

    run_id: str
    total: int
    done: int = 0
    passed: int = 0
    tokens: int = 0
    resumed: int = 0
    by_strategy: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.done if self.done else None


def answer_text(result: Any) -> str:
    """The text a strategy's result is graded on: a string result as is; else the first
    non-empty string of ``answer``, ``summary``, ``output``, ``text``, ``final`` (an empty one
    when all are empty), else the result as JSON (as algocline's evalframe provider does)."""
    if isinstance(result, str):
        return result
    if isinstance(result, Mapping):
        keys = ("answer", "summary", "output", "text", "final")
        texts: list[str] = [t for k in keys if isinstance(t := result.get(k), str)]
        if texts:
            return next((t for t in texts if t.strip()), texts[0])
    if result is None:
        return ""
    return json.dumps(result, ensure_ascii=False, sort_keys=True)


def _tokens(engine: EngineLike, session_id: str, outcome: Any) -> tuple[int, int]:
    """``(tokens, llm_calls)`` of a session (real counts where the responder reported them)."""
    if isinstance(outcome, Completed):
        auto = outcome.stats.get("auto", {})
        return int(auto.get("total_tokens", {}).get("tokens", 0)), int(auto.get("llm_calls", 0))
    entries = engine.transcript(session_id).entries
    tokens = 0
    for e in entries:
        usage = e.get("usage") or {}
        prompt = usage.get("prompt_tokens") or len(e["query"].get("prompt", "")) // 4
        reply = usage.get("response_tokens") or len(e.get("answer") or "") // 4
        tokens += int(prompt) + int(reply)
    return tokens, len(entries)


class _Pairs:
    """The pairs of one run and the writes they make (one lock around the shared counters)."""

    def __init__(
        self,
        engine: EngineLike,
        records: RunRecords,
        spec: RunSpec,
        run_id: str,
        llm: LLM,
        judge: Judge | None,
        on_progress: Callable[[Progress], None] | None,
    ) -> None:
        self.engine, self.records, self.spec, self.run_id = engine, records, spec, run_id
        self.llm, self.judge, self.on_progress = llm, judge, on_progress
        self.lock = threading.Lock()
        total = len(spec.all_strategies) * len(spec.scenario.cases)
        self.progress = Progress(run_id=run_id, total=total)

    def _session(self, strategy: str, case_index: int, pair: dict[str, Any]) -> tuple[Any, float]:
        """Drive the pair's session to its end; ``(terminal outcome, seconds spent now)``."""
        case = self.spec.scenario.cases[case_index]
        began = time.monotonic()
        session_id = pair.get("session_id")
        outcome: Any = None
        if isinstance(session_id, str):
            snap = self.engine.status(session_id)
            if snap.state == SessionState.PAUSED:
                outcome = self.engine.drive(session_id=session_id, llm=self.llm)
            elif snap.outcome is not None:
                outcome = _terminal(snap.outcome)
        if outcome is None:
            ctx = {**dict(self.spec.strategy_opts.get(strategy, {})), "task": case.input}
            first = self.engine.start(strategy=strategy, ctx=ctx, limits=self.spec.limits)
            pair = {"session_id": first.session_id, "started": time.time()}
            self.records.save_pair(self.run_id, strategy, case.id, pair)
            if isinstance(first, NeedsResponse):
                outcome = self.engine.drive(session_id=first.session_id, llm=self.llm)
            else:
                outcome = first
        return outcome, time.monotonic() - began

    def run_pair(self, strategy: str, case_index: int) -> None:
        case = self.spec.scenario.cases[case_index]
        pair = self.records.pair(self.run_id, strategy, case.id)
        if "sample" not in pair:
            outcome, seconds = self._session(strategy, case_index, pair)
            sample = self._sample(strategy, case_index, outcome, seconds + pair.get("seconds", 0))
            pair = {**self.records.pair(self.run_id, strategy, case.id), "sample": sample}
            self.records.save_pair(self.run_id, strategy, case.id, pair)
        else:
            with self.lock:
                self.progress.resumed += 1
        self._count(strategy, pair["sample"])

    def _sample(
        self, strategy: str, case_index: int, outcome: Any, seconds: float
    ) -> dict[str, Any]:
        case = self.spec.scenario.cases[case_index]
        text = answer_text(outcome.result) if isinstance(outcome, Completed) else ""
        tokens, calls = _tokens(self.engine, outcome.session_id, outcome)
        graded = grade(
            self.spec.scenario.graders,
            text,
            case,
            threshold=self.spec.scenario.pass_threshold,
            judge=self.judge,
        )
        return {
            "case_id": case.id,
            "index": case_index,
            "tags": list(case.tags),
            "expected": list(case.expected),
            "session_id": outcome.session_id,
            "state": outcome.status,
            "error_code": getattr(outcome, "error_code", None),
            "error": getattr(outcome, "error", None),
            "answer": text,
            "tokens": tokens,
            "llm_calls": calls,
            "seconds": round(seconds, 3),
            **graded,
        }

    def _count(self, strategy: str, sample: Mapping[str, Any]) -> None:
        with self.lock:
            p = self.progress
            p.done += 1
            p.passed += int(bool(sample["passed"]))
            p.tokens += int(sample["tokens"])
            s = p.by_strategy.setdefault(strategy, {"done": 0, "passed": 0})
            s["done"] += 1
            s["passed"] += int(bool(sample["passed"]))
            snapshot = Progress(**{**p.__dict__, "by_strategy": dict(p.by_strategy)})
        if self.on_progress is not None:
            self.on_progress(snapshot)


def _terminal(wire: Mapping[str, Any]) -> Completed | Failed:
    if wire.get("status") == "completed":
        return Completed(
            session_id=wire["session_id"], result=wire.get("result"), stats=wire.get("stats", {})
        )
    return Failed(
        session_id=wire["session_id"],
        error=str(wire.get("error", wire.get("status"))),
        error_code=str(wire.get("error_code", wire.get("status"))),
    )


def _start_record(records: RunRecords, spec: RunSpec, run_id: str | None) -> dict[str, Any]:
    """The run to work on: ``run_id``'s (same configuration, the responder may be another
    object), else the open run of this configuration, else a new one."""
    fingerprint = spec.fingerprint()
    if run_id is None:
        run_id = records.open_run(fingerprint)
    if run_id is not None:
        record = records.run(run_id)
        config = spec.fingerprint(with_llm=False)
        if fingerprint != record.get("fingerprint") and config != record.get("config"):
            raise InvalidInput(
                f"Run {run_id} was started with another configuration (scenario, strategies, "
                "llm or options); start a new run instead of resuming it."
            )
        return record
    record = {
        "run_id": new_run_id(),
        "created_at": time.time(),
        "status": "running",
        "fingerprint": fingerprint,
        "config": spec.fingerprint(with_llm=False),
        "scenario": spec.scenario.wire(),
        "strategies": list(spec.all_strategies),
        "baseline": spec.baseline,
        "llm": spec.llm,
        "judge": spec.judge,
        "strategy_opts": {k: dict(v) for k, v in spec.strategy_opts.items()},
        "concurrency": spec.concurrency,
        "cards": {},
    }
    reused = _reuse(records, record)
    if reused is not None:
        record["reused_from"] = reused
    records.save_run(record)
    records.set_open(fingerprint, record["run_id"])
    return record


def _base(record: Mapping[str, Any]) -> str:
    """A run's configuration without its cases: runs that share it can share graded pairs."""
    data = {
        "scenario": {k: v for k, v in record["scenario"].items() if k != "cases"},
        "strategies": list(record["strategies"]),
        "baseline": record.get("baseline"),
        "llm": record.get("llm"),
        "judge": record.get("judge"),
        "opts": record.get("strategy_opts", {}),
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:24]


def _reuse(records: RunRecords, record: dict[str, Any]) -> str | None:
    """Copy into a new run the graded pairs of the latest earlier run of the same configuration
    whose cases are the same (a larger ``-n`` of a generated set extends a smaller one); returns
    that run's id, or None."""
    base = _base(record)
    cases = {c["id"]: c for c in record["scenario"]["cases"]}
    for other_id in reversed(records.run_ids()):
        other = records.run(other_id)
        if _base(other) != base:
            continue
        shared = [c["id"] for c in other["scenario"]["cases"] if cases.get(c["id"]) == c]
        copied = 0
        for strategy in record["strategies"]:
            for case_id in shared:
                pair = records.pair(other_id, strategy, case_id)
                if "sample" in pair:
                    records.save_pair(record["run_id"], strategy, case_id, pair)
                    copied += 1
        if copied:
            return other_id
    return None


def run_eval(
    engine: EngineLike,
    spec: RunSpec,
    llm: LLM,
    *,
    judge: Judge | None = None,
    run_id: str | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    on_start: Callable[[str, int, int], None] | None = None,
) -> dict[str, Any]:
    """Run (or continue) an evaluation; returns the finished run record (with ``cards``).

    Args:
        engine: sessions run here and the run is stored in its store.
        spec: what to run (:class:`RunSpec`).
        llm: the responder answering every strategy's queries.
        judge: the responder of model-judged graders (default: ``llm``).
        run_id: continue this run (default: the unfinished run of the same configuration, if
            any, else a new run).
        on_progress: called after each finished pair with a :class:`Progress` snapshot.
        on_start: called once with ``(run_id, pairs already done, pairs in all)`` before
            any pair runs.

    Raises:
        InvalidInput: no strategies, concurrency below 1, unknown graders, an unknown run id or
            one of another configuration. StrategyNotFound: an unknown strategy (checked
            before anything runs). A responder's error stops the run (it can be continued).
    """
    if not spec.all_strategies:
        raise InvalidInput("Give at least one strategy to evaluate.")
    if spec.concurrency < 1:
        raise InvalidInput("concurrency must be at least 1.")
    check_graders(spec.scenario.graders, spec.scenario.cases)
    for name in spec.all_strategies:
        engine.catalog.locate(name)
    records = RunRecords(engine.store)
    record = _start_record(records, spec, run_id)
    pairs = _Pairs(
        engine, records, spec, record["run_id"], llm, judge or _as_judge(llm), on_progress
    )
    if on_start is not None:
        done = sum(
            "sample" in records.pair(record["run_id"], s, c.id)
            for s in spec.all_strategies
            for c in spec.scenario.cases
        )
        on_start(record["run_id"], done, pairs.progress.total)

    _run_pairs(pairs)
    return _finish(records, spec, record)


def _run_pairs(pairs: _Pairs) -> None:
    """Every pair of the run on worker threads, at most ``concurrency`` at once, case-major
    (so an interrupted run has every strategy on about the same cases)."""
    import anyio

    spec = pairs.spec

    async def main() -> None:
        limiter = anyio.CapacityLimiter(spec.concurrency)

        async def one(strategy: str, index: int) -> None:
            async with limiter:
                await anyio.to_thread.run_sync(
                    pairs.run_pair, strategy, index, abandon_on_cancel=True
                )

        async with anyio.create_task_group() as tg:
            for index in range(len(spec.scenario.cases)):
                for strategy in spec.all_strategies:
                    tg.start_soon(one, strategy, index)

    try:
        anyio.run(main)
    except BaseExceptionGroup as group:
        if group.subgroup(KeyboardInterrupt) is not None:
            raise KeyboardInterrupt from None  # Ctrl-C wins over what it interrupted
        errors = group.subgroup(Exception)
        if errors is not None and len(errors.exceptions) == 1:
            raise errors.exceptions[0] from None
        raise


def _as_judge(llm: Any) -> Judge | None:
    if hasattr(llm, "respond"):
        return llm  # type: ignore[no-any-return]
    if callable(llm):
        from alc.responders._base import LLMAdapter

        adapter = LLMAdapter(llm)
        return _CallableJudge(adapter)
    return None


class _CallableJudge:
    def __init__(self, adapter: Any) -> None:
        self.adapter = adapter

    def respond(self, query: Any) -> Any:
        return self.adapter.answer_batch([query])[0]


def _card_body(
    spec_record: Mapping[str, Any], strategy: str, samples: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    scenario = spec_record["scenario"]
    return {
        "pkg": {"name": strategy},
        "model": {"id": spec_record["llm"]},
        "scenario": {
            "name": scenario["name"],
            "source": scenario["source"],
            "seed": scenario["seed"],
            "n": len(samples),
        },
        "params": dict(spec_record.get("strategy_opts", {}).get(strategy, {})),
        "eval": {
            "run_id": spec_record["run_id"],
            "baseline": spec_record.get("baseline"),
            "graders": scenario["graders"],
            "judge": spec_record.get("judge"),
        },
        "stats": summarize(samples),
    }


def _finish(records: RunRecords, spec: RunSpec, record: dict[str, Any]) -> dict[str, Any]:
    run_id = record["run_id"]
    cards = dict(record.get("cards", {}))
    for strategy in spec.all_strategies:
        if strategy in cards:
            continue
        samples = [records.pair(run_id, strategy, c.id)["sample"] for c in spec.scenario.cases]
        cards[strategy] = records.write_card(_card_body(record, strategy, samples), samples)
    record = {**record, "cards": cards, "status": "complete", "finished_at": time.time()}
    records.save_run(record)
    records.set_open(record["fingerprint"], None)
    return record


def regrade(
    engine: EngineLike,
    run_id: str,
    graders: Sequence[GraderSpec] | None = None,
    *,
    pass_threshold: float | None = None,
    judge: Judge | None = None,
) -> dict[str, Any]:
    """Grade a finished run's stored answers again (no strategy model is asked) and write the
    results as new cards, each with ``metadata.prior_card_id`` = the card it re-grades.

    Returns the run record with ``cards`` replaced by the new ones and ``regraded_from``.

    Raises:
        MissingExtra: the ``[eval]`` extra (scipy) is not installed.
        InvalidInput: no such run, a run that is not complete, unknown graders.
    """
    require_eval_extra("re-grading an eval run")
    records = RunRecords(engine.store)
    record = records.run(run_id)
    if record.get("status") != "complete":
        raise InvalidInput(f"Run {run_id} is not complete; finish it with `alc eval run` first.")
    scenario = Scenario.parse(record["scenario"])
    specs = tuple(graders) if graders else scenario.graders
    check_graders(specs, scenario.cases)
    threshold = scenario.pass_threshold if pass_threshold is None else pass_threshold
    new_cards = {}
    for strategy, card_id in record["cards"].items():
        samples = []
        for old in records.samples(card_id):
            case = scenario.cases[int(old["index"])]
            graded = grade(
                specs,
                old["answer"],
                case,
                threshold=threshold,
                judge=judge,
                judged=old.get("judged"),
            )
            samples.append({**old, **graded})
        body = _card_body(record, strategy, samples)
        body["eval"]["graders"] = [g.wire() for g in specs]
        new_cards[strategy] = records.write_card(body, samples, prior=card_id)
    updated = {
        **record,
        "cards": new_cards,
        "regraded_from": record["cards"],
        "scenario": {
            **record["scenario"],
            "graders": [g.wire() for g in specs],
            "pass_threshold": threshold,
        },
    }
    records.save_run(updated)
    return updated


def _host_pair(pairs: _Pairs, strategy: str, index: int) -> NeedsResponse | None:
    """One pair of a host-driven run: graded when its session has ended (None), else the
    pause the host must answer (the session is started when the pair has none)."""
    engine, case = pairs.engine, pairs.spec.scenario.cases[index]
    pair = pairs.records.pair(pairs.run_id, strategy, case.id)
    session_id = pair.get("session_id")
    outcome: Any = None
    if isinstance(session_id, str):
        snap = engine.status(session_id)
        if snap.state == SessionState.PAUSED:
            return engine.pending(session_id)  # type: ignore[no-any-return]
        if snap.outcome is not None:
            outcome = _terminal(snap.outcome)
    if outcome is None:
        ctx = {**dict(pairs.spec.strategy_opts.get(strategy, {})), "task": case.input}
        first = engine.start(strategy=strategy, ctx=ctx, limits=pairs.spec.limits)
        pairs.records.save_pair(
            pairs.run_id,
            strategy,
            case.id,
            {"session_id": first.session_id, "started": time.time()},
        )
        if isinstance(first, NeedsResponse):
            return first
        outcome = first
    started = float(pair.get("started") or time.time())
    sample = pairs._sample(strategy, index, outcome, max(0.0, time.time() - started))
    pairs.records.save_pair(pairs.run_id, strategy, case.id, {**pair, "sample": sample})
    return None


def step_host_run(
    engine: EngineLike, spec: RunSpec, *, judge: Judge | None = None, run_id: str | None = None
) -> dict[str, Any]:
    """Advance a run whose queries the caller answers itself (an MCP host): grade every pair
    whose session has ended, and return the first pair still waiting for an answer.

    Returns ``{"run_id", "status": "needs_response", "done", "total", "strategy", "case_id",
    "pending": <the session's pause>}``; answer the pause with ``alc_continue`` until the
    session completes, then call again. Once every pair is graded: ``{"run_id", "status":
    "complete", "record": <run record>}``.

    Raises:
        The errors of :func:`run_eval`'s checks (nothing is driven here).
    """
    check_graders(spec.scenario.graders, spec.scenario.cases)
    for name in spec.all_strategies:
        engine.catalog.locate(name)
    records = RunRecords(engine.store)
    record = _start_record(records, spec, run_id)
    pairs = _Pairs(engine, records, spec, record["run_id"], None, judge, None)
    total = pairs.progress.total
    for index in range(len(spec.scenario.cases)):
        for strategy in spec.all_strategies:
            case_id = spec.scenario.cases[index].id
            if "sample" in records.pair(record["run_id"], strategy, case_id):
                continue
            pause = _host_pair(pairs, strategy, index)
            if pause is not None:
                done = sum(
                    "sample" in records.pair(record["run_id"], s, c.id)
                    for s in spec.all_strategies
                    for c in spec.scenario.cases
                )
                return {
                    "run_id": record["run_id"],
                    "status": "needs_response",
                    "done": done,
                    "total": total,
                    "strategy": strategy,
                    "case_id": case_id,
                    "pending": pause.wire(),
                }
    return {
        "run_id": record["run_id"],
        "status": "complete",
        "record": _finish(records, spec, record),
    }
