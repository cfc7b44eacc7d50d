"""alc: a pausable engine for LLM reasoning strategies written in Lua.

A strategy calls ``alc.llm(prompt)``; the engine pauses it and hands the query to whoever drives
the session (you, an MCP host, a CLI user, a responder); the answer resumes it. Sessions are
journaled, so they continue in another process and survive crashes.

Everyday API::

    import alc
    engine = alc.Engine()                       # or alc.Engine(store="sessions.db")
    out = engine.start(code="return {answer = alc.llm('2+2?')}")
    out = engine.feed(out.session_id, "4")      # -> alc.Completed(result={"answer": "4"})
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the static view of the lazy exports below
    from alc._api import Answer, AsyncEngine, Engine
    from alc.engine import __version__
    from alc.engine.context import RequestContext
    from alc.engine.errors import (
        AlcError,
        AlreadyAnswered,
        AmbiguousQuery,
        BudgetExceeded,
        Conflict,
        ExecutorUnavailable,
        InvalidInput,
        LimitExceeded,
        LuaError,
        MemoryLimitExceeded,
        ReplayDiverged,
        RequestError,
        SessionError,
        SessionFinished,
        SessionNotFound,
        SourceChanged,
        StoreUnavailable,
        StrategyNotFound,
        TimeLimitExceeded,
        UnknownQuery,
    )
    from alc.engine.protocol import (
        Accepted,
        Cancelled,
        Completed,
        Failed,
        Limits,
        NeedsResponse,
        Outcome,
        Query,
        Response,
        SessionSnapshot,
        SessionState,
        Usage,
    )
    from alc.engine.store import MemoryStore, SQLiteStore, Store

_SOURCES: dict[str, str] = {
    "Answer": "alc._api",
    "AsyncEngine": "alc._api",
    "Engine": "alc._api",
    "__version__": "alc.engine",
    "RequestContext": "alc.engine.context",
    "AlcError": "alc.engine.errors",
    "AlreadyAnswered": "alc.engine.errors",
    "AmbiguousQuery": "alc.engine.errors",
    "BudgetExceeded": "alc.engine.errors",
    "Conflict": "alc.engine.errors",
    "ExecutorUnavailable": "alc.engine.errors",
    "InvalidInput": "alc.engine.errors",
    "LimitExceeded": "alc.engine.errors",
    "LuaError": "alc.engine.errors",
    "MemoryLimitExceeded": "alc.engine.errors",
    "ReplayDiverged": "alc.engine.errors",
    "RequestError": "alc.engine.errors",
    "SessionError": "alc.engine.errors",
    "SessionFinished": "alc.engine.errors",
    "SessionNotFound": "alc.engine.errors",
    "SourceChanged": "alc.engine.errors",
    "StoreUnavailable": "alc.engine.errors",
    "StrategyNotFound": "alc.engine.errors",
    "TimeLimitExceeded": "alc.engine.errors",
    "UnknownQuery": "alc.engine.errors",
    "Accepted": "alc.engine.protocol",
    "Cancelled": "alc.engine.protocol",
    "Completed": "alc.engine.protocol",
    "Failed": "alc.engine.protocol",
    "Limits": "alc.engine.protocol",
    "NeedsResponse": "alc.engine.protocol",
    "Outcome": "alc.engine.protocol",
    "Query": "alc.engine.protocol",
    "Response": "alc.engine.protocol",
    "SessionSnapshot": "alc.engine.protocol",
    "SessionState": "alc.engine.protocol",
    "Usage": "alc.engine.protocol",
    "MemoryStore": "alc.engine.store",
    "SQLiteStore": "alc.engine.store",
    "Store": "alc.engine.store",
}
"""Where each export is defined (imported on first access)."""

__all__ = [
    "Accepted",
    "AlcError",
    "AlreadyAnswered",
    "AmbiguousQuery",
    "Answer",
    "AsyncEngine",
    "BudgetExceeded",
    "Cancelled",
    "Completed",
    "Conflict",
    "Engine",
    "ExecutorUnavailable",
    "Failed",
    "InvalidInput",
    "LimitExceeded",
    "Limits",
    "LuaError",
    "MemoryLimitExceeded",
    "MemoryStore",
    "NeedsResponse",
    "Outcome",
    "Query",
    "ReplayDiverged",
    "RequestContext",
    "RequestError",
    "Response",
    "SQLiteStore",
    "SessionError",
    "SessionFinished",
    "SessionNotFound",
    "SessionSnapshot",
    "SessionState",
    "SourceChanged",
    "Store",
    "StoreUnavailable",
    "StrategyNotFound",
    "TimeLimitExceeded",
    "UnknownQuery",
    "Usage",
    "__version__",
]


def __getattr__(name: str) -> Any:
    """Import an export on first access (PEP 562), so ``import alc.cli`` stays light.

    Raises:
        AttributeError: ``name`` is not an export of ``alc``.
    """
    source = _SOURCES.get(name)
    if source is None:
        raise AttributeError(f"module 'alc' has no attribute {name!r}")
    value = getattr(importlib.import_module(source), name)
    if isinstance(value, type):
        value.__module__ = "alc"
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
