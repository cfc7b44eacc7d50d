"""SessionRegistry: the engine's one entry point for start / feed / status / cancel.

The registry keeps *hot* sessions (a live VM paused at its current pause) in memory and the
truth in the :class:`~alc.engine.store.Store`. Every operation follows the same path:

1. validate the request (session id shape, answers) — request errors change nothing;
2. take the session's lock (one step at a time per session; other sessions run in parallel);
3. find the session hot, or restore it from the journal by replay (a new process, an evicted
   session, or a hot copy that another process has advanced since);
4. let the session do the work, which returns the outcome and the events to journal;
5. commit the events (write-ahead: before the caller sees the outcome). If another writer got
   there first the commit raises ``Conflict`` and the hot copy is dropped.

Every call is served for the request's tenant (:func:`alc.engine.tenancy.current_tenant`): a
new session belongs to it, and another tenant's session is ``session_not_found`` to it.

Idle hot sessions are evicted after ``idle_ttl`` seconds (they restore on the next touch);
terminal and abandoned sessions are purged from the store after ``retention`` seconds.
"""

from __future__ import annotations

import functools
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, TypeVar

from alc.engine._validate import is_session_id
from alc.engine.clock import Clock, SystemClock
from alc.engine.context import RequestContext
from alc.engine.errors import (
    ExecutorUnavailable,
    InvalidInput,
    SessionError,
    SessionNotFound,
    StoreUnavailable,
)
from alc.engine.executor import Executor, InlineExecutor, StepControl, VMLost, holding
from alc.engine.packages import PackageResolver
from alc.engine.phase import Cancel, Ended, Paused, refuse_ended, transition
from alc.engine.protocol import (
    TERMINAL_STATES,
    Accepted,
    Cancelled,
    Completed,
    Failed,
    LimitMaxima,
    Limits,
    NeedsResponse,
    Outcome,
    Query,
    Response,
    SessionSnapshot,
    SessionState,
)
from alc.engine.session import Session, journaled_response, new_identity
from alc.engine.store import (
    AnswerEvent,
    JournalEntry,
    JournalEvent,
    PauseEvent,
    SessionRecord,
    Store,
    Summary,
)
from alc.engine.tenancy import check_scope_name
from alc.engine.tracing import SessionTracer, tracer

__all__ = [
    "LAST_SESSION",
    "RegistryStatistics",
    "SessionRegistry",
    "Transcript",
    "validate_session_id",
]


LAST_SESSION = "last"
"""The session id that names the most recently updated session of the store (the request
tenant's own), wherever a session id is taken: ``alc show last``, ``alc continue last ...``."""

DEFAULT_IDLE_TTL = 600.0
"""Seconds a hot session may sit idle in memory before it is evicted (still restorable)."""
DEFAULT_RETENTION = 7 * 24 * 3600.0
"""Seconds after their last update that ended or abandoned sessions are purged."""
TRIM_INTERVAL = 1.0
"""Seconds between two returns of freed C heap to the OS (see ``_release_memory``)."""
PURGE_INTERVAL = 3600.0
"""A long-lived registry purges expired sessions at most this often (on its next call)."""
VM_RETRIES = 3
"""Times a request is retried when the VM it needs was lost with its worker process."""


def validate_session_id(session_id: object) -> str:
    """Return the id if it has the ``s-<32 hex>`` shape.

    Raises:
        InvalidInput: anything else (checked before any lookup).
    """
    if not is_session_id(session_id):
        raise InvalidInput(
            f"{session_id!r} is not a session id (expected 's-' followed by 32 hex digits, "
            f"as returned when the session started, or {LAST_SESSION!r} for the most recently "
            "updated one)."
        )
    return session_id


@dataclass(frozen=True)
class RegistryStatistics:
    """A snapshot of the registry: sessions hot in memory, by state, and evictions so far."""

    hot: int
    hot_paused: int
    evicted: int
    restored: int


@dataclass(frozen=True)
class Transcript:
    """A session's full history from the journal: every prompt and answer, and the outcome.

    ``entries`` is a list of ``{"query": <query wire>, "answer": str | None, "usage": ...}``
    in issue order.
    """

    summary: SessionSnapshot
    code: str | None
    ctx: Any
    entries: tuple[dict[str, Any], ...]


class SessionRegistry:
    """Starts, feeds, inspects and cancels sessions; keeps hot ones, journals everything.

    Args:
        store: the journal.
        resolver: where strategies are found.
        limits: default sandbox limits for new sessions (lowered to ``maxima``).
        clock: time source (inject a fake one in tests).
        idle_ttl: seconds before an idle hot session is evicted from memory.
        retention: seconds before ended or abandoned sessions are purged from the store.
        maxima: the largest limits a request may ask for (default:
            :meth:`LimitMaxima.from_env`, i.e. ``ALC_LIMIT_*`` or the documented defaults).
        executor: where session VMs run (default: an :class:`InlineExecutor`); see
            ``alc.engine.executor``. A VM lost with its worker is rebuilt by replay and the
            request retried (up to :data:`VM_RETRIES` times).

    Thread-safe: calls on different sessions run in parallel; calls on one session serialise.
    """

    def __init__(
        self,
        store: Store,
        *,
        resolver: PackageResolver | None = None,
        limits: Limits | None = None,
        clock: Clock | None = None,
        idle_ttl: float = DEFAULT_IDLE_TTL,
        retention: float = DEFAULT_RETENTION,
        executor: Executor | None = None,
        maxima: LimitMaxima | None = None,
    ) -> None:
        self.executor: Executor = executor or InlineExecutor()
        self.maxima = maxima or LimitMaxima.from_env()
        self.store = store
        self.resolver = resolver or PackageResolver()
        self.limits = self.maxima.clamp(limits or Limits.model_construct())
        self.clock: Clock = clock or SystemClock()
        self.idle_ttl = idle_ttl
        self.retention = retention
        self._deps: dict[str, Any] = {
            "store": store,
            "resolver": self.resolver,
            "clock": self.clock,
            "executor": self.executor,
        }
        self._hot: dict[str, Session] = {}
        self._locks = _SessionLocks()
        self._guard = threading.Lock()
        self._evicted = 0
        self._restored = 0
        self._last_sweep = self.clock.monotonic()
        self._last_purge = self.clock.monotonic()
        self._last_trim = 0.0
        self._limits_dump: tuple[Limits, dict[str, Any]] | None = None
        # the inline executor leases nothing: its requests skip making a hold (issue 28)
        self._holding: Callable[[], AbstractContextManager[object]] = (
            _no_hold if type(self.executor) is InlineExecutor else holding
        )

    # ------------------------------------------------------------------ operations

    def start(
        self,
        *,
        code: str | None = None,
        strategy: str | None = None,
        ctx: Any = None,
        limits: Limits | Mapping[str, Any] | None = None,
        control: StepControl | None = None,
        context: RequestContext | None = None,
    ) -> Outcome:
        """Start a session from inline ``code`` or a ``strategy`` name; run to its first pause.

        ``context`` is the request's (:class:`~alc.engine.context.RequestContext`: the tenant
        that will own the session, the step control and deadline of its first step); without
        one, :meth:`RequestContext.current` with ``control`` (which is also used when given).

        The request was normalised by the Python API (``alc._api.start_request``: exactly one of
        code or strategy, ctx a plain JSON object, code text); the registry trusts that.

        Raises:
            InvalidInput: bad limits or limits above the server's maxima
                (:class:`LimitMaxima`), code that does not compile.
            StrategyNotFound: no such strategy package.
        """
        if ctx is None:
            ctx = {}
        context = _context(context, control)
        tenant = context.tenant  # alc.state and cards are the tenant's own (a store column)
        if ctx.get("_ns") is not None:
            check_scope_name(ctx["_ns"], "ctx._ns (alc.state namespace)")
        if strategy is not None:
            self.resolver.strategy(strategy)  # StrategyNotFound before anything is made
        resolved, dumped = self._resolve_limits(limits)
        session_id, seeds = new_identity()
        record = SessionRecord(
            session_id=session_id,
            created_at=self.clock.time(),
            strategy=strategy,
            code=code,
            ctx=ctx,
            math_seed=seeds.math_seed,
            hash_seed=seeds.hash_seed,
            limits=dumped,
            tenant=tenant,
        )
        self._sweep()
        started = time.time_ns()
        # the worker its steps ran on stays this request's until it ends
        steps = context.steps() if context.deadline is not None else nullcontext(context.control)
        with self._holding(), steps as control:
            session, outcome, events = _retrying(
                lambda: Session.create(record, control, limits=resolved, **self._deps)
            )
        # the hold ends with the step: the journal write needs no worker (issue 28)
        try:
            session.head = self.store.create(record, events, session.summary())
        except BaseException:
            session.close()
            raise
        session.last_touch = self.clock.monotonic()
        if isinstance(outcome, NeedsResponse):
            with self._guard:
                self._hot[record.session_id] = session
        else:
            session.close()  # ended in its first step: free its VM now
        if (spans := tracer()) is not None:
            spans.step(record.session_id, "start", strategy, started, outcome)
            if not isinstance(outcome, NeedsResponse):
                spans.ended(record.session_id, strategy, record.created_at, outcome)
        return outcome

    def _resolve_limits(
        self, limits: Limits | Mapping[str, Any] | None
    ) -> tuple[Limits, dict[str, Any]]:
        """A new session's limits, and the same as its record holds them (a fresh dict).

        Raises:
            InvalidInput: bad limits, or limits above the maxima.
        """
        if limits is not None:
            resolved = self.maxima.admit(_limits(self.limits, limits))
            return resolved, resolved.model_dump()
        # the defaults (clamped to the maxima when the registry was made): dumped once
        cached = self._limits_dump
        if cached is None or cached[0] is not self.limits:
            cached = self._limits_dump = (self.limits, self.limits.model_dump())
        return self.limits, dict(cached[1])

    def feed(
        self,
        session_id: str,
        responses: Mapping[str | None, Response],
        control: StepControl | None = None,
        context: RequestContext | None = None,
    ) -> Outcome:
        """Apply answers to a session's pending queries; resumes it on the last one.

        ``responses`` maps query ids to answers; the key ``None`` means "the one pending query".
        ``context`` (or ``control``) holds the step the last answer resumes and names the
        tenant the session must belong to (as for :meth:`start`).

        Raises:
            InvalidInput, SessionNotFound, SessionFinished, UnknownQuery, AlreadyAnswered,
            AmbiguousQuery, Conflict: nothing was applied.
        """
        context = _context(context, control)
        session_id = self.resolve(session_id, context)
        self._sweep()
        with self._locks.hold(session_id):
            if context.deadline is None and self._holding is _no_hold:
                fed = self._feed_step(session_id, responses, context, context.control)
            else:
                # the hold (the worker lease) covers the replay and the step, not the journal
                # write; the deadline is armed for the same span
                steps = context.steps() if context.deadline is not None else nullcontext()
                with self._holding(), steps as armed:
                    fed = self._feed_step(session_id, responses, context, armed or context.control)
            if isinstance(fed, Failed):
                return fed
            session, outcome, events, trace = fed
            self._commit(session, events)
        if trace is not None:
            spans, pause, paused_at, started = trace
            _trace_feed(spans, session, pause, paused_at, started, events, outcome)
        return outcome

    def _feed_step(
        self,
        session_id: str,
        responses: Mapping[str | None, Response],
        context: RequestContext,
        control: StepControl | None,
    ) -> Failed | tuple[Session, Outcome, Sequence[JournalEvent], _FeedTrace | None]:
        """:meth:`feed`'s step (with the session's lock held): the session, the outcome, the
        events to commit and what tracing needs (None when not tracing). A ``VMLost`` (its
        worker died or is busy: nothing was applied) replays the session elsewhere and tries
        again, up to :data:`VM_RETRIES` times."""
        for attempt in range(VM_RETRIES + 1):
            try:
                session = self._checkout(session_id, context)
                if isinstance(session, Failed):
                    return session
                trace: _FeedTrace | None = None
                if (spans := tracer()) is not None:
                    pause = ({q.id: q for q in session.pending}, dict(session.fork_children))
                    paused_at = self.store.summary(session_id).updated_at
                    trace = (spans, pause, paused_at, time.time_ns())
                try:
                    outcome, events = session.feed(responses, control)
                except BaseException:
                    self._drop(session_id)  # a lost VM or a half-applied feed must not stay hot
                    raise
                return session, outcome, events, trace
            except VMLost:
                if attempt == VM_RETRIES:
                    raise _unavailable() from None
        raise AssertionError("unreachable")

    def cancel(self, session_id: str, context: RequestContext | None = None) -> Cancelled:
        """Cancel a paused session (``context``: as for :meth:`feed`).

        Raises:
            InvalidInput, SessionNotFound, SessionFinished, Conflict.
        """
        context = _context(context)
        session_id = self.resolve(session_id, context)
        with self._locks.hold(session_id), holding():  # a restore replays on a held worker
            session = self._checkout(session_id, context)
            if isinstance(session, Failed):
                # it cannot be replayed, but it can still be cancelled: the stored pause moves
                # through the same transition a live session's would
                summary = self.store.summary(session_id)
                outcome = Cancelled(session_id=session_id, stats={})
                queries = tuple(Query.model_validate(q) for q in summary.pending)
                phase, journal = transition(
                    Paused(queries, summary.pending), Cancel(outcome), session_id
                )
                assert isinstance(phase, Ended)
                self.store.append(
                    session_id, summary.head, journal, _terminal(summary, phase, self.clock.time())
                )
                return outcome
            outcome, events = session.cancel()
            self._commit(session, events)
            return outcome

    def resolve(self, session_id: object, context: RequestContext | None = None) -> str:
        """The id of the session ``session_id`` names: itself when it has the ``s-<32 hex>``
        shape, or, for :data:`LAST_SESSION` (``"last"``), the most recently updated session of
        the store that the request tenant owns. Every method taking a session id resolves it
        here, first.

        Raises:
            InvalidInput: neither a session id nor ``"last"``.
            SessionNotFound: ``"last"`` and the store has no session.
        """
        if session_id != LAST_SESSION:
            return validate_session_id(session_id)
        latest = self.store.list(None, 1, None, _context(context).tenant)
        if not latest:
            raise SessionNotFound(
                None,
                message=f"{LAST_SESSION!r} names the most recently updated session, and this "
                "store has none yet; start one.",
            )
        return latest[0].session_id

    def status(self, session_id: str, context: RequestContext | None = None) -> SessionSnapshot:
        """One session's snapshot, read from the store (so any process's sessions show).

        Raises:
            InvalidInput, SessionNotFound.
        """
        context = _context(context)
        session_id = self.resolve(session_id, context)
        return _snapshot(_owned(self.store.summary(session_id), context))

    def sessions(
        self,
        states: Iterable[str] | None = None,
        limit: int = 100,
        strategy: str | None = None,
        context: RequestContext | None = None,
    ) -> list[SessionSnapshot]:
        """Snapshots of the most recently updated sessions (the request tenant's own only),
        optionally filtered by state and by strategy name."""
        tenant = _context(context).tenant
        return [_snapshot(s) for s in self.store.list(states, limit, strategy, tenant)]

    def transcript(self, session_id: str, context: RequestContext | None = None) -> Transcript:
        """Every prompt and answer of a session, from the journal.

        Raises:
            InvalidInput, SessionNotFound.
        """
        context = _context(context)
        session_id = self.resolve(session_id, context)
        record, events, summary = self.store.load(session_id)
        _owned(summary, context)
        entries: dict[str, dict[str, Any]] = {}
        for event in (entry.event for entry in events):
            if isinstance(event, PauseEvent):
                for q in event.queries:
                    query = {k: v for k, v in q.items() if k != "hash"}
                    entries[q["id"]] = {"query": query, "answer": None, "usage": None}
            elif isinstance(event, AnswerEvent):
                entry = entries.get(event.query_id)
                if entry is not None:
                    entry["answer"] = event.text
                    entry["usage"] = event.usage
        return Transcript(
            summary=_snapshot(summary),
            code=record.code,
            ctx=record.ctx,
            entries=tuple(entries.values()),
        )

    def delete(self, session_id: str, context: RequestContext | None = None) -> bool:
        """Remove a session and its journal entirely; returns whether it existed (another
        tenant's session does not, for ``context``)."""
        context = _context(context)
        session_id = self.resolve(session_id, context)
        with self._locks.hold(session_id):
            if context.tenant is not None:
                try:
                    _owned(self.store.summary(session_id), context)
                except SessionNotFound:
                    return False
            self._drop(session_id)
            return self.store.delete(session_id)

    # ------------------------------------------------------------------ lifecycle

    def evict_idle(self, now: float | None = None) -> int:
        """Drop hot sessions idle for longer than ``idle_ttl``; returns how many."""
        now = self.clock.monotonic() if now is None else now
        with self._guard:
            idle = [sid for sid, s in self._hot.items() if now - s.last_touch > self.idle_ttl]
        count = 0
        for sid in idle:
            with self._locks.hold(sid, blocking=False) as held:
                if not held:  # in use right now: not idle after all
                    continue
                with self._guard:
                    session = self._hot.pop(sid, None)
                if session is not None:
                    count += 1
                    session.close()
        self._evicted += count
        if count:
            self._release_memory()
        return count

    def purge(self, now: float | None = None) -> int:
        """Delete ended sessions, and paused ones untouched for ``retention`` seconds."""
        now = self.clock.time() if now is None else now
        return self.store.purge(now - self.retention, list(SessionState))

    def statistics(self) -> RegistryStatistics:
        """Snapshot of what is in memory."""
        with self._guard:
            hot = list(self._hot.values())
        return RegistryStatistics(
            hot=len(hot),
            hot_paused=sum(1 for s in hot if s.state is SessionState.PAUSED),
            evicted=self._evicted,
            restored=self._restored,
        )

    # ------------------------------------------------------------------ internals

    def _sweep(self) -> None:
        now = self.clock.monotonic()
        if now - self._last_sweep > max(1.0, self.idle_ttl / 10):
            self._last_sweep = now
            self.evict_idle(now)
        if now - self._last_purge > PURGE_INTERVAL:
            self._last_purge = now
            self.purge()

    def _release_memory(self) -> None:
        """Give the C heap freed by ended sessions back to the OS (glibc only, rate-limited).

        Each session's Lua VM allocates through malloc; after thousands of short sessions glibc
        keeps the freed arenas, and a long-lived server's RSS creeps up although nothing is live.
        """
        now = self.clock.monotonic()
        trim = _malloc_trim()
        if trim is None or now - self._last_trim < TRIM_INTERVAL:
            return
        self._last_trim = now
        trim(0)

    def _drop(self, session_id: str) -> None:
        """Forget a hot session and release its VM (call with the session's lock held)."""
        with self._guard:
            session = self._hot.pop(session_id, None)
        if session is not None:
            session.close()

    def _checkout(self, session_id: str, context: RequestContext) -> Session | Failed:
        """The live session at the journal's head: hot if current, else restored.

        The head is read from the store on every call, so a hot copy that another process (a
        replica on the same database) has advanced since is never served: it is rebuilt by
        replay at the new head.
        """
        summary = _owned(self.store.summary(session_id), context)
        if summary.state in TERMINAL_STATES:
            self._drop(session_id)
            refuse_ended(summary.state, session_id)
        session = self._hot.get(session_id)  # one dict read is atomic: no guard needed
        if session is not None and session.head == summary.head:
            return session
        record, events, summary = self.store.load(session_id)
        try:
            session = _retrying(
                lambda: Session.restore(
                    record, _upto(events, summary.head), summary.head, **self._deps
                )
            )
        except SessionError as exc:  # replay_diverged, source_changed
            return Failed(session_id=session_id, error=exc.message, error_code=exc.error_code)
        except (KeyError, TypeError, ValueError, IndexError) as exc:  # a malformed journal event
            raise StoreUnavailable(
                f"The journal of session {session_id} holds an event alc cannot read ({exc!r}); "
                "the session cannot be restored. Delete it (the store is otherwise fine).",
                session_id=session_id,
                next_step="delete_session",
            ) from None
        self._restored += 1
        session.last_touch = self.clock.monotonic()
        with self._guard:
            self._hot[session_id] = session
        return session

    def _commit(self, session: Session, events: Sequence[JournalEvent]) -> None:
        try:
            session.head = self.store.append(
                session.session_id, session.head, events, session.summary()
            )
        except BaseException:
            self._drop(session.session_id)
            raise
        session.last_touch = self.clock.monotonic()
        if isinstance(session.phase, Ended):
            self._drop(session.session_id)
            self._release_memory()


_FeedTrace = tuple[SessionTracer, tuple[dict[str, Query], dict[str, tuple[int, str]]], float, int]
"""What :func:`_trace_feed` needs from before a feed's step: the tracer, the pending queries
and fork children, when the session paused, when the step began (ns)."""


def _trace_feed(
    spans: SessionTracer,
    session: Session,
    pause: tuple[Mapping[str, Query], Mapping[str, tuple[int, str]]],
    paused_at: float,
    started: int,
    events: Sequence[JournalEvent],
    outcome: Outcome,
) -> None:
    """The spans of one feed: a ``chat`` span per answer, and the step it resumed (if any)."""
    asked, forks = pause
    pairs = [
        (asked[e.query_id], journaled_response(e)) for e in events if isinstance(e, AnswerEvent)
    ]
    spans.answered(session.session_id, pairs, paused_at, forks)
    if not isinstance(outcome, Accepted):
        spans.step(session.session_id, "feed", session.record.strategy, started, outcome)
    if isinstance(outcome, Completed | Failed | Cancelled):
        spans.ended(session.session_id, session.record.strategy, session.record.created_at, outcome)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None elsewhere (looked up on first use, not at import)."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # musl or another libc: nothing to do
        return None
    return trim


_T = TypeVar("_T")


_NO_HOLD = nullcontext()


def _no_hold() -> AbstractContextManager[object]:
    """What :func:`holding` is for an executor that leases nothing (a reusable no-op)."""
    return _NO_HOLD


def _retrying(build: Callable[[], _T]) -> _T:
    """Run ``build`` (which creates VMs), again when a VM was lost with its worker."""
    for attempt in range(VM_RETRIES + 1):
        try:
            return build()
        except VMLost:
            if attempt == VM_RETRIES:
                raise _unavailable() from None
    raise AssertionError("unreachable")


def _unavailable() -> ExecutorUnavailable:
    return ExecutorUnavailable(
        "The engine's worker processes kept dying while serving this request; nothing was "
        "applied. Try again; if it persists, check the server's memory and logs."
    )


def _upto(events: list[JournalEntry], head: int) -> list[JournalEntry]:
    return [e for e in events if e.seq <= head]


def _limits(default: Limits, given: Limits | Mapping[str, Any] | None) -> Limits:
    if given is None:
        return default
    if isinstance(given, Limits):
        return given
    if not isinstance(given, Mapping):
        raise InvalidInput(f"limits must be an object of limit names, not {type(given).__name__}.")
    try:
        return default.model_copy(
            update=dict(Limits.model_validate(dict(default.model_dump(), **given)).model_dump())
        )
    except (ValueError, TypeError) as exc:
        raise InvalidInput(f"Invalid limits: {exc}") from None


def _context(context: RequestContext | None, control: StepControl | None = None) -> RequestContext:
    """The request's context: the one given (with ``control`` when one is given too), else the
    current one (:meth:`RequestContext.current`, for callers below the Python API)."""
    if context is None:
        return RequestContext.current(control)
    return context if control is None else context.with_control(control)


def _owned(summary: Summary, context: RequestContext) -> Summary:
    """``summary`` if the request may see it (:meth:`RequestContext.check_owner`).

    Raises:
        SessionNotFound: the session belongs to another tenant (worded as for a missing one).
    """
    context.check_owner(summary.session_id, summary.tenant)
    return summary


def _snapshot(summary: Summary) -> SessionSnapshot:
    return SessionSnapshot(
        session_id=summary.session_id,
        state=summary.state,
        strategy=summary.strategy,
        created_at=summary.created_at,
        updated_at=summary.updated_at,
        pending=tuple(Query.model_validate(q) for q in summary.pending),
        answered=summary.answered,
        llm_calls=summary.llm_calls,
        progress=summary.progress,
        log=summary.log,
        outcome=summary.outcome,
    )


def _terminal(summary: Summary, phase: Ended, now: float) -> Summary:
    return Summary(
        session_id=summary.session_id,
        strategy=summary.strategy,
        created_at=summary.created_at,
        updated_at=now,
        state=phase.state.value,
        head=summary.head,
        llm_calls=summary.llm_calls,
        log=summary.log,
        outcome=phase.outcome.wire(),
    )


class _SessionLocks:
    """One lock per session id, held by whoever steps, cancels or deletes that session.

    An id's entry exists only while some thread holds or waits for its lock (a count of them
    is kept), so the table stays as small as the number of sessions in use, however many
    sessions a long-lived registry has served.
    """

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._entries: dict[str, tuple[threading.Lock, list[int]]] = {}

    def __len__(self) -> int:
        with self._guard:
            return len(self._entries)

    def hold(self, session_id: str, *, blocking: bool = True) -> _Held:
        """Hold ``session_id``'s lock for the ``with`` block; the block gets whether it was
        acquired (always True when ``blocking``)."""
        return _Held(self, session_id, blocking)

    def _leave(self, session_id: str, entry: tuple[threading.Lock, list[int]]) -> None:
        with self._guard:
            entry[1][0] -= 1
            if entry[1][0] == 0:
                del self._entries[session_id]


class _Held:
    """The ``with`` block of :meth:`_SessionLocks.hold` (a class, not a generator: it is
    entered on every request)."""

    __slots__ = ("_acquired", "_blocking", "_entry", "_locks", "_session_id")

    def __init__(self, locks: _SessionLocks, session_id: str, blocking: bool) -> None:
        self._locks = locks
        self._session_id = session_id
        self._blocking = blocking
        self._acquired = False

    def __enter__(self) -> bool:
        locks, session_id = self._locks, self._session_id
        with locks._guard:  # count this holder in (made on first use)
            entry = locks._entries.get(session_id)
            if entry is None:
                entry = locks._entries[session_id] = (threading.Lock(), [0])
            entry[1][0] += 1
        self._entry = entry
        try:
            self._acquired = entry[0].acquire(self._blocking)
        except BaseException:
            locks._leave(session_id, entry)
            raise
        return self._acquired

    def __exit__(self, *exc: object) -> None:
        if self._acquired:
            self._entry[0].release()
        self._locks._leave(self._session_id, self._entry)
