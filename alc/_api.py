"""The Python API: :class:`Engine` (blocking) and :class:`AsyncEngine` (anyio).

Both are thin: they normalise arguments and call the :class:`SessionRegistry`, which owns every
decision. ``AsyncEngine`` runs each step on a worker thread (``anyio.to_thread``), so a slow Lua
step never blocks the event loop, and a paused session holds no thread at all.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol, TypeAlias, TypeVar

from alc.engine._validate import is_query_id
from alc.engine.clock import Clock
from alc.engine.errors import InvalidInput, SessionFinished
from alc.engine.executor import Executor, make_executor
from alc.engine.packages import PackageResolver
from alc.engine.protocol import (
    Cancelled,
    Completed,
    Failed,
    Limits,
    NeedsResponse,
    Outcome,
    Query,
    Response,
    SessionSnapshot,
    Usage,
)
from alc.engine.registry import (
    DEFAULT_IDLE_TTL,
    DEFAULT_RETENTION,
    SessionRegistry,
    Transcript,
)
from alc.engine.store import Store, open_store

__all__ = ["LLM", "Answer", "AsyncEngine", "AsyncLLM", "Engine"]

Answer: TypeAlias = str | Response
"""What a driver may give for one query: the text, or a :class:`Response` with usage."""


class _Responds(Protocol):
    def respond(self, query: Query) -> Response: ...


LLM: TypeAlias = Callable[[Query], Answer] | _Responds
"""A blocking LLM for ``drive``: ``llm(query) -> str | Response``, or a responder object."""

AsyncLLM: TypeAlias = Callable[[Query], Awaitable[Answer]] | Callable[[Query], Answer]
"""An LLM for ``AsyncEngine.drive``: an async (or plain) function of a :class:`Query`."""

_T = TypeVar("_T")

StoreArg: TypeAlias = Store | str | os.PathLike[str] | None
ExecutorArg: TypeAlias = Executor | str | None


def _as_response(answer: object) -> Response:
    if isinstance(answer, Response):
        return answer
    if isinstance(answer, str):
        return Response.trusted(text=answer, usage=None)
    raise InvalidInput(f"An answer must be a str or alc.Response, not {type(answer).__name__}.")


def _responses(
    response: Answer | None,
    query_id: str | None,
    responses: Mapping[str, Answer] | None,
    usage: Usage | Mapping[str, Any] | None,
) -> dict[str | None, Response]:
    out: dict[str | None, Response] = {}
    for qid in (query_id, *(responses or {})):
        if qid is not None and not is_query_id(qid):
            raise InvalidInput(
                f"{qid!r} is not a query id (expected 'q-' followed by digits, e.g. 'q-0', "
                "as in the reply that asked for it)."
            )
    if response is not None:
        parsed = _as_response(response)
        if usage is not None:
            parsed = Response(
                text=parsed.text,
                usage=Usage.parse(usage),
            )
        out[query_id] = parsed
    elif query_id is not None:
        raise InvalidInput(f"query_id {query_id!r} was given without a response.")
    for qid, answer in (responses or {}).items():
        if qid in out:
            raise InvalidInput(f"Query {qid} is answered twice in one request.")
        out[qid] = _as_response(answer)
    if not out:
        raise InvalidInput("Nothing to feed: pass response= or responses={query_id: answer}.")
    return out


def _make_registry(
    store: StoreArg,
    limits: Limits | None,
    packages_path: Iterable[str | os.PathLike[str]] | None,
    clock: Clock | None,
    idle_ttl: float,
    retention: float,
    executor: ExecutorArg,
) -> SessionRegistry:
    resolver = None
    if packages_path is not None:
        resolver = PackageResolver([*map(Path, packages_path), *PackageResolver().roots])
    return SessionRegistry(
        open_store(store),
        resolver=resolver,
        limits=limits,
        clock=clock,
        idle_ttl=idle_ttl,
        retention=retention,
        executor=make_executor(executor),
    )


class Engine:
    """Run Lua strategies that pause for LLM answers; blocking API.

    Args:
        store: ``None`` (in memory, this process only), a path to a SQLite journal (durable,
            shared by processes), or a :class:`~alc.engine.journal.Store`.
        limits: default sandbox limits for new sessions.
        packages_path: extra strategy folders, searched before the defaults.
        clock: time source (tests).
        idle_ttl: seconds before an idle session leaves memory (it restores on next use).
        retention: seconds before ended or abandoned sessions are purged by :meth:`purge`.
        executor: where strategies run: ``"inline"`` (default: in this process, on the calling
            thread; fastest, for trusted code) or ``"process"`` (a supervised pool of worker
            processes that enforces every deadline and memory cap from outside, so no strategy
            can freeze or crash this process), or an executor instance such as
            ``alc.engine.executor.process.ProcessExecutor(workers=4)``. Call :meth:`close` to
            stop a process pool early (it also stops when this process exits).

    Example::

        engine = alc.Engine()
        out = engine.start(code="return {answer = alc.llm('2+2?')}")
        out = engine.feed(out.session_id, "4")
        assert out.result == {"answer": "4"}
    """

    def __init__(
        self,
        store: StoreArg = None,
        *,
        limits: Limits | None = None,
        packages_path: Iterable[str | os.PathLike[str]] | None = None,
        clock: Clock | None = None,
        idle_ttl: float = DEFAULT_IDLE_TTL,
        retention: float = DEFAULT_RETENTION,
        executor: ExecutorArg = None,
    ) -> None:
        self.registry = _make_registry(
            store, limits, packages_path, clock, idle_ttl, retention, executor
        )

    def close(self) -> None:
        """Stop the executor's worker processes (if any). Sessions stay in the store."""
        self.registry.executor.close()

    @property
    def store(self) -> Store:
        return self.registry.store

    def start(
        self,
        code: str | None = None,
        *,
        strategy: str | None = None,
        ctx: Mapping[str, Any] | None = None,
        limits: Limits | Mapping[str, Any] | None = None,
    ) -> Outcome:
        """Start a session and run it to its first pause (or its end).

        Args:
            code: inline Lua; it sees ``ctx`` as a global and may ``return`` its result.
            strategy: a package name; runs ``require(strategy).run(ctx)``.
            ctx: the JSON object handed to the strategy (``task``, parameters, ``budget``).
            limits: per-session overrides of the sandbox limits.

        Returns:
            :class:`NeedsResponse`, or :class:`Completed` / :class:`Failed` if it never paused.

        Raises:
            InvalidInput: bad arguments or code that does not compile.
            StrategyNotFound: no such strategy.
        """
        if ctx is not None and not isinstance(ctx, Mapping):
            raise InvalidInput(f"ctx must be a JSON object, not {type(ctx).__name__}.")
        return self.registry.start(
            code=code, strategy=strategy, ctx=dict(ctx) if ctx is not None else None, limits=limits
        )

    def feed(
        self,
        session_id: str,
        response: Answer | None = None,
        *,
        query_id: str | None = None,
        responses: Mapping[str, Answer] | None = None,
        usage: Usage | Mapping[str, Any] | None = None,
    ) -> Outcome:
        """Answer pending queries. The last missing answer resumes the strategy.

        Args:
            session_id: from a previous reply.
            response: one answer; ``query_id`` may be omitted when exactly one query is pending.
            responses: several answers at once, ``{query_id: answer}``.
            usage: real token usage of ``response`` (``prompt_tokens``, ``response_tokens``).

        Returns:
            :class:`Accepted` (batch partly answered), :class:`NeedsResponse`,
            :class:`Completed` or :class:`Failed`.

        Raises:
            SessionNotFound, UnknownQuery, AlreadyAnswered, AmbiguousQuery, SessionFinished,
            InvalidInput, Conflict: the request was wrong; nothing was applied.
        """
        return self.registry.feed(session_id, _responses(response, query_id, responses, usage))

    def status(self, session_id: str | None = None) -> SessionSnapshot | list[SessionSnapshot]:
        """One session's snapshot, or (no id) the active (paused or running) sessions."""
        if session_id is None:
            return self.registry.sessions(["paused", "running"])
        return self.registry.status(session_id)

    def sessions(
        self, states: Iterable[str] | None = None, limit: int = 100, strategy: str | None = None
    ) -> list[SessionSnapshot]:
        """Most recently updated sessions of the store, optionally filtered by state (``paused``,
        ``completed``, ...) and by strategy name."""
        return self.registry.sessions(states, limit, strategy)

    def transcript(self, session_id: str) -> Transcript:
        """Every prompt and answer of a session, and its summary."""
        return self.registry.transcript(session_id)

    def cancel(self, session_id: str) -> Cancelled:
        """Cancel a paused session. Raises SessionFinished if it already ended."""
        return self.registry.cancel(session_id)

    def delete(self, session_id: str) -> bool:
        """Remove a session and its journal; returns whether it existed."""
        return self.registry.delete(session_id)

    def purge(self) -> int:
        """Purge sessions older than the retention period; returns how many."""
        return self.registry.purge()

    def pending(self, session_id: str) -> NeedsResponse:
        """The queries of a paused session that still need an answer, as a reply.

        Raises:
            SessionFinished: the session has ended.
            SessionNotFound, InvalidInput.
        """
        snapshot = self.registry.status(session_id)
        if snapshot.state != "paused":
            raise SessionFinished(
                f"Session {session_id} is {snapshot.state}; there is nothing to answer.",
                session_id=session_id,
            )
        todo = tuple(q for q in snapshot.pending if q.id not in snapshot.answered)
        return NeedsResponse(session_id=session_id, queries=todo)

    def drive(
        self,
        code: str | None = None,
        *,
        strategy: str | None = None,
        ctx: Mapping[str, Any] | None = None,
        llm: LLM,
        limits: Limits | Mapping[str, Any] | None = None,
        session_id: str | None = None,
        on_pause: Callable[[Outcome], None] | None = None,
    ) -> Completed | Failed | Cancelled:
        """Run a session to its end, answering every query with ``llm``.

        Args:
            llm: a function ``(Query) -> str | Response``, or a responder with ``respond``
                (its ``respond_many``, when it has one, answers each pause's batch at once).
            session_id: drive an existing paused session on (instead of code/strategy); answers
                already given to a partial batch are kept.
            on_pause: called with the reply after every answered pause (progress displays).

        Raises:
            The request errors of :meth:`start` / :meth:`feed`; whatever ``llm`` raises (the
            session then stays at its last pause and can be driven on).
        """
        respond_many = _batch_responder(llm)
        if session_id is not None:
            outcome: Outcome = self.pending(session_id)
        else:
            outcome = self.start(code, strategy=strategy, ctx=ctx, limits=limits)
        while isinstance(outcome, NeedsResponse):
            queries = list(outcome.queries)
            answers = respond_many(queries)
            feed: dict[str | None, Response] = {
                q.id: _as_response(a) for q, a in zip(queries, answers, strict=True)
            }
            outcome = self.registry.feed(outcome.session_id, feed)
            if on_pause is not None:
                on_pause(outcome)
        assert isinstance(outcome, Completed | Failed | Cancelled)
        return outcome


async def _in_thread(fn: Callable[..., _T], *args: Any) -> _T:
    """Run blocking engine work on a worker thread (anyio is imported on first async use)."""
    from anyio import to_thread

    return await to_thread.run_sync(fn, *args)


def _async_responder(llm: AsyncLLM | LLM) -> Callable[[Query], Any]:
    """``llm`` as a function of a query: a responder's ``arespond``, or a worker thread for a
    blocking responder object, or the callable itself (sync or async)."""
    native = getattr(llm, "arespond", None)
    if callable(native):
        return native  # type: ignore[no-any-return]
    respond = getattr(llm, "respond", None)
    if callable(respond):
        return lambda query: _in_thread(respond, query)
    if callable(llm):
        return llm
    raise InvalidInput("llm must be a function of a Query or an object with respond(query).")


def _batch_responder(llm: LLM) -> Callable[[list[Query]], list[Answer]]:
    """``llm`` as a function answering one pause's queries (concurrently if it can)."""
    many = getattr(llm, "respond_many", None)
    if callable(many):
        return lambda queries: list(many(queries))
    one = _blocking_responder(llm)
    return lambda queries: [one(q) for q in queries]


def _blocking_responder(llm: LLM) -> Callable[[Query], Answer]:
    respond = getattr(llm, "respond", None)
    if callable(respond):
        return respond  # type: ignore[no-any-return]
    if callable(llm):
        return llm
    raise InvalidInput("llm must be a function of a Query or an object with respond(query).")


class AsyncEngine:
    """The :class:`Engine` API for async code (anyio: asyncio or trio).

    Every call runs the blocking engine work on a worker thread; a paused session holds no
    thread. Calls on different sessions proceed concurrently; calls on one session are applied
    one at a time. Arguments, returns and errors are those of :class:`Engine`.
    """

    def __init__(
        self,
        store: StoreArg = None,
        *,
        limits: Limits | None = None,
        packages_path: Iterable[str | os.PathLike[str]] | None = None,
        clock: Clock | None = None,
        idle_ttl: float = DEFAULT_IDLE_TTL,
        retention: float = DEFAULT_RETENTION,
        executor: ExecutorArg = None,
    ) -> None:
        self.engine = Engine(
            store,
            limits=limits,
            packages_path=packages_path,
            clock=clock,
            idle_ttl=idle_ttl,
            retention=retention,
            executor=executor,
        )
        self.registry = self.engine.registry

    async def start(
        self,
        code: str | None = None,
        *,
        strategy: str | None = None,
        ctx: Mapping[str, Any] | None = None,
        limits: Limits | Mapping[str, Any] | None = None,
    ) -> Outcome:
        """See :meth:`Engine.start`."""
        return await _in_thread(
            lambda: self.engine.start(code, strategy=strategy, ctx=ctx, limits=limits)
        )

    async def feed(
        self,
        session_id: str,
        response: Answer | None = None,
        *,
        query_id: str | None = None,
        responses: Mapping[str, Answer] | None = None,
        usage: Usage | Mapping[str, Any] | None = None,
    ) -> Outcome:
        """See :meth:`Engine.feed`."""
        return await _in_thread(
            lambda: self.engine.feed(
                session_id, response, query_id=query_id, responses=responses, usage=usage
            )
        )

    async def status(
        self, session_id: str | None = None
    ) -> SessionSnapshot | list[SessionSnapshot]:
        """See :meth:`Engine.status`."""
        return await _in_thread(lambda: self.engine.status(session_id))

    async def cancel(self, session_id: str) -> Cancelled:
        """See :meth:`Engine.cancel`."""
        return await _in_thread(lambda: self.engine.cancel(session_id))

    async def drive(
        self,
        code: str | None = None,
        *,
        strategy: str | None = None,
        ctx: Mapping[str, Any] | None = None,
        llm: AsyncLLM | LLM,
        limits: Limits | Mapping[str, Any] | None = None,
        concurrency: int = 4,
    ) -> Completed | Failed | Cancelled:
        """Run a session to its end; the queries of one pause are answered concurrently.

        Args:
            llm: ``async def llm(query) -> str | Response`` (a plain function also works).
            concurrency: at most this many queries of a batch are in flight at once.
        """
        import anyio

        if concurrency < 1:
            raise InvalidInput("concurrency must be at least 1.")
        limiter = anyio.CapacityLimiter(concurrency)
        call = _async_responder(llm)
        outcome = await self.start(code, strategy=strategy, ctx=ctx, limits=limits)
        while isinstance(outcome, NeedsResponse):
            answers: dict[str | None, Response] = {}

            async def answer(query: Query, answers: dict[str | None, Response] = answers) -> None:
                async with limiter:
                    value = call(query)
                    if isinstance(value, Awaitable):
                        value = await value
                    answers[query.id] = _as_response(value)

            async with anyio.create_task_group() as tg:
                for query in outcome.queries:
                    tg.start_soon(answer, query)
            ordered: dict[str | None, Response] = {q.id: answers[q.id] for q in outcome.queries}
            outcome = await _in_thread(self.registry.feed, outcome.session_id, ordered)
        assert isinstance(outcome, Completed | Failed | Cancelled)
        return outcome
