"""The one place alc reads time. Inject a different :class:`Clock` to test eviction or budgets.

What reads the :class:`Clock`: ``alc.time`` / ``os.time`` / ``os.clock`` in strategies (recorded
as effects, so replay sees the same values), session timestamps, elapsed-time budgets, eviction
of idle hot sessions and retention. What does not: the enforcement of a step's
:class:`~alc.engine.protocol.Limits` (the Lua count hook and the process executor's supervisor
measure real time on the OS monotonic clock, which a fake clock must not be able to stop), and
the SQLite store's own lock waits.
"""

from __future__ import annotations

import time
from typing import Protocol

__all__ = ["Clock", "SystemClock"]


class Clock(Protocol):
    """Time source of the engine.

    ``time()`` is Unix epoch seconds (wall clock: ``alc.time``/``os.time``, timestamps,
    budgets, retention); ``monotonic()`` is seconds from an arbitrary start that never goes back
    (idle eviction and other intervals); ``cpu()`` is this process's CPU seconds (``os.clock``).
    """

    def time(self) -> float: ...
    def monotonic(self) -> float: ...
    def cpu(self) -> float: ...


class SystemClock:
    """The real clock."""

    def time(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    def cpu(self) -> float:
        return time.process_time()
