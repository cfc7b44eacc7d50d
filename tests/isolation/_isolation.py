"""Shared by the isolation tests (issue 13): the attacks, outcome checks, a heartbeat, and the
subprocess runners for the real CLI. A module with a unique name, so test files can import it
whatever other conftest modules pytest has loaded first."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import alc
from alc.engine.executor.process import ProcessExecutor

CONTRACT_SECONDS = 2.0
"""Issue 13: every attack returns a coded reply within its deadline plus two seconds."""
SLACK_SECONDS = 3.0
"""Extra margin for a loaded CI machine on top of the contract (never a performance bound)."""

# ----------------------------------------------------------------------------- the attacks

LOOP = "while true do end"

# class 1: freeze
GC_FINALIZER = "setmetatable({}, {__gc=function() while true do end end}) collectgarbage()"
PAIRS_RESULT = "return setmetatable({}, {__pairs=function() while true do end end})"
TOSTRING_LOOP = "error(setmetatable({f=print}, {__tostring=function() while true do end end}))"
JSON_DECODE_BIG = 'return #alc.json_decode("[" .. string.rep("[1],", 500000) .. "[1]]")'

# class 2: abort (fill the heap to just under the cap, then pause, three times)
FILL_HEAP = """
local t, i = {}, 0
while true do
  i = i + 1
  local ok = pcall(function() t[#t + 1] = string.rep("x", 4096) .. i end)
  if not ok then break end
end
for k = 1, 3 do alc.llm("hi " .. k) end
return i
"""

# class 3: sandbox
GETENV_BYPASS = (
    'string.sub=function() return "ALC_" end return alc.llm(os.getenv("OPENAI_API_KEY") or "none")'
)
SECRET = "sk-isolation-SECRET-7f3a9c1e"

# class 4: limits
PATTERN = 'return ("a"):rep(360):find(".-.-.-b")'
BATCH_REFS = (
    'local s = string.rep("x", 4 * 1024 * 1024) local q = {} '
    "for i = 1, 50 do q[i] = s end return alc.llm_batch(q)"
)
MATCH_ENUM_LONG = (
    'return alc.match_enum(string.rep("ab", 1500), '
    '{string.rep("ba", 1500), string.rep("ab", 1499) .. "x"})'
)
PERMUTATIONS = "return #alc.math.permutations(10)"

# class 5: escapes
TOSTRING_BOOM = 'error(setmetatable({f=print},{__tostring=function() error("boom") end}))'
GSUB_REPLACED = 'string.gsub=function() return "\\"" end return {a="b"}'
DEEP_RESULT = "local t = {} local c = t for i = 1, 3000 do c[1] = {} c = c[1] end return t"
PCALL_DECODE = (
    'local ok, e = pcall(alc.json_decode, string.rep("[", 100000)) return {ok=ok, t=type(e)}'
)

MiB = 1024 * 1024

# ----------------------------------------------------------------------------- outcome checks


def wire(outcome: alc.Outcome) -> dict[str, Any]:
    data = outcome.wire()
    assert data == __import__("json").loads(outcome.to_json())
    return data


def failed(outcome: alc.Outcome, code: str) -> dict[str, Any]:
    """The outcome is a Failed with this error_code (and a message)."""
    data = wire(outcome)
    assert data["status"] == "error", data
    assert data["error_code"] == code, data
    assert isinstance(data["error"], str) and data["error"]
    return data


def completed(outcome: alc.Outcome, result: Any) -> dict[str, Any]:
    data = wire(outcome)
    assert data["status"] == "completed", data
    assert data["result"] == result, data
    return data


def within_contract(elapsed: float, deadline: float) -> None:
    """The one timing assertion: the issue's ``deadline + 2 s`` contract, with slack."""
    assert elapsed < deadline + CONTRACT_SECONDS + SLACK_SECONDS, (elapsed, deadline)


class Heartbeat:
    """A thread of the test process that ticks while an attack runs (a freeze stops it)."""

    def __init__(self) -> None:
        self.ticks = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.ticks += 1
            time.sleep(0.002)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


@contextmanager
def heartbeat(min_ticks: int = 0) -> Iterator[Heartbeat]:
    """Run the body beside a heartbeat thread.

    The body must leave the heartbeat alive (it ticks again within 5 s after the body, so no
    finalizer or conversion left running froze the process), and it must have ticked more than
    ``min_ticks`` times while the body ran (use it for attacks that run a second or more: a
    freeze that holds the GIL stops it).
    """
    with Heartbeat() as beat:
        time.sleep(0.01)
        before = beat.ticks
        yield beat
        during = beat.ticks - before
        end = beat.ticks
        waited = time.monotonic() + 5
        while beat.ticks == end and time.monotonic() < waited:
            time.sleep(0.01)
        assert beat.ticks > end, "the heartbeat stopped: the process froze"
    assert during >= min_ticks, f"the heartbeat ticked {during} times: the process froze"


# ----------------------------------------------------------------------------- the real CLI


@dataclass
class Run:
    """One finished ``python -m alc`` process."""

    code: int
    stdout: str
    stderr: str
    elapsed: float

    @property
    def json(self) -> Any:
        import json

        lines = self.stdout.strip().splitlines()
        assert len(lines) == 1, f"expected one JSON line, got: {self.stdout!r} / {self.stderr!r}"
        return json.loads(lines[0])


def executor_of(engine: alc.Engine) -> ProcessExecutor:
    """The engine's process executor (the test needs one)."""
    executor = engine.registry.executor
    assert isinstance(executor, ProcessExecutor)
    return executor


def clean_env(home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without any ALC_ variable, on an isolated ALC_HOME."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ALC_")}
    environ["ALC_HOME"] = str(home)
    environ.update(extra or {})
    return environ


def run_cli(home: Path, *args: str, env: Mapping[str, str] | None = None) -> Run:
    """``python -m alc ARGS`` with stdout a pipe (JSON mode), timed."""
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "alc", *args],
        capture_output=True,
        text=True,
        env=clean_env(home, env),
        timeout=120,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr, time.monotonic() - start)


def store_bytes(root: Path) -> bytes:
    """Every byte of every SQLite file (database, WAL, journal) under ``root``."""
    return b"".join(p.read_bytes() for p in sorted(root.rglob("*")) if ".db" in p.name)
