"""Creating and converting a project's files: ``alc init`` (algocline's ``alc_init``) and
``alc_migrate`` (an ``alc.lock`` without ``alc.toml`` becomes both).

The file formats are :mod:`alc.engine.pkg._project`'s; this module only decides what to write.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from alc.engine.errors import InstallFailed, InvalidInput
from alc.engine.packages import PROJECT_FILE, is_module_name
from alc.engine.pkg._project import LOCAL_FILE, LOCK_FILE, ProjectEntry, add_entry, read_project

__all__ = ["LOCAL_FILE", "init_project", "migrate_project"]


_HEADER = (
    "# alc.toml: the packages this project uses (alc pkg install adds them; alc.lock pins them).\n"
    "[packages]\n"
)


def _folder(root: Path) -> Path:
    try:
        found = root.expanduser().resolve()
        if str(root).strip() and found.is_dir():
            return found
    except (OSError, ValueError, RuntimeError):
        pass
    raise InvalidInput(f"project_root {str(root)[:200]!r} is not a folder.")


def init_project(root: Path) -> dict[str, Any]:
    """Create ``<root>/alc.toml`` (an empty ``[packages]`` table) unless it exists, and add
    ``alc.local.toml`` to ``<root>/.gitignore`` unless listed. Idempotent.

    Returns:
        ``{"project_root", "alc_toml": path, "created": bool, "gitignore_updated": bool}``.

    Raises:
        InvalidInput: ``root`` is not a folder.
    """
    root = _folder(root)
    toml = root / PROJECT_FILE
    created = not toml.exists()
    if created:
        toml.write_text(_HEADER, encoding="utf-8")
    ignore = root / ".gitignore"
    lines = ignore.read_text(encoding="utf-8").splitlines() if ignore.is_file() else []
    listed = any(line.strip().lstrip("/") == LOCAL_FILE for line in lines)
    if not listed:
        text = "\n".join([*lines, LOCAL_FILE]) + "\n"
        ignore.write_text(text, encoding="utf-8")
    return {
        "project_root": str(root),
        "alc_toml": str(toml),
        "created": created,
        "gitignore_path": str(ignore),
        "gitignore_updated": not listed,
        "status": "ok",
    }


def _locked_entries(path: Path) -> list[ProjectEntry]:
    """The entries of a lock file: alc's (``[packages.NAME]`` with ``source`` / ``ref``) or
    algocline's legacy one (``[[packages]]`` rows with ``name`` and ``local_dir``, ``path`` or
    ``source``)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InstallFailed(f"{path} cannot be read: {exc}.") from None
    table = data.get("packages") or {}
    rows = (
        [{"name": k, **v} for k, v in table.items() if isinstance(v, dict)]
        if isinstance(table, dict)
        else [r for r in table if isinstance(r, dict)]
    )
    out = []
    for row in rows:
        name = row.get("name")
        source = row.get("local_dir") or row.get("path") or row.get("source")
        if not isinstance(name, str) or not is_module_name(name) or not isinstance(source, str):
            raise InstallFailed(f"{path}: entry {row!r} has no usable name and source/path.")
        ref = row.get("ref") if isinstance(row.get("ref"), str) else None
        out.append(ProjectEntry(name=name, source=source, ref=ref))
    return out


def migrate_project(root: Path) -> dict[str, Any]:
    """Write ``alc.toml`` from ``alc.lock`` when the project has a lock but no ``alc.toml``, and
    rename the old lock to ``alc.lock.bak`` (``alc_update`` / ``alc pkg install --update`` then
    writes the new one); nothing to do otherwise.

    Returns:
        ``{"project_root", "migrated": bool, "entries": [names], "alc_toml"?, "backup"?,
        "reason"?}``.

    Raises:
        InvalidInput: ``root`` is not a folder.
        InstallFailed: the lock file is unreadable or an entry has no source.
    """
    root = _folder(root)
    lock = root / LOCK_FILE
    base = {"project_root": str(root), "status": "ok"}
    if (root / PROJECT_FILE).exists():
        names = [e.name for e in read_project(root)]
        return {**base, "migrated": False, "entries": names, "reason": "alc.toml exists"}
    if not lock.is_file():
        return {**base, "migrated": False, "entries": [], "reason": "no alc.lock to convert"}
    entries = _locked_entries(lock)
    (root / PROJECT_FILE).write_text(_HEADER, encoding="utf-8")
    for entry in entries:
        add_entry(root, entry)
    backup = lock.replace(root / f"{LOCK_FILE}.bak")
    return {
        **base,
        "migrated": True,
        "entries": [e.name for e in entries],
        "alc_toml": str(root / PROJECT_FILE),
        "backup": str(backup),
    }
