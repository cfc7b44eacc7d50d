"""Evaluation: does a strategy beat asking the model directly, on my tasks and my model?

An eval run is a set of sessions, one per (strategy, case) pair, driven by a responder, graded,
and stored in the engine's store (one card with samples per strategy), so it can be compared,
reported and re-graded without asking the model again. docs/evals.md is the user guide.

=====================  ===============================================================
:func:`evaluate`       load a scenario, run every pair, return the run record
:func:`evaluate_step`  the same for a caller that answers the queries itself (an MCP host)
:func:`load_scenario`  a built-in set (arith, logic, factual) or a .lua/.jsonl/.toml/.json file
:func:`regrade`        grade a finished run's stored answers again, as new cards
:func:`compare_runs`   paired statistics of strategies (within one run or across two)
:func:`run_report`     every statistic of one run, as JSON-able data
:data:`GRADERS`        every grader by name
=====================  ===============================================================

This package sits below the Python API (``Engine.evaluate`` delegates here) and names the
engine by the methods it uses (:class:`EngineLike`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Unpack

from alc.engine.errors import InvalidInput
from alc.eval._analysis import compare_runs, list_runs, run_report, show_run
from alc.eval._builtin import BUILTIN_SETS, builtin_scenario
from alc.eval._graders import GRADERS, extract_answer, extract_number, grade
from alc.eval._model import Case, EngineLike, GraderSpec, Scenario
from alc.eval._records import RunRecords
from alc.eval._runner import (
    EvalOptions,
    Progress,
    RunSpec,
    answer_text,
    regrade,
    run_eval,
    step_host_run,
)
from alc.eval._scenario import load_scenario
from alc.eval._stats import require_eval_extra

__all__ = [
    "BUILTIN_SETS",
    "GRADERS",
    "Case",
    "EngineLike",
    "EvalOptions",
    "GraderSpec",
    "Progress",
    "RunSpec",
    "Scenario",
    "answer_text",
    "builtin_scenario",
    "compare_runs",
    "evaluate",
    "evaluate_step",
    "extract_answer",
    "extract_number",
    "grade",
    "list_runs",
    "load_scenario",
    "regrade",
    "run_eval",
    "run_report",
    "show_run",
]


def _responder(llm: Any) -> Any:
    if isinstance(llm, str):
        from alc.responders import from_spec

        return from_spec(llm)
    return llm


def _llm_label(llm: Any) -> str:
    """How a run records its responder: the spec, or for a Python object its type and identity
    (two objects are two models; continue such a run elsewhere with ``run_id``)."""
    if isinstance(llm, str):
        return llm
    return f"{type(llm).__name__}@{id(llm):x}"


def _check_options(options: Mapping[str, Any]) -> None:
    """Before anything runs: the ``[eval]`` extra is installed, and every option is known."""
    require_eval_extra("an eval run")
    unknown = sorted(set(options) - set(EvalOptions.__annotations__))
    if unknown:
        raise InvalidInput(
            f"Unknown eval option(s) {', '.join(map(repr, unknown))}; the options are "
            f"{', '.join(EvalOptions.__annotations__)}."
        )


def evaluate(
    engine: EngineLike,
    scenario: str | Scenario,
    strategies: Sequence[str],
    *,
    llm: Any,
    on_start: Callable[[str, int, int], None] | None = None,
    **options: Unpack[EvalOptions],
) -> dict[str, Any]:
    """Run (or continue) an evaluation and return its finished run record.

    Args:
        engine: where the sessions run and the run is stored.
        scenario: a :class:`Scenario`, a built-in set name or a scenario file path.
        strategies: strategy names; ``baseline`` is added when missing.
        llm: a responder spec (``"local"``, ``"openai:gpt-4o-mini"``, ``"cmd:..."``,
            ``"scripted:file.json"``) or a responder / ``llm(query)`` callable.
        options: :class:`EvalOptions`: ``baseline`` (default ``direct``, or None), ``n`` and
            ``seed`` (how many cases, and the generator seed of built-in sets; default 0),
            ``judge`` (responder of model-judged graders; default ``llm``), ``strategy_opts``
            (ctx parameters per strategy, ``{"sc": {"n": 3}}``), ``concurrency`` (pairs in
            flight at once; default 2), ``run_id`` (continue this run; default: the unfinished
            run of the same configuration; a responder given as a Python object is part of the
            configuration by identity, so name the run to continue it from another process),
            ``on_progress``. A new run of a configuration that ran before with fewer cases
            reuses the graded pairs of the cases they share.
        on_start: see :func:`run_eval`.

    Returns:
        The run record: ``run_id``, ``status`` (``complete``), ``scenario``, ``strategies``,
        ``baseline``, ``cards`` (strategy -> card id), ``llm``, timestamps.

    Raises:
        MissingExtra: the ``[eval]`` extra is not installed (checked before anything runs).
        InvalidInput: a bad scenario, grader, option (or an unknown one) or run id.
        StrategyNotFound.
        ResponderError: the responder failed (the run stops and can be continued).
    """
    _check_options(options)
    n = options.get("n")
    if isinstance(scenario, str):
        scenario = load_scenario(scenario, engine, n=n, seed=options.get("seed", 0))
    else:
        scenario = scenario.head(n)
    judge = options.get("judge")
    spec = RunSpec(
        scenario=scenario,
        strategies=tuple(strategies),
        baseline=options.get("baseline", "direct"),
        llm=_llm_label(llm),
        judge=judge if isinstance(judge, str) else None,
        strategy_opts=dict(options.get("strategy_opts") or {}),
        concurrency=options.get("concurrency", 2),
    )
    for name in spec.all_strategies:  # request errors before a responder is built
        engine.catalog.locate(name)
    return run_eval(
        engine,
        spec,
        _responder(llm),
        judge=_responder(judge) if judge is not None else None,
        run_id=options.get("run_id"),
        on_progress=options.get("on_progress"),
        on_start=on_start,
    )


def _spec_from_record(engine: EngineLike, run_id: str) -> RunSpec:
    record = RunRecords(engine.store).run(run_id)
    return RunSpec(
        scenario=Scenario.parse(record["scenario"]),
        strategies=tuple(record["strategies"]),
        baseline=record.get("baseline"),
        llm=str(record.get("llm")),
        judge=record.get("judge"),
        strategy_opts=record.get("strategy_opts", {}),
        concurrency=int(record.get("concurrency", 1)),
    )


def evaluate_step(
    engine: EngineLike,
    scenario: str | Scenario | None,
    strategies: Sequence[str] = (),
    *,
    baseline: str | None = "direct",
    n: int | None = None,
    seed: int = 0,
    strategy_opts: Mapping[str, Mapping[str, Any]] | None = None,
    run_id: str | None = None,
    judge: Any = None,
) -> dict[str, Any]:
    """One step of a run whose queries the caller answers (``llm = "host"``): grade the pairs
    whose sessions ended and return the next pause to answer, or the finished record (see
    :func:`alc.eval._runner.step_host_run`). With ``run_id`` and no scenario, the run's own
    configuration is used.

    Raises:
        InvalidInput: no scenario and no run id, and the errors of :func:`evaluate`.
    """
    require_eval_extra("an eval run")
    if scenario is None:
        if run_id is None:
            raise InvalidInput("Give a scenario (and strategies) to start a run, or its run_id.")
        spec = _spec_from_record(engine, run_id)
    else:
        if isinstance(scenario, str):
            scenario = load_scenario(scenario, engine, n=n, seed=seed)
        spec = RunSpec(
            scenario=scenario.head(n),
            strategies=tuple(strategies),
            baseline=baseline,
            llm="host",
            strategy_opts=dict(strategy_opts or {}),
            concurrency=1,
        )
    if not spec.all_strategies:
        raise InvalidInput("Give at least one strategy to evaluate.")
    return step_host_run(engine, spec, judge=_responder(judge) if judge else None, run_id=run_id)
