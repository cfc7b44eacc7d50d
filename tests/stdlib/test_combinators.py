"""The pure prelude combinators (core.lua) and the lazy loader (prelude.lua)."""

from __future__ import annotations

import pytest


def test_fingerprint(run) -> None:  # type: ignore[no-untyped-def]
    result = run(
        "return {alc.fingerprint('hello'), alc.fingerprint('  Fix the Login Bug  '),"
        " alc.fingerprint('fix   the login\\nbug'), alc.fingerprint('')}"
    )
    assert result[0] == "0f923099"
    assert result[1] == result[2]
    assert result[3] == "00001505"  # 5381


def test_vote(run) -> None:  # type: ignore[no-untyped-def]
    result = run(
        """
        return {
          alc.vote({"yes", " yes ", "no", "yes"}),
          alc.vote({"a", "b", "b", "a"}),
          alc.vote({"b", "a"}),
          alc.vote({}),
          alc.vote({1, 1, 2}),
        }
        """
    )
    assert result[0] == {"winner": "yes", "count": 3, "total": 4}
    assert result[1] == {"winner": "a", "count": 2, "total": 4}  # tie: first seen
    assert result[2] == {"winner": "b", "count": 1, "total": 2}
    assert result[3] == {"count": 0, "total": 0}  # winner nil
    assert result[4] == {"winner": "1", "count": 2, "total": 3}


@pytest.mark.parametrize(
    ("text", "default", "expected"),
    [("Score: 8/10", None, 8), ("I'd say 15", None, 10), ("0 points", None, 1),
     ("no digits", None, 5), ("no digits", 3, 3), ("-4", None, 4)],
)  # fmt: skip
def test_parse_score(run, text: str, default: int | None, expected: int) -> None:  # type: ignore[no-untyped-def]
    d = "nil" if default is None else str(default)
    assert run(f"return alc.parse_score({text!r}, {d})") == expected


def test_parse_number(run) -> None:  # type: ignore[no-untyped-def]
    result = run(
        """
        return {alc.parse_number("Found 3 subtasks"), alc.parse_number("Score: 7.5/10"),
                alc.parse_number("delta -2.25"),
                alc.parse_number("Found 3 subtasks", "(%d+)%s+sub"),
                alc.parse_number("no numbers") == nil, alc.parse_number(nil) == nil}
        """
    )
    assert result == [3, 7.5, -2.25, 3, True, True]


def test_json_extract(run) -> None:  # type: ignore[no-untyped-def]
    result = run(
        r"""
        local x = alc.json_extract
        return {
          raw = x('{"a": 1, "b": [1, 2]}'),
          fenced = x('Here you go:\n```json\n{"answer": "42"}\n```\nThanks'),
          plain_fence = x('```\n[1, 2, 3]\n```'),
          embedded = x('The result is {"ok": true, "n": null} as requested.'),
          object_first = x('list [1, 2] then {"k": "v"}'),
          array = x('values: [1, 2, 3].'),
          string_braces = x('note {"text": "a } inside"} end'),
          nested_bad = x('{broken {"inner": 1} }'),
          none = x("no json here") == nil,
          scalar = x("42") == nil,
          not_string = x(nil) == nil,
          empty_obj = x("{}"),
        }
        """
    )
    assert result["raw"] == {"a": 1, "b": [1, 2]}
    assert result["fenced"] == {"answer": "42"}
    assert result["plain_fence"] == [1, 2, 3]
    assert result["embedded"] == {"ok": True}  # null decodes to nil
    assert result["object_first"] == {"k": "v"}
    assert result["array"] == [1, 2, 3]
    assert result["string_braces"] == {"text": "a } inside"}
    assert result["nested_bad"] == {"inner": 1}
    assert result["none"] is True and result["scalar"] is True and result["not_string"] is True
    assert result["empty_obj"] == {}


def test_map_reduce_filter(run) -> None:  # type: ignore[no-untyped-def]
    result = run(
        """
        local sq = alc.map({1, 2, 3}, function(x, i) return x * x + i end)
        local sum = alc.reduce({1, 2, 3, 4}, function(a, x) return a + x end)
        local prod = alc.reduce({1, 2, 3}, function(a, x) return a * x end, 10)
        local evens = alc.filter({1, 2, 3, 4}, function(x) return x % 2 == 0 end)
        local none = alc.filter({1, 3}, function(x) return x % 2 == 0 end)
        return {sq = sq, sum = sum, prod = prod, evens = evens, none = none,
                empty_map = alc.map({}, tostring)}
        """
    )
    assert result == {
        "sq": [2, 6, 12], "sum": 10, "prod": 60, "evens": [2, 4], "none": [], "empty_map": [],
    }  # fmt: skip


def test_tuning(run) -> None:  # type: ignore[no-untyped-def]
    result = run(
        """
        local defaults = {k = 3, exponents = {alpha = 1.0, beta = 1.0}, tags = {"a", "b"},
                          empty = {}, _schema = {k = "int"}}
        return {
          plain = alc.tuning(defaults, ctx),
          prefixed = alc.tuning(defaults, ctx, {prefix = "pkg"}),
          missing_prefix = alc.tuning(defaults, ctx, {prefix = "other"}),
          scalar = alc.tuning(5, ctx),
        }
        """,
        ctx={
            "k": 7,
            "exponents": {"alpha": 2.0},
            "tags": ["z"],
            "empty": [1, 2],
            "unknown": 1,
            "pkg": {"k": 9, "tags": []},
        },
    )
    assert result["plain"] == {
        "k": 7, "exponents": {"alpha": 2.0, "beta": 1.0}, "tags": ["z"], "empty": [1, 2],
    }  # fmt: skip
    assert result["prefixed"] == {
        "k": 9, "exponents": {"alpha": 1.0, "beta": 1.0}, "tags": [], "empty": {},
    }  # fmt: skip
    assert result["missing_prefix"]["k"] == 7  # a missing namespace falls back to ctx
    assert result["scalar"] == 5


def test_budget_check(run) -> None:  # type: ignore[no-untyped-def]
    code = "local before = alc.budget_check() alc.llm('x') return {before, alc.budget_check()}"
    assert run(code, ["a"]) == [True, True]
    assert run(code, ["a"], ctx={"budget": {"max_llm_calls": 1}}) == [True, False]
    assert run(code, ["a"], ctx={"budget": {"max_llm_calls": 5}}) == [True, True]


def test_lazy_loading_is_invisible(run) -> None:  # type: ignore[no-untyped-def]
    result = run(
        """
        local before = rawget(alc, "vote") == nil
        local f = alc.vote
        return {before = before, after = rawget(alc, "vote") == f, type = type(alc.pipe),
                hidden = alc._stdlib == nil, unknown = alc.nope == nil,
                math_missing = alc.math.nope == nil}
        """
    )
    assert result == {"before": True, "after": True, "type": "function", "hidden": True,
                      "unknown": True, "math_missing": True}  # fmt: skip


def test_library_survives_reassigned_globals(run) -> None:  # type: ignore[no-untyped-def]
    result = run(
        """
        string = nil
        pairs = nil
        return alc.vote({"x", "x", "y"}).winner
        """
    )
    assert result == "x"


def test_stub_gives_way_to_the_loader_on_the_first_read(run) -> None:  # type: ignore[no-untyped-def]
    # prelude.lua's stub: the first read of alc.<name> or alc.math.<name> loads loader.lua,
    # which takes over both tables; a strategy's own metatable and tables are left alone
    result = run(
        """
        local stub = getmetatable(alc)
        local first = alc.math.mean({1, 2, 3})
        local replaced = getmetatable(alc) ~= stub and getmetatable(alc.math) ~= stub
        local mine = setmetatable({}, stub)   -- the stub on a table of the strategy's own
        return {first = first, replaced = replaced, mine = mine.vote == nil,
                again = stub.__index(alc, "vote") == alc.vote}
        """
    )
    assert result == {"first": 2, "replaced": True, "mine": True, "again": True}


def test_stub_keeps_the_strategys_own_metatables(run) -> None:  # type: ignore[no-untyped-def]
    result = run(
        """
        local math_table = alc.math
        setmetatable(alc, {__index = function(_, k) return "own " .. k end})
        alc.math = {}
        return {alc.vote, math_table.mean({2, 4}), math_table.nope == nil,
                rawget(alc.math, "mean") == nil}
        """
    )
    assert result == ["own vote", 3, True, True]


def test_library_survives_globals_reassigned_before_its_first_read(run) -> None:  # type: ignore[no-untyped-def]
    result = run(
        """
        setmetatable, getmetatable, require, rawget, rawset, type, ipairs, next, error =
          nil, nil, nil, nil, nil, nil, nil, nil, nil
        return {alc.map({1, 2}, function(x) return x * 2 end), alc.math.mean({1, 3}),
                alc.env:get("missing", "d")}
        """
    )
    assert result == [[2, 4], 2, "d"]
