"""Statistics of eval runs, from scipy (nothing here re-implements a test or an interval).

- pass rate with its Wilson score interval (``scipy.stats.binomtest(...).proportion_ci``);
- mean score with a bootstrap interval (``scipy.stats.bootstrap``, percentile, fixed seed);
- per-tag breakdowns of both;
- paired comparison of a strategy with a baseline *on the same cases*: McNemar's exact test on
  the discordant pairs (``binomtest(c, b + c, 0.5)``), the pass-rate difference with a paired
  bootstrap interval (resampling cases), the mean score difference with its paired bootstrap
  interval and the Wilcoxon signed-rank test (``scipy.stats.wilcoxon``);
- Holm's step-down adjustment when several strategies are compared with one baseline (a few
  lines of arithmetic over the p-values; tested against published values).

:func:`verdict` says in words what a comparison supports, including "too few cases to conclude
anything" when no outcome of that size could reach significance.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "ALPHA",
    "bootstrap_mean",
    "compare",
    "holm",
    "mcnemar_exact",
    "min_discordant",
    "require_eval_extra",
    "summarize",
    "verdict",
    "welch",
    "wilson",
]

ALPHA = 0.05
"""The significance level of every test and the 1 - confidence of every interval."""

_RESAMPLES = 2000
_SEED = 20261201


def require_eval_extra(needed_by: str) -> None:
    """Check, before any work, that the ``[eval]`` extra (scipy, numpy, matplotlib) is here.

    Raises:
        MissingExtra: naming the extra and its install command (:mod:`alc._extras`).
    """
    from alc._extras import require

    require("eval", needed_by=needed_by)


def wilson(passed: int, n: int, confidence: float = 1 - ALPHA) -> tuple[float, float]:
    """The Wilson score interval of ``passed`` successes in ``n`` trials (``(0, 1)`` for n=0)."""
    if n == 0:
        return (0.0, 1.0)
    from scipy.stats import binomtest

    ci = binomtest(passed, n).proportion_ci(confidence_level=confidence, method="wilson")
    return (float(ci.low), float(ci.high))


def bootstrap_mean(values: Sequence[float], confidence: float = 1 - ALPHA) -> tuple[float, float]:
    """A percentile bootstrap interval of the mean (2,000 resamples, fixed seed); a sample of
    one value, or of identical values, gives the degenerate interval at that value."""
    if not values:
        return (0.0, 0.0)
    if len(set(values)) == 1:
        return (float(values[0]), float(values[0]))
    import numpy as np
    from scipy.stats import bootstrap

    res = bootstrap(
        (np.asarray(values, dtype=float),),
        np.mean,
        confidence_level=confidence,
        n_resamples=_RESAMPLES,
        method="percentile",
        rng=np.random.default_rng(_SEED),
    )
    return (float(res.confidence_interval.low), float(res.confidence_interval.high))


def _breakdown(samples: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    n = len(samples)
    passed = sum(bool(s["passed"]) for s in samples)
    scores = [float(s["score"]) for s in samples]
    low, high = wilson(passed, n)
    return {
        "n": n,
        "passed": passed,
        "pass_rate": passed / n if n else 0.0,
        "pass_rate_ci": [low, high],
        "mean_score": sum(scores) / n if n else 0.0,
        "mean_score_ci": list(bootstrap_mean(scores)),
    }


def summarize(samples: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One strategy's statistics: ``n, passed, pass_rate, pass_rate_ci, mean_score,
    mean_score_ci`` (95 %), ``errors`` (sessions that failed), ``tokens`` and ``seconds``
    (total and ``*_per_case``), ``llm_calls_per_case``, and ``by_tag`` (the same numbers per
    tag; a case counts under each of its tags)."""
    out = _breakdown(samples)
    n = max(len(samples), 1)
    tokens = sum(int(s.get("tokens", 0)) for s in samples)
    seconds = sum(float(s.get("seconds", 0.0)) for s in samples)
    calls = sum(int(s.get("llm_calls", 0)) for s in samples)
    out.update(
        errors=sum(s.get("state") != "completed" for s in samples),
        tokens=tokens,
        tokens_per_case=tokens / n,
        seconds=round(seconds, 3),
        seconds_per_case=seconds / n,
        llm_calls_per_case=calls / n,
    )
    tags: dict[str, list[Mapping[str, Any]]] = {}
    for s in samples:
        for tag in s.get("tags", ()):
            tags.setdefault(tag, []).append(s)
    out["by_tag"] = {tag: _breakdown(group) for tag, group in sorted(tags.items())}
    return out


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value: ``b`` pairs only the baseline passed, ``c`` only the
    candidate passed (1.0 when there is no discordant pair)."""
    if b + c == 0:
        return 1.0
    from scipy.stats import binomtest

    return float(binomtest(c, b + c, 0.5).pvalue)


def _paired_bootstrap(diffs: Sequence[float]) -> tuple[float, float]:
    return bootstrap_mean(diffs)


def _wilcoxon(diffs: Sequence[float]) -> float | None:
    """Wilcoxon signed-rank p-value of paired score differences (None: every difference is 0)."""
    if not any(diffs):
        return None
    from scipy.stats import wilcoxon

    return float(wilcoxon(diffs, zero_method="wilcox").pvalue)


def min_discordant() -> int:
    """The fewest discordant pairs with which the exact McNemar test can reach ``ALPHA``
    (two-sided: ``2 * 0.5**k < ALPHA``, so 6 at 5 %)."""
    k = 1
    while 2 * 0.5**k >= ALPHA:
        k += 1
    return k


def compare(
    baseline: Sequence[Mapping[str, Any]], candidate: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """Paired comparison of ``candidate`` with ``baseline`` on the cases both have (matched by
    ``case_id``).

    Returns ``n`` (paired cases), ``b`` / ``c`` (only baseline / only candidate passed),
    ``pass_rate_a`` / ``pass_rate_b``, ``delta_pass_rate`` (candidate - baseline) and its 95 %
    paired-bootstrap ``delta_pass_rate_ci``, ``p_mcnemar``; ``delta_score`` with
    ``delta_score_ci`` and ``p_wilcoxon`` (None when every score difference is 0); and
    ``verdict`` (:func:`verdict`).

    Raises:
        ValueError: the two have no case in common.
    """
    by_id = {s["case_id"]: s for s in baseline}
    pairs = [(by_id[s["case_id"]], s) for s in candidate if s["case_id"] in by_id]
    if not pairs:
        raise ValueError("the two runs have no case in common; compare runs of one scenario")
    n = len(pairs)
    b = sum(bool(x["passed"]) and not bool(y["passed"]) for x, y in pairs)
    c = sum(bool(y["passed"]) and not bool(x["passed"]) for x, y in pairs)
    pass_diffs = [float(bool(y["passed"])) - float(bool(x["passed"])) for x, y in pairs]
    score_diffs = [float(y["score"]) - float(x["score"]) for x, y in pairs]
    out: dict[str, Any] = {
        "n": n,
        "b": b,
        "c": c,
        "pass_rate_a": sum(bool(x["passed"]) for x, _ in pairs) / n,
        "pass_rate_b": sum(bool(y["passed"]) for _, y in pairs) / n,
        "delta_pass_rate": sum(pass_diffs) / n,
        "delta_pass_rate_ci": list(_paired_bootstrap(pass_diffs)),
        "p_mcnemar": mcnemar_exact(b, c),
        "delta_score": sum(score_diffs) / n,
        "delta_score_ci": list(_paired_bootstrap(score_diffs)),
        "p_wilcoxon": _wilcoxon(score_diffs),
    }
    out["verdict"] = verdict(out)
    return out


def welch(a: Sequence[float], b: Sequence[float]) -> dict[str, Any]:
    """Welch's (unequal-variance, unpaired) t-test of ``b`` against ``a``, as algocline's
    ``alc_eval_compare`` reports it (``scipy.stats.ttest_ind(..., equal_var=False)``).

    Returns ``{"n_a", "n_b", "mean_a", "mean_b", "delta" (mean_b - mean_a, alc's "b vs a"),
    "t_stat", "df", "p_value", "significant" (p < 0.05), "winner" ("a" | "b" | "none")}``;
    ``t_stat``, ``df`` and ``p_value`` are None when a side has fewer than 2 values or both
    have no variance (the test is undefined).
    """
    from scipy.stats import ttest_ind

    mean_a = sum(a) / len(a) if a else None
    mean_b = sum(b) / len(b) if b else None
    out: dict[str, Any] = {"n_a": len(a), "n_b": len(b), "mean_a": mean_a, "mean_b": mean_b}
    out["delta"] = None if mean_a is None or mean_b is None else mean_b - mean_a
    t = df = p = None
    varies = len(set(a)) > 1 or len(set(b)) > 1  # no variance on both sides: undefined
    if len(a) >= 2 and len(b) >= 2 and varies:
        res = ttest_ind(b, a, equal_var=False)
        if math.isfinite(float(res.statistic)) and math.isfinite(float(res.pvalue)):
            t, df, p = float(res.statistic), float(res.df), float(res.pvalue)
    significant = p is not None and p < ALPHA
    winner = "none" if not significant else ("b" if out["delta"] > 0 else "a")
    out.update(t_stat=t, df=df, p_value=p, significant=significant, winner=winner)
    return out


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values, in the input order: sort ascending, multiply the
    i-th smallest (0-based) by ``m - i``, keep them non-decreasing, cap at 1."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        adjusted[i] = running
    return adjusted


def verdict(cmp: Mapping[str, Any], p_key: str = "p_mcnemar") -> str:
    """A one-sentence reading of a comparison (uses the Holm-adjusted ``p_holm`` when present).

    "too few" when the discordant pairs are fewer than :func:`min_discordant` (no result of
    that size could be significant), else significant better / worse at ``ALPHA``, else "no
    significant difference" with the interval of the difference.
    """
    p = cmp.get("p_holm", cmp[p_key])
    low, high = cmp["delta_pass_rate_ci"]
    delta = cmp["delta_pass_rate"]
    discordant = cmp["b"] + cmp["c"]
    span = f"{delta:+.1%} (95% CI {low:+.1%} to {high:+.1%})"
    if discordant < min_discordant():
        return (
            f"Too few cases to conclude anything: {discordant} of {cmp['n']} cases differ, and "
            f"at least {min_discordant()} must differ before any result could be significant "
            f"at {ALPHA:.0%}; difference {span}."
        )
    if p < ALPHA:
        word = "better" if delta > 0 else "worse"
        return f"Significantly {word} than the baseline (p = {p:.3g}): {span}."
    return f"No significant difference (p = {p:.3g}): {span}."
