"""The value objects of an evaluation: :class:`Case`, :class:`GraderSpec`, :class:`Scenario`.

A *case* is one task with its exact answers; a *scenario* is a list of cases and the graders that
score a response to them (each with a weight). They are plain frozen dataclasses with a JSON form
(:meth:`Case.wire`, :meth:`Scenario.wire`), so a run record can keep the exact cases it ran.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from alc.engine._validate import check_json
from alc.engine.errors import InvalidInput
from alc.engine.protocol import Cancelled, Completed, Failed, Outcome
from alc.engine.registry import Transcript
from alc.engine.store import Store

__all__ = ["Case", "EngineLike", "GraderSpec", "Scenario"]

_CASE_ID = re.compile(r"^[A-Za-z0-9_.:\-]{1,200}$")


@dataclass(frozen=True)
class Case:
    """One evaluation case.

    Attributes:
        id: unique within its scenario (letters, digits, ``_ . : -``; at most 200).
        input: the task handed to the strategy as ``ctx.task``.
        expected: the accepted answers (any one passes); empty for graders that need none.
        tags: labels for per-tag breakdowns (``"steps:3"``, ``"ordering"``).
        context: grader parameters of this case (``pattern``, ``rubric``, ``tolerance``, ...).
    """

    id: str
    input: str
    expected: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    context: Mapping[str, Any] = field(default_factory=dict)

    def wire(self) -> dict[str, Any]:
        """The JSON form (what run records keep)."""
        return {
            "id": self.id,
            "input": self.input,
            "expected": list(self.expected),
            "tags": list(self.tags),
            "context": dict(self.context),
        }

    @classmethod
    def parse(cls, data: object, where: str) -> Case:
        """A case from its JSON form (``expected`` may be one string; ``name`` is an alias of
        ``id``).

        Raises:
            InvalidInput: a field of the wrong type, a missing input, a bad id.
        """
        if not isinstance(data, Mapping):
            raise InvalidInput(f"{where}: a case must be an object, not {type(data).__name__}.")
        case_id = data.get("id", data.get("name"))
        text = data.get("input")
        if not isinstance(text, str) or not text.strip():
            raise InvalidInput(f"{where}: a case needs an input (non-empty text).")
        if not isinstance(case_id, str) or not _CASE_ID.match(case_id):
            raise InvalidInput(
                f"{where}: case id {case_id!r} must be 1-200 letters, digits or _ . : -."
            )
        return cls(
            id=case_id,
            input=text,
            expected=_strings(data.get("expected"), f"{where}: expected"),
            tags=_strings(data.get("tags"), f"{where}: tags"),
            context=_mapping(data.get("context"), f"{where}: context"),
        )


@dataclass(frozen=True)
class GraderSpec:
    """One grader of a scenario: its name, its weight in the case score, its parameters.

    Attributes:
        name: a grader of :data:`alc.eval.GRADERS` (``exact_match``, ``numeric``, ...).
        weight: non-negative; the case score is the weighted mean of the grader scores.
        params: grader options (``tolerance``, ``ignore_case``, ``extract``, ``rubric``, ...).
    """

    name: str
    weight: float = 1.0
    params: Mapping[str, Any] = field(default_factory=dict)

    def wire(self) -> dict[str, Any]:
        return {"name": self.name, "weight": self.weight, **dict(self.params)}

    @classmethod
    def parse(cls, data: object, where: str) -> GraderSpec:
        """A grader from ``"name"`` or ``{"name": ..., "weight": ..., <params>}``.

        Raises:
            InvalidInput: not a name or an object with a name, a negative or non-numeric weight.
        """
        if isinstance(data, str):
            data = {"name": data}
        if not isinstance(data, Mapping) or not isinstance(data.get("name"), str):
            raise InvalidInput(f'{where}: a grader is a name or {{"name": ..., "weight": ...}}.')
        weight = data.get("weight", 1.0)
        if (
            isinstance(weight, bool)
            or not isinstance(weight, int | float)
            or not math.isfinite(weight)
            or weight < 0
        ):
            raise InvalidInput(
                f"{where}: weight must be a finite, non-negative number, not {weight!r:.40}."
            )
        params = {k: v for k, v in data.items() if k not in ("name", "weight")}
        return cls(name=data["name"], weight=float(weight), params=params)


@dataclass(frozen=True)
class Scenario:
    """A named list of cases and the graders that score them.

    Attributes:
        name: how reports name it (``arith``, ``math_basic``, a file stem).
        cases: the cases, in order (ids unique).
        graders: at least one grader.
        source: where it came from (``builtin:arith``, a file path), for the run record.
        seed: the generator seed of a generated set, else None.
        pass_threshold: a case passes when its score is at least this (default 1.0: every
            weighted grader passed, as in evalframe).
    """

    name: str
    cases: tuple[Case, ...]
    graders: tuple[GraderSpec, ...]
    source: str = "inline"
    seed: int | None = None
    pass_threshold: float = 1.0

    def __post_init__(self) -> None:
        if not self.cases:
            raise InvalidInput(f"Scenario {self.name!r} has no cases.")
        if not self.graders:
            raise InvalidInput(f"Scenario {self.name!r} has no graders.")
        seen: set[str] = set()
        for case in self.cases:
            if case.id in seen:
                raise InvalidInput(f"Scenario {self.name!r}: case id {case.id!r} appears twice.")
            seen.add(case.id)

    def head(self, n: int | None) -> Scenario:
        """The first ``n`` cases (all when ``n`` is None or larger)."""
        if n is None or n >= len(self.cases):
            return self
        if n < 1:
            raise InvalidInput("The number of cases (-n) must be at least 1.")
        return Scenario(
            self.name, self.cases[:n], self.graders, self.source, self.seed, self.pass_threshold
        )

    def wire(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "source": self.source,
            "seed": self.seed,
            "pass_threshold": self.pass_threshold,
            "graders": [g.wire() for g in self.graders],
            "cases": [c.wire() for c in self.cases],
        }

    @classmethod
    def parse(cls, data: Mapping[str, Any], where: str = "scenario") -> Scenario:
        """A scenario from its JSON form (:meth:`wire`).

        Raises:
            InvalidInput: not plain JSON nested at most ``MAX_DEPTH`` levels (see
                ``alc.engine._validate``), and as :meth:`Case.parse` / :meth:`GraderSpec.parse`.
        """
        check_json(dict(data), where)
        cases = data.get("cases")
        if not isinstance(cases, Sequence) or isinstance(cases, str):
            raise InvalidInput(f"{where}: cases must be a list.")
        graders = data.get("graders") or ["exact_match"]
        if not isinstance(graders, Sequence) or isinstance(graders, str):
            graders = [graders]
        threshold = data.get("pass_threshold", 1.0)
        if (
            isinstance(threshold, bool)
            or not isinstance(threshold, int | float)
            or not 0 <= threshold <= 1
        ):
            raise InvalidInput(f"{where}: pass_threshold must be a number from 0 to 1.")
        seed = data.get("seed")
        return cls(
            name=str(data.get("name") or "inline"),
            cases=tuple(Case.parse(c, f"{where}: case {i + 1}") for i, c in enumerate(cases)),
            graders=tuple(GraderSpec.parse(g, f"{where}: grader") for g in graders),
            source=str(data.get("source") or "inline"),
            seed=seed if isinstance(seed, int) else None,
            pass_threshold=float(threshold),
        )


def _strings(value: object, where: str) -> tuple[str, ...]:
    if value is None or (isinstance(value, Mapping) and not value):
        return ()  # an empty Lua table arrives as {}
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return (str(value),)
    if isinstance(value, Sequence) and all(isinstance(v, str | int | float) for v in value):
        return tuple(str(v) for v in value)
    raise InvalidInput(f"{where} must be text or a list of text.")


def _mapping(value: object, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidInput(f"{where} must be an object.")
    return dict(value)


class StrategyLookup(Protocol):
    """Where an evaluation checks that a strategy exists (``engine.catalog``)."""

    def locate(self, name: str) -> Path: ...


class EngineLike(Protocol):
    """The part of :class:`alc.Engine` an evaluation uses (``alc.eval`` sits below the Python
    API in the layer order, so it names the engine by its methods, not by import)."""

    @property
    def store(self) -> Store: ...

    @property
    def catalog(self) -> StrategyLookup: ...

    def start(self, *args: Any, **kwargs: Any) -> Outcome: ...

    def drive(self, *args: Any, **kwargs: Any) -> Completed | Failed | Cancelled: ...

    def status(self, session_id: str | None = None) -> Any: ...

    def transcript(self, session_id: str) -> Transcript: ...

    def delete(self, session_id: str) -> bool: ...

    def pending(self, session_id: str) -> Any: ...
