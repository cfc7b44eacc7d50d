"""Package management: install, list, remove, link, doctor, scaffold and test strategy packages.

:class:`PackageManager` is the one entry point; the CLI (``alc pkg ...``), MCP (``alc_pkg``) and
the Python API translate their arguments into its methods. Every method returns a JSON-ready
``dict`` (the wire reply) and raises coded errors:

- :class:`~alc.engine.errors.InstallFailed` (``install_failed``): a source that cannot be
  fetched, holds no package or a broken one, a name taken by a link, a bad ``alc.toml``, a
  locked folder whose content changed; nothing on disk was changed.
- :class:`~alc.engine.errors.PackageNotFound` (``package_not_found``): no installed or linked
  package of that name in the scope.
- :class:`~alc.engine.errors.InvalidInput` (``invalid_input``): an unknown scope or action, an
  invalid package name (one validator, :func:`~alc.engine.pkg._guard.package_name`, at every
  entry point), or an install or link that would shadow a built-in strategy without
  ``override`` (the message names the built-ins it would shadow).

Nothing outside a package root is ever written or removed: a name is never a path, and every
folder written or removed is checked to be a direct child of its root. Installs read regular
files only, each at most :data:`~alc.engine.pkg._guard.MAX_FILE_BYTES`.

Scopes that can be written: ``user`` (``$ALC_HOME/packages``) and ``project``
(``<project>/.alc/packages``, the project being the nearest ``alc.toml`` from the working folder
up; installing into it lists the source in ``alc.toml`` and pins it in ``alc.lock``). Sources
that sessions loaded stay pinned in the session store by content hash, so upgrading or removing a
package never changes what an existing session replays.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from alc.engine.errors import InstallFailed, InvalidInput, PackageNotFound, StrategyNotFound
from alc.engine.executor import Executor
from alc.engine.packages import (
    PROJECT_FILE,
    PackageResolver,
    PackageRoot,
    StrategyPackage,
    builtin_root,
    find_project,
    project_root,
    user_root,
)
from alc.engine.pkg._doctor import Issue, diagnose
from alc.engine.pkg._fetch import Fetched, content_hash, discover, fetch, is_git_source, source_name
from alc.engine.pkg._guard import (
    MAX_FILE_BYTES,
    lua_files,
    package_folder,
    package_name,
    path_text,
    read_text,
    scan_package,
)
from alc.engine.pkg._layout import InstalledPackage, Staging, describe_package, remove_folder
from alc.engine.pkg._project import (
    LockEntry,
    ProjectEntry,
    add_entry,
    read_lock,
    read_project,
    remove_entry,
    write_lock,
)
from alc.engine.pkg._sandbox import check_syntax
from alc.engine.pkg._scaffold import scaffold
from alc.engine.pkg._spec import SPEC_LIMITS, SpecResult, run_spec, spec_files
from alc.engine.protocol import Limits

__all__ = [
    "ACTIONS",
    "MAX_FILE_BYTES",
    "WRITABLE_SCOPES",
    "InstalledPackage",
    "Issue",
    "PackageManager",
    "SpecResult",
    "builtin_names",
]

WRITABLE_SCOPES = ("user", "project")
"""The scopes ``install``, ``remove``, ``link`` and ``unlink`` may change."""

ACTIONS: dict[str, tuple[str, dict[str, type], tuple[str, ...]]] = {
    "install": (
        "install",
        {"source": str, "ref": str, "name": str, "scope": str, "update": bool, "override": bool},
        (),
    ),
    "list": ("list_packages", {"include_builtin": bool}, ()),
    "remove": ("remove", {"name": str, "scope": str}, ("name",)),
    "link": ("link", {"path": str, "name": str, "scope": str, "override": bool}, ("path",)),
    "unlink": ("unlink", {"name": str, "scope": str}, ("name",)),
    "doctor": ("doctor", {}, ()),
    "scaffold": ("scaffold", {"name": str, "directory": str}, ("name",)),
    "test": ("test", {"target": str, "answers": list}, ()),
}
"""Every operation :meth:`PackageManager.run` takes by name: (method, arguments with their
types, required arguments). The MCP ``alc_pkg`` tool's ``action`` is one of these keys;
``install`` also takes algocline's ``url`` for ``source``."""


class PackageManager:
    """Package operations over the search path of one working folder.

    Args:
        resolver: the search path whose packages are listed, diagnosed and tested (default:
            :class:`PackageResolver` of the working folder and environment).
        executor: where package Lua code runs (syntax checks, spec files); default inline.
        cwd: the working folder (finds the project's ``alc.toml``); default ``os.getcwd()``.
    """

    def __init__(
        self,
        resolver: PackageResolver | None = None,
        executor: Executor | None = None,
        cwd: str | os.PathLike[str] | None = None,
    ) -> None:
        try:
            self.cwd = Path(cwd or os.getcwd()).resolve()
        except OSError as exc:
            raise InstallFailed(
                f"The working folder cannot be read ({exc}); run from an existing folder."
            ) from None
        self.resolver = resolver or PackageResolver()
        self.executor = executor
        self.project = find_project(self.cwd if cwd else None)  # None: ALC_PROJECT_ROOT too

    def run(self, action: str, arguments: dict[str, Any]) -> dict[str, Any]:
        """One operation by name with JSON arguments (see :data:`ACTIONS`); the reply of the
        method it names.

        Raises:
            InvalidInput: an unknown action, an unknown, missing or mistyped argument.
        """
        if action not in ACTIONS:
            raise InvalidInput(
                f"Unknown package action {action!r}; use one of {', '.join(ACTIONS)}."
            )
        method, types, required = ACTIONS[action]
        if action == "install" and "url" in arguments:  # algocline's alc_pkg_install(url=...)
            arguments = {("source" if k == "url" else k): v for k, v in arguments.items()}
        problems = [f"unknown argument {k!r}" for k in arguments if k not in types]
        problems += [f"{k!r} is required" for k in required if arguments.get(k) is None]
        for key, kind in types.items():
            value = arguments.get(key)
            if value is not None and not isinstance(value, kind):
                problems.append(f"{key!r} must be a {'string' if kind is str else kind.__name__}")
        answers = arguments.get("answers")
        if isinstance(answers, list) and not all(isinstance(a, str) for a in answers):
            problems.append("'answers' must be a list of strings")
        if problems:
            raise InvalidInput(f"Package action {action!r}: {'; '.join(problems)}.")
        given = {k: v for k, v in arguments.items() if v is not None}
        reply: dict[str, Any] = getattr(self, method)(**given)
        return reply

    # ------------------------------------------------------------------ scopes

    def _root(self, scope: str, *, create_project: bool = False) -> Path:
        """The root of ``scope``; ``create_project``: without a project, the working folder
        becomes one (its ``alc.toml`` is written by the caller once the change succeeded)."""
        if scope == "user":
            return user_root()
        if scope != "project":
            raise InvalidInput(f"Unknown scope {scope!r}: use 'user' or 'project'.")
        if self.project is None:
            if not create_project:
                raise PackageNotFound(
                    f"No {PROJECT_FILE} in {self.cwd} or any folder above it, so there is no "
                    "project scope; install with --project to create one here, or use the "
                    "user scope."
                )
            self.project = self.cwd
        return project_root(self.project)

    def _path(self, path: str) -> Path:
        """A path argument, relative to this manager's working folder.

        Raises:
            InvalidInput: it cannot be a path (a NUL character, too long).
        """
        try:
            return self.cwd / Path(path_text(path, "path")).expanduser()
        except RuntimeError:  # ~user of no such user
            raise InvalidInput(f"The path {path[:60]!r} names an unknown user's home.") from None

    def _real(self, path: str | Path) -> Path:
        """A path argument (relative to the working folder) with its links resolved.

        Raises:
            InvalidInput: not a path, or a loop of symbolic links.
        """
        try:
            return self._path(str(path)).resolve()
        except (OSError, RuntimeError) as exc:
            raise InvalidInput(f"The path {str(path)[:60]!r} cannot be resolved: {exc}.") from None

    def _search(self) -> PackageResolver:
        """The search path with this manager's project as its project scope (the project may
        have been created since, or be another folder's than the resolver was built for)."""
        scoped = [r for r in self.resolver.scoped if r.scope != "project"]
        if self.project is not None:
            at = sum(1 for r in scoped if r.scope == "explicit")
            scoped.insert(at, PackageRoot(project_root(self.project), "project"))
        return PackageResolver(scoped)

    # ------------------------------------------------------------------ install

    def install(
        self,
        source: str | None = None,
        *,
        ref: str | None = None,
        name: str | None = None,
        scope: str = "user",
        update: bool = False,
        override: bool = False,
    ) -> dict[str, Any]:
        """Install a package, a collection, or (``source=None``) everything ``alc.toml`` lists.

        Args:
            source: a folder, a git URL (``file://`` too), or a collection root (no
                ``init.lua`` at its top: every ``*/init.lua`` is a package); None: the
                project's ``alc.toml`` entries, at their ``alc.lock`` pins.
            ref: branch, tag or commit to check out (git sources).
            name: the package name of a single-package source (default: its folder name).
            scope: ``user`` or ``project`` (created in the working folder if there is none).
            update: with ``source=None``, ignore ``alc.lock`` and pin what the sources hold now.
            override: let installed packages shadow built-in strategies of the same name
                (recorded in ``alc.toml`` for the project scope); without it such an install
                is refused.

        Returns:
            ``{"status": "ok", "scope", "root", "installed": [<package>, ...], "shadows":
            [<built-in names now shadowed>], "lock"?}``.

        Raises:
            InvalidInput: an invalid ``name``; built-ins would be shadowed without ``override``.
            InstallFailed: see the module docstring; nothing was changed.
        """
        if name is not None:
            package_name(name)
        for value, what in ((source, "source"), (ref, "ref")):
            if value is not None:
                path_text(value, what)
        if source is None:
            return self._install_project(update, override)
        had_project = self.project
        try:
            return self._install_source(source, ref, name, scope, override)
        except BaseException:
            self.project = had_project  # a project this call would have created is not made
            raise

    def _install_source(
        self, source: str, ref: str | None, name: str | None, scope: str, override: bool
    ) -> dict[str, Any]:
        root = self._root(scope, create_project=True)
        if not is_git_source(source):
            source = str(self._path(source))
        # a malformed alc.lock is refused before anything is installed
        locks = read_lock(self.project) if scope == "project" and self.project else {}
        with Staging(root) as stage, _Scratch(root) as scratch:
            fetched = fetch(source, ref, scratch.dir)
            scan_package(fetched.path)
            packages = discover(fetched.path, name or source_name(source))
            for folder in packages.values():  # links stay inside their own package
                scan_package(folder)
            collection = not (fetched.path / "init.lua").is_file()
            key = name or (source_name(source) if collection else next(iter(packages)))
            if collection and scope == "project":
                package_name(key, "The collection's name (its alc.toml key)")
            shadows = _refuse_shadowing(packages, override)
            lock = self._stage(stage, key, source, ref, fetched, packages)
            self._check(stage)
            stage.commit()
        reply = self._installed(scope, root, stage.names, shadows)
        if scope == "project" and self.project is not None:
            listed = source
            if fetched.kind == "folder":  # alc.toml paths are relative to the project
                listed = os.path.relpath(fetched.path, self.project)
            entry = ProjectEntry(key, listed, ref, collection, override=bool(shadows))
            add_entry(self.project, entry)
            locks[key] = replace(lock, source=listed)
            reply["lock"] = str(write_lock(self.project, locks))
        return reply

    def _stage(
        self,
        stage: Staging,
        key: str,
        source: str,
        ref: str | None,
        fetched: Fetched,
        packages: dict[str, Path],
    ) -> LockEntry:
        """Copy ``packages`` into ``stage``; returns the lock entry of the source."""
        shown = str(fetched.path) if fetched.kind == "folder" else source
        metadata = {"source": shown, "kind": fetched.kind, "ref": ref, "commit": fetched.commit}
        for package, folder in packages.items():
            stage.add(package, folder, metadata)
        return LockEntry(
            name=key,
            source=source,
            ref=ref,
            commit=fetched.commit,
            hash=content_hash(fetched.path),
            packages=tuple(packages),
        )

    def _check(self, stage: Staging) -> None:
        """Refuse the install when a staged Lua file does not compile (nothing is changed)."""
        texts: dict[str, str] = {}
        for name in stage.names:
            folder = stage.dir / name
            if not (folder / "init.lua").is_file():
                raise InstallFailed(f"Package {name!r} has no init.lua; it cannot be installed.")
            for path in lua_files(folder):
                rel = f"{name}/{path.relative_to(folder).as_posix()}"
                try:
                    texts[rel] = read_text(path)
                except InstallFailed as exc:
                    raise InstallFailed(f"{rel}: {exc.message} Nothing was installed.") from None
        broken = check_syntax(texts, self.resolver, self.executor)
        if broken:
            shown = "; ".join(f"{k}: {v}" for k, v in sorted(broken.items())[:5])
            raise InstallFailed(
                f"{len(broken)} Lua file(s) do not compile ({shown}); nothing was installed. "
                "Fix the source, or install the packages that are fine one by one."
            )

    def _install_project(self, update: bool, override: bool) -> dict[str, Any]:
        if self.project is None:
            raise InstallFailed(
                f"No {PROJECT_FILE} in {self.cwd} or above; give a SOURCE to install, or "
                f"create {PROJECT_FILE} with a [packages] table."
            )
        project = self.project
        entries, locks = read_project(project), ({} if update else read_lock(project))
        root = project_root(project)
        new_locks: dict[str, LockEntry] = {}
        shadows: list[str] = []
        with Staging(root) as stage:
            for entry in entries:
                allowed = override or entry.override
                new_locks[entry.name] = self._stage_entry(
                    stage, entry, locks.get(entry.name), allowed, shadows
                )
            self._check(stage)
            stage.commit()
        reply = self._installed("project", root, stage.names, sorted(shadows))
        reply["lock"] = str(write_lock(project, new_locks))
        return reply

    def _stage_entry(
        self,
        stage: Staging,
        entry: ProjectEntry,
        lock: LockEntry | None,
        override: bool,
        shadows: list[str],
    ) -> LockEntry:
        """Fetch one ``alc.toml`` entry (at its locked commit, if any) into ``stage``; the
        built-ins it shadows (allowed by ``override``) are added to ``shadows``."""
        project = self.project or self.cwd
        source = entry.source
        if not is_git_source(source) and not Path(source).expanduser().is_absolute():
            source = str(project / source)
        pinned = lock is not None and lock.source == entry.source and lock.ref == entry.ref
        ref = lock.commit if pinned and lock is not None and lock.commit else entry.ref
        with _Scratch(stage.root) as scratch:
            fetched = fetch(source, ref, scratch.dir)
            scan_package(fetched.path)
            if pinned and lock is not None and fetched.kind == "folder":
                now = content_hash(fetched.path)
                if now != lock.hash:
                    raise InstallFailed(
                        f"{entry.name}: the folder {source} changed since alc.lock pinned it "
                        f"({lock.hash[:19]}..., now {now[:19]}...); install with --update to "
                        "accept the new content."
                    )
            packages = discover(fetched.path, entry.name)
            for folder in packages.values():
                scan_package(folder)
            if entry.only:
                unknown = sorted(set(entry.only) - set(packages))
                if unknown:
                    raise InstallFailed(f"{entry.name}: only names unknown packages {unknown}.")
                packages = {k: v for k, v in packages.items() if k in entry.only}
            shadows += _refuse_shadowing(packages, override, f"alc.toml entry {entry.name!r}: ")
            locked = self._stage(stage, entry.name, entry.source, entry.ref, fetched, packages)
        return locked

    def _installed(
        self, scope: str, root: Path, names: Sequence[str], shadows: Sequence[str]
    ) -> dict[str, Any]:
        listed = {p["name"]: p for p in self.list_packages(include_builtin=False)["packages"]}
        installed = [
            listed.get(n) or {"name": n, "scope": scope, "path": str(root / n)} for n in names
        ]
        return {
            "status": "ok",
            "scope": scope,
            "root": str(root),
            "installed": installed,
            "shadows": list(shadows),
        }

    # ------------------------------------------------------------------ list / remove / link

    def list_packages(self, *, include_builtin: bool = False) -> dict[str, Any]:
        """Every package on the search path, shadowed ones included, in search order.

        Returns:
            ``{"status": "ok", "packages": [<InstalledPackage.wire()>, ...], "roots":
            [{"scope", "path"}, ...], "project": <folder or None>}``.
        """
        search = self._search()
        winners: dict[str, StrategyPackage] = {}
        rows = []
        for package in search.every_package():
            first = winners.setdefault(package.name, package)
            shadowed = None if first is package else first.scope
            if package.scope == "builtin" and not include_builtin:
                continue
            rows.append(describe_package(package, shadowed).wire())
        return {
            "status": "ok",
            "packages": rows,
            "roots": [{"scope": r.scope, "path": str(r.path)} for r in search.scoped],
            "project": str(self.project) if self.project else None,
        }

    def _find(self, name: str, scope: str | None) -> tuple[str, Path]:
        package_name(name)
        scopes = [scope] if scope else (["project"] if self.project else []) + ["user"]
        for candidate in scopes:
            folder = package_folder(self._root(candidate), name)
            if folder.is_symlink() or folder.is_dir():
                return candidate, folder
        where = " or ".join(scopes)
        raise PackageNotFound(
            f"No package {name!r} is installed in the {where} scope; list the installed "
            "packages to see what is there (built-in and ALC_PACKAGES_PATH packages cannot be "
            "removed)."
        )

    def remove(self, name: str, *, scope: str | None = None) -> dict[str, Any]:
        """Remove an installed package (project scope: also drop it from alc.toml / alc.lock).

        Raises:
            InvalidInput: ``name`` is not a package name (a path, ``..``, too long...).
            PackageNotFound: not installed in the scope (default: project, then user).
            InstallFailed: it is a link (unlink it instead), or it cannot be deleted.
        """
        found_scope, folder = self._find(name, scope)
        if folder.is_symlink():
            raise InstallFailed(f"{name} is a linked working folder; unlink it instead.")
        if found_scope == "project" and self.project is not None:
            read_lock(self.project)  # a malformed alc.lock is refused before anything changes
        remove_folder(folder)
        listed = False
        if found_scope == "project" and self.project is not None:
            listed = remove_entry(self.project, name)
        return {
            "status": "ok",
            "removed": name,
            "scope": found_scope,
            "path": str(folder),
            "unlisted": listed,
        }

    def link(
        self,
        path: str,
        *,
        name: str | None = None,
        scope: str = "user",
        override: bool = False,
    ) -> dict[str, Any]:
        """Register a working folder as a package by a symbolic link (edits show at once).

        ``override`` lets the link shadow a built-in strategy of the same name.

        Raises:
            InvalidInput: an invalid name, or it would shadow a built-in without ``override``.
            InstallFailed: no ``init.lua`` there, or the name is taken.
        """
        if name is not None:
            package_name(name)
        folder = self._real(path)
        if not (folder / "init.lua").is_file():
            raise InstallFailed(f"{folder} has no init.lua; link a package folder.")
        package = name or folder.name
        discover(folder, package)  # validates the folder's name when no name is given
        shadows = _refuse_shadowing({package: folder}, override)
        root = self._root(scope, create_project=True)
        target = package_folder(root, package)
        if target.exists() or target.is_symlink():
            raise InstallFailed(
                f"{package} is already installed at {target}; remove it first or pass --name."
            )
        try:
            root.mkdir(parents=True, exist_ok=True)
            if scope == "project" and self.project and not (self.project / PROJECT_FILE).exists():
                (self.project / PROJECT_FILE).write_text("[packages]\n", encoding="utf-8")
            target.symlink_to(folder, target_is_directory=True)
        except OSError as exc:
            raise InstallFailed(f"Cannot link {target} to {folder}: {exc}.") from None
        return {
            "status": "ok",
            "linked": package,
            "scope": scope,
            "path": str(target),
            "target": str(folder),
            "shadows": shadows,
        }

    def unlink(self, name: str, *, scope: str | None = None) -> dict[str, Any]:
        """Remove a link made by :meth:`link` (the working folder itself is untouched).

        Raises:
            InvalidInput: ``name`` is not a package name.
            PackageNotFound: no such package in the scope.
            InstallFailed: the package is installed, not linked (remove it instead).
        """
        found_scope, folder = self._find(name, scope)
        if not folder.is_symlink():
            raise InstallFailed(f"{name} is an installed package, not a link; remove it instead.")
        target = os.readlink(folder)
        folder.unlink()
        return {"status": "ok", "unlinked": name, "scope": found_scope, "target": target}

    # ------------------------------------------------------------------ doctor / scaffold / test

    def doctor(self) -> dict[str, Any]:
        """Broken, shadowed and missing packages, each with a fix (see ``_doctor``).

        Returns:
            ``{"status": "ok", "healthy": bool, "errors": n, "warnings": n, "issues": [...]}``;
            ``healthy`` is False when any issue has severity ``error``.
        """
        search = self._search()
        issues = diagnose(
            search, self.project, lambda texts: check_syntax(texts, search, self.executor)
        )
        errors = sum(1 for i in issues if i.severity == "error")
        return {
            "status": "ok",
            "healthy": errors == 0,
            "errors": errors,
            "warnings": len(issues) - errors,
            "issues": [i.wire() for i in issues],
        }

    def scaffold(self, name: str, *, directory: str | None = None, **meta: str) -> dict[str, Any]:
        """Create a new package folder (``M.meta``, ``M.spec``, ``M.run`` and a spec file);
        ``meta``: ``category`` / ``description`` of ``M.meta``.

        Raises:
            InvalidInput: an invalid name, category or description.
            InstallFailed: an existing folder (nothing is overwritten).
        """
        package_name(name)
        base = self._real(directory) if directory else self.cwd
        folder = scaffold(name, base, **meta)
        files = sorted(p.relative_to(base).as_posix() for p in folder.rglob("*") if p.is_file())
        return {"status": "ok", "created": name, "path": str(folder), "files": files}

    def test(
        self,
        target: str | None = None,
        *,
        answers: Sequence[str] = (),
        limits: Limits | None = None,
    ) -> dict[str, Any]:
        """Run the ``*_spec.lua`` files of one package, a folder, or every installed package.

        Args:
            target: a package name on the search path, a package or collection folder, or None
                (the package in the working folder, else every project and user package).
            answers: the scripted ``alc.llm`` answers, used in turn (default ``"mock answer"``).
            limits: the sandbox limits of each spec file's run (default :data:`SPEC_LIMITS`:
                the session defaults with a 120 s step).

        Returns:
            ``{"status": "ok", "ok": bool, "files": [<SpecResult.wire()>, ...], "passed",
            "failed"}`` (files that passed / did not); ``ok`` is True when every file passed.

        Raises:
            PackageNotFound: ``target`` is neither a package on the search path nor a folder.
        """
        search = self._search()
        results = [
            run_spec(
                name,
                root,
                spec,
                search,
                answers=answers,
                limits=limits or SPEC_LIMITS,
                executor=self.executor,
            )
            for name, root, folder in self._targets(target, search)
            for spec in spec_files(folder)
        ]
        passed = sum(1 for r in results if r.ok)
        return {
            "status": "ok",
            "ok": passed == len(results),
            "files": [r.wire() for r in results],
            "passed": passed,
            "failed": len(results) - passed,
        }

    def _targets(self, target: str | None, search: PackageResolver) -> list[tuple[str, Path, Path]]:
        """``(name, root, folder)`` of each package to test."""
        folder = self._path(target) if target else self.cwd
        if target is None or (folder.is_dir() and ("/" in target or target in (".", ".."))):
            folder = self._real(folder)
            if (folder / "init.lua").is_file():
                return [(folder.name, folder.parent, folder)]
            inside = sorted(p.parent for p in folder.glob("*/init.lua"))
            if inside:
                return [(p.name, folder, p) for p in inside]
            if target is not None:
                raise PackageNotFound(f"{folder} holds no package (no init.lua, no */init.lua).")
            return [
                (p.name, p.root, p.path.parent)
                for p in search.strategies()
                if p.scope in WRITABLE_SCOPES
            ]
        try:
            package = search.strategy(target)
        except StrategyNotFound:
            raise PackageNotFound(
                f"No package {target!r} on the search path and no such folder; list the "
                "packages, or give a path (./NAME)."
            ) from None
        return [(package.name, package.root, package.path.parent)]


class _Scratch:
    """A temporary folder beside ``root`` for clones (removed on exit)."""

    def __init__(self, root: Path) -> None:
        self._stage = Staging(root)
        self.dir = self._stage.dir

    def __enter__(self) -> _Scratch:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stage.committed = True  # a scratch folder never removes the root it sits in
        self._stage.__exit__()


def builtin_names() -> frozenset[str]:
    """Every top-level module name of the built-in strategies folder (``NAME/`` or
    ``NAME.lua``): the names an installed or linked package would shadow."""
    root = builtin_root()
    return frozenset(
        p.stem if p.suffix == ".lua" else p.name
        for p in root.iterdir()
        if (p.is_dir() or p.suffix == ".lua") and not p.name.startswith((".", "__"))
    )


def _refuse_shadowing(packages: dict[str, Path], override: bool, where: str = "") -> list[str]:
    """The built-in names ``packages`` would shadow (sorted); without ``override``, none may.

    Raises:
        InvalidInput: some would be shadowed and ``override`` is False (the names are listed).
    """
    shadows = sorted(set(packages) & builtin_names())
    if shadows and not override:
        raise InvalidInput(
            f"{where}Installing would shadow {len(shadows)} built-in strateg"
            f"{'y' if len(shadows) == 1 else 'ies'} ({', '.join(shadows)}): the installed "
            "package(s) of those names would run instead of alc's own, which may take other "
            "arguments and return other shapes. Nothing was installed. Install again with "
            "override to replace them, or install only the packages you need."
        )
    return shadows
