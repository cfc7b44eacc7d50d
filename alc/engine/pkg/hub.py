"""algocline's Hub, offline: a collection's ``hub_index.json`` (written by :func:`reindex`),
searched with the installed set (:func:`search`), and the docs generated from it
(:func:`gendoc`: ``narrative/<name>.md``, ``llms.txt``, ``llms-full.txt``).

Package facts are read from ``init.lua`` without running it: the literal ``name``,
``version``, ``description`` and ``category`` of ``M.meta``, the leading ``---`` doc comment,
and ``type`` (``runnable`` when the file defines ``M.run``, else ``library``). Files are read
through :func:`~alc.engine.pkg._guard.read_text` (regular files, bounded size) and every file
is written inside the folder it was asked for (:func:`_inside`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from alc.engine.errors import InstallFailed, InvalidInput, PackageNotFound
from alc.engine.pkg._guard import is_package_name, path_text, read_text

__all__ = [
    "INDEX_FILE",
    "describe_folder",
    "gendoc",
    "index_packages",
    "info",
    "load_index",
    "reindex",
    "search",
]

INDEX_FILE = "hub_index.json"
"""The index file a collection carries at its top."""

SCHEMA_VERSION = "hub_index/v1"
_FIELDS = ("name", "version", "description", "category")
_FIELD = {k: re.compile(rf"""\b{k}\s*=\s*["']([^"'\n]{{0,400}})["']""") for k in _FIELDS}
_RUN = re.compile(r"(?m)^\s*(?:function\s+M\.run\b|M\.run\s*=)")


def _folder(value: str, what: str) -> Path:
    try:
        path = Path(path_text(value, what)).expanduser().resolve()
    except (OSError, RuntimeError) as exc:
        raise InvalidInput(f"The {what} {value[:60]!r} cannot be resolved: {exc}.") from None
    if not path.is_dir():
        raise InvalidInput(f"The {what} {value[:200]!r} is not a folder.")
    return path


def _inside(path: str | None, root: Path, default: str, what: str) -> Path:
    """``path`` (relative to ``root``; default ``root / default``), refused unless inside
    ``root`` once links are resolved."""
    given = Path(path_text(path, what)).expanduser() if path else Path(default)
    try:
        target = (root / given).resolve()
    except (OSError, RuntimeError) as exc:
        raise InvalidInput(f"The {what} {str(given)[:60]!r} cannot be resolved: {exc}.") from None
    if not target.is_relative_to(root):
        raise InvalidInput(
            f"The {what} {str(given)[:200]!r} is outside {root}; it must be inside that folder."
        )
    return target


def describe_folder(folder: Path) -> dict[str, Any]:
    """The index entry of one package folder (``init.lua`` read, never run).

    Returns:
        ``{"name", "version", "description", "category", "type", "doc"}`` (missing literals
        are None; ``doc`` is the leading ``---`` comment, ``""`` when none).

    Raises:
        InstallFailed: ``init.lua`` is not a readable regular UTF-8 file of bounded size.
    """
    text = read_text(folder / "init.lua")
    head = text[:200_000]
    meta = head[head.find("M.meta") :] if "M.meta" in head else ""
    entry: dict[str, Any] = {}
    for key in _FIELDS:
        match = _FIELD[key].search(meta)
        entry[key] = match.group(1) if match else None
    entry["name"] = folder.name
    entry["type"] = "runnable" if _RUN.search(text) else "library"
    doc = []
    for line in text.splitlines():
        if not line.startswith("---"):
            break
        doc.append(line[3:].removeprefix(" "))
    entry["doc"] = "\n".join(doc).strip()
    return entry


def index_packages(source: Path) -> list[dict[str, Any]]:
    """The entries of every package folder (``<name>/init.lua``) in ``source``, by name.
    A folder whose ``init.lua`` cannot be read is listed with an ``error``."""
    rows = []
    for init in sorted(source.glob("*/init.lua")):
        if not is_package_name(init.parent.name):
            continue
        try:
            rows.append(describe_folder(init.parent))
        except InstallFailed as exc:
            rows.append({"name": init.parent.name, "error": exc.message})
    return rows


def reindex(source_dir: str, output_path: str | None = None) -> dict[str, Any]:
    """Write ``hub_index.json`` for the packages of ``source_dir``.

    Args:
        source_dir: a collection folder (``<name>/init.lua`` per package).
        output_path: where to write, relative to ``source_dir`` and inside it (default
            ``<source_dir>/hub_index.json``).

    Returns:
        ``{"status": "ok", "output_path", "package_count", "errors": [names]}``.

    Raises:
        InvalidInput: ``source_dir`` is not a folder; ``output_path`` leaves it.
        InstallFailed: the file cannot be written.
    """
    source = _folder(source_dir, "source_dir")
    target = _inside(output_path, source, INDEX_FILE, "output_path")
    rows = index_packages(source)
    index = {"schema_version": SCHEMA_VERSION, "packages": rows}
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(index, indent=2, ensure_ascii=False) + "\n", "utf-8")
    except OSError as exc:
        raise InstallFailed(f"Cannot write {target}: {exc}.") from None
    return {
        "status": "ok",
        "output_path": str(target),
        "package_count": len(rows),
        "errors": [r["name"] for r in rows if "error" in r],
    }


def load_index(path: Path) -> list[dict[str, Any]]:
    """The package entries of a ``hub_index.json`` file (or a folder holding one).

    Raises:
        InvalidInput: no such file, not JSON, or no ``packages`` list.
    """
    file = path / INDEX_FILE if path.is_dir() else path
    try:
        data = json.loads(read_text(file, 16 * 1024 * 1024))
    except (InstallFailed, ValueError, RecursionError) as exc:
        said = exc.message if isinstance(exc, InstallFailed) else str(exc)
        raise InvalidInput(f"{file} is not a readable hub index: {said}") from None
    rows = data.get("packages") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        raise InvalidInput(f"{file} is not a hub index: no 'packages' list.")
    return [r for r in rows if isinstance(r, dict) and is_package_name(r.get("name"))]


def search(
    rows: Iterable[dict[str, Any]],
    *,
    query: str | None = None,
    category: str | None = None,
    sort: str | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Entries whose name, description or category hold every word of ``query`` (case
    ignored), of ``category`` if given, sorted by ``sort`` (a field; ``-field`` descending;
    default name), at most ``limit``.

    Raises:
        InvalidInput: ``sort`` names no field of an entry.
    """
    words = (query or "").lower().split()
    found = []
    for row in rows:
        hay = " ".join(str(row.get(k) or "") for k in ("name", "description", "category")).lower()
        if all(w in hay for w in words) and (category is None or row.get("category") == category):
            found.append(row)
    key = (sort or "name").lstrip("-")
    if key not in {*_FIELDS, "type", "source", "installed"}:
        raise InvalidInput(f"sort {sort!r}: use name, version, description, category or type.")
    found.sort(key=lambda r: str(r.get(key) or ""), reverse=(sort or "").startswith("-"))
    return found if limit is None or limit <= 0 else found[:limit]


def _narrative(row: dict[str, Any]) -> str:
    lines = [f"# {row['name']}", ""]
    if row.get("description"):
        lines += [str(row["description"]), ""]
    facts = [f"- {k}: {row[k]}" for k in ("version", "category", "type") if row.get(k)]
    lines += [*facts, ""]
    if row.get("doc"):
        lines += [str(row["doc"]), ""]
    return "\n".join(lines)


def gendoc(
    source_dir: str, out_dir: str | None = None, projections: Sequence[str] = ()
) -> dict[str, Any]:
    """Docs from ``<source_dir>/hub_index.json``: ``narrative/<name>.md`` per package,
    ``llms.txt`` (one line per package) and ``llms-full.txt`` (every narrative).

    Args:
        source_dir: the folder holding ``hub_index.json``.
        out_dir: where to write, relative to ``source_dir`` and inside it (default
            ``<source_dir>/docs``).
        projections: ``llms`` and ``narrative`` (default both); any other is refused.

    Returns:
        ``{"status": "ok", "out_dir", "files": [relative paths], "package_count"}``.

    Raises:
        InvalidInput: no index, an unknown projection, ``out_dir`` outside ``source_dir``.
        InstallFailed: a file cannot be written.
    """
    source = _folder(source_dir, "source_dir")
    wanted = set(projections) or {"llms", "narrative"}
    if not wanted <= {"llms", "narrative"}:
        raise InvalidInput(f"Unknown projections {sorted(wanted - {'llms', 'narrative'})}.")
    rows = load_index(source)
    out = _inside(out_dir, source, "docs", "out_dir")
    files: dict[str, str] = {}
    if "narrative" in wanted:
        files.update({f"narrative/{r['name']}.md": _narrative(r) for r in rows})
    if "llms" in wanted:
        short = [f"- {r['name']}: {r.get('description') or ''}".rstrip() for r in rows]
        files["llms.txt"] = "# Packages\n\n" + "\n".join(short) + "\n"
        files["llms-full.txt"] = "\n".join(_narrative(r) for r in rows)
    try:
        for rel, text in files.items():
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            if not (out / rel).resolve().is_relative_to(source):  # a link placed inside
                raise InvalidInput(f"{out / rel} leads outside {source}; nothing more written.")
            (out / rel).write_text(text, "utf-8")
    except OSError as exc:
        raise InstallFailed(f"Cannot write under {out}: {exc}.") from None
    return {"status": "ok", "out_dir": str(out), "files": sorted(files), "package_count": len(rows)}


def info(name: str, rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The entry named ``name``.

    Raises:
        PackageNotFound: none.
    """
    for row in rows:
        if row.get("name") == name:
            return row
    raise PackageNotFound(f"No package {name!r} is installed or in a local hub index.")
