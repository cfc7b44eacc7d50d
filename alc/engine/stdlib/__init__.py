"""The ``alc.*`` standard library installed into every session VM.

``PRIMITIVES`` maps dotted names under ``alc`` to Python functions (called with plain Python
values, see ``alc.engine.lua``); ``LIBRARIES`` are the Lua sources run after boot, in order.
The engine-owned primitives (llm, llm_batch, log, json, time, budget, progress, stats, state)
live in ``alc/engine/boot.lua``; ``alc.fork`` belongs to the engine's fork support.

What lives where:

- ``text.py``: ``alc.match_enum``, ``alc.match_bool``, ``alc.chunk`` (Python primitives).
- ``mathlib.py``: the RNG-free ``alc.math`` functions (statistics, special functions, tests),
  reached through one dispatcher primitive.
- ``_bounds.py``: the input and output bounds of every Python primitive (a Python call cannot
  be interrupted by the session's limits, so each one refuses inputs past its bound).
- ``prelude.lua`` (the only library run at VM creation): a stub. The first read of a name
  ``alc`` or ``alc.math`` does not hold loads ``loader.lua``, the lazy loader, in its place
  (most paused sessions never read one and keep only the stub). The first read of a
  combinator loads ``core.lua`` (map, reduce, filter, vote, parse_score, parse_number,
  json_extract, fingerprint, budget_check, tuning) or ``llm.lua`` (cache, cache_info,
  cache_clear, ground, specify, llm_safe, llm_json, parallel, pipe); the first read of an RNG
  function or of ``permutations`` (built in Lua, under the session's limits) loads
  ``rng.lua``; the first read of ``alc.eval`` loads ``eval.lua`` (a one-line bridge to the
  ``evalframe`` module); the first read of another ``alc.math`` name binds it to the
  dispatcher. A unit is compiled once per process (bytecode with its debug info, see
  ``alc.engine.lua``) and loaded into a VM on its first use there: a new session pays for one
  small chunk, not the whole library.

The ``_stdlib.*`` primitives are private plumbing: ``prelude.lua`` takes them into upvalues and
removes ``alc._stdlib`` before any strategy code runs.

Reference: ``docs/lua-api.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from alc.engine.stdlib import text

__all__ = ["LIBRARIES", "PRIMITIVES", "UNITS"]

UNITS: tuple[str, ...] = ("loader", "core", "llm", "rng", "eval")
"""The lazily compiled Lua units (``<unit>.lua`` next to this file)."""


@cache
def _read(filename: str) -> str:
    return (Path(__file__).parent / filename).read_text(encoding="utf-8")  # files, never zipped


def unit_source(name: str) -> str:
    """The Lua source of a lazily loaded unit.

    Raises:
        LookupError: ``name`` is not one of :data:`UNITS`.
    """
    if name not in UNITS:
        raise LookupError(f"no stdlib unit named {name!r}")
    return _read(f"{name}.lua")


def _math(op: str, *args: Any) -> Any:
    """:func:`alc.engine.stdlib.mathlib.call`, imported on first use (most sessions never
    touch ``alc.math``, and a cold CLI call should not pay for its import)."""
    from alc.engine.stdlib import mathlib

    return mathlib.call(op, *args)


def _math_has(op: Any) -> bool:
    """:func:`alc.engine.stdlib.mathlib.has`, imported on first use."""
    from alc.engine.stdlib import mathlib

    return mathlib.has(op)


PRIMITIVES: dict[str, Callable[..., Any]] = {
    "match_enum": text.match_enum,
    "match_bool": text.match_bool,
    "chunk": text.chunk,
    "_stdlib.math": _math,
    "_stdlib.math_has": _math_has,
}
"""Python primitives by dotted name under ``alc`` (``_stdlib.*`` is removed by the prelude)."""

_LIBRARY_FILES: tuple[str, ...] = ("prelude.lua",)

LIBRARIES: tuple[tuple[str, str], ...] = tuple(
    (f"alc/engine/stdlib/{name}", _read(name)) for name in _LIBRARY_FILES
)
"""``(chunkname, source)`` pairs run after boot, in order."""
