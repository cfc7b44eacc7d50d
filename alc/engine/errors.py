"""Every error alc raises, each with a stable ``error_code``.

The tree::

    AlcError                      root: stable ``.error_code``; ``.to_wire()`` gives the JSON
    ├── RequestError              the request was wrong; nothing applied (CLI exit 2, MCP error)
    │   ├── InvalidInput          invalid_input        malformed id, bad ctx, bad argument
    │   ├── SessionNotFound       session_not_found    no such session in this store (or
    │   │                                              ``last`` in a store without sessions)
    │   ├── UnknownQuery          unknown_query        the query id was never issued by the session
    │   ├── AlreadyAnswered       already_answered     that query already has an answer
    │   ├── AmbiguousQuery        ambiguous_query      several queries pending and no id given
    │   ├── SessionFinished       session_finished     the session is completed, failed or cancelled
    │   ├── StrategyNotFound      strategy_not_found   no package of that name on the search path
    │   ├── CardNotFound          card_not_found       no card or alias of that name (docs/cards.md)
    │   ├── CardImmutable         card_immutable       the card, key or samples exist already
    │   ├── CardTooLarge          card_too_large       a card or its samples over their bounds
    │   ├── PackageNotFound       package_not_found    no installed (or linked) package of that name
    │   ├── InstallFailed         install_failed       a package operation failed; nothing changed
    │   ├── MissingExtra          missing_extra        an optional extra (eval, openai, ...) is
    │   │                                              not installed; the message says how
    │   ├── Conflict              conflict             another process advanced the session first
    │   └── RateLimited           rate_limited         the tenant's share (or the pool) is used up;
    │                                                  retry after ``retry_after`` seconds
    ├── StoreUnavailable          store_unavailable    the journal cannot be opened or written
    ├── ExecutorUnavailable       executor_unavailable worker processes kept dying; retry
    └── SessionError              the session itself failed (a ``Failed`` outcome, CLI exit 1)
        ├── LuaError              lua_error            the strategy raised an error
        ├── BudgetExceeded        budget_exceeded      ctx.budget would be exceeded by an alc.llm
        ├── StateQuotaExceeded    state_quota_exceeded an alc.state write would pass its quota
        ├── LimitExceeded         a per-step sandbox limit was broken:
        │   ├── TimeLimitExceeded     timeout          too many instructions or wall time
        │   └── MemoryLimitExceeded   memory_limit     the VM outgrew Limits.max_memory
        ├── (worker_lost)         the process executor's worker died during the step
        ├── ReplayDiverged        replay_diverged      replay asked something else
        └── SourceChanged         source_changed       pinned source unavailable

(``alc.responders.ResponderError``, ``responder_failed``, also derives from ``AlcError``: the
driver's LLM failed while auto-driving; the session stays paused and can be continued.)

Request errors are raised to the caller. Session errors are normally not raised: the engine turns
them into a :class:`alc.Failed` outcome (``status == "error"``) so a failing strategy never throws
out of ``feed``. Messages are complete sentences that say what to do next.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "NEXT_STEPS",
    "AlcError",
    "AlreadyAnswered",
    "AmbiguousQuery",
    "BudgetExceeded",
    "CardImmutable",
    "CardNotFound",
    "CardTooLarge",
    "Conflict",
    "ExecutorUnavailable",
    "InstallFailed",
    "InvalidInput",
    "LimitExceeded",
    "LuaError",
    "MemoryLimitExceeded",
    "MissingExtra",
    "PackageNotFound",
    "RateLimited",
    "ReplayDiverged",
    "RequestError",
    "SessionError",
    "SessionFinished",
    "SessionNotFound",
    "SourceChanged",
    "StateQuotaExceeded",
    "StoreUnavailable",
    "StrategyNotFound",
    "TimeLimitExceeded",
    "UnknownQuery",
]


NEXT_STEPS = {
    "fix_request": "correct the request and send it again",
    "read_status": "read the session's status (its outcome or its pending queries)",
    "list_sessions": "list the sessions of this store",
    "list_strategies": "list the strategies on the package search path",
    "start_new_session": "start a new session; this one cannot go on",
    "delete_session": "delete the session (the rest of the store is fine)",
    "fix_store": "fix the store (path, permissions, disk) or point alc at another one",
    "retry": "send the same request again",
    "list_packages": "list the installed packages (and run the package doctor)",
    "install_extra": "install the optional extra the error names (its install command is given)",
}
"""Every ``next_step`` hint an error may carry, with what it means. Front ends render a hint in
their own terms (the CLI names a command, MCP a tool, the Python API a method); the engine never
names a front end's command in a message."""


class AlcError(Exception):
    """Root of every alc error.

    Attributes:
        error_code: stable machine-readable code (see the module docstring).
        message: the human sentence, also ``str(error)``.
        session_id: the session concerned, when there is one.
        next_step: what to do about it, one of :data:`NEXT_STEPS` (or None).
    """

    error_code: ClassVar[str] = "alc_error"
    default_next_step: ClassVar[str | None] = None

    def __init__(
        self, message: str, *, session_id: str | None = None, next_step: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.session_id = session_id
        self.next_step = next_step or self.default_next_step

    def to_wire(self) -> dict[str, Any]:
        """The JSON error object: ``{"error", "error_code", "status": "error"[, "session_id"]
        [, "next_step"]}``."""
        wire: dict[str, Any] = {
            "error": self.message,
            "error_code": self.error_code,
            "status": "error",
        }
        if self.session_id is not None:
            wire["session_id"] = self.session_id
        if self.next_step is not None:
            wire["next_step"] = self.next_step
        return wire


class RequestError(AlcError):
    """The request was invalid for the current state; nothing was applied."""

    error_code = "invalid_request"
    default_next_step = "fix_request"


class InvalidInput(RequestError):
    """An argument is malformed (bad session id, ctx not an object, empty answer set, ...)."""

    error_code = "invalid_input"


class SessionNotFound(RequestError):
    """No session with this id exists in the store."""

    error_code = "session_not_found"

    def __init__(self, session_id: str | None, *, message: str | None = None) -> None:
        super().__init__(
            message or f"No session {session_id!r} in this store.",
            session_id=session_id,
            next_step="list_sessions",
        )


class UnknownQuery(RequestError):
    """The query id was never issued by this session."""

    error_code = "unknown_query"


class AlreadyAnswered(RequestError):
    """The query already has an answer; answers are never applied twice."""

    error_code = "already_answered"


class AmbiguousQuery(RequestError):
    """Several queries are pending and the answer named none of them."""

    error_code = "ambiguous_query"


class SessionFinished(RequestError):
    """The session is terminal (completed, failed or cancelled) and accepts nothing more."""

    error_code = "session_finished"
    default_next_step = "read_status"


class StrategyNotFound(RequestError):
    """No strategy package of this name is on the package search path."""

    error_code = "strategy_not_found"
    default_next_step = "list_strategies"


class PackageNotFound(RequestError):
    """No installed or linked package of this name in the scope the request named."""

    error_code = "package_not_found"
    default_next_step = "list_packages"


class InstallFailed(RequestError):
    """A package operation (install, remove, link, scaffold) could not be carried out; it was
    staged aside, so nothing on disk changed. The message names the cause and the fix."""

    error_code = "install_failed"


class MissingExtra(RequestError):
    """The request needs an optional extra of alc that is not installed (``eval``, ``openai``,
    ``local``, ``postgres``). Raised before any work is done; nothing was applied.

    Attributes:
        extra: the extra's name (``"eval"``).
        modules: the import names found missing (``["scipy"]``).
        install: the shell command that installs the extra for this installation of alc
            (``pip install -e '/src/alc[eval]'``; :func:`alc._extras.install_command`).
    """

    error_code = "missing_extra"
    default_next_step = "install_extra"

    def __init__(self, message: str, *, extra: str, modules: list[str], install: str) -> None:
        super().__init__(message)
        self.extra = extra
        self.modules = list(modules)
        self.install = install

    def to_wire(self) -> dict[str, Any]:
        """The error object plus ``extra`` (name), ``modules`` (missing imports) and
        ``install`` (the command to run)."""
        wire = super().to_wire()
        wire.update(extra=self.extra, modules=self.modules, install=self.install)
        return wire


class CardNotFound(RequestError):
    """No card with this id (or no alias of this name) in the store."""

    error_code = "card_not_found"


class CardImmutable(RequestError):
    """Cards are immutable: the id, an appended key or the card's samples exist already."""

    error_code = "card_immutable"


class CardTooLarge(RequestError):
    """A card body, a sample row or a card's samples are over their bounds (docs/cards.md)."""

    error_code = "card_too_large"


class Conflict(RequestError):
    """Another process (or task) advanced the session between our read and our write."""

    error_code = "conflict"
    default_next_step = "read_status"


class RateLimited(RequestError):
    """The request would go past its tenant's share of the process executor (steps at once,
    step-seconds per minute), or every worker stayed busy for the queue's wait; nothing was
    applied. Send it again after ``retry_after`` seconds (docs/operations.md, "Scheduling").

    Attributes:
        retry_after: seconds to wait before retrying (a float, at least 0.1).
    """

    error_code = "rate_limited"
    default_next_step = "retry"

    def __init__(self, message: str, *, retry_after: float, session_id: str | None = None) -> None:
        super().__init__(message, session_id=session_id)
        self.retry_after = max(0.1, round(retry_after, 1))

    def to_wire(self) -> dict[str, Any]:
        """As :meth:`AlcError.to_wire`, plus ``"retry_after"`` (seconds)."""
        return {**super().to_wire(), "retry_after": self.retry_after}


class StoreUnavailable(AlcError):
    """The session store cannot be opened, read or written (bad path, permissions, a file that is
    not an alc store, disk full). Nothing was applied; fix the store and retry."""

    error_code = "store_unavailable"
    default_next_step = "fix_store"


class ExecutorUnavailable(AlcError):
    """The process executor could not keep a worker alive long enough to serve the request
    (workers died repeatedly). Nothing was applied; retry."""

    error_code = "executor_unavailable"
    default_next_step = "retry"


class SessionError(AlcError):
    """The session failed. Normally reported as a ``Failed`` outcome rather than raised."""

    error_code = "session_error"


class LuaError(SessionError):
    """The strategy raised a Lua error (the message includes the Lua traceback)."""

    error_code = "lua_error"


class BudgetExceeded(SessionError):
    """An ``alc.llm`` call would exceed ``ctx.budget``."""

    error_code = "budget_exceeded"


class StateQuotaExceeded(SessionError):
    """An ``alc.state`` write would pass the namespace's or the tenant's quota (bytes or keys;
    ``alc.engine.store._quota``). Inside a strategy it is a Lua error whose message starts with
    ``state_quota_exceeded:`` (catchable with ``pcall``); uncaught, the session fails with this
    code. Nothing was written."""

    error_code = "state_quota_exceeded"


class LimitExceeded(SessionError):
    """A per-step sandbox limit was broken; see the two subclasses."""

    error_code = "limit_exceeded"


class TimeLimitExceeded(LimitExceeded):
    """A step ran more Lua instructions, or longer, than ``Limits`` allow."""

    error_code = "timeout"


class MemoryLimitExceeded(LimitExceeded):
    """The session's Lua VM needed more memory than ``Limits.max_memory``."""

    error_code = "memory_limit"


class ReplayDiverged(SessionError):
    """Restoring a session re-ran its code and the code asked for something else than recorded."""

    error_code = "replay_diverged"
    default_next_step = "start_new_session"


class SourceChanged(SessionError):
    """The session's pinned source can no longer be found, so it cannot be replayed faithfully."""

    error_code = "source_changed"
    default_next_step = "start_new_session"
