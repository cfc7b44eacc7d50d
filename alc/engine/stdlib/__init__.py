"""The ``alc.*`` standard library installed into every session VM.

``PRIMITIVES`` maps dotted names under ``alc`` to Python functions (called with plain Python
values, see ``alc.engine.lua``); ``LIBRARIES`` are the Lua sources (the prelude) run after boot,
in order. The engine-owned primitives (llm, llm_batch, log, json, time, budget, progress, stats,
state) live in ``alc/engine/boot.lua``.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from typing import Any

__all__ = ["LIBRARIES", "PRIMITIVES"]

PRIMITIVES: dict[str, Callable[..., Any]] = {}

_LIBRARY_FILES: tuple[str, ...] = ()


def _load(name: str) -> tuple[str, str]:
    text = resources.files(__name__).joinpath(name).read_text(encoding="utf-8")
    return f"alc/engine/stdlib/{name}", text


LIBRARIES: tuple[tuple[str, str], ...] = tuple(_load(n) for n in _LIBRARY_FILES)
