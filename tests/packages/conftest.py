"""Fixtures of the package-management tests: an isolated ALC_HOME and working folder, package
folders written on disk, and real git repositories made with the system ``git``."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from alc.engine.pkg import PackageManager

CORPUS = (
    Path(__file__).resolve().parents[2].parent / "shared" / "conformance" / "algocline-packages"
)


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


def write_package(folder: Path, name: str, version: str = "1.0", body: str = "") -> Path:
    """A package ``folder/name`` whose run returns ``name@version`` (plus ``body`` code)."""
    pkg = folder / name
    pkg.mkdir(parents=True, exist_ok=True)
    (pkg / "init.lua").write_text(
        f"local M = {{}}\nM.meta = {{ name = '{name}', version = '{version}' }}\n{body}\n"
        f"function M.run(ctx) return '{name}@{version}:' .. alc.llm('q') end\nreturn M\n"
    )
    return pkg


def git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
        "GIT_CONFIG_GLOBAL": os.devnull,
    }
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, env=env, check=True
    )
    return done.stdout.strip()


def commit_all(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository holding one package (``init.lua`` at its root), not yet committed."""
    path = tmp_path / "repos" / "greet"
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    return path
