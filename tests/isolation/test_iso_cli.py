"""Issue 13 end to end through the real CLI (``python -m alc run --code ...``): a representative
attack per class returns its coded JSON reply, exit code, and within its deadline plus 2 s.

The CLI runs strategies on the process executor unless ALC_EXECUTOR says otherwise; both are run.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _isolation import (
    DEEP_RESULT,
    FILL_HEAP,
    GC_FINALIZER,
    GETENV_BYPASS,
    GSUB_REPLACED,
    PATTERN,
    SECRET,
    TOSTRING_BOOM,
    TOSTRING_LOOP,
    Run,
    run_cli,
    store_bytes,
    within_contract,
)

pytestmark = pytest.mark.slow

STEP = ("--limit", "max_step_seconds=1")


def coded(run: Run, exit_code: int, status: str, error_code: str | None = None) -> dict:
    assert run.code == exit_code, (run.code, run.stdout, run.stderr)
    assert "Traceback" not in run.stderr, run.stderr
    body = run.json
    assert body["status"] == status, body
    if error_code is not None:
        assert body["error_code"] == error_code, body
    return body


@pytest.mark.parametrize(
    ("code", "exit_code", "status", "error_code"),
    [
        (GC_FINALIZER, 1, "error", "lua_error"),  # 1 freeze
        (TOSTRING_LOOP, 1, "error", "timeout"),  # 1 freeze
        (TOSTRING_BOOM, 1, "error", "lua_error"),  # 5 escapes
        (GSUB_REPLACED, 0, "completed", None),  # 5 escapes
        (DEEP_RESULT, 1, "error", "lua_error"),  # 5 escapes
    ],
    ids=["gc", "tostring-loop", "tostring-boom", "gsub", "deep"],
)
def test_attack(
    home: Path, cli_env: dict, code: str, exit_code: int, status: str, error_code: str | None
) -> None:
    run = run_cli(home, "run", "--code", code, *STEP, env=cli_env)
    body = coded(run, exit_code, status, error_code)
    within_contract(run.elapsed, 1)
    if status == "completed":
        assert body["result"] == {"a": "b"}


def test_pattern(home: Path, cli_env: dict) -> None:
    run = run_cli(home, "run", "--code", PATTERN, *STEP, env=cli_env)
    coded(run, 1, "error", "timeout")  # inline answers through its watchdog
    within_contract(run.elapsed, 1)


def test_pattern_inline_meets_the_deadline(home: Path) -> None:
    run = run_cli(home, "run", "--code", PATTERN, *STEP, env={"ALC_EXECUTOR": "inline"})
    coded(run, 1, "error", "timeout")
    within_contract(run.elapsed, 1)  # includes the CLI's own start-up


def test_full_heap_then_continue(home: Path, cli_env: dict) -> None:  # 2 abort
    run = run_cli(
        home, "run", "--code", FILL_HEAP, "--limit", "max_memory=4194304", *STEP, env=cli_env
    )
    sid = coded(run, 0, "needs_response")["session_id"]
    finished = False
    for _ in range(5):
        run = run_cli(home, "continue", sid, "y" * 300, env=cli_env)
        assert run.code in (0, 1, 2), (run.code, run.stderr)  # never 134 (SIGABRT)
        body = run.json
        if finished:
            assert run.code == 2 and body["error_code"] == "session_finished", body
        elif body["status"] in ("completed", "error"):
            if body["status"] == "error":
                assert body["error_code"] == "memory_limit", body
            finished = True
        else:
            assert body["status"] == "needs_response", body
    assert finished


@pytest.mark.parametrize("value", ["1000", "1e23"])
def test_bad_memory_limit(home: Path, cli_env: dict, value: str) -> None:  # 2 abort
    run = run_cli(home, "run", "--code", "return 1", "--limit", f"max_memory={value}", env=cli_env)
    coded(run, 2, "error", "invalid_input")


def test_getenv_bypass(home: Path, cli_env: dict) -> None:  # 3 sandbox
    run = run_cli(
        home, "run", "--code", GETENV_BYPASS, *STEP, env={**cli_env, "OPENAI_API_KEY": SECRET}
    )
    body = coded(run, 0, "needs_response")
    assert body["prompt"] == "none"
    assert SECRET not in run.stdout + run.stderr
    data = store_bytes(home)
    assert body["session_id"].encode() in data
    assert SECRET.encode() not in data
