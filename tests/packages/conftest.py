"""Fixtures of the package-management tests: an isolated ALC_HOME and working folder, and an
empty git repository (helpers in :mod:`pkg_helpers`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pkg_helpers import git

from alc.engine.pkg import PackageManager


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty ALC_HOME, no ALC_PACKAGES_PATH, and a fresh working folder (no alc.toml)."""
    home = tmp_path / "home"
    work = tmp_path / "work"
    work.mkdir()
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
