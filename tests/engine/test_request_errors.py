"""Every request error has its stable code and applies nothing."""

from __future__ import annotations

import pytest

import alc


def paused_batch(engine: alc.Engine) -> str:
    out = engine.start(code="return alc.llm_batch({'a', 'b'})")
    return out.session_id


def test_session_not_found(engine: alc.Engine) -> None:
    with pytest.raises(alc.SessionNotFound) as info:
        engine.feed("s-" + "0" * 32, "x")
    assert info.value.error_code == "session_not_found"
    assert info.value.to_wire()["error_code"] == "session_not_found"


@pytest.mark.parametrize("bad", ["nope", "s-123", "../../etc/passwd", "s-" + "G" * 32, ""])
def test_malformed_session_id_is_invalid_input(engine: alc.Engine, bad: str) -> None:
    with pytest.raises(alc.InvalidInput) as info:
        engine.feed(bad, "x")
    assert info.value.error_code == "invalid_input"


def test_unknown_query(engine: alc.Engine) -> None:
    sid = paused_batch(engine)
    with pytest.raises(alc.UnknownQuery) as info:
        engine.feed(sid, "x", query_id="q-9")
    assert info.value.error_code == "unknown_query"
    assert "q-0" in str(info.value)


def test_ambiguous_query(engine: alc.Engine) -> None:
    sid = paused_batch(engine)
    with pytest.raises(alc.AmbiguousQuery) as info:
        engine.feed(sid, "x")
    assert info.value.error_code == "ambiguous_query"


def test_already_answered_in_partial_batch_and_stale_pause(engine: alc.Engine) -> None:
    sid = paused_batch(engine)
    engine.feed(sid, "A", query_id="q-0")
    with pytest.raises(alc.AlreadyAnswered) as info:
        engine.feed(sid, "again", query_id="q-0")
    assert info.value.error_code == "already_answered"
    # a stale answer to an earlier pause can never be applied to a newer one
    out = engine.start(code="alc.llm('1') alc.llm('2')")
    engine.feed(out.session_id, "first")
    with pytest.raises(alc.AlreadyAnswered):
        engine.feed(out.session_id, "stale", query_id="q-0")


def test_failed_request_applies_nothing(engine: alc.Engine) -> None:
    sid = paused_batch(engine)
    with pytest.raises(alc.UnknownQuery):
        engine.feed(sid, responses={"q-0": "A", "q-7": "?"})
    done = engine.feed(sid, responses={"q-0": "A", "q-1": "B"})
    assert isinstance(done, alc.Completed) and done.result == ["A", "B"]


def test_session_finished(engine: alc.Engine) -> None:
    out = engine.start(code="return alc.llm('x')")
    engine.feed(out.session_id, "y")
    with pytest.raises(alc.SessionFinished) as info:
        engine.feed(out.session_id, "z")
    assert info.value.error_code == "session_finished"


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"code": "return 1", "strategy": "cot"},
        {"code": "return (", "ctx": None},
        {"code": "return 1", "ctx": ["not", "an", "object"]},
        {"code": "return 1", "limits": {"max_memory": -1}},
        {"code": "return 1", "ctx": {"budget": {"max_llm_calls": "lots"}}},
    ],
)
def test_invalid_input_on_start(engine: alc.Engine, kwargs: dict[str, object]) -> None:
    with pytest.raises(alc.InvalidInput) as info:
        engine.start(**kwargs)  # type: ignore[arg-type]
    assert info.value.error_code == "invalid_input"


def test_invalid_feed_arguments(engine: alc.Engine) -> None:
    sid = paused_batch(engine)
    with pytest.raises(alc.InvalidInput):
        engine.feed(sid)
    with pytest.raises(alc.InvalidInput):
        engine.feed(sid, 42)  # type: ignore[arg-type]


def test_strategy_not_found(engine: alc.Engine) -> None:
    with pytest.raises(alc.StrategyNotFound) as info:
        engine.start(strategy="no_such_strategy_here")
    assert info.value.error_code == "strategy_not_found"
    with pytest.raises(alc.StrategyNotFound):
        engine.start(strategy="../etc")


def test_error_hierarchy() -> None:
    for cls in (
        alc.InvalidInput,
        alc.SessionNotFound,
        alc.UnknownQuery,
        alc.AlreadyAnswered,
        alc.AmbiguousQuery,
        alc.SessionFinished,
        alc.StrategyNotFound,
        alc.Conflict,
    ):
        assert issubclass(cls, alc.RequestError)
    for cls in (
        alc.LuaError,
        alc.BudgetExceeded,
        alc.TimeLimitExceeded,
        alc.MemoryLimitExceeded,
        alc.ReplayDiverged,
        alc.SourceChanged,
    ):
        assert issubclass(cls, alc.SessionError)
    assert alc.TimeLimitExceeded.error_code == "timeout"
    assert alc.MemoryLimitExceeded.error_code == "memory_limit"


def test_answers_and_ctx_must_be_valid_unicode_json(db) -> None:  # type: ignore[no-untyped-def]
    engine = alc.Engine(store=db)
    out = engine.start(code="return alc.llm('q')")
    with pytest.raises(alc.InvalidInput, match="lone surrogate"):
        engine.feed(out.session_id, "bad \ud800")
    done = engine.feed(out.session_id, "good")  # nothing was applied by the bad request
    assert isinstance(done, alc.Completed) and done.result == "good"
    for ctx in ({"x": "y\udcff"}, {"x": object()}, {"x": float("nan")}):
        with pytest.raises(alc.InvalidInput, match="plain JSON"):
            engine.start(code="return 1", ctx=ctx)
