"""``alc.fork``: child strategies of one session, each in its own VM, stepped together.

The session asks the parent VM to step; when it yields a fork request, the session builds a
:class:`Fork` and from then on steps the children instead, until all are done and the parent is
resumed with their results. Children share the session's host (effects, log, budget), so replay
reproduces them exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from alc.engine.host import SessionHost
from alc.engine.lua import ForkRequest, LuaVM, QuerySpec, Seeds, StepResult

if TYPE_CHECKING:
    from alc.engine.session import Session

__all__ = ["Fork"]


class Fork:
    """The children of one ``alc.fork`` call, each a strategy in its own VM.

    Children are stepped in input order, so their queries surface in a deterministic order as
    the parent's pause (ids continue the parent's numbering) and replay reproduces them.
    """

    def __init__(self, session: Session, request: ForkRequest) -> None:
        self.request = request
        self.results: list[dict[str, Any] | None] = [None] * len(request.strategies)
        self.children: list[LuaVM | None] = []
        self.waiting: list[tuple[int, int]] = []  # (child index, queries it asked) this pause
        host = SessionHost(session)
        seeds = Seeds(session.record.math_seed, session.record.hash_seed)
        for i, name in enumerate(request.strategies):
            vm = LuaVM(
                host,
                session.limits,
                Seeds(seeds.math_seed + i + 1, seeds.hash_seed),
                session._primitives,
                session._libraries,
            )
            vm.start_strategy(name, request.ctx)
            self.children.append(vm)

    def step(self, answers: Sequence[str]) -> StepResult:
        """Feed the answers of the last pause to the children that asked; step them.

        Returns a ``yield`` of every child query, ``done`` with the results in input order, or
        an ``error`` when a child failed and ``on_error`` is ``"abort"``.
        """
        if not self.waiting:
            todo = [(i, list[str]()) for i in range(len(self.children))]
        else:
            todo, offset = [], 0
            for index, count in self.waiting:
                todo.append((index, list(answers[offset : offset + count])))
                offset += count
        self.waiting = []
        queries: list[QuerySpec] = []
        for index, child_answers in todo:
            child = self.children[index]
            assert child is not None
            result = child.step(child_answers)
            name = self.request.strategies[index]
            if result.kind == "yield":
                self.waiting.append((index, len(result.queries)))
                queries.extend(result.queries)
                continue
            self.children[index] = None
            if result.kind == "done":
                self.results[index] = {"strategy": name, "ok": True, "result": result.result}
                continue
            message = result.message
            if result.kind == "fork":
                message = "alc.fork cannot be nested inside a forked child"
            self.results[index] = {"strategy": name, "ok": False, "error": message}
            if self.request.on_error == "abort":
                return StepResult(
                    kind="error",
                    message=f"alc.fork: child {name!r} failed: {message}",
                    traceback=result.traceback,
                )
        if queries:
            return StepResult(kind="yield", queries=tuple(queries))
        return StepResult(kind="done", result=self.results)
