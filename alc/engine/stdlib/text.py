"""Text primitives: ``alc.match_enum``, ``alc.match_bool`` and ``alc.chunk``.

All three read LLM output, so they are forgiving about what they are given (numbers are read as
their decimal text) and strict only where a wrong argument would silently give a wrong answer.
Strings arrive as Python ``str`` (invalid UTF-8 already replaced by U+FFFD by the VM), so every
position and length here counts Unicode characters, never bytes.
"""

from __future__ import annotations

import re
from collections import Counter
from itertools import accumulate
from typing import Any

from alc.engine.stdlib._bounds import (
    CHUNK_MAX_OUTPUT_CHARS,
    CHUNK_MAX_WINDOWS,
    MATCH_ENUM_MAX_CANDIDATE_CHARS,
    MATCH_ENUM_MAX_CANDIDATES,
    MATCH_ENUM_MAX_FUZZY_WORK,
    MATCH_ENUM_MAX_TEXT_CHARS,
    TEXT_MAX_CHARS,
    too_large,
)

__all__ = ["chunk", "jaro_winkler", "match_bool", "match_enum"]

YES_WORDS = ("approved", "yes", "ok", "accept", "pass", "confirm", "agree", "true", "lgtm")
NO_WORDS = ("rejected", "no", "deny", "block", "fail", "refuse", "disagree", "false")

_POLARITY = {word: True for word in YES_WORDS} | {word: False for word in NO_WORDS}
# A keyword counts only as a whole word: no ASCII letter or digit right before or after it
# (so "ok" is not found in "token", "pass" not in "bypass", "fail" not in "failed").
# Searched in the reversed text, so the first hit is the last keyword: whole-word hits never
# overlap and at most one keyword fits between two boundaries, so this is the same keyword a
# forward scan would end on, found without walking every earlier hit.
_BOOL_WORD_REVERSED = re.compile(
    r"(?<![a-z0-9])(" + "|".join(word[::-1] for word in _POLARITY) + r")(?![a-z0-9])"
)


def _bounded_text(fname: str, value: Any) -> str:
    body = _text(fname, value)
    if len(body) > TEXT_MAX_CHARS:
        raise ValueError(
            f"alc.{fname}: "
            + too_large("the text length", len(body), TEXT_MAX_CHARS, "pass a shorter text")
        )
    return body


def _text(fname: str, value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise TypeError(f"alc.{fname}: text must be a string, got {_lua_type(value)}")


def _lua_type(value: Any) -> str:
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "table"


def _opts(fname: str, opts: Any) -> dict[str, Any]:
    if opts is None or opts == []:  # an empty Lua table arrives as []
        return {}
    if not isinstance(opts, dict):
        raise TypeError(f"alc.{fname}: opts must be a table, got {_lua_type(opts)}")
    return opts


def jaro_winkler(a: str, b: str, prefix_scale: float = 0.1) -> float:
    """Jaro-Winkler similarity of two strings, in ``[0, 1]`` (1 means equal).

    The common-prefix bonus counts at most 4 characters and always applies. Matching follows
    the textbook definition (each character of ``a`` in order takes the first unmatched equal
    character of ``b`` within the match window), computed character by character: the matches
    of one character never compete with another's, so the cost is about ``len(b)`` steps of
    C-speed searching instead of ``len(a) * window`` comparisons.
    """
    return _similarity(a, b, _positions(b), prefix_scale)


def _positions(text: str) -> dict[str, list[int]]:
    where: dict[str, list[int]] = {}
    for j, ch in enumerate(text):
        where.setdefault(ch, []).append(j)
    return where


def _similarity(
    a: str, b: str, b_positions: dict[str, list[int]], prefix_scale: float = 0.1
) -> float:
    if a == b:
        return 1.0
    la, lb = len(a), len(b)
    if la == 0 or lb == 0:
        return 0.0
    window = max(max(la, lb) // 2 - 1, 0)
    stop = lb + window  # no position of a at or past this has a partner in b
    find = a.find
    a_hits: list[int] = []
    b_hits: list[int] = []
    for ch, spots in b_positions.items():
        if ch not in a:
            continue
        k, count = 0, len(spots)
        i = find(ch, 0, stop)
        while i >= 0:
            low = i - window
            while k < count and spots[k] < low:
                k += 1  # too far behind for this and every later position of a
            if k == count:
                break
            j = spots[k]
            if j <= i + window:
                a_hits.append(i)
                b_hits.append(j)
                k += 1
                i = find(ch, i + 1, stop)
            else:  # the next free partner is ahead of the window: jump to where it fits
                i = find(ch, j - window, stop)
    matches = len(a_hits)
    if matches == 0:
        return 0.0
    a_hits.sort()
    b_hits.sort()
    transpositions = sum(a[i] != b[j] for i, j in zip(a_hits, b_hits, strict=True)) / 2
    jaro = (matches / la + matches / lb + (matches - transpositions) / matches) / 3
    prefix = _common_prefix(a, b)
    return jaro + prefix * prefix_scale * (1 - jaro)


def _common_prefix(a: str, b: str) -> int:
    prefix = 0
    for x, y in zip(a[:4], b[:4], strict=False):
        if x != y:
            break
        prefix += 1
    return prefix


def match_enum(text: Any, candidates: Any, opts: Any = None) -> str | None:
    """``alc.match_enum(text, candidates, opts)``: which candidate the text settles on.

    1. Case-insensitive substring search: of the candidates found in the text, the one whose
       last occurrence starts latest wins (LLMs state their conclusion last); on a tie the
       earlier candidate in the list wins.
    2. Otherwise a fuzzy match for typos: every whitespace-separated word of the text (with
       surrounding punctuation stripped) is compared with every candidate by Jaro-Winkler
       similarity (case-insensitive); the best pair with similarity ``>= opts.threshold``
       (default 0.7) wins, the first one found on a tie.
    3. Otherwise ``nil``.

    Bounded (see ``_bounds``): the text's length, the number and length of the candidates,
    and the work of step 2.

    Args:
        text: the LLM output (a number is read as its text).
        candidates: array of strings; empty strings are ignored.
        opts: ``{threshold = 0.7}``.

    Returns:
        The matching candidate exactly as given, or ``None`` (nil).

    Raises:
        TypeError: text is not a string, candidates not an array of strings, bad threshold.
        ValueError: an input past its bound.
    """
    body = _text("match_enum", text)
    if len(body) > MATCH_ENUM_MAX_TEXT_CHARS:
        raise ValueError(
            "alc.match_enum: "
            + too_large(
                "the text length",
                len(body),
                MATCH_ENUM_MAX_TEXT_CHARS,
                "pass the part of the answer that states the choice (e.g. its last lines)",
            )
        )
    body = body.lower()
    names = _candidates(candidates)
    threshold = _opts("match_enum", opts).get("threshold", 0.7)
    if isinstance(threshold, bool) or not isinstance(threshold, int | float):
        raise TypeError("alc.match_enum: opts.threshold must be a number")

    best: tuple[int, str] | None = None
    for cand in names:
        if not cand:
            continue
        pos = body.rfind(cand.lower())
        if pos >= 0 and (best is None or pos > best[0]):
            best = (pos, cand)
    if best is not None:
        return best[1]
    return _fuzzy(body, names, threshold)


def _candidates(candidates: Any) -> list[str]:
    """``match_enum``'s candidates, checked against their bounds."""
    if not isinstance(candidates, list) and candidates != {}:
        raise TypeError("alc.match_enum: candidates must be an array of strings")
    names: list[str] = []
    for i, cand in enumerate(candidates or [], start=1):
        if not isinstance(cand, str):
            raise TypeError(f"alc.match_enum: candidate {i} must be a string")
        if len(cand) > MATCH_ENUM_MAX_CANDIDATE_CHARS:
            raise ValueError(
                f"alc.match_enum: candidate {i}: "
                + too_large(
                    "its length",
                    len(cand),
                    MATCH_ENUM_MAX_CANDIDATE_CHARS,
                    "candidates are labels; match long texts another way",
                )
            )
        names.append(cand)
    if len(names) > MATCH_ENUM_MAX_CANDIDATES:
        raise ValueError(
            "alc.match_enum: "
            + too_large(
                "the number of candidates",
                len(names),
                MATCH_ENUM_MAX_CANDIDATES,
                "narrow the choices first",
            )
        )
    return names


def _fuzzy(body: str, names: list[str], threshold: float) -> str | None:
    # A repeated word can never beat its first occurrence (ties keep the first pair found), so
    # each distinct word is compared once, in order of first occurrence.
    words = dict.fromkeys(
        word for raw in dict.fromkeys(body.split()) if (word := _strip_punctuation(raw))
    )
    pairs = [
        (cand, low, len(low), low[:4], _positions(low)) for cand in names if (low := cand.lower())
    ]
    if not pairs or not words:
        return None
    _check_fuzzy_work(words, [pair[2] for pair in pairs])
    # Skipping a pair is exact: its ceiling (at most min(#word, #candidate) characters match,
    # transpositions only lower the score; plus a margin for rounding) is below the threshold
    # or not above the best score so far, which only a strictly higher score replaces.
    fuzzy: tuple[float, str] | None = None
    for token in words:
        lt, head = len(token), token[:4]
        for cand, low, lc, low_head, where in pairs:
            prefix = len(head) if head == low_head else _common_prefix(head, low_head)
            m = lt if lt < lc else lc
            jaro = (m / lt + m / lc + 1) / 3
            ceiling = jaro + prefix * 0.1 * (1 - jaro) + 1e-9
            if ceiling < threshold or (fuzzy is not None and ceiling <= fuzzy[0]):
                continue
            sim = _similarity(token, low, where)
            if sim >= threshold and (fuzzy is None or sim > fuzzy[0]):
                fuzzy = (sim, cand)
    return fuzzy[1] if fuzzy is not None else None


def _check_fuzzy_work(words: dict[str, None], cand_lengths: list[int]) -> None:
    cap = max(cand_lengths)
    by_length = Counter(min(len(word), cap) for word in words)
    work = sum(n * sum(4 + min(lw, lc) for lc in cand_lengths) for lw, n in by_length.items())
    if work > MATCH_ENUM_MAX_FUZZY_WORK:
        raise ValueError(
            "alc.match_enum: no candidate occurs in the text, and "
            + too_large(
                f"the typo-matching work ({len(words):,} distinct words x {len(cand_lengths)} "
                "candidates)",
                work,
                MATCH_ENUM_MAX_FUZZY_WORK,
                "pass a shorter text (e.g. the answer's last lines) or fewer candidates",
            )
        )


def _strip_punctuation(token: str) -> str:
    if token[0].isalnum() and token[-1].isalnum():
        return token
    start, end = 0, len(token)
    while start < end and not token[start].isalnum():
        start += 1
    while end > start and not token[end - 1].isalnum():
        end -= 1
    return token[start:end]


def match_bool(text: Any) -> bool | None:
    """``alc.match_bool(text)``: the polarity of the last yes-like or no-like word.

    Yes-like: approved, yes, ok, accept, pass, confirm, agree, true, lgtm. No-like: rejected,
    no, deny, block, fail, refuse, disagree, false. Matching is case-insensitive and whole-word
    (no ASCII letter or digit may touch the keyword), so "failed" or "bypass" count for nothing.

    Returns:
        ``True``, ``False``, or ``None`` (nil) when no keyword stands in the text.

    Raises:
        TypeError: text is not a string.
        ValueError: text longer than its bound.
    """
    body = _bounded_text("match_bool", text).lower()
    last = _BOOL_WORD_REVERSED.search(body[::-1])
    return None if last is None else _POLARITY[last.group(1)[::-1]]


def chunk(text: Any, opts: Any = None) -> list[str]:
    """``alc.chunk(text, {mode="lines"|"chars", size=50, overlap=0})``: overlapping windows.

    ``lines`` mode splits on ``\\n`` (a trailing ``\\r`` is dropped from each line, a final
    newline does not make an empty last line) and joins each window with ``\\n``; ``chars``
    mode counts Unicode characters, so a window never cuts a multi-byte character. Windows
    start every ``size - overlap`` units (every 1 unit when ``overlap >= size``) and stop
    after the one that reaches the end. An unknown mode means ``lines``.

    Returns:
        Array of strings; empty for empty text or ``size == 0``.

    Raises:
        TypeError / ValueError: text not a string, size or overlap not a non-negative integer.
        ValueError: the text, the number of windows or their total length past its bound.
    """
    body = _bounded_text("chunk", text)
    options = _opts("chunk", opts)
    size = _count("size", options.get("size", 50))
    overlap = _count("overlap", options.get("overlap", 0))
    by_chars = options.get("mode", "lines") == "chars"
    units: str | list[str] = body if by_chars else _lines(body)
    n = len(units)
    if n == 0 or size == 0:
        return []
    step = size - overlap if overlap < size else 1
    count = 1 if n <= size else -(-(n - size) // step) + 1
    if count > CHUNK_MAX_WINDOWS:
        raise ValueError(
            "alc.chunk: "
            + too_large(
                "the number of windows",
                count,
                CHUNK_MAX_WINDOWS,
                "use a larger size or a smaller overlap",
            )
        )
    total = _output_chars(units, by_chars, size, step, count)
    if total > CHUNK_MAX_OUTPUT_CHARS:
        raise ValueError(
            "alc.chunk: "
            + too_large(
                "the length of all windows together",
                total,
                CHUNK_MAX_OUTPUT_CHARS,
                "use a smaller overlap or chunk a shorter text",
            )
        )
    sep = "" if by_chars else "\n"
    out: list[str] = []
    for start in range(0, count * step, step):
        piece = units[start : start + size]
        out.append(piece if isinstance(piece, str) else sep.join(piece))
    return out


def _output_chars(units: str | list[str], by_chars: bool, size: int, step: int, count: int) -> int:
    """The characters of all ``count`` windows together, without building them.

    Every window but the last is full (``size`` units, ending at ``start + size``); the last
    one runs from ``(count - 1) * step`` to the end.
    """
    n, last = len(units), (count - 1) * step
    if by_chars:
        return (count - 1) * size + (n - last)
    ends = list(accumulate(map(len, units), initial=0))  # ends[i]: characters before line i
    full = sum(ends[size : size + last : step]) - sum(ends[0:last:step])
    return full + (count - 1) * (size - 1) + ends[n] - ends[last] + (n - last - 1)


def _count(name: str, value: Any) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"alc.chunk: opts.{name} must be a non-negative integer")
    return value


def _lines(text: str) -> list[str]:
    if not text:
        return []
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]
