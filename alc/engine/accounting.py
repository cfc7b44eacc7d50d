"""What a session has spent and may still spend: :class:`SessionStats` and :class:`Budget`.

Both are small value objects owned by one session. :class:`SessionStats` counts queries, pauses,
characters and tokens (estimated at 4 characters a token unless the driver reports real usage);
:class:`Budget` is ``ctx.budget`` parsed once, and answers "would this pause exceed it?" and
"what is left?" from a stats snapshot and the elapsed time.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from alc.engine.errors import InvalidInput
from alc.engine.lua import QuerySpec
from alc.engine.protocol import Query, Response

__all__ = ["Budget", "SessionStats", "estimate_tokens"]


def estimate_tokens(chars: int) -> int:
    """The token estimate of a text of ``chars`` characters (4 characters a token, rounded up)."""
    return math.ceil(chars / 4)


def _query_chars(query: Query | QuerySpec) -> int:
    return len(query.prompt) + len(query.system or "")


@dataclass
class SessionStats:
    """Counters of one session (the ``auto`` part of the ``stats`` object, docs/protocol.md).

    Attributes:
        started_at: Unix seconds of the first step (``elapsed_ms`` counts from it).
        llm_calls / pauses / rounds: queries issued, pauses made, pauses answered.
        prompt_chars / response_chars: characters sent out and received.
        prompt_tokens / response_tokens: token counts, real where the driver reported usage.
        provided_prompt / provided_response: how many answers came with real usage.
        custom: the ``alc.stats.record`` values.
        budget_exceeded: why ``ctx.budget`` refused a pause, once it did (sticky: every later
            pause is refused with the same reason), else ``""``.
    """

    started_at: float = 0.0
    llm_calls: int = 0
    pauses: int = 0
    rounds: int = 0
    prompt_chars: int = 0
    response_chars: int = 0
    prompt_tokens: int = 0
    response_tokens: int = 0
    provided_prompt: int = 0
    provided_response: int = 0
    custom: dict[str, Any] = field(default_factory=dict)
    budget_exceeded: str = ""

    @property
    def tokens(self) -> int:
        """Prompt and response tokens so far."""
        return self.prompt_tokens + self.response_tokens

    def record_pause(self, specs: Sequence[QuerySpec]) -> None:
        """Count a pause issuing ``specs``."""
        for spec in specs:
            chars = _query_chars(spec)
            self.prompt_chars += chars
            self.prompt_tokens += estimate_tokens(chars)
        self.llm_calls += len(specs)
        self.pauses += 1

    def record_answer(self, response: Response, query: Query) -> None:
        """Count an answer to ``query``; reported usage replaces the estimates."""
        chars = len(response.text)
        self.response_chars += chars
        usage = response.usage
        if usage is not None and usage.response_tokens is not None:
            self.response_tokens += usage.response_tokens
            self.provided_response += 1
        else:
            self.response_tokens += estimate_tokens(chars)
        if usage is not None and usage.prompt_tokens is not None:
            self.prompt_tokens += usage.prompt_tokens - estimate_tokens(_query_chars(query))
            self.provided_prompt += 1

    def auto(self, elapsed_ms: int) -> dict[str, Any]:
        """The ``stats.auto`` object (without ``budget``)."""
        return {
            "elapsed_ms": elapsed_ms,
            "llm_calls": self.llm_calls,
            "pauses": self.pauses,
            "rounds": self.rounds,
            "total_prompt_chars": self.prompt_chars,
            "total_response_chars": self.response_chars,
            "prompt_tokens": _tokens(self.prompt_tokens, self.provided_prompt),
            "response_tokens": _tokens(self.response_tokens, self.provided_response),
            "total_tokens": _tokens(self.tokens, min(self.provided_prompt, self.provided_response)),
        }


def _tokens(count: int, provided: int) -> dict[str, Any]:
    return {"source": "provided" if provided else "estimated", "tokens": count}


_BUDGET_KEYS = ("max_llm_calls", "max_elapsed_ms", "max_tokens")


@dataclass(frozen=True)
class Budget:
    """``ctx.budget``: the most LLM calls, elapsed milliseconds and tokens a session may use.

    A limit of None is no limit. Build it with :meth:`parse`. Exceeding it is a catchable Lua
    error in the strategy (:meth:`refusal`), sticky, so no strategy spends past it.
    """

    max_llm_calls: int | None = None
    max_elapsed_ms: int | None = None
    max_tokens: int | None = None

    @classmethod
    def parse(cls, value: Any) -> Budget | None:
        """``ctx.budget`` as given (None when absent or not an object).

        A ``ctx.budget`` that is not an object belongs to the strategy (some packages use the
        name for a parameter of their own, e.g. a number): the engine ignores it, as algocline
        does.

        Raises:
            InvalidInput: an object with a limit that is not a non-negative number.
        """
        if not isinstance(value, dict):
            return None
        limits: dict[str, int] = {}
        for key in _BUDGET_KEYS:
            limit = value.get(key)
            if limit is None:
                continue
            if isinstance(limit, bool) or not isinstance(limit, int | float) or limit < 0:
                raise InvalidInput(f"ctx.budget.{key} must be a non-negative number.")
            limits[key] = int(limit)
        return cls(**limits) if limits else None

    def violation(self, stats: SessionStats, specs: Sequence[QuerySpec], elapsed_ms: int) -> str:
        """Why issuing ``specs`` now would break the budget, or ``""`` if it would not."""
        if self.max_llm_calls is not None and stats.llm_calls + len(specs) > self.max_llm_calls:
            return (
                f"budget exceeded: max_llm_calls is {self.max_llm_calls} and this alc.llm would "
                f"make call {stats.llm_calls + len(specs)}"
            )
        if self.max_tokens is not None:
            new = sum(estimate_tokens(_query_chars(s)) for s in specs)
            if stats.tokens + new > self.max_tokens:
                return (
                    f"budget exceeded: max_tokens is {self.max_tokens}, {stats.tokens} used and "
                    f"this alc.llm needs about {new} more"
                )
        if self.max_elapsed_ms is not None and elapsed_ms > self.max_elapsed_ms:
            return (
                f"budget exceeded: max_elapsed_ms is {self.max_elapsed_ms}, {elapsed_ms} ms elapsed"
            )
        return ""

    def refusal(
        self, stats: SessionStats, specs: Sequence[QuerySpec], elapsed_ms: Callable[[], int]
    ) -> str:
        """Why the pause issuing ``specs`` is refused, or ``""``: sticky once it refused.

        The first refusal is kept in ``stats.budget_exceeded`` and returned for every later
        pause (without reading the clock again, so a strategy retrying in a ``pcall`` loop
        adds nothing to the journal).
        """
        if not stats.budget_exceeded:
            stats.budget_exceeded = self.violation(stats, specs, elapsed_ms())
        return stats.budget_exceeded

    def remaining(self, stats: SessionStats, elapsed_ms: int) -> dict[str, int]:
        """What is left: ``{"llm_calls", "tokens", "elapsed_ms"}`` (the limits that are set)."""
        out: dict[str, int] = {}
        if self.max_llm_calls is not None:
            out["llm_calls"] = max(0, self.max_llm_calls - stats.llm_calls)
        if self.max_tokens is not None:
            out["tokens"] = max(0, self.max_tokens - stats.tokens)
        if self.max_elapsed_ms is not None:
            out["elapsed_ms"] = max(0, self.max_elapsed_ms - elapsed_ms)
        return out

    def for_strategy(self, stats: SessionStats, elapsed_ms: int) -> dict[str, Any]:
        """``alc.budget_remaining()``: :meth:`remaining`, plus ``exceeded = true`` once the
        budget refused a call (then every later call is refused too, whatever is left)."""
        out: dict[str, Any] = dict(self.remaining(stats, elapsed_ms))
        if stats.budget_exceeded:
            out["exceeded"] = True
        return out

    def wire(self, stats: SessionStats, elapsed_ms: int) -> dict[str, Any]:
        """The ``stats.auto.budget`` object: the limits that are set, ``remaining`` and
        ``exceeded`` (whether the budget refused a pause; the strategy may have caught it)."""
        limits = {k: getattr(self, k) for k in _BUDGET_KEYS if getattr(self, k) is not None}
        return dict(
            limits,
            remaining=self.remaining(stats, elapsed_ms),
            exceeded=bool(stats.budget_exceeded),
        )
