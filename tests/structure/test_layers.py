"""The import structure of ``alc``: no cycles, no upward imports, one owner of lupa.

Every import in ``alc/`` counts, wherever it is written: at module level, inside a function (a
lazy import is still a dependency) and under ``if TYPE_CHECKING:`` (a type-only import still ties
the two modules together). The source is parsed with ``ast``; nothing is imported.

The layer order below is the one place it is written. A module may import from its own layer
(as long as no cycle forms) and from any layer below; an import of a layer above is an upward
import. A new module must be placed in a layer here before the test passes.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from _alc_tree import Module, modules

# Lowest first. An entry names a module and, if it is a package, everything in it; the two
# container packages ``alc`` and ``alc.engine`` stand for their own ``__init__.py`` only.
LAYERS: tuple[tuple[str, ...], ...] = (
    # the error tree, and the empty engine package (engine internals are never re-exported)
    ("alc.engine.errors", "alc.engine"),
    # leaf utilities: the one clock, input validation, terminal-safe text (standard library
    # only), the request-scoped tenant, the optional extras and their install command
    ("alc.engine.clock", "alc.engine._validate", "alc._text", "alc.engine.tenancy", "alc._extras"),
    # every wire object
    ("alc.engine.protocol",),
    # the Python primitives of alc.* and the Lua prelude
    ("alc.engine.stdlib",),
    # the VM factory: the only module that touches lupa (see LUPA_OWNERS)
    ("alc.engine.lua",),
    # the executor seam: inline and process executors (the worker runs VMs from alc.engine.lua)
    ("alc.engine.executor",),
    # the services one session is built from, and strategy metadata
    (
        "alc.engine.accounting",
        "alc.engine.effects",
        "alc.engine.packages",
        "alc.engine.store",
        "alc.engine.card_query",
        "alc.engine.card_lineage",
        "alc.engine.card_sinks",
        "alc.engine.cards",
        "alc.engine.context",
        "alc.engine.host",
        "alc.engine.state_admin",
        "alc.engine.fork",
        "alc.engine.catalog",
        "alc.engine.tracing",
    ),
    # package management (install, link, doctor, spec runs in throwaway sandboxes)
    ("alc.engine.pkg",),
    # cards and scenarios in and out of the store (collections, git publishing, sinks, traces)
    ("alc.engine.card_exchange", "alc.engine.card_traces", "alc.engine.scenario_library"),
    # one session: state machine and stepping
    ("alc.engine.phase", "alc.engine.session"),
    # all sessions: start / feed / status / cancel, hot sessions, write-ahead commits
    ("alc.engine.registry",),
    # LLM drivers: they speak protocol objects only, never the engine or a front end
    ("alc.responders",),
    # evaluation: scenarios, graders, runs of (strategy, case) sessions, statistics (scipy);
    # below the API so Engine.evaluate can delegate here (it names the engine by protocol)
    ("alc.eval",),
    # the one parser of a feed's answers (and the request base model), then the typed requests
    ("alc._feed",),
    ("alc._requests", "alc._requests_sessions", "alc._requests_pkg"),
    ("alc._requests_data",),
    # the Python API: worker-thread helpers, the services, Engine over them, the generated async
    # twins, then AsyncEngine (the one layer front ends call)
    ("alc._async_support",),
    ("alc._services",),
    ("alc._engine",),
    ("alc._generated_async",),
    ("alc._services_async",),
    ("alc._api", "alc._session_log"),
    # sequential-thinking calls mapped onto sessions of the `thinking` strategy
    ("alc.thinking",),
    # the session inspector (read-only pages; alc serve mounts it at /ui, alc ui serves it)
    ("alc.inspector",),
    # front ends; the CLI's `alc mcp` command starts the MCP server
    ("alc.mcp",),
    ("alc.cli",),
    # the public face: may import from anything below; nothing below imports it
    ("alc", "alc.testing", "alc.__main__"),
)
CONTAINERS = frozenset({"alc", "alc.engine"})

# Only these modules may import lupa: the CLI and MCP never touch it (DESIGN.md section 2).
LUPA_OWNERS = frozenset({"alc.engine.lua"})

# (importer, imported) edges that break the rules today. Being removed by issue 14 ("no import
# cycle and no module importing from a layer above it, in all of alc/"): delete an entry when
# its edge is gone; the test fails on an entry that no longer names a violation.
KNOWN_VIOLATIONS: dict[tuple[str, str], str] = {}


@dataclass(frozen=True)
class Edge:
    importer: str
    imported: str
    rel: str
    line: int
    where: str  # "", " (inside a function)", " (under TYPE_CHECKING)"

    def __str__(self) -> str:
        return f"{self.rel}:{self.line}: {self.importer} -> {self.imported}{self.where}"


def _resolve(name: str, known: dict[str, Module]) -> str | None:
    """The ``alc`` module that ``name`` denotes: itself or its longest module prefix."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in known:
            return candidate
        parts.pop()
    return None


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


class _Imports(ast.NodeVisitor):
    """Collects every import of one module with its context."""

    def __init__(self, module: Module, known: dict[str, Module]) -> None:
        self.module = module
        self.known = known
        self.context: list[str] = []
        self.found: list[tuple[str, int, str]] = []  # (target, line, where)

    def _where(self) -> str:
        return f" ({self.context[-1]})" if self.context else ""

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.context.append("inside a function")
        self.generic_visit(node)
        self.context.pop()

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            self.context.append("under TYPE_CHECKING")
            for child in node.body:
                self.visit(child)
            self.context.pop()
            for child in node.orelse:
                self.visit(child)
        else:
            self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.found.append((alias.name, node.lineno, self._where()))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = node.module or ""
        if node.level:
            package = self.module.name.split(".")
            if not self.module.is_package:
                package.pop()
            package = package[: len(package) - (node.level - 1)]
            base = ".".join([*package, base] if base else package)
        for alias in node.names:
            submodule = f"{base}.{alias.name}"
            target = submodule if submodule in self.known else base
            self.found.append((target, node.lineno, self._where()))


def imports_of(module: Module, known: dict[str, Module]) -> Iterator[tuple[str, int, str]]:
    """Every (imported name, line, context) of ``module``, ``alc`` or not."""
    visitor = _Imports(module, known)
    visitor.visit(module.tree)
    yield from visitor.found


def edges() -> list[Edge]:
    """Every import of an ``alc`` module by an ``alc`` module."""
    known = modules()
    found: list[Edge] = []
    for module in known.values():
        for name, line, where in imports_of(module, known):
            if name != "alc" and not name.startswith("alc."):
                continue
            target = _resolve(name, known)
            edge = Edge(module.name, target or "", module.rel, line, where)
            if target is not None and target != module.name and edge not in found:
                found.append(edge)
    return found


def layer_of(name: str) -> int | None:
    best: tuple[int, int] | None = None  # (entry length, layer)
    for index, layer in enumerate(LAYERS):
        for entry in layer:
            matches = name == entry or (entry not in CONTAINERS and name.startswith(entry + "."))
            if matches and (best is None or len(entry) > best[0]):
                best = (len(entry), index)
    return None if best is None else best[1]


def is_upward(edge: Edge) -> bool:
    low, high = layer_of(edge.importer), layer_of(edge.imported)
    return low is not None and high is not None and high > low


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm: the components of more than one module (iterative, no recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[set[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component: set[str] = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        components.append(component)
            elif child not in index:
                index[child] = low[child] = counter
                counter += 1
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph.get(child, ())))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return components


def cycles(found: list[Edge]) -> list[list[Edge]]:
    """The edges inside each import cycle, one list per strongly connected component."""
    graph: dict[str, set[str]] = defaultdict(set)
    for edge in found:
        graph[edge.importer].add(edge.imported)
        graph.setdefault(edge.imported, set())
    return [
        sorted(
            (e for e in found if e.importer in component and e.imported in component),
            key=lambda e: (e.rel, e.line),
        )
        for component in strongly_connected(graph)
    ]


def _allowed(edge: Edge) -> bool:
    return (edge.importer, edge.imported) in KNOWN_VIOLATIONS


def test_every_module_is_placed_in_a_layer() -> None:
    unplaced = sorted(name for name in modules() if layer_of(name) is None)
    assert not unplaced, (
        "modules with no layer in LAYERS (tests/structure/test_layers.py); place each one:\n  "
        + "\n  ".join(f"{modules()[n].rel} ({n})" for n in unplaced)
    )


def test_no_upward_import() -> None:
    upward = [e for e in edges() if is_upward(e) and not _allowed(e)]
    assert not upward, (
        "imports of a higher layer (LAYERS in tests/structure/test_layers.py, lowest first):\n  "
        + "\n  ".join(
            f"{e}  [layer {layer_of(e.importer)} imports layer {layer_of(e.imported)}]"
            for e in sorted(upward, key=lambda e: (e.rel, e.line))
        )
    )


def test_no_import_cycle() -> None:
    found = cycles([e for e in edges() if not _allowed(e)])
    assert not found, "import cycles between alc modules (every edge of each cycle):\n" + "\n".join(
        f"  cycle {i + 1}:\n    " + "\n    ".join(str(e) for e in cycle)
        for i, cycle in enumerate(found)
    )


def test_only_the_vm_factory_imports_lupa() -> None:
    known = modules()
    offenders = [
        f"{module.rel}:{line}: {module.name} imports {name}{where}"
        for module in known.values()
        if module.name not in LUPA_OWNERS
        for name, line, where in imports_of(module, known)
        if name == "lupa" or name.startswith("lupa.")
    ]
    assert not offenders, (
        "lupa imported outside "
        + ", ".join(sorted(LUPA_OWNERS))
        + ":\n  "
        + ("\n  ".join(offenders))
    )


def test_known_violations_are_still_violations() -> None:
    """The allow-list only shrinks: an entry whose edge is fixed must be deleted."""
    found = edges()
    in_cycle = {(e.importer, e.imported) for cycle in cycles(found) for e in cycle}
    live = {(e.importer, e.imported) for e in found if is_upward(e)} | in_cycle
    stale = sorted(set(KNOWN_VIOLATIONS) - live)
    assert not stale, (
        "fixed: delete these from KNOWN_VIOLATIONS in tests/structure/test_layers.py:\n  "
        + "\n  ".join(f"{a} -> {b}" for a, b in stale)
    )


def test_the_walker_sees_every_kind_of_import() -> None:
    """Self-check of the parser on a module written for it (relative, lazy, type-only)."""
    import ast as _ast
    from pathlib import Path

    source = (
        "from typing import TYPE_CHECKING\n"
        "import alc.engine.lua\n"
        "from . import session\n"
        "from .store import Store\n"
        "if TYPE_CHECKING:\n"
        "    from alc.engine.registry import SessionRegistry\n"
        "def f():\n"
        "    import alc\n"
    )
    known = modules()
    probe = Module("alc.engine.probe", Path("alc/engine/probe.py"), source, _ast.parse(source))
    got = {(name, where) for name, _, where in imports_of(probe, known)}
    assert ("alc.engine.lua", "") in got
    assert ("alc.engine.session", "") in got
    assert ("alc.engine.store", "") in got
    assert ("alc.engine.registry", " (under TYPE_CHECKING)") in got
    assert ("alc", " (inside a function)") in got
