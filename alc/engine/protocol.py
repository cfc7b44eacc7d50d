"""The wire protocol: every object alc hands to a driver, as pydantic models.

Each outcome renders with :meth:`to_json` to exactly one JSON object with sorted keys, the shapes
of docs/protocol.md (algocline-compatible, plus ``session_id`` everywhere and ``error_code`` on
failures)::

    needs_response (one query)  {"max_tokens", "prompt", "query_id", "session_id",
                                 "status", "system"} (+ the optional query fields)
    needs_response (several)    {"queries": [{"id", "max_tokens", "prompt", "system"}, ...], ...}
    accepted                    {"remaining", "session_id", "status"}
    completed                   {"result", "session_id", "stats", "status"}
    error                       {"error", "error_code", "session_id", "status"}
    cancelled                   {"session_id", "stats", "status"}

A query also carries ``"grounded": true`` / ``"underspecified": true`` when set,
``"role"`` / ``"cache_breakpoint"`` (strings, algocline's top-level hints) when the strategy gave
them, and the other ``alc.llm`` options it passed (``temperature``, ``model``, ...) under
``"options"``.
"""

from __future__ import annotations

import enum
import json
import os
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field

from alc.engine._validate import MAX_TOKEN_COUNT, check_token_count
from alc.engine.errors import (
    BudgetExceeded,
    InvalidInput,
    LuaError,
    MemoryLimitExceeded,
    ReplayDiverged,
    SessionError,
    SourceChanged,
    TimeLimitExceeded,
)

__all__ = [
    "ACTIVE_STATES",
    "TERMINAL_STATES",
    "Accepted",
    "Cancelled",
    "Completed",
    "Failed",
    "LimitMaxima",
    "Limits",
    "NeedsResponse",
    "Outcome",
    "Query",
    "Response",
    "SessionSnapshot",
    "SessionState",
    "Usage",
    "dumps",
]


class SessionState(enum.StrEnum):
    """The states of a session (docs/architecture.md)::

        running --(alc.llm / alc.llm_batch)--> paused --(last answer)--> running --> ...
        running --(return)--> completed     running --(error, limit, budget)--> failed
        paused --(cancel)--> cancelled

    ``TERMINAL`` and ``ACTIVE`` (class attributes set below) are the two groups every layer uses.
    """

    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


TERMINAL_STATES: frozenset[SessionState] = frozenset(
    {SessionState.COMPLETED, SessionState.FAILED, SessionState.CANCELLED}
)
"""States a session never leaves."""
ACTIVE_STATES: frozenset[SessionState] = frozenset({SessionState.RUNNING, SessionState.PAUSED})
"""States of a session that can still move (what listings show by default)."""
WIRE_STATUS: Mapping[SessionState, str] = MappingProxyType(
    {
        SessionState.RUNNING: "running",
        SessionState.PAUSED: "needs_response",
        SessionState.COMPLETED: "completed",
        SessionState.FAILED: "error",
        SessionState.CANCELLED: "cancelled",
    }
)
"""The one table from a state name to the ``status`` of its wire reply (a ``failed`` session
replies ``error``; ``running`` is an in-memory phase only, never a reply)."""


def dumps(obj: Any) -> str:
    """Compact JSON with sorted keys and real UTF-8: the one encoding used on every wire."""
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


class _Wire(BaseModel):
    # defer_build: schemas are built on first validation, not at import, so a short-lived
    # process (every `alc continue`) that only builds trusted objects never pays for them
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    @classmethod
    def trusted(cls, **values: Any) -> Self:
        """Build from values the engine produced itself, skipping validation.

        The round trip of a pause is on the engine's hot path; its objects are made from
        already-typed values, so they skip pydantic's validation (``model_construct`` minus its
        bookkeeping). Every field must be given.
        """
        obj = cls.__new__(cls)
        setattr_ = object.__setattr__
        setattr_(obj, "__dict__", values)
        setattr_(obj, "__pydantic_fields_set__", set(values))
        setattr_(obj, "__pydantic_extra__", None)
        setattr_(obj, "__pydantic_private__", None)
        return obj

    def wire(self) -> dict[str, Any]:
        """The JSON-ready dict of this object (the shape documented on the class)."""
        raise NotImplementedError

    def to_json(self) -> str:
        """The wire JSON: one object, keys sorted, compact separators."""
        return dumps(self.wire())


class Query(_Wire):
    """One request for an LLM answer, issued by ``alc.llm`` or one item of ``alc.llm_batch``.

    Attributes:
        id: ``q-<n>``, unique within the session (n counts every query the session issued).
        prompt: the user prompt text.
        system: the system prompt, or None.
        max_tokens: the answer length the strategy asked for, in tokens (default 1024).
        grounded: the strategy asked for an answer grounded in verifiable sources.
        underspecified: the strategy flagged the prompt as missing information.
        options: other ``alc.llm`` options passed through untouched (temperature, model, ...).
        role: ``opts.role``, an opaque routing hint for the driver (e.g. ``"nn"``), or None.
        cache_breakpoint: ``opts.cache_breakpoint``, an opaque prompt-cache hint (e.g.
            ``"context"``; a driver maps it to its provider's cache API or ignores it), or None.
    """

    id: str
    prompt: str
    system: str | None = None
    max_tokens: int = 1024
    grounded: bool = False
    underspecified: bool = False
    options: dict[str, Any] = Field(default_factory=dict)
    role: str | None = None
    cache_breakpoint: str | None = None

    def wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "max_tokens": self.max_tokens,
            "prompt": self.prompt,
            "system": self.system,
        }
        if self.grounded:
            out["grounded"] = True
        if self.underspecified:
            out["underspecified"] = True
        if self.role is not None:
            out["role"] = self.role
        if self.cache_breakpoint is not None:
            out["cache_breakpoint"] = self.cache_breakpoint
        if self.options:
            out["options"] = self.options
        return out


class Usage(_Wire):
    """Real token counts a driver reports for one answer (replaces the engine's estimate).

    Each count is None or a whole number from 0 to 2**31 - 1 (``invalid_input`` otherwise: a
    negative count would let a session slip past ``ctx.budget.max_tokens``).
    """

    prompt_tokens: int | None = Field(default=None, ge=0, le=MAX_TOKEN_COUNT, strict=True)
    response_tokens: int | None = Field(default=None, ge=0, le=MAX_TOKEN_COUNT, strict=True)

    def wire(self) -> dict[str, Any]:
        return {"prompt_tokens": self.prompt_tokens, "response_tokens": self.response_tokens}

    @classmethod
    def parse(cls, value: object) -> Usage | None:
        """Accept a Usage, ``None``, or a dict using OpenAI or alc key names.

        Raises:
            InvalidInput: not a mapping, or a count that is not a whole number from 0 to
                2**31 - 1 (booleans, strings, fractions, negative or huge numbers).
        """
        if value is None or isinstance(value, Usage):
            return value
        if not isinstance(value, Mapping):
            raise InvalidInput(
                f"usage must be an object with prompt_tokens and/or response_tokens, "
                f"not {type(value).__name__}."
            )
        prompt = value.get("prompt_tokens", value.get("input_tokens"))
        response = value.get(
            "response_tokens", value.get("completion_tokens", value.get("output_tokens"))
        )
        return cls.trusted(
            prompt_tokens=check_token_count(prompt, "usage.prompt_tokens"),
            response_tokens=check_token_count(response, "usage.response_tokens"),
        )


class Response(_Wire):
    """A driver's answer to one query: the text, and optionally the real usage."""

    text: str
    usage: Usage | None = None

    def wire(self) -> dict[str, Any]:
        return {"text": self.text, "usage": self.usage.wire() if self.usage else None}


class NeedsResponse(_Wire):
    """The session paused: answer every query in ``queries`` to resume it.

    ``query_id``, ``prompt`` and ``system`` are shortcuts for the single-query case (they raise
    ``ValueError`` when several queries are pending).
    """

    status: Literal["needs_response"] = "needs_response"
    session_id: str
    queries: tuple[Query, ...]

    def _single(self) -> Query:
        if len(self.queries) != 1:
            raise ValueError(
                f"{len(self.queries)} queries are pending; read .queries instead of a shortcut"
            )
        return self.queries[0]

    @property
    def query_id(self) -> str:
        return self._single().id

    @property
    def prompt(self) -> str:
        return self._single().prompt

    @property
    def system(self) -> str | None:
        return self._single().system

    def wire(self) -> dict[str, Any]:
        if len(self.queries) == 1:
            out = self.queries[0].wire()
            out["query_id"] = out.pop("id")
            out["session_id"] = self.session_id
            out["status"] = self.status
            return out
        return {
            "queries": [q.wire() for q in self.queries],
            "session_id": self.session_id,
            "status": self.status,
        }


class Accepted(_Wire):
    """Some answers of a batch arrived; ``remaining`` queries still need one before it resumes."""

    status: Literal["accepted"] = "accepted"
    session_id: str
    remaining: int

    def wire(self) -> dict[str, Any]:
        return {"remaining": self.remaining, "session_id": self.session_id, "status": self.status}


class Completed(_Wire):
    """The strategy finished. ``result`` is its JSON result; ``stats`` as in docs/protocol.md."""

    status: Literal["completed"] = "completed"
    session_id: str
    result: Any = None
    stats: dict[str, Any] = Field(default_factory=dict)

    def wire(self) -> dict[str, Any]:
        return {
            "result": self.result,
            "session_id": self.session_id,
            "stats": self.stats,
            "status": self.status,
        }


class Failed(_Wire):
    """The session failed. ``error_code`` is stable (lua_error, budget_exceeded, timeout, ...)."""

    status: Literal["error"] = "error"
    session_id: str
    error: str
    error_code: str

    def wire(self) -> dict[str, Any]:
        return {
            "error": self.error,
            "error_code": self.error_code,
            "session_id": self.session_id,
            "status": self.status,
        }

    def exception(self) -> SessionError:
        """This failure as the typed :class:`~alc.engine.errors.SessionError` of its code.

        For drivers that prefer exceptions: ``raise outcome.exception()``. A code without a
        class of its own (``worker_lost``, for instance) gives a plain ``SessionError`` that
        keeps the code.
        """
        cls = _SESSION_ERRORS.get(self.error_code)
        if cls is None:
            error = SessionError(self.error, session_id=self.session_id)
            error.error_code = self.error_code  # type: ignore[misc]  # keep the real code
            return error
        return cls(self.error, session_id=self.session_id)


class Cancelled(_Wire):
    """The session was cancelled by a driver; ``stats`` covers what ran until then."""

    status: Literal["cancelled"] = "cancelled"
    session_id: str
    stats: dict[str, Any] = Field(default_factory=dict)

    def wire(self) -> dict[str, Any]:
        return {"session_id": self.session_id, "stats": self.stats, "status": self.status}


_SESSION_ERRORS: dict[str, type[SessionError]] = {
    cls.error_code: cls
    for cls in (
        LuaError,
        BudgetExceeded,
        TimeLimitExceeded,
        MemoryLimitExceeded,
        ReplayDiverged,
        SourceChanged,
    )
}

Outcome = NeedsResponse | Accepted | Completed | Failed | Cancelled
"""Any reply of ``start`` / ``feed`` / ``cancel``."""


class Limits(BaseModel):
    """Per-session sandbox limits. Breaking one fails only that session.

    Attributes:
        max_memory: bytes the session's Lua VM may allocate, 1 MiB to 64 GiB (default 256 MiB)
            -> ``memory_limit``. The children of ``alc.fork`` share it with their parent.
        max_instructions: Lua VM instructions per step, i.e. between two pauses, 1 to 1e15
            (default 5e10) -> ``timeout``. Checked every 10,000 instructions; ``alc.fork``
            children share the step's count. The default is consistent with
            ``max_step_seconds``: a tight Lua loop runs about 2e8 instructions a second on a
            2026 x86 core, so 5e10 is not reached before the 120 s wall-time limit on a machine
            up to twice as fast (heavy simulations, which run slower per instruction, meet the
            wall-time limit first; docs/operations.md, "Limits").
        max_step_seconds: wall-clock seconds per step, 0.01 to 86,400 (default 120) ->
            ``timeout``. The process executor enforces it from outside the VM too (it kills the
            worker a grace period after it), so no single C call can outlive it there.
        max_output_bytes: bytes one transfer across the VM boundary may carry, 1 KiB to 1 GiB
            (default 16 MiB): out of the VM, the prompts of one pause, the result, an error
            value, an argument of an ``alc.*`` function -> ``memory_limit`` (a Lua error for an
            argument); into it, one answer -> ``invalid_input`` (nothing applied).
        lua_version: ``"5.5"`` (default; fixed string-hash seed, so ``pairs()`` order replays
            exactly) or ``"5.4"`` (for code that needs it; ``pairs()`` order over string keys is
            then not reproducible across processes).

    Raises:
        pydantic.ValidationError: a value out of its range (the engine reports it as
            ``invalid_input``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    max_memory: int = Field(default=256 * 1024 * 1024, ge=1024 * 1024, le=64 * 1024**3)
    max_instructions: int = Field(default=50_000_000_000, ge=1, le=10**15)
    max_step_seconds: float = Field(default=120.0, ge=0.01, le=86_400.0, allow_inf_nan=False)
    max_output_bytes: int = Field(default=16 * 1024 * 1024, ge=1024, le=1024**3)
    lua_version: Literal["5.4", "5.5"] = "5.5"


class LimitMaxima(BaseModel):
    """The largest :class:`Limits` a client may ask for: the server operator's ceiling.

    A request naming a limit above its maximum is refused with ``invalid_input`` (naming the
    maximum), never clamped silently: the client learns what it may ask for. The server's
    defaults (``Limits()`` or ``Engine(limits=...)``) are lowered to the maxima, so a request
    that names no limit is always admitted. Each maximum comes
    from ``ALC_LIMIT_<FIELD>`` (e.g. ``ALC_LIMIT_MAX_OUTPUT_BYTES=33554432``), read by
    :meth:`from_env`, within the range :class:`Limits` allows.

    Attributes:
        max_memory: bytes (default 2 GiB).
        max_instructions: instructions per step (default 2.5e11, five times the default limit).
        max_step_seconds: seconds per step (default 600, five times the default limit).
        max_output_bytes: bytes per transfer (default 64 MiB, four times the default limit): a
            result travels through several copies on its way out (the peak is a small multiple
            of it), so this bounds what one request can make a replica allocate.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    max_memory: int = Field(default=2 * 1024**3, ge=1024 * 1024, le=64 * 1024**3)
    max_instructions: int = Field(default=250_000_000_000, ge=1, le=10**15)
    max_step_seconds: float = Field(default=600.0, ge=0.01, le=86_400.0, allow_inf_nan=False)
    max_output_bytes: int = Field(default=64 * 1024 * 1024, ge=1024, le=1024**3)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> LimitMaxima:
        """The maxima of ``ALC_LIMIT_<FIELD>`` variables (defaults for the unset ones).

        Raises:
            InvalidInput: a value that is not a number in its field's range.
        """
        env = os.environ if environ is None else environ
        given = {
            name: env[f"ALC_LIMIT_{name.upper()}"].strip()
            for name in cls.model_fields
            if env.get(f"ALC_LIMIT_{name.upper()}", "").strip()
        }
        if not given:  # the defaults: no validation pass (keeps pydantic's schema build off
            return cls.model_construct()  # the cold CLI path)
        try:
            return cls.model_validate(
                {k: float(v) if k == "max_step_seconds" else int(v) for k, v in given.items()}
            )
        except (ValueError, TypeError) as exc:
            raise InvalidInput(f"ALC_LIMIT_*: {' '.join(str(exc).split())}") from None

    def _ceilings(self) -> list[tuple[str, float]]:
        return [(name, getattr(self, name)) for name in type(self).model_fields]

    def clamp(self, limits: Limits) -> Limits:
        """``limits`` with each value lowered to its maximum (for the server's defaults)."""
        over = {
            name: ceiling for name, ceiling in self._ceilings() if getattr(limits, name) > ceiling
        }
        return limits.model_copy(update=over) if over else limits

    def admit(self, limits: Limits) -> Limits:
        """``limits`` if none passes its maximum.

        Raises:
            InvalidInput: a limit above its maximum (the message names both).
        """
        for name, ceiling in self._ceilings():
            value = getattr(limits, name)
            if value > ceiling:
                raise InvalidInput(
                    f"limits.{name} = {value:,} is above this server's maximum of "
                    f"{ceiling:,} (set by its operator: ALC_LIMIT_{name.upper()}); "
                    "ask for at most that."
                )
        return limits


class SessionSnapshot(BaseModel):
    """What ``status`` reports about one session (read from the store, so any process sees it).

    Attributes:
        session_id: the id.
        state: ``running`` | ``paused`` | ``completed`` | ``failed`` | ``cancelled``.
        strategy: the strategy name, or None for inline code.
        created_at / updated_at: Unix epoch seconds.
        pending: the queries awaiting an answer (empty unless paused).
        answered: ids of pending-pause queries already answered (partial batch).
        llm_calls: queries issued so far.
        progress: the last ``alc.progress`` call: ``{"step", "total", "message"}`` or None.
        log: the most recent session log lines (``{"level", "message"}``), newest last.
        outcome: the terminal wire object once the session has ended, else None.
    """

    model_config = ConfigDict(frozen=True, defer_build=True)

    session_id: str
    state: str
    strategy: str | None = None
    created_at: float
    updated_at: float
    pending: tuple[Query, ...] = ()
    answered: tuple[str, ...] = ()
    llm_calls: int = 0
    progress: dict[str, Any] | None = None
    log: tuple[dict[str, Any], ...] = ()
    outcome: dict[str, Any] | None = None

    def wire(self) -> dict[str, Any]:
        """JSON-ready dict (pending queries in their wire shape)."""
        data = self.model_dump(mode="json")
        data["pending"] = [q.wire() for q in self.pending]
        return data

    def to_json(self) -> str:
        return dumps(self.wire())
