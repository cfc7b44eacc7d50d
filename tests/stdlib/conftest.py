"""Helpers for the stdlib tests: run Lua through the real engine with scripted answers."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytest

import alc


class Runner:
    """``run(code, answers)`` drives a session to its end; ``queries`` records every prompt."""

    def __init__(self) -> None:
        self.engine = alc.Engine()
        self.queries: list[alc.Query] = []

    def outcome(
        self,
        code: str,
        answers: Iterable[str] | Callable[[alc.Query], str] = (),
        ctx: dict[str, Any] | None = None,
    ) -> alc.Completed | alc.Failed | alc.Cancelled:
        self.queries = []
        if callable(answers):
            respond = answers
        else:
            script = iter(list(answers))

            def respond(query: alc.Query) -> str:
                return next(script)

        def llm(query: alc.Query) -> str:
            self.queries.append(query)
            return respond(query)

        return self.engine.drive(code=code, ctx=ctx, llm=llm)

    def __call__(
        self,
        code: str,
        answers: Iterable[str] | Callable[[alc.Query], str] = (),
        ctx: dict[str, Any] | None = None,
    ) -> Any:
        out = self.outcome(code, answers, ctx)
        assert isinstance(out, alc.Completed), out
        return out.result

    def error(self, code: str, answers: Iterable[str] = ()) -> str:
        out = self.outcome(code, answers)
        assert isinstance(out, alc.Failed), out
        return out.error


@pytest.fixture
def run() -> Runner:
    return Runner()
