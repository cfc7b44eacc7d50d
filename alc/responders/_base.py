"""The responder contract: one method, ``respond(query) -> Response``.

A responder is anything with ``respond``. :class:`BaseResponder` adds what every built-in shares
(``respond_many``, ``close``, a context manager) so a plugin that subclasses it gets them too.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Protocol, Self, runtime_checkable

import anyio.to_thread

from alc.engine.protocol import Query, Response

__all__ = ["BaseResponder", "Responder", "arespond", "respond_many"]


@runtime_checkable
class Responder(Protocol):
    """An LLM driver: answers one :class:`~alc.Query` with one :class:`~alc.Response`.

    ``respond`` blocks until the answer is there. It raises
    :class:`~alc.responders.ResponderError` (``responder_failed``) when no answer can be had;
    ``KeyboardInterrupt`` passes through untouched so a driver can leave the session paused.

    Optional extras a responder may define (callers look them up with ``getattr``, or use the
    module helpers :func:`respond_many` / :func:`arespond` that fall back sensibly):

    - ``respond_many(queries) -> list[Response]``: answer a batch, same order as the input;
    - ``async arespond(query) -> Response``: a native async answer (the openai responder).
    """

    def respond(self, query: Query) -> Response:
        """Answer ``query``; raises ``ResponderError`` when no answer can be produced."""
        ...


class BaseResponder:
    """Convenience base class of the built-in responders (and of plugins that want it).

    Subclasses implement :meth:`respond`; they inherit a sequential :meth:`respond_many`
    (override it when the provider can answer concurrently), :meth:`close` (release clients or
    models; a no-op here) and use as a context manager.

    Attributes:
        name: the spec the responder was built from (``"cmd:..."``), used in error messages.
    """

    name: str = "responder"

    def respond(self, query: Query) -> Response:
        """Answer ``query``. Raises ``ResponderError``."""
        raise NotImplementedError

    def respond_many(self, queries: Sequence[Query]) -> list[Response]:
        """Answer a batch (an ``alc.llm_batch`` pause); one response per query, same order.

        The base implementation answers one after another and stops at the first error
        (``ResponderError``); concurrent responders override it.
        """
        return [self.respond(q) for q in queries]

    def close(self) -> None:
        """Release what the responder holds (HTTP clients, ...). Safe to call twice."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


def respond_many(responder: Responder, queries: Sequence[Query]) -> list[Response]:
    """Answer a batch with ``responder``: its own ``respond_many`` if it has one, else a loop.

    Returns one :class:`~alc.Response` per query, in the order of ``queries``.

    Raises:
        ResponderError: the first query that could not be answered.
    """
    many = getattr(responder, "respond_many", None)
    if callable(many):
        return list(many(list(queries)))
    return [responder.respond(q) for q in queries]


async def arespond(responder: Responder, query: Query) -> Response:
    """Answer ``query`` from async code: natively (``arespond``) when the responder can.

    Responders without a native ``arespond`` run ``respond`` on a worker thread (anyio), so the
    event loop is never blocked.

    Raises:
        ResponderError: no answer could be produced.
    """
    native = getattr(responder, "arespond", None)
    if callable(native):
        result: Response = await native(query)
        return result
    return await anyio.to_thread.run_sync(responder.respond, query)
