"""Strategy resolution: where ``require("name")`` and ``start(strategy=...)`` find Lua code.

Search order (first hit wins):

1. every directory in ``ALC_PACKAGES_PATH`` (colon-separated), in order;
2. ``$ALC_HOME/packages`` (``ALC_HOME`` defaults to ``~/.alc``);
3. the built-in strategies shipped in ``alc/strategies``.

``require("a.b")`` maps to ``a/b.lua`` or ``a/b/init.lua`` under a root. Names are validated
before any path is built, and every resolved file must lie inside its root, so ``..`` and
absolute paths can never reach outside the package roots.
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

__all__ = ["PackageResolver", "StrategyPackage", "alc_home", "builtin_root", "source_hash"]

_MODULE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*(\.[A-Za-z_][A-Za-z0-9_\-]*)*$")


def alc_home() -> Path:
    """``$ALC_HOME`` or ``~/.alc``: the store, user packages and caches live here."""
    return Path(os.environ.get("ALC_HOME") or Path.home() / ".alc")


def builtin_root() -> Path:
    """The folder of the built-in strategies (``alc/strategies``)."""
    return Path(str(resources.files("alc").joinpath("strategies")))


@dataclass(frozen=True)
class StrategyPackage:
    """A strategy found on the search path: its name, folder and ``init.lua``."""

    name: str
    root: Path
    path: Path

    @property
    def builtin(self) -> bool:
        return self.root == builtin_root()


class PackageResolver:
    """Finds strategy packages and module files under the package roots.

    Args:
        roots: explicit roots, highest priority first; ``None`` means the default search order
            (read from the environment at construction).
    """

    def __init__(self, roots: Sequence[Path | str] | None = None) -> None:
        if roots is None:
            env = os.environ.get("ALC_PACKAGES_PATH", "")
            extra = [Path(p) for p in env.split(os.pathsep) if p]
            roots = [*extra, alc_home() / "packages", builtin_root()]
        self.roots: tuple[Path, ...] = tuple(Path(r).expanduser().resolve() for r in roots)

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
        return StrategyPackage(name=name, root=root, path=path)

    def strategies(self) -> list[StrategyPackage]:
        """Every strategy package (a folder with ``init.lua``), first root wins, sorted by name."""
        found: dict[str, StrategyPackage] = {}
        for root in self.roots:
            if not root.is_dir():
                continue
            for init in sorted(root.glob("*/init.lua")):
                name = init.parent.name
                if name not in found and _MODULE_NAME.match(name):
                    found[name] = StrategyPackage(name=name, root=root, path=init)
        return sorted(found.values(), key=lambda p: p.name)


def _inside(path: Path, root: Path) -> bool:
    return path.resolve().is_relative_to(root)


def source_hash(text: str) -> str:
    """Content hash used to pin sources in the journal (sha256, hex)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
