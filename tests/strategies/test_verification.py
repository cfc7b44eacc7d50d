"""reflect, cove, factscore, cod: drafting, checking and revising."""

from __future__ import annotations

import json

from strategy_driver import by_prompt, constant, run_strategy


def test_reflect_stops_when_feedback_passes() -> None:
    feedback = iter(["Too vague: name Rayleigh scattering.", "NO_CHANGES_NEEDED"])
    answer = by_prompt(
        [
            (r"Write your best response", "draft v0"),
            (r"Give specific, actionable feedback", lambda q: next(feedback)),
            (r"Rewrite the response", "draft v1"),
        ]
    )
    run = run_strategy("reflect", {"task": "why is the sky blue", "max_rounds": 3}, answer)
    assert run.shape == [1, 1, 1, 1]
    assert "Response:\ndraft v0" in run.prompts[1]
    assert "Feedback:\nToo vague: name Rayleigh scattering." in run.prompts[2]
    assert "Response:\ndraft v1" in run.prompts[3]
    r = run.result
    assert r["answer"] == "draft v1" and r["draft"] == "draft v0"
    assert r["stopped_early"] is True
    assert r["rounds"][1] == {"feedback": "NO_CHANGES_NEEDED", "revision": None}


def test_reflect_runs_max_rounds_and_carries_history() -> None:
    n = {"fb": 0, "rev": 0}

    def answer(q):  # type: ignore[no-untyped-def]
        if "actionable feedback" in q.prompt:
            n["fb"] += 1
            return f"fix {n['fb']}"
        n["rev"] += 1
        return f"v{n['rev']}"

    run = run_strategy("reflect", {"task": "t", "max_rounds": 2}, answer)
    assert run.shape == [1] * 5
    assert "Earlier feedback:\nAttempt 1 feedback:\nfix 1" in run.prompts[4]
    r = run.result
    assert r["answer"] == "v3" and r["stopped_early"] is False
    assert [x["revision"] for x in r["rounds"]] == ["v2", "v3"]


def test_reflect_a_long_feedback_mentioning_the_marker_is_not_a_pass() -> None:
    fb = "Mostly fine, but not NO_CHANGES_NEEDED yet: paragraph two contradicts paragraph one."
    run = run_strategy(
        "reflect", {"task": "t", "max_rounds": 1}, by_prompt([(r"actionable feedback", fb)], "v")
    )
    assert run.result["stopped_early"] is False


def test_cove_answers_verification_questions_independently() -> None:
    answer = by_prompt(
        [
            (
                r"check the facts",
                "1. Where was Hillary Clinton born?\n2) Where was Donald Trump born?",
            ),
            (r"(?m)^Where was Hillary", "Chicago"),
            (r"(?m)^Where was Donald", "New York City"),
            (r"Independent verification", "Donald Trump."),
        ],
        "Hillary Clinton, Donald Trump",
    )
    run = run_strategy("cove", {"task": "Politicians born in NYC?"}, answer)
    assert run.shape == [1, 1, 2, 1]
    # factored: the verification queries hold neither the draft nor the task
    for q in run.pauses[2]:
        assert "Hillary Clinton, Donald Trump" not in q.prompt
    assert [q.prompt for q in run.pauses[2]] == [
        "Where was Hillary Clinton born?",
        "Where was Donald Trump born?",
    ]
    assert "1. Q: Where was Hillary Clinton born?\n   A: Chicago" in run.prompts[-1]
    r = run.result
    assert r["answer"] == "Donald Trump." and r["draft"] == "Hillary Clinton, Donald Trump"
    assert r["verifications"][1] == {
        "question": "Where was Donald Trump born?",
        "answer": "New York City",
    }


def test_cove_caps_questions_and_reads_json() -> None:
    plan = json.dumps({"questions": [f"q{i}?" for i in range(9)]})
    run = run_strategy(
        "cove", {"task": "t", "max_questions": 3}, by_prompt([(r"check the facts", plan)], "a")
    )
    assert run.shape == [1, 1, 3, 1]


def test_cove_without_questions_returns_the_draft() -> None:
    run = run_strategy("cove", {"task": "t"}, by_prompt([(r"check the facts", "")], "draft"))
    assert run.shape == [1, 1]
    assert run.result == {
        "answer": "draft",
        "draft": "draft",
        "verifications": [],
        "verified": False,
    }


def test_factscore_scores_supported_fraction_in_one_grounded_batch() -> None:
    facts = (
        "1. Ada Lovelace was born in 1815.\n2. Ada Lovelace invented the telephone.\n"
        "3. She worked with Babbage."
    )
    answer = by_prompt(
        [
            (r"atomic facts", facts),
            (r"Fact: Ada Lovelace was born in 1815", "True. Born 10 December 1815; not disputed."),
            (r"Fact: Ada Lovelace invented", "False - that was Bell."),
            (r"Fact: She worked", "The record is unclear."),
        ]
    )
    run = run_strategy("factscore", {"task": "Bio of Ada", "text": "Ada was ..."}, answer)
    assert run.shape == [1, 3]
    assert all(q.grounded for q in run.pauses[1])
    assert all("Topic: Bio of Ada" in q.prompt for q in run.pauses[1])
    r = run.result
    assert [f["supported"] for f in r["facts"]] == [True, False, False]
    assert r["score"] == 1 / 3 and r["supported"] == 1 and r["total"] == 3 and r["unclear"] == 1
    assert r["answer"] == "Ada was ..." and r["generated"] is False


def test_factscore_generates_the_text_and_uses_knowledge() -> None:
    answer = by_prompt([(r"atomic facts", "- A is B."), (r"Fact:", "True")], "generated bio")
    run = run_strategy("factscore", {"task": "Bio", "knowledge": "A is B."}, answer)
    assert run.shape == [1, 1, 1]
    assert run.prompts[0] == "Bio"
    assert "Knowledge source:\nA is B." in run.prompts[2]
    assert run.result["score"] == 1 and run.result["generated"] is True


def test_factscore_without_facts_has_no_score() -> None:
    r = run_strategy("factscore", {"task": "t", "text": "x"}, constant("")).result
    assert r["score"] is None and r["facts"] == [] and r["total"] == 0


def test_cod_densifies_with_json_steps() -> None:
    steps = iter(
        [
            {"missing_entities": ["Ada"], "denser_summary": "s1 about Ada"},
            {"missing_entities": "Babbage; 1843", "denser_summary": "s2 Ada Babbage 1843"},
            [
                {"missing_entities": ["x"], "denser_summary": "old"},
                {"missing_entities": ["notes"], "denser_summary": "s3"},
            ],
        ]
    )
    run = run_strategy(
        "cod",
        {"task": "ARTICLE TEXT", "rounds": 2, "words": 50},
        lambda q: "```json\n" + json.dumps(next(steps)) + "\n```",
    )
    assert run.shape == [1, 1, 1]
    assert "about 50 words" in run.prompts[0] and "ARTICLE TEXT" in run.prompts[0]
    assert "Current summary:\ns1 about Ada" in run.prompts[1]
    assert "Current summary:\ns2 Ada Babbage 1843" in run.prompts[2]
    r = run.result
    assert r["answer"] == "s3"
    assert r["entities"] == ["Ada", "Babbage", "1843", "notes"]
    assert [s["words"] for s in r["summaries"]] == [3, 4, 1]


def test_cod_keeps_previous_summary_on_empty_step() -> None:
    outs = iter(['{"missing_entities": [], "denser_summary": "first"}', "   "])
    r = run_strategy("cod", {"task": "a", "rounds": 1}, lambda q: next(outs)).result
    assert r["answer"] == "first"
    assert r["summaries"][1]["missing_entities"] == []
