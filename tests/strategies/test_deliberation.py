"""panel, triad, calibrate, sot, decompose, plansearch."""

from __future__ import annotations

from pathlib import Path

import pytest
from strategy_driver import by_prompt, constant, run_strategy


def test_panel_debate_rounds_are_batched() -> None:
    def answer(q):  # type: ignore[no-untyped-def]
        role = (q.system or "").split(".")[0].removeprefix("You are ")
        if "As moderator" in q.prompt:
            return "synthesis"
        return f"{role}: {'revised' if 'previous answer' in q.prompt else 'opening'}"

    run = run_strategy(
        "panel", {"task": "microservices?", "roles": ["optimist", "pessimist"], "rounds": 2}, answer
    )
    assert run.shape == [2, 2, 2, 1]
    opt_round1 = run.pauses[1][0].prompt
    assert "Your previous answer:\noptimist: opening" in opt_round1
    assert "[pessimist]\npessimist: opening" in opt_round1
    assert "[optimist]" not in opt_round1.split("The other panellists answered:")[1]
    assert "1. [optimist]\noptimist: revised" in run.prompts[-1]
    r = run.result
    assert r["answer"] == "synthesis"
    assert r["arguments"] == [
        {"role": "optimist", "text": "optimist: revised"},
        {"role": "pessimist", "text": "pessimist: revised"},
    ]
    assert len(r["transcript"]) == 3


def test_panel_defaults_and_validation() -> None:
    assert run_strategy("panel", {"task": "t"}, constant("x")).shape == [3, 3, 1]
    assert run_strategy("panel", {"task": "t", "rounds": 0}, constant("x")).shape == [3, 1]
    assert (
        "roles must hold at least 2 items"
        in run_strategy("panel", {"task": "t", "roles": ["solo"]}, constant("x")).error
    )
    assert (
        "rounds must be a non-negative integer"
        in run_strategy("panel", {"task": "t", "rounds": -1}, constant("x")).error
    )


def test_triad_judge_decides() -> None:
    answer = by_prompt(
        [
            (r"You are the proponent", "Tests first."),
            (r"You are the opponent", "Tests after is faster."),
            (
                r"You are the judge",
                "WINNER: Proponent\nREASON: fewer bugs.\nANSWER: Write tests first for core logic.",
            ),
        ]
    )
    run = run_strategy("triad", {"task": "tests first?"}, answer)
    assert run.shape == [1, 1, 1]
    assert "1 [proponent] Tests first." in run.prompts[1]
    assert "2 [opponent] Tests after is faster." in run.prompts[2]
    r = run.result
    assert r["winner"] == "proponent"
    assert r["answer"] == "Write tests first for core logic."
    assert r["reason"] == "fewer bugs."


def test_triad_rounds_and_garbage_verdict() -> None:
    run = run_strategy("triad", {"task": "t", "rounds": 2}, constant("blah"))
    assert run.shape == [1] * 5
    assert "Rebut the opponent" in run.prompts[2]
    r = run.result
    assert r["winner"] == "draw" and r["answer"] == "blah"


def test_calibrate_keeps_a_confident_answer() -> None:
    run = run_strategy(
        "calibrate",
        {"task": "capital of Australia?"},
        constant("ANSWER: Canberra\nCONFIDENCE: 0.95"),
    )
    assert run.shape == [1]
    r = run.result
    assert r == {
        "answer": "Canberra",
        "confidence": 0.95,
        "escalated": False,
        "strategy": "direct",
        "initial_answer": "Canberra",
    }


@pytest.mark.parametrize("conf,value", [("85%", 0.85), ("7/10", 0.7), ("8", 0.8), ("0.7", 0.7)])
def test_calibrate_reads_confidence_formats(conf: str, value: float) -> None:
    r = run_strategy("calibrate", {"task": "t"}, constant(f"ANSWER: x\nCONFIDENCE: {conf}")).result
    assert r["confidence"] == pytest.approx(value)
    assert r["escalated"] is False


def test_calibrate_escalates_to_sc_below_threshold() -> None:
    answer = by_prompt(
        [(r"CONFIDENCE: <a number", "ANSWER: Sydney\nCONFIDENCE: 0.4")], "Answer: Canberra"
    )
    run = run_strategy("calibrate", {"task": "capital?", "fallback_opts": {"n": 3}}, answer)
    assert run.shape == [1, 3]
    r = run.result
    assert r["escalated"] is True and r["strategy"] == "sc"
    assert r["answer"] == "Canberra" and r["initial_answer"] == "Sydney"
    assert r["fallback_result"]["vote_counts"] == {"canberra": 3}


def test_calibrate_garbage_confidence_escalates_to_any_strategy() -> None:
    run = run_strategy(
        "calibrate",
        {"task": "t", "fallback": "cot", "fallback_opts": {"depth": 1}},
        constant("no idea"),
    )
    assert run.shape == [1, 1, 1]
    assert run.result["strategy"] == "cot" and run.result["confidence"] == 0


def test_calibrate_fallback_errors() -> None:
    assert (
        "fallback strategy 'nope' cannot be loaded"
        in run_strategy(
            "calibrate", {"task": "t", "fallback": "nope"}, constant("CONFIDENCE: 0")
        ).error
    )
    assert (
        "fallback must not be calibrate itself"
        in run_strategy("calibrate", {"task": "t", "fallback": "calibrate"}, constant("x")).error
    )
    assert (
        "threshold must be between 0 and 1"
        in run_strategy("calibrate", {"task": "t", "threshold": 70}, constant("x")).error
    )


def test_calibrate_escalates_to_a_user_package(packages: Path) -> None:
    (packages / "mine").mkdir()
    (packages / "mine" / "init.lua").write_text(
        "return {meta = {name = 'mine'}, run = function(ctx)"
        " return {answer = 'mine: ' .. alc.llm('deep ' .. ctx.task)} end}"
    )
    run = run_strategy(
        "calibrate",
        {"task": "q", "fallback": "mine"},
        by_prompt([(r"CONFIDENCE: <a", "ANSWER: a\nCONFIDENCE: 0.1")], "deep answer"),
    )
    assert run.prompts[1] == "deep q"
    assert run.result["answer"] == "mine: deep answer"


def test_sot_expands_the_skeleton_in_one_batch() -> None:
    answer = by_prompt(
        [
            (
                r"skeleton of a good answer",
                "1. Exercise regularly\n2. Sleep well\n3. Talk to friends",
            ),
            (r"point 2 \(\"Sleep well\"\)", "Aim for eight hours."),
        ],
        "Details.",
    )
    run = run_strategy("sot", {"task": "stress?"}, answer)
    assert run.shape == [1, 3]
    assert all(
        "1. Exercise regularly\n2. Sleep well\n3. Talk to friends" in q.prompt
        for q in run.pauses[1]
    )
    r = run.result
    assert r["skeleton"] == ["Exercise regularly", "Sleep well", "Talk to friends"]
    assert r["answer"] == (
        "1. Exercise regularly: Details.\n2. Sleep well: Aim for eight hours.\n"
        "3. Talk to friends: Details."
    )


def test_sot_caps_points() -> None:
    many = "\n".join(f"- p{i}" for i in range(20))
    run = run_strategy("sot", {"task": "t", "max_points": 4}, by_prompt([(r"skeleton", many)], "x"))
    assert run.shape == [1, 4]


def test_decompose_solves_subtasks_in_one_batch_then_merges() -> None:
    answer = by_prompt(
        [
            (r"Return a JSON array", 'Sure: ["storage", "concurrency"]'),
            (r"Sub-task: storage", "files"),
            (r"Sub-task: concurrency", "locks"),
            (r"Combine these results", "merged"),
        ]
    )
    run = run_strategy("decompose", {"task": "pg vs sqlite"}, answer)
    assert run.shape == [1, 2, 1]
    assert "1. storage\n   files\n2. concurrency\n   locks" in run.prompts[-1]
    assert run.result == {
        "answer": "merged",
        "subtasks": [
            {"subtask": "storage", "result": "files"},
            {"subtask": "concurrency", "result": "locks"},
        ],
    }


def test_decompose_without_subtasks_solves_the_whole_task() -> None:
    run = run_strategy("decompose", {"task": "t"}, constant(""))
    assert run.shape == [1, 1, 1]
    assert run.result["subtasks"][0]["subtask"] == "t"


def test_plansearch_combines_observations_into_plans() -> None:
    answer = by_prompt(
        [
            (r"List 4 useful", "1. o1\n2. o2\n3. o3\n4. o4"),
            (r"Plan:\nplan 1-3.*How likely", "9"),
            (r"How likely", "4"),
            (
                r"1\. o(\d)\n2\. o(\d)\n\nCombine",
                lambda q: "plan " + "-".join(__import__("re").findall(r"\d\. o(\d)", q.prompt)),
            ),
            (r"Implement the solution", "code"),
        ]
    )
    run = run_strategy("plansearch", {"task": "LIS", "n_observations": 4, "n_plans": 5}, answer)
    assert run.shape == [1, 5, 5, 1]
    r = run.result
    assert [p["plan"] for p in r["plans"]] == [
        "plan 1-2",
        "plan 2-3",
        "plan 3-4",
        "plan 1-3",
        "plan 2-4",
    ]
    assert r["best_plan"] == "plan 1-3"
    assert "Plan:\nplan 1-3" in run.prompts[-1]
    assert r["answer"] == "code"


def test_plansearch_with_one_observation() -> None:
    run = run_strategy(
        "plansearch", {"task": "t"}, by_prompt([(r"useful, non-obvious", "1. only")], "x")
    )
    assert run.shape == [1, 1, 1, 1]
