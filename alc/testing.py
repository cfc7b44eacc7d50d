"""Test helpers for code that uses alc (a tier apart from the everyday API).

- :class:`ScriptedResponder`: answers queries from a list (in order) or a mapping (prompt
  substring -> answer) and records every query it answered in ``.queries``::

      from alc.testing import ScriptedResponder
      llm = ScriptedResponder(["step 1", "step 2", "final"])
      out = alc.Engine().drive(strategy="cot", ctx={"task": "t", "depth": 2}, llm=llm)
      assert [q.id for q in llm.queries] == ["q-0", "q-1", "q-2"]

  Raises ``alc.responders.ResponderError`` (``responder_failed``) when the script has no answer.

- :class:`FakeClock`: a clock you move by hand, for testing what depends on time (retention,
  ``alc.time()``, ``max_elapsed_ms`` budgets)::

      clock = FakeClock()
      engine = alc.Engine(store="sessions.db", clock=clock, retention=3600)
      clock.advance(7200)
      engine.purge()
"""

from __future__ import annotations

from alc.responders._scripted import ScriptedResponder

ScriptedResponder.__module__ = "alc.testing"

__all__ = ["FakeClock", "ScriptedResponder"]


class FakeClock:
    """A :class:`alc.engine.clock.Clock` that stands still until you :meth:`advance` it.

    Args:
        start: the initial Unix time in seconds (default 1,700,000,000).
    """

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start
        self.cpu_seconds = 0.0

    def time(self) -> float:
        """The current fake Unix time, in seconds."""
        return self.now

    def monotonic(self) -> float:
        """Fake monotonic seconds (idle eviction); advances with :meth:`advance`."""
        return self.now

    def cpu(self) -> float:
        """Fake process CPU seconds (``os.clock``); advances with :meth:`advance`."""
        return self.cpu_seconds

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds``."""
        self.now += seconds
        self.cpu_seconds += seconds
