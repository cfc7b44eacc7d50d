"""docs/strategies.md: the catalogue is current and the tutorial's strategy works as described."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import alc

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "strategies.md"


def test_catalogue_is_up_to_date() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_strategy_docs.py"), "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr


@pytest.fixture
def tutorial_package(packages: Path) -> Path:
    text = DOC.read_text(encoding="utf-8")
    block = text.split("<!-- tutorial:start -->")[1].split("<!-- tutorial:end -->")[0]
    code = re.search(r"```lua\n(.*?)```", block, re.S).group(1)  # type: ignore[union-attr]
    (packages / "quiz_check").mkdir()
    (packages / "quiz_check" / "init.lua").write_text(code, encoding="utf-8")
    return packages


def test_tutorial_strategy_runs_as_documented(tutorial_package: Path) -> None:
    def llm(query: alc.Query) -> str:
        if "Grade the answer" in query.prompt:
            return "9" if "212" in query.prompt else "2"
        return "212 F" if query.id == "q-0" else "100 F"

    out = alc.Engine().drive(strategy="quiz_check", ctx={"task": "boiling point?"}, llm=llm)
    assert isinstance(out, alc.Completed), out
    assert out.result["answer"] == "212 F"
    assert out.result["grades"] == [9, 2, 2]
    assert out.stats["auto"]["pauses"] == 2


def test_tutorial_strategy_validates_and_is_listed(tutorial_package: Path) -> None:
    out = alc.Engine().start(strategy="quiz_check", ctx={"task": "q", "n": 0})
    assert isinstance(out, alc.Failed) and "quiz_check: n must be a positive integer" in out.error
    from alc.engine.catalog import describe

    info = describe("quiz_check")
    assert info.error is None and not info.builtin
    assert info.meta["params"][1]["default"] == 3
