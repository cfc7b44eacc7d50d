"""A value nested up to the documented 500-level JSON bound goes into ``alc.state`` and comes
back (``get`` and ``show``) with the same outcome on both executors; past the bound the write is
a catchable Lua error on both. The stored JSON text is decoded in the VM's own process, so a
deep value never crosses a process boundary as nested objects."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import alc

ROUND_TRIP = """
local t = {} local c = t
for i = 1, ctx.levels - 1 do c.n = {} c = c.n end
c.v = {1, 'x', {a = true}}
alc.state.set('deep', t)
local back, d = alc.state.get('deep'), 0
while back.n do d = d + 1 back = back.n end
local shown = alc.state.show('default', 'deep')
return {d, back.v[2], back.v[3].a, shown.n ~= nil}
"""

PAST_THE_BOUND = """
local t = {} local c = t
for i = 1, 520 do c.n = {} c = c.n end
local ok, err = pcall(alc.state.set, 'deeper', t)
return {ok, err, alc.state.has('deeper')}
"""


@pytest.fixture(params=["inline", "process"])
def engine(request: pytest.FixtureRequest) -> Iterator[alc.Engine]:
    made = alc.Engine(executor=request.param)
    yield made
    made.close()


@pytest.mark.parametrize("levels", [10, 200, 495])
def test_a_deep_value_round_trips_through_alc_state(engine: alc.Engine, levels: int) -> None:
    out = engine.start(code=ROUND_TRIP, ctx={"levels": levels})
    assert isinstance(out, alc.Completed), out
    assert out.result == [levels - 1, "x", True, True]


def test_a_value_past_the_bound_is_a_catchable_error_and_nothing_is_written(
    engine: alc.Engine,
) -> None:
    out = engine.start(code=PAST_THE_BOUND)
    assert isinstance(out, alc.Completed), out
    ok, err, written = out.result
    assert ok is False and "nested deeper than 500 levels" in err and written is False


def test_a_deep_read_is_replayed_by_another_engine(tmp_path: Path) -> None:
    """The read is a recorded effect (the JSON text): a session rebuilt by replay in another
    engine (another pool of workers) decodes it again the same way."""
    code = ROUND_TRIP.replace("return {", "alc.llm('go?') return {")
    first = alc.Engine(tmp_path / "s.db", executor="process")
    sid = first.start(code=code, ctx={"levels": 495}).session_id
    first.close()
    first.store.close()
    second = alc.Engine(tmp_path / "s.db", executor="process")
    try:
        second.store.state_delete("default", "deep")  # replay must not read the store
        done = second.feed(sid, "go")
        assert done.result == [494, "x", True, True]  # type: ignore[union-attr]
    finally:
        second.close()
        second.store.close()
