"""Issue 13, class 5: every failure is a coded outcome, never a raw exception."""

from __future__ import annotations

import pytest
from _isolation import (
    DEEP_RESULT,
    GSUB_REPLACED,
    PCALL_DECODE,
    TOSTRING_BOOM,
    completed,
    failed,
)

import alc


def test_error_object_whose_tostring_fails(engine: alc.Engine) -> None:
    failed(engine.start(code=TOSTRING_BOOM), "lua_error")


def test_replaced_gsub_does_not_corrupt_the_encoder(engine: alc.Engine) -> None:
    completed(engine.start(code=GSUB_REPLACED), {"a": "b"})


def test_result_nested_too_deep(engine: alc.Engine) -> None:
    message = failed(engine.start(code=DEEP_RESULT), "lua_error")["error"]
    assert "nested deeper than 500" in message


@pytest.mark.parametrize(
    "code",
    [
        "local t = {} local c = t for i = 1, 3000 do c.k = {} c = c.k end error(t)",
        "local t = {} local c = t for i = 1, 3000 do c[1] = {} c = c[1] end alc.llm(t)",
        "local t = {} local c = t for i = 1, 3000 do c[1] = {} c = c[1] end "
        "return alc.json_encode(t)",
        "local t = {} t[1] = t return t",
        "local t = {} t.self = t error(t)",
    ],
    ids=["deep-error", "deep-prompt", "deep-json-encode", "cyclic-result", "cyclic-error"],
)
def test_unencodable_values(engine: alc.Engine, code: str) -> None:
    failed(engine.start(code=code), "lua_error")


def test_host_exception_reaches_lua_as_a_string(engine: alc.Engine) -> None:
    completed(engine.start(code=PCALL_DECODE), {"ok": False, "t": "string"})


@pytest.mark.parametrize(
    "call",
    [
        'alc.json_decode("{")',
        "alc.json_decode(1)",
        "alc.match_enum(nil, nil)",
        "alc.math.permutations('x')",
        "alc.state.get({})",
        "alc.llm(setmetatable({}, {__tostring = function() return 'p' end}))",
    ],
)
def test_primitive_errors_are_strings(engine: alc.Engine, call: str) -> None:
    code = f"local ok, e = pcall(function() return {call} end) return {{ok = ok, t = type(e)}}"
    completed(engine.start(code=code), {"ok": False, "t": "string"})


def test_engine_serves_after_the_escapes(engine: alc.Engine) -> None:
    out = engine.start(code="return alc.llm('still here')")
    completed(engine.feed(out.session_id, "yes"), "yes")


def test_too_many_clock_reads_caught_by_the_strategy() -> None:
    engine = alc.Engine(executor="inline")
    try:
        code = "local ok = pcall(function() for i = 1, 100001 do os.clock() end end) return ok"
        out = engine.start(code=code, limits={"max_step_seconds": 30})
        assert out.wire()["status"] in ("completed", "error")
    finally:
        engine.close()
