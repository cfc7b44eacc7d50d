"""alc.math statistics, distributions and tests (the Python half) with reference values."""

from __future__ import annotations

import math

import pytest

from alc.engine.stdlib import mathlib as m


def test_descriptive_statistics() -> None:
    data = [2, 4, 4, 4, 5, 5, 7, 9]
    assert m.mean(data) == 5.0
    assert m.median(data) == 4.5
    assert m.median([3, 1, 2]) == 2.0
    assert m.variance(data) == pytest.approx(32 / 7)
    assert m.stddev(data) == pytest.approx(math.sqrt(32 / 7))
    assert m.variance([3]) == 0.0
    assert m.percentile([1, 2, 3, 4, 5], 25) == 2.0
    assert m.percentile([1, 2, 3, 4], 50) == 2.5
    assert m.percentile([10, 20], 0) == 10 and m.percentile([10, 20], 100) == 20
    assert m.iqr([1, 2, 3, 4, 5, 6, 7, 8]) == pytest.approx(3.5)
    assert m.covariance([1, 2, 3], [2, 4, 6]) == 2.0
    assert m.correlation([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert m.histogram([1, 2, 2, 3, 3, 3, 4, 4, 5], 5) == {
        "counts": [1, 2, 3, 2, 1],
        "edges": pytest.approx([1.0, 1.8, 2.6, 3.4, 4.2, 5.0]),
    }


def test_wilson_ci_reference() -> None:
    ci = m.wilson_ci(50, 100, 0.95)
    assert ci["center"] == pytest.approx(0.5)
    assert ci["lower"] == pytest.approx(0.4038, abs=1e-4)
    assert ci["upper"] == pytest.approx(0.5962, abs=1e-4)
    assert m.wilson_ci(0, 10)["lower"] == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="total"):
        m.call("wilson_ci", 1, 0)


def test_transforms_and_information() -> None:
    sm = m.softmax([1, 2, 3])
    assert sum(sm) == pytest.approx(1.0)
    assert sm[2] == pytest.approx(0.6652, abs=1e-4)
    assert m.softmax([1000, 1000]) == [0.5, 0.5]
    assert m.logsumexp([1, 2, 3]) == pytest.approx(3.4076, abs=1e-4)
    assert m.logsumexp([1000, 1000]) == pytest.approx(1000 + math.log(2))
    assert m.entropy([0.5, 0.5]) == pytest.approx(math.log(2))
    assert m.entropy([1, 0]) == 0.0
    assert m.kl_divergence([0.5, 0.5], [0.5, 0.5]) == 0.0
    assert m.js_divergence([1, 0], [0, 1]) == pytest.approx(math.log(2))
    assert m.cross_entropy([0.5, 0.5], [0.5, 0.5]) == pytest.approx(math.log(2))
    assert m.log_normalize([1, 10, 100]) == [0.0, 50.0, 100.0]


def test_distributions() -> None:
    assert m.normal_cdf(0) == 0.5
    assert m.normal_cdf(1.96) == pytest.approx(0.975, abs=1e-4)
    assert m.normal_cdf(12, 10, 2) == pytest.approx(0.8413, abs=1e-4)
    assert m.normal_ppf(0.975) == pytest.approx(1.959964, abs=1e-6)
    assert m.normal_ppf(0.5) == 0.0
    assert m.normal_ppf(0) == -math.inf
    assert m.normal_inverse_cdf(0.8413447, 10, 2) == pytest.approx(12, abs=1e-5)
    assert m.beta_cdf(0.5, 2, 2) == pytest.approx(0.5)
    assert m.beta_cdf(0.3, 2, 5) == pytest.approx(0.579825, abs=1e-6)
    assert m.beta_ppf(0.579825, 2, 5) == pytest.approx(0.3, abs=1e-6)
    assert m.gamma_cdf(2, 1, 1) == pytest.approx(1 - math.exp(-2))
    assert m.poisson_cdf(2, 3) == pytest.approx(0.42319, abs=1e-5)
    assert m.beta_mean(2, 6) == 0.25
    assert m.beta_variance(2, 2) == pytest.approx(0.05)


def test_special_functions() -> None:
    assert m.erf(1.0) == pytest.approx(0.8427, abs=1e-4)
    assert m.erfc(0) == 1.0
    assert m.factorial(10) == 3628800.0
    assert m.ln_factorial(100) == pytest.approx(363.739, abs=1e-3)
    assert m.expit(0) == 0.5
    assert m.logit(0.5) == 0.0
    assert m.beta(2, 3) == pytest.approx(1 / 12)
    assert m.digamma(1) == pytest.approx(-0.5772157, abs=1e-7)
    assert m.regularized_incomplete_gamma(1, 1) == pytest.approx(1 - math.exp(-1))
    assert m.regularized_incomplete_beta(0.5, 1, 1) == pytest.approx(0.5)


def test_welch_t_test_reference() -> None:
    # reference values (R: t.test(x, y)): t = -1.8974, df = 5.882, p = 0.1077
    r = m.welch_t_test([1, 2, 3, 4, 5], [2, 4, 6, 8, 10])
    assert r["t_stat"] == pytest.approx(-1.8974, abs=1e-4)
    assert r["df"] == pytest.approx(5.882, abs=1e-3)
    assert r["p_value"] == pytest.approx(0.1077, abs=1e-3)
    same = m.welch_t_test([1, 1], [1, 1])
    assert same["p_value"] == 1.0 and same["t_stat"] == 0.0
    with pytest.raises(ValueError, match="at least 2"):
        m.call("welch_t_test", [1], [1, 2])


def test_ranks_tests_and_series() -> None:
    assert m.rank([10, 20, 20, 30]) == [1.0, 2.5, 2.5, 4.0]
    assert m.spearman_correlation([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(0.8)
    assert m.kendall_tau([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(2 / 3)
    chi = m.chi_squared_test([10, 10], [10, 10])
    assert chi == {"chi2_stat": 0.0, "df": 1.0, "p_value": 1.0}
    assert m.chi_squared_test([16, 4], [10, 10])["p_value"] == pytest.approx(0.0073, abs=1e-4)
    ks = m.ks_test([1, 2, 3], [1, 2, 3])
    assert ks["d_stat"] == 0.0 and ks["p_value"] == 1.0
    mw = m.mann_whitney_u([1, 2, 3], [4, 5, 6])
    assert mw["u_stat"] == 0.0 and mw["p_value"] < 0.1
    assert m.ndcg([3, 2, 1], 3) == 1.0
    assert m.ndcg([0, 0], 2) == 0.0
    assert m.mrr([1, 2, 0]) == pytest.approx(0.5)
    assert m.moving_average([1, 2, 3, 4], 2) == [1.5, 2.5, 3.5]
    assert m.ewma([1, 3], 0.5) == [1.0, 2.0]
    assert m.autocorrelation([1, 2, 1, 2], 0) == 1.0


def test_dispatcher_errors() -> None:
    with pytest.raises(LookupError):
        m.call("nope")
    with pytest.raises(ValueError, match=r"alc\.math\.mean: data needs at least 1 number"):
        m.call("mean", {})
    with pytest.raises(ValueError, match=r"alc\.math\.mean: data must be an array of numbers"):
        m.call("mean", ["a"])
    with pytest.raises(TypeError, match="wrong number of arguments"):
        m.call("mean")
    assert m.has("mean") and not m.has("rng_create") and not m.has(3)


def test_through_lua(run) -> None:  # type: ignore[no-untyped-def]
    result = run(
        """
        local ok, err = pcall(alc.math.mean, {})
        return {
          mean = alc.math.mean({1, 2, 3, 4}),
          ci = alc.math.wilson_ci(50, 100, 0.95),
          soft = alc.math.softmax({0, 0}),
          ppf = alc.math.normal_ppf(0.5),
          missing = alc.math.no_such_function == nil,
          err = err,
        }
        """
    )
    assert result["mean"] == 2.5
    assert result["ci"]["center"] == pytest.approx(0.5)
    assert result["soft"] == [0.5, 0.5]
    assert result["ppf"] == 0.0
    assert result["missing"] is True
    assert "alc.math.mean: data needs at least 1 number" in result["err"]
