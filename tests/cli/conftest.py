"""End-to-end fixtures: the real ``alc`` command in subprocesses, over an isolated ALC_HOME."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli_result import Alc, Result

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
