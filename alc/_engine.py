"""The blocking Python API, :class:`Engine`: simple entry points over the services.

:class:`Engine` keeps the everyday calls (``start``, ``feed``, ``drive``, ``status``, ...) and
delegates each to one service of :mod:`alc._services` (``engine.session_service``,
``engine.catalog``, ``engine.pkg``, ``engine.evals``, ``engine.cards``). Its async twin is
:class:`alc._api.AsyncEngine`, generated from it (``alc/_generated_async.py``).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self, TypeAlias, Unpack

from alc._services import (
    LLM,
    AnswerArg,
    CatalogService,
    EvalService,
    PackageService,
    ProgressFn,
    ResponsesArg,
    SessionService,
    Terminal,
)
from alc.engine.cards import Cards
from alc.engine.clock import Clock
from alc.engine.executor import Executor, make_executor
from alc.engine.packages import PackageResolver, alc_home
from alc.engine.protocol import (
    Cancelled,
    Limits,
    NeedsResponse,
    Outcome,
    SessionSnapshot,
    Usage,
)
from alc.engine.registry import (
    DEFAULT_IDLE_TTL,
    DEFAULT_RETENTION,
    SessionRegistry,
    Transcript,
)
from alc.engine.store import StateQuota, Store, open_store

if TYPE_CHECKING:
    from alc.engine.catalog import StrategyInfo
    from alc.engine.pkg import PackageManager
    from alc.eval import EvalOptions, Scenario

__all__ = ["Engine", "ExecutorArg", "StoreArg", "default_store_path"]

StoreArg: TypeAlias = Store | str | os.PathLike[str] | None
ExecutorArg: TypeAlias = Executor | str | None

_STATUS_LIST_DEPRECATED = (
    "status() without a session id is deprecated (it returns a list where status(id) returns "
    "one snapshot): call active() for the active sessions."
)


def default_store_path() -> str:
    """Where a durable store lives unless told otherwise: ``$ALC_STORE`` (a SQLite path or a
    ``postgresql://`` URL), else ``$ALC_HOME/sessions.db`` (``~/.alc/sessions.db``). The CLI and
    ``alc mcp`` use it."""
    return os.environ.get("ALC_STORE") or str(alc_home() / "sessions.db")


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
        """Every session of this engine: hot sessions, the store, the executor."""
        self.session_service = SessionService(self.registry)
        """Sessions (:class:`alc._services.SessionService`), each call with an optional
        explicit :class:`~alc.engine.context.RequestContext`."""
        self.catalog = CatalogService(self.registry)
        """The strategies on the search path (:class:`alc._services.CatalogService`)."""
        self.pkg = PackageService(self.registry)
        """Package management (:class:`alc._services.PackageService`)."""
        self.evals = EvalService(self)
        """Evaluations on this engine (:class:`alc._services.EvalService`)."""

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
        ``card_too_large``, ``invalid_input``. Served for the request's tenant at each call."""
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
        return self.session_service.start(
            code, strategy=strategy, ctx=ctx, task=task, limits=limits, on_progress=on_progress
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
        return self.session_service.feed(
            session_id,
            response,
            query_id=query_id,
            responses=responses,
            usage=usage,
            on_progress=on_progress,
        )

    def status(self, session_id: str | None = None) -> SessionSnapshot | list[SessionSnapshot]:
        """One session's snapshot (``"last"``: the most recently updated session).

        ``status()`` without an id is deprecated (``DeprecationWarning``): it returns the list
        :meth:`active` returns.

        Raises:
            InvalidInput, SessionNotFound.
        """
        if session_id is None:
            warnings.warn(_STATUS_LIST_DEPRECATED, DeprecationWarning, stacklevel=2)
            return self.session_service.active()
        return self.session_service.status(session_id)

    def active(self) -> list[SessionSnapshot]:
        """The active (paused or running) sessions, most recently updated first."""
        return self.session_service.active()

    def sessions(
        self, states: Iterable[str] | None = None, limit: int = 100, strategy: str | None = None
    ) -> list[SessionSnapshot]:
        """Most recently updated sessions of the store, optionally filtered by state (``paused``,
        ``completed``, ...; see :class:`SessionState`) and by strategy name.

        Raises:
            InvalidInput: an unknown state name.
        """
        return self.session_service.list(states, limit, strategy)

    def transcript(self, session_id: str) -> Transcript:
        """Every prompt and answer of a session, and its summary."""
        return self.session_service.transcript(session_id)

    def cancel(self, session_id: str) -> Cancelled:
        """Cancel a paused session. Raises SessionFinished if it already ended."""
        return self.session_service.cancel(session_id)

    def delete(self, session_id: str) -> bool:
        """Remove a session and its journal; returns whether it existed."""
        return self.session_service.delete(session_id)

    def purge(self) -> int:
        """Purge sessions older than the retention period; returns how many."""
        return self.session_service.purge()

    def pending(self, session_id: str) -> NeedsResponse:
        """The queries of a paused session that still need an answer, as a reply.

        Raises:
            SessionFinished: the session has ended.
            SessionNotFound, InvalidInput.
        """
        return self.session_service.pending(session_id)

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
        return self.session_service.drive(
            code,
            strategy=strategy,
            ctx=ctx,
            task=task,
            llm=llm,
            limits=limits,
            session_id=session_id,
            on_pause=on_pause,
        )

    # ------------------------------------------------------------------ engine services

    def strategies(self) -> list[StrategyInfo]:
        """Every strategy on the package search path with its metadata, sorted by name.

        Loading a package runs its top-level code, on this engine's executor; a package that
        fails to load is listed with an ``error`` instead of metadata.
        """
        return self.catalog.strategies()

    def describe(self, name: str) -> StrategyInfo:
        """One strategy's metadata (parameters, example ctx, paper, ...), as :meth:`strategies`.

        Raises:
            StrategyNotFound: no package of that name on the search path.
        """
        return self.catalog.describe(name)

    def strategy_source(self, name: str) -> str:
        """The Lua source (``init.lua``) of a strategy package (nothing is run).

        Raises:
            StrategyNotFound: no package of that name on the search path.
        """
        return self.catalog.source(name)

    def info(self) -> dict[str, Any]:
        """alc's version, the Lua versions, this engine's store, ``alc_home``, the package search
        paths and the path of the Lua type definitions (``alc.d.lua``)."""
        return self.catalog.info()

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
        return self.evals.evaluate(scenario, strategies, llm=llm, **options)

    def packages(self, cwd: str | os.PathLike[str] | None = None) -> PackageManager:
        """Package management over this engine's search path: install, list, remove, link,
        unlink, doctor, scaffold, test (:class:`alc.engine.pkg.PackageManager`; spec files run on
        this engine's executor). ``cwd`` is the working folder whose ``alc.toml`` is the project
        (default: the process's). The same as ``engine.pkg.manager(cwd)``."""
        return self.pkg.manager(cwd)

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
        return self.pkg.run(action, arguments, cwd)
