"""sc, bon, rank, ucb, moa: sampling, judging, voting and their batching."""

from __future__ import annotations

import re

from strategy_driver import by_prompt, constant, run_strategy


def test_sc_samples_in_one_batch_and_votes() -> None:
    answers = iter(
        ["so 5.\nAnswer: 5", "Answer: **5.**", "Answer: 6", "hmm\nfinal answer: 5", "Answer: 6"]
    )
    run = run_strategy("sc", {"task": "3 cars + 2 cars?", "n": 5}, lambda q: next(answers))
    assert run.shape == [5]
    q = run.queries[0]
    assert "Question: 3 cars + 2 cars?" in q.prompt and "'Answer: <answer>'" in q.prompt
    assert q.options["temperature"] == 0.7
    r = run.result
    assert r["answer"] == "5"
    assert r["votes"] == ["5", "5", "6", "5", "6"]
    assert r["vote_counts"] == {"5": 3, "6": 2}
    assert r["agreement"] == 0.6
    assert [p["answer"] for p in r["paths"]] == ["5", "5", "6", "5", "6"]


def test_sc_normalises_numbers_and_case() -> None:
    answers = iter(["Answer: 1,000", "Answer: 1000.0", "Answer: Paris", "Answer: paris."])
    r = run_strategy("sc", {"task": "t", "n": 4}, lambda q: next(answers)).result
    assert r["vote_counts"] == {"1000": 2, "paris": 2}
    assert r["answer"] == "1,000"  # ties go to the first seen, shown as first written


def test_sc_falls_back_to_last_line_and_skips_empty() -> None:
    answers = iter(["", "reasoning\n42", ""])
    r = run_strategy("sc", {"task": "t", "n": 3}, lambda q: next(answers)).result
    assert r["votes"] == ["42"] and r["answer"] == "42"
    assert r["agreement"] == 1 / 3


def test_sc_validates_temperature() -> None:
    run = run_strategy("sc", {"task": "t", "temperature": 5}, constant("x"))
    assert "temperature must be between 0 and 2" in run.error


def test_bon_batch_picks_first_over_threshold() -> None:
    texts = iter(["cand A", "cand B", "cand C", "cand D"])
    answer = by_prompt(
        [
            (r"cand A.*Score the response", "6"),
            (r"cand B.*Score the response", "9/10"),
            (r"cand C.*Score the response", "10"),
            (r"cand D.*Score the response", "3"),
            (r"Give your best response", lambda q: next(texts)),
        ]
    )
    run = run_strategy("bon", {"task": "haiku", "N": 4, "threshold": 0.9}, answer)
    assert run.shape == [4, 4]
    assert [q.options["temperature"] for q in run.pauses[0]] == [0.7, 1.0, 1.0, 1.0]
    assert [q.options["rollout_id"] for q in run.pauses[0]] == [1, 2, 3, 4]
    r = run.result
    assert r["answer"] == "cand B" and r["index"] == 2 and r["reached_threshold"] is True
    assert [c["score"] for c in r["candidates"]] == [6, 9, 10, 3]


def test_bon_returns_best_when_no_candidate_reaches_threshold() -> None:
    scores = iter(["4", "7", "oops"])
    answer = by_prompt([(r"Score the response", lambda q: next(scores))], "text")
    r = run_strategy("bon", {"task": "t", "n": 3}, answer).result
    assert r["reached_threshold"] is False
    assert r["score"] == 7 and r["index"] == 2
    assert r["candidates"][2]["score"] == 5  # unreadable score -> parse_score default


def test_bon_sequential_stops_early() -> None:
    scores = iter(["5", "10", "10"])
    answer = by_prompt([(r"Score the response", lambda q: next(scores))], "text")
    run = run_strategy("bon", {"task": "t", "N": 5, "sequential": True}, answer)
    assert run.shape == [1, 1, 1, 1]  # two attempts, stopped at the first 10
    assert len(run.result["candidates"]) == 2


def test_bon_param_errors() -> None:
    assert (
        "give N or n, not both"
        in run_strategy("bon", {"task": "t", "N": 2, "n": 3}, constant("x")).error
    )
    assert (
        "threshold must be between 0 and 1"
        in run_strategy("bon", {"task": "t", "threshold": 7}, constant("x")).error
    )
    assert (
        "sequential must be a boolean"
        in run_strategy("bon", {"task": "t", "sequential": "yes"}, constant("x")).error
    )


def _prefer(best: str):  # type: ignore[no-untyped-def]
    """A judge that prefers candidates by a fixed order of quality."""
    order = ["gamma", "alpha", "beta"]

    def answer(q):  # type: ignore[no-untyped-def]
        a = re.search(r"Response A:\n(\w+)", q.prompt).group(1)  # type: ignore[union-attr]
        b = re.search(r"Response B:\n(\w+)", q.prompt).group(1)  # type: ignore[union-attr]
        return "A" if order.index(a) < order.index(b) else "Response B is better, so B"

    return answer


def test_rank_compares_all_pairs_in_both_orders_in_one_batch() -> None:
    run = run_strategy(
        "rank", {"task": "name it", "candidates": ["alpha", "beta", "gamma"]}, _prefer("gamma")
    )
    assert run.shape == [6]
    pairs = {
        (re.search(r"Response A:\n(\w+)", p).group(1), re.search(r"Response B:\n(\w+)", p).group(1))  # type: ignore[union-attr]
        for p in run.prompts
    }
    assert pairs == {
        ("alpha", "beta"),
        ("beta", "alpha"),
        ("alpha", "gamma"),
        ("gamma", "alpha"),
        ("beta", "gamma"),
        ("gamma", "beta"),
    }
    r = run.result
    assert r["answer"] == "gamma"
    assert [(x["text"], x["score"]) for x in r["ranking"]] == [
        ("gamma", 4),
        ("alpha", 2),
        ("beta", 0),
    ]
    assert r["generated"] is False


def test_rank_position_bias_cancels_to_a_tie() -> None:
    # a judge that always says "A": every pair splits 1-1, every candidate gets n-1 points
    r = run_strategy("rank", {"task": "t", "candidates": ["x", "y", "z"]}, constant("A")).result
    assert [x["score"] for x in r["ranking"]] == [2, 2, 2]
    assert r["best_index"] == 1


def test_rank_generates_candidates_then_compares() -> None:
    run = run_strategy(
        "rank", {"task": "t", "n": 3}, by_prompt([(r"Which response", "???")], "cand")
    )
    assert run.shape == [3, 6]
    r = run.result
    assert r["generated"] is True
    assert all(x["score"] == 2 for x in r["ranking"])  # unreadable verdicts count as ties


def test_rank_validation() -> None:
    assert (
        "candidates must hold at least 2 items"
        in run_strategy("rank", {"task": "t", "candidates": ["only"]}, constant("A")).error
    )
    assert (
        "n must be at least 2" in run_strategy("rank", {"task": "t", "n": 1}, constant("A")).error
    )


def test_ucb_follows_ucb1() -> None:
    gen = iter(["H1", "H2", "H3"])

    def answer(q):  # type: ignore[no-untyped-def]
        if "Propose hypothesis" in q.prompt:
            return next(gen)
        if "Refine this hypothesis" in q.prompt:
            h = re.search(r"Hypothesis:\n(.+?)\n\nRefine", q.prompt, re.S).group(1)  # type: ignore[union-attr]
            return h + "+"
        h = re.search(r"Hypothesis:\n(.+?)\n\nRate", q.prompt, re.S).group(1)  # type: ignore[union-attr]
        return (
            {"H1": "3", "H2": "8", "H3": "5"}.get(h.rstrip("+"), "5")
            if not h.startswith("H2+")
            else "9"
        )

    run = run_strategy("ucb", {"task": "t", "n": 3, "rounds": 2}, answer)
    assert run.shape == [3, 3, 1, 1, 1, 1]
    r = run.result
    # t=3: every arm has one pull, so H2 (0.8) has the best bound; its refinement scores 0.9.
    # t=4: H2 = 0.85 + sqrt(2 ln 4 / 2) = 2.03 < H3 = 0.5 + sqrt(2 ln 4 / 1) = 2.17: explore H3.
    assert [p["arm"] for p in r["pulls"]] == [1, 2, 3, 2, 3]
    assert r["answer"] == "H2+"
    assert r["best_index"] == 2
    best = r["arms"][0]
    assert best["pulls"] == 2 and best["rewards"] == [0.8, 0.9]
    assert [a["hypothesis"] for a in r["arms"]] == ["H2+", "H3+", "H1"]


def test_ucb_explores_an_under_pulled_arm() -> None:
    # c large: exploration dominates, so the second round picks a different arm than the first
    run = run_strategy(
        "ucb",
        {"task": "t", "n": 2, "rounds": 2, "c": 50},
        by_prompt([(r"Rate this hypothesis", "5")], "h"),
    )
    assert [p["arm"] for p in run.result["pulls"]] == [1, 2, 1, 2]


def test_ucb_rounds_zero_only_scores() -> None:
    run = run_strategy("ucb", {"task": "t", "rounds": 0}, constant("7"))
    assert run.shape == [3, 3]


def test_moa_layers_see_previous_responses() -> None:
    def answer(q):  # type: ignore[no-untyped-def]
        layer = q.prompt.count("Responses from the previous layer")
        return f"L{layer + 1 if 'previous layer' in q.prompt else 1}-{q.id}"

    run = run_strategy("moa", {"task": "CAP theorem", "layers": 2, "agents": 3}, answer)
    assert run.shape == [3, 3, 1]
    assert run.pauses[0][0].prompt == "CAP theorem"
    assert "a creative generalist" in (run.pauses[0][1].system or "")
    layer1 = [f"L1-{q.id}" for q in run.pauses[0]]
    for q in run.pauses[1]:
        assert all(f"{i}. {t}" in q.prompt for i, t in enumerate(layer1, 1))
        assert "Synthesise a single response" in (q.system or "")
    assert "1. L2-q-3" in run.prompts[-1]
    r = run.result
    assert r["layers"][0] == layer1
    assert r["answer"] == "L1-q-6"


def test_moa_models_are_passed_to_the_driver() -> None:
    run = run_strategy(
        "moa",
        {"task": "t", "layers": 1, "models": ["m1", "m2"], "aggregator_model": "big"},
        constant("x"),
    )
    assert run.shape == [2, 1]
    assert [q.options.get("model") for q in run.queries] == ["m1", "m2", "big"]


def test_moa_models_must_be_strings() -> None:
    assert (
        "models must be a list of non-empty strings"
        in run_strategy("moa", {"task": "t", "models": ["a", 3]}, constant("x")).error
    )
