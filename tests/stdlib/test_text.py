"""alc.match_enum, alc.match_bool, alc.chunk: unit vectors in Python and through Lua."""

from __future__ import annotations

import pytest

from alc.engine.stdlib.text import chunk, jaro_winkler, match_bool, match_enum

V = ["PASS", "BLOCKED"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Verdict: BLOCKED. Fix the issues.", "BLOCKED"),
        ("verdict: pass. all good.", "PASS"),
        ("Initially BLOCKED, but after review: PASS", "PASS"),
        ("PASS at first, then BLOCKED", "BLOCKED"),
        ("BLOKED", "BLOCKED"),  # fuzzy: a typo
        (
            "After careful review of all the evidence and considering multiple factors, "
            "the final verdict is BLCKED due to missing tests.",
            "BLOCKED",
        ),
        ("The weather is nice today", None),
        ("something unrelated", None),
        ("", None),
    ],
)
def test_match_enum_vectors(text: str, expected: str | None) -> None:
    assert match_enum(text, V) == expected


def test_match_enum_threshold_and_ties() -> None:
    assert match_enum("BLOKED", V, {"threshold": 0.99}) is None
    assert match_enum("the answer is b", ["b", "B"]) == "b"  # same position: first listed
    assert match_enum("yes", ["", "yes"]) == "yes"  # an empty candidate never matches
    assert match_enum(42, ["42"]) == "42"


def test_jaro_winkler_reference_values() -> None:
    assert jaro_winkler("martha", "marhta") == pytest.approx(0.9611, abs=1e-4)
    assert jaro_winkler("dixon", "dicksonx") == pytest.approx(0.8133, abs=1e-4)
    assert jaro_winkler("abc", "abc") == 1.0
    assert jaro_winkler("", "abc") == 0.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Approved. The plan looks good.", True),
        ("rejected: missing test coverage", False),
        ("I need more information about the design", None),
        ("No issues found. Approved.", True),
        ("Approved? No.", False),
        ("This is a broken token", None),
        ("We need to bypass the filter", None),
        ("Great innovation in technology", None),
        ("yes, that works", True),
        ("The process failed gracefully", None),
        ("LGTM", True),
        ("I disagree", False),
        ("it is TRUE", True),
    ],
)
def test_match_bool_vectors(text: str, expected: bool | None) -> None:
    assert match_bool(text) is expected


def test_chunk_lines_and_chars() -> None:
    assert chunk("a\nb\nc\nd\ne", {"size": 2}) == ["a\nb", "c\nd", "e"]
    assert chunk("a\nb\nc\nd\ne", {"size": 3, "overlap": 1}) == ["a\nb\nc", "c\nd\ne"]
    assert chunk("a\nb\nc\nd", {"size": 2, "overlap": 1}) == ["a\nb", "b\nc", "c\nd"]
    assert chunk("a\nb\nc", {"size": 2, "overlap": 5}) == ["a\nb", "b\nc"]
    assert chunk("a\r\nb\n", {"size": 5}) == ["a\nb"]
    assert chunk("", {}) == []
    assert chunk("a\nb", {"size": 0}) == []
    assert chunk("abcdef", {"mode": "chars", "size": 4, "overlap": 2}) == ["abcd", "cdef"]
    assert chunk("あいうえお", {"mode": "chars", "size": 2}) == ["あい", "うえ", "お"]
    lines = "\n".join(f"l{i}" for i in range(120))
    assert len(chunk(lines)) == 3  # default: 50 lines


def test_chunk_rejects_bad_sizes() -> None:
    with pytest.raises(ValueError, match=r"opts\.size"):
        chunk("abc", {"size": -1})
    with pytest.raises(ValueError, match=r"opts\.overlap"):
        chunk("abc", {"overlap": 1.5})


def test_through_lua(run) -> None:  # type: ignore[no-untyped-def]
    result = run(
        """
        return {
          enum = alc.match_enum("final: pass", {"PASS", "BLOCKED"}),
          none = alc.match_enum("nothing", {"PASS"}) == nil,
          yes = alc.match_bool("LGTM!"),
          unknown = alc.match_bool("maybe") == nil,
          chars = alc.chunk("héllo wörld", {mode = "chars", size = 4}),
          lines = alc.chunk("a\\nb\\nc", {size = 2}),
          empty = alc.chunk("", {}),
        }
        """
    )
    assert result == {
        "enum": "PASS",
        "none": True,
        "yes": True,
        "unknown": True,
        "chars": ["héll", "o wö", "rld"],
        "lines": ["a\nb", "c"],
        "empty": [],
    }


def test_byte_sliced_utf8_is_carried_safely(run) -> None:  # type: ignore[no-untyped-def]
    # s:sub cuts the 2-byte "é" in half: the broken byte becomes U+FFFD, nothing raises
    result = run(
        """
        local s = ("é"):rep(5)
        local cut = s:sub(1, 3)
        local answer = alc.llm("summarise: " .. cut)
        return {chunks = alc.chunk(cut, {mode = "chars", size = 1}),
                flag = alc.match_bool(cut .. " yes"), answer = answer}
        """,
        ["ok"],
    )
    assert result["chunks"] == ["é", "\ufffd"]
    assert result["flag"] is True
    assert run.queries[0].prompt == "summarise: é\ufffd"


def test_errors_reach_lua_as_catchable_errors(run) -> None:  # type: ignore[no-untyped-def]
    result = run(
        """
        local ok, err = pcall(alc.match_enum, nil, {"a"})
        local ok2, err2 = pcall(alc.chunk, "abc", {size = -2})
        return {ok, err, ok2, err2}
        """
    )
    assert result[0] is False and "alc.match_enum: text must be a string" in result[1]
    assert result[2] is False and "opts.size" in result[3]
