"""run -> continue across processes, batches, answer sources, and the read-only views."""

from __future__ import annotations

import json
from pathlib import Path

from cli_result import Alc

TWO = "local a = alc.llm('2+2?') local b = alc.llm('3+3?', {system = 'math'}) return {a = a, b = b}"
BATCH = "local r = alc.llm_batch({'x?', 'y?', 'z?'}) return r"


def test_run_continue_across_processes_to_completion(alc: Alc) -> None:
    first = alc("run", "--code", TWO)
    assert first.code == 0, first.stderr
    pause = first.json
    assert pause["status"] == "needs_response"
    assert (pause["query_id"], pause["prompt"], pause["system"]) == ("q-0", "2+2?", None)
    sid = pause["session_id"]

    second = alc("continue", sid, "4")
    assert second.code == 0
    assert second.json["query_id"] == "q-1"
    assert second.json["system"] == "math"

    done = alc("continue", sid, "6", "--query-id", "q-1")
    assert done.code == 0
    assert done.json["status"] == "completed"
    assert done.json["result"] == {"a": "4", "b": "6"}
    assert done.json["stats"]["auto"]["llm_calls"] == 2


def test_strategy_by_name_with_task_ctx_and_show(alc: Alc, tmp_path: Path) -> None:
    ctx = tmp_path / "ctx.json"
    ctx.write_text(json.dumps({"task": "from file", "n": 3}), encoding="utf-8")
    pause = alc("run", "echo2", "--ctx", f"@{ctx}", "--task", "hello").json
    assert pause["prompt"] == "first: hello"
    assert pause["system"] == "be brief"
    sid = pause["session_id"]

    status = alc("status", sid)
    assert status.code == 0
    assert status.json["state"] == "paused"
    assert status.json["strategy"] == "echo2"
    assert status.json["progress"] == {"message": "first", "step": 1, "total": 2}

    alc("continue", sid, "A")
    alc("continue", sid, "B")
    shown = alc("show", sid).json
    assert shown["state"] == "completed"
    assert shown["ctx"] == {"task": "hello", "n": 3}
    assert [(e["query"]["prompt"], e["answer"]) for e in shown["entries"]] == [
        ("first: hello", "A"),
        ("second: A", "B"),
    ]
    assert shown["outcome"]["result"] == {"a": "A", "b": "B"}


def test_lua_file_target(alc: Alc, tmp_path: Path) -> None:
    script = tmp_path / "s.lua"
    script.write_text("return {got = alc.llm(ctx.task)}", encoding="utf-8")
    pause = alc("run", str(script), "--task", "q").json
    assert pause["prompt"] == "q"
    assert alc("continue", pause["session_id"], "ok").json["result"] == {"got": "ok"}


def test_batch_pause_partial_and_complete(alc: Alc) -> None:
    pause = alc("run", "--code", BATCH).json
    assert [q["id"] for q in pause["queries"]] == ["q-0", "q-1", "q-2"]
    sid = pause["session_id"]

    partial = alc("continue", sid, "--responses", '{"q-0": "X", "q-2": {"text": "Z"}}')
    assert partial.code == 0
    assert partial.json == {"remaining": 1, "session_id": sid, "status": "accepted"}
    assert alc("status", sid).json["answered"] == ["q-0", "q-2"]

    done = alc("continue", sid, "Y", "--query-id", "q-1")
    assert done.json["result"] == ["X", "Y", "Z"]


def test_answer_from_stdin_file_and_usage(alc: Alc, tmp_path: Path) -> None:
    code = "return {alc.llm('a'), alc.llm('b'), alc.llm('c')}"
    sid = alc("run", "--code", code).json["session_id"]
    assert alc("continue", sid, "-", input="line one\nline two\n").code == 0
    answer = tmp_path / "answer.txt"
    answer.write_text("from a file", encoding="utf-8")
    assert alc("continue", sid, "--file", str(answer)).code == 0
    done = alc("continue", sid, "c!", "--usage", '{"prompt_tokens": 7, "response_tokens": 3}')
    assert done.json["result"] == ["line one\nline two\n", "from a file", "c!"]
    entries = alc("show", sid).json["entries"]
    assert entries[2]["usage"] == {"prompt_tokens": 7, "response_tokens": 3}


def test_status_sessions_cancel(alc: Alc) -> None:
    paused = alc("run", "--code", TWO).json["session_id"]
    doomed = alc("run", "--code", TWO).json["session_id"]
    failed = alc("run", "--code", "error('x')").json["session_id"]

    cancelled = alc("cancel", doomed)
    assert cancelled.code == 0
    assert cancelled.json["status"] == "cancelled"

    active = {s["session_id"] for s in alc("sessions").json["sessions"]}
    assert active == {paused}
    assert {s["session_id"] for s in alc("status").json["sessions"]} == {paused}
    everything = {s["session_id"]: s["state"] for s in alc("sessions", "--all").json["sessions"]}
    assert everything == {paused: "paused", doomed: "cancelled", failed: "failed"}
    only = alc("sessions", "--state", "failed", "--state", "cancelled").json["sessions"]
    assert {s["session_id"] for s in only} == {doomed, failed}
    assert len(alc("sessions", "--all", "-n", "1").json["sessions"]) == 1
    assert alc("sessions", "--all", "--strategy", "thinking").json["sessions"] == []
    assert alc("status", failed).json["outcome"]["error_code"] == "lua_error"


def test_delete_removes_the_session_and_its_transcript(alc: Alc) -> None:
    sid = alc("run", "--code", TWO).json["session_id"]
    deleted = alc("delete", sid)
    assert deleted.code == 0 and deleted.json == {
        "deleted": True, "session_id": sid, "status": "deleted"}
    assert alc("show", sid).json["error_code"] == "session_not_found"
    again = alc("delete", sid)
    assert again.code == 2 and again.json["error_code"] == "session_not_found"


def test_store_option_and_env(alc: Alc, tmp_path: Path) -> None:
    store = tmp_path / "elsewhere.db"
    sid = alc("--store", str(store), "run", "--code", TWO).json["session_id"]
    assert alc("status", sid).code == 2  # not in the default store
    assert alc("status", sid, env={"ALC_STORE": str(store)}).json["state"] == "paused"
    assert alc("--store", str(store), "info").json["store"] == str(store)


def test_pretty_output(alc: Alc) -> None:
    sid = alc("run", "--code", TWO).json["session_id"]
    pretty = alc("--pretty", "status", sid)
    assert pretty.code == 0
    assert sid in pretty.stdout and "2+2?" in pretty.stdout
    listing = alc("sessions", "--pretty")
    assert sid in listing.stdout and "paused" in listing.stdout
    reply = alc("continue", sid, "4", "--pretty")
    assert "3+3?" in reply.stdout and f"alc continue {sid}" in reply.stdout
    assert not reply.stdout.lstrip().startswith("{")
