"""The session phase and its one transition function, driven without a Lua VM."""

from __future__ import annotations

from typing import Any, get_args

import pytest

from alc.engine.errors import (
    AlreadyAnswered,
    AmbiguousQuery,
    Conflict,
    InvalidInput,
    SessionFinished,
    UnknownQuery,
)
from alc.engine.phase import (
    Answered,
    Cancel,
    Ended,
    Paused,
    Resumed,
    Running,
    Stepped,
    prompt_hash,
    refuse_ended,
    resolve_answers,
    transition,
)
from alc.engine.protocol import (
    WIRE_STATUS,
    Cancelled,
    Completed,
    Failed,
    NeedsResponse,
    Query,
    Response,
    SessionState,
)
from alc.engine.store import AnswerEvent, CancelEvent, EndEvent, PauseEvent

SID = "s-" + "0" * 32


def pause(*ids: str) -> NeedsResponse:
    return NeedsResponse(session_id=SID, queries=tuple(Query(id=i, prompt=f"p{i}") for i in ids))


def paused(*ids: str) -> Paused:
    phase, _ = transition(Running(), Stepped(pause(*ids)), SID)
    assert isinstance(phase, Paused)
    return phase


def test_a_pause_journals_each_query_with_its_prompt_hash_and_the_step_reads() -> None:
    phase, journal = transition(Running(), Stepped(pause("q-0", "q-1"), [["time", 1.5]]), SID)
    assert isinstance(phase, Paused) and phase.state is SessionState.PAUSED
    assert [q.id for q in phase.open] == ["q-0", "q-1"] and not phase.complete
    (event,) = journal
    assert isinstance(event, PauseEvent) and event.effects == (["time", 1.5],)
    assert [q["hash"] for q in event.queries] == [prompt_hash(q) for q in phase.queries]
    assert [dict(q, hash=None) for q in event.queries] == [dict(w, hash=None) for w in phase.wires]


def test_answers_accumulate_then_resume_runs_and_a_return_ends() -> None:
    phase: Any = paused("q-0", "q-1")
    phase, journal = transition(phase, Answered({"q-1": Response(text="b")}), SID)
    assert [q.id for q in phase.open] == ["q-0"]
    assert journal == (AnswerEvent("q-1", "b", None),)
    phase, _ = transition(phase, Answered({"q-0": Response(text="a")}), SID)
    assert phase.complete
    phase, journal = transition(phase, Resumed(), SID)
    assert isinstance(phase, Running) and journal == ()
    done = Completed(session_id=SID, result={"x": 1}, stats={})
    phase, journal = transition(phase, Stepped(done), SID)
    assert phase == Ended(done) and phase.state is SessionState.COMPLETED
    assert journal == (EndEvent(done.wire(), ()),)


@pytest.mark.parametrize(
    ("outcome", "state"),
    [
        (Failed(session_id=SID, error="boom", error_code="lua_error"), SessionState.FAILED),
        (Cancelled(session_id=SID, stats={}), SessionState.CANCELLED),
    ],
)
def test_a_step_can_end_failed_or_cancelled(outcome: Any, state: SessionState) -> None:
    phase, journal = transition(Running(), Stepped(outcome), SID)
    assert phase.state is state and journal == (EndEvent(outcome.wire(), ()),)


def test_a_driver_cancel_ends_a_paused_session_with_a_cancel_event() -> None:
    outcome = Cancelled(session_id=SID, stats={})
    phase, journal = transition(paused("q-3"), Cancel(outcome), SID)
    assert phase == Ended(outcome) and journal == (CancelEvent(outcome.wire()),)


@pytest.mark.parametrize(
    "event",
    [
        Answered({"q-0": Response(text="x")}),
        Resumed(),
        Cancel(Cancelled(session_id=SID, stats={})),
        Stepped(pause("q-9")),
    ],
)
def test_an_ended_session_refuses_everything_with_session_finished(event: Any) -> None:
    ended = Ended(Completed(session_id=SID, result=None, stats={}))
    with pytest.raises(SessionFinished, match="is completed"):
        transition(ended, event, SID)


def test_illegal_moves_are_coded_errors() -> None:
    with pytest.raises(Conflict, match="running a step"):
        transition(Running(), Answered({"q-0": Response(text="x")}), SID)
    with pytest.raises(InvalidInput, match="still waits for q-0"):
        transition(paused("q-0"), Resumed(), SID)
    with pytest.raises(InvalidInput, match="cannot take Stepped"):
        transition(paused("q-0"), Stepped(pause("q-1")), SID)
    with pytest.raises(InvalidInput, match="not open"):
        transition(paused("q-0"), Answered({"q-7": Response(text="x")}), SID)


def test_resolve_answers_names_the_query_or_refuses() -> None:
    phase = paused("q-4", "q-5")
    got = resolve_answers(
        phase, {"q-5": Response(text="x")}, session_id=SID, next_query=6, max_bytes=10
    )
    assert list(got) == ["q-5"]
    cases: list[tuple[Any, type[Exception]]] = [
        ({None: Response(text="x")}, AmbiguousQuery),
        ({"q-1": Response(text="x")}, AlreadyAnswered),  # an earlier pause's
        ({"q-9": Response(text="x")}, UnknownQuery),
        ({"q-4": Response(text="x" * 11)}, InvalidInput),  # over max_bytes
        ({"q-4": Response(text="\ud800")}, InvalidInput),
        ({}, InvalidInput),
    ]
    for responses, error in cases:
        with pytest.raises(error):
            resolve_answers(phase, responses, session_id=SID, next_query=6, max_bytes=10)
    with pytest.raises(SessionFinished):
        resolve_answers(
            Ended(Cancelled(session_id=SID, stats={})),
            {None: Response(text="x")},
            session_id=SID,
            next_query=6,
            max_bytes=10,
        )


def test_refuse_ended_is_the_one_check_for_stored_states_too() -> None:
    refuse_ended("paused", SID)
    refuse_ended(SessionState.RUNNING, SID)
    for state in ("completed", "failed", "cancelled"):
        with pytest.raises(SessionFinished, match=f"is {state}"):
            refuse_ended(state, SID)


def test_one_table_maps_every_state_to_its_wire_status() -> None:
    assert set(WIRE_STATUS) == set(SessionState)
    for outcome, state in (
        (NeedsResponse, SessionState.PAUSED),
        (Completed, SessionState.COMPLETED),
        (Failed, SessionState.FAILED),
        (Cancelled, SessionState.CANCELLED),
    ):
        (literal,) = get_args(outcome.model_fields["status"].annotation)
        assert WIRE_STATUS[state] == literal, outcome
