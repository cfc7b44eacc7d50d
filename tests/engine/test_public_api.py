"""The public face: a sorted, complete __all__ whose classes report the public module."""

from __future__ import annotations

import alc

EXPECTED = [
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


def test_exports_do_not_drift() -> None:
    assert alc.__all__ == EXPECTED
    assert sorted(alc.__all__, key=str.lower) == sorted(EXPECTED, key=str.lower)


def test_exported_classes_report_the_public_module() -> None:
    for name in alc.__all__:
        obj = getattr(alc, name)
        if isinstance(obj, type):
            assert obj.__module__ == "alc", name


def test_every_error_has_a_code() -> None:
    codes = {
        getattr(alc, n).error_code
        for n in alc.__all__
        if isinstance(getattr(alc, n), type) and issubclass(getattr(alc, n), alc.AlcError)
    }
    assert {
        "invalid_input",
        "session_not_found",
        "unknown_query",
        "already_answered",
        "ambiguous_query",
        "session_finished",
        "conflict",
        "lua_error",
        "budget_exceeded",
        "timeout",
        "memory_limit",
        "replay_diverged",
        "source_changed",
    } <= codes


def test_a_failure_becomes_its_typed_exception() -> None:
    engine = alc.Engine()
    lua = engine.start(code="error('x')")
    limit = engine.start(code="while true do end", limits={"max_instructions": 1000})
    budget = engine.start(code="alc.llm('a')", ctx={"budget": {"max_llm_calls": 0}})
    assert isinstance(lua, alc.Failed) and isinstance(lua.exception(), alc.LuaError)
    assert isinstance(limit, alc.Failed) and isinstance(limit.exception(), alc.TimeLimitExceeded)
    assert isinstance(budget, alc.Failed) and isinstance(budget.exception(), alc.BudgetExceeded)
    other = alc.Failed(session_id="s-" + "0" * 32, error="gone", error_code="worker_lost")
    error = other.exception()
    assert type(error) is alc.SessionError and error.error_code == "worker_lost"
