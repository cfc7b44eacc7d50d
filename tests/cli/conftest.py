"""End-to-end fixtures: the real ``alc`` command in subprocesses, over an isolated ALC_HOME."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

STRATEGY = """\
local M = {}
M.meta = {
  name = "echo2",
  version = "1.0",
  description = "Asks two questions and returns both answers.\\nSecond line.",
  category = "test",
  paper = {authors = "Doe et al.", year = 2024, title = "Echoes"},
  params = {task = {type = "string", description = "what to ask"},
            n = {type = "integer", default = 2, description = "unused"}},
  example = {task = "hello"},
}
function M.run(ctx)
  alc.progress(1, 2, "first")
  local a = alc.llm("first: " .. ctx.task, {system = "be brief"})
  alc.progress(2, 2, "second")
  local b = alc.llm("second: " .. a)
  return {a = a, b = b}
end
return M
"""


@dataclass
class Result:
    """One finished ``alc`` process."""

    code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> Any:
        """The single JSON object printed on stdout."""
        lines = self.stdout.strip().splitlines()
        assert len(lines) == 1, f"expected one JSON line, got: {self.stdout!r}"
        return json.loads(lines[0])


Alc = Callable[..., Result]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """An isolated ALC_HOME with one user strategy package (``echo2``)."""
    root = tmp_path / "home"
    package = root / "packages" / "echo2"
    package.mkdir(parents=True)
    (package / "init.lua").write_text(STRATEGY, encoding="utf-8")
    return root


@pytest.fixture
def alc(home: Path) -> Alc:
    """Run ``python -m alc ARGS`` (stdout is a pipe, so JSON mode) and return its Result."""

    def run(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        environ = {k: v for k, v in os.environ.items() if not k.startswith("ALC_")}
        environ.update(ALC_HOME=str(home), **(env or {}))
        proc = subprocess.run(
            [sys.executable, "-m", "alc", *args],
            input=input,
            capture_output=True,
            text=True,
            env=environ,
            timeout=120,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    return run
