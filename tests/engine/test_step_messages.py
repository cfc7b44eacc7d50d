"""The typed step messages: boot.lua's step protocol read into step result classes, and the
supervisor <-> worker messages across a real pipe."""

from __future__ import annotations

import dataclasses
import multiprocessing
import time
from typing import Any

import pytest

from alc.engine.executor import _messages
from alc.engine.executor._worker import send
from alc.engine.executor.process import ProcessExecutor
from alc.engine.lua import (
    HOOK_EVERY,
    Allowance,
    Done,
    Errored,
    Forked,
    ForkRequest,
    LimitHit,
    LuaVM,
    QuerySpec,
    Seeds,
    Yield,
)
from alc.engine.protocol import Limits

LIMITS = Limits(max_memory=32 * 1024 * 1024, max_instructions=2_000_000, max_step_seconds=5.0)


def _vm(code: str, ctx: Any = None) -> LuaVM:
    vm = LuaVM(object(), LIMITS, Seeds(1, 2))  # type: ignore[arg-type]  # no host call made
    vm.start_code(code, ctx or {})
    return vm


# ---------------------------------------------------------------- boot.lua's step protocol


def test_control_step_returns_the_documented_shapes() -> None:
    """The raw values of control.step (boot.lua's header) for a fork, a yield and a limit."""
    vm = _vm(
        "alc.fork({'a', 'b'}, {x = 1}, {on_error = 'fail'})\n"
        "alc.llm('p', {system = 's', max_tokens = 7, grounded = true, underspecified = true})\n"
        "while true do end"
    )
    deadline = time.monotonic() + 5
    ticks, kind, *rest = vm._step(deadline, 100, True)
    assert (kind, rest) == (b"fork", [b'["a","b"]', b'{"x":1}', b"abort"])
    assert isinstance(ticks, int)
    ticks, kind, *rest = vm._step(deadline, 100, True, vm.to_lua([]))
    assert (kind, rest) == (b"yield", [b"p", b"s", 7, 3, None])  # flags: 1 | 2
    ticks, kind, *rest = vm._step(deadline, 3, True, b"answer")
    assert (kind, rest[0]) == (b"limit", b"timeout") and ticks > 3
    assert b"instruction limit" in rest[1]


def test_a_fork_is_a_forked_step_even_from_a_nested_coroutine() -> None:
    vm = _vm(
        "local co = coroutine.wrap(function() return alc.fork({'child'}, ctx) end)\nreturn co()",
        {"depth": 2},
    )
    result = vm.step()
    assert isinstance(result, Forked)
    assert result.request == ForkRequest(strategies=("child",), ctx={"depth": 2}, on_error="skip")
    assert result.instructions >= 0 and result.memory > 0
    done = vm.step_value([{"strategy": "child", "ok": True, "result": 1}])
    assert isinstance(done, Done) and done.result == [
        {"strategy": "child", "ok": True, "result": 1}
    ]


def test_queries_are_read_from_groups_of_five() -> None:
    vm = _vm(
        "return alc.llm_batch({'plain', {prompt = 'rich', system = 'sys', max_tokens = 9,"
        " grounded = true, role = 'critic', cache_breakpoint = 'b1', temperature = 0.5}})"
    )
    match vm.step():
        case Yield((plain, rich)):
            pass
        case other:
            pytest.fail(f"not a yield of two queries: {other!r}")
    assert plain == QuerySpec("plain", None, 1024, False, False, {})
    assert rich == QuerySpec(
        "rich", "sys", 9, True, False, {"temperature": 0.5}, role="critic", cache_breakpoint="b1"
    )
    done = vm.step(["x", "y"])
    assert isinstance(done, Done) and done.result == ["x", "y"]


def test_limits_are_limit_hits_with_what_they_spent() -> None:
    vm = _vm("while true do end")
    allowance = Allowance(time.monotonic() + 5, 5 * HOOK_EVERY, LIMITS.max_memory)
    result = vm.step((), allowance)
    assert isinstance(result, LimitHit) and result.code == "timeout"
    assert result.instructions > 5 * HOOK_EVERY and result.memory > 0

    vm = _vm("local t = {} for i = 1, 1e9 do t[i] = string.rep('x', 1000) .. i end")
    result = vm.step()
    assert isinstance(result, LimitHit) and result.code == "memory_limit"
    assert "memory limit of 32.0 MiB" in result.message


def test_failures_are_errored() -> None:
    result = _vm("error({message = 'structured', code = 7})").step()
    assert isinstance(result, Errored)
    assert (result.message, result.value) == ("structured", {"message": "structured", "code": 7})
    result = _vm("local function f() error('kaputt') end f()").step()
    assert isinstance(result, Errored) and "kaputt" in result.message
    assert "stack traceback" in result.traceback and result.value is None
    result = _vm("return print").step()  # a result JSON cannot hold
    assert isinstance(result, Errored)
    assert result.message.startswith("the strategy's result cannot be returned as JSON")


def test_step_results_are_frozen() -> None:
    result = _vm("return 1").step()
    assert result == Done(1, instructions=result.instructions, memory=result.memory)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.result = 2  # type: ignore[misc]
    assert not hasattr(result, "__dict__")  # slots: no per-instance dict


# ---------------------------------------------------------------- the pipe


def _samples() -> list[Any]:
    allowance = Allowance(123.5, 1_000_000, 1 << 20)
    query = QuerySpec("p", "s", 5, True, False, {"t": [1, {"u": None}]}, "critic", "b")
    deep: Any = "leaf"
    for _ in range(500):  # as deep as the engine lets a value be
        deep = [deep]
    return [
        _messages.NewVM(1, Limits().model_dump(), Seeds(3, 4)),
        _messages.NewVM(
            1, Limits().model_dump(), Seeds(3, 4), _messages.StartStrategy(1, "cot", {})
        ),
        _messages.StartCode(2, "return 1", {"k": "é"}, "=code"),
        _messages.StartStrategy(3, "cot", {"task": "t"}),
        _messages.Step(4, allowance, ["a", "b\udcff"]),
        _messages.Step(4, allowance, value={"budget_exceeded": "no"}, by_value=True),
        _messages.Step(5, allowance, value=deep, by_value=True),
        _messages.CloseVMs([1, 2, 3]),
        _messages.HostReturn(True, {"now": 1.5}),
        _messages.HostReturn(False, "refused"),
        _messages.HostCall("state", ("get", "k")),
        _messages.Raised("SyntaxError", "near 'x'"),
        _messages.Lost("worker_lost"),
        _messages.READY,
        Yield((query, query), instructions=10_000, memory=4096),
        Forked(ForkRequest(("a", "b"), {"x": 1}, "abort"), memory=1),
        Done(deep),
        Errored("boom", "trace", {"code": 7}, instructions=1),
        LimitHit("memory_limit", "too big", memory=1 << 25),
        LimitHit("cancelled", "stopped"),
    ]


def test_the_samples_cover_every_message_class() -> None:
    declared = {
        obj
        for obj in vars(_messages).values()
        if isinstance(obj, type)
        and dataclasses.is_dataclass(obj)
        and obj.__module__ == _messages.__name__
    }
    declared |= {Yield, Forked, Done, Errored, LimitHit}
    assert declared == {type(sample) for sample in _samples()}


@pytest.mark.parametrize("message", _samples(), ids=lambda m: type(m).__name__)
def test_every_message_round_trips_through_the_pipe(message: Any) -> None:
    ours, theirs = multiprocessing.Pipe(duplex=True)
    try:
        send(ours, message)  # deep values take send's raised recursion limit
        got = theirs.recv()
    finally:
        ours.close()
        theirs.close()
    assert type(got) is type(message) and got == message


def test_step_results_cross_a_real_worker_unchanged() -> None:
    """The process executor's worker sends the same classes the inline VM returns."""
    executor = ProcessExecutor(workers=1, start_method="fork")
    try:
        remote = executor.create_vm(object(), LIMITS, Seeds(1, 2))  # type: ignore[arg-type]
        remote.start_code("alc.fork({'a'}, {y = true}) alc.llm('q') while true do end", {})
        forked = remote.step()
        assert isinstance(forked, Forked)
        assert forked.request == ForkRequest(("a",), {"y": True}, "skip")
        paused = remote.step_value([])
        assert isinstance(paused, Yield) and paused.queries[0].prompt == "q"
        allowance = Allowance(time.monotonic() + 5, 3 * HOOK_EVERY, LIMITS.max_memory)
        limit = remote.step(["a"], allowance)
        assert isinstance(limit, LimitHit) and limit.code == "timeout"
    finally:
        executor.close()
