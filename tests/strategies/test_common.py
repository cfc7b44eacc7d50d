"""Properties every built-in strategy shares: metadata, ctx validation, robustness to garbage."""

from __future__ import annotations

import pytest
from strategy_driver import STRATEGIES, constant, run_strategy

import alc
from alc.engine.catalog import catalogue, describe

GARBAGE = ["", "¯\\_(ツ)_/¯ ??? {not json", "A B A B 11 true false" * 3, "\x00\ufffd" + "é" * 40]


def test_every_strategy_is_in_the_catalogue() -> None:
    builtins = {i.name for i in catalogue() if i.builtin}
    assert set(STRATEGIES) <= builtins
    assert "_shared" not in builtins


def test_meta_is_complete(strategy: str) -> None:
    info = describe(strategy)
    assert info.error is None
    meta = info.meta
    assert meta["name"] == strategy
    assert meta["version"] == "1.0.0"
    assert meta["description"] and meta["category"]
    paper = meta["paper"]
    assert paper["authors"] and paper["title"] and 2000 <= paper["year"] <= 2025
    names = [p["name"] for p in meta["params"]]
    assert names[0] == "task"
    for p in meta["params"]:
        assert p["type"] and p["description"], p
    assert meta["example"]["task"]
    assert meta["result"].startswith("answer")


def test_missing_task_fails_clearly(strategy: str) -> None:
    run = run_strategy(strategy, {}, constant("x"))
    assert f"{strategy}: ctx.task is required" in run.error
    assert run.pauses == []


def test_non_string_task_fails_clearly(strategy: str) -> None:
    run = run_strategy(strategy, {"task": 42}, constant("x"))
    assert "ctx.task must be a string" in run.error


def test_blank_task_fails_clearly(strategy: str) -> None:
    assert (
        "ctx.task must not be empty" in run_strategy(strategy, {"task": "  "}, constant("x")).error
    )


@pytest.mark.parametrize("garbage", GARBAGE, ids=["empty", "shrug", "letters", "bytes"])
def test_garbage_answers_degrade_gracefully(strategy: str, garbage: str) -> None:
    run = run_strategy(strategy, {"task": "Is the sky blue?"}, constant(garbage))
    result = run.result
    assert isinstance(result["answer"], str)
    assert run.pauses, "every strategy asks the model something"


def test_result_is_stored_in_ctx_result_too() -> None:
    code = "local r = require('cot').run(ctx) return {same = rawequal(r, ctx.result)}"
    engine = alc.Engine()
    out = engine.drive(code, ctx={"task": "t", "depth": 1}, llm=lambda q: "step")
    assert isinstance(out, alc.Completed)
    assert out.result == {"same": True}


INT_PARAMS = {
    "bon": "N",
    "cod": "words",
    "cot": "depth",
    "cove": "max_questions",
    "decompose": "max_subtasks",
    "factscore": "max_facts",
    "least_to_most": "max_subproblems",
    "maieutic": "max_depth",
    "moa": "layers",
    "panel": "gen_tokens",
    "plansearch": "n_plans",
    "rank": "n",
    "reflect": "max_rounds",
    "sc": "n",
    "sot": "max_points",
    "step_back": "gen_tokens",
    "tot": "beam",
    "triad": "rounds",
    "ucb": "n",
    "calibrate": "gen_tokens",
}


@pytest.mark.parametrize("bad", [0, -1, 2.5, "3"])
def test_integer_params_are_validated(strategy: str, bad: object) -> None:
    key = INT_PARAMS[strategy]
    run = run_strategy(strategy, {"task": "t", key: bad}, constant("x"))
    assert f"{key} must be a positive integer" in run.error
    assert run.pauses == []
