"""Graders: score one response to one case in ``[0, 1]``, and combine them with weights.

Deterministic graders (all take ``ignore_case``; ``extract`` grades the extracted final answer
instead of the whole text):

================  ================================================================
``exact_match``   the (trimmed) text equals an expected answer
``contains``      the text contains an expected answer
``starts_with``   the (trimmed) text starts with an expected answer
``regex``         ``regex.search`` of ``pattern`` (param, ``case.context.pattern``, or the
                  first expected answer), under a deadline of :data:`REGEX_TIMEOUT` seconds per
                  match: a pattern that backtracks catastrophically scores 0 and its grade
                  carries ``"error"`` instead of freezing the run (or ``alc mcp``)
``json_valid``    the text (or its first ``{...}``/``[...]`` block with ``extract``) is JSON
``not_empty``     the text is not blank
``numeric``       the final number (``Answer:`` line, else the last number in the text) is
                  within ``tolerance`` (absolute, default 1e-6) or ``rel_tolerance`` of an
                  expected number
``choice``        the final answer (at most ``max_words``, default 12) names exactly one of
                  ``case.context.choices`` (whole words), and it is an expected one; when the
                  choices are Yes/No (words of everyday prose), the answer must start with it
                  and must not be the options copied back ("Yes or No")
================  ================================================================

Model-judged graders ask a *judge* (any responder; the run's ``judge``, default the run's own
responder) and cache its answers in the sample, so re-grading asks nobody again:

- ``llm_rubric``: the judge rates the response 1-5 against ``rubric`` (param or
  ``case.context.rubric``); score ``(r - 1) / 4``.
- ``llm_yes_no``: the judge answers ``question`` (default: does the response give the expected
  answer?) with Yes (1) or No (0).

:func:`grade` combines graders like evalframe: score = weighted mean, passed = score at least
the scenario's ``pass_threshold`` (1.0 unless set).

Parameters are checked before anything runs (:func:`check_graders`): a parameter of the wrong
type (``tolerance="abc"``), a non-finite number or a pattern that does not compile is
``invalid_input`` naming the grader and the parameter, for the scenario's graders and for every
case's ``context``.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from alc.engine.errors import InvalidInput
from alc.engine.protocol import Query
from alc.eval._model import Case, GraderSpec

__all__ = [
    "GRADERS",
    "REGEX_TIMEOUT",
    "Judge",
    "check_graders",
    "extract_answer",
    "extract_number",
    "grade",
    "grade_one",
]

_ANSWER_LINE = re.compile(r"(?:final answer|answer)\s*(?:is|:|=)\s*(.+)", re.IGNORECASE)
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?(?:[eE][-+]?\d+)?|-?\.\d+")
_JUDGE_TOKENS = 64
REGEX_TIMEOUT = 1.0
"""Seconds one ``regex`` grader match may take (the ``regex`` package's own timeout, which also
releases the GIL while it matches, so a hostile pattern cannot freeze a server's other work)."""


class GraderTimeout(Exception):
    """A grader ran past its deadline: the grade scores 0 and records why."""


class Judge(Protocol):
    """What model-judged graders need: a responder's ``respond`` (see docs/responders.md)."""

    def respond(self, query: Query) -> Any: ...


@dataclass
class _Ctx:
    """What one grader call sees."""

    text: str
    case: Case
    params: Mapping[str, Any]
    judge: Judge | None
    judged: dict[str, str]  # prompt hash -> the judge's answer (cached in the sample)


def extract_answer(text: str) -> str:
    """The final answer in a response: what follows the last ``Answer:`` / ``answer is``, else
    the last non-empty line; markdown emphasis and trailing punctuation removed."""
    found = _ANSWER_LINE.findall(text)
    candidate = found[-1] if found else ""
    if not candidate.strip():
        lines = [line for line in text.strip().splitlines() if line.strip()]
        candidate = lines[-1] if lines else ""
    return re.sub(r"^[\s*_`]+|[\s*_`.!;,]+$", "", candidate)


def extract_number(text: str) -> float | None:
    """The final number of a response (``Answer:`` line first, else the last number of the
    text; thousands separators allowed), or None."""
    for source in (extract_answer(text), text):
        numbers = _NUMBER.findall(source)
        if numbers:
            try:
                return float(numbers[-1].replace(",", ""))
            except ValueError:
                continue
    return None


def _prepare(ctx: _Ctx) -> tuple[str, list[str]]:
    text = extract_answer(ctx.text) if ctx.params.get("extract") else ctx.text.strip()
    expected = list(ctx.case.expected)
    if ctx.params.get("ignore_case"):
        return text.casefold(), [e.casefold() for e in expected]
    return text, expected


def _exact(ctx: _Ctx) -> float:
    text, expected = _prepare(ctx)
    return float(any(text == e.strip() for e in expected))


def _contains(ctx: _Ctx) -> float:
    text, expected = _prepare(ctx)
    return float(any(e and e in text for e in expected))


def _starts_with(ctx: _Ctx) -> float:
    text, expected = _prepare(ctx)
    return float(any(e and text.startswith(e) for e in expected))


def _regex(ctx: _Ctx) -> float:
    import regex  # the [eval] extra: Python's ``re`` has no timeout

    pattern = _pattern(ctx.params, ctx.case)
    if pattern is None:
        return 0.0
    flags = regex.IGNORECASE if ctx.params.get("ignore_case") else 0
    try:
        found = regex.search(pattern, ctx.text, flags, timeout=REGEX_TIMEOUT, concurrent=True)
    except TimeoutError:
        raise GraderTimeout(
            f"regex grader: {pattern[:80]!r} took longer than {REGEX_TIMEOUT:g} s on a response "
            f"of {len(ctx.text):,} characters (catastrophic backtracking?); scored 0"
        ) from None
    except regex.error as exc:
        raise InvalidInput(f"regex grader: {pattern!r} is not a valid pattern ({exc}).") from None
    return float(found is not None)


def _pattern(params: Mapping[str, Any], case: Case) -> str | None:
    pattern = params.get("pattern") or case.context.get("pattern")
    if pattern is None and case.expected:
        pattern = case.expected[0]
    return pattern if isinstance(pattern, str) else None


def _json_valid(ctx: _Ctx) -> float:
    text = ctx.text.strip()
    if ctx.params.get("extract"):
        match = re.search(r"[\[{].*[\]}]", text, re.DOTALL)
        text = match.group(0) if match else text
    try:
        json.loads(text)
    except ValueError:
        return 0.0
    return 1.0


def _not_empty(ctx: _Ctx) -> float:
    return float(bool(ctx.text.strip()))


def _numeric(ctx: _Ctx) -> float:
    got = extract_number(ctx.text)
    if got is None:
        return 0.0
    tol = float(ctx.params.get("tolerance", ctx.case.context.get("tolerance", 1e-6)))
    rel = float(ctx.params.get("rel_tolerance", 0.0))
    for e in ctx.case.expected:
        want = extract_number(e)
        if want is not None and math.isclose(got, want, rel_tol=rel, abs_tol=tol):
            return 1.0
    return 0.0


def _choice(ctx: _Ctx) -> float:
    choices = ctx.case.context.get("choices") or list(ctx.case.expected)
    answer = extract_answer(ctx.text).casefold()
    if len(answer.split()) > int(ctx.params.get("max_words", 12)):
        return 0.0  # a long line that happens to mention a name is not an answer
    folded = [str(c).casefold() for c in choices]
    yes_no = set(folded) <= _YES_NO
    if yes_no and re.search(_ECHOED_YES_NO, answer):
        return 0.0  # "Yes or No": the question's options copied back, not an answer
    # "no" and "yes" turn up in any sentence ("there are no lights"): only a leading one answers
    where = _LEADING if yes_no else r"\b"
    named = {c for c in folded if re.search(rf"{where}{re.escape(c)}\b", answer)}
    return float(len(named) == 1 and named <= {e.casefold() for e in ctx.case.expected})


_YES_NO = frozenset({"yes", "no"})
_ECHOED_YES_NO = r"\b(?:yes|no)\s*(?:or|/)\s*(?:yes|no)\b"
_LEADING = r"^\W*(?:(?:the\s+)?(?:final\s+)?answer\s*(?:is\b|:)\W*)?"


def _ask(ctx: _Ctx, prompt: str) -> str:
    key = hashlib.sha256(prompt.encode()).hexdigest()[:16]
    if key not in ctx.judged:
        if ctx.judge is None:
            raise InvalidInput(
                "A model-judged grader (llm_rubric, llm_yes_no) needs a judge: give --judge "
                "SPEC (or judge=...) or drive the run with a responder."
            )
        reply = ctx.judge.respond(
            Query(id="q-0", prompt=prompt, max_tokens=_JUDGE_TOKENS, options={"temperature": 0.0})
        )
        ctx.judged[key] = getattr(reply, "text", str(reply))
    return ctx.judged[key]


def _judge_prompt(ctx: _Ctx, instruction: str) -> str:
    expected = " | ".join(ctx.case.expected) or "(none given)"
    return (
        f"You grade an answer.\n\nTask: {ctx.case.input}\nReference answer: {expected}\n"
        f"Answer to grade: {ctx.text.strip()}\n\n{instruction}"
    )


def _llm_rubric(ctx: _Ctx) -> float:
    rubric = (
        ctx.params.get("rubric")
        or ctx.case.context.get("rubric")
        or ("Is the answer correct and complete?")
    )
    reply = _ask(
        ctx,
        _judge_prompt(
            ctx,
            f"Rubric: {rubric}\nRate it from 1 (worst) to 5 (best). Reply with the number only.",
        ),
    )
    match = re.search(r"[1-5]", reply)
    return (int(match.group(0)) - 1) / 4 if match else 0.0


def _llm_yes_no(ctx: _Ctx) -> float:
    question = (
        ctx.params.get("question")
        or ctx.case.context.get("question")
        or ("Does the answer give the reference answer (in any wording)?")
    )
    reply = _ask(ctx, _judge_prompt(ctx, f"Question: {question}\nReply Yes or No."))
    return float(reply.strip().casefold().startswith("yes"))


GRADERS: dict[str, Callable[[_Ctx], float]] = {
    "exact_match": _exact,
    "contains": _contains,
    "starts_with": _starts_with,
    "regex": _regex,
    "json_valid": _json_valid,
    "not_empty": _not_empty,
    "numeric": _numeric,
    "choice": _choice,
    "llm_rubric": _llm_rubric,
    "llm_yes_no": _llm_yes_no,
}
"""Every grader by name."""


_PARAM_TYPES: dict[str, tuple[type, ...]] = {
    "ignore_case": (bool,),
    "extract": (bool,),
    "pattern": (str,),
    "tolerance": (int, float),
    "rel_tolerance": (int, float),
    "max_words": (int,),
    "rubric": (str,),
    "question": (str,),
}
"""The type of every grader parameter (scenario grader params and a case's ``context``)."""
_WANTED = {
    (bool,): "true or false",
    (str,): "text",
    (int, float): "a number",
    (int,): "a whole number",
}


def check_graders(specs: tuple[GraderSpec, ...], cases: Sequence[Case] = ()) -> None:
    """Check graders and their parameters before anything runs.

    Checks every grader name, every parameter of :data:`_PARAM_TYPES` given in a grader spec or
    a case's ``context`` (type; numbers finite and non-negative; ``max_words`` at least 1), and
    that every ``regex`` pattern compiles.

    Raises:
        InvalidInput: an unknown grader, or the first bad parameter, naming where it is.
    """
    for spec in specs:
        if spec.name not in GRADERS:
            raise InvalidInput(
                f"Unknown grader {spec.name!r}; use one of {', '.join(sorted(GRADERS))}."
            )
        _check_params(spec.params, f"grader {spec.name!r}")
    for case in cases:
        _check_params(case.context, f"case {case.id!r} context")
    if any(spec.name == "regex" for spec in specs):
        import regex

        targets: Sequence[Case | None] = cases or (None,)
        for target in targets:
            for spec in specs:
                if spec.name != "regex":
                    continue
                pattern = (
                    spec.params.get("pattern") if target is None else _pattern(spec.params, target)
                )
                if not isinstance(pattern, str):
                    continue
                try:
                    regex.compile(pattern)
                except (regex.error, RecursionError, OverflowError, ValueError) as exc:
                    raise InvalidInput(
                        f"regex grader: {pattern[:80]!r} is not a valid pattern ({exc})."
                    ) from None


def _check_params(params: Mapping[str, Any], where: str) -> None:
    for key, types in _PARAM_TYPES.items():
        if key not in params:
            continue
        value = params[key]
        wanted = _WANTED[types]
        if (bool not in types and isinstance(value, bool)) or not isinstance(value, types):
            raise InvalidInput(f"{where}: {key} must be {wanted}, not {value!r:.60}.")
        if isinstance(value, int | float) and not isinstance(value, bool):
            if not math.isfinite(value) or value < 0:
                raise InvalidInput(
                    f"{where}: {key} must be a finite, non-negative number, not {value!r}."
                )
            if key == "max_words" and value < 1:
                raise InvalidInput(f"{where}: max_words must be at least 1, not {value!r}.")


def grade_one(
    spec: GraderSpec, text: str, case: Case, judge: Judge | None, judged: dict[str, str]
) -> float:
    """One grader's score of ``text`` for ``case`` (0..1)."""
    return GRADERS[spec.name](_Ctx(text, case, spec.params, judge, judged))


def grade(
    specs: tuple[GraderSpec, ...],
    text: str,
    case: Case,
    *,
    threshold: float = 1.0,
    judge: Judge | None = None,
    judged: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Grade one response: ``{"score", "passed", "grades": [{"grader", "weight", "score"}],
    "judged"}`` where ``judged`` caches the judge's answers by prompt hash.

    Raises:
        InvalidInput: an unknown grader, a bad parameter or regex, a model-judged grader
            without a judge. A grader that runs past its deadline does not raise: it scores 0
            and its entry in ``grades`` carries ``"error"``.
    """
    check_graders(specs, (case,))
    cache = dict(judged or {})
    grades: list[dict[str, Any]] = []
    for spec in specs:
        entry: dict[str, Any] = {"grader": spec.name, "weight": spec.weight}
        try:
            entry["score"] = grade_one(spec, text, case, judge, cache)
        except GraderTimeout as exc:
            entry.update(score=0.0, error=str(exc))
        grades.append(entry)
    scores = [g["score"] for g in grades]
    total = sum(s.weight for s in specs)
    score = sum(v * s.weight for s, v in zip(specs, scores, strict=True)) / total if total else 0.0
    return {
        "score": score,
        "passed": score >= threshold - 1e-6,
        "grades": grades,
        "judged": cache,
    }
