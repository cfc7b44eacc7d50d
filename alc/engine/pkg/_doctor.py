"""``alc pkg doctor``: broken, shadowed and missing packages, each with how to fix it.

- **broken**: a linked folder that is gone or has no ``init.lua``; an installed folder without
  ``init.lua``; a Lua file of a package that does not compile.
- **shadowed**: the same package name in two roots: only the first in search order is used.
- **missing**: listed in ``alc.toml`` but not installed in the project (or not locked).

Each issue carries ``fix`` (a sentence) and ``action``: the package operation that fixes it
(``{"action": "install" | "remove" | "unlink", ...}``), which a front end can run as is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alc.engine.errors import InstallFailed
from alc.engine.packages import PackageResolver, StrategyPackage, project_root
from alc.engine.pkg._guard import lua_files, read_text
from alc.engine.pkg._layout import read_metadata
from alc.engine.pkg._project import read_lock, read_project

__all__ = ["Issue", "diagnose"]

SyntaxCheck = Callable[[dict[str, str]], dict[str, str]]


@dataclass(frozen=True)
class Issue:
    """One problem found by the doctor.

    Attributes:
        kind: ``broken``, ``shadowed`` or ``missing``.
        severity: ``error`` (the package cannot be used as meant) or ``warning`` (shadowed).
        name / scope / path: the package, its root's scope, its folder (None when missing).
        detail: what is wrong, one sentence.
        fix: what to do, one sentence.
        action: the package operation that fixes it, or None when it needs an edit by hand.
    """

    kind: str
    severity: str
    name: str
    scope: str
    path: str | None
    detail: str
    fix: str
    action: dict[str, Any] | None = None

    def wire(self) -> dict[str, Any]:
        """JSON-ready dict of every field."""
        return dict(self.__dict__)


def _broken_folders(resolver: PackageResolver) -> list[Issue]:
    issues = []
    for entry in resolver.scoped:
        if entry.scope == "builtin" or not entry.path.is_dir():
            continue
        for folder in sorted(entry.path.iterdir()):
            if folder.name.startswith(".") or (folder / "init.lua").is_file():
                continue
            linked = folder.is_symlink()
            if not linked and not read_metadata(folder):
                continue  # a plain folder (a library's modules, say): not a package of alc's
            what = "a linked folder that is gone or" if linked else "an installed package that"
            action = {
                "action": "unlink" if linked else "remove",
                "name": folder.name,
                "scope": entry.scope,
            }
            issues.append(
                Issue(
                    "broken",
                    "error",
                    folder.name,
                    entry.scope,
                    str(folder),
                    f"{folder.name} is {what} has no init.lua.",
                    f"run: alc pkg {action['action']} {folder.name} --scope {entry.scope}, "
                    "then install or link it again",
                    action,
                )
            )
    return issues


def _syntax(resolver: PackageResolver, check: SyntaxCheck) -> list[Issue]:
    where: dict[str, tuple[str, str, Path]] = {}
    texts: dict[str, str] = {}
    errors: dict[str, str] = {}
    for package in resolver.every_package():
        if package.scope == "builtin":
            continue
        folder = package.path.parent
        for path in lua_files(folder):
            key = f"{package.scope}:{package.name}/{path.relative_to(folder).as_posix()}"
            where[key] = (package.name, package.scope, folder)
            try:
                texts[key] = read_text(path)
            except InstallFailed as exc:
                errors[key] = f"cannot be read ({exc.message})"
    errors.update((k, f"does not compile: {v}") for k, v in check(texts).items())
    issues = []
    for key, error in sorted(errors.items()):
        name, scope, folder = where[key]
        issues.append(
            Issue(
                "broken",
                "error",
                name,
                scope,
                str(folder),
                f"{key.split(':', 1)[1]} {error}",
                "fix the Lua file (or reinstall the package from a good source)",
            )
        )
    return issues


def _shadowed(resolver: PackageResolver) -> list[Issue]:
    winners: dict[str, StrategyPackage] = {}
    issues = []
    for package in resolver.every_package():
        first = winners.setdefault(package.name, package)
        if first is package:
            continue
        winner = first.scope
        action = {"action": "remove", "name": package.name, "scope": winner}
        issues.append(
            Issue(
                "shadowed",
                "warning",
                package.name,
                package.scope,
                str(package.path.parent),
                f"{package.name} ({package.scope}, {package.path.parent}) is shadowed by "
                f"{package.name} ({winner}, {first.path.parent}), which comes first.",
                f"if the {package.scope} one is meant, remove the {winner} one "
                f"(alc pkg remove {package.name} --scope {winner}); otherwise ignore this",
                action if winner in ("user", "project") else None,
            )
        )
    return issues


def _missing(project: Path | None) -> list[Issue]:
    if project is None:
        return []
    try:
        entries, lock = read_project(project), read_lock(project)
    except InstallFailed as exc:
        return [
            Issue(
                "missing",
                "error",
                "alc.toml",
                "project",
                str(project),
                exc.message,
                "fix alc.toml (or alc.lock) by hand",
            )
        ]
    root, issues = project_root(project), []
    for entry in entries:
        locked = lock.get(entry.name)
        names = list(locked.packages) if locked else ([] if entry.collection else [entry.name])
        absent = [n for n in names if not (root / n / "init.lua").is_file()]
        if locked is None or absent:
            what = ", ".join(absent) if absent else "not installed or not in alc.lock"
            issues.append(
                Issue(
                    "missing",
                    "error",
                    entry.name,
                    "project",
                    None,
                    f"{entry.name} is listed in alc.toml but {what}"
                    + (" is not installed." if absent else "."),
                    "run: alc pkg install (installs everything alc.toml lists)",
                    {"action": "install"},
                )
            )
    return issues


def diagnose(resolver: PackageResolver, project: Path | None, check: SyntaxCheck) -> list[Issue]:
    """Every issue of the search path and of the project's ``alc.toml``, errors first."""
    issues = [
        *_broken_folders(resolver),
        *_syntax(resolver, check),
        *_missing(project),
        *_shadowed(resolver),
    ]
    return sorted(issues, key=lambda i: (i.severity != "error", i.kind, i.name, i.scope))
