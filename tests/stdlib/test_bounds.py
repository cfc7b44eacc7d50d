"""Size bounds of the Python primitives (``alc/engine/stdlib/_bounds.py``).

Each primitive finishes at its bound and raises the documented error one step past it, in
Python and through a real Lua session (a catchable Lua error; uncaught, ``lua_error``). No test
here measures time: the bounds were sized by measurement, the tests only pin the behaviour.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

import pytest

import alc
from alc.engine import stdlib
from alc.engine.stdlib import _bounds as B
from alc.engine.stdlib import mathlib, text

MiB = 1024 * 1024


def _raises(fn: Callable[..., Any], *args: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        fn(*args)


# ---------------------------------------------------------------- text


def test_match_enum_text_bound() -> None:
    at = "x " * (B.MATCH_ENUM_MAX_TEXT_CHARS // 2 - 2) + "pass"
    assert text.match_enum(at, ["PASS"]) == "PASS"
    _raises(
        text.match_enum,
        at + "  ",
        ["PASS"],
        match=r"^alc\.match_enum: the text length is 100,002, over the bound of 100,000; ",
    )


def test_match_enum_candidate_bounds() -> None:
    names = [f"c{i:03d}" + "x" * (B.MATCH_ENUM_MAX_CANDIDATE_CHARS - 4) for i in range(100)]
    assert len(names) == B.MATCH_ENUM_MAX_CANDIDATES
    assert text.match_enum("... " + names[-1], names) == names[-1]
    _raises(
        text.match_enum,
        "a",
        [*names, "y"],
        match=r"^alc\.match_enum: the number of candidates is 101, over the bound of 100",
    )
    _raises(
        text.match_enum,
        "a",
        ["ok", "y" * 101],
        match=r"^alc\.match_enum: candidate 2: its length is 101, over the bound of 100",
    )


def _distinct_words(count: int, length: int, exclude: set[str]) -> list[str]:
    rng = random.Random(count)
    words: dict[str, None] = {}
    while len(words) < count:
        word = "".join(rng.choice("abcdefgh") for _ in range(length))
        if word not in exclude:
            words[word] = None
    return list(words)


def test_match_enum_fuzzy_work_bound() -> None:
    # work = distinct words x candidates x (4 + min(#word, #candidate)) = 2,500 x 4 x 10
    cands = ["abcdef", "bcdefa", "cdefab", "defabc"]
    words = _distinct_words(B.MATCH_ENUM_MAX_FUZZY_WORK // 40, 6, exclude={*cands, "hgfedc"})
    body = " ".join(words) + " " + " ".join(words[:50])
    result = text.match_enum(body, cands, {"threshold": 0.0})
    assert result in cands
    # repeated words and punctuation around them do not count twice
    assert text.match_enum(body + " (" + words[0] + ")!", cands, {"threshold": 0.0}) == result
    more = body + " hgfedc"
    _raises(
        text.match_enum,
        more,
        cands,
        match=r"^alc\.match_enum: no candidate occurs in the text, and the typo-matching "
        r"work \(.* distinct words x 4 candidates\) is 100,040, over the bound of 100,000",
    )
    # the bound is about typo matching: an exact hit answers whatever the text holds
    assert text.match_enum(more + " defabc", cands) == "defabc"


def test_jaro_winkler_is_exact_on_long_strings() -> None:
    # the quadratic textbook loop, kept here as the reference for the character-wise one
    def reference(a: str, b: str) -> float:
        if a == b:
            return 1.0
        la, lb = len(a), len(b)
        if not la or not lb:
            return 0.0
        window = max(max(la, lb) // 2 - 1, 0)
        a_hit, b_hit, m = [False] * la, [False] * lb, 0
        for i, ch in enumerate(a):
            for j in range(max(0, i - window), min(lb, i + window + 1)):
                if not b_hit[j] and b[j] == ch:
                    a_hit[i] = b_hit[j] = True
                    m += 1
                    break
        if not m:
            return 0.0
        sa = [c for c, h in zip(a, a_hit, strict=True) if h]
        sb = [c for c, h in zip(b, b_hit, strict=True) if h]
        t = sum(x != y for x, y in zip(sa, sb, strict=True)) / 2
        jaro = (m / la + m / lb + (m - t) / m) / 3
        p = 0
        for x, y in zip(a[:4], b[:4], strict=False):
            if x != y:
                break
            p += 1
        return jaro + p * 0.1 * (1 - jaro)

    rng = random.Random(5)
    for _ in range(3000):
        alphabet = rng.choice(["ab", "abc", "abcdefgh", "aab "])
        a = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24)))
        b = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24)))
        assert text.jaro_winkler(a, b) == reference(a, b), (a, b)
    a, b = "ab" * 600, "ba" * 50 + "c" * 400
    assert text.jaro_winkler(a, b) == reference(a, b)


def test_match_bool_text_bound() -> None:
    at = "n" * (B.TEXT_MAX_CHARS - 3) + " ok"
    assert text.match_bool(at) is True
    assert text.match_bool("ok " * 1000 + "no.") is False
    _raises(
        text.match_bool,
        at + "!",
        match=r"^alc\.match_bool: the text length is 1,000,001, over the bound of 1,000,000",
    )


def test_chunk_bounds() -> None:
    body = "x" * B.TEXT_MAX_CHARS
    windows = text.chunk(body, {"mode": "chars", "size": 10})
    assert len(windows) == B.CHUNK_MAX_WINDOWS and windows[-1] == "x" * 10
    _raises(
        text.chunk,
        body + "y",
        match=r"^alc\.chunk: the text length is 1,000,001, over the bound of 1,000,000",
    )
    _raises(
        text.chunk,
        body,
        {"mode": "chars", "size": 9},
        match=r"^alc\.chunk: the number of windows is 111,112, over the bound of 100,000; ",
    )
    # 100 full windows of 40,000 characters: the output bound exactly
    assert sum(map(len, text.chunk("y" * 990_400, WIDE))) == B.CHUNK_MAX_OUTPUT_CHARS
    _raises(
        text.chunk,
        "y" * 990_401,
        WIDE,
        match=r"^alc\.chunk: the length of all windows together is 4,030,401, over the "
        r"bound of 4,000,000",
    )
    lines = "\n".join(["abc"] * 250_000)  # 999,999 characters
    windows = text.chunk(lines, {"size": 10, "overlap": 7})
    assert len(windows) == 83_331 and sum(map(len, windows)) == 3_249_909
    _raises(
        text.chunk,
        lines,
        {"size": 13, "overlap": 10},
        match=r"^alc\.chunk: the length of all windows together is 4,249,830, over",
    )


WIDE = {"mode": "chars", "size": 40_000, "overlap": 30_400}


# ---------------------------------------------------------------- math

ARRAY_OPS_1 = (
    "mean",
    "variance",
    "stddev",
    "median",
    "iqr",
    "softmax",
    "logsumexp",
    "log_normalize",
    "entropy",
    "mrr",
)
ARRAY_OPS_2 = (
    "covariance",
    "correlation",
    "kl_divergence",
    "js_divergence",
    "cross_entropy",
    "welch_t_test",
    "chi_squared_test",
)
RANKED_OPS = ("spearman_correlation", "mann_whitney_u", "ks_test")


def _data(n: int) -> list[float]:
    rng = random.Random(n)
    return [rng.random() + 0.5 for _ in range(n)]


@pytest.mark.parametrize("op", ARRAY_OPS_1 + ARRAY_OPS_2)
def test_math_array_bound(op: str) -> None:
    at, over = _data(B.MATH_MAX_ARRAY), _data(B.MATH_MAX_ARRAY + 1)
    args = (at,) if op in ARRAY_OPS_1 else (at, at[::-1])
    mathlib.call(op, *args)
    bad = (over,) if op in ARRAY_OPS_1 else (over, over)
    _raises(
        mathlib.call,
        op,
        *bad,
        match=rf"^alc\.math\.{op}: #\w+ is 50,001, over the bound of 50,000; ",
    )


@pytest.mark.parametrize("op", (*RANKED_OPS, "rank"))
def test_math_ranked_bound(op: str) -> None:
    at, over = _data(B.MATH_MAX_RANKED), _data(B.MATH_MAX_RANKED + 1)
    if op == "rank":
        mathlib.call(op, at)
    else:
        mathlib.call(op, at, at[::-1])
    bad = (over,) if op == "rank" else (over, over)
    _raises(
        mathlib.call,
        op,
        *bad,
        match=rf"^alc\.math\.{op}: #\w+ is 10,001, over the bound of 10,000; rank a sample",
    )


def test_math_other_bounds() -> None:
    data = _data(B.MATH_MAX_ARRAY)
    hist = mathlib.call("histogram", data, B.MATH_MAX_BINS)
    assert len(hist["edges"]) == B.MATH_MAX_BINS + 1 and sum(hist["counts"]) == len(data)
    _raises(
        mathlib.call,
        "histogram",
        data,
        B.MATH_MAX_BINS + 1,
        match=r"^alc\.math\.histogram: bins is 10,001, over the bound of 10,000; ",
    )
    k = B.KENDALL_TAU_MAX_LEN
    assert mathlib.call("kendall_tau", list(range(k)), list(range(k, 0, -1))) == -1.0
    _raises(
        mathlib.call,
        "kendall_tau",
        _data(k + 1),
        _data(k + 1),
        match=r"^alc\.math\.kendall_tau: #xs is 10,001, over the bound of 10,000",
    )
    # (2999 - 1000 + 1) * 1000 is the bound, 2,000,000
    assert len(mathlib.call("moving_average", data[:2999], 1000)) == 2000
    _raises(
        mathlib.call,
        "moving_average",
        data[:3000],
        1000,
        match=r"^alc\.math\.moving_average: \(#data - window \+ 1\) \* window is 2,001,000",
    )
    assert mathlib.call("moving_average", data[:10], 50_000) == []  # no window fits: no work
    for op, args in [
        ("ndcg", (data, B.MATH_MAX_ARRAY)),
        ("ewma", (data, 0.5)),
        ("autocorrelation", (data, 10)),
        ("percentile", (data, 90)),
    ]:
        mathlib.call(op, *args)
        _raises(
            mathlib.call,
            op,
            _data(B.MATH_MAX_ARRAY + 1),
            *args[1:],
            match=rf"^alc\.math\.{op}: #\w+ is 50,001",
        )
    _raises(mathlib.call, "factorial", 171, match=r"n must be <= 170")


def test_kendall_tau_matches_the_pairwise_definition() -> None:
    def pairwise(a: list[float], b: list[float]) -> float:
        c = d = ta = tb = 0
        for i in range(len(a)):
            for j in range(i + 1, len(a)):
                da, db = a[i] - a[j], b[i] - b[j]
                if da == 0 and db == 0:
                    continue
                if da == 0:
                    ta += 1
                elif db == 0:
                    tb += 1
                elif (da > 0) == (db > 0):
                    c += 1
                else:
                    d += 1
        denom = ((c + d + ta) * (c + d + tb)) ** 0.5
        return (c - d) / denom if denom else 0.0

    rng = random.Random(11)
    for _ in range(300):
        n = rng.randint(2, 25)
        pool = rng.choice([[0, 1, 2], [0.0, -0.0, 1.5], list(range(40))])
        a = [float(rng.choice(pool)) for _ in range(n)]
        b = [float(rng.choice(pool)) for _ in range(n)]
        assert mathlib.call("kendall_tau", a, b) == pytest.approx(pairwise(a, b), abs=1e-15)


# ---------------------------------------------------------------- through Lua


@pytest.fixture(scope="module")
def engine() -> alc.Engine:
    return alc.Engine()


def _catch(engine: alc.Engine, expr: str, setup: str = "") -> str:
    out = engine.start(
        code=f"{setup}\nlocal ok, err = pcall(function() return {expr} end)\n"
        "return {ok = ok, err = tostring(err)}"
    )
    assert isinstance(out, alc.Completed), out
    assert out.result["ok"] is False, out.result
    return str(out.result["err"])


ARRAY = "local t = {} for i = 1, %d do t[i] = (i %% 97) + 0.5 end"


@pytest.mark.parametrize(
    ("expr", "setup", "message"),
    [
        (
            "alc.match_enum(string.rep('x ', 50001), {'a'})",
            "",
            "alc.match_enum: the text length is 100,002, over the bound of 100,000",
        ),
        (
            "alc.match_enum('x', t)",
            "local t = {} for i = 1, 101 do t[i] = 'c' .. i end",
            "alc.match_enum: the number of candidates is 101",
        ),
        (
            "alc.match_bool(string.rep('n', 1000001))",
            "",
            "alc.match_bool: the text length is 1,000,001, over the bound of 1,000,000",
        ),
        (
            "alc.chunk(string.rep('x', 1000000), {mode = 'chars', size = 9})",
            "",
            "alc.chunk: the number of windows is 111,112, over the bound of 100,000",
        ),
        ("alc.math.mean(t)", ARRAY % 50001, "alc.math.mean: #data is 50,001"),
        ("alc.math.rank(t)", ARRAY % 10001, "alc.math.rank: #data is 10,001"),
        ("alc.math.histogram({1, 2}, 10001)", "", "alc.math.histogram: bins is 10,001"),
        ("alc.math.kendall_tau(t, t)", ARRAY % 10001, "alc.math.kendall_tau: #xs is 10,001"),
        (
            "alc.math.moving_average(t, 1000)",
            ARRAY % 3000,
            "alc.math.moving_average: (#data - window + 1) * window is 2,001,000",
        ),
        ("alc.math.permutations(11)", "", "alc.math.permutations: n must be <= 10"),
    ],
)
def test_bounds_are_catchable_lua_errors(
    engine: alc.Engine, expr: str, setup: str, message: str
) -> None:
    assert message in _catch(engine, expr, setup)


def test_an_uncaught_bound_error_fails_the_session(engine: alc.Engine) -> None:
    out = engine.start(code="return alc.match_bool(string.rep('n', 1000001))")
    assert isinstance(out, alc.Failed) and out.error_code == "lua_error"
    assert "alc.match_bool: the text length is 1,000,001, over the bound of 1,000,000" in out.error


def test_permutations_are_built_in_lua(engine: alc.Engine) -> None:
    out = engine.start(
        code="""
        local p3, p0 = alc.math.permutations(3), alc.math.permutations(0)
        local p8 = alc.math.permutations(8.0)
        local ok, err = pcall(alc.math.permutations, -1)
        return {p3 = p3, p0 = p0, n8 = #p8, last8 = p8[#p8], err = err}
        """
    )
    assert isinstance(out, alc.Completed), out
    r = out.result
    assert r["p3"] == [[1, 2, 3], [1, 3, 2], [2, 1, 3], [2, 3, 1], [3, 1, 2], [3, 2, 1]]
    assert r["p0"] == [[]] and r["n8"] == 40320 and r["last8"] == [8, 7, 6, 5, 4, 3, 2, 1]
    assert r["err"] == "alc.math.permutations: n must be an integer >= 0"


def test_permutations_past_the_session_memory_is_memory_limit(engine: alc.Engine) -> None:
    out = engine.start(code="return #alc.math.permutations(10)", limits={"max_memory": 64 * MiB})
    assert isinstance(out, alc.Failed) and out.error_code == "memory_limit", out


# ---------------------------------------------------------------- every primitive at its maximum


def _maximal_math_args(op: str) -> tuple[Any, ...]:
    arr, ranked = _data(B.MATH_MAX_ARRAY), _data(B.MATH_MAX_RANKED)
    special: dict[str, tuple[Any, ...]] = {
        "percentile": (arr, 50),
        "histogram": (arr, B.MATH_MAX_BINS),
        "ndcg": (arr, B.MATH_MAX_ARRAY),
        "ewma": (arr, 0.3),
        "autocorrelation": (arr, B.MATH_MAX_ARRAY - 1),
        "moving_average": (arr[:2000], 1000),
        "kendall_tau": (ranked, ranked[::-1]),
        "rank": (ranked,),
        "mann_whitney_u": (ranked, ranked[::-1]),
        "ks_test": (ranked, ranked[::-1]),
        "spearman_correlation": (ranked, ranked[::-1]),
        "wilson_ci": (50, 100, 0.95),
        "factorial": (170,),
        "ln_factorial": (2**62,),
        "beta_ppf": (0.3, 1e6, 1e6),
        "beta_cdf": (0.5, 1e6, 1e6),
        "regularized_incomplete_beta": (0.5, 1e6, 1e6),
        "regularized_incomplete_gamma": (1e6, 1e6),
        "gamma_cdf": (1e6, 1e6, 1.0),
        "poisson_cdf": (1e9, 1e9),
        "normal_cdf": (0.3, 0, 1),
        "normal_inverse_cdf": (0.3, 0, 1),
        "normal_ppf": (0.975,),
        "logit": (0.3,),
        "ln_beta": (1e6, 1e6),
        "beta": (3, 4),
        "beta_mean": (3, 4),
        "beta_variance": (3, 4),
    }
    if op in special:
        return special[op]
    if op in ARRAY_OPS_1:
        return (arr,)
    if op in ARRAY_OPS_2:
        return (arr, arr[::-1])
    return (0.7,)  # the scalar functions of one number


def test_every_primitive_at_its_maximum_returns_a_bounded_result() -> None:
    for op in mathlib.FUNCTIONS:
        result = mathlib.call(op, *_maximal_math_args(op))
        assert len(json.dumps(result)) < 2 * MiB, op
    longest = "x " * (B.MATCH_ENUM_MAX_TEXT_CHARS // 2)
    calls: dict[str, tuple[Any, ...]] = {
        "match_enum": (longest, ["y" * B.MATCH_ENUM_MAX_CANDIDATE_CHARS] * 100),
        "match_bool": ("n" * B.TEXT_MAX_CHARS,),
        "chunk": ("y" * 990_400, WIDE),
        "_stdlib.math": ("softmax", _data(B.MATH_MAX_ARRAY)),
        "_stdlib.math_has": ("x" * B.TEXT_MAX_CHARS,),
    }
    assert set(calls) == set(stdlib.PRIMITIVES), "a new primitive needs a bound and a case here"
    for name, args in calls.items():
        result = stdlib.PRIMITIVES[name](*args)
        assert len(json.dumps(result)) <= B.CHUNK_MAX_OUTPUT_CHARS + 4 * MiB, name
