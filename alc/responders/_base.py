"""The responder contract: one method, ``respond(query) -> Response``.

A responder is anything with ``respond``. :class:`BaseResponder` adds what every built-in shares
(``respond_many``, ``close``, a context manager) so a plugin that subclasses it gets them too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from typing import Any, Protocol, Self, runtime_checkable

from alc.engine.errors import InvalidInput
from alc.engine.protocol import Query, Response

__all__ = ["BaseResponder", "LLMAdapter", "Responder", "arespond", "as_response", "respond_many"]


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


def as_response(answer: object) -> Response:
    """An LLM's answer as a :class:`~alc.Response`: a ``Response`` as is, a ``str`` as its text.

    Raises:
        InvalidInput: anything else.
    """
    if isinstance(answer, Response):
        return answer
    if isinstance(answer, str):
        return Response.trusted(text=answer, usage=None)
    raise InvalidInput(f"An answer must be a str or alc.Response, not {type(answer).__name__}.")


def _no_blocking_respond(query: Query) -> Response:
    raise InvalidInput("This llm only answers from async code (arespond); use AsyncEngine.")


class LLMAdapter:
    """The one adapter from whatever answers queries to :class:`~alc.Response` objects.

    ``llm`` is a responder object (``respond``, optionally ``respond_many`` and a native async
    ``arespond``) or a plain function of a :class:`~alc.Query` (sync or async) returning a
    ``str`` or a ``Response``. :meth:`answer_batch` answers one pause from blocking code (the
    responder's ``respond_many`` when it has one, else one query after another); :meth:`answer`
    answers one query from async code (``arespond``, else ``respond`` on a worker thread, else
    the function, awaited when it returns an awaitable). ``Engine.drive``, ``AsyncEngine.drive``,
    the MCP sampling loop and :func:`respond_many` / :func:`arespond` all go through it.

    Raises:
        InvalidInput: ``llm`` is neither callable nor has ``respond`` (when built).
    """

    def __init__(self, llm: object) -> None:
        respond = getattr(llm, "respond", None)
        native = getattr(llm, "arespond", None)
        self._object = callable(respond)
        one = respond if self._object else llm
        if not callable(one) and not callable(native):
            raise InvalidInput(
                "llm must be a function of a Query or an object with respond(query)."
            )
        self._one: Callable[[Query], Any] = one if callable(one) else _no_blocking_respond
        many = getattr(llm, "respond_many", None) if self._object else None
        self._many: Callable[[list[Query]], Any] | None = many if callable(many) else None
        self._native: Callable[[Query], Awaitable[Any]] | None = (
            native if callable(native) else None
        )

    def answer_batch(self, queries: Sequence[Query]) -> list[Response]:
        """Answer the queries of one pause (blocking); one ``Response`` each, in order."""
        if self._many is not None:
            answers = list(self._many(list(queries)))
        else:
            answers = [self._one(q) for q in queries]
        return [as_response(a) for a in answers]

    async def answer(self, query: Query) -> Response:
        """Answer one query from async code without blocking the event loop (see the class)."""
        if self._native is not None:
            return as_response(await self._native(query))
        if self._object:
            import anyio.to_thread

            return as_response(await anyio.to_thread.run_sync(self._one, query))
        value = self._one(query)
        if isinstance(value, Awaitable):
            value = await value
        return as_response(value)


def respond_many(responder: Responder, queries: Sequence[Query]) -> list[Response]:
    """Answer a batch with ``responder``: its own ``respond_many`` if it has one, else a loop.

    Returns one :class:`~alc.Response` per query, in the order of ``queries``.

    Raises:
        ResponderError: the first query that could not be answered.
    """
    return LLMAdapter(responder).answer_batch(queries)


async def arespond(responder: Responder, query: Query) -> Response:
    """Answer ``query`` from async code: natively (``arespond``) when the responder can.

    Responders without a native ``arespond`` run ``respond`` on a worker thread (anyio), so the
    event loop is never blocked.

    Raises:
        ResponderError: no answer could be produced.
    """
    return await LLMAdapter(responder).answer(query)
