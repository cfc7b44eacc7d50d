"""Per-session limits: each breach fails only that session, with a coded error."""

from __future__ import annotations

import alc


def other_sessions_still_work(engine: alc.Engine, paused: str) -> None:
    done = engine.feed(paused, "fine")
    assert isinstance(done, alc.Completed) and done.result == "fine"
    fresh = engine.start(code="return 1 + 1")
    assert isinstance(fresh, alc.Completed) and fresh.result == 2


def test_memory_limit(engine: alc.Engine) -> None:
    bystander = engine.start(code="return alc.llm('x')").session_id
    code = "local t = {} for i = 1, 1e8 do t[i] = string.rep('x', 64) .. i end"
    out = engine.start(code=code, limits={"max_memory": 8 * 1024 * 1024})
    assert isinstance(out, alc.Failed), out
    assert out.error_code == "memory_limit" and "memory limit" in out.error
    other_sessions_still_work(engine, bystander)


def test_instruction_limit_cannot_be_swallowed_by_pcall(engine: alc.Engine) -> None:
    bystander = engine.start(code="return alc.llm('x')").session_id
    code = """
    for attempt = 1, 100 do
      pcall(function() while true do end end)
    end
    return 'escaped'
    """
    out = engine.start(code=code, limits={"max_instructions": 2_000_000})
    assert isinstance(out, alc.Failed), out
    assert out.error_code == "timeout" and "instruction limit" in out.error
    other_sessions_still_work(engine, bystander)


def test_instruction_limit_in_nested_coroutine(engine: alc.Engine) -> None:
    code = """
    local co = coroutine.wrap(function() while true do end end)
    pcall(co)
    return 'escaped'
    """
    out = engine.start(code=code, limits={"max_instructions": 1_000_000})
    assert isinstance(out, alc.Failed) and out.error_code == "timeout"


def test_wall_time_limit(engine: alc.Engine) -> None:
    out = engine.start(code="while true do end", limits={"max_step_seconds": 0.2})
    assert isinstance(out, alc.Failed) and out.error_code == "timeout"
    assert "wall-time" in out.error


def test_limit_counts_per_step(engine: alc.Engine) -> None:
    # each step gets the full allowance: 5 steps of ~1M instructions pass a 3M limit
    code = "for i = 1, 5 do local x = 0 for j = 1, 2e5 do x = x + j end alc.llm('s' .. i) end"
    out = engine.start(code=code, limits={"max_instructions": 3_000_000})
    for _ in range(5):
        assert isinstance(out, alc.NeedsResponse), out
        out = engine.feed(out.session_id, "ok")
    assert isinstance(out, alc.Completed)


def test_default_limits_allow_heavy_work(engine: alc.Engine) -> None:
    out = engine.start(code="local x = 0 for i = 1, 5e7 do x = x + i end return x")
    assert isinstance(out, alc.Completed) and out.result == 1250000025000000
