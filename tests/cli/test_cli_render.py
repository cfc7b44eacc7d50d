"""The terminal rendering of replies: nothing cropped at any width; the answer as wrapped text,
the other fields as a table; and shell completion (typer's own, plus session ids)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cli_result import Alc
from rich.console import Console

from alc.cli._render import renderable

TOKEN = "https://example.org/" + "x" * 97  # longer than any width below: must fold, not crop
ANSWER = "The sky is blue because air scatters short wavelengths more. " * 3 + TOKEN + " end."


def _printed(kind: str, reply: dict[str, Any], width: int) -> list[str]:
    out = io.StringIO()
    console = Console(file=out, width=width, color_system=None, force_terminal=False)
    console.print(renderable(kind, reply))
    return out.getvalue().splitlines()


def _unfolded(lines: list[str]) -> str:
    """The text with every line break (and the padding around it) removed: what a cropped
    rendering loses cannot come back by joining."""
    return "".join(line.strip() for line in lines)


def _completed(result: Any) -> dict[str, Any]:
    return {
        "status": "completed",
        "session_id": "s-" + "a" * 32,
        "result": result,
        "stats": {"auto": {"llm_calls": 3, "rounds": 2, "elapsed_ms": 41}},
    }


@pytest.mark.parametrize("width", [30, 50, 80, 200])
def test_a_completed_result_wraps_at_any_width_and_loses_nothing(width: int) -> None:
    result = {
        "answer": ANSWER,
        "reasoning": "Step one. " * 12,
        "votes": [1, 2, {"why": "b" * 70}],
        "n": 3,
        "a_field_name_longer_than_twenty": True,
    }
    lines = _printed("outcome", _completed(result), width)
    assert all(len(line) <= width for line in lines), lines
    assert "…" not in "\n".join(lines)
    flat = _unfolded(lines)
    assert TOKEN in flat and "b" * 70 in flat
    assert "".join(ANSWER.split()) in "".join(flat.split())
    assert "3 LLM calls, 2 rounds, 41 ms" in "\n".join(lines)


def test_the_answer_is_text_and_the_other_fields_a_table() -> None:
    result = {"answer": "Paris is the capital.", "confidence": 0.9, "paths": ["a", "b"]}
    lines = _printed("outcome", _completed(result), 80)
    text = "\n".join(lines)
    assert "answer" in lines[1] and lines[2] == "Paris is the capital."  # under its rule
    assert "{" not in lines[2] and '"answer"' not in text  # not JSON
    rows = {line.split()[0]: line.split(None, 1)[1] for line in lines[4:] if line.strip()[:1]}
    assert rows["confidence"].strip() == "0.9"
    assert rows["paths"].strip() == '["a", "b"]'


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        ("just text " * 10, "just text"),
        ([1, 2, 3], "1,"),
        (None, "null"),
        ({}, "{}"),
        ({"result": {"nested": True}}, '"nested": true'),
    ],
)
def test_results_of_every_shape_render(result: Any, expected: str) -> None:
    lines = _printed("outcome", _completed(result), 40)
    assert all(len(line) <= 40 for line in lines)
    assert expected in "\n".join(lines)


def test_control_characters_in_a_result_are_shown_inert() -> None:
    lines = _printed("outcome", _completed({"answer": "a\x1b[2Jb", "x": "\x07"}), 60)
    text = "\n".join(lines)
    assert "\x1b" not in text and "\x07" not in text
    assert "\\x1b[2Jb" in text


def test_a_transcripts_ctx_wraps_instead_of_cropping() -> None:
    reply = {
        "session_id": "s-" + "b" * 32,
        "state": "completed",
        "ctx": {"task": TOKEN},
        "entries": [],
        "outcome": _completed({"answer": "ok"}),
    }
    lines = _printed("transcript", reply, 40)
    assert all(len(line) <= 40 for line in lines)
    assert TOKEN in "".join(line.strip(" │╭╮╰╯─") for line in lines)


def test_pretty_run_in_a_subprocess_prints_the_whole_answer(alc: Alc) -> None:
    code = f'return {{answer = "{ANSWER}", score = 3, tags = {{"a", "b"}}}}'
    result = alc("run", "--code", code, "--pretty", env={"COLUMNS": "44"})
    assert result.code == 0, result
    lines = result.stdout.splitlines()
    assert all(len(line) <= 44 for line in lines), lines
    status, sid = result.stdout.split()[:2]
    assert status == "completed" and sid.startswith("s-")
    flat = _unfolded(lines)
    assert TOKEN in flat
    assert "".join(ANSWER.split()) in "".join(flat.split())
    assert any(line.split()[:2] == ["score", "3"] for line in lines)


# -- shell completion ------------------------------------------------------------------------------


def _complete(home: Path, words: str, cword: int) -> list[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ALC_")}
    environ.update(
        ALC_HOME=str(home), COMP_WORDS=words, COMP_CWORD=str(cword), _ALC_COMPLETE="complete_bash"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "alc"], capture_output=True, text=True, env=environ, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.split()


def test_completion_of_commands_options_and_session_ids(alc: Alc, home: Path) -> None:
    assert _complete(home, "alc sh", 1) == ["show"]
    assert _complete(home, "alc eval r", 2) == ["run", "report", "regrade"]
    assert _complete(home, "alc run --ll", 2) == ["--llm"]
    assert _complete(home, "alc show ", 2) == ["last"]  # an empty store
    sid = alc("run", "--code", "return alc.llm('x')").json["session_id"]
    assert _complete(home, "alc continue ", 2) == ["last", sid]
    assert _complete(home, f"alc status {sid[:6]}", 2) == [sid]


def test_completion_of_a_store_that_cannot_be_read_still_offers_last(home: Path) -> None:
    (home / "sessions.db").parent.mkdir(parents=True, exist_ok=True)
    (home / "sessions.db").write_text("not a database", encoding="utf-8")
    assert _complete(home, "alc show ", 2) == ["last"]


def test_help_offers_completion_install(alc: Alc) -> None:
    result = alc("--help", env={"COLUMNS": "200"})
    assert result.code == 0
    assert "--install-completion" in result.stdout and "--show-completion" in result.stdout
