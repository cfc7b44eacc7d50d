"""The async Python API: :class:`AsyncEngine` and :class:`AsyncSessionService`.

Both subclass the classes generated from the blocking API (``alc/_generated_async.py``, by
``scripts/gen_async.py``) and add only what differs in async code: ``drive`` answers the
queries of one pause concurrently; ``close`` and the properties. Imported on first use of
``alc.AsyncEngine`` (so the blocking API and the CLI never load it).
"""

from __future__ import annotations

import functools
import os
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Self

from alc._async_support import in_thread, in_thread_cancellable
from alc._engine import Engine, ExecutorArg, StoreArg, default_store_path
from alc._generated_async import (
    AsyncCards,
    AsyncCatalogService,
    AsyncEngineBase,
    AsyncEvalService,
    AsyncPackageService,
    AsyncSessionServiceBase,
)
from alc._services import (
    LLM,
    AsyncLLM,
    Drive,
    Terminal,
    request_context,
)
from alc.engine.clock import Clock
from alc.engine.context import RequestContext
from alc.engine.errors import InvalidInput
from alc.engine.executor import StepControl
from alc.engine.protocol import (
    Limits,
    Outcome,
    Query,
    Response,
)
from alc.engine.registry import (
    DEFAULT_IDLE_TTL,
    DEFAULT_RETENTION,
)
from alc.engine.store import StateQuota, Store
from alc.responders._base import LLMAdapter

if TYPE_CHECKING:
    from alc.engine.pkg import PackageManager

__all__ = ["AsyncEngine", "AsyncSessionService"]


_ASYNC_PACKAGES_DEPRECATED = (
    "AsyncEngine.packages() is deprecated (it returns a blocking PackageManager): call "
    "`await engine.pkg.run(action, arguments, cwd)`, or engine.engine.packages(cwd) in a thread."
)


async def _answer_all(
    answerer: LLMAdapter, queries: Sequence[Query], concurrency: int
) -> list[Response]:
    """Answer the queries of one pause concurrently (at most ``concurrency`` in flight). When
    one answer fails, the others are cancelled and its exception is raised as is."""
    import anyio

    limiter = anyio.CapacityLimiter(concurrency)
    answers: dict[int, Response] = {}

    async def answer(index: int, query: Query) -> None:
        async with limiter:
            answers[index] = await answerer.answer(query)

    try:
        async with anyio.create_task_group() as tg:
            for index, query in enumerate(queries):
                tg.start_soon(answer, index, query)
    except BaseExceptionGroup as group:
        if len(group.exceptions) == 1:
            raise group.exceptions[0] from None
        raise
    return [answers[i] for i in range(len(queries))]


class AsyncSessionService(AsyncSessionServiceBase):
    """:class:`alc._services.SessionService` for async code: the generated coroutines, and
    :meth:`drive`, which answers the queries of one pause concurrently."""

    async def drive(
        self,
        code: str | None = None,
        *,
        strategy: str | None = None,
        ctx: Mapping[str, Any] | None = None,
        task: str | None = None,
        llm: AsyncLLM | LLM,
        limits: Limits | Mapping[str, Any] | None = None,
        session_id: str | None = None,
        on_pause: Callable[[Outcome], None] | None = None,
        context: RequestContext | None = None,
        concurrency: int = 4,
    ) -> Terminal:
        """See :meth:`AsyncEngine.drive`.

        Raises:
            InvalidInput: ``concurrency`` below 1; and the errors of :meth:`Engine.drive`.
        """
        if concurrency < 1:
            raise InvalidInput("concurrency must be at least 1.")
        context = request_context(context)
        answerer = LLMAdapter(llm)
        first = await self.first(  # (keywords in another order than the sync drive's)
            code,
            session_id=session_id,
            context=context,
            limits=limits,
            task=task,
            ctx=ctx,
            strategy=strategy,
        )
        drive = Drive(first, on_pause)
        while (pause := drive.pause) is not None:
            answers = drive.answers(pause, await _answer_all(answerer, pause.queries, concurrency))
            control = StepControl()
            feed = functools.partial(
                self.sync.registry.feed,
                pause.session_id,
                answers,
                context=context.with_control(control),
            )
            drive.advance(await in_thread_cancellable(feed, control))
        return drive.result


class AsyncEngine(AsyncEngineBase):
    """The :class:`Engine` API for async code (anyio: asyncio or trio).

    Every method of :class:`Engine` is here with the same parameters (a test keeps it so; most
    are generated from :class:`Engine`, ``alc/_generated_async.py``); each runs the blocking
    engine work on a worker thread, and a paused session holds no thread. Calls on different
    sessions proceed concurrently; calls on one session are applied one at a time. Arguments,
    returns and errors are those of :class:`Engine`. :meth:`drive` differs in answering the
    queries of one pause concurrently (``concurrency``); cancelling the task awaiting ``start``,
    ``feed`` or ``drive`` stops the running step and ends the session ``cancelled``.

    The services are the async twins of :class:`Engine`'s: ``session_service``, ``catalog``,
    ``pkg``, ``evals`` and ``cards``, each method a coroutine.
    """

    session_service: AsyncSessionService
    """Sessions, as coroutines (:class:`AsyncSessionService`)."""

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
        state_quota: StateQuota | None = None,
    ) -> None:
        engine = Engine(
            store,
            limits=limits,
            packages_path=packages_path,
            clock=clock,
            idle_ttl=idle_ttl,
            retention=retention,
            executor=executor,
            state_quota=state_quota,
        )
        super().__init__(engine)
        self.registry = engine.registry
        self.session_service = AsyncSessionService(engine.session_service)
        self.catalog = AsyncCatalogService(engine.catalog)
        self.pkg = AsyncPackageService(engine.pkg)
        self.evals = AsyncEvalService(engine.evals)

    default_store_path = staticmethod(default_store_path)

    async def close(self) -> None:
        """See :meth:`Engine.close`."""
        await in_thread(self.engine.close)

    async def __aenter__(self) -> Self:
        """``async with AsyncEngine(...) as engine:`` closes the engine at the end."""
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def store(self) -> Store:
        """See :attr:`Engine.store`."""
        return self.engine.store

    @property
    def blocking(self) -> Engine:
        """The blocking :class:`Engine` this one runs on worker threads: for code that is already
        on a worker thread (``anyio.to_thread``) and needs several blocking calls in a row."""
        return self.engine

    @property
    def cards(self) -> AsyncCards:
        """See :attr:`Engine.cards` (each method a coroutine)."""
        return AsyncCards(self.engine.cards)

    async def drive(
        self,
        code: str | None = None,
        *,
        strategy: str | None = None,
        ctx: Mapping[str, Any] | None = None,
        task: str | None = None,
        llm: AsyncLLM | LLM,
        limits: Limits | Mapping[str, Any] | None = None,
        session_id: str | None = None,
        on_pause: Callable[[Outcome], None] | None = None,
        concurrency: int = 4,
    ) -> Terminal:
        """Run a session to its end; the queries of one pause are answered concurrently.

        Args:
            llm: ``async def llm(query) -> str | Response`` (a plain function also works), or a
                responder (its native ``arespond``, else ``respond`` on a worker thread).
            concurrency: at most this many queries of a batch are in flight at once.

        The other arguments are those of :meth:`Engine.drive`.
        """
        return await self.session_service.drive(
            code,
            llm=llm,
            concurrency=concurrency,
            on_pause=on_pause,
            session_id=session_id,
            limits=limits,
            task=task,
            ctx=ctx,
            strategy=strategy,
        )

    async def packages(self, cwd: str | os.PathLike[str] | None = None) -> PackageManager:
        """Deprecated (``DeprecationWarning``): it returns the blocking manager of
        :meth:`Engine.packages`; call ``await engine.pkg.run(action, arguments, cwd)``."""
        warnings.warn(_ASYNC_PACKAGES_DEPRECATED, DeprecationWarning, stacklevel=2)
        return self.engine.packages(cwd)
