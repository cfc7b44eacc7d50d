"""Lua errors as outcomes, JSON <-> Lua conversion, budgets."""

from __future__ import annotations

import json

import alc


def test_lua_error_is_failed_with_traceback(engine: alc.Engine) -> None:
    out = engine.start(code="local function f() error('kaputt') end\nf()")
    assert isinstance(out, alc.Failed)
    assert out.error_code == "lua_error"
    assert "kaputt" in out.error and "stack traceback" in out.error
    wire = json.loads(out.to_json())
    assert set(wire) == {"error", "error_code", "session_id", "status"}
    assert wire["status"] == "error"


def test_table_error_objects_are_readable(engine: alc.Engine) -> None:
    out = engine.start(code="error({message='structured failure', code=7})")
    assert isinstance(out, alc.Failed) and out.error.startswith("structured failure")
    out = engine.start(code="error({code=7})")
    assert isinstance(out, alc.Failed) and '"code": 7' in out.error
    out = engine.start(code="error(setmetatable({}, {__tostring=function() return 'custom' end}))")
    assert isinstance(out, alc.Failed)


def test_lua_error_after_resume_never_raises(engine: alc.Engine) -> None:
    out = engine.start(code="local a = alc.llm('x') return a.field.missing")
    done = engine.feed(out.session_id, "y")
    assert isinstance(done, alc.Failed) and done.error_code == "lua_error"


def test_null_arrays_integers_roundtrip(engine: alc.Engine) -> None:
    code = """
    local v = alc.json_decode('{"a":null,"b":[],"c":{},"d":[1,2.0,3],"e":9007199254740993}')
    assert(v.a == nil, 'null becomes nil (algocline >= 0.44.3)')
    assert(math.type(v.d[1]) == 'integer' and math.type(v.d[2]) == 'float')
    return {text = alc.json_encode(v), value = v}
    """
    out = engine.start(code=code)
    assert isinstance(out, alc.Completed), out
    assert out.result["text"] == '{"b":[],"c":{},"d":[1,2.0,3],"e":9007199254740993}'
    assert out.result["value"] == {"b": [], "c": {}, "d": [1, 2.0, 3], "e": 9007199254740993}


def test_ctx_values_arrive_typed(engine: alc.Engine) -> None:
    code = "return {math.type(ctx.n), ctx.list[2], ctx.nested.x == nil, #ctx.empty}"
    out = engine.start(code=code, ctx={"n": 3, "list": ["a", "b"], "nested": {"x": None},
                                       "empty": []})
    assert isinstance(out, alc.Completed)
    assert out.result == ["integer", "b", True, 0]


def test_json_encode_refuses_functions_and_cycles(engine: alc.Engine) -> None:
    out = engine.start(code="return alc.json_encode({f = print})")
    assert isinstance(out, alc.Failed) and "cannot encode a function" in out.error
    out = engine.start(code="local t = {} t.self = t return alc.json_encode(t)")
    assert isinstance(out, alc.Failed) and "cyclic" in out.error
    out = engine.start(code="return pcall(alc.json_decode, '{bad')")
    assert isinstance(out, alc.Completed)


def test_invalid_utf8_from_byte_slicing_is_carried(engine: alc.Engine) -> None:
    out = engine.start(code="local s = ('héllo wörld'):sub(1, 2) print(s) return alc.llm(s)")
    assert isinstance(out, alc.NeedsResponse)
    assert out.prompt == "h\ufffd"
    assert "h\ufffd" in out.to_json()
    done = engine.feed(out.session_id, "ok")
    assert isinstance(done, alc.Completed)
    out = engine.start(code="return {('é'):sub(1,1)}")
    assert isinstance(out, alc.Completed) and out.result == ["\ufffd"]


def test_budget_max_llm_calls(engine: alc.Engine) -> None:
    code = "for i = 1, 10 do alc.llm('q' .. i) end"
    out = engine.start(code=code, ctx={"budget": {"max_llm_calls": 2}})
    out = engine.feed(out.session_id, "a")
    assert isinstance(out, alc.NeedsResponse)
    snap_budget = engine.start(
        code="return alc.budget_remaining()", ctx={"budget": {"max_llm_calls": 2}}
    )
    assert isinstance(snap_budget, alc.Completed)
    assert snap_budget.result == {"llm_calls": 2}
    out = engine.feed(out.session_id, "b")
    assert isinstance(out, alc.Failed) and out.error_code == "budget_exceeded"
    assert "max_llm_calls" in out.error


def test_budget_cannot_be_swallowed_by_pcall(engine: alc.Engine) -> None:
    code = "local ok = pcall(alc.llm_batch, {'a','b','c'}) return alc.llm('after')"
    out = engine.start(code=code, ctx={"budget": {"max_llm_calls": 2}})
    assert isinstance(out, alc.Failed) and out.error_code == "budget_exceeded"


def test_budget_max_tokens(engine: alc.Engine) -> None:
    out = engine.start(code="return alc.llm(string.rep('x', 400))",
                       ctx={"budget": {"max_tokens": 50}})
    assert isinstance(out, alc.Failed) and out.error_code == "budget_exceeded"


def test_budget_in_stats(engine: alc.Engine) -> None:
    out = engine.start(code="return alc.llm('x')", ctx={"budget": {"max_llm_calls": 5}})
    done = engine.feed(out.session_id, "y")
    assert isinstance(done, alc.Completed)
    assert done.stats["auto"]["budget"]["remaining"] == {"llm_calls": 4}


def test_lua_54_selectable(engine: alc.Engine) -> None:
    out = engine.start(code="return _VERSION", limits={"lua_version": "5.4"})
    assert isinstance(out, alc.Completed) and out.result == "Lua 5.4"
    out = engine.start(code="return _VERSION")
    assert isinstance(out, alc.Completed) and out.result == "Lua 5.5"


def test_language_features_strategies_use(engine: alc.Engine) -> None:
    code = """
    local t = {table.unpack({1, 2, 3})}
    for i = 1, 3 do if i == 2 then goto continue end t[#t + 1] = i ::continue:: end
    io.stderr:write('warned\\n')
    return {#t, 7 // 2, 6 & 3, 1 << 4, os.getenv('TEST_VAR'), os.getenv('HOME') == nil,
            type(os.time()), type(os.date('%Y'))}
    """
    import os

    os.environ["ALC_ENV_TEST_VAR"] = "visible"  # an operator's grant (alc.engine.host.lua_env)
    try:
        out = engine.start(code=code)
    finally:
        del os.environ["ALC_ENV_TEST_VAR"]
    assert isinstance(out, alc.Completed), out
    assert out.result[:5] == [5, 3, 2, 16, "visible"]
    assert out.result[5:] == [True, "number", "string"]  # HOME is not allow-listed: hidden


def test_results_that_are_not_json_fail_cleanly(engine: alc.Engine) -> None:
    for code in ("return print", "local t = {} t.t = t return t", "return {[{}] = 1}"):
        out = engine.start(code=code)
        assert isinstance(out, alc.Failed), code
        assert out.error_code == "lua_error"
        assert "cannot be returned as JSON" in out.error
    out = engine.start(code="alc.llm('q') return coroutine.create(print)")
    failed = engine.feed(out.session_id, "a")
    assert isinstance(failed, alc.Failed) and "cannot be returned as JSON" in failed.error


def test_nan_and_infinity_become_null(engine: alc.Engine) -> None:
    out = engine.start(code="return 0/0")
    assert isinstance(out, alc.Completed) and out.result is None
    assert '"result":null' in out.to_json()
    out = engine.start(code="return {a = math.huge, b = -math.huge, c = 0/0, d = 1.5}")
    assert isinstance(out, alc.Completed)
    assert out.result == {"a": None, "b": None, "c": None, "d": 1.5}


def test_elapsed_budget_uses_the_engine_clock() -> None:
    from alc.testing import FakeClock

    clock = FakeClock()
    engine = alc.Engine(clock=clock)
    out = engine.start(code="alc.llm('a') return alc.llm('b')",
                       ctx={"budget": {"max_elapsed_ms": 5000}})
    clock.advance(2)
    out = engine.feed(out.session_id, "x")
    assert isinstance(out, alc.NeedsResponse)
    clock.advance(10)
    done = engine.feed(out.session_id, "y")
    assert isinstance(done, alc.Completed)  # the budget is checked at alc.llm, not at return
    out = engine.start(code="for i = 1, 3 do alc.llm('q' .. i) end",
                       ctx={"budget": {"max_elapsed_ms": 5000}})
    clock.advance(6)
    failed = engine.feed(out.session_id, "x")
    assert isinstance(failed, alc.Failed) and failed.error_code == "budget_exceeded"
    assert "max_elapsed_ms" in failed.error
