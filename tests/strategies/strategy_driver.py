"""Drive built-in strategies through the real engine with a scripted ``answer(query) -> str``.

``run_strategy(name, ctx, answer)`` starts a session, answers every pause with ``answer`` and
records each pause's queries, so tests can assert on prompts, round trips and batch sizes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import alc

Answerer = Callable[[alc.Query], str]


@dataclass
class Run:
    """A finished session: its outcome and every pause (a list of the queries it asked)."""

    outcome: alc.Completed | alc.Failed | alc.Cancelled
    pauses: list[list[alc.Query]] = field(default_factory=list)

    @property
    def queries(self) -> list[alc.Query]:
        return [q for pause in self.pauses for q in pause]

    @property
    def prompts(self) -> list[str]:
        return [q.prompt for q in self.queries]

    @property
    def shape(self) -> list[int]:
        """Queries per pause: ``[5]`` is one round trip of five queries."""
        return [len(p) for p in self.pauses]

    @property
    def result(self) -> dict[str, Any]:
        assert isinstance(self.outcome, alc.Completed), f"expected completion, got {self.outcome!r}"
        assert isinstance(self.outcome.result, dict)
        return self.outcome.result

    @property
    def error(self) -> str:
        assert isinstance(self.outcome, alc.Failed), f"expected failure, got {self.outcome!r}"
        return self.outcome.error


def run_strategy(name: str, ctx: dict[str, Any], answer: Answerer, *, max_pauses: int = 200) -> Run:
    engine = alc.Engine()
    out = engine.start(strategy=name, ctx=ctx)
    pauses: list[list[alc.Query]] = []
    while isinstance(out, alc.NeedsResponse):
        assert len(pauses) < max_pauses, "strategy does not terminate"
        pauses.append(list(out.queries))
        out = engine.feed(out.session_id, responses={q.id: answer(q) for q in out.queries})
    assert isinstance(out, alc.Completed | alc.Failed | alc.Cancelled), out
    return Run(out, pauses)


def by_prompt(
    rules: list[tuple[str, str | Callable[[alc.Query], str]]], default: str = ""
) -> Answerer:
    """Answer with the first rule whose regex matches the prompt (or system prompt)."""
    compiled = [(re.compile(pat, re.S), ans) for pat, ans in rules]

    def answer(q: alc.Query) -> str:
        text = f"{q.system or ''}\n{q.prompt}"
        for pat, ans in compiled:
            if pat.search(text):
                return ans(q) if callable(ans) else ans
        return default

    return answer


def constant(text: str) -> Answerer:
    return lambda q: text


STRATEGIES = [
    "bon",
    "calibrate",
    "cod",
    "cot",
    "cove",
    "decompose",
    "factscore",
    "least_to_most",
    "maieutic",
    "moa",
    "panel",
    "plansearch",
    "rank",
    "reflect",
    "sc",
    "sot",
    "step_back",
    "tot",
    "triad",
    "ucb",
]
