"""Bad request inputs through the real ``alc`` command: exit 2 with the JSON error object and
its exact code, never a traceback; unexpected exceptions are internal_error (exit 70); strategy
text reaches the terminal with its control characters shown, not acted on."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest


class Ran:
    def __init__(self, proc: subprocess.CompletedProcess[bytes]) -> None:
        self.code = proc.returncode
        self.raw = proc.stdout
        self.out = proc.stdout.decode("utf-8")
        self.err = proc.stderr.decode("utf-8", "replace")

    def json(self) -> dict[str, Any]:
        lines = [line for line in self.out.splitlines() if line.strip()]
        assert len(lines) == 1, self.out
        value = json.loads(lines[-1])
        assert isinstance(value, dict)
        return value


@pytest.fixture
def cli(tmp_path: Path) -> Any:
    home = tmp_path / "home"

    def run(*args: str | bytes, stdin: bytes | None = None, **env: str) -> Ran:
        environ = {k: v for k, v in os.environ.items() if not k.startswith("ALC_")}
        environ.update(ALC_HOME=str(home), **env)
        proc = subprocess.run(
            [sys.executable, "-m", "alc", *args],
            input=stdin,
            capture_output=True,
            env=environ,
            timeout=120,
        )
        return Ran(proc)

    return run


def bad(ran: Ran, code: str, exit_code: int = 2) -> dict[str, Any]:
    assert ran.code == exit_code, (ran.code, ran.out, ran.err)
    assert "Traceback" not in ran.err and "Traceback" not in ran.out, ran.err
    data = ran.json()
    assert data["error_code"] == code, data
    assert data["status"] == "error" and data["error"]
    assert f"[{code}]" in ran.err
    return data


def paused(cli: Any) -> str:
    ran = cli("run", "--code", "return alc.llm('q')")
    assert ran.code == 0, ran.err
    sid = ran.json()["session_id"]
    assert isinstance(sid, str)
    return sid


@pytest.mark.parametrize("qid", ["q-²", "q-1\n", "q-"])
def test_malformed_query_id(cli: Any, qid: str) -> None:
    sid = paused(cli)
    bad(cli("continue", sid, "a", "--query-id", qid), "invalid_input")
    bad(cli("continue", sid, "--responses", json.dumps({qid: "a"})), "invalid_input")


def test_ctx_nested_10000_deep(cli: Any, tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 10_000 + "]" * 10_000)
    data = bad(cli("run", "--code", "return 1", "--ctx", "@" + str(deep)), "invalid_input")
    assert "deep" in data["error"]
    deep.write_text('{"a":' + "[" * 300 + "]" * 300 + "}")
    data = bad(cli("run", "--code", "return 1", "--ctx", "@" + str(deep)), "invalid_input")
    assert "deeper than 200" in data["error"]


@pytest.mark.parametrize(
    "ctx", ['{"x": ' + "9" * 401 + "}", '{"budget": {"max_tokens": ' + "1" * 401 + "}}"]
)
def test_401_digit_integer_in_ctx(cli: Any, ctx: str) -> None:
    data = bad(cli("run", "--code", "return 1", "--ctx", ctx), "invalid_input")
    assert "64-bit" in data["error"]


def test_5000_digit_integer_in_ctx(cli: Any) -> None:
    bad(cli("run", "--code", "return 1", "--ctx", '{"x": ' + "9" * 5000 + "}"), "invalid_input")


def test_lone_surrogate_in_code(cli: Any) -> None:
    # an undecodable byte in argv arrives as a lone surrogate (surrogateescape)
    data = bad(cli("run", "--code", b"return '\xff'"), "invalid_input")
    assert "lone surrogate" in data["error"]


@pytest.mark.parametrize(
    "usage",
    [
        '{"prompt_tokens": -5}',
        '{"prompt_tokens": "abc"}',
        '{"response_tokens": true}',
        '{"prompt_tokens": ' + "9" * 401 + "}",
        '"lots"',
    ],
)
def test_bad_usage(cli: Any, usage: str) -> None:
    sid = paused(cli)
    bad(cli("continue", sid, "a", "--usage", usage), "invalid_input")
    batch = '{"q-0": {"text": "a", "usage": ' + usage + "}}"
    bad(cli("continue", sid, "--responses", batch), "invalid_input")


def test_session_id_with_trailing_newline(cli: Any) -> None:
    sid = paused(cli)
    for args in (("status", sid + "\n"), ("continue", sid + "\n", "a"), ("cancel", sid + "\n")):
        bad(cli(*args), "invalid_input")


@pytest.mark.parametrize(
    "value", ["max_memory=" + "9" * 5000, "max_memory=1e23", "max_step_seconds=1e400"]
)
def test_unreadable_limit_values(cli: Any, value: str) -> None:
    bad(cli("run", "--code", "return 1", "--limit", value), "invalid_input")


def test_corrupted_store_row(cli: Any, tmp_path: Path) -> None:
    sid = paused(cli)
    con = sqlite3.connect(tmp_path / "home" / "sessions.db")
    with con:
        con.execute("UPDATE sessions SET extra = '{oops' WHERE id = ?", (sid,))
    con.close()
    for args in (("status", sid), ("continue", sid, "a"), ("show", sid)):
        data = bad(cli(*args), "store_unavailable")
        assert sid in data["error"]


# ---------------------------------------------------------------- the safety net


def _boom(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("unexpected \x1b[2J")


def test_unexpected_exception_is_internal_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from alc.cli import _output, run, session_cmd

    monkeypatch.setattr(session_cmd, "open_engine", _boom)
    monkeypatch.setattr(_output.settings, "json", None)
    monkeypatch.delenv("ALC_TRACEBACK", raising=False)
    assert run(["--json", "run", "--code", "return 1"]) == 70
    out, err = capsys.readouterr()
    data = json.loads(out)
    assert data["error_code"] == "internal_error" and data["status"] == "error"
    assert "RuntimeError" in data["error"]
    assert "Traceback" not in err and "[internal_error]" in err
    assert "\x1b" not in err and "\\x1b[2J" in err
    monkeypatch.setenv("ALC_TRACEBACK", "1")
    with pytest.raises(RuntimeError):
        run(["--json", "run", "--code", "return 1"])


def test_alc_errors_keep_their_codes(cli: Any) -> None:
    bad(cli("status", "s-" + "0" * 32), "session_not_found")
    bad(cli("run", "--code", "return ("), "invalid_input")


# ---------------------------------------------------------------- terminal safety

HOSTILE = r'error("\27]0;PWNED\7\27[2J\194\155[31m\127 end", 0)'


def test_pretty_output_and_stderr_show_control_characters(cli: Any) -> None:
    ran = cli("--pretty", "run", "--code", HOSTILE)
    assert ran.code == 1
    for stream in (ran.out, ran.err):
        assert "\x1b]0" not in stream and "\x07" not in stream and "\x1b[2J" not in stream
    assert "\x9b" not in ran.out and "\x7f" not in ran.out
    assert "\\x1b]0;PWNED\\x07\\x1b[2J" in ran.out
    assert "\\x9b" in ran.out and "\\x7f" in ran.out


def test_json_output_escapes_control_characters(cli: Any) -> None:
    ran = cli("run", "--code", HOSTILE)
    assert ran.code == 1
    for raw in (b"\x1b", b"\x07", b"\xc2\x9b", b"\x7f"):
        assert raw not in ran.raw
    data = ran.json()
    assert data["error"].startswith("\x1b]0;PWNED\x07\x1b[2J\x9b[31m\x7f end")  # same value
    assert "\x1b" not in ran.err and "\\x1b]0;PWNED" in ran.err


def test_pretty_snapshot_and_transcript_escape_strategy_text(cli: Any) -> None:
    ran = cli(
        "run",
        "--code",
        r'alc.log("info", "\27[2Jlog") alc.progress(1, 2, "\27]0;T\7") return alc.llm("\27[31mQ")',
    )
    sid = ran.json()["session_id"]
    for args in (("--pretty", "status", sid), ("--pretty", "show", sid), ("--pretty", "sessions")):
        shown = cli(*args)
        assert shown.code == 0, shown.err
        assert "\x1b[2J" not in shown.out and "\x07" not in shown.out, args
        assert "\x1b[31mQ" not in shown.out, args
