"""The project files: ``alc.toml`` (what the project wants) and ``alc.lock`` (what it got).

``alc.toml``::

    [packages]
    sc = "../vendor/sc"                                    # a source string: folder or git URL
    flow = { source = "https://github.com/o/flow.git", ref = "v0.3" }
    algocline = { source = "file:///srv/algocline.git", collection = true, only = ["sc", "cot"] }

algocline's form is read too: a ``[packages.NAME]`` table with ``path = "..."`` (a folder,
relative to the project) in place of ``source``. ``alc.local.toml`` (per machine, never
committed: algocline's variants) is read after ``alc.toml``: its entries replace those of the
same name and add others.

Each key names one package (``collection = true``: a collection, whose packages are installed
under their own names; ``only`` keeps some). ``alc.lock`` is written by ``alc pkg install``: for
each entry the source, ref, the commit it resolved to (git) or the folder's content hash, and the
packages it installed. A locked entry installs the locked commit again; a folder whose content no
longer matches its hash is refused until ``--update`` re-locks it.
"""

from __future__ import annotations

import json
import os
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alc.engine.errors import InstallFailed
from alc.engine.packages import PROJECT_FILE
from alc.engine.pkg._guard import is_package_name, read_text

__all__ = [
    "LOCAL_FILE",
    "LOCK_FILE",
    "LockEntry",
    "ProjectEntry",
    "add_entry",
    "read_lock",
    "read_project",
    "remove_entry",
    "write_lock",
]

LOCK_FILE = "alc.lock"
LOCAL_FILE = "alc.local.toml"
"""The per-machine overrides file (algocline's variants): never committed."""
_LOCK_VERSION = 1


@dataclass(frozen=True)
class ProjectEntry:
    """One ``[packages]`` entry of ``alc.toml``.

    Attributes:
        name: the key (the package's name; a collection's label).
        source: a folder (relative to the project) or a git URL.
        ref: branch, tag or commit (git only).
        collection: install every package of the source under its own name.
        only: with ``collection``, the package names to keep (empty: all).
        override: its packages may shadow built-in strategies (installed with ``override``).
    """

    name: str
    source: str
    ref: str | None = None
    collection: bool = False
    only: tuple[str, ...] = ()
    override: bool = False


@dataclass(frozen=True)
class LockEntry:
    """One locked entry: what ``name`` resolved to when it was last installed."""

    name: str
    source: str
    ref: str | None
    commit: str | None
    hash: str
    packages: tuple[str, ...] = field(default_factory=tuple)

    def wire(self) -> dict[str, Any]:
        """JSON-ready dict of every field."""
        return {
            "name": self.name,
            "source": self.source,
            "ref": self.ref,
            "commit": self.commit,
            "hash": self.hash,
            "packages": list(self.packages),
        }


def _load_toml(path: Path) -> dict[str, Any]:
    """The TOML table of ``path`` (a regular file of at most ``MAX_FILE_BYTES``)."""
    try:
        return tomllib.loads(read_text(path))
    except (tomllib.TOMLDecodeError, RecursionError) as exc:
        said = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise InstallFailed(f"{path} cannot be read: {said}. Fix the file and try again.") from None
    except InstallFailed as exc:
        raise InstallFailed(f"{exc.message} Fix the file and try again.") from None


def read_project(project: Path) -> list[ProjectEntry]:
    """The entries of ``<project>/alc.toml``, in file order.

    Raises:
        InstallFailed: the file is not valid TOML or an entry is malformed (named in the message).
    """
    entries: dict[str, ProjectEntry] = {}
    for file in (PROJECT_FILE, LOCAL_FILE):
        path = project / file
        if file == LOCAL_FILE and not path.is_file():
            continue
        table = _load_toml(path).get("packages", {})
        if not isinstance(table, dict):
            raise InstallFailed(f"{path}: [packages] must be a table of name = source entries.")
        entries.update({name: _entry(path, name, value) for name, value in table.items()})
    return list(entries.values())


def _entry(path: Path, name: str, value: Any) -> ProjectEntry:
    where = f"{path}: packages.{name}"
    if not is_package_name(name):
        raise InstallFailed(f"{where}: not a valid package name (letters, digits, _ and -).")
    if isinstance(value, str):
        return ProjectEntry(name=name, source=value)
    if isinstance(value, dict) and "path" in value and "source" not in value:
        value = {("source" if k == "path" else k): v for k, v in value.items()}  # algocline's
    if not isinstance(value, dict) or not isinstance(value.get("source"), str):
        raise InstallFailed(
            f'{where}: give a source string, {{ source = "...", ref = "..." }} or '
            '{ path = "..." }.'
        )
    unknown = set(value) - {"source", "ref", "collection", "only", "override"}
    if unknown:
        raise InstallFailed(
            f"{where}: unknown keys {sorted(unknown)} (source or path, ref, collection, only, "
            "override)."
        )
    ref, only = value.get("ref"), value.get("only", [])
    if ref is not None and not isinstance(ref, str):
        raise InstallFailed(f"{where}: ref must be a string (a branch, tag or commit).")
    if not isinstance(only, list) or not all(isinstance(o, str) for o in only):
        raise InstallFailed(f"{where}: only must be a list of package names.")
    flags = {k: value.get(k, False) for k in ("collection", "override")}
    if not all(isinstance(v, bool) for v in flags.values()):
        raise InstallFailed(f"{where}: collection and override must be true or false.")
    return ProjectEntry(name=name, source=value["source"], ref=ref, only=tuple(only), **flags)


def read_lock(project: Path) -> dict[str, LockEntry]:
    """The entries of ``<project>/alc.lock`` by name (empty when there is no lock file).

    Raises:
        InstallFailed: the lock file is unreadable (delete it and install again to rewrite it).
    """
    path = project / LOCK_FILE
    if not path.exists() and not path.is_symlink():
        return {}
    table = _load_toml(path).get("packages", {})
    redo = "delete alc.lock and install the project's packages again to write it anew"
    if not isinstance(table, dict):
        raise InstallFailed(f"{path}: packages must be a table of entries; {redo}.")
    return {name: _lock_entry(path, name, raw, redo) for name, raw in table.items()}


def _lock_entry(path: Path, name: str, raw: Any, redo: str) -> LockEntry:
    """One ``[packages.NAME]`` table of ``alc.lock``, every field type-checked."""
    bad = f"{path}: entry {name[:80]!r} is malformed"
    if not is_package_name(name) or not isinstance(raw, dict):
        raise InstallFailed(f"{bad}; {redo}.")
    texts = {k: raw.get(k) for k in ("source", "ref", "commit", "hash")}
    packages = raw.get("packages", [name])
    if not isinstance(texts["source"], str) or not isinstance(texts["hash"], str):
        raise InstallFailed(f"{bad} (source and hash must be strings); {redo}.")
    if any(v is not None and not isinstance(v, str) for v in texts.values()):
        raise InstallFailed(f"{bad} (ref and commit must be strings); {redo}.")
    if not isinstance(packages, list) or not all(is_package_name(p) for p in packages):
        raise InstallFailed(f"{bad} (packages must be a list of package names); {redo}.")
    return LockEntry(
        name=name,
        source=texts["source"],
        ref=texts["ref"] or None,
        commit=texts["commit"] or None,
        hash=texts["hash"],
        packages=tuple(packages),
    )


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)  # a TOML basic string


def write_lock(project: Path, entries: dict[str, LockEntry]) -> Path:
    """Write ``alc.lock`` (sorted, atomically: a temp file renamed over the old one)."""
    lines = [
        "# alc.lock: written by `alc pkg install`; commit it with alc.toml.",
        f"version = {_LOCK_VERSION}",
    ]
    for name in sorted(entries):
        lines.append("")
        lines.append(f"[packages.{name}]")
        for key, value in entries[name].wire().items():
            if key != "name" and value is not None:
                lines.append(f"{key} = {_toml_value(value)}")
    path = project / LOCK_FILE
    _replace_text(path, "\n".join(lines) + "\n")
    return path


def _replace_text(path: Path, text: str) -> None:
    """Write ``path`` atomically: a new temporary file (never an existing one, never through a
    link) in the same folder, renamed over ``path`` (a link there is replaced, not followed)."""
    fd, scratch = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o644)  # as a plain write would make it (mkstemp makes 0600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(scratch, path)
    except BaseException:
        Path(scratch).unlink(missing_ok=True)
        raise


def add_entry(project: Path, entry: ProjectEntry, file: str = PROJECT_FILE) -> None:
    """Add (or replace) ``entry`` in ``alc.toml`` (or ``file``: :data:`LOCAL_FILE`), keeping
    every other line of the file.

    The entry is written as one inline line under ``[packages]`` (created when missing); an
    existing entry for the same name (a line, or algocline's ``[packages.NAME]`` table) is
    replaced. In :data:`LOCAL_FILE` the folder is written as algocline does (``path = ...``).
    """
    path = project / file
    lines = read_text(path).splitlines() if path.is_file() else []
    key = "path" if file == LOCAL_FILE else "source"
    fields = [f"{key} = {_toml_value(entry.source)}"]
    if entry.ref:
        fields.append(f"ref = {_toml_value(entry.ref)}")
    if entry.collection:
        fields.append("collection = true")
    if entry.only:
        fields.append(f"only = {_toml_value(entry.only)}")
    if entry.override:
        fields.append("override = true")
    line = f"{entry.name} = {{ {', '.join(fields)} }}"
    lines = _without(lines, entry.name)
    if "[packages]" not in (s.strip() for s in lines):
        lines += ([""] if lines else []) + ["[packages]"]
    at = [s.strip() for s in lines].index("[packages]")
    lines.insert(at + 1, line)
    _replace_text(path, "\n".join(lines) + "\n")


def remove_entry(project: Path, name: str, file: str = PROJECT_FILE) -> bool:
    """Drop ``name`` from ``alc.toml`` (or ``file``) and from ``alc.lock``; True when it was
    listed in the file."""
    path = project / file
    if not path.is_file():
        return False
    lines = read_text(path).splitlines()
    kept = _without(lines, name)
    if kept != lines:
        _replace_text(path, "\n".join(kept) + "\n")
    lock = read_lock(project)
    if file == PROJECT_FILE and lock.pop(name, None) is not None:
        write_lock(project, lock)
    return kept != lines


def _without(lines: list[str], name: str) -> list[str]:
    """``lines`` without the one-line entry ``name = ...`` of the ``[packages]`` table, nor
    algocline's ``[packages.NAME]`` table (its header and lines up to the next header)."""
    out, section = [], ""
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("["):
            section = stripped.split("#", 1)[0].strip()
        key = stripped.split("=", 1)[0].strip().strip('"') if "=" in stripped else None
        if (section == "[packages]" and key == name) or section in (
            f"[packages.{name}]",
            f'[packages."{name}"]',
        ):
            continue
        out.append(line)
    return out
