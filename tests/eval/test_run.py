"""Runs through the Python API: every pair a real session on a real SQLite store, cards with
samples, resume after an interruption, re-grading without the model, the host-driven loop."""

from __future__ import annotations

import re
from pathlib import Path

import anyio
import pytest

import alc
from alc.engine.errors import InvalidInput, StrategyNotFound
from alc.engine.protocol import Query
from alc.eval import (
    GraderSpec,
    builtin_scenario,
    compare_runs,
    evaluate_step,
    list_runs,
    regrade,
    run_report,
    show_run,
)


def oracle(query: Query) -> str:
    """Answers arith cases right when asked directly, wrong inside a cot chain."""
    scenario = builtin_scenario("arith", 8, seed=0)
    assert scenario is not None
    for case in scenario.cases:
        if query.prompt == case.input:
            return f"Answer: {case.expected[0]}"
    return "Step: I am not sure.\nAnswer: 0"


class Flaky:
    """Answers like ``oracle`` but raises after ``fail_after`` answers (an interruption)."""

    def __init__(self, fail_after: int) -> None:
        self.fail_after = fail_after
        self.calls = 0

    def __call__(self, query: Query) -> str:
        self.calls += 1
        if self.calls > self.fail_after:
            raise RuntimeError("interrupted on purpose")
        return oracle(query)


@pytest.fixture()
def engine(tmp_path: Path) -> alc.Engine:
    return alc.Engine(tmp_path / "store.db")


def test_a_run_is_stored_as_cards_with_samples(engine: alc.Engine) -> None:
    seen: list[int] = []
    record = engine.evaluate(
        "arith",
        ["cot"],
        llm=oracle,
        n=8,
        strategy_opts={"cot": {"depth": 1}},
        on_progress=lambda p: seen.append(p.done),
    )
    assert record["status"] == "complete" and record["strategies"] == ["direct", "cot"]
    assert seen == list(range(1, 17))
    for strategy, card_id in record["cards"].items():
        card = engine.cards.get(card_id)
        assert card is not None and card["pkg"]["name"] == strategy
        assert card["eval"]["run_id"] == record["run_id"]
        assert engine.cards.samples_count(card_id) == 8
    report = run_report(engine, record["run_id"])
    assert report["strategies"]["direct"]["pass_rate"] == 1.0
    assert report["strategies"]["cot"]["pass_rate"] == 0.0
    assert report["strategies"]["cot"]["llm_calls_per_case"] == 2.0
    cmp = report["comparisons"]["cot"]
    assert cmp["b"] == 8 and cmp["c"] == 0 and cmp["delta_pass_rate"] == -1.0
    assert cmp["p_mcnemar"] == pytest.approx(2 / 2**8)
    assert cmp["verdict"].startswith("Significantly worse")
    rows = show_run(engine, record["run_id"], strategy="cot", transcripts=True)["cases"]
    assert len(rows) == 8 and len(rows[0]["transcript"]) == 2
    assert rows[0]["session_id"].startswith("s-")
    assert list_runs(engine)[0]["pass_rates"] == {"direct": 1.0, "cot": 0.0}


def test_an_interrupted_run_continues_where_it_stopped(engine: alc.Engine) -> None:
    flaky = Flaky(fail_after=5)
    opts = {"cot": {"depth": 1}}
    with pytest.raises(RuntimeError, match="on purpose"):
        engine.evaluate("arith", ["cot"], llm=flaky, n=4, strategy_opts=opts, concurrency=1)
    partial = list_runs(engine)[0]
    assert partial["status"] == "running" and 0 < partial["done"] < 8
    rest = Flaky(fail_after=100)  # another object: the run is named to continue it
    record = engine.evaluate(
        "arith", ["cot"], llm=rest, n=4, strategy_opts=opts, run_id=partial["run_id"]
    )
    assert record["run_id"] == partial["run_id"] and record["status"] == "complete"
    # 4 direct + 4 cot x 2 calls = 12 answers in all; the first run gave 5, none is asked twice
    assert rest.calls == 12 - 5
    assert run_report(engine, record["run_id"])["strategies"]["direct"]["n"] == 4


def test_a_larger_n_reuses_the_pairs_of_the_smaller_run(engine: alc.Engine) -> None:
    opts = {"cot": {"depth": 1}}
    counting = Flaky(fail_after=100)
    small = engine.evaluate("arith", ["cot"], llm=counting, n=3, strategy_opts=opts)
    counting.calls = 0
    large = engine.evaluate("arith", ["cot"], llm=counting, n=5, strategy_opts=opts)
    assert large["run_id"] != small["run_id"] and large["reused_from"] == small["run_id"]
    assert counting.calls == 2 * (1 + 2)  # only cases 4 and 5 were asked
    report = run_report(engine, large["run_id"])
    assert report["strategies"]["cot"]["n"] == 5
    other_seed = engine.evaluate("arith", ["cot"], llm=counting, n=3, seed=1, strategy_opts=opts)
    assert "reused_from" not in other_seed
    other_model = engine.evaluate("arith", ["cot"], llm=oracle, n=5, strategy_opts=opts)
    assert "reused_from" not in other_model


def test_regrade_writes_linked_cards_without_asking_the_model(engine: alc.Engine) -> None:
    record = engine.evaluate("arith", [], llm=oracle, n=3)
    new = regrade(engine, record["run_id"], [GraderSpec("exact_match")])
    old_id, new_id = record["cards"]["direct"], new["cards"]["direct"]
    assert new_id != old_id
    card = engine.cards.get(new_id)
    assert card is not None and card["metadata"]["prior_card_id"] == old_id
    report = run_report(engine, record["run_id"])
    assert report["strategies"]["direct"]["pass_rate"] == 0.0  # "Answer: 12" != "12"
    assert report["run"]["regraded_from"] == record["cards"]


def test_requests_are_checked_before_anything_runs(engine: alc.Engine) -> None:
    with pytest.raises(StrategyNotFound):
        engine.evaluate("arith", ["no_such_strategy"], llm=oracle, n=2)
    with pytest.raises(InvalidInput, match="No eval run"):
        run_report(engine, "ev-000000000000")
    with pytest.raises(InvalidInput, match="concurrency"):
        engine.evaluate("arith", ["cot"], llm=oracle, n=2, concurrency=0)
    with pytest.raises(InvalidInput, match="at least one strategy"):
        engine.evaluate("arith", [], llm=oracle, n=2, baseline=None)
    assert list_runs(engine) == []


def test_two_runs_compare_strategy_by_strategy(engine: alc.Engine) -> None:
    a = engine.evaluate("arith", [], llm=oracle, n=4)
    b = engine.evaluate("arith", [], llm=lambda q: "no idea", n=4)
    out = compare_runs(engine, a["run_id"], b["run_id"])
    (cmp,) = out["comparisons"].values()
    assert cmp["delta_pass_rate"] == -1.0 and cmp["b"] == 4
    assert cmp["verdict"].startswith("Too few cases")
    with pytest.raises(InvalidInput, match="no strategy 'cot'"):
        compare_runs(engine, f"{a['run_id']}:cot", b["run_id"])


def test_a_host_answers_every_pause_itself(engine: alc.Engine) -> None:
    step = evaluate_step(engine, "arith", ["cot"], n=2, strategy_opts={"cot": {"depth": 1}})
    answered = 0
    while step["status"] == "needs_response":
        session_id = step["pending"]["session_id"]
        assert step["pending"]["status"] == "needs_response"
        outcome = engine.feed(session_id, oracle(engine.pending(session_id).queries[0]))
        answered += 1
        while isinstance(outcome, alc.NeedsResponse):
            outcome = engine.feed(outcome.session_id, oracle(outcome.queries[0]))
            answered += 1
        step = evaluate_step(engine, None, run_id=step["run_id"])
    assert answered == 2 + 2 * 2
    assert step["record"]["llm"] == "host"
    report = run_report(engine, step["run_id"])
    assert report["strategies"]["direct"]["pass_rate"] == 1.0
    assert re.match(r"ev-[0-9a-f]{12}$", step["run_id"])


def test_an_unknown_option_is_a_clear_error(engine: alc.Engine) -> None:
    with pytest.raises(InvalidInput, match=r"Unknown eval option\(s\) 'concurency'.*concurrency"):
        engine.evaluate("arith", ["cot"], llm=oracle, n=2, concurency=1)  # type: ignore[call-arg]


def test_the_async_engine_evaluates_with_the_same_options(tmp_path: Path) -> None:
    async def main() -> dict[str, object]:
        async with alc.AsyncEngine(tmp_path / "store.db") as engine:
            return await engine.evaluate(
                "arith", ["cot"], llm=oracle, n=3, seed=0, strategy_opts={"cot": {"depth": 1}}
            )

    record = anyio.run(main)
    assert record["status"] == "complete" and record["strategies"] == ["direct", "cot"]
    assert record["baseline"] == "direct"
