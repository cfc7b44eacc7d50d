"""Issue 13, class 1: no strategy freezes the process (a heartbeat thread keeps ticking)."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

import pytest
from _isolation import (
    GC_FINALIZER,
    JSON_DECODE_BIG,
    PAIRS_RESULT,
    TOSTRING_LOOP,
    MiB,
    completed,
    failed,
    heartbeat,
    within_contract,
)

import alc


def test_gc_finalizer_is_refused(engine: alc.Engine) -> None:
    with heartbeat():
        out = engine.start(code=GC_FINALIZER, limits={"max_step_seconds": 1})
    message = failed(out, "lua_error")["error"]
    assert "__gc" in message and "not permitted" in message


@pytest.mark.parametrize(
    ("code", "result"),
    [
        # a placeholder __gc is refused like a function
        (
            "local mt = {__gc = true} setmetatable({}, mt) "
            "mt.__gc = function() while true do end end collectgarbage() return 'survived'",
            None,
        ),
        # a __gc added after setmetatable never marks the object for finalization (Lua rule)
        (
            "local mt = {} local x = setmetatable({}, mt) "
            "mt.__gc = function() while true do end end x = nil collectgarbage() return 'survived'",
            "survived",
        ),
        # __gc found through an __index of the metatable is not a finalizer either
        (
            "local mt = setmetatable({}, {__index = function() return function() while true do end "
            "end end}) local x = setmetatable({}, mt) x = nil collectgarbage() return 'survived'",
            "survived",
        ),
    ],
    ids=["placeholder", "added-later", "via-index"],
)
def test_gc_finalizer_variants(engine: alc.Engine, code: str, result: str | None) -> None:
    with heartbeat():
        out = engine.start(code=code, limits={"max_step_seconds": 1})
    if result is None:
        assert "__gc" in failed(out, "lua_error")["error"]
    else:
        completed(out, result)


def test_no_finalizer_is_left_behind_by_a_completed_session(
    make_engine: Callable[..., alc.Engine],
) -> None:
    """The finalizer of a session that completed must not freeze the process when its VM is
    freed later (the pcall swallows the refusal; nothing is left to run)."""
    engine = make_engine()
    code = "local ok = pcall(setmetatable, {}, {__gc = function() while true do end end}) return ok"
    with heartbeat():
        completed(engine.start(code=code, limits={"max_step_seconds": 1}), False)
        engine.close()  # frees every VM
        gc.collect()
        engine = make_engine()
        completed(engine.start(code="return 2"), 2)


def test_result_pairs_metamethod_is_ignored(engine: alc.Engine) -> None:
    with heartbeat():
        out = engine.start(code=PAIRS_RESULT, limits={"max_step_seconds": 1})
    completed(out, {})


@pytest.mark.parametrize(
    "metamethod",
    [
        "__pairs",
        "__index",
        "__len",
        "__tostring",
        "__eq",
        "__newindex",
        "__name",
        "__concat",
        "__call",
        "__close",
    ],
)
def test_result_metamethods_are_never_called(engine: alc.Engine, metamethod: str) -> None:
    code = f"return {{x = setmetatable({{1}}, {{{metamethod}=function() while true do end end}})}}"
    with heartbeat():
        out = engine.start(code=code, limits={"max_step_seconds": 1})
    completed(out, {"x": [1]})


def test_error_object_tostring_loop_times_out(engine: alc.Engine) -> None:
    with heartbeat(min_ticks=10):
        start = time.monotonic()
        out = engine.start(code=TOSTRING_LOOP, limits={"max_step_seconds": 1})
        elapsed = time.monotonic() - start
    failed(out, "timeout")
    within_contract(elapsed, 1)


@pytest.mark.parametrize(
    "code",
    [
        "error(setmetatable({}, {__index=function() while true do end end}))",
        "error({message = setmetatable({}, {__tostring=function() while true do end end})})",
    ],
    ids=["index", "nested-tostring"],
)
def test_error_object_metamethods_are_never_called(engine: alc.Engine, code: str) -> None:
    with heartbeat():
        out = engine.start(code=code, limits={"max_step_seconds": 1})
    failed(out, "lua_error")


def test_large_host_result_near_the_memory_limit(engine: alc.Engine) -> None:
    """Converting a large json_decode result under a 16 MiB cap: memory_limit, never a hang."""
    with heartbeat(min_ticks=1):
        start = time.monotonic()
        out = engine.start(
            code=JSON_DECODE_BIG, limits={"max_memory": 16 * MiB, "max_step_seconds": 10}
        )
        elapsed = time.monotonic() - start
    failed(out, "memory_limit")
    within_contract(elapsed, 10)


def test_engine_serves_after_the_freeze_attacks(engine: alc.Engine) -> None:
    for code in (GC_FINALIZER, PAIRS_RESULT, TOSTRING_LOOP):
        engine.start(code=code, limits={"max_step_seconds": 0.5})
    out = engine.start(code="return alc.llm('still here')")
    completed(engine.feed(out.session_id, "yes"), "yes")
