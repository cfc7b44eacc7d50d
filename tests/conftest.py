from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import alc


@pytest.fixture
def engine() -> alc.Engine:
    return alc.Engine()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "sessions.db"


@pytest.fixture
def packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A user package root on ALC_PACKAGES_PATH (and an isolated ALC_HOME)."""
    root = tmp_path / "packages"
    root.mkdir()
    monkeypatch.setenv("ALC_PACKAGES_PATH", str(root))
    monkeypatch.setenv("ALC_HOME", str(tmp_path / "home"))
    yield root
