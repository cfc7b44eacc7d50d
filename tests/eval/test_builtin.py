"""The built-in sets: deterministic, prefix-stable, and their answers re-derived here by an
independent solver from the generated text alone."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest

from alc.eval import builtin_scenario


def test_generated_sets_are_deterministic_and_prefix_stable() -> None:
    for name in ("arith", "logic"):
        a, b = builtin_scenario(name, 40, seed=3), builtin_scenario(name, 40, seed=3)
        assert a is not None and b is not None and a.cases == b.cases
        short = builtin_scenario(name, 10, seed=3)
        assert short is not None and short.cases == a.cases[:10]
        other = builtin_scenario(name, 40, seed=4)
        assert other is not None and other.cases != a.cases
    assert builtin_scenario("nope") is None


def _solve_arith(text: str) -> int:
    total = int(re.match(r"\w+ has (\d+) ", text).group(1))  # type: ignore[union-attr]
    for sentence in re.split(r"(?<=[.?]) ", text)[1:]:
        if m := re.search(r"finds (\d+) more", sentence):
            total += int(m.group(1))
        elif m := re.search(r"gives (\d+) ", sentence):
            total -= int(m.group(1))
        elif m := re.search(r"buys (\d+) \w+ with (\d+) ", sentence):
            total += int(m.group(1)) * int(m.group(2))
        elif m := re.search(r"equally among (\d+) friends", sentence):
            assert total % int(m.group(1)) == 0
            total //= int(m.group(1))
    return total


def test_arith_answers_follow_from_the_text() -> None:
    scenario = builtin_scenario("arith", 300, seed=0)
    assert scenario is not None
    steps = set()
    for case in scenario.cases:
        assert case.expected == (str(_solve_arith(case.input)),)
        assert int(case.expected[0]) >= 0
        steps.add(next(t for t in case.tags if t.startswith("steps:")))
    assert {"steps:1", "steps:2", "steps:3", "steps:4"} <= steps


_MORE = {"taller": "shorter", "older": "younger", "faster": "slower", "heavier": "lighter"}
_LESS = {v: k for k, v in _MORE.items()}


def _solve_ordering(text: str) -> str:
    above: dict[str, set[str]] = defaultdict(set)  # a -> people a is above
    people: set[str] = set()
    for a, word, b in re.findall(r"(\w+) is (\w+) than (\w+)\.", text):
        people |= {a, b}
        if word in _MORE:
            above[a].add(b)
        else:
            above[b].add(a)
    order = sorted(people, key=lambda p: -_reach(above, p))  # most above first
    m = re.search(r"Who is the (?:(second|third|fourth) )?(\w+)\?", text)
    assert m is not None
    rank = {None: 0, "second": 1, "third": 2, "fourth": 3}[m.group(1)]
    top = m.group(2) in {"tallest", "oldest", "fastest", "heaviest"}
    return order[rank] if top else order[len(order) - 1 - rank]


def _reach(above: dict[str, set[str]], p: str) -> int:
    seen, todo = set(), [p]
    while todo:
        for q in above[todo.pop()]:
            if q not in seen:
                seen.add(q)
                todo.append(q)
    return len(seen)


def _solve_chain(text: str) -> str:
    rules = dict(re.findall(r"If ([^,]+), then ([^.]+)\.", text))
    question = re.search(r"Is it true that ([^?]+)\?", text).group(1)  # type: ignore[union-attr]
    facts = re.sub(r"If [^,]+, then [^.]+\. ", "", text).split(".")[0].strip()
    known = facts[0].lower() + facts[1:]
    if known in rules or known in rules.values():  # a positive fact: chain forward
        while known in rules:
            known = rules[known]
            if known == question:
                return "Yes"
        raise AssertionError(text)
    back = {v: k for k, v in rules.items()}  # a negated fact: modus tollens backwards
    last = next(v for v in rules.values() if v not in rules)
    assert known in (last.replace(" is ", " is not ", 1), f"it is not the case that {last}")
    node = last
    while node in back:
        node = back[node]
    assert node == question
    return "No"


@pytest.mark.parametrize("seed", [0, 7])
def test_logic_answers_follow_from_the_text(seed: int) -> None:
    scenario = builtin_scenario("logic", 200, seed=seed)
    assert scenario is not None
    kinds = set()
    for case in scenario.cases:
        kinds.add(case.tags[0])
        if case.tags[0] == "ordering":
            assert case.expected == (_solve_ordering(case.input),)
            assert case.expected[0] in case.context["choices"]
        else:
            assert case.expected == (_solve_chain(case.input),)
    assert kinds == {"ordering", "chain"}


def test_factual_set_is_small_fixed_and_tagged() -> None:
    scenario = builtin_scenario("factual")
    assert scenario is not None and len(scenario.cases) == 24
    assert all(c.expected and c.tags for c in scenario.cases)
    assert [g.name for g in scenario.graders] == ["contains"]
