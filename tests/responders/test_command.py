"""cmd:<shell command>: real subprocesses through the shell."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from alc.engine.protocol import Query
from alc.responders import CommandResponder, ResponderError, from_spec

PY = sys.executable


def test_prompt_on_stdin_answer_on_stdout_one_newline_stripped() -> None:
    llm = from_spec("cmd:cat; printf '\\n\\n'")
    assert llm.respond(Query(id="q-0", prompt="héllo\nworld")).text == "héllo\nworld\n"
    assert llm.respond(Query(id="q-1", prompt="x")).usage is None


def test_system_max_tokens_query_id_and_options_in_env(tmp_path: Path) -> None:
    script = tmp_path / "show_env.py"
    script.write_text(
        "import json, os, sys\n"
        "print(json.dumps({k: os.environ.get(k) for k in "
        "('ALC_SYSTEM', 'ALC_MAX_TOKENS', 'ALC_QUERY_ID', 'ALC_OPTIONS')}))\n"
    )
    llm = from_spec(f"cmd:{PY} {script}")
    got = json.loads(
        llm.respond(
            Query(
                id="q-7", prompt="p", system="be brief", max_tokens=64, options={"temperature": 0}
            )
        ).text
    )
    assert got == {
        "ALC_SYSTEM": "be brief",
        "ALC_MAX_TOKENS": "64",
        "ALC_QUERY_ID": "q-7",
        "ALC_OPTIONS": '{"temperature": 0}',
    }
    got = json.loads(llm.respond(Query(id="q-8", prompt="p")).text)
    assert got["ALC_SYSTEM"] == ""  # no system prompt: empty, never a leftover value
    assert got["ALC_OPTIONS"] == "{}"


def test_shell_expansion_of_the_system_prompt_works_like_llm_dash_s() -> None:
    llm = from_spec('cmd:printf "%s|" "$ALC_SYSTEM"; cat')
    assert llm.respond(Query(id="q-0", prompt="hi", system="sys")).text == "sys|hi"


def test_non_zero_exit_names_command_code_and_stderr_tail() -> None:
    noisy = "; ".join(f"echo line{i} >&2" for i in range(300)) + "; exit 3"
    llm = CommandResponder(noisy)
    with pytest.raises(ResponderError) as info:
        llm.respond(Query(id="q-4", prompt="p"))
    message = str(info.value)
    assert "exited with code 3 on query q-4" in message
    assert "line299" in message and "line0\n" not in message  # the tail, not the whole log
    assert len(message) < 3000 + len(noisy)
    assert info.value.query_id == "q-4"
    assert info.value.__cause__ is not None


def test_missing_program_hints_at_path() -> None:
    with pytest.raises(ResponderError, match=r"exited with code 127.*on PATH"):
        CommandResponder("alc-no-such-program-xyz").respond(Query(id="q-0", prompt="p"))


def test_killed_by_signal_and_timeout() -> None:
    with pytest.raises(ResponderError, match="killed by signal SIGKILL"):
        CommandResponder("kill -9 $$").respond(Query(id="q-0", prompt="p"))
    with pytest.raises(ResponderError, match=r"longer than 0.3 s on query q-1"):
        CommandResponder("sleep 5", timeout=0.3).respond(Query(id="q-1", prompt="p"))


def test_non_utf8_output_is_a_clear_error() -> None:
    with pytest.raises(ResponderError, match="not UTF-8"):
        CommandResponder("printf '\\377\\376'").respond(Query(id="q-0", prompt="p"))


def test_a_batch_runs_each_query_and_keeps_the_order() -> None:
    llm = CommandResponder('printf "%s:" "$ALC_QUERY_ID"; cat')
    out = llm.respond_many([Query(id=f"q-{i}", prompt=str(i)) for i in range(3)])
    assert [r.text for r in out] == ["q-0:0", "q-1:1", "q-2:2"]
