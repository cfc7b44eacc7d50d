"""Typed requests of algocline's package, hub and setting tools (the ``algocline`` MCP
profile, :mod:`alc.mcp._algocline_pkg`), with algocline's argument names."""

from typing import Literal

from pydantic import Field

from alc._feed import Request
from alc._requests import JsonObject

__all__ = [
    "HubDistRequest",
    "HubGendocRequest",
    "HubInfoRequest",
    "HubReindexRequest",
    "HubSearchRequest",
    "PkgDoctorRequest",
    "PkgInstallRequest",
    "PkgLinkRequest",
    "PkgListRequest",
    "PkgRemoveRequest",
    "PkgScaffoldRequest",
    "PkgTestRequest",
    "PkgUnlinkRequest",
    "SettingResolveRequest",
]


_ROOT = "The project folder (holds alc.toml); default: the pinned one, ALC_PROJECT_ROOT, or cwd."
_NAME = "A package name: letters, digits, _ and -, starting with a letter or _."
_LIMIT = "At most this many rows (0: all)."
_SORT = "A field to sort by; '-field' sorts descending."
_FILTER = 'Keep rows whose fields equal these values, e.g. {"type": "runnable"}.'
_FIELDS = "Only these fields of each row."
_VERBOSE = '"summary" (default: name, version, type, category, description, scope, kind) or "full".'


class PkgLinkRequest(Request):
    """Link a local package folder."""

    path: str = Field(description="The package folder (holds init.lua).")
    name: str | None = Field(None, description=_NAME + " Default: the folder's name.")
    force: bool | None = Field(None, description="May shadow a built-in strategy of that name.")
    scope: Literal["global", "variant"] | None = Field(
        None, description="global (default): the user scope; variant: an alc.local.toml entry."
    )
    project_root: str | None = Field(None, description=_ROOT)


class PkgListRequest(Request):
    """List the packages on the search path."""

    project_root: str | None = Field(None, description=_ROOT)
    limit: int | None = Field(None, ge=0, description=_LIMIT)
    sort: str | None = Field(None, description=_SORT)
    filter: JsonObject = Field(None, description=_FILTER)
    fields: list[str] | None = Field(None, description=_FIELDS)
    verbose: Literal["summary", "full"] | None = Field(None, description=_VERBOSE)


class PkgInstallRequest(Request):
    """Install a package or collection from a git URL or a local folder."""

    url: str = Field(description="A git URL (file:// too) or a local folder.")
    name: str | None = Field(None, description=_NAME + " For a single-package source.")
    force: bool | None = Field(None, description="May shadow built-in strategies.")


class PkgRemoveRequest(Request):
    """Remove a package's manifest entry (and alc's installed copy)."""

    name: str = Field(description=_NAME)
    project_root: str | None = Field(None, description=_ROOT)
    version: str | None = Field(None, description="Only when the installed version is this.")
    scope: Literal["project", "global", "all"] | None = Field(
        None, description="project, global or all (default)."
    )


class PkgUnlinkRequest(Request):
    """Remove a linked package."""

    name: str = Field(description=_NAME)


class PkgDoctorRequest(Request):
    """Diagnose (read-only), or repair, the package state."""

    name: str | None = Field(None, description="Only this package.")
    project_root: str | None = Field(None, description=_ROOT)


class PkgTestRequest(Request):
    """Run *_spec.lua tests: of a package, of one file, or of inline code."""

    pkg: str | None = Field(None, description="A package name on the search path.")
    code_file: str | None = Field(None, description="One *_spec.lua file.")
    code: str | None = Field(None, description="Spec source (describe/it/expect).")
    spec_dir: str | None = Field(None, description="With pkg: the folder of its spec files.")
    filter: str | None = Field(None, description="Only spec files whose name holds this.")
    search_paths: list[str] | None = Field(None, description="Extra package folders to search.")
    project_root: str | None = Field(None, description=_ROOT)


class PkgScaffoldRequest(Request):
    """Create a package skeleton."""

    name: str = Field(description=_NAME)
    target_dir: str | None = Field(None, description="Where <name>/ is made (default: cwd).")
    category: str | None = Field(None, description="M.meta.category.")
    description: str | None = Field(None, description="M.meta.description.")


class HubSearchRequest(Request):
    """Search the installed packages and local hub indices."""

    query: str | None = Field(None, description="Words that name, description or category hold.")
    category: str | None = Field(None, description="Only this category.")
    installed_only: bool | None = Field(None, description="Only installed packages.")
    limit: int | None = Field(None, ge=0, description=_LIMIT)
    sort: str | None = Field(None, description=_SORT)
    filter: JsonObject = Field(None, description=_FILTER)
    fields: list[str] | None = Field(None, description=_FIELDS)
    verbose: Literal["summary", "full"] | None = Field(None, description=_VERBOSE)
    local_indices: list[str] | None = Field(
        None, description="hub_index.json files (or folders holding one) to search too."
    )


class HubInfoRequest(Request):
    """One package's details."""

    pkg: str = Field(description=_NAME)
    local_indices: list[str] | None = Field(None, description="hub_index.json files to search.")


class HubReindexRequest(Request):
    """Write hub_index.json for a packages folder."""

    source_dir: str | None = Field(None, description="The collection folder (default: cwd).")
    output_path: str | None = Field(
        None, description="Inside source_dir (default: <source_dir>/hub_index.json)."
    )


class HubGendocRequest(Request):
    """Generate docs from hub_index.json."""

    source_dir: str = Field(description="The folder holding hub_index.json.")
    out_dir: str | None = Field(None, description="Inside source_dir (default: <source_dir>/docs).")
    projections: list[str] | None = Field(None, description='"narrative" and/or "llms".')
    config_path: str | None = Field(None, description="Accepted; alc has no gendoc config.")
    lint_strict: bool | None = Field(None, description="Fail when a package lacks a description.")


class HubDistRequest(HubGendocRequest):
    """Reindex, then generate docs."""

    output_path: str | None = Field(None, description="hub_index.json path inside source_dir.")
    preset: str | None = Field(None, description="Accepted; alc has one preset.")
    project_root: str | None = Field(None, description=_ROOT)


class SettingResolveRequest(Request):
    """Resolve [setting.<target>] over env > project > global."""

    target: str | None = Field(None, description="The setting table (default: 'default').")
    project_root: str | None = Field(None, description=_ROOT)
