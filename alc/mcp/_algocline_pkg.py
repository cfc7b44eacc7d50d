"""algocline's package, hub and setting tools (the ``algocline`` profile; see
docs/compatibility.md for each tool's mapping).

The tools register themselves in :data:`~alc.mcp._tools.TABLE` when this module is imported.
Each handler translates algocline's arguments into one call of the package layer
(:class:`~alc.engine.pkg.PackageManager`, :mod:`alc.engine.pkg.algocline`,
:mod:`alc.engine.pkg.hub`, :mod:`alc.engine.pkg.settings`) on a worker thread; the project is
the one :func:`~alc.mcp._algocline_sessions.pinned_root` gives (argument > ``alc_session_new``'s
pin > ``ALC_PROJECT_ROOT`` > the server's working folder). These tools read and write this
machine's files, so a server that reads no files (``alc serve``) refuses them.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
from mcp.server.mcpserver import Context
from mcp_types import CallToolResult, TextContent

from alc._requests_pkg import (
    HubDistRequest,
    HubGendocRequest,
    HubInfoRequest,
    HubReindexRequest,
    HubSearchRequest,
    PkgDoctorRequest,
    PkgInstallRequest,
    PkgLinkRequest,
    PkgListRequest,
    PkgRemoveRequest,
    PkgScaffoldRequest,
    PkgTestRequest,
    PkgUnlinkRequest,
    SettingResolveRequest,
)
from alc.engine.errors import InvalidInput
from alc.engine.pkg import algocline as alg
from alc.engine.pkg import hub
from alc.engine.pkg._guard import package_name
from alc.engine.pkg.settings import resolve_setting
from alc.engine.protocol import dumps
from alc.mcp._algocline_sessions import pinned_root
from alc.mcp._tools import TABLE, Wording

if TYPE_CHECKING:
    from alc.engine.pkg import PackageManager
    from alc.mcp._algocline_sessions import AlcMCP

__all__: list[str] = []

_T = TypeVar("_T")


def _result(wire: dict[str, Any]) -> CallToolResult:
    return CallToolResult(
        content=[TextContent(type="text", text=dumps(wire))], structured_content=wire
    )


async def _with(app: AlcMCP, root: Any, fn: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
    """``fn(manager, *args, **kwargs)`` on a worker thread, the manager's working folder being
    the call's project root.

    Raises:
        InvalidInput: a server that reads no files; a project root that is not a folder.
    """
    if not getattr(app, "read_files", True):
        raise InvalidInput(
            "This server reads and writes no local files: algocline's package tools are served "
            "over stdio (alc mcp) only."
        )
    cwd = pinned_root(app, root)
    manager: PackageManager = await app.engine.packages(cwd)
    return await anyio.to_thread.run_sync(functools.partial(fn, manager, *args, **kwargs))


def _rows(rows: list[dict[str, Any]], args: PkgListRequest | HubSearchRequest) -> dict[str, Any]:
    """``{"packages": <the selected rows>, "count": <rows matching filter, before limit>}``."""
    summary = None if args.verbose == "full" else alg.SUMMARY_FIELDS
    kept = alg.select_rows(rows, filter=args.filter, sort=args.sort)
    shown = alg.select_rows(kept, limit=args.limit, fields=args.fields, summary=summary)
    return {"packages": shown, "count": len(kept), "kept": kept}


# ---------------------------------------------------------------------- pkg

_PKG_NOTE = " Package names: letters, digits, _ and - (never a path)."


@TABLE.tool(
    "alc_pkg_link",
    PkgLinkRequest,
    Wording(
        "Link a local package folder",
        "Link a local package folder: scope global (default) makes a link in the user scope "
        "(edits show at once); scope variant writes [packages.<name>] path = ... into the "
        "project's alc.local.toml (alc_update installs it). force: may shadow a built-in "
        "strategy." + _PKG_NOTE,
        idempotent=False,
    ),
)
async def _link(app: AlcMCP, a: PkgLinkRequest, ctx: Context) -> CallToolResult:
    return _result(
        await _with(
            app, a.project_root, alg.link, a.path, a.name, bool(a.force), a.scope or "global"
        )
    )


@TABLE.tool(
    "alc_pkg_list",
    PkgListRequest,
    Wording(
        "List packages",
        "The packages on the search path (project, user, built-in, ALC_PACKAGES_PATH), each "
        "with type (runnable: defines M.run; library), version, category, description, scope "
        "and kind; filter / sort / limit / fields select rows; verbose full adds path, source "
        "and pins.",
        read_only=True,
    ),
)
async def _list(app: AlcMCP, a: PkgListRequest, ctx: Context) -> CallToolResult:
    rows = _rows(await _with(app, a.project_root, alg.list_rows), a)
    return _result({"packages": rows["packages"], "count": rows["count"]})


@TABLE.tool(
    "alc_pkg_install",
    PkgInstallRequest,
    Wording(
        "Install a package or collection",
        "Install from a git URL (file:// too) or a local folder into the user scope: one "
        "package, or every <name>/init.lua of a collection; atomic. force lets the packages "
        "shadow built-in strategies of the same name (refused without it)." + _PKG_NOTE,
    ),
)
async def _install(app: AlcMCP, a: PkgInstallRequest, ctx: Context) -> CallToolResult:
    def run(m: PackageManager) -> dict[str, Any]:
        return m.install(a.url, name=a.name, scope="user", override=bool(a.force))

    return _result(await _with(app, None, run))


@TABLE.tool(
    "alc_pkg_remove",
    PkgRemoveRequest,
    Wording(
        "Remove a package's entry",
        "Remove a package: scope project drops its alc.toml / alc.local.toml entry and alc's "
        "installed copy in <project>/.alc/packages; global removes alc's copy in the user "
        "scope; all (default) both. The package's source folder is never touched. version: only "
        "when the installed version is that.",
        destructive=True,
    ),
)
async def _remove(app: AlcMCP, a: PkgRemoveRequest, ctx: Context) -> CallToolResult:
    return _result(await _with(app, a.project_root, alg.remove, a.name, a.version, a.scope))


@TABLE.tool(
    "alc_pkg_unlink",
    PkgUnlinkRequest,
    Wording(
        "Remove a linked package",
        "Remove the link alc_pkg_link made (project scope first, then user); the linked folder "
        "itself is untouched.",
        destructive=True,
    ),
)
async def _unlink(app: AlcMCP, a: PkgUnlinkRequest, ctx: Context) -> CallToolResult:
    def run(m: PackageManager) -> dict[str, Any]:
        return m.unlink(a.name)

    return _result(await _with(app, None, run))


@TABLE.tool(
    "alc_pkg_repair",
    PkgDoctorRequest,
    Wording(
        "Reinstall missing project packages",
        "Reinstall the project's alc.toml / alc.local.toml entries whose installed folder is "
        "missing (at their alc.lock pins; atomic); name: only that entry. Returns repaired "
        "(names) and the install reply.",
    ),
)
async def _repair(app: AlcMCP, a: PkgDoctorRequest, ctx: Context) -> CallToolResult:
    return _result(await _with(app, a.project_root, alg.repair, a.name))


@TABLE.tool(
    "alc_pkg_doctor",
    PkgDoctorRequest,
    Wording(
        "Diagnose packages",
        "Read-only diagnosis in algocline's buckets (healthy, incomplete_pkg, "
        "installed_missing, symlink_dangling, path_missing, missing_meta, missing_hub_index, "
        "spec_missing, stale_cache) plus shadowed; issues carry a fix and an action.",
        read_only=True,
    ),
)
async def _doctor(app: AlcMCP, a: PkgDoctorRequest, ctx: Context) -> CallToolResult:
    return _result(await _with(app, a.project_root, alg.doctor, a.name))


@TABLE.tool(
    "alc_pkg_test",
    PkgTestRequest,
    Wording(
        "Run package spec tests",
        "Run *_spec.lua files (describe / it / expect) in the sandbox: of package pkg (or those "
        "in spec_dir), one code_file, or inline code; filter keeps files whose name holds it; "
        "search_paths are package folders searched first. alc.llm calls answer 'mock answer'.",
        read_only=True,
    ),
)
async def _test(app: AlcMCP, a: PkgTestRequest, ctx: Context) -> CallToolResult:
    kwargs = a.model_dump(exclude={"project_root"})
    kwargs["search_paths"] = a.search_paths or []
    return _result(await _with(app, a.project_root, alg.test_spec, **kwargs))


@TABLE.tool(
    "alc_pkg_scaffold",
    PkgScaffoldRequest,
    Wording(
        "Create a package skeleton",
        "Create <target_dir>/<name>/ with init.lua (M.meta with category and description, "
        "M.spec, M.run) and spec/<name>_spec.lua; an existing folder is never overwritten."
        + _PKG_NOTE,
        idempotent=False,
    ),
)
async def _scaffold(app: AlcMCP, a: PkgScaffoldRequest, ctx: Context) -> CallToolResult:
    meta = {k: v for k, v in (("category", a.category), ("description", a.description)) if v}

    def run(m: PackageManager) -> dict[str, Any]:
        return m.scaffold(a.name, directory=a.target_dir, **meta)

    return _result(await _with(app, None, run))


# ---------------------------------------------------------------------- hub

_OFFLINE = (
    " Offline: alc reads no remote Hub; the installed packages and local hub_index.json "
    "files are searched."
)


@TABLE.tool(
    "alc_hub_search",
    HubSearchRequest,
    Wording(
        "Search packages",
        "Packages whose name, description or category hold every word of query, from the "
        "installed set and each local_indices hub_index.json (installed: true/false, source)."
        + _OFFLINE,
        read_only=True,
    ),
)
async def _hub_search(app: AlcMCP, a: HubSearchRequest, ctx: Context) -> CallToolResult:
    rows = await _with(app, None, alg.hub_rows, a.local_indices or [])
    if a.installed_only:
        rows = [r for r in rows if r["installed"]]
    picked = _rows(hub.search(rows, query=a.query, category=a.category), a)
    shown, kept = picked["packages"], picked["kept"]
    if a.verbose != "full" and not a.fields:
        shown = [{**r, "installed": f["installed"]} for r, f in zip(shown, kept, strict=False)]
    return _result({"packages": shown, "count": picked["count"]})


@TABLE.tool(
    "alc_hub_info",
    HubInfoRequest,
    Wording(
        "One package's details",
        "One package's metadata (M.meta literals, type, doc comment, scope, path, pins) from "
        "the installed set or a local hub index, with its newest 20 Cards and its aliases "
        "from this store." + _OFFLINE,
        read_only=True,
    ),
)
async def _hub_info(app: AlcMCP, a: HubInfoRequest, ctx: Context) -> CallToolResult:
    name = package_name(a.pkg)
    rows = await _with(app, None, alg.hub_rows, a.local_indices or [])
    row = hub.info(name, rows)
    if row.get("installed") and row.get("path"):
        row = {**hub.describe_folder(Path(row["path"])), **row}
    cards = app.engine.cards
    row["cards"] = await cards.list({"pkg": name, "limit": 20})
    row["aliases"] = await cards.alias_list({"pkg": name})
    return _result(row)


@TABLE.tool(
    "alc_hub_reindex",
    HubReindexRequest,
    Wording(
        "Write hub_index.json",
        "Read each <name>/init.lua of source_dir (never run) and write hub_index.json: name, "
        "version, description, category, type and doc per package. output_path must be inside "
        "source_dir.",
        idempotent=True,
    ),
)
async def _hub_reindex(app: AlcMCP, a: HubReindexRequest, ctx: Context) -> CallToolResult:
    source = a.source_dir or os.getcwd()
    return _result(await _with(app, None, lambda _m: hub.reindex(source, a.output_path)))


@TABLE.tool(
    "alc_hub_gendoc",
    HubGendocRequest,
    Wording(
        "Generate package docs",
        "From source_dir/hub_index.json write narrative/<name>.md, llms.txt and llms-full.txt "
        "under out_dir (inside source_dir; default docs). projections: narrative, llms.",
        idempotent=True,
    ),
)
async def _hub_gendoc(app: AlcMCP, a: HubGendocRequest, ctx: Context) -> CallToolResult:
    return _result(await _with(app, None, _gendoc, a))


def _gendoc(_m: PackageManager, a: HubGendocRequest) -> dict[str, Any]:
    reply = hub.gendoc(a.source_dir, a.out_dir, a.projections or ())
    if a.lint_strict:
        bare = [r["name"] for r in hub.load_index(Path(a.source_dir)) if not r.get("description")]
        if bare:
            raise InvalidInput(f"lint_strict: packages without a description: {bare}.")
    return reply


@TABLE.tool(
    "alc_hub_dist",
    HubDistRequest,
    Wording(
        "Reindex, then generate docs",
        "alc_hub_reindex of source_dir, then alc_hub_gendoc; returns both replies.",
        idempotent=True,
    ),
)
async def _hub_dist(app: AlcMCP, a: HubDistRequest, ctx: Context) -> CallToolResult:
    def run(m: PackageManager) -> dict[str, Any]:
        index = hub.reindex(a.source_dir, a.output_path)
        return {"status": "ok", "reindex": index, "gendoc": _gendoc(m, a)}

    return _result(await _with(app, a.project_root, run))


# ---------------------------------------------------------------------- settings


@TABLE.tool(
    "alc_setting_resolve",
    SettingResolveRequest,
    Wording(
        "Resolve a setting table",
        "Each field of [setting.<target>] and the layer it came from: env "
        "(ALC_SETTING_<TARGET>_<FIELD>) > project alc.toml > global $ALC_HOME/alc.toml. "
        "Returns {target, resolved, sources, files}.",
        read_only=True,
    ),
)
async def _setting(app: AlcMCP, a: SettingResolveRequest, ctx: Context) -> CallToolResult:
    def run(m: PackageManager) -> dict[str, Any]:
        return resolve_setting(a.target or "default", m.project)

    return _result(await _with(app, a.project_root, run))
