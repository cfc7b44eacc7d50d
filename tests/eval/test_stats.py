"""alc.eval statistics against published values (scipy's documentation, textbook examples) and
against closed forms computed here by hand."""

from __future__ import annotations

from math import comb

import pytest

from alc.eval._stats import (
    bootstrap_mean,
    compare,
    holm,
    mcnemar_exact,
    min_discordant,
    summarize,
    verdict,
    wilson,
)


def test_wilson_interval_matches_newcombe_1998() -> None:
    # Newcombe (1998), Statistics in Medicine 17:857, Table I, example (a): 81/263 -> Wilson
    # score interval 0.2553 to 0.3662.
    low, high = wilson(81, 263)
    assert low == pytest.approx(0.2553, abs=5e-5)
    assert high == pytest.approx(0.3662, abs=5e-5)


def test_wilson_interval_edges() -> None:
    # Newcombe (1998) example (e): 0/20 -> 0.0000 to 0.1611; and no data says nothing.
    low, high = wilson(0, 20)
    assert low == pytest.approx(0.0, abs=1e-9)
    assert high == pytest.approx(0.1611, abs=5e-5)
    assert wilson(0, 0) == (0.0, 1.0)


def test_mcnemar_exact_is_the_two_sided_binomial_tail() -> None:
    # b=10 discordant pairs one way, c=2 the other: p = 2 * P(X <= 2), X ~ Bin(12, 1/2).
    expected = 2 * sum(comb(12, k) for k in range(3)) / 2**12
    assert mcnemar_exact(10, 2) == pytest.approx(expected)  # 0.03857...
    assert mcnemar_exact(2, 10) == pytest.approx(expected)
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(3, 3) == 1.0


def test_fewest_discordant_pairs_that_can_be_significant() -> None:
    # 2 * 0.5**5 = 0.0625 >= 0.05 but 2 * 0.5**6 = 0.03125 < 0.05.
    assert min_discordant() == 6
    assert mcnemar_exact(0, 5) > 0.05 > mcnemar_exact(0, 6)


def test_holm_matches_the_step_down_definition() -> None:
    # sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 -> 0.02, 0.03, 0.06, 0.04 -> monotone
    # 0.02, 0.03, 0.06, 0.06 (Holm 1979; as statsmodels' multipletests(method="holm")).
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.5]) == [0.5]
    assert holm([0.6, 0.9]) == [1.0, 1.0]


def _samples(passed: list[int], scores: list[float] | None = None) -> list[dict[str, object]]:
    scores = scores if scores is not None else [float(p) for p in passed]
    return [
        {"case_id": f"c{i}", "passed": bool(p), "score": s, "tags": ["t"] if i % 2 else []}
        for i, (p, s) in enumerate(zip(passed, scores, strict=True))
    ]


def test_wilcoxon_in_compare_matches_scipy_docs_example() -> None:
    # scipy.stats.wilcoxon docs: d = [6, 8, 14, 16, 23, 24, 28, 29, 41, -48, 49, 56, 60, -67,
    # 75] gives pvalue 0.041259765625 (exact); the test is invariant to scale and shift.
    d = [6, 8, 14, 16, 23, 24, 28, 29, 41, -48, 49, 56, 60, -67, 75]
    base = _samples([0] * 15, [0.5] * 15)
    cand = _samples([0] * 15, [0.5 + x / 200 for x in d])
    assert compare(base, cand)["p_wilcoxon"] == pytest.approx(0.041259765625)


def test_compare_counts_discordant_pairs_on_shared_cases_only() -> None:
    base = _samples([1, 1, 0, 0, 0, 0, 0, 0, 0, 0])
    cand = _samples([1, 0, 1, 1, 1, 1, 1, 1, 1, 0])
    extra = {"case_id": "not-in-baseline", "passed": True, "score": 1.0, "tags": []}
    out = compare(base, [*cand, extra])
    assert out["n"] == 10 and out["b"] == 1 and out["c"] == 7
    assert out["delta_pass_rate"] == pytest.approx(0.6)
    low, high = out["delta_pass_rate_ci"]
    assert low <= 0.6 <= high
    assert out["p_mcnemar"] == pytest.approx(mcnemar_exact(1, 7))
    with pytest.raises(ValueError, match="no case in common"):
        compare(base, [extra])


def test_verdicts_say_when_nothing_can_be_concluded() -> None:
    few = compare(_samples([0, 0, 0, 1]), _samples([1, 1, 1, 1]))
    assert few["verdict"].startswith("Too few cases to conclude anything")
    win = compare(_samples([0] * 12), _samples([1] * 12))
    assert win["verdict"].startswith("Significantly better")
    tie = compare(_samples([1, 0] * 6), _samples([0, 1] * 6))
    assert tie["verdict"].startswith("No significant difference")
    assert verdict({**win, "p_holm": 0.2}).startswith("No significant difference")


def test_bootstrap_interval_is_deterministic_and_covers_the_mean() -> None:
    values = [0.0, 1.0, 1.0, 0.0, 1.0, 0.5, 0.25]
    low, high = bootstrap_mean(values)
    assert low <= sum(values) / len(values) <= high
    assert bootstrap_mean(values) == (low, high)
    assert bootstrap_mean([0.7, 0.7]) == (0.7, 0.7)
    assert bootstrap_mean([]) == (0.0, 0.0)


def test_summarize_breaks_down_by_tag_and_counts_cost() -> None:
    rows = _samples([1, 0, 1, 1])
    for r in rows:
        r.update(tokens=10, seconds=0.5, llm_calls=2, state="completed")
    rows[1]["state"] = "error"
    out = summarize(rows)
    assert out["n"] == 4 and out["passed"] == 3 and out["pass_rate"] == 0.75
    assert out["errors"] == 1
    assert out["tokens"] == 40 and out["tokens_per_case"] == 10
    assert out["llm_calls_per_case"] == 2 and out["seconds_per_case"] == 0.5
    assert out["by_tag"]["t"]["n"] == 2 and out["by_tag"]["t"]["passed"] == 1
    assert out["pass_rate_ci"] == list(wilson(3, 4))
