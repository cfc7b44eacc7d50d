"""Strategy resolution: where ``require("name")`` and ``start(strategy=...)`` find Lua code.

Search order (first hit wins), each root tagged with its *scope*:

1. ``explicit``: folders given to the Python API (``Engine(packages_path=...)``), in order;
2. ``project``: ``<project>/.alc/packages``, where ``<project>`` is the nearest folder, from the
   working folder up, that holds an ``alc.toml`` (packages listed there; ``alc pkg install``);
3. ``user``: ``$ALC_HOME/packages`` (``ALC_HOME`` defaults to ``~/.alc``; ``alc pkg install``
   without ``--project``, and ``alc pkg link``);
4. ``builtin``: the strategies shipped in ``alc/strategies``;
5. ``path``: every directory in ``ALC_PACKAGES_PATH`` (colon-separated), in order — last, so an
   installed or built-in package is never shadowed by a stray environment variable.

``require("a.b")`` maps to ``a/b.lua`` or ``a/b/init.lua`` under a root. Names are validated
before any path is built, and every resolved file must lie inside its package folder (the first
path component under the root; a linked package folder counts as its target), so ``..``,
absolute paths and symbolic links inside a package can never reach outside it.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from alc.engine.errors import StrategyNotFound

__all__ = [
    "PROJECT_FILE",
    "SCOPES",
    "PackageResolver",
    "PackageRoot",
    "StrategyPackage",
    "alc_home",
    "builtin_root",
    "default_roots",
    "find_project",
    "is_module_name",
    "project_root",
    "source_hash",
    "user_root",
]

PROJECT_FILE = "alc.toml"
"""The file that makes a folder a project (its packages live in ``.alc/packages`` beside it)."""

SCOPES = ("explicit", "project", "user", "builtin", "path")
"""Every root scope, in search order."""

_MODULE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*(\.[A-Za-z_][A-Za-z0-9_\-]*)*$")


def alc_home() -> Path:
    """``$ALC_HOME`` or ``~/.alc``: the store, user packages and caches live here."""
    return Path(os.environ.get("ALC_HOME") or Path.home() / ".alc")


def user_root() -> Path:
    """``$ALC_HOME/packages``: the user scope."""
    return alc_home() / "packages"


def find_project(start: Path | str | None = None) -> Path | None:
    """The nearest folder from ``start`` (default: ``ALC_PROJECT_ROOT`` when set, else the
    working folder) up holding ``alc.toml``."""
    try:
        given = start or os.environ.get("ALC_PROJECT_ROOT") or Path.cwd()
        here = Path(given).expanduser().resolve()
        for folder in (here, *here.parents):
            if (folder / PROJECT_FILE).is_file():
                return folder
    except (OSError, ValueError, RuntimeError):  # a deleted working folder, an unreadable
        return None  # parent, a NUL byte or an unknown ~user in ALC_PROJECT_ROOT
    return None


def project_root(project: Path) -> Path:
    """Where a project's packages are installed: ``<project>/.alc/packages``."""
    return project / ".alc" / "packages"


def is_module_name(name: str) -> bool:
    """True for a valid module name (letters, digits, ``_`` and ``-``, dot-separated)."""
    return bool(_MODULE_NAME.match(name))


def builtin_root() -> Path:
    """The folder of the built-in strategies (``alc/strategies``)."""
    return Path(str(resources.files("alc").joinpath("strategies")))


@dataclass(frozen=True)
class PackageRoot:
    """One folder of the search path and its scope (one of :data:`SCOPES`)."""

    path: Path
    scope: str


def default_roots(cwd: Path | str | None = None) -> list[PackageRoot]:
    """The search path without explicit roots: project, user, built-in, ``ALC_PACKAGES_PATH``."""
    roots: list[PackageRoot] = []
    project = find_project(cwd)
    if project is not None:
        roots.append(PackageRoot(project_root(project), "project"))
    roots.append(PackageRoot(user_root(), "user"))
    roots.append(PackageRoot(builtin_root(), "builtin"))
    env = os.environ.get("ALC_PACKAGES_PATH", "")
    roots.extend(PackageRoot(Path(p), "path") for p in env.split(os.pathsep) if p)
    return roots


@dataclass(frozen=True)
class StrategyPackage:
    """A strategy found on the search path: its name, root, ``init.lua`` and root scope."""

    name: str
    root: Path
    path: Path
    scope: str = "explicit"

    @property
    def builtin(self) -> bool:
        return self.root == builtin_root()


class PackageResolver:
    """Finds strategy packages and module files under the package roots.

    Args:
        roots: the roots, highest priority first (a plain path has scope ``explicit``); ``None``
            means the default search order (:func:`default_roots`, read from the working folder
            and the environment at construction).

    Attributes:
        scoped: every root with its scope, in search order.
        roots: the same paths alone.
    """

    def __init__(self, roots: Sequence[PackageRoot | Path | str] | None = None) -> None:
        given = default_roots() if roots is None else roots
        self.scoped: tuple[PackageRoot, ...] = tuple(
            PackageRoot(Path(r.path).expanduser().resolve(), r.scope)
            if isinstance(r, PackageRoot)
            else PackageRoot(Path(r).expanduser().resolve(), "explicit")
            for r in given
        )
        self.roots: tuple[Path, ...] = tuple(r.path for r in self.scoped)

    @classmethod
    def with_extra(cls, extra: Sequence[Path | str]) -> PackageResolver:
        """The default search order with ``extra`` roots (scope ``explicit``) searched first."""
        return cls([*(Path(p) for p in extra), *default_roots()])

    def scope_of(self, root: Path) -> str:
        """The scope of one of this resolver's roots (``explicit`` when unknown)."""
        return next((r.scope for r in self.scoped if r.path == root), "explicit")

    def find_module(self, name: str) -> tuple[Path, Path]:
        """Resolve a module name to ``(root, file)``.

        Raises:
            ValueError: the name is not a valid module name.
            LookupError: no root holds the module (the message lists where it looked).
        """
        if not _MODULE_NAME.match(name):
            raise ValueError(
                f"module {name!r}: invalid name (letters, digits, _ and -, dot-separated)"
            )
        rel = Path(*name.split("."))
        for root in self.roots:
            for candidate in (root / rel.with_name(rel.name + ".lua"), root / rel / "init.lua"):
                if candidate.is_file() and _inside(candidate, root):
                    return root, candidate
        looked = ", ".join(str(r) for r in self.roots)
        raise LookupError(f"module {name!r} not found (searched {looked})")

    def find_file(self, path: str) -> tuple[Path, Path]:
        """Resolve a relative file path (``dofile`` / ``loadfile``) inside the package roots.

        Raises:
            ValueError: the path is absolute or leaves the roots.
            LookupError: no root holds the file.
        """
        rel = Path(path)
        if rel.is_absolute() or ".." in rel.parts:
            raise ValueError(f"{path!r}: only relative paths inside the package roots are allowed")
        for root in self.roots:
            candidate = root / rel
            if candidate.is_file() and _inside(candidate, root):
                return root, candidate
        raise LookupError(f"file {path!r} not found in the package roots")

    def strategy(self, name: str) -> StrategyPackage:
        """The package that ``require(name)`` would load.

        Raises:
            StrategyNotFound: no such package (or not a valid name), the one wording of it.
        """
        try:
            root, path = self.find_module(name)
        except (ValueError, LookupError) as exc:
            raise StrategyNotFound(f"Strategy {name!r} not found: {exc}.") from None
        return StrategyPackage(name=name, root=root, path=path, scope=self.scope_of(root))

    def strategies(self) -> list[StrategyPackage]:
        """Every strategy package (a folder with ``init.lua``), first root wins, sorted by name."""
        found: dict[str, StrategyPackage] = {}
        for package in self.every_package():
            found.setdefault(package.name, package)
        return sorted(found.values(), key=lambda p: p.name)

    def every_package(self) -> list[StrategyPackage]:
        """Every package folder of every root in search order, shadowed ones included."""
        found: list[StrategyPackage] = []
        for entry in self.scoped:
            if not entry.path.is_dir():
                continue
            for init in sorted(entry.path.glob("*/init.lua")):
                name = init.parent.name
                if _MODULE_NAME.match(name) and _inside(init, entry.path):
                    found.append(StrategyPackage(name, entry.path, init, entry.scope))
        return found


def _inside(path: Path, root: Path) -> bool:
    """``path`` (lexically under ``root``) resolves inside its package folder: the first folder
    under the root, followed if it is a link (``alc pkg link``); a file directly in the root
    must resolve inside the root."""
    parts = path.relative_to(root).parts
    base = (root / parts[0]).resolve() if len(parts) > 1 else root
    return path.resolve().is_relative_to(base)


def source_hash(text: str) -> str:
    """Content hash used to pin sources in the journal (sha256, hex)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
