"""Helpers of the package-management tests (a module with a unique name, so test files can
import it whatever other conftest modules pytest has loaded first)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

CORPUS = (
    Path(__file__).resolve().parents[2].parent / "shared" / "conformance" / "algocline-packages"
)


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
    """Run ``git -C repo ARGS`` with a fixed identity and no user configuration."""
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
    """Commit everything in ``repo``; returns the commit."""
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


class Done(subprocess.CompletedProcess[str]):
    """A finished ``alc`` process whose stdout is one JSON reply."""

    @property
    def code(self) -> int:
        return self.returncode

    @property
    def json(self) -> Any:
        (line,) = self.stdout.strip().splitlines() or [""]
        return json.loads(line)


def make_sentinel(tmp_path: Path) -> Path:
    """A folder with a file beside ALC_HOME (``tmp_path / "home"``), and a link beside it."""
    folder = tmp_path / "sentinel"
    folder.mkdir()
    (folder / "keep.txt").write_text("keep")
    (tmp_path / "sentinel-link").symlink_to(folder, target_is_directory=True)
    return folder


def untouched(sentinel: Path) -> bool:
    link = sentinel.parent / "sentinel-link"
    return (sentinel / "keep.txt").read_text() == "keep" and link.is_symlink()


def attacks(sentinel: Path) -> list[str]:
    """Names that reach the sentinel from the user root (``home/packages``) or directly."""
    return [
        "../../sentinel",
        "../../sentinel-link",
        str(sentinel),
        str(sentinel.parent / "sentinel-link"),
        "../packages/../../sentinel",
    ]
