"""What is installed where: the installed-package records and atomic changes to a root.

Every package alc installs carries ``.alc-package.json`` (source, kind, ref, commit, content
hash, time). A root is changed only through :class:`Staging`: new package folders are built in a
hidden temporary folder *inside the root* (same file system, so a rename is atomic), checked, and
then swapped in by renames; if anything fails before the swap, the staging folder is deleted and
the root is as it was; a failure during the swap puts back what was already moved.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alc.engine.errors import InstallFailed
from alc.engine.packages import StrategyPackage
from alc.engine.pkg._fetch import METADATA_FILE, content_hash
from alc.engine.pkg._guard import package_folder, read_file

__all__ = [
    "InstalledPackage",
    "Staging",
    "describe_package",
    "read_metadata",
    "read_version",
    "remove_folder",
]

_VERSION = re.compile(r"""\bversion\s*=\s*["']([^"'\n]{1,64})["']""")
_IGNORE = shutil.ignore_patterns(".git", "__pycache__", METADATA_FILE)


def read_version(init: Path) -> str | None:
    """``M.meta.version`` when it is written literally in ``init.lua`` (the first
    ``version = "..."``; nothing is run), else None."""
    try:
        text = read_file(init).decode("utf-8", errors="replace")
    except InstallFailed:  # not a regular file (a link to a device...), too large, unreadable
        return None
    match = _VERSION.search(text[:200_000])
    return match.group(1) if match else None


def read_metadata(folder: Path) -> dict[str, Any]:
    """The ``.alc-package.json`` of an installed package (empty when absent or unreadable)."""
    try:
        data = json.loads(read_file(folder / METADATA_FILE, 1024 * 1024))
    except (InstallFailed, ValueError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}


@dataclass(frozen=True)
class InstalledPackage:
    """One package folder on the search path, as ``alc pkg list`` shows it.

    Attributes:
        name / scope / path: the package, its root's scope, its folder.
        version: ``M.meta.version`` if written literally, else None.
        kind: ``git``, ``folder`` (installed by alc), ``link`` (``alc pkg link``), ``builtin``,
            or ``unmanaged`` (put there by hand, or an ``ALC_PACKAGES_PATH`` folder).
        source: where it came from (URL, folder, link target), or None.
        ref / commit / hash: the pin: the requested ref, the commit (git), the content hash.
        shadowed_by: the scope of the package of the same name that wins, or None.
    """

    name: str
    scope: str
    path: str
    version: str | None
    kind: str
    source: str | None
    ref: str | None = None
    commit: str | None = None
    hash: str | None = None
    shadowed_by: str | None = None

    def wire(self) -> dict[str, Any]:
        """JSON-ready dict of every field, plus ``pin`` (commit, else hash, else None)."""
        out = dict(self.__dict__)
        out["pin"] = self.commit or self.hash
        return out


def describe_package(package: StrategyPackage, shadowed_by: str | None) -> InstalledPackage:
    """The :class:`InstalledPackage` of a package found on the search path."""
    folder = package.path.parent
    meta = read_metadata(folder)
    source: str | None
    if folder.is_symlink():
        kind, source = "link", str(folder.resolve())
    elif package.scope == "builtin":
        kind, source = "builtin", "alc"
    elif meta:
        kind, source = str(meta.get("kind") or "folder"), str(meta.get("source") or "")
    else:
        kind, source = "unmanaged", None
    return InstalledPackage(
        name=package.name,
        scope=package.scope,
        path=str(folder),
        version=read_version(package.path),
        kind=kind,
        source=source,
        ref=meta.get("ref"),
        commit=meta.get("commit"),
        hash=meta.get("hash"),
        shadowed_by=shadowed_by,
    )


class Staging:
    """Build package folders beside ``root`` and swap them in atomically.

    Use as a context manager; :meth:`add` copies a package in, :meth:`commit` swaps every added
    package into the root (replacing an installed one of the same name). Leaving the block
    removes the staging folder; without :meth:`commit` the root is untouched.
    """

    def __init__(self, root: Path) -> None:
        # folders this staging creates, deepest first: removed again if nothing is committed
        self._created = [p for p in (root, *root.parents) if not p.exists()]
        self.committed = False
        try:
            root.mkdir(parents=True, exist_ok=True)
            self.dir = Path(tempfile.mkdtemp(prefix=".alc-staging-", dir=root))
        except OSError as exc:
            raise InstallFailed(f"Cannot write to {root}: {exc}. Check its permissions.") from None
        self.root = root
        self.names: list[str] = []

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)
        if not self.committed:
            for folder in self._created:
                try:
                    folder.rmdir()
                except OSError:
                    break  # not empty (another change used it) or gone: leave it

    def add(self, name: str, source: Path, metadata: dict[str, Any]) -> Path:
        """Copy ``source`` in as package ``name`` with its metadata (hash, time added)."""
        if name in self.names:
            raise InstallFailed(f"Two sources provide a package named {name!r}; keep one.")
        dest = self.dir / name
        try:
            shutil.copytree(source, dest, symlinks=True, ignore=_IGNORE)
        except (OSError, shutil.Error) as exc:
            raise InstallFailed(f"Cannot copy {source}: {exc}.") from None
        try:
            record = {**metadata, "name": name, "hash": content_hash(dest)}
        except OSError as exc:
            raise InstallFailed(f"Cannot read the copy of {source}: {exc}.") from None
        record["installed_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        (dest / METADATA_FILE).write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
        self.names.append(name)
        return dest

    def commit(self) -> None:
        """Swap every added package into the root; on failure, put back what was moved."""
        for name in self.names:
            target = package_folder(self.root, name)
            if target.is_symlink():
                raise InstallFailed(
                    f"{target} is a linked working folder; unlink it first (alc pkg unlink {name})."
                )
        moved: list[tuple[str, bool]] = []  # (name, an old folder was set aside)
        try:
            for name in self.names:
                target, old = self.root / name, self.dir / f".old-{name}"
                had_old = target.exists()
                if had_old:
                    os.rename(target, old)
                os.rename(self.dir / name, target)
                moved.append((name, had_old))
        except OSError as exc:
            self._undo(moved)
            raise InstallFailed(f"Cannot move the new packages into {self.root}: {exc}.") from None
        self.committed = True

    def _undo(self, moved: list[tuple[str, bool]]) -> None:
        for name, had_old in reversed(moved):
            target = self.root / name
            shutil.rmtree(target, ignore_errors=True)
            if had_old:
                os.rename(self.dir / f".old-{name}", target)


def remove_folder(folder: Path) -> None:
    """Remove an installed package folder: renamed aside first (atomic), then deleted."""
    aside = folder.with_name(f".alc-removing-{folder.name}-{os.getpid()}")
    try:
        os.rename(folder, aside)
    except OSError as exc:
        raise InstallFailed(f"Cannot remove {folder}: {exc}. Check its permissions.") from None
    shutil.rmtree(aside, ignore_errors=True)
