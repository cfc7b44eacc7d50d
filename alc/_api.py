"""The Python API: :class:`Engine` (blocking) and :class:`AsyncEngine` (anyio).

This is the one layer every front end calls, and the one layer that normalises and validates a
request: the CLI and the MCP server only translate their own syntax (arguments, options, tool
arguments) into these calls, so a bad request gets the same ``error_code`` and the same message
through Python, ``alc`` and ``alc mcp``. What a request may carry is decided in
:mod:`alc._services` (:func:`start_request`, :func:`session_states`) and :mod:`alc._feed`
(:func:`feed_request`).

:class:`Engine` keeps the simple entry points (``start``, ``feed``, ``drive``, ``status``, ...)
and delegates each to one service (:mod:`alc._services`): ``engine.session_service``,
``engine.catalog``, ``engine.pkg``, ``engine.evals``, ``engine.cards``. A request's tenant,
step control and deadline travel down as one :class:`~alc.engine.context.RequestContext`.

:class:`AsyncEngine` and the async services are generated from the blocking ones
(``alc/_generated_async.py``, by ``scripts/gen_async.py``): every method runs on a worker thread
(``anyio.to_thread``), so a slow Lua step never blocks the event loop and a paused session holds
no thread at all. Only ``drive`` is written by hand (it answers a pause's queries
concurrently); both drives run one loop (:class:`alc._services.Drive`) and one responder
adapter (:class:`alc.responders.LLMAdapter`); the MCP sampling loop is
:meth:`AsyncEngine.drive` too. The async side (:mod:`alc._services_async`) is imported on
first use of ``AsyncEngine``, so the blocking API and the CLI never load it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from alc._engine import Engine, default_store_path
from alc._services import (
    LLM,
    Answer,
    AsyncLLM,
    ProgressFn,
    session_states,
    start_request,
)
from alc.engine.context import RequestContext

if TYPE_CHECKING:
    from alc._feed import feed_request
    from alc._services_async import AsyncEngine, AsyncSessionService

__all__ = [
    "LLM",
    "Answer",
    "AsyncEngine",
    "AsyncLLM",
    "AsyncSessionService",
    "Engine",
    "ProgressFn",
    "RequestContext",
    "default_store_path",
    "feed_request",
    "session_states",
    "start_request",
]

_ASYNC = frozenset({"AsyncEngine", "AsyncSessionService"})


def __getattr__(name: str) -> Any:
    """``AsyncEngine`` and ``AsyncSessionService``, imported on first use (PEP 562): the
    blocking API and the CLI's cold path never load the async mirror; ``feed_request`` likewise
    (a plain text answer never needs the responses parser of :mod:`alc._feed`).

    Raises:
        AttributeError: ``name`` is not in this module.
    """
    if name in _ASYNC:
        from alc import _services_async

        value = getattr(_services_async, name)
        globals()[name] = value
        return value
    if name == "feed_request":
        from alc._feed import feed_request

        globals()[name] = feed_request
        return feed_request
    raise AttributeError(f"module 'alc._api' has no attribute {name!r}")
