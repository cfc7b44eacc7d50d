"""What a strategy can make the engine keep is bounded (log, progress, stats, alc.state)."""

from __future__ import annotations

import alc
from alc.engine.host import LOG_LINE_CHARS, PROGRESS_CHARS, STATS_KEYS, STATS_VALUE_BYTES


def test_log_lines_and_progress_are_clipped() -> None:
    engine = alc.Engine()
    out = engine.start(
        code=f"print(string.rep('x', {LOG_LINE_CHARS * 3})) "
        f"alc.progress(1, 2, string.rep('y', {PROGRESS_CHARS * 3})) alc.llm('q')"
    )
    snapshot = engine.status(out.session_id)
    assert len(snapshot.log[-1]["message"]) == LOG_LINE_CHARS
    assert snapshot.log[-1]["message"].endswith("…")
    assert snapshot.progress is not None
    assert len(snapshot.progress["message"]) == PROGRESS_CHARS


def test_progress_refuses_tables() -> None:
    out = alc.Engine().start(code="local ok, e = pcall(alc.progress, {}, 1, 'm') return e")
    assert isinstance(out, alc.Completed)
    assert "step and total must be numbers" in out.result


def test_stats_values_and_keys_are_bounded() -> None:
    out = alc.Engine().start(
        code=f"local ok, e = pcall(alc.stats.record, 'k', string.rep('x', {STATS_VALUE_BYTES})) "
        f"local n = 0 for i = 1, {STATS_KEYS + 5} do "
        "  if pcall(alc.stats.record, 'k' .. i, i) then n = n + 1 end end "
        "return {ok = ok, e = e, n = n}"
    )
    assert isinstance(out, alc.Completed)
    assert out.result["ok"] is False and "over the bound" in out.result["e"]
    assert out.result["n"] == STATS_KEYS


def test_state_values_are_bounded_by_max_output_bytes() -> None:
    out = alc.Engine().start(
        code="local ok, e = pcall(alc.state.set, 'k', string.rep('x', 4096)) return e",
        limits={"max_output_bytes": 2048},
    )
    assert isinstance(out, alc.Completed)
    assert "Limits.max_output_bytes" in out.result


def test_an_answer_larger_than_max_output_bytes_is_refused_and_changes_nothing() -> None:
    engine = alc.Engine()
    out = engine.start(code="return alc.llm('q')", limits={"max_output_bytes": 4096})
    try:
        engine.feed(out.session_id, "x" * 5000)
    except alc.InvalidInput as exc:
        assert "max_output_bytes" in exc.message
    else:
        raise AssertionError("a too-large answer was accepted")
    done = engine.feed(out.session_id, "short")
    assert isinstance(done, alc.Completed) and done.result == "short"
