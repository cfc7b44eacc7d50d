"""The strategy catalogue: each package's ``M.meta``, read in a throwaway sandbox VM.

Used by ``alc strategies``, MCP ``alc_strategies`` and the docs generator. Each entry says
where the package comes from (its root's scope: ``builtin``, ``user``, ``project``, ``path`` or
``explicit``) and its kind: a ``strategy`` (its module has an ``M.run`` function, so it can be
run) or a ``library`` (modules other packages ``require``). Loading a package
runs its top-level code in a fresh sandbox (no session, no journal) on the given executor, so a
hostile package cannot freeze a server that lists it; a package whose top level calls
``alc.llm``, fails or breaks a limit is listed with an ``error`` instead of metadata.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from alc.engine import __version__
from alc.engine.executor import Executor, InlineExecutor, VMLost
from alc.engine.host import lua_getenv
from alc.engine.lua import Done, Errored, Forked, LimitHit, Seeds, Yield, lua_version
from alc.engine.packages import PackageResolver, StrategyPackage, alc_home, find_project
from alc.engine.protocol import Limits
from alc.engine.store import redacted

__all__ = ["StrategyInfo", "catalogue", "describe", "engine_info"]


@dataclass(frozen=True)
class StrategyInfo:
    """One strategy's metadata.

    Attributes:
        name: package name (what ``alc run NAME`` takes).
        path: its ``init.lua``.
        builtin: shipped with alc (vs. a user package).
        meta: the package's ``M.meta`` table (description, category, paper, params, example...).
        error: why the metadata could not be read, or None.
        scope: where it comes from: the scope of its root (``builtin``, ``user``, ``project``,
            ``path``, ``explicit``).
        runnable: its module has an ``M.run`` function (kind ``strategy``), else it is a
            library (kind ``library``).
    """

    name: str
    path: str
    builtin: bool
    meta: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    scope: str = "explicit"
    runnable: bool = True

    @property
    def kind(self) -> str:
        """``strategy`` (runnable: it has ``M.run``) or ``library``."""
        return "strategy" if self.runnable else "library"

    @property
    def description(self) -> str:
        return str(self.meta.get("description") or "")

    @property
    def category(self) -> str:
        return str(self.meta.get("category") or "")

    @property
    def paper(self) -> str:
        """The paper as one line: ``Authors (year). Title`` (or what the meta gives)."""
        paper = self.meta.get("paper")
        if isinstance(paper, dict):
            parts = [
                str(paper.get("authors") or ""),
                f"({paper['year']})" if paper.get("year") else "",
                str(paper.get("title") or ""),
            ]
            return " ".join(p for p in parts if p).strip()
        return str(paper or "")

    def wire(self) -> dict[str, Any]:
        """JSON-ready dict: name, path, builtin, scope, kind, the meta fields, error if any."""
        out: dict[str, Any] = {"name": self.name, "path": self.path, "builtin": self.builtin}
        out.update(self.meta)
        out.update(name=self.name, scope=self.scope, kind=self.kind)
        if self.error:
            out["error"] = self.error
        return out

    def summary(self) -> dict[str, Any]:
        """One row of a listing: name, kind, scope, builtin, description, category, paper
        (one line), and error if any."""
        out: dict[str, Any] = {
            "name": self.name,
            "kind": self.kind,
            "scope": self.scope,
            "builtin": self.builtin,
            "description": self.description,
            "category": self.category,
            "paper": self.paper,
        }
        if self.error:
            out["error"] = self.error
        return out


class _CatalogHost:
    """A minimal host: sources straight from disk, no journal, no state."""

    def __init__(self, resolver: PackageResolver) -> None:
        self._resolver = resolver

    def now(self) -> float:
        return time.time()

    def clock(self) -> float:
        return time.process_time()

    def log(self, level: str, message: str) -> None:
        pass

    def progress(self, step: Any, total: Any, message: Any) -> None:
        pass

    def stats_record(self, key: str, value_json: str) -> None:
        pass

    def stats_get(self, key: str) -> Any:
        return None

    def budget_remaining(self) -> dict[str, Any] | None:
        return None

    def session_info(self, what: str) -> Any:
        return {} if what == "env" else 0

    def getenv(self, name: str) -> str | None:
        return lua_getenv(name)  # the one rule (alc.engine.host.lua_env)

    def load_source(self, name: str, kind: str) -> tuple[str, str]:
        if kind == "file":
            root, path = self._resolver.find_file(name)
        else:
            root, path = self._resolver.find_module(name)
        return str(path.relative_to(root)), path.read_text(encoding="utf-8")

    def state(self, op: str, key: str | None = None, *args: Any) -> Any:
        raise ValueError("alc.state is not available while reading strategy metadata")

    def card(self, op: str, *args: Any) -> Any:
        raise ValueError("alc.card is not available while reading strategy metadata")


META_LIMITS = Limits(max_step_seconds=5, max_memory=64 * 1024 * 1024)
"""The limits of loading one package to read its metadata."""


def _read_meta(
    resolver: PackageResolver, package: StrategyPackage, executor: Executor | None
) -> StrategyInfo:
    info: dict[str, Any] = {
        "name": package.name,
        "path": str(package.path),
        "builtin": package.builtin,
        "scope": package.scope,
    }
    try:
        vm = (executor or InlineExecutor(watchdog=True)).create_vm(
            _CatalogHost(resolver), META_LIMITS, Seeds(0, 0)
        )
        vm.start_code(_READ_META, package.name)
        result = vm.step()
        vm.close()
    except VMLost:
        return StrategyInfo(**info, error="the worker reading the package was lost; try again")
    match result:
        case Yield() | Forked():
            return StrategyInfo(**info, error="the package pauses (alc.llm / alc.fork) when loaded")
        case Errored(message) | LimitHit(_, message):
            return StrategyInfo(**info, error=message)
        case Done(dict() as read):
            pass
        case Done():
            read = {}
    runnable, meta = read.get("runnable") is True, read.get("meta")
    if isinstance(meta, dict):
        return StrategyInfo(**info, meta=meta, runnable=runnable)
    if runnable:
        return StrategyInfo(**info, error="the package has no meta table")
    return StrategyInfo(**info, runnable=False)  # a library: a meta table is optional


_READ_META = """
local m = require(...)
if type(m) ~= 'table' then return { runnable = false } end
return { runnable = type(m.run) == 'function', meta = type(m.meta) == 'table' and m.meta or nil }
"""
"""Loads one package; its ``M.meta`` and whether it has an ``M.run`` function."""


def catalogue(
    resolver: PackageResolver | None = None, executor: Executor | None = None
) -> list[StrategyInfo]:
    """Every strategy on the search path with its metadata, sorted by name.

    ``executor`` runs the packages' top-level code (default: inline, in this process).
    """
    resolver = resolver or PackageResolver()
    return [_read_meta(resolver, p, executor) for p in resolver.strategies()]


def describe(
    name: str, resolver: PackageResolver | None = None, executor: Executor | None = None
) -> StrategyInfo:
    """One strategy's metadata (``executor`` as for :func:`catalogue`).

    Raises:
        StrategyNotFound: no such package.
    """
    resolver = resolver or PackageResolver()
    return _read_meta(resolver, resolver.strategy(name), executor)


def engine_info(
    resolver: PackageResolver | None = None, store_path: str | None = None
) -> dict[str, Any]:
    """Version, Lua version, store path (a URL's password redacted), package search paths
    (``package_roots``: each with its scope, in search order), the project folder
    (``alc.toml``) or None, type definitions path."""
    from importlib import resources

    resolver = resolver or PackageResolver()
    return {
        "version": __version__,
        "lua_version": lua_version("5.5"),
        "lua_versions": {"5.5": lua_version("5.5"), "5.4": lua_version("5.4")},
        "store": None if store_path is None else redacted(store_path),
        "alc_home": str(alc_home()),
        "package_paths": [str(r) for r in resolver.roots],
        # the search order with each root's scope (docs/packages.md, "Resolution order")
        "package_roots": [{"path": str(r.path), "scope": r.scope} for r in resolver.scoped],
        "project": str(project) if (project := find_project()) is not None else None,
        "types": str(resources.files("alc").joinpath("types", "alc.d.lua")),
    }
