"""Responder registry: spec names -> factories, built-ins registered exactly like plugins.

A factory is any callable ``factory(arg: str | None) -> Responder``, where ``arg`` is the text
after the first ``:`` of the spec (None when the spec has no colon, or nothing after it).

Three sources fill the registry, looked up in this order:

1. factories registered in-process with :func:`register` (tests, embedding code);
2. the built-ins (``interactive``, ``cmd``, ``openai``, ``scripted``, ``local``), each held as an
   :class:`importlib.metadata.EntryPoint` -- the very object a plugin's entry point is -- so a
   built-in's module is imported only when its spec is used (the CLI stays fast to start);
3. entry points of the group ``alc.responders`` declared by installed distributions, e.g. in a
   plugin's ``pyproject.toml``::

       [project.entry-points."alc.responders"]
       mymodel = "alc_mymodel:MyResponder"      # --llm mymodel:ARG -> MyResponder("ARG")

   They are scanned once, on the first spec that no other source knows.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from alc.responders._base import Responder
from alc.responders._errors import ResponderError

if TYPE_CHECKING:  # importlib.metadata is imported on first use (it costs the cold CLI ~15 ms)
    from importlib.metadata import EntryPoint

__all__ = ["ENTRY_POINT_GROUP", "Factory", "from_spec", "register", "registered"]

ENTRY_POINT_GROUP = "alc.responders"
"""The entry-point group third-party responders register under."""

Factory = Callable[[str | None], Responder]
"""``factory(arg) -> Responder``: ``arg`` is the text after ``NAME:`` in the spec, or None."""

_BUILTINS: dict[str, str] = {
    "cmd": "alc.responders._command:CommandResponder.from_arg",
    "interactive": "alc.responders._interactive:InteractiveResponder.from_arg",
    "local": "alc.responders._local:LocalResponder.from_arg",
    "openai": "alc.responders._openai:OpenAIResponder.from_arg",
    "scripted": "alc.responders._scripted:ScriptedResponder.from_arg",
}
"""Built-in responders: name -> entry-point value (``module:attribute``)."""

_lock = threading.Lock()
_registered: dict[str, Factory] = {}
_plugins: dict[str, EntryPoint] | None = None


def _normalise(name: str) -> str:
    return name.strip().lower()


def register(name: str, factory: Factory, *, replace: bool = False) -> None:
    """Make ``--llm NAME[:ARG]`` build a responder with ``factory(ARG)``.

    Args:
        name: the spec prefix (case-insensitive, no ``:``).
        factory: ``factory(arg: str | None) -> Responder``.
        replace: allow shadowing a name that is already registered or built in.

    Raises:
        ValueError: the name is empty, contains ``:``, or is taken and ``replace`` is False.
    """
    key = _normalise(name)
    if not key or ":" in key:
        raise ValueError(f"A responder name must be non-empty and free of ':', not {name!r}.")
    with _lock:
        if not replace and (key in _registered or key in _BUILTINS):
            raise ValueError(
                f"A responder named {key!r} is already registered; pass replace=True to shadow it."
            )
        _registered[key] = factory


def _plugin_entry_points() -> dict[str, EntryPoint]:
    global _plugins
    with _lock:
        if _plugins is None:
            from importlib.metadata import entry_points

            found = entry_points(group=ENTRY_POINT_GROUP)
            _plugins = {_normalise(ep.name): ep for ep in found}
        return _plugins


def registered() -> list[str]:
    """Every responder name usable in a spec, sorted (registered, built-in and plugins)."""
    names = set(_registered) | set(_BUILTINS) | set(_plugin_entry_points())
    return sorted(names)


def _lookup(name: str) -> Factory | None:
    with _lock:
        factory = _registered.get(name)
    if factory is not None:
        return factory
    builtin = _BUILTINS.get(name)
    if builtin is not None:
        from importlib.metadata import EntryPoint

        entry: EntryPoint | None = EntryPoint(name=name, value=builtin, group=ENTRY_POINT_GROUP)
    else:
        entry = _plugin_entry_points().get(name)
    if entry is None:
        return None
    try:
        loaded: Factory = entry.load()
    except ImportError as exc:  # a plugin that is declared but broken
        raise ResponderError(
            f"The responder {name!r} ({entry.value}) could not be imported: {exc}. "
            "Reinstall the package that provides it.",
            responder=name,
        ) from exc
    return loaded


def from_spec(spec: str) -> Responder:
    """Build a responder from a spec string, the value of ``--llm``.

    Specs: ``interactive``, ``cmd:<shell command>``, ``openai:<model>``,
    ``scripted:<file.json>``, ``local`` or ``local:<path.gguf>``, or ``NAME[:ARG]`` of a
    registered/plugin responder. The name is case-insensitive; everything after the first ``:``
    is passed verbatim to the factory (so commands and paths may contain ``:``).

    Raises:
        ResponderError: unknown name (the message lists the known ones), an argument the
            responder rejects, or a missing optional extra (with its ``pip install`` hint).
    """
    name, sep, arg = spec.partition(":")
    key = _normalise(name)
    if not key:
        raise ResponderError(
            f"Empty responder spec {spec!r}. Use one of: {', '.join(registered())}.",
            responder=spec,
        )
    factory = _lookup(key)
    if factory is None:
        raise ResponderError(
            f"Unknown responder {key!r} in spec {spec!r}. Known responders: "
            f"{', '.join(registered())}; e.g. --llm 'cmd:llm -m gpt-4o-mini' or --llm interactive.",
            responder=spec,
        )
    return factory(arg if sep and arg.strip() else None)
