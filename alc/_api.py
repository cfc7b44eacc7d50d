"""The Python API: :class:`Engine` (blocking) and :class:`AsyncEngine` (anyio).

This is the one layer every front end calls, and the one layer that normalises and validates a
request: the CLI and the MCP server only translate their own syntax (arguments, options, tool
arguments) into these calls, so a bad request gets the same ``error_code`` and the same message
through Python, ``alc`` and ``alc mcp``. What a request may carry is decided here:

- :func:`start_request`: exactly one of code / strategy, a ctx object of plain JSON, ``task``
  merged into ``ctx.task``;
- :func:`feed_request` (:mod:`alc._feed`, beside the typed request models): ``response`` /
  ``query_id`` / ``responses`` / ``usage`` into :class:`Response` objects keyed by query id
  ("nothing to feed", "answered twice", ...);
- :func:`session_states`: state filters as :class:`SessionState` values.

Everything else (session ids, limits, strategy lookup, the state machine) is decided by the
:class:`SessionRegistry`. ``AsyncEngine`` mirrors every ``Engine`` method and runs it on a worker
thread (``anyio.to_thread``), so a slow Lua step never blocks the event loop and a paused
session holds no thread at all. Both drive sessions with one loop (:class:`_Drive`) and one
responder adapter (:class:`alc.responders.LLMAdapter`); the MCP sampling loop is
:meth:`AsyncEngine.drive` too.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, Self, TypeAlias, TypeVar, Unpack

from alc._feed import feed_request
from alc.engine._validate import (
    MAX_CODE_CHARS,
    MAX_CTX_BYTES,
    check_json,
    check_size,
    check_text,
)
from alc.engine.cards import AsyncCards, Cards
from alc.engine.clock import Clock
from alc.engine.errors import InvalidInput
from alc.engine.executor import Executor, StepControl, make_executor
from alc.engine.packages import PackageResolver, alc_home
from alc.engine.phase import refuse_ended
from alc.engine.protocol import (
    ACTIVE_STATES,
    Cancelled,
    Completed,
    Failed,
    Limits,
    NeedsResponse,
    Outcome,
    Query,
    Response,
    SessionSnapshot,
    SessionState,
    Usage,
    dumps,
)
from alc.engine.registry import (
    DEFAULT_IDLE_TTL,
    DEFAULT_RETENTION,
    SessionRegistry,
    Transcript,
)
from alc.engine.store import StateQuota, Store, open_store
from alc.responders._base import LLMAdapter

if TYPE_CHECKING:
    from alc.engine.catalog import StrategyInfo
    from alc.engine.pkg import PackageManager
    from alc.eval import EvalOptions, Scenario

__all__ = [
    "LLM",
    "Answer",
    "AsyncEngine",
    "AsyncLLM",
    "Engine",
    "ProgressFn",
    "default_store_path",
    "feed_request",
    "session_states",
    "start_request",
]

Answer: TypeAlias = str | Response
"""What a driver may give for one query: the text, or a :class:`Response` with usage."""

AnswerArg: TypeAlias = Answer | Mapping[str, Any]
"""An answer as a request may carry it: also ``{"text": ..., "usage": {...}}`` (JSON callers)."""

ProgressFn: TypeAlias = Callable[[dict[str, Any]], None]
"""Called with ``{"step", "total", "message"}`` for every ``alc.progress`` call of the request's
step, on the thread that runs the step (hand it to your event loop yourself)."""

ResponsesArg: TypeAlias = (
    Mapping[str, AnswerArg] | Sequence[tuple[str, AnswerArg] | Mapping[str, Any]]
)
"""Several answers: ``{query_id: answer}``, or a list of ``{"query_id" (or "id"), "response",
"usage"}`` objects or ``(query_id, answer)`` pairs (a list may name a query twice, which is
refused as "answered twice"); parsed by :func:`alc._feed.feed_request`."""


class _Responds(Protocol):
    def respond(self, query: Query) -> Response: ...


LLM: TypeAlias = Callable[[Query], Answer] | _Responds
"""A blocking LLM for ``drive``: ``llm(query) -> str | Response``, or a responder object."""

AsyncLLM: TypeAlias = Callable[[Query], Awaitable[Answer]] | Callable[[Query], Answer]
"""An LLM for ``AsyncEngine.drive``: an async (or plain) function of a :class:`Query`."""

Terminal: TypeAlias = Completed | Failed | Cancelled
"""How a driven session ends."""

_T = TypeVar("_T")

StoreArg: TypeAlias = Store | str | os.PathLike[str] | None
ExecutorArg: TypeAlias = Executor | str | None


def default_store_path() -> str:
    """Where a durable store lives unless told otherwise: ``$ALC_STORE`` (a SQLite path or a
    ``postgresql://`` URL), else ``$ALC_HOME/sessions.db`` (``~/.alc/sessions.db``). The CLI and
    ``alc mcp`` use it."""
    return os.environ.get("ALC_STORE") or str(alc_home() / "sessions.db")


# ---------------------------------------------------------------------- request normalisation


def start_request(
    code: object, strategy: object, ctx: object, task: object
) -> tuple[str | None, str | None, dict[str, Any]]:
    """``(code, strategy, ctx)`` of a start request, checked; ``task`` is merged as ``ctx.task``.

    Raises:
        InvalidInput: neither or both of code / strategy, code or task that is not text, a ctx
            that is not a JSON object of plain JSON.
    """
    if (code is None) == (strategy is None):
        raise InvalidInput("Give exactly one of code (Lua source) or strategy (a strategy name).")
    if code is not None:
        if not isinstance(code, str):
            raise InvalidInput(f"code must be Lua source text, not {type(code).__name__}.")
        check_text(code, "code")
        check_size(len(code), MAX_CODE_CHARS, "code", "characters")
    if strategy is not None and not isinstance(strategy, str):
        raise InvalidInput(f"strategy must be a strategy name, not {type(strategy).__name__}.")
    if ctx is not None and not isinstance(ctx, Mapping):
        raise InvalidInput(f"ctx must be a JSON object, not {type(ctx).__name__}.")
    context = dict(ctx or {})
    if task is not None:
        if not isinstance(task, str):
            raise InvalidInput(f"task must be text, not {type(task).__name__}.")
        context["task"] = check_text(task, "task")
    check_json(context, "ctx")
    check_size(len(dumps(context).encode()), MAX_CTX_BYTES, "ctx", "bytes of JSON")
    return code, strategy, context


def session_states(states: Iterable[str] | None) -> list[SessionState] | None:
    """State filters as :class:`SessionState` values (None: every state).

    Raises:
        InvalidInput: a name that is not a session state.
    """
    if states is None:
        return None
    if isinstance(states, str):
        states = [states]
    names = [str(s) for s in states]
    unknown = sorted(set(names) - set(SessionState))
    if unknown:
        raise InvalidInput(
            f"Unknown state {', '.join(unknown)}; use one of {', '.join(SessionState)}."
        )
    return [SessionState(n) for n in names]


# ---------------------------------------------------------------------- the drive core


class _Drive:
    """The one drive loop, without I/O: ``Engine.drive`` and ``AsyncEngine.drive`` (and so the
    MCP sampling loop) each run it, answering and feeding in their own way::

        drive = _Drive(first, on_pause)
        while (pause := drive.pause) is not None:
            drive.advance(feed(pause.session_id, drive.answers(pause, <answers>)))
        return drive.result
    """

    def __init__(self, first: Outcome, on_pause: Callable[[Outcome], None] | None) -> None:
        self._outcome = first
        self._on_pause = on_pause

    @property
    def pause(self) -> NeedsResponse | None:
        """The pause to answer next, or None once the session has ended."""
        return self._outcome if isinstance(self._outcome, NeedsResponse) else None

    def answers(
        self, pause: NeedsResponse, responses: Sequence[Response]
    ) -> dict[str | None, Response]:
        """The feed of one pause: one response per query, keyed by its id, in issue order."""
        if len(responses) != len(pause.queries):
            raise InvalidInput(
                f"The llm gave {len(responses)} answers to {len(pause.queries)} queries."
            )
        return {q.id: r for q, r in zip(pause.queries, responses, strict=True)}

    def advance(self, outcome: Outcome) -> None:
        """Record the reply to the last feed (and report it to ``on_pause``)."""
        self._outcome = outcome
        if self._on_pause is not None:
            self._on_pause(outcome)

    @property
    def result(self) -> Terminal:
        assert isinstance(self._outcome, Completed | Failed | Cancelled)
        return self._outcome


def _make_registry(
    store: StoreArg,
    limits: Limits | None,
    packages_path: Iterable[str | os.PathLike[str]] | None,
    clock: Clock | None,
    idle_ttl: float,
    retention: float,
    executor: ExecutorArg,
    state_quota: StateQuota | None = None,
) -> SessionRegistry:
    resolver = None
    if packages_path is not None:
        resolver = PackageResolver.with_extra([*map(Path, packages_path)])
    return SessionRegistry(
        open_store(store, state_quota=state_quota),
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
            shared by processes; :meth:`default_store_path` is where the CLI keeps one), a
            ``postgresql://`` URL (shared by processes on many machines; the ``[postgres]``
            extra, docs/deploy.md), or a :class:`~alc.engine.store.Store`.
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
            stop a process pool early (it also stops when this process exits). Reading strategy
            metadata (:meth:`strategies`, :meth:`describe`) runs package code there too.
        state_quota: the bounds of ``alc.state`` per namespace and per tenant
            (:class:`~alc.engine.store.StateQuota`; default from the ``ALC_STATE_*_MAX_*``
            environment, docs/operations.md); a write past it is ``state_quota_exceeded``.

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
        state_quota: StateQuota | None = None,
    ) -> None:
        self.registry = _make_registry(
            store, limits, packages_path, clock, idle_ttl, retention, executor, state_quota
        )

    default_store_path = staticmethod(default_store_path)

    def close(self) -> None:
        """Stop the executor's worker processes (if any). Sessions stay in the store."""
        self.registry.executor.close()

    def __enter__(self) -> Self:
        """``with Engine(...) as engine:`` closes the engine (:meth:`close`) at the end."""
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def cards(self) -> Cards:
        """The store's cards (``alc.card.*`` records, docs/cards.md): ``list``, ``get``,
        ``find``, ``read_samples``, ``alias_list``, ``get_by_alias``, ``lineage``, and the
        writes. Plain JSON values in and out; errors are ``card_not_found``, ``card_immutable``,
        ``card_too_large``, ``invalid_input``."""
        return Cards(self.registry.store, self.registry.clock.time)

    @property
    def store(self) -> Store:
        """The journal every session of this engine is kept in."""
        return self.registry.store

    # ------------------------------------------------------------------ sessions

    def start(
        self,
        code: str | None = None,
        *,
        strategy: str | None = None,
        ctx: Mapping[str, Any] | None = None,
        task: str | None = None,
        limits: Limits | Mapping[str, Any] | None = None,
        on_progress: ProgressFn | None = None,
    ) -> Outcome:
        """Start a session and run it to its first pause (or its end).

        Args:
            code: inline Lua; it sees ``ctx`` as a global and may ``return`` its result.
            strategy: a package name; runs ``require(strategy).run(ctx)``.
            ctx: the JSON object handed to the strategy (``task``, parameters, ``budget``).
            task: shorthand for ``ctx["task"]`` (wins over a ``task`` in ``ctx``).
            limits: per-session overrides of the sandbox limits.
            on_progress: hears each ``alc.progress(step, total, msg)`` of this step
                (:data:`ProgressFn`); the last one is also in :meth:`status`.

        Returns:
            :class:`NeedsResponse`, or :class:`Completed` / :class:`Failed` if it never paused.

        Raises:
            InvalidInput: bad arguments (see :func:`start_request`), bad limits, or code that
                does not compile.
            StrategyNotFound: no such strategy.
        """
        return self._first(code, strategy, ctx, task, limits, None, _control(on_progress))

    def feed(
        self,
        session_id: str,
        response: AnswerArg | None = None,
        *,
        query_id: str | None = None,
        responses: ResponsesArg | None = None,
        usage: Usage | Mapping[str, Any] | None = None,
        on_progress: ProgressFn | None = None,
    ) -> Outcome:
        """Answer pending queries. The last missing answer resumes the strategy.

        Args:
            session_id: from a previous reply.
            response: one answer; ``query_id`` may be omitted when exactly one query is pending.
            responses: several answers at once, ``{query_id: answer}`` (or a list of pairs).
            usage: real token usage of ``response`` (``prompt_tokens``, ``response_tokens``).
            on_progress: as for :meth:`start`, for the step the last answer resumes.

        An answer is a ``str``, a :class:`Response`, or ``{"text": ..., "usage": {...}}``.

        Returns:
            :class:`Accepted` (batch partly answered), :class:`NeedsResponse`,
            :class:`Completed` or :class:`Failed`.

        Raises:
            SessionNotFound, UnknownQuery, AlreadyAnswered, AmbiguousQuery, SessionFinished,
            InvalidInput, Conflict: the request was wrong; nothing was applied.
        """
        answers = feed_request(response, query_id, responses, usage)
        return self.registry.feed(session_id, answers, _control(on_progress))

    def status(self, session_id: str | None = None) -> SessionSnapshot | list[SessionSnapshot]:
        """One session's snapshot, or (no id) the active (paused or running) sessions."""
        if session_id is None:
            return self.registry.sessions(sorted(ACTIVE_STATES))
        return self.registry.status(session_id)

    def sessions(
        self, states: Iterable[str] | None = None, limit: int = 100, strategy: str | None = None
    ) -> list[SessionSnapshot]:
        """Most recently updated sessions of the store, optionally filtered by state (``paused``,
        ``completed``, ...; see :class:`SessionState`) and by strategy name.

        Raises:
            InvalidInput: an unknown state name.
        """
        return self.registry.sessions(session_states(states), limit, strategy)

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
        snapshot = self.registry.status(session_id)  # "last" resolved to its id
        session_id = snapshot.session_id
        refuse_ended(snapshot.state, session_id)
        todo = tuple(q for q in snapshot.pending if q.id not in snapshot.answered)
        return NeedsResponse(session_id=session_id, queries=todo)

    def drive(
        self,
        code: str | None = None,
        *,
        strategy: str | None = None,
        ctx: Mapping[str, Any] | None = None,
        task: str | None = None,
        llm: LLM,
        limits: Limits | Mapping[str, Any] | None = None,
        session_id: str | None = None,
        on_pause: Callable[[Outcome], None] | None = None,
    ) -> Terminal:
        """Run a session to its end, answering every query with ``llm``.

        Args:
            llm: a function ``(Query) -> str | Response``, or a responder with ``respond``
                (its ``respond_many``, when it has one, answers each pause's batch at once).
            session_id: drive an existing paused session on (instead of code/strategy); answers
                already given to a partial batch are kept.
            on_pause: called with the reply after every answered pause (progress displays).

        The other arguments are those of :meth:`start`.

        Raises:
            The request errors of :meth:`start` / :meth:`feed`; whatever ``llm`` raises (the
            session then stays at its last pause and can be driven on).
        """
        answerer = LLMAdapter(llm)
        drive = _Drive(self._first(code, strategy, ctx, task, limits, session_id), on_pause)
        while (pause := drive.pause) is not None:
            answers = drive.answers(pause, answerer.answer_batch(pause.queries))
            drive.advance(self.registry.feed(pause.session_id, answers))
        return drive.result

    def _first(
        self,
        code: str | None,
        strategy: str | None,
        ctx: Mapping[str, Any] | None,
        task: str | None,
        limits: Limits | Mapping[str, Any] | None,
        session_id: str | None,
        control: StepControl | None = None,
    ) -> Outcome:
        """Where a run begins: a new session (its first step held by ``control``), or the
        pending queries of ``session_id`` (a drive going on)."""
        if session_id is None:
            code, strategy, context = start_request(code, strategy, ctx, task)
            return self.registry.start(
                code=code, strategy=strategy, ctx=context, limits=limits, control=control
            )
        if code is not None or strategy is not None:
            raise InvalidInput(
                "Give session_id (drive an existing session on) or code / strategy (start a "
                "new one), not both."
            )
        return self.pending(session_id)

    # ------------------------------------------------------------------ engine services

    def strategies(self) -> list[StrategyInfo]:
        """Every strategy on the package search path with its metadata, sorted by name.

        Loading a package runs its top-level code, on this engine's executor; a package that
        fails to load is listed with an ``error`` instead of metadata.
        """
        from alc.engine.catalog import catalogue  # not on the cold path of a CLI call

        return catalogue(self.registry.resolver, self.registry.executor)

    def describe(self, name: str) -> StrategyInfo:
        """One strategy's metadata (parameters, example ctx, paper, ...), as :meth:`strategies`.

        Raises:
            StrategyNotFound: no package of that name on the search path.
        """
        from alc.engine.catalog import describe

        return describe(name, self.registry.resolver, self.registry.executor)

    def strategy_source(self, name: str) -> str:
        """The Lua source (``init.lua``) of a strategy package (nothing is run).

        Raises:
            StrategyNotFound: no package of that name on the search path.
        """
        return self.registry.resolver.strategy(name).path.read_text(encoding="utf-8")

    def info(self) -> dict[str, Any]:
        """alc's version, the Lua versions, this engine's store, ``alc_home``, the package search
        paths and the path of the Lua type definitions (``alc.d.lua``)."""
        from alc.engine.catalog import engine_info

        return engine_info(self.registry.resolver, self.store.path)

    def evaluate(
        self,
        scenario: str | Scenario,
        strategies: Sequence[str],
        *,
        llm: Any,
        **options: Unpack[EvalOptions],
    ) -> dict[str, Any]:
        """Evaluate strategies against a baseline: every (strategy, case) pair is a session of
        this engine driven by ``llm``, graded and stored (one card with samples per strategy).
        A call with the configuration of an unfinished run continues it.

        Args:
            scenario: a built-in set (``arith``, ``logic``, ``factual``), a scenario file
                (``.lua`` evalframe, ``.jsonl``, ``.toml``, ``.json``) or an
                :class:`alc.eval.Scenario`.
            strategies: strategy names; the baseline (default ``direct``) is added.
            llm: a responder spec (``"local"``, ``"openai:<model>"``, ...) or object.
            options: :class:`alc.eval.EvalOptions` (``baseline``, ``n``, ``seed``, ``judge``,
                ``strategy_opts`` such as ``{"sc": {"n": 3}}``, ``concurrency``, ``run_id``,
                ``on_progress``), as :func:`alc.eval.evaluate` documents them.

        Returns:
            The run record (``run_id``, ``status``, ``cards``, ...); statistics:
            ``alc.eval.run_report(engine, run_id)``. docs/evals.md.

        Raises:
            InvalidInput, StrategyNotFound, ResponderError (the run can be continued).
        """
        from alc.eval import evaluate

        return evaluate(self, scenario, strategies, llm=llm, **options)

    def packages(self, cwd: str | os.PathLike[str] | None = None) -> PackageManager:
        """Package management over this engine's search path: install, list, remove, link,
        unlink, doctor, scaffold, test (:class:`alc.engine.pkg.PackageManager`; spec files run on
        this engine's executor). ``cwd`` is the working folder whose ``alc.toml`` is the project
        (default: the process's)."""
        from alc.engine.pkg import PackageManager

        return PackageManager(self.registry.resolver, self.registry.executor, cwd)

    def package_action(
        self,
        action: str,
        arguments: Mapping[str, Any],
        cwd: str | os.PathLike[str] | None = None,
    ) -> dict[str, Any]:
        """One package operation by name (``alc.engine.pkg.ACTIONS``: install, list, remove,
        link, unlink, doctor, scaffold, test) with JSON arguments: the shape MCP's ``alc_pkg``
        takes. Returns the operation's reply.

        Raises:
            InvalidInput: unknown action or argument; and each action's own errors
                (``install_failed``, ``package_not_found``).
        """
        return self.packages(cwd).run(action, dict(arguments))


def _control(on_progress: ProgressFn | None) -> StepControl | None:
    return None if on_progress is None else StepControl(on_progress)


async def _in_thread_cancellable(fn: Callable[[StepControl], _T], control: StepControl) -> _T:
    """Run ``fn(control)`` on a worker thread. If the awaiting task is cancelled meanwhile, the
    control is cancelled (the step stops, the session ends ``cancelled``), the thread is waited
    for (it ends promptly) and the cancellation goes on."""
    import anyio
    from anyio import to_thread

    result: list[_T] = []
    failure: list[BaseException] = []
    finished = anyio.Event()

    async def work() -> None:
        try:  # to_thread waits shielded: a cancelled scope still lets the thread end
            result.append(await to_thread.run_sync(fn, control))
        except Exception as exc:
            failure.append(exc)
        finally:
            finished.set()

    async with anyio.create_task_group() as tg:
        tg.start_soon(work)
        try:
            await finished.wait()
        except anyio.get_cancelled_exc_class():
            control.cancel()
            raise
    if failure:
        raise failure[0]
    return result[0]


async def _in_thread(fn: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
    """Run blocking engine work on a worker thread (anyio is imported on first async use)."""
    from anyio import to_thread

    return await to_thread.run_sync(functools.partial(fn, *args, **kwargs))


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


class AsyncEngine:
    """The :class:`Engine` API for async code (anyio: asyncio or trio).

    Every method of :class:`Engine` is here with the same parameters (a test keeps it so); each
    runs the blocking engine work on a worker thread, and a paused session holds no thread.
    Calls on different sessions proceed concurrently; calls on one session are applied one at a
    time. Arguments, returns and errors are those of :class:`Engine`. :meth:`drive` differs in
    answering the queries of one pause concurrently (``concurrency``).
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
        state_quota: StateQuota | None = None,
    ) -> None:
        self.engine = Engine(
            store,
            limits=limits,
            packages_path=packages_path,
            clock=clock,
            idle_ttl=idle_ttl,
            retention=retention,
            executor=executor,
            state_quota=state_quota,
        )
        """The blocking :class:`Engine` this one runs on worker threads."""
        self.registry = self.engine.registry

    default_store_path = staticmethod(default_store_path)

    async def close(self) -> None:
        """See :meth:`Engine.close`."""
        await _in_thread(self.engine.close)

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
    def cards(self) -> AsyncCards:
        """See :attr:`Engine.cards` (each method a coroutine)."""
        return AsyncCards(self.engine.cards)

    async def start(
        self,
        code: str | None = None,
        *,
        strategy: str | None = None,
        ctx: Mapping[str, Any] | None = None,
        task: str | None = None,
        limits: Limits | Mapping[str, Any] | None = None,
        on_progress: ProgressFn | None = None,
    ) -> Outcome:
        """See :meth:`Engine.start`. Cancelling the awaiting task stops the step and ends the
        session ``cancelled`` (the cancellation then goes on)."""
        return await _in_thread_cancellable(
            functools.partial(self.engine._first, code, strategy, ctx, task, limits, None),
            StepControl(on_progress),
        )

    async def feed(
        self,
        session_id: str,
        response: AnswerArg | None = None,
        *,
        query_id: str | None = None,
        responses: ResponsesArg | None = None,
        usage: Usage | Mapping[str, Any] | None = None,
        on_progress: ProgressFn | None = None,
    ) -> Outcome:
        """See :meth:`Engine.feed`. Cancelling the awaiting task stops the resumed step and ends
        the session ``cancelled``, as for :meth:`start`."""
        answers = feed_request(response, query_id, responses, usage)
        return await _in_thread_cancellable(
            functools.partial(self.registry.feed, session_id, answers),
            StepControl(on_progress),
        )

    async def status(
        self, session_id: str | None = None
    ) -> SessionSnapshot | list[SessionSnapshot]:
        """See :meth:`Engine.status`."""
        return await _in_thread(self.engine.status, session_id)

    async def sessions(
        self, states: Iterable[str] | None = None, limit: int = 100, strategy: str | None = None
    ) -> list[SessionSnapshot]:
        """See :meth:`Engine.sessions`."""
        return await _in_thread(self.engine.sessions, states, limit, strategy)

    async def transcript(self, session_id: str) -> Transcript:
        """See :meth:`Engine.transcript`."""
        return await _in_thread(self.engine.transcript, session_id)

    async def cancel(self, session_id: str) -> Cancelled:
        """See :meth:`Engine.cancel`."""
        return await _in_thread(self.engine.cancel, session_id)

    async def delete(self, session_id: str) -> bool:
        """See :meth:`Engine.delete`."""
        return await _in_thread(self.engine.delete, session_id)

    async def purge(self) -> int:
        """See :meth:`Engine.purge`."""
        return await _in_thread(self.engine.purge)

    async def pending(self, session_id: str) -> NeedsResponse:
        """See :meth:`Engine.pending`."""
        return await _in_thread(self.engine.pending, session_id)

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
        if concurrency < 1:
            raise InvalidInput("concurrency must be at least 1.")
        answerer = LLMAdapter(llm)
        first = await _in_thread(self.engine._first, code, strategy, ctx, task, limits, session_id)
        drive = _Drive(first, on_pause)
        while (pause := drive.pause) is not None:
            answers = drive.answers(pause, await _answer_all(answerer, pause.queries, concurrency))
            feed = functools.partial(self.registry.feed, pause.session_id, answers)
            drive.advance(await _in_thread_cancellable(feed, StepControl()))
        return drive.result

    async def strategies(self) -> list[StrategyInfo]:
        """See :meth:`Engine.strategies`."""
        return await _in_thread(self.engine.strategies)

    async def describe(self, name: str) -> StrategyInfo:
        """See :meth:`Engine.describe`."""
        return await _in_thread(self.engine.describe, name)

    async def strategy_source(self, name: str) -> str:
        """See :meth:`Engine.strategy_source`."""
        return await _in_thread(self.engine.strategy_source, name)

    async def info(self) -> dict[str, Any]:
        """See :meth:`Engine.info`."""
        return await _in_thread(self.engine.info)

    async def evaluate(
        self,
        scenario: str | Scenario,
        strategies: Sequence[str],
        *,
        llm: Any,
        **options: Unpack[EvalOptions],
    ) -> dict[str, Any]:
        """See :meth:`Engine.evaluate` (the run is driven on a worker thread)."""
        run = functools.partial(self.engine.evaluate, scenario, strategies, llm=llm, **options)
        return await _in_thread(run)

    async def packages(self, cwd: str | os.PathLike[str] | None = None) -> PackageManager:
        """See :meth:`Engine.packages` (the manager's methods block: call them in a thread)."""
        return self.engine.packages(cwd)

    async def package_action(
        self,
        action: str,
        arguments: Mapping[str, Any],
        cwd: str | os.PathLike[str] | None = None,
    ) -> dict[str, Any]:
        """See :meth:`Engine.package_action` (run on a worker thread)."""
        return await _in_thread(self.engine.package_action, action, arguments, cwd)
