"""Responders: the LLM drivers that answer an auto-driven session's queries.

A responder has one method, ``respond(query) -> Response`` (blocking). Build one from a spec,
the value of ``alc run --llm SPEC``::

    from alc.responders import from_spec
    llm = from_spec("cmd:llm -m gpt-4o-mini")
    engine.drive(strategy="cot", ctx={"task": "..."}, llm=llm)

Built-in specs (see docs/responders.md):

=========================  ================================================================
``interactive``            a person types each answer at the terminal
``cmd:<shell command>``    runs the command per query: prompt on stdin, answer on stdout
``openai:<model>``         Chat Completions via ``openai`` (extra ``[openai]``)
``scripted:<file.json>``   canned answers from a file (tests and demos)
``local[:<path.gguf>]``    a GGUF model on the CPU via llama.cpp (extra ``[local]``)
=========================  ================================================================

Plugins add names through the entry-point group ``alc.responders`` (or :func:`register`), the
same registry the built-ins use. Every failure is a :class:`ResponderError`
(``error_code == "responder_failed"``), except a missing optional extra:
:class:`~alc.engine.errors.MissingExtra` (``missing_extra``), with the install command
(:mod:`alc._extras`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from alc.responders._base import BaseResponder, Responder, arespond, respond_many
from alc.responders._errors import ResponderError
from alc.responders._registry import ENTRY_POINT_GROUP, Factory, from_spec, register, registered

if TYPE_CHECKING:
    from alc.responders._command import CommandResponder
    from alc.responders._interactive import InteractiveResponder
    from alc.responders._local import LocalResponder
    from alc.responders._openai import OpenAIResponder
    from alc.responders._scripted import ScriptedResponder

__all__ = [
    "ENTRY_POINT_GROUP",
    "BaseResponder",
    "CommandResponder",
    "Factory",
    "InteractiveResponder",
    "LocalResponder",
    "OpenAIResponder",
    "Responder",
    "ResponderError",
    "ScriptedResponder",
    "arespond",
    "from_spec",
    "register",
    "registered",
    "respond_many",
]

# The concrete classes are imported on first access, so `import alc.responders` (done by the
# CLI on every call) does not pay for rich, subprocess or openai when they are not used.
_LAZY = {
    "CommandResponder": "alc.responders._command",
    "InteractiveResponder": "alc.responders._interactive",
    "LocalResponder": "alc.responders._local",
    "OpenAIResponder": "alc.responders._openai",
    "ScriptedResponder": "alc.responders._scripted",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'alc.responders' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    if name != "ScriptedResponder":  # its public home is alc.testing
        value.__module__ = __name__
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


for _obj in (
    BaseResponder,
    Responder,
    ResponderError,
    arespond,
    from_spec,
    register,
    registered,
    respond_many,
):
    _obj.__module__ = __name__
del _obj
