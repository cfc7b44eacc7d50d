"""Issue 13, class 2: no strategy aborts the process (a full heap is memory_limit, never a PANIC;
VM creation never aborts; every Limits field is range-checked)."""

from __future__ import annotations

import math

import pytest
from _isolation import FILL_HEAP, MiB, completed, failed, wire

import alc


@pytest.mark.parametrize("piece", [4096, 64], ids=["4KiB-pieces", "64B-pieces"])
def test_full_heap_then_answers(engine: alc.Engine, piece: int) -> None:
    """Fill the heap to just under max_memory, pause, and push ordinary 300-char answers."""
    code = FILL_HEAP.replace('string.rep("x", 4096)', f'string.rep("x", {piece})')
    out = engine.start(code=code, limits={"max_memory": 4 * MiB})
    assert wire(out)["status"] == "needs_response", wire(out)
    sid = out.session_id
    ended = None
    for _ in range(3):
        data = wire(engine.feed(sid, "y" * 300))
        assert data["status"] in ("needs_response", "completed", "error"), data
        if data["status"] == "error":
            assert data["error_code"] == "memory_limit", data
        if data["status"] != "needs_response":
            ended = data
            break
    assert ended is not None, "three answers should end the strategy"
    if ended["status"] == "completed":
        assert isinstance(ended["result"], int) and ended["result"] > 100
    for _ in range(3):  # the session never moves again, and says so with a code
        with pytest.raises(alc.SessionFinished) as info:
            engine.feed(sid, "y" * 300)
        assert info.value.error_code == "session_finished"
    completed(engine.start(code="return 'alive'"), "alive")  # the process still serves


def test_ctx_larger_than_max_memory(engine: alc.Engine) -> None:
    out = engine.start(code="return #ctx.s", ctx={"s": "x" * (3 * MiB)}, limits={"max_memory": MiB})
    failed(out, "memory_limit")
    completed(engine.start(code="return 'alive'"), "alive")


def test_ctx_that_never_fits_even_unused(engine: alc.Engine) -> None:
    out = engine.start(code="return 1", ctx={"s": "x" * (2 * MiB)}, limits={"max_memory": MiB})
    failed(out, "memory_limit")


@pytest.mark.parametrize(
    "limits",
    [
        {"max_memory": 1000},
        {"max_memory": 1e23},
        {"max_memory": 10**23},
        {"max_memory": -1},
        {"max_memory": math.inf},
        {"max_instructions": 0},
        {"max_instructions": 10**400},
        {"max_step_seconds": 0.001},
        {"max_step_seconds": math.nan},
        {"max_step_seconds": math.inf},
        {"max_output_bytes": 10},
        {"lua_version": "5.1"},
        {"no_such_limit": 1},
    ],
    ids=lambda limits: "-".join(f"{k}={v!r}"[:24] for k, v in limits.items()),
)
def test_limits_out_of_range_are_invalid_input(engine: alc.Engine, limits: dict) -> None:
    with pytest.raises(alc.InvalidInput) as info:
        engine.start(code="return 1", limits=limits)
    assert info.value.error_code == "invalid_input"
    assert info.value.to_wire()["error_code"] == "invalid_input"


def test_smallest_allowed_memory_limit_works(engine: alc.Engine) -> None:
    completed(engine.start(code="return 1 + 1", limits={"max_memory": MiB}), 2)
