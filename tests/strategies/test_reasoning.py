"""cot, step_back, least_to_most, tot, maieutic: prompts, results, round trips."""

from __future__ import annotations

import re

from strategy_driver import by_prompt, constant, run_strategy


def test_cot_builds_a_chain_then_synthesises() -> None:
    steps = iter(["Let the ball cost x.", "Then the bat costs x + 1.", "So 2x + 1 = 1.10."])

    def answer(q):  # type: ignore[no-untyped-def]
        if "Reasoning chain:" in q.prompt:
            return "The ball costs $0.05.\nAnswer: $0.05."
        return next(steps)

    run = run_strategy("cot", {"task": "bat and ball"}, answer)
    assert run.shape == [1, 1, 1, 1]
    assert "first reasoning step" in run.prompts[0]
    assert "Step 1: Let the ball cost x." in run.prompts[1]
    assert "Step 2: Then the bat costs x + 1." in run.prompts[2]
    assert "Step 3: So 2x + 1 = 1.10." in run.prompts[3]
    assert run.queries[0].max_tokens == 300
    r = run.result
    assert r["chain"] == ["Let the ball cost x.", "Then the bat costs x + 1.", "So 2x + 1 = 1.10."]
    assert r["final"] == "$0.05"
    assert r["answer"].startswith("The ball costs")


def test_cot_depth_sets_round_trips() -> None:
    assert run_strategy("cot", {"task": "t", "depth": 1}, constant("s")).shape == [1, 1]
    assert len(run_strategy("cot", {"task": "t", "depth": 6}, constant("s")).pauses) == 7


def test_step_back_asks_the_principle_first() -> None:
    answer = by_prompt(
        [
            (r"Step back from the specifics", "What is the ideal gas law?"),
            (r"Answer with the relevant principles", "PV = nRT"),
            (r"Using these principles", "P' = P * 2 / 8\nAnswer: the pressure drops to 1/4"),
        ]
    )
    run = run_strategy("step_back", {"task": "gas question"}, answer)
    assert run.shape == [1, 1, 1]
    assert run.prompts[1].startswith("What is the ideal gas law?")
    assert "Principles:\nPV = nRT" in run.prompts[2]
    r = run.result
    assert r["step_back_question"] == "What is the ideal gas law?"
    assert r["principles"] == "PV = nRT"
    assert r["final"] == "the pressure drops to 1/4"


def test_step_back_survives_an_empty_question() -> None:
    run = run_strategy("step_back", {"task": "why?"}, constant(""))
    assert "What principles and facts are needed to answer: why?" in run.prompts[1]


def test_least_to_most_feeds_answers_forward_and_ends_with_the_problem() -> None:
    answer = by_prompt(
        [
            (
                r"which simpler questions",
                "1. How long is one round trip?\n2. How many fit in 15 minutes?",
            ),
            (r"Q: How long is one round trip\?\nA:$", "5 minutes"),
            (r"Q: How many fit in 15 minutes\?\nA:$", "3"),
            (r"Q: slide problem\nA:$", "She can slide 3 times.\nAnswer: 3"),
        ]
    )
    run = run_strategy("least_to_most", {"task": "slide problem"}, answer)
    assert run.shape == [1, 1, 1, 1]
    assert "Q: How long is one round trip?\nA: 5 minutes" in run.prompts[2]
    assert (
        "Q: How long is one round trip?\nA: 5 minutes\n\nQ: How many fit in 15 minutes?\nA: 3"
        in run.prompts[3]
    )
    r = run.result
    assert [s["question"] for s in r["steps"]] == [
        "How long is one round trip?",
        "How many fit in 15 minutes?",
        "slide problem",
    ]
    assert r["final"] == "3"


def test_least_to_most_caps_subproblems() -> None:
    many = "\n".join(f"{i}. sub {i}" for i in range(1, 10))
    run = run_strategy(
        "least_to_most",
        {"task": "p", "max_subproblems": 2},
        by_prompt([(r"simpler questions", many)], "a"),
    )
    assert run.result["subproblems"] == ["sub 1", "sub 2"]
    assert len(run.pauses) == 1 + 2 + 1


def test_least_to_most_without_subproblems_answers_directly() -> None:
    run = run_strategy("least_to_most", {"task": "p"}, constant(""))
    assert run.result["subproblems"] == []
    assert run.shape == [1, 1]


def test_tot_beam_search_keeps_the_best_states() -> None:
    counter = {"n": 0}

    def answer(q):  # type: ignore[no-untyped-def]
        if "Evaluate how likely" in q.prompt:
            # value = N of the last step "idea N": later ideas are better
            return re.findall(r"Step \d+: idea (\d+)", q.prompt)[-1]
        if "Propose the next step" in q.prompt:
            counter["n"] += 1
            return f"idea {counter['n']}"
        return "done\nAnswer: 24"

    run = run_strategy("tot", {"task": "make 24", "depth": 2, "breadth": 3, "beam": 2}, answer)
    # layer 1: 1 state x 3 proposals, 3 values; layer 2: 2 states x 3, 6 values; answer
    assert run.shape == [3, 3, 6, 6, 1]
    r = run.result
    layer1 = r["layers"][0]
    assert [s["score"] for s in layer1] == [3, 2, 1]
    assert [s["kept"] for s in layer1] == [True, True, False]
    # layer 2 expands only the two kept states (idea 3 and idea 2)
    expanded = {q.prompt.split("Steps so far:\n")[1].split("\n\n")[0] for q in run.pauses[2]}
    assert expanded == {"Step 1: idea 3", "Step 1: idea 2"}
    assert r["best_path"] == ["idea 2", "idea 9"]
    assert r["best_score"] == 9
    assert "Step 1: idea 2\nStep 2: idea 9" in run.prompts[-1]
    assert r["final"] == "24"


def test_tot_averages_n_evaluate_samples() -> None:
    scores = iter(["2", "8"] * 10)

    def answer(q):  # type: ignore[no-untyped-def]
        return next(scores) if "Evaluate" in q.prompt else "step"

    run = run_strategy("tot", {"task": "t", "depth": 1, "breadth": 1, "n_evaluate": 2}, answer)
    assert run.shape == [1, 2, 1]
    assert run.result["best_score"] == 5


def _maieutic_answer(negation_agrees: bool):  # type: ignore[no-untyped-def]
    def answer(q):  # type: ignore[no-untyped-def]
        p = q.prompt
        if p.endswith("A: True, because"):
            return "spiders have eight legs and insects have six"
        if p.endswith("A: False, because"):
            return "spiders are arachnids, not insects"
        if p.startswith("Q: It is not true that"):
            return "True" if negation_agrees else "False"
        if "Is a spider an insect?" in p:
            return "True"  # the model's direct (wrong) belief
        return "True"

    return answer


def test_maieutic_max_sat_overrides_a_wrong_direct_belief() -> None:
    # Both explanations are believed True and their negations False: both integral.
    # Clauses: E_T -> Q (w 1), E_F -> not Q (w 1), E_T true (1), E_F true (1), Q true (0.5).
    run = run_strategy("maieutic", {"task": "Is a spider an insect?"}, _maieutic_answer(False))
    assert run.shape == [3, 4]
    assert run.prompts[0].endswith("A: True, because")
    assert run.prompts[1].endswith("A: False, because")
    r = run.result
    tree = r["tree"]
    assert [n["integral"] for n in tree[1:]] == [True, True]
    assert tree[1]["text"] == "Spiders have eight legs and insects have six."
    assert r["direct_belief"] is True
    # best: Q True satisfies 0.5 + 1 + 1 + 1 (E_F->~Q broken) = 3.5; Q False: 1+1+1 = 3
    assert r["satisfied_weight"] == 3.5
    assert r["answer"] == "True"


def test_maieutic_expands_non_integral_explanations() -> None:
    run = run_strategy(
        "maieutic", {"task": "Is a spider an insect?", "max_depth": 2}, _maieutic_answer(True)
    )
    # layer 1 explain (2 + direct) + check (4); nothing integral -> layer 2: 4 + 8
    assert run.shape == [3, 4, 4, 8]
    r = run.result
    assert len(r["tree"]) == 7
    assert not any(n["kept"] for n in r["tree"][1:])
    assert r["answer"] == "True"  # only the direct belief remains


def test_maieutic_garbage_is_not_integral() -> None:
    run = run_strategy("maieutic", {"task": "Q?", "max_depth": 1}, constant("hmm"))
    assert run.shape == [3, 4]
    assert run.result["answer"] in ("True", "False")
    assert all(not n["integral"] for n in run.result["tree"])


def test_maieutic_depth_is_capped() -> None:
    assert (
        "max_depth must be at most 3"
        in run_strategy("maieutic", {"task": "q", "max_depth": 4}, constant("x")).error
    )
