"""``alc.fork``: child strategies of one session, each in its own VM, stepped together.

The session asks the parent VM to step; when it yields a fork request, the session builds a
:class:`Fork` and from then on steps the children instead, until all are done and the parent is
resumed with their results. Children share the session's host (effects, log, budget), so replay
reproduces them exactly, and they share the session's limits: one deadline and one instruction
count for the whole step, one memory limit for the parent and all children together. A child
that breaks a limit fails the session's step, whatever ``on_error`` says.

``on_error`` (boot.lua normalises it): ``"skip"`` (the default, and any unknown value) reports a
failed child as ``{strategy, ok = false, error}`` and goes on with the others; ``"abort"`` (also
spelled ``"fail"``) fails the parent at the first failed child. A child's query that would
exceed ``ctx.budget`` is refused like the parent's: the child's ``alc.llm`` raises a catchable
Lua error (the session's ``budget`` check decides, and stays refused once it refused).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from alc.engine.lua import (
    Allowance,
    Done,
    Errored,
    Forked,
    ForkRequest,
    LimitHit,
    QuerySpec,
    Seeds,
    StepResult,
    Yield,
)

if TYPE_CHECKING:
    from alc.engine.executor import VM

__all__ = ["Fork"]


class Fork:
    """The children of one ``alc.fork`` call, each a strategy in its own VM.

    Children are stepped in input order, so their queries surface in a deterministic order as
    the parent's pause (ids continue the parent's numbering) and replay reproduces them.
    """

    def __init__(
        self,
        request: ForkRequest,
        new_vm: Callable[[Seeds], VM],
        seeds: Seeds,
        parent_memory: int,
    ) -> None:
        self.request = request
        self.results: list[dict[str, Any] | None] = [None] * len(request.strategies)
        self.children: list[VM | None] = []
        self.memory = [0] * len(request.strategies)  # each child's heap after its last step
        self.parent_memory = parent_memory
        self.waiting: list[tuple[int, int]] = []  # (child index, queries it asked) this pause
        for i, name in enumerate(request.strategies):
            vm = new_vm(Seeds(seeds.math_seed + i + 1, seeds.hash_seed))
            vm.start_strategy(name, request.ctx)
            self.children.append(vm)

    def close(self) -> None:
        """Release the children still running."""
        for child in self.children:
            if child is not None:
                child.close()
        self.children = [None] * len(self.children)

    def step(
        self,
        answers: Sequence[str],
        allowance: Allowance,
        budget: Callable[[Sequence[QuerySpec]], str] = lambda specs: "",
    ) -> StepResult:
        """Feed the answers of the last pause to the children that asked; step them.

        ``budget(specs)`` says why issuing ``specs`` (this pause's queries so far plus a child's
        new ones) would break ``ctx.budget``, or ``""``; a refused child is resumed with the
        refusal, which its ``alc.llm`` raises.

        Returns a :class:`Yield` of every child query, :class:`Done` with the results in input
        order, :class:`Errored` when a child failed and ``on_error`` is ``"abort"``, or the
        :class:`LimitHit` a child broke (the children spend one ``allowance`` between them).
        """
        todo = self._todo(answers)
        self.waiting = []
        instructions = allowance.instructions
        queries: list[QuerySpec] = []
        for index, child_answers in todo:
            result = self._step_child(
                index,
                child_answers,
                Allowance(allowance.deadline, instructions, allowance.memory),
                lambda specs: budget([*queries, *specs]),
            )
            instructions -= result.instructions
            if isinstance(result, LimitHit):
                return result
            if instructions <= 0:
                return LimitHit(
                    "timeout",
                    "step exceeded the instruction limit (shared by the alc.fork children)",
                )
            if isinstance(result, Yield):
                self.waiting.append((index, len(result.queries)))
                name = self.request.strategies[index]
                for spec in result.queries:
                    spec.fork = (index, name)
                queries.extend(result.queries)
                continue
            failure = self._finish_child(index, result)
            if failure is not None:
                return failure
        if queries:
            return Yield(tuple(queries))
        return Done(self.results)

    def _step_child(
        self,
        index: int,
        answers: Sequence[str],
        allowance: Allowance,
        budget: Callable[[Sequence[QuerySpec]], str],
    ) -> StepResult:
        """Step one child; while its pause is over budget, resume it with the refusal.

        The result's ``instructions`` is what the child spent in all, ``memory`` its heap.
        """
        child = self.children[index]
        assert child is not None
        others = self.parent_memory + sum(self.memory) - self.memory[index]
        left = allowance.instructions
        value: Any = None
        while True:
            share = Allowance(allowance.deadline, left, allowance.memory - others)
            result = child.step(answers, share) if value is None else child.step_value(value, share)
            left -= result.instructions
            self.memory[index] = result.memory
            match result:
                case Yield(queries) if left > 0:
                    refused = budget(queries)
                case _:
                    refused = ""
            if not refused:
                return replace(result, instructions=allowance.instructions - left)
            value = {"budget_exceeded": refused}

    def _todo(self, answers: Sequence[str]) -> list[tuple[int, list[str]]]:
        """Which children to step now, each with its share of ``answers``."""
        if not self.waiting:
            return [(i, []) for i in range(len(self.children))]
        todo, offset = [], 0
        for index, count in self.waiting:
            todo.append((index, list(answers[offset : offset + count])))
            offset += count
        return todo

    def _finish_child(self, index: int, result: Done | Forked | Errored) -> StepResult | None:
        """Record a child that ended; the parent's failure when it failed and on_error aborts."""
        child = self.children[index]
        assert child is not None
        child.close()
        self.children[index] = None
        self.memory[index] = 0
        name = self.request.strategies[index]
        match result:
            case Done(value):
                self.results[index] = {"strategy": name, "ok": True, "result": value}
                return None
            case Forked():
                message, traceback = "alc.fork cannot be nested inside a forked child", ""
            case Errored(message, traceback):
                pass
        self.results[index] = {"strategy": name, "ok": False, "error": message}
        if self.request.on_error != "abort":
            return None
        return Errored(f"alc.fork: child {name!r} failed: {message}", traceback)
