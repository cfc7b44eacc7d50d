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

from alc._api import Answer, AsyncEngine, Engine
from alc.engine import __version__
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

for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, type):
        _obj.__module__ = "alc"
del _name, _obj
