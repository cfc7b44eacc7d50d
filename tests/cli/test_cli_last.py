"""``last`` wherever a session id is taken: the most recently updated session of the store.

End to end through real ``alc`` processes (each command a new process over the same store), and
at the one place it is resolved (``SessionRegistry.resolve``).
"""

from __future__ import annotations

import pytest
from cli_result import Alc

import alc
from alc.engine.errors import InvalidInput, SessionNotFound

TWO_QUESTIONS = 'return alc.llm("first") .. "+" .. alc.llm("second")'


def test_last_in_a_store_without_sessions_is_session_not_found(alc: Alc) -> None:
    for command in ("show", "status", "cancel", "delete"):
        result = alc(command, "last")
        assert result.code == 2, (command, result)
        error = result.json
        assert error["error_code"] == "session_not_found"
        assert "'last' names the most recently updated session" in error["error"]
        assert "session_id" not in error
        assert "alc: error [session_not_found]" in result.stderr


def test_continue_show_status_cancel_delete_take_last(alc: Alc) -> None:
    older = alc("run", "--code", "return alc.llm('old')").json["session_id"]
    sid = alc("run", "--code", TWO_QUESTIONS).json["session_id"]
    assert sid != older
    assert alc("status", "last").json["session_id"] == sid
    reply = alc("continue", "last", "A").json
    assert (reply["session_id"], reply["prompt"]) == (sid, "second")
    done = alc("continue", "last", "B").json
    assert (done["session_id"], done["status"], done["result"]) == (sid, "completed", "A+B")
    shown = alc("show", "last").json
    assert shown["session_id"] == sid
    assert [e["answer"] for e in shown["entries"]] == ["A", "B"]

    # the older session becomes the last one once it is updated again
    cancelled = alc("cancel", older).json
    assert cancelled["status"] == "cancelled"
    assert alc("status", "last").json["session_id"] == older
    deleted = alc("delete", "last").json
    assert deleted == {"deleted": True, "session_id": older, "status": "deleted"}
    assert alc("status", "last").json["session_id"] == sid


def test_continue_last_with_llm_drives_the_last_session(alc: Alc) -> None:
    sid = alc("run", "--code", TWO_QUESTIONS).json["session_id"]
    done = alc("continue", "last", "--llm", "cmd:cat").json
    assert (done["session_id"], done["status"]) == (sid, "completed")
    assert done["result"].startswith("first")


@pytest.mark.parametrize("given", ["LAST", "last ", " last", "latest", "s-last", ""])
def test_near_misses_of_last_are_invalid_input(alc: Alc, given: str) -> None:
    alc("run", "--code", "return alc.llm('x')")
    result = alc("show", given)
    assert result.code == 2
    assert result.json["error_code"] == "invalid_input"
    assert "'last'" in result.json["error"]


def test_the_registry_resolves_last_in_one_place() -> None:
    with alc.Engine() as engine:
        with pytest.raises(SessionNotFound):
            engine.registry.resolve("last")
        first = engine.start("return alc.llm('a')").session_id
        second = engine.start("return alc.llm('b')").session_id
        assert engine.registry.resolve("last") == second
        engine.feed(first, "answer")  # updated now: it is the last one
        assert engine.registry.resolve("last") == first
        assert engine.registry.resolve(second) == second
        with pytest.raises(InvalidInput):
            engine.registry.resolve(None)
        third = engine.start("return alc.llm('c')").session_id
        assert engine.pending("last").session_id == third  # the reply names the real id
