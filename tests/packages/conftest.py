"""Fixtures of the package-management tests: an isolated ALC_HOME and working folder, an empty
git repository, and the real ``alc`` command (helpers in :mod:`pkg_helpers`)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pkg_helpers import Done, git

from alc.engine.pkg import PackageManager


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty ALC_HOME, no ALC_PACKAGES_PATH, and a fresh working folder (no alc.toml)."""
    home = tmp_path / "home"
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    monkeypatch.setenv("ALC_HOME", str(home))
    monkeypatch.delenv("ALC_PACKAGES_PATH", raising=False)
    monkeypatch.chdir(work)
    yield home


@pytest.fixture
def manager(home: Path) -> PackageManager:
    return PackageManager()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository for one package (``init.lua`` at its root), nothing committed yet."""
    path = tmp_path / "repos" / "greet"
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    return path


@pytest.fixture
def alc(tmp_path: Path) -> Any:
    """``alc(*args, cwd=...)``: the real command in a subprocess (:class:`pkg_helpers.Done`),
    over ``ALC_HOME = tmp_path / "home"`` (no other ALC_ variable), in ``tmp_path / "work"``."""
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ALC_")}
    environ.update(ALC_HOME=str(tmp_path / "home"), ALC_TRACEBACK="0")

    def run(*args: str, cwd: Path = work) -> Done:
        proc = subprocess.run(
            [sys.executable, "-m", "alc", *args],
            capture_output=True,
            text=True,
            env=environ,
            cwd=cwd,
            timeout=300,
        )
        return Done(proc.args, proc.returncode, proc.stdout, proc.stderr)

    run.work = work  # type: ignore[attr-defined]
    return run
