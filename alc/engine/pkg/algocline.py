"""algocline's package tools over :class:`~alc.engine.pkg.PackageManager`: the compositions
the ``algocline`` MCP profile's ``alc_pkg_*`` and ``alc_hub_*`` tools reply with (see
docs/compatibility.md for each mapping). Every name goes through
:func:`~alc.engine.pkg._guard.package_name`; every write is the manager's (inside its root) or
a project file (``alc.toml`` / ``alc.local.toml``) of the manager's project.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alc.engine.errors import InstallFailed, InvalidInput, PackageNotFound, StrategyNotFound
from alc.engine.packages import PackageResolver, project_root, user_root
from alc.engine.pkg import hub
from alc.engine.pkg._guard import package_folder, package_name
from alc.engine.pkg._project import (
    LOCAL_FILE,
    ProjectEntry,
    add_entry,
    read_lock,
    read_project,
    remove_entry,
)
from alc.engine.pkg._spec import run_spec, spec_files

if TYPE_CHECKING:
    from alc.engine.pkg import PackageManager

__all__ = [
    "DOCTOR_BUCKETS",
    "SUMMARY_FIELDS",
    "doctor",
    "hub_rows",
    "link",
    "list_rows",
    "remove",
    "repair",
    "select_rows",
    "test_spec",
]

DOCTOR_BUCKETS = (
    "healthy",
    "incomplete_pkg",
    "installed_missing",
    "symlink_dangling",
    "path_missing",
    "missing_meta",
    "missing_hub_index",
    "spec_missing",
    "stale_cache",
)
"""algocline's doctor buckets, in its order."""

SUMMARY_FIELDS = ("name", "version", "type", "category", "description", "scope", "kind")


def _facts(row: dict[str, Any]) -> dict[str, Any]:
    """``row`` with ``type``, ``category`` and ``description`` read from its ``init.lua``."""
    try:
        facts = hub.describe_folder(Path(row["path"]))
    except InstallFailed:
        facts = {"type": None, "category": None, "description": None, "doc": ""}
    return {**row, **{k: facts[k] for k in ("type", "category", "description")}}


def select_rows(
    rows: Sequence[dict[str, Any]],
    *,
    filter: Mapping[str, Any] | None = None,
    sort: str | None = None,
    limit: int | None = None,
    fields: Sequence[str] | None = None,
    summary: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """``rows`` kept where every ``filter`` field equals its value, sorted by ``sort`` (a field,
    ``-field`` descending), at most ``limit`` (0 or None: all), each cut to ``fields`` (else to
    ``summary`` when given).

    Raises:
        InvalidInput: ``filter`` is not an object; ``limit`` below 0.
    """
    if filter is not None and not isinstance(filter, Mapping):
        raise InvalidInput("filter must be an object of field: value pairs.")
    if limit is not None and limit < 0:
        raise InvalidInput("limit must be 0 or more.")
    kept = [r for r in rows if all(r.get(k) == v for k, v in (filter or {}).items())]
    if sort:
        key = sort.lstrip("-")
        kept.sort(key=lambda r: str(r.get(key) or ""), reverse=sort.startswith("-"))
    if limit:
        kept = kept[:limit]
    cut = fields or summary
    return [{k: r.get(k) for k in cut} for r in kept] if cut else kept


def list_rows(manager: PackageManager) -> list[dict[str, Any]]:
    """Every package on the search path (built-ins too) with its ``type`` (``runnable`` /
    ``library``), ``category`` and ``description``."""
    listed = manager.list_packages(include_builtin=True)["packages"]
    return [_facts(r) for r in listed]


def link(
    manager: PackageManager, path: str, name: str | None, force: bool, scope: str
) -> dict[str, Any]:
    """algocline's link: ``global`` links into the user scope (``force``: may shadow a
    built-in, and replaces an existing link of that name, never an installed copy);
    ``variant`` writes ``[packages.<name>] path = "<folder>"`` into the project's
    ``alc.local.toml`` (``alc_update`` installs it).

    Raises:
        InvalidInput: an unknown scope, an invalid name, no project for a variant.
        InstallFailed: the folder has no ``init.lua``; the name is taken (global).
    """
    if scope not in ("global", "variant"):
        raise InvalidInput(f"Unknown scope {scope!r}: use 'global' or 'variant'.")
    folder = manager._real(path)
    if not (folder / "init.lua").is_file():
        raise InstallFailed(f"{folder} has no init.lua; link a package folder.")
    package = package_name(name or folder.name)
    if scope == "global":
        existing = package_folder(user_root(), package)
        if force and existing.is_symlink():  # algocline's force replaces a link
            existing.unlink()
        return manager.link(path, name=name, scope="user", override=force)
    if manager.project is None:
        raise InvalidInput("A variant is written to alc.local.toml: run alc_init first.")
    add_entry(manager.project, ProjectEntry(package, str(folder), override=force), LOCAL_FILE)
    return {
        "status": "ok",
        "linked": package,
        "scope": "variant",
        "file": str(manager.project / LOCAL_FILE),
        "target": str(folder),
        "next": "alc_update installs the variant into the project",
    }


def remove(
    manager: PackageManager, name: str, version: str | None, scope: str | None
) -> dict[str, Any]:
    """algocline's remove: ``project`` drops the ``alc.toml`` / ``alc.local.toml`` entry (and
    alc's installed copy in ``.alc/packages``); ``global`` removes alc's copy in the user scope;
    ``all`` (default) both. A package's source folder is never touched. ``version``: remove only
    when the installed ``M.meta.version`` is that.

    Raises:
        InvalidInput: an invalid name or scope.
        PackageNotFound: nothing of that name (and version) in the scope.
    """
    package_name(name)
    scope = scope or "all"
    if scope not in ("project", "global", "all"):
        raise InvalidInput(f"Unknown scope {scope!r}: use 'project', 'global' or 'all'.")
    if version is not None:
        versions = {r["version"] for r in manager.list_packages()["packages"] if r["name"] == name}
        if version not in versions:
            raise PackageNotFound(f"No package {name!r} of version {version!r} is installed.")
    done: list[dict[str, Any]] = []
    if scope in ("project", "all") and manager.project is not None:
        project = manager.project
        unlisted = [f for f in ("alc.toml", LOCAL_FILE) if remove_entry(project, name, f)]
        if (project_root(project) / name).exists() or (project_root(project) / name).is_symlink():
            done.append(manager.remove(name, scope="project"))
        elif unlisted:
            done.append({"removed": name, "scope": "project", "unlisted": True})
        for row in done:
            row["manifests"] = unlisted
    if scope in ("global", "all"):
        try:
            done.append(manager.remove(name, scope="user"))
        except PackageNotFound:
            if scope == "global" or not done:
                raise
    if not done:
        raise PackageNotFound(f"No package {name!r} is listed or installed in the project.")
    return {"status": "ok", "removed": name, "scope": scope, "results": done}


def repair(manager: PackageManager, name: str | None) -> dict[str, Any]:
    """Reinstall the project's ``alc.toml`` / ``alc.local.toml`` entries whose folder is
    missing (all at their ``alc.lock`` pins); ``name``: only when that one is missing.

    Returns:
        ``{"status": "ok", "repaired": [names], "install": <install reply> | None}``.

    Raises:
        InvalidInput: an invalid name.
        PackageNotFound: ``name`` is not listed in the project.
        InstallFailed: the reinstall failed (nothing changed).
    """
    if name is not None:
        package_name(name)
    if manager.project is None:
        return {"status": "ok", "repaired": [], "install": None, "project": None}
    entries = {e.name: e for e in read_project(manager.project)}
    if name is not None and name not in entries:
        raise PackageNotFound(f"{name!r} is not listed in alc.toml or alc.local.toml.")
    lock, root = read_lock(manager.project), project_root(manager.project)
    missing = []
    for entry in entries.values():
        names = lock[entry.name].packages if entry.name in lock else (entry.name,)
        if any(not (root / n / "init.lua").is_file() for n in names):
            missing.append(entry.name)
    if name is not None:
        missing = [m for m in missing if m == name]
    reply = manager.install() if missing else None
    return {"status": "ok", "repaired": missing, "install": reply}


def _bucket(issue: dict[str, Any]) -> str:
    detail = str(issue.get("detail", ""))
    if issue["kind"] == "missing":
        return "path_missing" if "does not exist" in detail else "installed_missing"
    if issue["kind"] == "broken":
        return "symlink_dangling" if "linked folder" in detail else "incomplete_pkg"
    return "stale_cache" if issue["kind"] == "stale" else "shadowed"


def doctor(manager: PackageManager, name: str | None) -> dict[str, Any]:
    """alc's doctor findings sorted into algocline's buckets (:data:`DOCTOR_BUCKETS`) plus
    ``shadowed``; ``missing_meta``: no literal ``M.meta.version``; ``spec_missing``: no
    ``*_spec.lua``; ``path_missing``: a project entry's folder is gone; ``missing_hub_index``:
    a project entry's collection folder without ``hub_index.json``; ``stale_cache``: an
    ``alc.lock`` entry no longer listed. Read-only.

    Returns:
        ``{"status": "ok", "healthy": bool, "buckets": {bucket: [names]}, "issues": [...]}``.
    """
    if name is not None:
        package_name(name)
    found = manager.doctor()
    buckets: dict[str, list[str]] = {b: [] for b in (*DOCTOR_BUCKETS, "shadowed")}
    for issue in found["issues"]:
        buckets[_bucket(issue)].append(issue["name"])
    for row in list_rows(manager):
        if row["scope"] == "builtin":
            continue
        folder = Path(row["path"])
        if row["version"] is None:
            buckets["missing_meta"].append(row["name"])
        if not spec_files(folder):
            buckets["spec_missing"].append(row["name"])
    _project_buckets(manager, buckets)
    flagged = {n for b, names in buckets.items() if b != "healthy" for n in names}
    buckets["healthy"] = [
        r["name"]
        for r in list_rows(manager)
        if r["scope"] != "builtin" and r["name"] not in flagged
    ]
    if name is not None:
        buckets = {b: [n for n in names if n == name] for b, names in buckets.items()}
    out = {b: sorted(set(v)) for b, v in buckets.items()}
    return {"status": "ok", "healthy": found["healthy"], "buckets": out, "issues": found["issues"]}


def _project_buckets(manager: PackageManager, buckets: dict[str, list[str]]) -> None:
    project = manager.project
    if project is None:
        return
    try:
        entries, lock = read_project(project), read_lock(project)
    except InstallFailed:
        return  # the doctor's own findings report the broken file
    for entry in entries:
        source = Path(entry.source).expanduser()
        folder = source if source.is_absolute() else project / source
        if "://" in entry.source or entry.source.startswith("git@"):
            continue
        if not folder.exists():
            buckets["path_missing"].append(entry.name)
        elif entry.collection and not (folder / hub.INDEX_FILE).is_file():
            buckets["missing_hub_index"].append(entry.name)
    listed = {e.name for e in entries}
    buckets["stale_cache"].extend(n for n in lock if n not in listed)


def hub_rows(manager: PackageManager, local_indices: Sequence[str]) -> list[dict[str, Any]]:
    """The installed packages (``installed: true``, ``source: "installed"``) followed by the
    entries of each local index (a ``hub_index.json`` file or a folder holding one) not
    installed, each with ``source`` (the index path).

    Raises:
        InvalidInput: an index that cannot be read.
    """
    rows: dict[str, dict[str, Any]] = {}
    for row in list_rows(manager):
        rows.setdefault(row["name"], {**row, "installed": True, "source": "installed"})
    for given in local_indices:
        path = manager._real(given)
        for entry in hub.load_index(path):
            if entry["name"] not in rows:
                rows[entry["name"]] = {**entry, "installed": False, "source": str(path)}
    return list(rows.values())


def test_spec(
    manager: PackageManager,
    *,
    pkg: str | None = None,
    code_file: str | None = None,
    code: str | None = None,
    spec_dir: str | None = None,
    filter: str | None = None,
    search_paths: Sequence[str] = (),
) -> dict[str, Any]:
    """algocline's ``alc_pkg_test``: the spec files of package ``pkg`` (or those in
    ``spec_dir``), one file ``code_file``, or inline spec ``code``; ``filter`` keeps files whose
    name holds it; ``search_paths`` are package folders searched first.

    Returns:
        the reply of :meth:`PackageManager.test`: ``{"ok", "files", "passed", "failed"}``.

    Raises:
        InvalidInput: not exactly one of pkg / code_file / code; a path that is not usable.
        PackageNotFound: no such package, file or folder.
    """
    given = [k for k, v in (("pkg", pkg), ("code_file", code_file), ("code", code)) if v]
    if len(given) != 1:
        raise InvalidInput("Give exactly one of pkg, code_file or code.")
    extra = [manager._real(p) for p in search_paths]
    search = PackageResolver([*extra, *manager._search().scoped])
    with tempfile.TemporaryDirectory(prefix="alc-spec-") as scratch:
        if code is not None:
            spec = Path(scratch) / "inline_spec.lua"
            spec.write_text(code, "utf-8")
            targets = [("inline", Path(scratch), [spec])]
        elif code_file is not None:
            spec = manager._real(code_file)
            if not spec.is_file():
                raise PackageNotFound(f"No spec file {code_file[:200]!r}.")
            home = next((d for d in spec.parents if (d / "init.lua").is_file()), None)
            name = home.name if home else spec.stem.removesuffix("_spec")
            targets = [(name, home.parent if home else spec.parent, [spec])]
        else:
            targets = _package_specs(manager, search, str(pkg), spec_dir)
        results = [
            run_spec(name, root, f, search, executor=manager.executor)
            for name, root, files in targets
            for f in files
            if not filter or filter in f.name
        ]
    passed = sum(1 for r in results if r.ok)
    return {
        "status": "ok",
        "ok": passed == len(results) and bool(results),
        "files": [r.wire() for r in results],
        "passed": passed,
        "failed": len(results) - passed,
    }


def _package_specs(
    manager: PackageManager, search: PackageResolver, pkg: str, spec_dir: str | None
) -> list[tuple[str, Path, list[Path]]]:
    package_name(pkg)
    try:
        found = search.strategy(pkg)
    except StrategyNotFound:
        raise PackageNotFound(f"No package {pkg!r} on the search path.") from None
    folder = manager._real(spec_dir) if spec_dir else found.path.parent
    if not folder.is_dir():
        raise PackageNotFound(f"No spec folder {str(spec_dir)[:200]!r}.")
    return [(found.name, found.root, spec_files(folder))]
