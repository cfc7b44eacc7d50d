"""A session's phase and the one function that changes it.

A session is always in exactly one phase::

    Paused(queries, answers) --Answered--> Paused(queries, more answers)
    Paused (every query answered) --Resumed--> Running
    Running --Stepped(needs_response)--> Paused      (alc.llm / alc.llm_batch)
    Running --Stepped(completed | error)--> Ended    (return, error, limit, budget)
    Paused | Running --Cancel--> Ended(cancelled)

:func:`transition` is the only code that moves a session from one phase to another, the way a
temporalio workflow instance takes an activation and returns a completion: it takes the current
phase and what happened, and returns the next phase with the journal events that record it. It
is pure (no store, no VM, no clock), so replay runs the very same function over the journal that
the live session ran while writing it, and the tests can drive it without a Lua VM.

Every layer asks the phase rather than re-deriving it: ``phase.state`` is the state name,
:data:`~alc.engine.protocol.WIRE_STATUS` the one table from state names to the ``status`` of
the wire replies, :func:`refuse_ended` the one check that a session can still move, and an
illegal move raises a coded request error naming the phase (``session_finished`` for an ended
session, ``conflict`` for a session in the middle of a step).

``Running`` exists only inside the process stepping the session (while it holds the session's
lock): the journal records pauses and ends, never a step in flight, so a session read from the
store is ``paused`` or ended. :data:`alc.engine.protocol.SessionState.RUNNING` is therefore never
reported by ``status()`` or listings; it names the in-memory phase only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, TypeAlias

from alc.engine._validate import is_query_id
from alc.engine.errors import (
    AlreadyAnswered,
    AmbiguousQuery,
    Conflict,
    InvalidInput,
    SessionFinished,
    UnknownQuery,
)
from alc.engine.protocol import (
    TERMINAL_STATES,
    WIRE_STATUS,
    Cancelled,
    Completed,
    Failed,
    NeedsResponse,
    Query,
    Response,
    SessionState,
)
from alc.engine.store import AnswerEvent, CancelEvent, EndEvent, JournalEvent, PauseEvent

__all__ = [
    "WIRE_STATUS",
    "Answered",
    "Cancel",
    "Ended",
    "Paused",
    "Phase",
    "PhaseEvent",
    "Resumed",
    "Running",
    "Stepped",
    "Terminal",
    "prompt_hash",
    "refuse_ended",
    "resolve_answers",
    "transition",
]

Terminal: TypeAlias = Completed | Failed | Cancelled
"""An outcome a session never leaves."""

_EMPTY: Mapping[str, Response] = MappingProxyType({})
_NO_FORKS: Mapping[str, tuple[int, str]] = MappingProxyType({})


def prompt_hash(query: Any) -> str:
    """The hash replay compares: sha256 over system prompt and prompt (hex, 32 chars).

    ``query`` is anything with ``prompt`` and ``system`` (a :class:`Query` or the VM's spec).
    """
    text = (query.system or "") + "\x00" + query.prompt
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


# ---------------------------------------------------------------------------------- phases


@dataclass(frozen=True, slots=True)
class Paused:
    """Waiting for the driver: the pause's queries and the answers given so far.

    Invariants: every key of ``answers`` is the id of one of ``queries``; ``wires`` are the
    queries' wire objects, in the same order (what status replies and the journal show).
    """

    queries: tuple[Query, ...]
    wires: tuple[dict[str, Any], ...]
    answers: Mapping[str, Response] = field(default_factory=lambda: _EMPTY)

    @property
    def state(self) -> SessionState:
        return SessionState.PAUSED

    @property
    def open(self) -> tuple[Query, ...]:
        """The queries still without an answer, in issue order."""
        return tuple(q for q in self.queries if q.id not in self.answers)

    @property
    def complete(self) -> bool:
        """Every query has its answer: the next move is :class:`Resumed`."""
        return len(self.answers) == len(self.queries)


@dataclass(frozen=True, slots=True)
class Running:
    """A step is in flight (in memory only; the journal never records it)."""

    @property
    def state(self) -> SessionState:
        return SessionState.RUNNING


@dataclass(frozen=True, slots=True)
class Ended:
    """The session is over: its terminal outcome."""

    outcome: Terminal

    @property
    def state(self) -> SessionState:
        if isinstance(self.outcome, Completed):
            return SessionState.COMPLETED
        if isinstance(self.outcome, Failed):
            return SessionState.FAILED
        return SessionState.CANCELLED


Phase: TypeAlias = Paused | Running | Ended

_new = object.__new__
_slots: dict[str, Any] = dict(vars(Paused))  # its slot descriptors, by field name
_set_queries, _set_wires, _set_answers = (
    _slots[name].__set__ for name in ("queries", "wires", "answers")
)


def _paused(
    queries: tuple[Query, ...], wires: tuple[dict[str, Any], ...], answers: Mapping[str, Response]
) -> Paused:
    """``Paused(queries, wires, answers)``, its slots filled directly: the frozen dataclass's
    ``__init__`` goes through ``object.__setattr__`` per field, and two pauses are made per
    round trip (the same object, equal to the constructor's)."""
    phase: Paused = _new(Paused)
    _set_queries(phase, queries)
    _set_wires(phase, wires)
    _set_answers(phase, answers)
    return phase


"""Exactly one of :class:`Paused`, :class:`Running`, :class:`Ended`."""


# ---------------------------------------------------------------------------------- events


@dataclass(frozen=True, slots=True)
class Answered:
    """The driver answered some open queries (ids already resolved by :func:`resolve_answers`)."""

    answers: Mapping[str, Response]


@dataclass(frozen=True, slots=True)
class Resumed:
    """The last answer arrived: the strategy runs again."""


@dataclass(frozen=True, slots=True)
class Stepped:
    """A step ended: the strategy paused (``NeedsResponse``) or finished (a terminal outcome).

    ``effects`` are the outside reads the step made (journaled with the pause or end).
    """

    outcome: NeedsResponse | Terminal
    effects: Sequence[Any] = ()
    forks: Mapping[str, tuple[int, str]] = field(default_factory=lambda: _NO_FORKS)
    at: float | None = None
    """When the step ended (epoch seconds): journaled with a pause's queries as ``"at"``, what
    the inspector's timeline shows (None: not recorded)."""
    """For queries an ``alc.fork`` child asked: query id -> (child index, strategy); journaled
    with the pause as ``"fork": {"child", "strategy"}`` beside ``"hash"``."""


@dataclass(frozen=True, slots=True)
class Cancel:
    """The driver cancelled the session (or a cancelled step stopped it)."""

    outcome: Cancelled


PhaseEvent: TypeAlias = Answered | Resumed | Stepped | Cancel
"""What can happen to a session."""


def transition(
    phase: Phase, event: PhaseEvent, session_id: str
) -> tuple[Phase, tuple[JournalEvent, ...]]:
    """The next phase after ``event``, and the journal events that record the move.

    Pure: the same phase and event always give the same result, live or in replay.

    Raises:
        SessionFinished: the session has ended; it takes nothing more.
        Conflict: an answer for a session whose step is in flight.
        InvalidInput: a move the engine itself must never ask for (answering a query that is not
            open, resuming an incomplete pause, stepping a session that is not running).
    """
    move = _MOVES.get((type(phase), type(event)))  # one lookup: this runs three times a feed
    if move is not None:
        return move(phase, event, session_id)
    refuse_ended(phase.state, session_id)
    if isinstance(phase, Running) and isinstance(event, Answered):
        raise Conflict(
            f"Session {session_id} is running a step; try again when it pauses.",
            session_id=session_id,
        )
    raise InvalidInput(
        f"Session {session_id} is {phase.state.value}; it cannot take {type(event).__name__}.",
        session_id=session_id,
    )


def _answered(phase: Any, event: Any, session_id: str) -> tuple[Phase, tuple[JournalEvent, ...]]:
    """Paused --Answered--> Paused with more answers (each journaled)."""
    answers: Mapping[str, Response] = event.answers
    given, queries = phase.answers, phase.queries
    journal = []
    for qid, response in answers.items():
        for query in queries:
            if query.id == qid:
                break
        else:
            query = None
        if query is None or qid in given:
            raise InvalidInput(
                f"Query {qid} of session {session_id} is not open.", session_id=session_id
            )
        usage = response.usage
        journal.append(AnswerEvent(qid, response.text, usage.wire() if usage else None))
    merged = MappingProxyType({**given, **answers})
    return _paused(queries, phase.wires, merged), tuple(journal)


def _resumed(phase: Any, event: Any, session_id: str) -> tuple[Phase, tuple[JournalEvent, ...]]:
    """Paused (complete) --Resumed--> Running."""
    if not phase.complete:
        raise InvalidInput(
            f"Session {session_id} still waits for {', '.join(q.id for q in phase.open)}.",
            session_id=session_id,
        )
    return _RUNNING, ()


def _stepped(phase: Any, event: Any, session_id: str) -> tuple[Phase, tuple[JournalEvent, ...]]:
    """Running --Stepped--> Paused (a pause: its queries journaled with their hashes) or Ended."""
    outcome, effects = event.outcome, tuple(event.effects)
    if type(outcome) is not NeedsResponse:
        return Ended(outcome), (EndEvent(outcome.wire(), effects),)
    queries, at, forks = outcome.queries, event.at, event.forks
    wires, hashed = [], []
    for query in queries:
        wire = query.wire()
        wires.append(wire)
        entry = dict(wire, hash=prompt_hash(query))
        if at is not None:
            entry["at"] = at
        if forks and (fork := forks.get(query.id)) is not None:
            entry["fork"] = {"child": fork[0], "strategy": fork[1]}
        hashed.append(entry)
    return _paused(queries, tuple(wires), _EMPTY), (PauseEvent(tuple(hashed), effects),)


def _cancel(phase: Any, event: Any, session_id: str) -> tuple[Phase, tuple[JournalEvent, ...]]:
    """Paused | Running --Cancel--> Ended(cancelled)."""
    return Ended(event.outcome), (CancelEvent(event.outcome.wire()),)


_RUNNING = Running()

_MOVES: dict[tuple[type, type], Callable[[Any, Any, str], tuple[Phase, tuple[JournalEvent, ...]]]]
_MOVES = {
    (Paused, Answered): _answered,
    (Paused, Resumed): _resumed,
    (Running, Stepped): _stepped,
    (Paused, Cancel): _cancel,
    (Running, Cancel): _cancel,
}
"""The legal moves, by (phase class, event class); anything else is refused by
:func:`transition`."""


def refuse_ended(state: SessionState | str, session_id: str) -> None:
    """The one check of whether a session can still move: every layer calls it with the state
    it holds (a live phase's, or a stored summary's).

    Raises:
        SessionFinished: ``state`` is terminal (completed, failed, cancelled).
    """
    if state in TERMINAL_STATES:
        raise SessionFinished(
            f"Session {session_id} is {SessionState(state).value}; it accepts nothing more.",
            session_id=session_id,
        )


# ---------------------------------------------------------------------------------- answers


def resolve_answers(
    phase: Phase,
    responses: Mapping[str | None, Response],
    *,
    session_id: str,
    next_query: int,
    max_bytes: int,
) -> dict[str, Response]:
    """Resolve a driver's answers against the phase: each key a query id (``None``: the one open
    query), each text a string of at most ``max_bytes`` UTF-8 bytes.

    Nothing changes: the result goes to :func:`transition` as :class:`Answered`.

    Raises:
        SessionFinished: the session is not paused (ended: nothing to answer).
        Conflict: a step is in flight.
        InvalidInput: no answer, a non-string or oversized or non-UTF-8 answer.
        AmbiguousQuery: no id given while several queries are open.
        AlreadyAnswered: an id answered before (in this pause or an earlier one).
        UnknownQuery: an id this session never issued.
    """
    if type(phase) is not Paused:
        refuse_ended(phase.state, session_id)
        raise Conflict(
            f"Session {session_id} is running a step; answer when it pauses.",
            session_id=session_id,
        )
    if not responses:
        raise InvalidInput(
            "No answer given: pass a response or a map of query ids to answers.",
            session_id=session_id,
        )
    queries, given = phase.queries, phase.answers
    resolved: dict[str, Response] = {}
    for qid, response in responses.items():
        if qid is None:
            open_ids = [q.id for q in queries if q.id not in given]
            if len(open_ids) != 1:
                raise AmbiguousQuery(
                    f"{len(open_ids)} queries are pending ({', '.join(open_ids)}); "
                    "name the one you answer with query_id.",
                    session_id=session_id,
                )
            qid = open_ids[0]
        elif not any(q.id == qid for q in queries):
            open_now = ", ".join(q.id for q in phase.open) or "none"
            if _issued_before(qid, next_query):
                raise AlreadyAnswered(
                    f"Query {qid} of session {session_id} was answered already; "
                    f"pending now: {open_now}.",
                    session_id=session_id,
                )
            raise UnknownQuery(
                f"Session {session_id} has no query {qid!r}; pending: {open_now}.",
                session_id=session_id,
            )
        if qid in given or qid in resolved:
            raise AlreadyAnswered(
                f"Query {qid} of session {session_id} already has an answer; "
                "answers are never applied twice.",
                session_id=session_id,
            )
        resolved[qid] = _checked(response, qid, session_id, max_bytes)
    return resolved


def _checked(response: Response, qid: str, session_id: str, max_bytes: int) -> Response:
    if not isinstance(response.text, str):
        raise InvalidInput(f"The answer to {qid} must be a string.", session_id=session_id)
    try:
        size = len(response.text.encode("utf-8"))
    except UnicodeEncodeError:
        raise InvalidInput(
            f"The answer to {qid} is not valid Unicode (it holds a lone surrogate); "
            "send UTF-8 text.",
            session_id=session_id,
        ) from None
    if size > max_bytes:
        raise InvalidInput(
            f"The answer to {qid} is {size:,} bytes, more than the session's "
            f"max_output_bytes ({max_bytes:,}); send a shorter one.",
            session_id=session_id,
        )
    return response


def _issued_before(qid: str, next_query: int) -> bool:
    return is_query_id(qid) and int(qid[2:]) < next_query
