"""Input and output bounds of the Python-side ``alc.*`` primitives, in one place.

A Python primitive runs inside a Lua step while holding the GIL, where no Lua limit (instruction
count, wall time, memory cap) can interrupt it. Each bound below keeps the worst case of one
primitive well under ~50 ms of CPU and its result under a few MiB; past a bound the primitive
raises ``ValueError`` (a catchable Lua error) that names the function, the bound and what to do
instead. Every value here is listed in ``docs/lua-api.md`` ("Size bounds"); change both together.

Lengths count Unicode characters (the unit every text primitive works in) or array elements.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "CHUNK_MAX_OUTPUT_CHARS",
    "CHUNK_MAX_WINDOWS",
    "JSON_DECODE_MAX_CHARS",
    "KENDALL_TAU_MAX_LEN",
    "MATCH_ENUM_MAX_CANDIDATES",
    "MATCH_ENUM_MAX_CANDIDATE_CHARS",
    "MATCH_ENUM_MAX_FUZZY_WORK",
    "MATCH_ENUM_MAX_TEXT_CHARS",
    "MATH_MAX_ARRAY",
    "MATH_MAX_BINS",
    "MATH_MAX_RANKED",
    "MOVING_AVERAGE_MAX_WORK",
    "TEXT_MAX_CHARS",
    "too_large",
]

JSON_DECODE_MAX_CHARS: Final = 16 * 1024 * 1024
"""``alc.json_decode``: the longest JSON text (characters); about 1 s of decoding at the bound."""

TEXT_MAX_CHARS: Final = 1_000_000
"""``alc.match_bool`` and ``alc.chunk``: the longest text (characters)."""

MATCH_ENUM_MAX_TEXT_CHARS: Final = 100_000
"""``alc.match_enum``: the longest text (characters)."""

MATCH_ENUM_MAX_CANDIDATES: Final = 100
"""``alc.match_enum``: the most candidates."""

MATCH_ENUM_MAX_CANDIDATE_CHARS: Final = 100
"""``alc.match_enum``: the longest candidate (characters)."""

MATCH_ENUM_MAX_FUZZY_WORK: Final = 100_000
"""``alc.match_enum`` typo stage: the most work, counted as the sum over every (distinct word,
non-empty candidate) pair of ``4 + min(#word, #candidate)``; about 1,000 distinct words against
10 candidates of 6 characters. Only reached when no candidate occurs in the text."""

CHUNK_MAX_WINDOWS: Final = 100_000
"""``alc.chunk``: the most windows returned."""

CHUNK_MAX_OUTPUT_CHARS: Final = 4_000_000
"""``alc.chunk``: the most characters in all returned windows together (overlaps count again)."""

MATH_MAX_ARRAY: Final = 50_000
"""``alc.math.*``: the longest array argument (elements)."""

MATH_MAX_RANKED: Final = 10_000
"""``alc.math.rank``, ``spearman_correlation``, ``mann_whitney_u``, ``ks_test``: the longest
array argument (elements); these sort and rank in Python."""

MATH_MAX_BINS: Final = 10_000
"""``alc.math.histogram``: the most bins."""

KENDALL_TAU_MAX_LEN: Final = 10_000
"""``alc.math.kendall_tau``: the longest ``xs`` / ``ys``."""

MOVING_AVERAGE_MAX_WORK: Final = 2_000_000
"""``alc.math.moving_average``: the most additions, ``(#data - window + 1) * window``."""


def too_large(what: str, got: int, bound: int, instead: str) -> str:
    """The message of a bound error (without the function name), worded the same everywhere.

    >>> too_large("the window count", 200_000, 100_000, "use a larger size")
    'the window count is 200,000, over the bound of 100,000; use a larger size'
    """
    return f"{what} is {got:,}, over the bound of {bound:,}; {instead}"
