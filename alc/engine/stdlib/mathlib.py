"""``alc.math.*`` statistics, special functions and tests (the deterministic, RNG-free half).

The seeded RNG and the samplers live in Lua (``rng.lua``) because they must mutate the RNG
table in place and run in tight loops; everything here is a pure function of its arguments.

Lua reaches these functions through one dispatcher, :func:`call` (``op`` is the function name),
so a VM pays for a single installed primitive instead of one per function; the prelude creates
``alc.math.<op>`` on first use. Arrays arrive as Python lists (an empty Lua table as ``{}``).

Every function raises ``ValueError`` / ``TypeError`` (a Lua error for the caller, catchable
with ``pcall``) on input it cannot give a meaningful answer for; messages start with the Lua
name, e.g. ``alc.math.mean: data must be a non-empty array of numbers``.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections import Counter
from collections.abc import Callable
from statistics import NormalDist
from typing import Any

from alc.engine.stdlib._bounds import (
    KENDALL_TAU_MAX_LEN,
    MATH_MAX_ARRAY,
    MATH_MAX_BINS,
    MATH_MAX_RANKED,
    MOVING_AVERAGE_MAX_WORK,
    too_large,
)

__all__ = ["FUNCTIONS", "call", "has"]

_EPS = 1e-15
_TINY = 1e-300


class _Bad(ValueError):
    """A domain error; :func:`call` prefixes it with the Lua name of the function."""


def _num(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Bad(f"{what} must be a number")
    return float(value)


def _opt(value: Any, default: float, what: str) -> float:
    return default if value is None else _num(value, what)


def _array(value: Any, what: str = "data", min_len: int = 1) -> list[float]:
    if value == {}:
        value = []
    # type() is exact here: arrays arrive decoded from JSON (int, float, bool, str, ...)
    if not isinstance(value, list) or not set(map(type, value)) <= _NUMBER_TYPES:
        raise _Bad(f"{what} must be an array of numbers")
    if len(value) < min_len:
        plural = "s" if min_len > 1 else ""
        raise _Bad(f"{what} needs at least {min_len} number{plural}")
    if len(value) > MATH_MAX_ARRAY:
        raise _Bad(
            too_large(
                f"#{what}", len(value), MATH_MAX_ARRAY, "summarise or sample the data in Lua first"
            )
        )
    return list(map(float, value))


_NUMBER_TYPES = frozenset((int, float))


def _pair(xs: Any, ys: Any, min_len: int = 1) -> tuple[list[float], list[float]]:
    a, b = _array(xs, "xs", min_len), _array(ys, "ys", min_len)
    if len(a) != len(b):
        raise _Bad(f"xs and ys must have the same length ({len(a)} vs {len(b)})")
    return a, b


def _ranked(*arrays: tuple[str, list[float]]) -> None:
    for what, xs in arrays:
        if len(xs) > MATH_MAX_RANKED:
            raise _Bad(too_large(f"#{what}", len(xs), MATH_MAX_RANKED, "rank a sample of the data"))


def _int(value: Any, what: str, low: int = 0) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise _Bad(f"{what} must be an integer >= {low}")
    return value


# ---------------------------------------------------------------- descriptive statistics


def mean(data: Any) -> float:
    """Arithmetic mean of a non-empty array."""
    xs = _array(data)
    return math.fsum(xs) / len(xs)


def variance(data: Any) -> float:
    """Sample variance (divides by n - 1; 0 for a single value)."""
    xs = _array(data)
    if len(xs) == 1:
        return 0.0
    m = math.fsum(xs) / len(xs)
    return math.fsum((x - m) ** 2 for x in xs) / (len(xs) - 1)


def stddev(data: Any) -> float:
    """Sample standard deviation (square root of :func:`variance`)."""
    return math.sqrt(variance(data))


def _quantile(xs: list[float], q: float) -> float:
    s = sorted(xs)
    pos = q * (len(s) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def percentile(data: Any, p: Any) -> float:
    """Percentile ``p`` in [0, 100] with linear interpolation between order statistics."""
    xs = _array(data)
    q = _num(p, "p")
    if not 0 <= q <= 100:
        raise _Bad("p must be in [0, 100]")
    return _quantile(xs, q / 100)


def median(data: Any) -> float:
    """Median (the mean of the two middle values for an even count)."""
    return _quantile(_array(data), 0.5)


def iqr(data: Any) -> float:
    """Interquartile range: 75th minus 25th percentile."""
    xs = _array(data)
    return _quantile(xs, 0.75) - _quantile(xs, 0.25)


def covariance(xs: Any, ys: Any) -> float:
    """Sample covariance of two equally long arrays (at least 2 values each)."""
    a, b = _pair(xs, ys, 2)
    ma, mb = math.fsum(a) / len(a), math.fsum(b) / len(b)
    return math.fsum((x - ma) * (y - mb) for x, y in zip(a, b, strict=True)) / (len(a) - 1)


def correlation(xs: Any, ys: Any) -> float:
    """Pearson correlation in [-1, 1]; 0 when either array is constant."""
    a, b = _pair(xs, ys, 2)
    return _pearson(a, b)


def _pearson(a: list[float], b: list[float]) -> float:
    ma, mb = math.fsum(a) / len(a), math.fsum(b) / len(b)
    sab = math.fsum((x - ma) * (y - mb) for x, y in zip(a, b, strict=True))
    saa = math.fsum((x - ma) ** 2 for x in a)
    sbb = math.fsum((y - mb) ** 2 for y in b)
    if saa == 0 or sbb == 0:
        return 0.0
    return max(-1.0, min(1.0, sab / math.sqrt(saa * sbb)))


def histogram(data: Any, bins: Any) -> dict[str, list[Any]]:
    """``{counts = {...}, edges = {...}}`` over ``bins`` equal-width bins from min to max.

    The last bin includes the maximum; ``#edges == bins + 1``.
    """
    xs = _array(data)
    n = _int(bins, "bins", 1)
    if n > MATH_MAX_BINS:
        raise _Bad(too_large("bins", n, MATH_MAX_BINS, "use fewer bins"))
    lo, hi = min(xs), max(xs)
    width = (hi - lo) / n
    edges = [lo + width * i for i in range(n)] + [hi]
    counts = [0] * n
    for x in xs:
        i = n - 1 if width == 0 or x >= hi else int((x - lo) / width)
        counts[min(i, n - 1)] += 1
    return {"counts": counts, "edges": edges}


def wilson_ci(successes: Any, total: Any, confidence: Any = None) -> dict[str, float]:
    """Wilson score interval for a binomial proportion: ``{lower, upper, center}``.

    ``confidence`` defaults to 0.95. ``wilson_ci(50, 100, 0.95)`` is about
    ``{lower = 0.404, upper = 0.596, center = 0.5}``.
    """
    k, n = _num(successes, "successes"), _num(total, "total")
    conf = _opt(confidence, 0.95, "confidence")
    if n <= 0:
        raise _Bad("total must be > 0")
    if not 0 <= k <= n:
        raise _Bad("successes must be in [0, total]")
    if not 0 < conf < 1:
        raise _Bad("confidence must be in (0, 1)")
    z = NormalDist().inv_cdf(1 - (1 - conf) / 2)
    p = k / n
    denom = 1 + z * z / n
    center = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return {"lower": max(0.0, center - half), "upper": min(1.0, center + half), "center": center}


# ---------------------------------------------------------------- transforms, information


def softmax(data: Any) -> list[float]:
    """Numerically stable softmax; the result sums to 1."""
    xs = _array(data)
    top = max(xs)
    exps = [math.exp(x - top) for x in xs]
    total = math.fsum(exps)
    return [e / total for e in exps]


def logsumexp(values: Any) -> float:
    """``log(sum(exp(x)))`` computed without overflow."""
    xs = _array(values, "values")
    top = max(xs)
    if math.isinf(top):
        return top
    return top + math.log(math.fsum(math.exp(x - top) for x in xs))


def log_normalize(data: Any) -> list[float]:
    """Map positive values to [0, 100] by min-max scaling of their logarithms (all 100 if equal)."""
    xs = _array(data)
    if any(x <= 0 for x in xs):
        raise _Bad("every value must be > 0")
    logs = [math.log(x) for x in xs]
    lo, hi = min(logs), max(logs)
    if hi == lo:
        return [100.0] * len(xs)
    return [(v - lo) / (hi - lo) * 100 for v in logs]


def entropy(probs: Any) -> float:
    """Shannon entropy in nats: ``-sum(p * log p)`` over the positive entries."""
    ps = _array(probs, "probs")
    if any(p < 0 for p in ps):
        raise _Bad("probs must be non-negative")
    return -math.fsum(p * math.log(p) for p in ps if p > 0)


def _sum_p_log(p: Any, q: Any, term: Callable[[float, float], float]) -> float:
    # sum of term(p_i, q_i) over the p_i > 0, each of which needs q_i > 0
    a, b = _pair(p, q)
    if any(y <= 0 for x, y in zip(a, b, strict=True) if x > 0):
        raise _Bad("q must be > 0 wherever p > 0")
    return math.fsum(term(x, y) for x, y in zip(a, b, strict=True) if x > 0)


def kl_divergence(p: Any, q: Any) -> float:
    """``D_KL(P || Q)`` in nats; every ``q`` where ``p > 0`` must be positive."""
    return _sum_p_log(p, q, lambda x, y: x * math.log(x / y))


def js_divergence(p: Any, q: Any) -> float:
    """Jensen-Shannon divergence in nats, in ``[0, ln 2]``."""
    a, b = _pair(p, q)
    m = [(x + y) / 2 for x, y in zip(a, b, strict=True)]
    return 0.5 * kl_divergence(a, m) + 0.5 * kl_divergence(b, m)


def cross_entropy(p: Any, q: Any) -> float:
    """Cross entropy ``H(P, Q) = -sum(p * log q)`` in nats."""
    return _sum_p_log(p, q, lambda x, y: -x * math.log(y))


# ---------------------------------------------------------------- special functions


def erf(x: Any) -> float:
    """Error function."""
    return math.erf(_num(x, "x"))


def erfc(x: Any) -> float:
    """Complementary error function ``1 - erf(x)``."""
    return math.erfc(_num(x, "x"))


def lgamma(x: Any) -> float:
    """``ln |Gamma(x)|``."""
    return math.lgamma(_num(x, "x"))


def ln_beta(a: Any, b: Any) -> float:
    """``ln B(a, b)`` for positive a and b."""
    x, y = _positive(a, "a"), _positive(b, "b")
    return math.lgamma(x) + math.lgamma(y) - math.lgamma(x + y)


def beta(a: Any, b: Any) -> float:
    """The beta function ``B(a, b)``."""
    return math.exp(ln_beta(a, b))


def digamma(x: Any) -> float:
    """The digamma function ``psi(x)`` (derivative of ``ln Gamma``)."""
    v = _num(x, "x")
    if v <= 0 and v.is_integer():
        raise _Bad("x must not be zero or a negative integer")
    result = 0.0
    if v < 0:  # reflection
        return digamma(1 - v) - math.pi / math.tan(math.pi * v)
    while v < 6:
        result -= 1 / v
        v += 1
    f = 1 / (v * v)
    series = f * (1 / 12 - f * (1 / 120 - f * (1 / 252 - f * (1 / 240 - f / 132))))
    return result + math.log(v) - 0.5 / v - series


def factorial(n: Any) -> float:
    """``n!`` as a float, for integer n in 0..170."""
    k = _int(n, "n")
    if k > 170:
        raise _Bad("n must be <= 170 (the result overflows a float beyond)")
    return float(math.factorial(k))


def ln_factorial(n: Any) -> float:
    """``ln(n!)`` for a non-negative integer n."""
    return math.lgamma(_int(n, "n") + 1)


def logit(p: Any) -> float:
    """``log(p / (1 - p))`` for p in (0, 1)."""
    v = _num(p, "p")
    if not 0 < v < 1:
        raise _Bad("p must be in (0, 1)")
    return math.log(v / (1 - v))


def expit(x: Any) -> float:
    """The logistic sigmoid ``1 / (1 + exp(-x))``."""
    v = _num(x, "x")
    if v >= 0:
        return 1 / (1 + math.exp(-v))
    e = math.exp(v)
    return e / (1 + e)


def _positive(value: Any, what: str) -> float:
    v = _num(value, what)
    if v <= 0:
        raise _Bad(f"{what} must be > 0")
    return v


def _betacf(a: float, b: float, x: float) -> float:
    # continued fraction of the incomplete beta function (modified Lentz)
    qab, qap, qam = a + b, a + 1, a - 1
    c, d = 1.0, 1 - qab * x / qap
    d = 1 / (d if abs(d) > _TINY else _TINY)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        for aa in (m * (b - m) * x / ((qam + m2) * (a + m2)),
                   -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))):  # fmt: skip
            d = 1 + aa * d
            d = 1 / (d if abs(d) > _TINY else _TINY)
            c = 1 + aa / c
            c = c if abs(c) > _TINY else _TINY
            h *= d * c
        if abs(d * c - 1) < _EPS:
            break
    return h


def _ibeta(x: float, a: float, b: float) -> float:
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    front = math.exp(
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    if x < (a + 1) / (a + b + 2):
        return front * _betacf(a, b, x) / a
    return 1 - front * _betacf(b, a, 1 - x) / b


def _igamma(a: float, x: float) -> float:
    # regularized lower incomplete gamma P(a, x)
    if x <= 0:
        return 0.0
    lead = -x + a * math.log(x) - math.lgamma(a)
    if x < a + 1:
        term = total = 1 / a
        ap = a
        for _ in range(1000):
            ap += 1
            term *= x / ap
            total += term
            if abs(term) < abs(total) * _EPS:
                break
        return min(1.0, total * math.exp(lead))
    b = x + 1 - a
    c, d = 1 / _TINY, 1 / b
    h = d
    for i in range(1, 1000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = 1 / (d if abs(d) > _TINY else _TINY)
        c = b + an / c
        c = c if abs(c) > _TINY else _TINY
        h *= d * c
        if abs(d * c - 1) < _EPS:
            break
    return max(0.0, 1 - math.exp(lead) * h)


def regularized_incomplete_beta(x: Any, a: Any, b: Any) -> float:
    """``I_x(a, b)`` for x in [0, 1] and positive a, b."""
    v = _num(x, "x")
    if not 0 <= v <= 1:
        raise _Bad("x must be in [0, 1]")
    return _ibeta(v, _positive(a, "a"), _positive(b, "b"))


def regularized_incomplete_gamma(a: Any, x: Any) -> float:
    """Regularized lower incomplete gamma ``P(a, x)`` for positive a, x >= 0."""
    v = _num(x, "x")
    if v < 0:
        raise _Bad("x must be >= 0")
    return _igamma(_positive(a, "a"), v)


# ---------------------------------------------------------------- distributions


def normal_cdf(x: Any, mu: Any = None, sigma: Any = None) -> float:
    """CDF of ``N(mu, sigma)`` at x (mu defaults to 0, sigma to 1)."""
    m, s = _opt(mu, 0.0, "mu"), _opt(sigma, 1.0, "sigma")
    if s <= 0:
        raise _Bad("sigma must be > 0")
    return 0.5 * math.erfc(-(_num(x, "x") - m) / (s * math.sqrt(2)))


def normal_inverse_cdf(p: Any, mu: Any = None, sigma: Any = None) -> float:
    """Quantile of ``N(mu, sigma)``: -inf at p = 0, +inf at p = 1."""
    q = _num(p, "p")
    m, s = _opt(mu, 0.0, "mu"), _opt(sigma, 1.0, "sigma")
    if not 0 <= q <= 1:
        raise _Bad("p must be in [0, 1]")
    if s <= 0:
        raise _Bad("sigma must be > 0")
    if q == 0:
        return -math.inf
    if q == 1:
        return math.inf
    return NormalDist(m, s).inv_cdf(q)


def normal_ppf(p: Any) -> float:
    """Standard normal quantile (``normal_ppf(0.975)`` is about 1.96)."""
    return normal_inverse_cdf(p)


def beta_cdf(x: Any, alpha: Any, beta_: Any) -> float:
    """CDF of ``Beta(alpha, beta)`` at x (0 below 0, 1 above 1)."""
    v = _num(x, "x")
    return _ibeta(min(1.0, max(0.0, v)), _positive(alpha, "alpha"), _positive(beta_, "beta"))


def beta_ppf(p: Any, alpha: Any, beta_: Any) -> float:
    """Quantile of ``Beta(alpha, beta)`` (bisection to 1e-12)."""
    q = _num(p, "p")
    a, b = _positive(alpha, "alpha"), _positive(beta_, "beta")
    if not 0 <= q <= 1:
        raise _Bad("p must be in [0, 1]")
    lo, hi = 0.0, 1.0
    for _ in range(100):
        mid = (lo + hi) / 2
        if _ibeta(mid, a, b) < q:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-12:
            break
    return (lo + hi) / 2


def beta_mean(alpha: Any, beta_: Any) -> float:
    """Mean of ``Beta(alpha, beta)``: ``alpha / (alpha + beta)``."""
    a, b = _positive(alpha, "alpha"), _positive(beta_, "beta")
    return a / (a + b)


def beta_variance(alpha: Any, beta_: Any) -> float:
    """Variance of ``Beta(alpha, beta)``."""
    a, b = _positive(alpha, "alpha"), _positive(beta_, "beta")
    return a * b / ((a + b) ** 2 * (a + b + 1))


def gamma_cdf(x: Any, shape: Any, scale: Any) -> float:
    """CDF of ``Gamma(shape, scale)`` at x."""
    v = _num(x, "x")
    return _igamma(_positive(shape, "shape"), max(0.0, v) / _positive(scale, "scale"))


def poisson_cdf(k: Any, lam: Any) -> float:
    """``P(X <= k)`` for ``X ~ Poisson(lambda)``."""
    v = math.floor(_num(k, "k"))
    rate = _positive(lam, "lambda")
    if v < 0:
        return 0.0
    return 1 - _igamma(v + 1, rate)


def _t_two_sided(t: float, df: float) -> float:
    if math.isinf(t):
        return 0.0
    return _ibeta(df / (df + t * t), df / 2, 0.5)


def _chi2_sf(stat: float, df: float) -> float:
    return 1 - _igamma(df / 2, stat / 2) if stat > 0 else 1.0


# ---------------------------------------------------------------- tests and ranks


def welch_t_test(xs: Any, ys: Any) -> dict[str, float]:
    """Welch's two-sample t-test: ``{t_stat, df, p_value}`` (two-tailed).

    Each sample needs at least 2 values. Two constant samples give ``t_stat = 0, p_value = 1``
    when their means are equal and ``t_stat = +-inf, p_value = 0`` otherwise.
    """
    a, b = _array(xs, "xs", 2), _array(ys, "ys", 2)
    n1, n2 = len(a), len(b)
    m1, m2 = math.fsum(a) / n1, math.fsum(b) / n2
    v1, v2 = variance(a) / n1, variance(b) / n2
    se2 = v1 + v2
    if se2 == 0:
        if m1 == m2:
            return {"t_stat": 0.0, "df": float(n1 + n2 - 2), "p_value": 1.0}
        return {"t_stat": math.copysign(math.inf, m1 - m2), "df": float(n1 + n2 - 2),
                "p_value": 0.0}  # fmt: skip
    t = (m1 - m2) / math.sqrt(se2)
    df = se2 * se2 / (v1 * v1 / (n1 - 1) + v2 * v2 / (n2 - 1))
    return {"t_stat": t, "df": df, "p_value": _t_two_sided(t, df)}


def _ranks(xs: list[float]) -> list[float]:
    # tied values share the mean of their 0-based positions in sorted order, plus 1
    ordered = sorted(xs)
    first = dict(zip(reversed(ordered), range(len(ordered) - 1, -1, -1), strict=True))
    last = dict(zip(ordered, range(len(ordered)), strict=True))
    rank_of = {v: (first[v] + j) / 2 + 1 for v, j in last.items()}
    return list(map(rank_of.__getitem__, xs))


def rank(data: Any) -> list[float]:
    """1-based ranks; tied values share the average of their ranks."""
    xs = _array(data)
    _ranked(("data", xs))
    return _ranks(xs)


def spearman_correlation(xs: Any, ys: Any) -> float:
    """Spearman's rho: the Pearson correlation of the ranks."""
    a, b = _pair(xs, ys, 2)
    _ranked(("xs", a))
    return _pearson(_ranks(a), _ranks(b))


def kendall_tau(xs: Any, ys: Any) -> float:
    """Kendall's tau-b (tie-corrected) in [-1, 1]; 0 when either array is constant."""
    a, b = _pair(xs, ys, 2)
    if len(a) > KENDALL_TAU_MAX_LEN:
        raise _Bad(too_large("#xs", len(a), KENDALL_TAU_MAX_LEN, "rank a sample of the pairs"))
    concordant, discordant, ties_a, ties_b = _pair_counts(a, b)
    n0 = concordant + discordant
    denom = math.sqrt((n0 + ties_a) * (n0 + ties_b))
    return (concordant - discordant) / denom if denom else 0.0


def _pair_counts(a: list[float], b: list[float]) -> tuple[int, int, int, int]:
    """Over all pairs i < j: (concordant, discordant, tied in a only, tied in b only).

    Knight's method: walk the points in order of a, one group of equal a at a time, and count
    against the sorted b values of all points with a smaller a (bisection, O(n log n) steps).
    """
    concordant = discordant = ties_a = ties_b = 0
    seen: list[float] = []  # sorted b of the points with a smaller a
    for _, group in itertools.groupby(sorted(zip(a, b, strict=True)), key=lambda p: p[0]):
        bs = [y for _, y in group]
        for y in bs:
            below, upto = bisect.bisect_left(seen, y), bisect.bisect_right(seen, y)
            concordant += below
            ties_b += upto - below
            discordant += len(seen) - upto
        if len(bs) > 1:
            pairs = len(bs) * (len(bs) - 1) // 2
            ties_a += pairs - sum(k * (k - 1) // 2 for k in Counter(bs).values())
        for y in bs:
            bisect.insort(seen, y)
    return concordant, discordant, ties_a, ties_b


def mann_whitney_u(xs: Any, ys: Any, opts: Any = None) -> dict[str, float]:
    """Mann-Whitney U test (normal approximation, tie-corrected): ``{u_stat, z_score, p_value}``.

    ``u_stat`` is U of ``xs``; ``opts.continuity_correction`` defaults to true.
    """
    a, b = _array(xs, "xs"), _array(ys, "ys")
    _ranked(("xs", a), ("ys", b))
    correct = True
    if isinstance(opts, dict) and opts.get("continuity_correction") is False:
        correct = False
    n1, n2 = len(a), len(b)
    ranks = _ranks(a + b)
    u1 = math.fsum(ranks[:n1]) - n1 * (n1 + 1) / 2
    n = n1 + n2
    counts = Counter(a + b)
    tie = math.fsum(t**3 - t for t in counts.values())
    sigma2 = n1 * n2 / 12 * ((n + 1) - tie / (n * (n - 1))) if n > 1 else 0.0
    diff = u1 - n1 * n2 / 2
    if sigma2 <= 0:
        return {"u_stat": u1, "z_score": 0.0, "p_value": 1.0}
    if correct and diff != 0:
        diff -= math.copysign(0.5, diff)
    z = diff / math.sqrt(sigma2)
    return {"u_stat": u1, "z_score": z, "p_value": min(1.0, math.erfc(abs(z) / math.sqrt(2)))}


def chi_squared_test(observed: Any, expected: Any) -> dict[str, float]:
    """Chi-squared goodness of fit: ``{chi2_stat, df, p_value}`` with ``df = #observed - 1``."""
    o, e = _pair(observed, expected, 2)
    if any(x <= 0 for x in e):
        raise _Bad("expected frequencies must be > 0")
    stat = math.fsum((x - y) ** 2 / y for x, y in zip(o, e, strict=True))
    df = len(o) - 1
    return {"chi2_stat": stat, "df": float(df), "p_value": _chi2_sf(stat, df)}


def ks_test(xs: Any, ys: Any) -> dict[str, float]:
    """Two-sample Kolmogorov-Smirnov: ``{d_stat, p_value}`` (asymptotic p-value)."""
    a, b = _array(xs, "xs"), _array(ys, "ys")
    _ranked(("xs", a), ("ys", b))
    a.sort()
    b.sort()
    n1, n2 = len(a), len(b)
    # the largest gap between the two empirical CDFs, taken at every distinct value
    values = sorted(set(a) | set(b))
    below_a = map(bisect.bisect_right, itertools.repeat(a), values)
    below_b = map(bisect.bisect_right, itertools.repeat(b), values)
    d = max((abs(i / n1 - j / n2) for i, j in zip(below_a, below_b, strict=True)), default=0.0)
    ne = math.sqrt(n1 * n2 / (n1 + n2))
    lam = (ne + 0.12 + 0.11 / ne) * d
    if lam < 1e-3:
        return {"d_stat": d, "p_value": 1.0}
    p = 2 * math.fsum((-1) ** (k - 1) * math.exp(-2 * k * k * lam * lam) for k in range(1, 101))
    return {"d_stat": d, "p_value": min(1.0, max(0.0, p))}


# ---------------------------------------------------------------- ranking metrics, series


def ndcg(relevance: Any, k: Any) -> float:
    """Normalised discounted cumulative gain at cutoff k (0 when no item is relevant)."""
    rel = _array(relevance, "relevance")
    cut = _int(k, "k", 1)

    def dcg(values: list[float]) -> float:
        return math.fsum(r / math.log2(i + 2) for i, r in enumerate(values[:cut]))

    ideal = dcg(sorted(rel, reverse=True))
    return dcg(rel) / ideal if ideal > 0 else 0.0


def mrr(rankings: Any) -> float:
    """Mean reciprocal rank; a rank of 0 means "not found" and counts 0."""
    ranks = _array(rankings, "rankings")
    return math.fsum(1 / r if r > 0 else 0.0 for r in ranks) / len(ranks)


def moving_average(data: Any, window: Any) -> list[float]:
    """Simple moving average; ``#result == #data - window + 1`` (empty if window > #data)."""
    xs = _array(data)
    w = _int(window, "window", 1)
    work = max(len(xs) - w + 1, 0) * w
    if work > MOVING_AVERAGE_MAX_WORK:
        raise _Bad(
            too_large(
                "(#data - window + 1) * window",
                work,
                MOVING_AVERAGE_MAX_WORK,
                "use a smaller window or fewer points",
            )
        )
    return [math.fsum(xs[i : i + w]) / w for i in range(len(xs) - w + 1)]


def ewma(data: Any, alpha: Any) -> list[float]:
    """Exponentially weighted moving average, seeded with the first value."""
    xs = _array(data)
    a = _num(alpha, "alpha")
    if not 0 < a <= 1:
        raise _Bad("alpha must be in (0, 1]")
    out = [xs[0]]
    for x in xs[1:]:
        out.append(a * x + (1 - a) * out[-1])
    return out


def autocorrelation(data: Any, lag: Any) -> float:
    """Sample autocorrelation at ``lag`` (0 for a constant series)."""
    xs = _array(data)
    k = _int(lag, "lag")
    if k >= len(xs):
        raise _Bad("lag must be smaller than #data")
    m = math.fsum(xs) / len(xs)
    denom = math.fsum((x - m) ** 2 for x in xs)
    if denom == 0:
        return 0.0
    return math.fsum((xs[i] - m) * (xs[i + k] - m) for i in range(len(xs) - k)) / denom


FUNCTIONS: dict[str, Callable[..., Any]] = {
    f.__name__: f
    for f in (
        mean, variance, stddev, percentile, median, iqr, covariance, correlation, histogram,
        wilson_ci, softmax, logsumexp, log_normalize, entropy, kl_divergence, js_divergence,
        cross_entropy, erf, erfc, lgamma, ln_beta, beta, digamma, factorial, ln_factorial, logit,
        expit, regularized_incomplete_beta, regularized_incomplete_gamma, normal_cdf,
        normal_inverse_cdf, normal_ppf, beta_cdf, beta_ppf, beta_mean, beta_variance, gamma_cdf,
        poisson_cdf, welch_t_test, rank, spearman_correlation, kendall_tau, mann_whitney_u,
        chi_squared_test, ks_test, ndcg, mrr, moving_average, ewma, autocorrelation,
    )
}  # fmt: skip
"""The Python-side ``alc.math`` functions by Lua name."""


def has(op: Any) -> bool:
    """Whether ``alc.math.<op>`` is implemented here (the prelude asks before binding it)."""
    return isinstance(op, str) and op in FUNCTIONS


def call(op: str, *args: Any) -> Any:
    """Run ``alc.math.<op>(*args)``.

    Raises:
        LookupError: no such function.
        ValueError / TypeError: bad arguments; the message names ``alc.math.<op>``.
    """
    fn = FUNCTIONS.get(op)
    if fn is None:
        raise LookupError(f"alc.math.{op} does not exist")
    try:
        return fn(*args)
    except TypeError as exc:
        if "positional argument" in str(exc):
            raise TypeError(f"alc.math.{op}: wrong number of arguments") from None
        raise TypeError(f"alc.math.{op}: {exc}") from None
    except (_Bad, ArithmeticError) as exc:
        raise ValueError(f"alc.math.{op}: {exc}") from None
