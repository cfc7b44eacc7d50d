"""The built-in card_analysis strategy (what alc_card_analyze runs by default)."""

from __future__ import annotations

import alc

CARD = {"card_id": "cot_1", "pkg": {"name": "cot"}, "stats": {"pass_rate": 0.5}, "params": {"n": 3}}


def test_it_shows_the_record_and_the_failing_rows_and_returns_hints() -> None:
    engine = alc.Engine()
    rows = [{"case_id": "a", "passed": False, "answer": "x"}, {"case_id": "b", "passed": True}]
    ctx = {"card": CARD, "samples": rows, "question": "Why does it fail on a?"}
    out = engine.start(strategy="card_analysis", ctx=ctx)
    assert isinstance(out, alc.NeedsResponse)
    assert '"pass_rate":0.5' in out.prompt and '"case_id":"a"' in out.prompt
    assert '"case_id":"b"' not in out.prompt and "Why does it fail on a?" in out.prompt
    done = engine.feed(out.session_id, "1. raise n to 5\n2. add a system prompt")
    assert isinstance(done, alc.Completed)
    assert done.result["hints"] == ["raise n to 5", "add a system prompt"]
    assert done.result["card_id"] == "cot_1" and done.result["failures_shown"] == 1


def test_without_a_card_it_fails_clearly() -> None:
    out = alc.Engine().start(strategy="card_analysis", ctx={"card": "x"})
    assert isinstance(out, alc.Failed) and "ctx.card" in out.error


def test_garbage_samples_are_ignored() -> None:
    ctx = {"card": CARD, "samples": ["x", 3, {"passed": "no"}], "max_failures": 0}
    out = alc.Engine().start(strategy="card_analysis", ctx=ctx)
    assert isinstance(out, alc.NeedsResponse) and "Failing cases" not in out.prompt
