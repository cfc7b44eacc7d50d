"""Sequential thinking over MCP stdio: the reference server vs ``alc mcp``'s ``sequentialthinking``.

Both servers are driven the same way, by the official ``mcp`` Python SDK client over stdio
(``stdio_client`` + ``ClientSession``): initialize, then ``tools/call sequentialthinking`` once per
thought, sequentially, as an MCP host does while a model thinks. Per run, one fresh server process
receives ``big`` thoughts (default 10,000) of the same ~200-character text; we report

- thoughts/second over the first ``small`` thoughts (default 1,000), end to end through the client;
- the server process's CPU time (user + system, ``/proc/<pid>/stat``) per thought over the same
  thoughts: the server's own cost, without the (shared) client's;
- the server process's peak RSS (``VmHWM`` from ``/proc/<pid>/status``) right after initialize,
  after ``small`` and after ``big`` thoughts; "flat memory" means peak RSS after ``big`` thoughts is
  at most 1.10x the peak after ``small``.

The reference is the npm package ``@modelcontextprotocol/server-sequential-thinking``, installed on
first use with ``npm install --prefix benchmarks/.cache/npm`` and run with ``node``; its per-thought
console log is switched off (``DISABLE_THOUGHT_LOGGING=true``), its fastest configuration. ``alc``
runs as ``python -m alc.mcp`` with a throwaway ``ALC_HOME``. Server stderr goes to /dev/null.

    python -m benchmarks --only thinking
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import anyio
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

from benchmarks._registry import register
from benchmarks._util import Figure, Section

HERE = Path(__file__).parent
NPM_PREFIX = HERE / ".cache" / "npm"
NPM_PACKAGE = "@modelcontextprotocol/server-sequential-thinking"
REFERENCE_JS = NPM_PREFIX / "node_modules" / NPM_PACKAGE / "dist" / "index.js"
TOOL = "sequentialthinking"
FLAT = 1.10  # peak RSS after `big` thoughts / after `small` thoughts, at most

if shutil.which("node") is None or shutil.which("npm") is None:
    raise ImportError("node and npm are needed for the sequential-thinking comparison")

FILLER = (
    "Consider the constraint again: the total must stay below the budget, so the cheaper option "
    "wins unless its latency exceeds the limit; check that case before moving on."
)


def thought_args(index: int, chain: int) -> dict[str, Any]:
    """Arguments of call ``index`` (from 1), in chains of ``chain`` thoughts (reference schema)."""
    number = (index - 1) % chain + 1
    return {
        "thought": f"Thought {number}: {FILLER}",
        "thoughtNumber": number,
        "totalThoughts": chain,
        "nextThoughtNeeded": number < chain,
    }


def ensure_reference() -> Path:
    """Install the reference server into ``benchmarks/.cache/npm`` if it is not there yet."""
    if not REFERENCE_JS.exists():
        NPM_PREFIX.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(NPM_PREFIX), NPM_PACKAGE],
            check=True,
            capture_output=True,
            timeout=600,
        )
    return REFERENCE_JS


def reference_version() -> str:
    package = REFERENCE_JS.parent.parent / "package.json"
    return str(json.loads(package.read_text())["version"])


def alc_available() -> str | None:
    """``None`` when ``python -m alc.mcp`` can run, else why not."""
    try:
        if find_spec("alc.mcp") is None or find_spec("alc.mcp.__main__") is None:
            return "alc.mcp (python -m alc.mcp) is not in this checkout yet"
    except ImportError as exc:
        return f"alc.mcp does not import: {exc}"
    return None


def _children() -> set[int]:
    me = os.getpid()
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == me:
            found.add(int(entry))
    return found


def _peak_rss_mb(pid: int) -> float:
    """Peak resident set size (VmHWM) of ``pid``, in MB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024 / 1e6
    raise RuntimeError(f"no VmHWM for pid {pid}")


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds used so far by ``pid``."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Run:
    cpu_ms_per_thought: float = 0.0
    thoughts_per_s: float = 0.0
    thoughts_per_s_big: float = 0.0
    rss_mb: dict[int, float] = field(default_factory=dict)


async def _drive(params: StdioServerParameters, small: int, big: int, chain: int) -> Run:
    before = _children()
    run = Run()
    with open(os.devnull, "w") as devnull:
        async with stdio_client(params, errlog=devnull) as (read, write), ClientSession(
            read, write
        ) as session:
            await session.initialize()
            tools = await session.list_tools()
            if TOOL not in {t.name for t in tools.tools}:
                raise RuntimeError(f"{params.command} {params.args}: no {TOOL!r} tool")
            spawned = _children() - before
            if len(spawned) != 1:
                raise RuntimeError(f"cannot tell the server process apart: {spawned}")
            pid = spawned.pop()
            run.rss_mb[0] = _peak_rss_mb(pid)
            cpu = _cpu_s(pid)
            start = time.perf_counter()
            for number in range(1, big + 1):
                result = await session.call_tool(TOOL, thought_args(number, chain))
                if result.is_error:
                    raise RuntimeError(f"thought {number}: {result.content}")
                if number == small:
                    run.thoughts_per_s = small / (time.perf_counter() - start)
                    run.cpu_ms_per_thought = (_cpu_s(pid) - cpu) * 1000 / small
                    run.rss_mb[small] = _peak_rss_mb(pid)
            run.thoughts_per_s_big = big / (time.perf_counter() - start)
            run.rss_mb[big] = _peak_rss_mb(pid)
    return run


def reference_params() -> StdioServerParameters:
    return StdioServerParameters(
        command=shutil.which("node") or "node",
        args=[str(ensure_reference())],
        env={"DISABLE_THOUGHT_LOGGING": "true"},
    )


def floor_params() -> StdioServerParameters:
    return StdioServerParameters(command=sys.executable, args=[str(HERE / "_mcp_floor_server.py")])


def lowlevel_params(transport: str) -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable,
        args=[str(HERE / "_mcp_lowlevel_floor.py"), "--transport", transport],
    )


def alc_params(home: Path) -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable, args=["-m", "alc.mcp"], env={"ALC_HOME": str(home)}
    )


def _add(section: Section, label: str, runs: list[Run], small: int, big: int,
         is_alc: bool) -> dict[str, Figure]:
    tput = section.add(Figure(
        f"{label}: thoughts/s, first {small:,}", "thoughts/s", [r.thoughts_per_s for r in runs],
        target="> reference" if is_alc else "",
    ))
    section.add(Figure(f"{label}: thoughts/s, all {big:,}", "thoughts/s",
                       [r.thoughts_per_s_big for r in runs]))
    cpu = section.add(Figure(f"{label}: server CPU per thought, first {small:,}", "ms",
                             [r.cpu_ms_per_thought for r in runs]))
    section.add(Figure(f"{label}: peak RSS after initialize", "MB", [r.rss_mb[0] for r in runs]))
    low = section.add(Figure(f"{label}: peak RSS after {small:,} thoughts", "MB",
                             [r.rss_mb[small] for r in runs]))
    high = section.add(Figure(
        f"{label}: peak RSS after {big:,} thoughts", "MB", [r.rss_mb[big] for r in runs],
        target=f"<= {FLAT:.2f}x the {small:,} figure" if is_alc else "",
    ))
    if is_alc:
        high.met = high.median <= FLAT * low.median
    return {"tput": tput, "cpu": cpu, "low": low, "high": high}


def thinking(runs: int = 3, small: int = 1000, big: int = 10_000, chain: int = 100) -> Section:
    """Thoughts/second and server peak RSS: reference sequential-thinking server vs alc mcp."""
    section = Section("Sequential thinking over MCP stdio: reference server vs alc mcp")
    ref_params = reference_params()
    missing = alc_available()
    ref_runs: list[Run] = []
    floor_runs: list[Run] = []
    lowlevel_runs: dict[str, list[Run]] = {"sdk": [], "loop": []}
    alc_runs: list[Run] = []
    with tempfile.TemporaryDirectory() as tmp:
        for index in range(runs):  # interleaved, so drift in machine load hits all alike
            ref_runs.append(anyio.run(_drive, ref_params, small, big, chain))
            floor_runs.append(anyio.run(_drive, floor_params(), small, small, chain))
            for transport, found in lowlevel_runs.items():
                found.append(anyio.run(_drive, lowlevel_params(transport), small, small, chain))
            if missing is None:
                home = Path(tmp) / f"home-{index}"
                home.mkdir()
                alc_runs.append(anyio.run(_drive, alc_params(home), small, big, chain))

    ref = _add(section, "reference (node)", ref_runs, small, big, is_alc=False)
    floor_tput = section.add(Figure(
        f"Python MCP SDK floor (no-op tool): thoughts/s, first {small:,}", "thoughts/s",
        [r.thoughts_per_s for r in floor_runs]))
    floor_cpu = section.add(Figure(
        f"Python MCP SDK floor (no-op tool): server CPU per thought, first {small:,}", "ms",
        [r.cpu_ms_per_thought for r in floor_runs]))

    lowlevel = {}
    for transport, label in (("sdk", "SDK stdio"), ("loop", "alc's event-loop stdio")):
        found = lowlevel_runs[transport]
        lowlevel[transport] = section.add(Figure(
            f"SDK low-level Server floor, {label}: thoughts/s, first {small:,}", "thoughts/s",
            [r.thoughts_per_s for r in found]))
        section.add(Figure(
            f"SDK low-level Server floor, {label}: server CPU per thought, first {small:,}", "ms",
            [r.cpu_ms_per_thought for r in found]))
    section.ratio("low-level floor thoughts/s, event-loop / SDK stdio transport",
                  lowlevel["loop"].median / lowlevel["sdk"].median)
    section.ratio("low-level floor (event-loop stdio) / reference thoughts/s",
                  lowlevel["loop"].median / ref["tput"].median)

    def growth(figs: dict[str, Figure]) -> float:
        return figs["high"].median / figs["low"].median

    section.ratio(f"reference peak RSS {big:,} / {small:,} thoughts", growth(ref))
    if missing is None:
        ours = _add(section, "alc mcp", alc_runs, small, big, is_alc=True)
        speed = ours["tput"].median / ref["tput"].median
        ours["tput"].met = speed > 1
        section.ratio(f"alc / reference thoughts/s ({small:,} thoughts)", speed,
                      "> 1x (alc faster)", speed > 1)
        section.ratio("alc / reference server CPU per thought",
                      ours["cpu"].median / ref["cpu"].median)
        section.ratio("alc / Python MCP SDK floor thoughts/s",
                      ours["tput"].median / floor_tput.median)
        section.ratio("alc / Python MCP SDK floor server CPU per thought",
                      ours["cpu"].median / floor_cpu.median)
        section.ratio(f"alc peak RSS {big:,} / {small:,} thoughts", growth(ours),
                      f"<= {FLAT:.2f}x (flat)", growth(ours) <= FLAT)
        section.ratio(f"alc / reference peak RSS after {big:,} thoughts",
                      ours["high"].median / ref["high"].median)
    else:
        section.notes.append(f"**alc side not measured**: {missing}.")
    section.notes.append(
        f"Reference: {NPM_PACKAGE} {reference_version()} on node "
        f"{subprocess.run(['node', '--version'], capture_output=True, text=True).stdout.strip()}"
        f", DISABLE_THOUGHT_LOGGING=true. Client: mcp Python SDK over stdio, one call per thought, "
        f"sequential, in chains of {chain} thoughts (thoughtNumber 1..{chain}, then a new chain). "
        f"{runs} run(s), each a fresh server process fed {big:,} thoughts; throughput over the "
        f"first {small:,} and over all {big:,}; RSS = the server's VmHWM; CPU = the server's "
        f"user + system time. The SDK floor is benchmarks/_mcp_floor_server.py: the SDK alc mcp is "
        f"built on, with a tool that does nothing (fed {small:,} thoughts); the low-level floor is "
        f"benchmarks/_mcp_lowlevel_floor.py: the SDK's low-level Server with a no-op tool, over "
        f"the SDK's stdio transport and over the event-loop stdio alc mcp uses."
    )
    section.notes.append(
        "Semantics differ: the reference keeps every thought of every chain in one in-memory list "
        "for the life of the process; alc journals each thought to SQLite (durable, restorable) "
        "in a session per chain, closes a chain at 200 thoughts and keeps at most 256 chains; a "
        "finished chain's history lives in the journal on disk, not in the server process."
    )
    return section


register("thinking", __name__, "thinking", {"runs": 3},
         {"runs": 1, "small": 1000, "big": 2000})
