"""Test helpers for code that uses alc (a tier apart from the everyday API).

- :class:`ScriptedResponder`: answers queries from a list (in order) or a mapping (prompt
  substring -> answer) and records every query it answered in ``.queries``::

      from alc.testing import ScriptedResponder
      llm = ScriptedResponder(["step 1", "step 2", "final"])
      out = alc.Engine(store=":memory:").drive(strategy="cot", ctx={"task": "t"}, llm=llm)
      assert [q.id for q in llm.queries] == ["q-0", "q-1", "q-2"]

Raises ``alc.responders.ResponderError`` (``responder_failed``) when the script has no answer.
"""

from __future__ import annotations

from alc.responders._scripted import ScriptedResponder

ScriptedResponder.__module__ = "alc.testing"

__all__ = ["ScriptedResponder"]
