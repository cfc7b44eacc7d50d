"""``alc --version`` in a real subprocess: ``alc <version>`` of the installed distribution."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

import alc

ROOT = Path(__file__).resolve().parents[2]


def _alc(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALC_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "alc", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_version_prints_the_distribution_version_and_exits_0() -> None:
    proc = _alc("--version")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"alc {version('alc-engine')}\n"
    assert proc.stderr == ""


def test_version_wins_over_a_command_and_help_lists_it() -> None:
    proc = _alc("--version", "info")
    assert (proc.returncode, proc.stdout) == (0, f"alc {version('alc-engine')}\n")
    assert "--version" in _alc("--help").stdout


def test_the_version_is_one_number_everywhere() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["version"] == alc.__version__ == version("alc-engine")
