"""The scenarios library: eval scenarios installed under ``$ALC_HOME/scenarios``.

A scenario is one file, ``<name>.lua`` (evalframe), ``.jsonl``, ``.toml`` or ``.json`` (the
formats :func:`alc.eval.load_scenario` reads); its name is the file's stem and must be a plain
package-style name (letters, digits, ``_`` and ``-``; the one name check,
:func:`~alc.engine.packages.is_module_name`, without dots), so nothing is ever written outside
the library folder. :func:`install` copies the scenario files of a local file, a local folder
or a git repository (cloned with ``git``, as packages are) into the library.

Errors: :class:`~alc.engine.errors.InvalidInput` (a bad name, no such scenario),
:class:`~alc.engine.errors.InstallFailed` (a source that cannot be fetched or holds none).
"""

from __future__ import annotations

import builtins
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from alc.engine.errors import InstallFailed, InvalidInput
from alc.engine.packages import alc_home, is_module_name
from alc.engine.pkg._fetch import fetch, is_git_source

__all__ = ["FORMATS", "ScenarioLibrary"]

FORMATS = (".lua", ".jsonl", ".toml", ".json")
"""The scenario file formats, in the order a name is looked up."""

_MAX_FILE = 16 * 2**20


def _valid(name: str) -> bool:
    return is_module_name(name) and "." not in name


class ScenarioLibrary:
    """The installed scenarios.

    Args:
        root: the library folder (default ``$ALC_HOME/scenarios``; created on install).
    """

    def __init__(self, root: Path | None = None) -> None:
        self.root = root if root is not None else alc_home() / "scenarios"

    def _files(self) -> builtins.list[Path]:
        if not self.root.is_dir():
            return []
        return sorted(
            p
            for p in self.root.iterdir()
            if p.suffix in FORMATS and p.is_file() and not p.is_symlink() and _valid(p.stem)
        )

    def list(self) -> dict[str, Any]:
        """``{"root", "scenarios": [{name, format, bytes}]}`` sorted by name."""
        found = [
            {"name": p.stem, "format": p.suffix[1:], "bytes": p.stat().st_size}
            for p in self._files()
        ]
        return {"root": str(self.root), "scenarios": found}

    def path(self, name: str) -> Path:
        """The file of scenario ``name``.

        Raises:
            InvalidInput: not a valid name, or no such scenario.
        """
        if not isinstance(name, str) or not _valid(name):
            raise InvalidInput(
                f"Scenario name {name!r} is not valid (letters, digits, _ and -; no dots)."
            )
        for suffix in FORMATS:
            path = self.root / (name + suffix)
            if path.is_file() and not path.is_symlink():
                return path
        raise InvalidInput(f"No scenario {name!r} in {self.root} (alc_scenario_list lists them).")

    def show(self, name: str) -> dict[str, Any]:
        """``{"name", "format", "path", "content"}`` of scenario ``name``.

        Raises:
            InvalidInput: see :meth:`path`; a file that is not UTF-8 text.
        """
        path = self.path(name)
        try:
            content = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise InvalidInput(f"Scenario {name!r} is not UTF-8 text.") from None
        return {"name": name, "format": path.suffix[1:], "path": str(path), "content": content}

    def install(self, source: str) -> dict[str, Any]:
        """Copy the scenarios of ``source`` (a scenario file, a folder or a git URL; files at the
        top of the tree and in a ``scenarios/`` folder) into the library, replacing same-named
        ones. Returns ``{"source", "installed": [name], "skipped": [file: reason]}``.

        Raises:
            InstallFailed: the source cannot be fetched or holds no scenario file.
        """
        with tempfile.TemporaryDirectory(prefix="alc-scenarios-") as work:
            single = Path(source).expanduser()
            if not is_git_source(source) and single.is_file():
                candidates = [single]
            else:
                tree = fetch(source, None, Path(work)).path
                candidates = [
                    p
                    for folder in (tree, tree / "scenarios")
                    if folder.is_dir()
                    for p in sorted(folder.iterdir())
                ]
            return self._copy(source, candidates)

    def _copy(self, source: str, candidates: builtins.list[Path]) -> dict[str, Any]:
        installed: builtins.list[str] = []
        skipped: builtins.list[str] = []
        for path in candidates:
            if path.suffix not in FORMATS or not path.is_file():
                continue
            if path.is_symlink() or not _valid(path.stem):
                skipped.append(f"{path.name}: a link or not a valid scenario name")
            elif path.stat().st_size > _MAX_FILE:
                skipped.append(f"{path.name}: over {_MAX_FILE // 2**20} MiB")
            else:
                self.root.mkdir(parents=True, exist_ok=True)
                for other in FORMATS:  # one file per name: a new format replaces the old
                    (self.root / (path.stem + other)).unlink(missing_ok=True)
                target = self.root / path.name
                shutil.copyfile(path, target.with_suffix(".part"), follow_symlinks=False)
                os.replace(target.with_suffix(".part"), target)
                installed.append(path.stem)
        if not installed:
            raise InstallFailed(
                f"{source!r} holds no scenario file ({', '.join(FORMATS)} with a valid name)."
            )
        return {"source": source, "installed": installed, "skipped": skipped}
