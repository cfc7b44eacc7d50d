"""``alc eval`` through real subprocesses: run, list, show, compare, report, regrade, errors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from alc.eval import builtin_scenario

pytestmark = pytest.mark.slow


def alc_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "ALC_HOME": str(tmp_path / "home"),
        "ALC_STORE": str(tmp_path / "store.db"),
        "ALC_EXECUTOR": "inline",
    }
    return subprocess.run(
        [sys.executable, "-m", "alc", "--json", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


def ok(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert proc.returncode == 0, proc.stderr
    return dict(json.loads(proc.stdout))


@pytest.fixture()
def script(tmp_path: Path) -> str:
    """A scripted responder (first matching prompt substring answers): cot's prompts get a
    wrong answer, an arith case asked directly the right one."""
    scenario = builtin_scenario("arith", 3, seed=0)
    assert scenario is not None
    answers = {"Let's think step by step": "A step.", "Reasoning chain": "Answer: -1"}
    answers.update({c.input: f"Answer: {c.expected[0]}" for c in scenario.cases})
    path = tmp_path / "script.json"
    path.write_text(json.dumps(answers), encoding="utf-8")
    return f"scripted:{path}"


def test_run_list_show_compare_report_regrade(tmp_path: Path, script: str) -> None:
    run = ok(
        alc_cli(
            tmp_path,
            "eval",
            "run",
            "--strategy",
            "cot",
            "--scenario",
            "arith",
            "--llm",
            script,
            "-n",
            "3",
            "--set",
            "cot.depth=1",
        )
    )
    run_id = run["run_id"]
    assert run["status"] == "complete" and set(run["cards"]) == {"direct", "cot"}
    assert run["strategies"]["direct"]["pass_rate"] == 1.0
    assert run["strategies"]["cot"]["pass_rate"] == 0.0
    assert run["comparisons"]["cot"]["verdict"].startswith("Too few cases")

    runs = ok(alc_cli(tmp_path, "eval", "list"))["runs"]
    assert [r["run_id"] for r in runs] == [run_id]

    shown = ok(alc_cli(tmp_path, "eval", "show", run_id, "--strategy", "cot", "--transcripts"))
    assert len(shown["cases"]) == 3 and shown["cases"][0]["answer"] == "Answer: -1"
    assert len(shown["cases"][0]["transcript"]) == 2

    cmp = ok(alc_cli(tmp_path, "eval", "compare", run_id))["comparisons"]["cot"]
    assert cmp["b"] == 3 and cmp["c"] == 0 and "p_holm" in cmp

    out = tmp_path / "report"
    files = ok(alc_cli(tmp_path, "eval", "report", run_id, "--out", str(out)))["files"]
    assert sorted(Path(f).name for f in files) == [
        "cost.png",
        "differences.png",
        "pass_rates.png",
        "report.json",
        "report.md",
    ]
    assert (out / "pass_rates.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "| direct | 3/3 = 100.0% |" in md and "alc eval run --strategy cot" in md
    assert json.loads((out / "report.json").read_text())["run"]["run_id"] == run_id

    again = ok(alc_cli(tmp_path, "eval", "regrade", run_id, "--grader", "not_empty"))
    assert again["strategies"]["cot"]["pass_rate"] == 1.0
    assert again["cards"] != run["cards"]


def test_the_same_command_continues_an_unfinished_run(tmp_path: Path, script: str) -> None:
    short = tmp_path / "short.json"
    short.write_text(json.dumps(["Answer: 11"]), encoding="utf-8")  # runs out after one answer
    first = alc_cli(
        tmp_path,
        "eval",
        "run",
        "-s",
        "cot",
        "--scenario",
        "arith",
        "--llm",
        f"scripted:{short}",
        "-n",
        "2",
        "-j",
        "1",
        "--set",
        "cot.depth=1",
    )
    assert first.returncode == 3, first.stderr  # the responder failed: the run stops
    assert json.loads(first.stdout)["error_code"] == "responder_failed"
    runs = ok(alc_cli(tmp_path, "eval", "list"))["runs"]
    assert runs[0]["status"] == "running"
    # same configuration (the llm spec is part of it), a responder that now has answers
    short.write_text(json.dumps({"": "Answer: 11"}), encoding="utf-8")
    done = ok(
        alc_cli(
            tmp_path,
            "eval",
            "run",
            "-s",
            "cot",
            "--scenario",
            "arith",
            "--llm",
            f"scripted:{short}",
            "-n",
            "2",
            "-j",
            "1",
            "--set",
            "cot.depth=1",
        )
    )
    assert done["run_id"] == runs[0]["run_id"] and done["status"] == "complete"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("eval", "show", "ev-000000000000"), "No eval run"),
        (
            ("eval", "run", "-s", "cot", "--scenario", "nope", "--llm", "scripted:x.json"),
            "No scenario",
        ),
        (
            (
                "eval",
                "run",
                "-s",
                "cot",
                "--scenario",
                "arith",
                "--llm",
                "scripted:x.json",
                "--set",
                "cot",
            ),
            "STRATEGY.KEY=VALUE",
        ),
        (
            ("eval", "run", "-s", "nosuch", "--scenario", "arith", "--llm", "scripted:x.json"),
            "not found",
        ),
        (("eval", "compare", "ev-000000000000", "ev-000000000001"), "No eval run"),
    ],
)
def test_bad_requests_exit_2_with_a_json_error(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    proc = alc_cli(tmp_path, *args)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    error = json.loads(proc.stdout)
    assert error["status"] == "error" and message in error["error"]
    assert "Traceback" not in proc.stderr


def test_ctrl_c_stops_a_run_and_the_same_command_continues_it(tmp_path: Path) -> None:
    args = [
        "eval",
        "run",
        "-s",
        "cot",
        "--scenario",
        "arith",
        "-n",
        "4",
        "-j",
        "1",
        "--llm",
        "cmd:sleep 0.2; echo Answer: 11",
        "--set",
        "cot.depth=1",
    ]
    env = {
        **os.environ,
        "ALC_HOME": str(tmp_path / "home"),
        "ALC_STORE": str(tmp_path / "store.db"),
        "ALC_EXECUTOR": "inline",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "alc", "--json", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # wait until a pair is stored
        runs = ok(alc_cli(tmp_path, "eval", "list"))["runs"]
        if runs and runs[0]["done"] >= 1:
            break
        time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Run the same command again" in err and "Traceback" not in err
    stopped = ok(alc_cli(tmp_path, "eval", "list"))["runs"][0]
    if stopped["status"] == "complete":
        pytest.skip("the run finished before Ctrl-C arrived")  # nothing left to continue
    done = ok(alc_cli(tmp_path, *args))
    assert done["run_id"] == stopped["run_id"] and done["status"] == "complete"
    assert done["strategies"]["cot"]["n"] == 4


def test_a_catastrophic_regex_grader_is_bounded_and_bad_params_exit_2(tmp_path: Path) -> None:
    """A pattern that backtracks exponentially on the answer scores 0 within its deadline (the
    run completes); a mistyped grader parameter is refused before any session runs."""
    answer = "a" * 40 + "!"
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"": answer}), encoding="utf-8")
    scenario = tmp_path / "hostile.json"
    scenario.write_text(
        json.dumps(
            {
                "graders": [{"name": "regex", "pattern": r"^(a|aa)+$"}, "not_empty"],
                "cases": [{"id": "c1", "input": "Say many a's."}],
            }
        ),
        encoding="utf-8",
    )
    run = ok(
        alc_cli(
            tmp_path,
            "eval",
            "run",
            "-s",
            "direct",
            "--scenario",
            str(scenario),
            "--llm",
            f"scripted:{script}",
            "--baseline",
            "direct",
        )
    )
    assert run["status"] == "complete"
    assert run["strategies"]["direct"]["pass_rate"] == 0.0
    cases = ok(alc_cli(tmp_path, "eval", "show", run["run_id"]))
    assert "took longer than" in json.dumps(cases)

    scenario.write_text(
        json.dumps(
            {
                "graders": [{"name": "numeric", "tolerance": "abc"}],
                "cases": [{"id": "c1", "input": "q"}],
            }
        ),
        encoding="utf-8",
    )
    proc = alc_cli(
        tmp_path,
        "eval",
        "run",
        "-s",
        "direct",
        "--scenario",
        str(scenario),
        "--llm",
        f"scripted:{script}",
    )
    assert proc.returncode == 2, proc.stderr
    error = json.loads(proc.stdout)
    assert error["error_code"] == "invalid_input" and "tolerance" in error["error"]
    assert "Traceback" not in proc.stderr
