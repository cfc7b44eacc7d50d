"""Graders: each one, answer extraction, weighted composition, model judges and their cache."""

from __future__ import annotations

import time
from typing import Any

import pytest

from alc.engine.errors import InvalidInput
from alc.engine.protocol import Query, Response
from alc.eval import Case, GraderSpec, extract_answer, extract_number, grade
from alc.eval._graders import REGEX_TIMEOUT, check_graders


def score(name: str, text: str, case: Case, **params: Any) -> float:
    return float(grade((GraderSpec(name, 1.0, params),), text, case)["score"])


CASE = Case(id="c", input="q", expected=("Tokyo", "東京"))


@pytest.mark.parametrize(
    ("name", "text", "params", "want"),
    [
        ("exact_match", " Tokyo \n", {}, 1.0),
        ("exact_match", "tokyo", {}, 0.0),
        ("exact_match", "tokyo", {"ignore_case": True}, 1.0),
        ("exact_match", "I think...\nAnswer: Tokyo.", {"extract": True}, 1.0),
        ("contains", "The capital is Tokyo.", {}, 1.0),
        ("contains", "東京です", {}, 1.0),
        ("contains", "Kyoto", {}, 0.0),
        ("starts_with", "Tokyo, of course", {}, 1.0),
        ("starts_with", "It is Tokyo", {}, 0.0),
        ("not_empty", "  x ", {}, 1.0),
        ("not_empty", " \n ", {}, 0.0),
    ],
)
def test_deterministic_graders(name: str, text: str, params: dict[str, Any], want: float) -> None:
    assert score(name, text, CASE, **params) == want


def test_regex_takes_its_pattern_from_params_context_or_expected() -> None:
    case = Case(id="r", input="q", expected=(r"^\d{3}$",))
    assert score("regex", "123", case) == 1.0
    assert score("regex", "1234", case) == 0.0
    assert score("regex", "abc", case, pattern="b") == 1.0
    ctx_case = Case(id="r2", input="q", context={"pattern": "x+"})
    assert score("regex", "axxb", ctx_case) == 1.0
    with pytest.raises(InvalidInput, match="not a valid pattern"):
        score("regex", "a", case, pattern="(")


def test_json_valid_with_and_without_extraction() -> None:
    assert score("json_valid", '{"a": [1, 2]}', CASE) == 1.0
    assert score("json_valid", 'Here: {"a": 1}', CASE) == 0.0
    assert score("json_valid", 'Here: {"a": 1} done', CASE, extract=True) == 1.0


def test_numeric_extracts_the_final_number_within_tolerance() -> None:
    case = Case(id="n", input="q", expected=("1200",))
    assert score("numeric", "First 3, then 5... Answer: 1,200", case) == 1.0
    assert score("numeric", "12 apples and 1200 pears", case) == 1.0  # the last number
    assert score("numeric", "Answer: 1200.4", case) == 0.0
    assert score("numeric", "Answer: 1200.4", case, tolerance=0.5) == 1.0
    assert score("numeric", "Answer: 1210", case, rel_tolerance=0.01) == 1.0
    assert score("numeric", "no number at all", case) == 0.0
    assert extract_number("Answer: -3.5e2") == -350.0
    assert extract_number("nothing") is None


def test_choice_needs_exactly_one_candidate_named() -> None:
    case = Case(id="o", input="q", expected=("Carol",), context={"choices": ["Alice", "Carol"]})
    assert score("choice", "Carol is the shortest.", case) == 1.0
    assert score("choice", "Answer: Alice or Carol", case) == 0.0
    assert score("choice", "Answer: Alice", case) == 0.0
    assert score("choice", "Caroline", case) == 0.0  # whole words only
    rambling = "Step 1: 40m is the height of Carol and 20m the length of the road it is on today"
    assert score("choice", rambling, case) == 0.0  # more than 12 words: not an answer
    assert score("choice", rambling, case, max_words=30) == 1.0
    yes = Case(id="y", input="q", expected=("No",), context={"choices": ["Yes", "No"]})
    assert score("choice", "Reasoning...\nAnswer: No.", yes) == 1.0
    assert score("choice", "No, the bell does not chime.", yes) == 1.0
    assert score("choice", "The answer is no.", yes) == 1.0
    # a Yes/No word inside prose is not an answer (two passes of the measured run were these)
    assert score("choice", "Step 2: the room is dark, so there are no lights.", yes) == 0.0
    assert score("choice", "Step 3: (no steps yet)", yes) == 0.0
    assert score("choice", "Yes or no?", yes) == 0.0
    ponens = Case(id="p", input="q", expected=("Yes",), context={"choices": ["Yes", "No"]})
    assert score("choice", "Yes or No.", ponens) == 0.0  # the options echoed back
    assert score("choice", "Answer: yes/no", ponens) == 0.0
    assert score("choice", "Yes, because the door is closed.", ponens) == 1.0


def test_extract_answer_prefers_the_last_answer_line() -> None:
    assert extract_answer("Answer: 3\nwait\nThe final answer is **5**.") == "5"
    assert extract_answer("just\n\nthe last line.") == "the last line"


def test_weights_compose_like_evalframe() -> None:
    specs = (GraderSpec("contains", 0.6), GraderSpec("exact_match", 0.4))
    case = Case(id="m", input="q", expected=("4",))
    verbose = grade(specs, "It is 4.", case)
    assert verbose["score"] == pytest.approx(0.6) and not verbose["passed"]
    assert [g["grader"] for g in verbose["grades"]] == ["contains", "exact_match"]
    exact = grade(specs, "4", case)
    assert exact["score"] == pytest.approx(1.0) and exact["passed"]
    assert grade(specs, "It is 4.", case, threshold=0.5)["passed"]


def test_unknown_grader_is_refused() -> None:
    with pytest.raises(InvalidInput, match="Unknown grader 'fuzzy'"):
        grade((GraderSpec("fuzzy"),), "x", CASE)
    with pytest.raises(InvalidInput, match="weight must be a finite, non-negative number"):
        GraderSpec.parse({"name": "contains", "weight": -1}, "test")


class CountingJudge:
    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.queries: list[Query] = []

    def respond(self, query: Query) -> Response:
        self.queries.append(query)
        return Response(text=self.reply)


def test_model_judges_ask_once_and_cache_in_the_sample() -> None:
    judge = CountingJudge("Yes, it does.")
    first = grade((GraderSpec("llm_yes_no"),), "Tokyo", CASE, judge=judge)
    assert first["score"] == 1.0 and len(judge.queries) == 1
    assert "Reference answer: Tokyo | 東京" in judge.queries[0].prompt
    again = grade((GraderSpec("llm_yes_no"),), "Tokyo", CASE, judge=judge, judged=first["judged"])
    assert again["score"] == 1.0 and len(judge.queries) == 1  # answered from the cache
    rubric = grade(
        (GraderSpec("llm_rubric", 1.0, {"rubric": "Is it a city?"}),),
        "Tokyo",
        CASE,
        judge=CountingJudge("4"),
    )
    assert rubric["score"] == pytest.approx(0.75)
    with pytest.raises(InvalidInput, match="needs a judge"):
        grade((GraderSpec("llm_rubric"),), "Tokyo", CASE)


def test_the_report_headline_names_the_largest_gain_and_the_largest_loss() -> None:
    from alc.eval._report import _headline

    def comparison(delta: float) -> dict[str, object]:
        return {"delta_pass_rate": delta, "p_holm": 1.0, "verdict": f"verdict {delta:+.2f}"}

    report = {
        "baseline": "direct",
        "comparisons": {"cot": comparison(-0.04), "sc": comparison(-0.10), "tot": comparison(0.0)},
    }
    line = _headline(report)
    assert "Largest gain" not in line  # no strategy gained: none is called the largest gain
    assert "Largest loss: `sc` -10.0% — verdict -0.10" in line
    report["comparisons"]["bon"] = comparison(0.06)  # type: ignore[index]
    assert "Largest gain: `bon` +6.0%" in _headline(report)
    report["comparisons"] = {"cot": comparison(0.0)}
    assert "as many cases as the baseline" in _headline(report)


# --- bad parameters and hostile patterns (issue 24: every one is invalid_input or bounded) ---


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"tolerance": "abc"}, "tolerance must be a number"),
        ({"tolerance": float("nan")}, "finite"),
        ({"tolerance": float("inf")}, "finite"),
        ({"rel_tolerance": -1}, "non-negative"),
        ({"tolerance": True}, "tolerance must be a number"),
        ({"ignore_case": "yes"}, "ignore_case must be true or false"),
        ({"max_words": 0}, "at least 1"),
        ({"max_words": 2.5}, "max_words must be a whole number"),
        ({"rubric": ["x"]}, "rubric must be text"),
    ],
)
def test_mistyped_grader_params_are_invalid_input(params: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        score("numeric", "42", Case(id="c", input="q", expected=("42",)), **params)


def test_mistyped_case_context_is_invalid_input_before_anything_runs() -> None:
    case = Case(id="c7", input="q", expected=("42",), context={"tolerance": "abc"})
    with pytest.raises(InvalidInput, match="case 'c7' context: tolerance"):
        check_graders((GraderSpec("numeric"),), (case,))


def test_a_bad_pattern_is_refused_before_anything_runs() -> None:
    with pytest.raises(InvalidInput, match="not a valid pattern"):
        check_graders((GraderSpec("regex", 1.0, {"pattern": "(unclosed"}),))
    case = Case(id="c", input="q", context={"pattern": "[z-a]"})
    with pytest.raises(InvalidInput, match="not a valid pattern"):
        check_graders((GraderSpec("regex"),), (case,))


def test_a_catastrophic_regex_scores_zero_within_its_deadline() -> None:
    spec = GraderSpec("regex", 1.0, {"pattern": r"^(a|aa)+$"})
    text = "a" * 40 + "!"
    started = time.monotonic()
    graded = grade((spec, GraderSpec("not_empty")), text, CASE)
    elapsed = time.monotonic() - started
    assert elapsed < REGEX_TIMEOUT * 20  # bounded, not exponential (2**40 steps)
    first, second = graded["grades"]
    assert first["score"] == 0.0 and "took longer than" in first["error"]
    assert second == {"grader": "not_empty", "weight": 1.0, "score": 1.0}
    assert graded["score"] == 0.5 and not graded["passed"]
