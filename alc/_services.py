"""The Python API's services: each one job of :class:`alc.Engine`, over one registry.

:class:`alc.Engine` keeps the simple entry points (``engine.start``, ``engine.feed``, ...) and
delegates each to one of these; the services are also reachable by name, for code that wants
one job's surface or an explicit request context:

=========================== ===================================================================
``engine.session_service``  :class:`SessionService`: start, feed, drive, status, active, list,
                            pending, transcript, cancel, delete, purge, resolve
``engine.catalog``          :class:`CatalogService`: strategies, describe, source, locate, info
``engine.pkg``              :class:`PackageService`: run (one package operation), manager
``engine.evals``            :class:`EvalService`: evaluate, step, runs, report, compare, show
``engine.cards``            :class:`alc.engine.cards.Cards`: every ``alc.card.*`` operation
=========================== ===================================================================

Every session call takes an optional ``context`` (:class:`~alc.engine.context.RequestContext`:
tenant, step control, deadline); without one the call is served for
:meth:`RequestContext.current` (the tenant the front end set with
:func:`alc.engine.tenancy.tenant_scope`). That is the one read of the tenant carrier on the
way down; the registry then decides visibility with the context's one tenant rule.

Each service has an async twin generated from it (``alc/_generated_async.py``, written by
``scripts/gen_async.py``): the same methods as coroutines run on a worker thread.

This module also holds the request normalisation every front end shares
(:func:`start_request`, :func:`session_states`) and the one drive loop (:class:`Drive`).
"""

from __future__ import annotations

import builtins
import os
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, Unpack

from alc.engine._validate import MAX_CODE_CHARS, MAX_CTX_BYTES, check_json, check_size, check_text
from alc.engine.context import RequestContext
from alc.engine.errors import InvalidInput
from alc.engine.executor import StepControl
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
from alc.engine.registry import SessionRegistry, Transcript

if TYPE_CHECKING:
    from alc.engine.catalog import StrategyInfo
    from alc.engine.pkg import PackageManager
    from alc.eval import EngineLike, EvalOptions, Scenario

__all__ = [
    "LLM",
    "Answer",
    "AnswerArg",
    "AsyncLLM",
    "CatalogService",
    "Drive",
    "EvalService",
    "PackageService",
    "ProgressFn",
    "ResponsesArg",
    "SessionService",
    "Terminal",
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


def session_states(states: Iterable[str] | None) -> builtins.list[SessionState] | None:
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


def request_context(
    context: RequestContext | None, on_progress: ProgressFn | None = None
) -> RequestContext:
    """The context a call is served in: ``context`` (default :meth:`RequestContext.current`),
    its steps reporting to ``on_progress`` when one is given."""
    context = RequestContext.current() if context is None else context
    if on_progress is None:
        return context
    return context.with_control(StepControl(on_progress))


# ---------------------------------------------------------------------- the drive core


class Drive:
    """The one drive loop, without I/O: ``SessionService.drive`` and the async twin's (and so
    the MCP sampling loop) each run it, answering and feeding in their own way::

        drive = Drive(first, on_pause)
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
        """The feed of one pause: one response per query, keyed by its id, in issue order.

        Raises:
            InvalidInput: not one answer per query.
        """
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
        """How the session ended (only once :attr:`pause` is None)."""
        assert isinstance(self._outcome, Completed | Failed | Cancelled)
        return self._outcome


# ---------------------------------------------------------------------- sessions


class SessionService:
    """Sessions: start, answer, drive, inspect, cancel and remove them (``engine.session_service``).

    Every method takes ``context`` (:class:`~alc.engine.context.RequestContext`; default: the
    current request's), passed down to the registry as is. Errors are those of the matching
    :class:`alc.Engine` method.
    """

    def __init__(self, registry: SessionRegistry) -> None:
        self.registry = registry

    def start(
        self,
        code: str | None = None,
        *,
        strategy: str | None = None,
        ctx: Mapping[str, Any] | None = None,
        task: str | None = None,
        limits: Limits | Mapping[str, Any] | None = None,
        on_progress: ProgressFn | None = None,
        context: RequestContext | None = None,
    ) -> Outcome:
        """Start a session and run it to its first pause (see :meth:`alc.Engine.start`)."""
        code, strategy, request = start_request(code, strategy, ctx, task)
        return self.registry.start(
            code=code,
            strategy=strategy,
            ctx=request,
            limits=limits,
            context=request_context(context, on_progress),
        )

    def feed(
        self,
        session_id: str,
        response: AnswerArg | None = None,
        *,
        query_id: str | None = None,
        responses: ResponsesArg | None = None,
        usage: Usage | Mapping[str, Any] | None = None,
        on_progress: ProgressFn | None = None,
        context: RequestContext | None = None,
    ) -> Outcome:
        """Answer pending queries (see :meth:`alc.Engine.feed`)."""
        answers: dict[str | None, Response]
        if type(response) is str and query_id is None and responses is None and usage is None:
            answers = {None: Response.trusted(text=response, usage=None)}  # the common case
        else:
            from alc._feed import feed_request  # only when the answer needs parsing

            answers = feed_request(response, query_id, responses, usage)
        return self.registry.feed(
            session_id, answers, context=request_context(context, on_progress)
        )

    def first(
        self,
        code: str | None = None,
        *,
        strategy: str | None = None,
        ctx: Mapping[str, Any] | None = None,
        task: str | None = None,
        limits: Limits | Mapping[str, Any] | None = None,
        session_id: str | None = None,
        context: RequestContext | None = None,
    ) -> Outcome:
        """Where a drive begins: a new session's first reply (:meth:`start`), or the pending
        queries of ``session_id`` (:meth:`pending`, a drive going on).

        Raises:
            InvalidInput: both a session id and code / strategy; and the errors of
                :meth:`start` / :meth:`pending`.
        """
        if session_id is None:
            return self.start(
                code, strategy=strategy, ctx=ctx, task=task, limits=limits, context=context
            )
        if code is not None or strategy is not None:
            raise InvalidInput(
                "Give session_id (drive an existing session on) or code / strategy (start a "
                "new one), not both."
            )
        return self.pending(session_id, context)

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
        context: RequestContext | None = None,
    ) -> Terminal:
        """Run a session to its end, answering every query with ``llm`` (see
        :meth:`alc.Engine.drive`)."""
        context = request_context(context)
        from alc.responders._base import LLMAdapter

        answerer = LLMAdapter(llm)
        first = self.first(
            code,
            strategy=strategy,
            ctx=ctx,
            task=task,
            limits=limits,
            session_id=session_id,
            context=context,
        )
        drive = Drive(first, on_pause)
        while (pause := drive.pause) is not None:
            answers = drive.answers(pause, answerer.answer_batch(pause.queries))
            drive.advance(self.registry.feed(pause.session_id, answers, context=context))
        return drive.result

    def status(self, session_id: str, context: RequestContext | None = None) -> SessionSnapshot:
        """One session's snapshot (``"last"``: the most recently updated one).

        Raises:
            InvalidInput, SessionNotFound.
        """
        return self.registry.status(session_id, request_context(context))

    def active(self, context: RequestContext | None = None) -> builtins.list[SessionSnapshot]:
        """The active (paused or running) sessions, most recently updated first."""
        return self.registry.sessions(sorted(ACTIVE_STATES), context=request_context(context))

    def list(
        self,
        states: Iterable[str] | None = None,
        limit: int = 100,
        strategy: str | None = None,
        context: RequestContext | None = None,
    ) -> builtins.list[SessionSnapshot]:
        """Most recently updated sessions, optionally filtered by state and strategy name.

        Raises:
            InvalidInput: an unknown state name.
        """
        return self.registry.sessions(
            session_states(states), limit, strategy, request_context(context)
        )

    def pending(self, session_id: str, context: RequestContext | None = None) -> NeedsResponse:
        """The queries of a paused session that still need an answer, as a reply.

        Raises:
            SessionFinished: the session has ended.
            SessionNotFound, InvalidInput.
        """
        snapshot = self.status(session_id, context)  # "last" resolved to its id
        refuse_ended(snapshot.state, snapshot.session_id)
        todo = tuple(q for q in snapshot.pending if q.id not in snapshot.answered)
        return NeedsResponse(session_id=snapshot.session_id, queries=todo)

    def transcript(self, session_id: str, context: RequestContext | None = None) -> Transcript:
        """Every prompt and answer of a session, and its summary.

        Raises:
            InvalidInput, SessionNotFound.
        """
        return self.registry.transcript(session_id, request_context(context))

    def cancel(self, session_id: str, context: RequestContext | None = None) -> Cancelled:
        """Cancel a paused session.

        Raises:
            SessionFinished, SessionNotFound, InvalidInput, Conflict.
        """
        return self.registry.cancel(session_id, request_context(context))

    def delete(self, session_id: str, context: RequestContext | None = None) -> bool:
        """Remove a session and its journal; whether it existed (for this request's tenant)."""
        return self.registry.delete(session_id, request_context(context))

    def resolve(self, session_id: str, context: RequestContext | None = None) -> str:
        """The id ``session_id`` names (``"last"``: the most recently updated session).

        Raises:
            InvalidInput: neither a session id nor ``"last"``.
            SessionNotFound: ``"last"`` and the store has no session of this tenant.
        """
        return self.registry.resolve(session_id, request_context(context))

    def purge(self) -> int:
        """Purge sessions older than the retention period; returns how many."""
        return self.registry.purge()


# ---------------------------------------------------------------------- catalog and packages


class CatalogService:
    """The strategies on the package search path, read-only (``engine.catalog``)."""

    def __init__(self, registry: SessionRegistry) -> None:
        self.registry = registry

    def strategies(self) -> builtins.list[StrategyInfo]:
        """Every strategy with its metadata, sorted by name (see :meth:`alc.Engine.strategies`)."""
        from alc.engine.catalog import catalogue  # not on the cold path of a CLI call

        return catalogue(self.registry.resolver, self.registry.executor)

    def describe(self, name: str) -> StrategyInfo:
        """One strategy's metadata.

        Raises:
            StrategyNotFound: no package of that name on the search path.
        """
        from alc.engine.catalog import describe

        return describe(name, self.registry.resolver, self.registry.executor)

    def shapes_types(self) -> str | None:
        """The LuaCATS classes of the result shapes the installed ``alc_shapes`` package
        defines (``alc://types/alc_shapes.d.lua``), or None without that package."""
        from alc.engine.pkg.types_gen import shapes_types

        return shapes_types(self.registry.resolver, self.registry.executor)

    def locate(self, name: str) -> Path:
        """The path of a strategy's ``init.lua`` (nothing is run): the check that it exists.

        Raises:
            StrategyNotFound: no package of that name on the search path.
        """
        return self.registry.resolver.strategy(name).path

    def source(self, name: str) -> str:
        """The Lua source (``init.lua``) of a strategy package.

        Raises:
            StrategyNotFound: no package of that name on the search path.
        """
        return self.locate(name).read_text(encoding="utf-8")

    def info(self) -> dict[str, Any]:
        """alc's version, the Lua versions, the store, ``alc_home``, the package search paths
        and the path of the Lua type definitions (``alc.d.lua``)."""
        from alc.engine.catalog import engine_info

        return engine_info(self.registry.resolver, self.registry.store.path)


class PackageService:
    """Package management over the engine's search path (``engine.pkg``)."""

    def __init__(self, registry: SessionRegistry) -> None:
        self.registry = registry

    def manager(self, cwd: str | os.PathLike[str] | None = None) -> PackageManager:
        """A blocking :class:`alc.engine.pkg.PackageManager` for the project at ``cwd`` (its
        ``alc.toml``; default: the process's folder). Sync only: async code calls :meth:`run`."""
        from alc.engine.pkg import PackageManager

        return PackageManager(self.registry.resolver, self.registry.executor, cwd)

    def run(
        self,
        action: str,
        arguments: Mapping[str, Any],
        cwd: str | os.PathLike[str] | None = None,
    ) -> dict[str, Any]:
        """One package operation by name (``alc.engine.pkg.ACTIONS``: install, list, remove,
        link, unlink, doctor, scaffold, test) with JSON arguments; the operation's reply.

        Raises:
            InvalidInput: unknown action or argument; and each action's own errors
                (``install_failed``, ``package_not_found``).
        """
        return self.manager(cwd).run(action, dict(arguments))


# ---------------------------------------------------------------------- evaluations


class EvalService:
    """Evaluations of strategies on this engine (``engine.evals``; :mod:`alc.eval`)."""

    def __init__(self, engine: EngineLike) -> None:
        self.engine = engine

    def evaluate(
        self,
        scenario: str | Scenario,
        strategies: Sequence[str],
        *,
        llm: Any,
        **options: Unpack[EvalOptions],
    ) -> dict[str, Any]:
        """Run (or continue) an evaluation (see :meth:`alc.Engine.evaluate`)."""
        from alc.eval import evaluate

        return evaluate(self.engine, scenario, strategies, llm=llm, **options)

    def step(
        self,
        scenario: str | Scenario | None,
        strategies: Sequence[str] = (),
        *,
        baseline: str | None = "direct",
        n: int | None = None,
        seed: int = 0,
        strategy_opts: Mapping[str, Mapping[str, Any]] | None = None,
        run_id: str | None = None,
    ) -> dict[str, Any]:
        """One step of a run whose queries the caller answers (:func:`alc.eval.evaluate_step`):
        the next pause to answer, or the finished record."""
        from alc.eval import evaluate_step

        return evaluate_step(
            self.engine,
            scenario,
            strategies,
            baseline=baseline,
            n=n,
            seed=seed,
            strategy_opts=strategy_opts,
            run_id=run_id,
        )

    def runs(self, limit: int = 50, strategy: str | None = None) -> builtins.list[dict[str, Any]]:
        """The eval runs, newest first, only those of ``strategy`` when given
        (:func:`alc.eval.list_runs`)."""
        from alc.eval import list_runs

        return list_runs(self.engine, limit, strategy)

    def report(self, run_id: str) -> dict[str, Any]:
        """A run's statistics (:func:`alc.eval.run_report`).

        Raises:
            InvalidInput: no such run. MissingExtra: no ``[eval]`` extra.
        """
        from alc.eval import run_report

        return run_report(self.engine, run_id)

    def compare(self, a: str, b: str | None = None) -> dict[str, Any]:
        """Compare runs or strategies (:func:`alc.eval.compare_runs`)."""
        from alc.eval import compare_runs

        return compare_runs(self.engine, a, b)

    def show(
        self, run_id: str, *, strategy: str | None = None, transcripts: bool = False
    ) -> dict[str, Any]:
        """A run's cases (:func:`alc.eval.show_run`).

        Raises:
            InvalidInput: no such run, or a strategy the run does not have.
        """
        from alc.eval import show_run

        return show_run(self.engine, run_id, strategy=strategy, transcripts=transcripts)
