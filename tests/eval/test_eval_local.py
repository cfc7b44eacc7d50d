"""A small eval on the real local model (Gemma 3 270M): the run completes and its report is
produced. Skips without the [local] extra unless ALC_REQUIRE_LOCAL_MODEL=1 (CI)."""

from __future__ import annotations

from pathlib import Path

import pytest

import alc
from alc.eval import run_report
from alc.eval._report import write_report

pytestmark = [pytest.mark.local_model, pytest.mark.slow]


def test_a_small_eval_on_the_local_model_produces_its_report(
    tmp_path: Path, local_responder: object
) -> None:
    engine = alc.Engine(tmp_path / "store.db")
    record = engine.evaluate(
        "arith",
        ["cot", "sc"],
        llm=local_responder,
        n=2,
        strategy_opts={
            "cot": {"depth": 1, "step_tokens": 32, "answer_tokens": 48},
            "sc": {"n": 2, "gen_tokens": 48},
            "direct": {"max_tokens": 32},
        },
    )
    assert record["status"] == "complete" and set(record["cards"]) == {"direct", "cot", "sc"}
    report = run_report(engine, record["run_id"])
    for name in ("direct", "cot", "sc"):
        stats = report["strategies"][name]
        assert stats["n"] == 2 and stats["errors"] == 0
        assert stats["tokens_per_case"] > 0  # real counts from llama.cpp
    files = write_report(report, tmp_path / "report")
    md = (tmp_path / "report" / "report.md").read_text(encoding="utf-8")
    assert "| strategy | pass rate |" in md and "--llm LocalResponder@" in md
    assert (tmp_path / "report" / "pass_rates.png").stat().st_size > 1000
    assert sorted(Path(f).name for f in files) == [
        "cost.png",
        "differences.png",
        "pass_rates.png",
        "report.json",
        "report.md",
    ]
