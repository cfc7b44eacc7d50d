"""The one place alc reads time. Inject a different :class:`Clock` to test eviction or budgets."""

from __future__ import annotations

import time
from typing import Protocol

__all__ = ["Clock", "SystemClock"]


class Clock(Protocol):
    """Time source of the engine.

    ``time()`` is Unix epoch seconds (wall clock, used for ``alc.time``/``os.time`` and
    timestamps); ``cpu()`` is this process's CPU seconds (``os.clock``).
    """

    def time(self) -> float: ...
    def cpu(self) -> float: ...


class SystemClock:
    """The real clock."""

    def time(self) -> float:
        return time.time()

    def cpu(self) -> float:
        return time.process_time()
