"""Shared helpers: repeated timing with median/min/max, RSS, machine description."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Figure:
    """One measured quantity over repeated runs (values in ``unit``)."""

    name: str
    unit: str
    values: list[float]
    target: str = ""
    met: bool | None = None
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def low(self) -> float:
        return min(self.values)

    @property
    def high(self) -> float:
        return max(self.values)


@dataclass
class Section:
    """A comparison: its figures and the ratios derived from them."""

    title: str
    figures: list[Figure] = field(default_factory=list)
    ratios: list[tuple[str, float, str, bool | None]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        return figure

    def ratio(self, name: str, value: float, target: str = "", met: bool | None = None) -> None:
        self.ratios.append((name, value, target, met))


def repeat(fn: Callable[[], float], runs: int) -> list[float]:
    """Call ``fn`` (which returns one measurement) ``runs`` times."""
    return [fn() for _ in range(runs)]


def per_call_us(fn: Callable[[], None], calls: int) -> float:
    """Microseconds per call of ``fn`` over ``calls`` calls."""
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls * 1e6


def rss_bytes() -> int:
    """Resident set size of this process, in bytes (Linux)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def run_python(code: str, env: dict[str, str] | None = None, timeout: float = 600) -> str:
    """Run ``code`` in a fresh interpreter; return its stdout (raises on failure)."""
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=True,
    )
    return proc.stdout


def machine() -> dict[str, Any]:
    """What ran the benchmarks: CPU, cores, memory, OS, Python, package versions."""
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as f:
            mem_kb = int(f.readline().split()[1])
    except OSError:
        mem_kb = 0
    from importlib.metadata import version

    import lupa

    versions = {}
    for pkg in ("lupa", "pydantic", "anyio", "mcp", "langgraph"):
        try:
            versions[pkg] = version(pkg)
        except Exception:  # optional package
            versions[pkg] = "not installed"
    _ = lupa
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "versions": versions,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
