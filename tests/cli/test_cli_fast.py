"""The ``alc continue`` fast path (``alc/cli/_fast.py``) against typer, in real subprocesses.

Each command line runs twice over the same copy of a prepared ALC_HOME: once as ``python -m
alc`` would (``alc.cli.main``: the fast path when it takes the line) and once forced through
typer (``alc.cli._run_typer``). Both must print the same stdout and stderr and exit with the same
code; the modules loaded at exit show which path ran (no typer, no process executor on the fast
path). Timing is never asserted: ``benchmarks/cli_cold.py`` measures it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import alc
from alc.cli._fast import FastContinue, parse_continue

ASK = "for i = 1, 6 do alc.llm('question ' .. i) end return 'done'"
BATCH = "local r = alc.llm_batch({'left', 'right'}) return alc.llm(r[1] .. r[2])"

WRAPPER = r"""
import atexit, json, os, sys

def _report():
    with open(os.environ["ALC_TEST_MODULES"], "w", encoding="utf-8") as out:
        json.dump(sorted(sys.modules), out)

atexit.register(_report)
sys.argv[0] = "alc"
if os.environ.get("ALC_TEST_PATH") == "typer":
    from alc.cli import _run_typer
    sys.exit(_run_typer(sys.argv[1:]))
import runpy
runpy.run_module("alc", run_name="__main__", alter_sys=True)
"""


@dataclass(frozen=True)
class Sessions:
    template: Path
    one: str  # paused at q-2 after two answers (a continue replays them)
    batch: str  # paused at two queries, q-0 and q-1
    done: str  # completed


@pytest.fixture(scope="module")
def sessions(tmp_path_factory: pytest.TempPathFactory) -> Sessions:
    template = tmp_path_factory.mktemp("fast") / "home"
    template.mkdir()
    engine = alc.Engine(store=str(template / "sessions.db"))
    try:
        one = engine.start(code=ASK)
        for answer in ("first", "second"):
            one = engine.feed(one.session_id, answer)
        done = engine.start(code="return alc.llm('only')")
        engine.feed(done.session_id, "it")
        batch = engine.start(code=BATCH)
    finally:
        engine.close()
    (template / "batch.json").write_text('{"q-0": "a", "q-1": "b"}', encoding="utf-8")
    (template / "script.json").write_text(json.dumps(["x"] * 8), encoding="utf-8")
    (template / "answer.txt").write_text("from a file\n", encoding="utf-8")
    return Sessions(template, one.session_id, batch.session_id, done.session_id)


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str
    modules: frozenset[str]


def _run(
    tmp: Path, sessions: Sessions, argv: list[str], path: str, stdin: str, env: dict[str, str]
) -> Run:
    home = tmp / "home"
    shutil.rmtree(home, ignore_errors=True)
    shutil.copytree(sessions.template, home)
    modules = tmp / f"modules-{path}.json"
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("ALC_", "_ALC"))}
    environ.update(
        ALC_HOME=str(home), ALC_TEST_MODULES=str(modules), ALC_TEST_PATH=path, COLUMNS="100"
    )
    environ.update(env)
    proc = subprocess.run(
        [sys.executable, "-c", WRAPPER, *argv],
        input=stdin.encode(),
        capture_output=True,
        cwd=home,
        env=environ,
        timeout=120,
    )
    loaded = frozenset(json.loads(modules.read_text(encoding="utf-8")))
    # the one varying figure of a reply: how long the session ran
    stdout = re.sub(rb'"elapsed_ms": ?\d+', b'"elapsed_ms":0', proc.stdout)
    return Run(proc.returncode, stdout.decode(errors="replace"), proc.stderr.decode(), loaded)


# (argv with ONE / BATCH / DONE / STORE placeholders, stdin, extra env, fast path expected)
def _slow(argv: list[str], stdin: str, env: dict[str, str], fast: bool) -> Any:
    """A shape run only with the slow tests (the unmarked ones cover each kind once)."""
    return pytest.param(argv, stdin, env, fast, marks=pytest.mark.slow)


SHAPES: list[Any] = [
    (["continue", "ONE", "an answer"], "", {}, True),
    (["continue", "ONE", "-"], "from stdin\n", {}, True),
    _slow(["continue", "last", "x"], "", {}, True),
    _slow(["continue", "ONE", ""], "", {}, True),
    _slow(["continue", "ONE", "héllo ✓ \x1b[2J"], "", {}, True),
    _slow(["--json", "continue", "ONE", "x"], "", {}, True),
    (["--pretty", "continue", "ONE", "x"], "", {}, True),
    _slow(["continue", "ONE", "x", "--pretty"], "", {}, True),
    _slow(["--pretty", "continue", "ONE", "x", "--json"], "", {}, True),
    (["--store", "STORE", "continue", "ONE", "x"], "", {}, True),
    _slow(["--store=STORE", "--json", "continue", "ONE", "x"], "", {}, True),
    _slow(["--store", "", "continue", "ONE", "x"], "", {}, True),
    _slow(["--store", "other.db", "continue", "ONE", "x"], "", {}, True),
    _slow(["continue", "ONE", "x"], "", {"ALC_STORE": "other.db"}, True),
    _slow(["continue", "ONE", "x"], "", {"ALC_STORE": ""}, True),
    _slow(["continue", "ONE", "--query-id", "q-2", "x"], "", {}, True),
    _slow(["continue", "ONE", "x", "-q", "q-9"], "", {}, True),
    _slow(["continue", "ONE", "--query-id=q-2", "x"], "", {}, True),
    _slow(["continue", "--query-id=", "ONE", "x"], "", {}, True),
    (["continue", "BATCH", "--responses", '{"q-0": "a", "q-1": "b"}'], "", {}, True),
    _slow(["continue", "BATCH", "--responses=@batch.json"], "", {}, True),
    _slow(
        ["continue", "BATCH", "--responses", "-"],
        '[{"query_id": "q-0", "response": "a"}]',
        {},
        True,
    ),
    _slow(["continue", "BATCH", "--responses", "{not json"], "", {}, True),
    _slow(["continue", "BATCH", "--responses", "@missing.json"], "", {}, True),
    _slow(["continue", "BATCH", "x"], "", {}, True),
    _slow(["continue", "BATCH", "-q", "q-1", "x"], "", {}, True),
    (
        ["continue", "ONE", "x", "--usage", '{"prompt_tokens": 3, "response_tokens": 4}'],
        "",
        {},
        True,
    ),
    _slow(["continue", "ONE", "x", "--usage", "[1]"], "", {}, True),
    _slow(["continue", "ONE", "x", "--usage=nope"], "", {}, True),
    _slow(["continue", "ONE"], "", {}, True),
    (["continue", "ONE", "--llm", "scripted:script.json"], "", {}, True),
    _slow(["continue", "ONE", "x", "--llm", "scripted:missing.json"], "", {}, True),
    _slow(["continue", "ONE", "--llm=nosuch:thing"], "", {}, True),
    (["continue", "DONE", "x"], "", {}, True),
    _slow(["continue", "s-" + "0" * 32, "x"], "", {}, True),
    _slow(["continue", "not-an-id", "x"], "", {}, True),
    _slow(["continue", "ONE", "x"], "", {"ALC_EXECUTOR": "bogus"}, True),
    # left to typer
    (["continue", "ONE", "--file", "answer.txt"], "", {}, False),
    _slow(["continue", "ONE", "-f", "missing.txt"], "", {}, False),
    _slow(["continue", "ONE", "x", "--file", "answer.txt"], "", {}, False),
    (["continue", "--help"], "", {}, False),
    _slow(["--help"], "", {}, False),
    _slow(["--version", "continue", "ONE", "x"], "", {}, False),
    _slow(["continue"], "", {}, False),
    _slow(["continue", "ONE", "a", "b"], "", {}, False),
    _slow(["continue", "ONE", "--", "-5"], "", {}, False),
    (["continue", "ONE", "-5"], "", {}, False),
    _slow(["continue", "ONE", "x", "--bogus"], "", {}, False),
    (["continue", "ONE", "x", "--json", "--json"], "", {}, False),
    _slow(["continue", "ONE", "x", "-q", "q-2", "--query-id", "q-2"], "", {}, False),
    _slow(["continue", "ONE", "-qq-2", "x"], "", {}, False),
    _slow(["continue", "ONE", "x", "--query-id"], "", {}, False),
    _slow(["continue", "ONE", "x", "--llm", "-x"], "", {}, False),
    _slow(["continue", "ONE", "x", "--json=1"], "", {}, False),
    _slow(["--json", "--json", "continue", "ONE", "x"], "", {}, False),
    _slow(["--store", "continue", "ONE", "x"], "", {}, False),
    _slow(["--store"], "", {}, False),
    _slow(["-x", "continue", "ONE", "x"], "", {}, False),
    _slow(["Continue", "ONE", "x"], "", {}, False),
    _slow(["status", "ONE"], "", {}, False),
    (["continue", "ONE", "\udcff"], "", {}, False),
]


def _fill(argv: list[str], sessions: Sessions) -> list[str]:
    names = {"ONE": sessions.one, "BATCH": sessions.batch, "DONE": sessions.done}
    return [names.get(a, a).replace("STORE", "sessions.db") for a in argv]


def _id(shape: Any) -> str:
    argv = shape.values[0] if hasattr(shape, "values") else shape[0]
    return " ".join(argv) or "-"


@pytest.mark.parametrize(("argv", "stdin", "env", "fast"), SHAPES, ids=[_id(s) for s in SHAPES])
def test_fast_path_and_typer_agree(
    tmp_path: Path,
    sessions: Sessions,
    argv: list[str],
    stdin: str,
    env: dict[str, str],
    fast: bool,
) -> None:
    argv = _fill(argv, sessions)
    main = _run(tmp_path, sessions, argv, "main", stdin, env)
    typer = _run(tmp_path, sessions, argv, "typer", stdin, env)
    assert "typer" in typer.modules
    assert ("typer" not in main.modules) is fast, sorted(m for m in main.modules if "typer" in m)
    assert (main.code, main.stdout, main.stderr) == (typer.code, typer.stdout, typer.stderr)
    assert "Traceback" not in main.stderr


def test_fast_continue_runs_in_process_without_typer(tmp_path: Path, sessions: Sessions) -> None:
    """The evidence behind the cold-start figure: the fast path answers a session that needs a
    replay without importing typer (nor its per-parameter pydantic adapters) and without the
    process executor's worker pool."""
    run = _run(tmp_path, sessions, ["continue", sessions.one, "third"], "main", "", {})
    assert run.code == 0, run.stderr
    reply = json.loads(run.stdout)
    assert (reply["status"], reply["query_id"], reply["prompt"]) == (
        "needs_response",
        "q-3",
        "question 4",
    )
    heavy = {"typer", "typer._adapters", "click", "rich", "alc.engine.executor.process"}
    assert not heavy & run.modules
    assert "alc.cli._app" not in run.modules


def test_plain_answer_skips_the_responses_parser(tmp_path: Path, sessions: Sessions) -> None:
    """A plain text answer never loads :mod:`alc._feed` (the parser of ``--responses``, with
    its request models) nor the responders; an answer that needs parsing does, and both give
    the replies of the Python API."""
    run = _run(tmp_path, sessions, ["continue", sessions.one, "third"], "main", "", {})
    assert run.code == 0, run.stderr
    assert json.loads(run.stdout)["query_id"] == "q-3"
    assert not {"alc._feed", "alc.responders", "alc._requests"} & run.modules
    argv = ["continue", sessions.batch, "--responses", '{"q-0": "a", "q-1": "b"}']
    parsed = _run(tmp_path, sessions, argv, "main", "", {})
    assert parsed.code == 0, parsed.stderr
    assert json.loads(parsed.stdout)["prompt"] == "ab"
    assert "alc._feed" in parsed.modules
    usage = ["continue", sessions.one, "third", "--usage", '{"prompt_tokens": -1}']
    bad = _run(tmp_path, sessions, usage, "main", "", {})
    assert bad.code == 2 and json.loads(bad.stdout)["error_code"] == "invalid_input"


def test_process_executor_on_request(tmp_path: Path, sessions: Sessions) -> None:
    """``ALC_EXECUTOR=process`` still runs the CLI's strategies in the worker pool."""
    argv = ["continue", sessions.one, "third"]
    run = _run(tmp_path, sessions, argv, "main", "", {"ALC_EXECUTOR": "process"})
    assert run.code == 0, run.stderr
    assert json.loads(run.stdout)["query_id"] == "q-3"
    assert "alc.engine.executor.process" in run.modules


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["continue", "s", "a"], FastContinue(arguments=["s", "a"])),
        (
            ["--store=x", "--pretty", "continue", "-", "-q", "q", "--llm=l", "--json"],
            FastContinue(
                store="x",
                json=False,
                arguments=["-"],
                options={"query_id": "q", "llm": "l", "output": True},
            ),
        ),
        (
            ["continue", "--responses", "-", "s", "--usage", "{}"],
            FastContinue(arguments=["s"], options={"responses": "-", "usage": "{}"}),
        ),
        (["continue"], None),
        (["continue", "s", "--file", "f"], None),
        (["continue", "s", "--help"], None),
        (["continue", "s", "--", "x"], None),
        (["--store", "--json", "continue", "s"], None),
        (["run", "s"], None),
        ([], None),
    ],
)
def test_parse_continue(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], expected: FastContinue | None
) -> None:
    monkeypatch.delenv("ALC_STORE", raising=False)
    monkeypatch.delenv("_ALC_COMPLETE", raising=False)
    assert parse_continue(argv) == expected


def test_parse_continue_leaves_completion_to_typer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("_ALC_COMPLETE", "complete_bash")
    assert parse_continue(["continue", "s", "a"]) is None
    monkeypatch.delenv("_ALC_COMPLETE")
    monkeypatch.setenv("ALC_STORE", "from-env.db")
    parsed = parse_continue(["continue", "s", "a"])
    assert parsed is not None and parsed.store == "from-env.db"
    parsed = parse_continue(["--store", "given.db", "continue", "s", "a"])
    assert parsed is not None and parsed.store == "given.db"
