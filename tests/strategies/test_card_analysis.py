"""The built-in card_analysis strategy (what alc_card_analyze runs by default), with
algocline's result contract {pattern, suggested_change, confidence, failure_count,
sample_count}."""

from __future__ import annotations

import alc

CARD = {"card_id": "cot_1", "pkg": {"name": "cot"}, "stats": {"pass_rate": 0.5}, "params": {"n": 3}}
ROWS = [{"case_id": "a", "passed": False, "answer": "x"}, {"case_id": "b", "passed": True}]


def _start(**ctx: object) -> tuple[alc.Engine, alc.NeedsResponse]:
    engine = alc.Engine()
    out = engine.start(strategy="card_analysis", ctx={"card": CARD, "samples": ROWS, **ctx})
    assert isinstance(out, alc.NeedsResponse), out
    return engine, out


def test_it_shows_the_record_and_the_failing_rows() -> None:
    _, out = _start(question="Why does it fail on a?")
    assert '"pass_rate":0.5' in out.prompt and '"case_id":"a"' in out.prompt
    assert '"case_id":"b"' not in out.prompt and "1 of 2 sample rows failed" in out.prompt
    assert "Why does it fail on a?" in out.prompt


def test_a_json_answer_is_the_result() -> None:
    engine, out = _start()
    answer = '{"pattern": "wrong sums", "suggested_change": "n=5", "confidence": 2}'
    done = engine.feed(out.session_id, answer)
    assert isinstance(done, alc.Completed)
    assert done.result == {
        "pattern": "wrong sums",
        "suggested_change": "n=5",
        "confidence": 1,  # clamped to 0..1
        "failure_count": 1,
        "sample_count": 2,
    }


def test_a_free_text_answer_still_fills_the_contract() -> None:
    engine, out = _start()
    done = engine.feed(out.session_id, "Arithmetic slips\nRaise n to 5 and vote.")
    assert isinstance(done, alc.Completed)
    assert done.result["pattern"] == "Arithmetic slips"
    assert done.result["suggested_change"] == "Raise n to 5 and vote."
    assert done.result["confidence"] == 0.5


def test_without_a_card_it_fails_clearly() -> None:
    out = alc.Engine().start(strategy="card_analysis", ctx={"card": "x"})
    assert isinstance(out, alc.Failed) and "ctx.card" in out.error


def test_garbage_samples_are_ignored() -> None:
    ctx = {"card": CARD, "samples": ["x", 3, {"passed": "no"}], "max_failures": 0}
    out = alc.Engine().start(strategy="card_analysis", ctx=ctx)
    assert isinstance(out, alc.NeedsResponse) and "Failing cases" not in out.prompt
    assert "0 of 3 sample rows failed" in out.prompt
