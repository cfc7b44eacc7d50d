"""algocline's ``[setting.<target>]`` tables, resolved over three layers (first wins):

1. the environment: ``ALC_SETTING_<TARGET>_<FIELD>`` (upper case, ``-`` as ``_``), its value
   read as a TOML value when it is one (``3``, ``true``, ``"x"``), else as text;
2. the project: ``[setting.<target>]`` of ``<project>/alc.toml``;
3. the global file: ``[setting.<target>]`` of ``$ALC_HOME/alc.toml``.

Files are read through the package layer's bounded reader (:mod:`alc.engine.pkg._guard`).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from alc.engine.errors import InstallFailed
from alc.engine.packages import PROJECT_FILE, alc_home
from alc.engine.pkg._guard import package_name, read_text

__all__ = ["resolve_setting"]


def _table(path: Path, target: str) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(read_text(path))
    except (tomllib.TOMLDecodeError, RecursionError) as exc:
        raise InstallFailed(f"{path} cannot be read: {exc}. Fix the file and try again.") from None
    table = (data.get("setting") or {}).get(target) if isinstance(data, dict) else None
    if table is None:
        return {}
    if not isinstance(table, dict):
        raise InstallFailed(f"{path}: [setting.{target}] must be a table.")
    return table


def _env_value(text: str) -> Any:
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except (tomllib.TOMLDecodeError, RecursionError):
        return text


def resolve_setting(
    target: str, project: Path | None, env: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Each field of ``[setting.<target>]`` and the layer it came from.

    Args:
        target: the table name (a package-name-shaped word).
        project: the project folder (None: no project layer).
        env: the environment (default ``os.environ``).

    Returns:
        ``{"target", "resolved": {field: value}, "sources": {field: "env" | "project" |
        "global"}, "files": {"project": path | None, "global": path}}``.

    Raises:
        InvalidInput: ``target`` is not a valid name.
        InstallFailed: a file holds invalid TOML or a non-table ``setting.<target>``.
    """
    package_name(target, "Setting target")
    env = os.environ if env is None else env
    global_file = alc_home() / PROJECT_FILE
    project_file = project / PROJECT_FILE if project is not None else None
    resolved: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for layer, table in (
        ("global", _table(global_file, target)),
        ("project", _table(project_file, target) if project_file else {}),
    ):
        for key, value in table.items():
            resolved[key], sources[key] = value, layer
    prefix = f"ALC_SETTING_{target.upper().replace('-', '_')}_"
    for name, text in env.items():
        if name.startswith(prefix) and len(name) > len(prefix):
            key = name[len(prefix) :].lower()
            resolved[key], sources[key] = _env_value(text), "env"
    return {
        "target": target,
        "resolved": dict(sorted(resolved.items())),
        "sources": dict(sorted(sources.items())),
        "files": {
            "project": str(project_file) if project_file else None,
            "global": str(global_file),
        },
    }
