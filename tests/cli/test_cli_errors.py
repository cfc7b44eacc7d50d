"""Every exit code, and the JSON error object every error prints."""

from __future__ import annotations

from cli_result import Alc, Result

MISSING = "s-" + "0" * 32
BATCH = "return alc.llm_batch({'x?', 'y?'})"


def _error(result: Result, exit_code: int, error_code: str) -> dict[str, object]:
    assert result.code == exit_code, (result.stdout, result.stderr)
    body = result.json
    assert body["error_code"] == error_code
    assert body["status"] == "error"
    assert f"[{error_code}]" in result.stderr
    return body


def test_exit_0_on_valid_replies(alc: Alc) -> None:
    assert alc("run", "--code", "return 1").code == 0
    assert alc("run", "--code", "return alc.llm('q')").code == 0


def test_exit_1_when_the_session_fails(alc: Alc) -> None:
    body = _error(alc("run", "--code", "error('boom')"), 1, "lua_error")
    assert "boom" in str(body["error"])
    assert str(body["session_id"]).startswith("s-")
    budget = "return {alc.llm('a'), alc.llm('b')}"
    sid = alc("run", "--code", budget, "--ctx", '{"budget": {"max_llm_calls": 1}}').json[
        "session_id"
    ]
    _error(alc("continue", sid, "a"), 1, "budget_exceeded")


def test_exit_2_on_bad_requests(alc: Alc) -> None:
    _error(alc("continue", MISSING, "x"), 2, "session_not_found")
    _error(alc("status", "nope"), 2, "invalid_input")
    _error(alc("show", MISSING), 2, "session_not_found")
    _error(alc("run", "no_such_strategy"), 2, "strategy_not_found")
    _error(alc("run", "--code", "return (("), 2, "invalid_input")
    _error(alc("run"), 2, "invalid_input")
    _error(alc("run", "--code", "return 1", "--ctx", "[1]"), 2, "invalid_input")
    _error(alc("run", "--code", "return 1", "--ctx", "{bad"), 2, "invalid_input")
    _error(alc("run", "--code", "return 1", "--limit", "max_memory=-1"), 2, "invalid_input")
    _error(alc("run", "--code", "return 1", "--limit", "nonsense"), 2, "invalid_input")
    _error(alc("run", "--bogus-flag"), 2, "usage_error")
    _error(alc("frobnicate"), 2, "usage_error")
    _error(alc("sessions", "--state", "asleep"), 2, "invalid_input")


def test_exit_2_on_query_errors(alc: Alc) -> None:
    sid = alc("run", "--code", BATCH).json["session_id"]
    _error(alc("continue", sid, "x"), 2, "ambiguous_query")
    _error(alc("continue", sid, "x", "--query-id", "q-9"), 2, "unknown_query")
    assert alc("continue", sid, "x", "--query-id", "q-0").code == 0
    _error(alc("continue", sid, "x", "--query-id", "q-0"), 2, "already_answered")
    _error(alc("continue", sid), 2, "invalid_input")  # nothing to feed
    assert alc("continue", sid, "y", "--query-id", "q-1").json["status"] == "completed"
    _error(alc("continue", sid, "z"), 2, "session_finished")
    _error(alc("cancel", sid), 2, "session_finished")


def test_exit_3_when_the_responder_fails(alc: Alc) -> None:
    _error(alc("run", "--code", "return 1", "--llm", "no-such-responder"), 3, "responder_failed")
    assert alc("sessions", "--all").json["sessions"] == []  # a bad spec starts nothing
    failed = _error(
        alc("run", "--code", "return alc.llm('q')", "--llm", "cmd:exit 7"), 3, "responder_failed"
    )
    sid = str(failed["session_id"])
    assert alc("status", sid).json["state"] == "paused"  # left paused, answerable
    assert alc("continue", sid, "fine").json["result"] == "fine"


def test_traceback_env_reraises(alc: Alc) -> None:
    result = alc("status", MISSING, env={"ALC_TRACEBACK": "1"})
    assert result.code == 1
    assert "Traceback" in result.stderr and "SessionNotFound" in result.stderr
