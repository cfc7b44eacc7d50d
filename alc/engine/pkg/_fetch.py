"""Getting a package source onto local disk: a folder as it is, a git URL cloned with ``git``.

:func:`fetch` is the one place alc runs ``git`` (a subprocess, no shell, no prompt, a time limit).
:func:`discover` decides what a fetched tree holds: one package (an ``init.lua`` at its root) or
a collection (no ``init.lua`` at the root: every ``*/init.lua`` below it is a package).
:func:`content_hash` is the pin of a folder source (and of every installed package).
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from alc.engine.errors import InstallFailed
from alc.engine.pkg._guard import is_package_name, read_file

__all__ = [
    "GIT_TIMEOUT",
    "METADATA_FILE",
    "Fetched",
    "content_hash",
    "discover",
    "fetch",
    "is_git_source",
    "source_name",
]

GIT_TIMEOUT = 300.0
"""Seconds one ``git`` command may take (a clone of a large collection over a slow link)."""

METADATA_FILE = ".alc-package.json"
"""The file alc writes into every installed package: where it came from and its pin."""

_PROTOCOLS = "file:git:http:https:ssh"
_GIT_PREFIXES = ("git+", "git@", "git://", "ssh://", "http://", "https://", "file://")
_IGNORED = frozenset({".git", METADATA_FILE, "__pycache__", ".DS_Store"})


def is_git_source(source: str) -> bool:
    """True when ``source`` names a git repository (a URL, ``git@host:...``, or ``*.git``)."""
    return source.startswith(_GIT_PREFIXES) or source.rstrip("/").endswith(".git")


def source_name(source: str) -> str:
    """The default package name of a single-package source: its last path component."""
    tail = re.split(r"[/:]", source.rstrip("/"))[-1]
    return tail.removesuffix(".git")


@dataclass(frozen=True)
class Fetched:
    """A source on local disk.

    Attributes:
        path: the folder holding it (the clone, or the local folder itself).
        kind: ``"git"`` or ``"folder"``.
        commit: the checked-out commit (40 hex digits) of a git source, else None.
    """

    path: Path
    kind: str
    commit: str | None = None


def fetch(source: str, ref: str | None, workdir: Path) -> Fetched:
    """Make ``source`` available on disk; a git source is cloned into ``workdir / "clone"``.

    Args:
        source: a local folder, or a git URL (``file://`` included; ``git+`` is stripped).
        ref: a branch, tag or commit to check out (git only; None: the default branch).
        workdir: an empty scratch folder the caller removes afterwards.

    Raises:
        InstallFailed: the folder does not exist, ``ref`` was given for a folder, ``git`` is
            missing, or the clone / checkout failed (the message carries git's own words).
    """
    if not is_git_source(source):
        folder = Path(source).expanduser()
        if not folder.is_dir():
            raise InstallFailed(
                f"Package source {source!r} is not a folder or a git URL; give an existing "
                "folder, or a git URL (https://..., git@host:repo, file:///path/repo.git)."
            )
        if ref is not None:
            raise InstallFailed(
                f"--ref {ref!r} applies to git sources only; {source!r} is a local folder."
            )
        return Fetched(path=folder.resolve(), kind="folder")
    url = source.removeprefix("git+")
    if ref is not None and (not ref or ref.startswith("-") or any(c.isspace() for c in ref)):
        raise InstallFailed(f"--ref {ref!r} is not a branch, tag or commit name.")
    clone = workdir / "clone"
    _git("clone", "--quiet", "--no-checkout", "--", url, str(clone), what=f"clone {url}")
    target = ref or "HEAD"
    _git("-C", str(clone), "checkout", "--quiet", target, "--", what=f"check out {target!r}")
    commit = _git("-C", str(clone), "rev-parse", "HEAD", what="read the commit").strip()
    return Fetched(path=clone, kind="git", commit=commit)


def _git(*args: str, what: str) -> str:
    env = {
        **os.environ,
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": "",
        "LC_ALL": "C",
        "GIT_ALLOW_PROTOCOL": _PROTOCOLS,  # never ext:: or fd:: (they run commands)
    }
    try:
        done = subprocess.run(
            ["git", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=GIT_TIMEOUT,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except FileNotFoundError:
        raise InstallFailed(
            "git is not installed (or not on PATH); install git, or install from a local folder."
        ) from None
    except subprocess.TimeoutExpired:
        raise InstallFailed(
            f"git could not {what} within {GIT_TIMEOUT:.0f} s; check the URL and the network."
        ) from None
    if done.returncode != 0:
        said = " ".join(done.stderr.split())[:500] or f"exit status {done.returncode}"
        raise InstallFailed(
            f"git could not {what}: {said}. Check the URL and --ref (a branch, tag or commit)."
        )
    return done.stdout


def discover(tree: Path, name: str | None) -> dict[str, Path]:
    """The packages a fetched tree holds, by name.

    A tree with an ``init.lua`` is one package, named ``name`` (or the caller's default); a tree
    without one is a collection: every direct sub-folder with an ``init.lua``.

    Raises:
        InstallFailed: no package found, an invalid name, or a package folder that is a link.
    """
    if (tree / "init.lua").is_file():
        if not is_package_name(name):
            raise InstallFailed(
                f"Package name {name!r} (the source's folder name) is not valid (letters, "
                "digits, _ and -); give a name."
            )
        return {name: tree}
    found: dict[str, Path] = {}
    for init in sorted(tree.glob("*/init.lua")):
        folder = init.parent
        if folder.is_symlink():
            raise InstallFailed(
                f"{folder} is a symbolic link; a collection's packages must be real folders "
                "(link a working folder with `alc pkg link` instead)."
            )
        if is_package_name(folder.name):
            found[folder.name] = folder
    if not found:
        raise InstallFailed(
            f"{tree} holds no package: neither an init.lua at its top nor any */init.lua "
            "below it (a collection). Point at a package folder or a collection root."
        )
    return found


def content_hash(folder: Path) -> str:
    """``sha256:<hex>`` over every file's relative path and bytes (sorted; links by target).

    The installer's own metadata file, ``.git`` and caches are left out, so a package hashes
    the same wherever it was installed from.

    Raises:
        InstallFailed: a file that is not regular or is over the size limit (``_guard``).
    """
    digest = hashlib.sha256()
    for path in sorted(_files(folder)):
        rel = path.relative_to(folder).as_posix()
        digest.update(rel.encode() + b"\0")
        if path.is_symlink():
            digest.update(b"link:" + os.readlink(path).encode() + b"\0")
        else:
            digest.update(read_file(path) + b"\0")
    return "sha256:" + digest.hexdigest()


def _files(folder: Path) -> list[Path]:
    out: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if d not in _IGNORED]
        out.extend(Path(dirpath) / f for f in filenames if f not in _IGNORED)
    return out
