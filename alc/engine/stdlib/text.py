"""Text primitives: ``alc.match_enum``, ``alc.match_bool`` and ``alc.chunk``.

All three read LLM output, so they are forgiving about what they are given (numbers are read as
their decimal text) and strict only where a wrong argument would silently give a wrong answer.
Strings arrive as Python ``str`` (invalid UTF-8 already replaced by U+FFFD by the VM), so every
position and length here counts Unicode characters, never bytes.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["chunk", "jaro_winkler", "match_bool", "match_enum"]

YES_WORDS = ("approved", "yes", "ok", "accept", "pass", "confirm", "agree", "true", "lgtm")
NO_WORDS = ("rejected", "no", "deny", "block", "fail", "refuse", "disagree", "false")

_POLARITY = {word: True for word in YES_WORDS} | {word: False for word in NO_WORDS}
# A keyword counts only as a whole word: no ASCII letter or digit right before or after it
# (so "ok" is not found in "token", "pass" not in "bypass", "fail" not in "failed").
_BOOL_WORD = re.compile(
    r"(?<![a-z0-9])(" + "|".join(sorted(_POLARITY, key=len, reverse=True)) + r")(?![a-z0-9])"
)


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

    The common-prefix bonus counts at most 4 characters and always applies.
    """
    if a == b:
        return 1.0
    la, lb = len(a), len(b)
    if la == 0 or lb == 0:
        return 0.0
    window = max(max(la, lb) // 2 - 1, 0)
    a_hit = [False] * la
    b_hit = [False] * lb
    matches = 0
    for i, ch in enumerate(a):
        for j in range(max(0, i - window), min(lb, i + window + 1)):
            if not b_hit[j] and b[j] == ch:
                a_hit[i] = b_hit[j] = True
                matches += 1
                break
    if matches == 0:
        return 0.0
    a_seq = [ch for ch, hit in zip(a, a_hit, strict=True) if hit]
    b_seq = [ch for ch, hit in zip(b, b_hit, strict=True) if hit]
    transpositions = sum(x != y for x, y in zip(a_seq, b_seq, strict=True)) / 2
    jaro = (matches / la + matches / lb + (matches - transpositions) / matches) / 3
    prefix = 0
    for x, y in zip(a[:4], b[:4], strict=False):
        if x != y:
            break
        prefix += 1
    return jaro + prefix * prefix_scale * (1 - jaro)


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

    Args:
        text: the LLM output (a number is read as its text).
        candidates: array of strings; empty strings are ignored.
        opts: ``{threshold = 0.7}``.

    Returns:
        The matching candidate exactly as given, or ``None`` (nil).

    Raises:
        TypeError: text is not a string, candidates not an array of strings, bad threshold.
    """
    body = _text("match_enum", text).lower()
    if not isinstance(candidates, list) and candidates != {}:
        raise TypeError("alc.match_enum: candidates must be an array of strings")
    names: list[str] = []
    for i, cand in enumerate(candidates or [], start=1):
        if not isinstance(cand, str):
            raise TypeError(f"alc.match_enum: candidate {i} must be a string")
        names.append(cand)
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

    lowered = [c.lower() for c in names]
    fuzzy: tuple[float, str] | None = None
    for raw in body.split():
        token = _strip_punctuation(raw)
        if not token:
            continue
        for cand, low in zip(names, lowered, strict=True):
            if not low:
                continue
            sim = jaro_winkler(token, low)
            if sim >= threshold and (fuzzy is None or sim > fuzzy[0]):
                fuzzy = (sim, cand)
    return fuzzy[1] if fuzzy is not None else None


def _strip_punctuation(token: str) -> str:
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
    """
    body = _text("match_bool", text).lower()
    last = None
    for last in _BOOL_WORD.finditer(body):  # noqa: B007 - the last match is the answer
        pass
    return None if last is None else _POLARITY[last.group(1)]


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
    """
    body = _text("chunk", text)
    options = _opts("chunk", opts)
    size = _count("size", options.get("size", 50))
    overlap = _count("overlap", options.get("overlap", 0))
    if options.get("mode", "lines") == "chars":
        units: list[str] = list(body)
        sep = ""
    else:
        units = _lines(body)
        sep = "\n"
    if not units or size == 0:
        return []
    step = size - overlap if overlap < size else 1
    out: list[str] = []
    start = 0
    while start < len(units):
        end = min(start + size, len(units))
        out.append(sep.join(units[start:end]))
        if end == len(units):
            break
        start += step
    return out


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
