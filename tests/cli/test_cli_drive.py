"""Auto-driving with --llm (cmd:, scripted:), continuing with --llm, and Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from cli_result import Alc

BATCH = "local r = alc.llm_batch({'x', 'y'}) return {r[1], r[2], alc.llm('z', {system = 'S'})}"


def test_cmd_responder_drives_to_the_end(alc: Alc) -> None:
    done = alc("run", "--code", BATCH, "--llm", "cmd:tr a-z A-Z")
    assert done.code == 0, done.stderr
    assert done.json["status"] == "completed"
    assert done.json["result"] == ["X", "Y", "Z"]


def test_cmd_responder_sees_system_prompt(alc: Alc) -> None:
    code = "return alc.llm('p', {system = 'the system'})"
    done = alc("run", "--code", code, "--llm", 'cmd:printf %s "$ALC_SYSTEM"')
    assert done.json["result"] == "the system"


def test_scripted_responder_with_strategy(alc: Alc, tmp_path: Path) -> None:
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({"first:": "one", "second:": "two"}), encoding="utf-8")
    done = alc("run", "echo2", "--task", "t", "--llm", f"scripted:{answers}")
    assert done.code == 0, done.stderr
    assert done.json["result"] == {"a": "one", "b": "two"}
    shown = alc("show", done.json["session_id"]).json
    assert [e["answer"] for e in shown["entries"]] == ["one", "two"]


def test_continue_with_llm_after_manual_answers(alc: Alc, tmp_path: Path) -> None:
    sid = alc("run", "--code", BATCH).json["session_id"]
    assert alc("continue", sid, "--responses", '{"q-0": "manual"}').json["status"] == "accepted"
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(["auto-y", "auto-z"]), encoding="utf-8")
    done = alc("continue", sid, "--llm", f"scripted:{answers}")
    assert done.code == 0, done.stderr
    assert done.json["result"] == ["manual", "auto-y", "auto-z"]


def test_continue_with_answer_then_llm(alc: Alc) -> None:
    code = "return {alc.llm('a'), alc.llm('b'), alc.llm('c')}"
    sid = alc("run", "--code", code).json["session_id"]
    done = alc("continue", sid, "mine", "--llm", "cmd:cat")
    assert done.json["result"] == ["mine", "b", "c"]


def test_failed_session_while_driving_exits_1(alc: Alc) -> None:
    code = "local a = alc.llm('q') error('after ' .. a)"
    result = alc("run", "--code", code, "--llm", "cmd:cat")
    assert result.code == 1
    assert result.json["error_code"] == "lua_error"
    assert "after q" in result.json["error"]


def test_ctrl_c_leaves_the_session_paused(home: Path, alc: Alc) -> None:
    code = "return {alc.llm('first'), alc.llm('second')}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALC_")}
    env["ALC_HOME"] = str(home)
    responder = 'cmd:read x; if [ "$x" = second ]; then sleep 60; fi; echo "ok $x"'
    proc = subprocess.Popen(
        [sys.executable, "-m", "alc", "run", "--code", code, "--llm", responder],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        # a CI runner may start us with SIGINT ignored (background jobs); the child must get it
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # wait for the second pause to be journaled
            listing = alc("sessions").json["sessions"]
            if listing and [q["id"] for q in listing[0]["pending"]] == ["q-1"]:
                break
            time.sleep(0.2)
        else:
            raise AssertionError("the session never reached its second pause")
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 130, stderr
    pause = json.loads(stdout)
    assert pause["status"] == "needs_response" and pause["query_id"] == "q-1"
    sid = pause["session_id"]
    assert f"alc continue {sid}" in stderr
    assert alc("status", sid).json["state"] == "paused"
    assert alc("continue", sid, "by hand").json["result"] == ["ok first", "by hand"]
