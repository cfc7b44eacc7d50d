"""Bad request inputs through the Python API: each is a typed alc error with its exact code."""

from __future__ import annotations

from typing import Any

import pytest

import alc
from alc.engine._validate import INT_MAX, INT_MIN, MAX_DEPTH, check_json


def _nested(depth: int) -> dict[str, Any]:
    root: dict[str, Any] = {}
    node = root
    for _ in range(depth - 1):
        child: dict[str, Any] = {}
        node["a"] = child
        node = child
    return root


def _invalid(call: Any, match: str) -> alc.InvalidInput:
    with pytest.raises(alc.InvalidInput, match=match) as info:
        call()
    assert info.value.error_code == "invalid_input"
    return info.value


def _paused(engine: alc.Engine) -> str:
    out = engine.start(code="return alc.llm('q')")
    assert isinstance(out, alc.NeedsResponse)
    return out.session_id


@pytest.mark.parametrize("qid", ["q-²", "q-١", "q-1\n", "q-", "x-1", " q-1", "q-0x1"])
def test_malformed_query_id_is_invalid_input(engine: alc.Engine, qid: str) -> None:
    sid = _paused(engine)
    _invalid(lambda: engine.feed(sid, "a", query_id=qid), "is not a query id")
    _invalid(lambda: engine.feed(sid, responses={qid: "a"}), "is not a query id")
    done = engine.feed(sid, "ok", query_id="q-0")  # nothing was applied
    assert isinstance(done, alc.Completed) and done.result == "ok"


def test_ctx_nested_10000_deep_is_invalid_input(engine: alc.Engine) -> None:
    _invalid(lambda: engine.start(code="return 1", ctx=_nested(10_000)), "deeper than 200")
    deep_list: list[Any] = []
    for _ in range(10_000):
        deep_list = [deep_list]
    _invalid(lambda: engine.start(code="return 1", ctx={"x": deep_list}), "deeper than 200")


def test_ctx_at_the_depth_bound_runs(engine: alc.Engine) -> None:
    out = engine.start(code="return 1", ctx=_nested(MAX_DEPTH))
    assert isinstance(out, alc.Completed)
    _invalid(lambda: engine.start(code="return 1", ctx=_nested(MAX_DEPTH + 1)), "nests deeper")


@pytest.mark.parametrize(
    "ctx",
    [
        {"x": 10**400},
        {"x": [1, 2, -(10**400)]},
        {"budget": {"max_tokens": 10**400}},
        {"budget": {"max_llm_calls": INT_MAX + 1}},
        {"x": INT_MIN - 1},
    ],
)
def test_huge_integers_in_ctx_are_invalid_input(engine: alc.Engine, ctx: dict[str, Any]) -> None:
    error = _invalid(lambda: engine.start(code="return 1", ctx=ctx), "64-bit")
    assert "ctx." in str(error)


def test_integers_at_the_64_bit_bounds_run(engine: alc.Engine) -> None:
    out = engine.start(code="return {ctx.hi, ctx.lo}", ctx={"hi": INT_MAX, "lo": INT_MIN})
    assert isinstance(out, alc.Completed) and out.result == [INT_MAX, INT_MIN]


def test_lone_surrogate_in_code_is_invalid_input(engine: alc.Engine) -> None:
    _invalid(lambda: engine.start(code="return '\ud800'"), "code contains a lone surrogate")
    _invalid(lambda: engine.start(code="return 1", ctx={"k\udcff": 1}), "lone surrogate")


def test_code_must_be_text(engine: alc.Engine) -> None:
    _invalid(lambda: engine.start(code=b"return 1"), "code must be Lua source text")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "usage",
    [
        {"prompt_tokens": "abc"},
        {"prompt_tokens": "12"},
        {"prompt_tokens": True},
        {"response_tokens": -5},
        {"completion_tokens": -1},
        {"prompt_tokens": 10**400},
        {"prompt_tokens": 2**31},
        {"prompt_tokens": 1e300},
        {"prompt_tokens": 1.5},
        {"prompt_tokens": float("nan")},
        "lots",
        [1, 2],
    ],
)
def test_bad_usage_is_invalid_input(engine: alc.Engine, usage: Any) -> None:
    sid = _paused(engine)
    _invalid(lambda: engine.feed(sid, "a", usage=usage), "usage")
    done = engine.feed(sid, "a", usage={"prompt_tokens": 3, "response_tokens": 4.0})
    assert isinstance(done, alc.Completed)
    assert done.stats["auto"]["prompt_tokens"] == {"source": "provided", "tokens": 3}
    assert done.stats["auto"]["response_tokens"] == {"source": "provided", "tokens": 4}


def test_negative_usage_cannot_defeat_max_tokens(engine: alc.Engine) -> None:
    out = engine.start(
        code="alc.llm('a') alc.llm('b') return 'done'", ctx={"budget": {"max_tokens": 50}}
    )
    _invalid(
        lambda: engine.feed(
            out.session_id, "x", usage={"prompt_tokens": -(10**9), "response_tokens": 0}
        ),
        "usage.prompt_tokens",
    )


def test_usage_model_refuses_bad_counts() -> None:
    with pytest.raises(ValueError):
        alc.Usage(prompt_tokens=-1)
    with pytest.raises(ValueError):
        alc.Usage(prompt_tokens=True)
    assert alc.Usage.parse({"input_tokens": 2, "output_tokens": 3}) == alc.Usage(
        prompt_tokens=2, response_tokens=3
    )


@pytest.mark.parametrize("suffix", ["\n", "\r", " ", "\x00"])
def test_session_id_with_trailing_characters_is_invalid_input(
    engine: alc.Engine, suffix: str
) -> None:
    sid = _paused(engine)
    for call in (
        lambda: engine.status(sid + suffix),
        lambda: engine.feed(sid + suffix, "a"),
        lambda: engine.cancel(sid + suffix),
    ):
        _invalid(call, "is not a session id")


def test_check_json_is_iterative_and_names_the_path() -> None:
    check_json({"a": [1, 2.5, "x", None, True, {"b": []}]}, "ctx")
    with pytest.raises(alc.InvalidInput, match=r"ctx\.a\[2\]\.b is an integer"):
        check_json({"a": [0, 1, {"b": 2**64}]}, "ctx")
    with pytest.raises(alc.InvalidInput, match="nests deeper"):
        check_json(_nested(1_000_000), "ctx")  # no RecursionError however deep
    with pytest.raises(alc.InvalidInput, match=r"key 1 of type int"):
        check_json({1: "a"}, "ctx")
    with pytest.raises(alc.InvalidInput, match="is a set"):
        check_json({"a": {1}}, "ctx")


def test_oversized_code_and_ctx_are_invalid_input() -> None:
    from alc.engine._validate import MAX_CODE_CHARS, MAX_CTX_BYTES

    engine = alc.Engine()
    with pytest.raises(alc.InvalidInput, match="code is"):
        engine.start(code="--" + "x" * MAX_CODE_CHARS)
    with pytest.raises(alc.InvalidInput, match="ctx is"):
        engine.start(code="return 1", ctx={"blob": "x" * MAX_CTX_BYTES})
