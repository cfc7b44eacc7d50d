"""Helpers of the package-management tests (a module with a unique name, so test files can
import it whatever other conftest modules pytest has loaded first)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

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
