"""The Python modules of the ``alc`` package, read as source (nothing is imported).

Shared by the structure tests: ``modules()`` maps each dotted module name to its file and parsed
tree, so the tests check the code as it is on disk, including modules that are hard to import.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "alc"


@dataclass(frozen=True)
class Module:
    name: str  # dotted: "alc.engine.session"; a package is named by its __init__: "alc.engine"
    path: Path
    source: str
    tree: ast.Module

    @property
    def rel(self) -> str:
        """The file relative to the repository root, for messages: ``alc/engine/session.py``."""
        return self.path.relative_to(ROOT).as_posix()

    @property
    def is_package(self) -> bool:
        return self.path.name == "__init__.py"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def modules() -> dict[str, Module]:
    """Every ``.py`` file under ``alc/``, by dotted module name."""
    found: dict[str, Module] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        source = path.read_text(encoding="utf-8")
        name = module_name(path)
        found[name] = Module(name, path, source, ast.parse(source, filename=str(path)))
    return found
