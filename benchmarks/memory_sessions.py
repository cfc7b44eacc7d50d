"""Memory per paused session as a curve: process RSS against the number of paused sessions.

A fresh interpreter per series and run (its RSS is its own): one ``alc.Engine`` (inline
executor, ``idle_ttl`` far away so nothing is evicted behind the benchmark's back), one warm-up
session run to completion (imports and first-use caches are not charged to the sessions), then
sessions of ``local a = alc.llm('q') return a .. '!'`` are started and left paused; at each count
(0, 1,000, 2,000, 5,000, 10,000) the cyclic GC runs, ``malloc_trim(0)`` gives the C heap
glibc keeps back to the OS, and ``VmRSS`` is read. Series:

- in memory (``Engine()``, ``MemoryStore``);
- SQLite journal (``Engine(store=path)``): the sessions stay hot in memory, and are journalled;
- SQLite journal, evicted: the same, then every hot session is evicted (``registry.evict_idle``)
  before each reading: what a paused session costs in RAM once it lives only in the journal
  (it restores on its next feed).

The slope of a least-squares line through the points is the memory per paused session (KiB);
``1 GiB / slope`` is the paused sessions one GiB holds. Drawn into
``benchmarks/memory_sessions.png``.

    python -m benchmarks --only memory            # 0 to 10,000 sessions, 1 run
    python -m benchmarks --only memory --quick    # 0 to 2,000 sessions, 1 run
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
from pathlib import Path

from benchmarks._registry import register
from benchmarks._util import Figure, Section, run_python

HERE = Path(__file__).parent
COUNTS = (0, 1000, 2000, 5000, 10000)
GIB = 1024**3

CHILD = """
import ctypes, ctypes.util, gc, json, math, time
import alc
from benchmarks._util import rss_bytes
counts, store, evict = {counts!r}, {store!r}, {evict!r}
engine = alc.Engine(idle_ttl=1e9, store=store)
libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
trim = getattr(libc, "malloc_trim", lambda pad: 0)  # glibc: give freed heap back to the OS
warm = engine.start(code="local a = alc.llm('q') return a .. '!'")
engine.feed(warm.session_id, "x")
points, started, n = [], time.perf_counter(), 0
for count in counts:
    while n < count:
        engine.start(code="local a = alc.llm('q') return a .. '!'")
        n += 1
    if evict:
        engine.registry.evict_idle(math.inf)
    gc.collect()
    trim(0)
    points.append((count, rss_bytes()))
print(json.dumps({{"points": points, "seconds": time.perf_counter() - started}}))
"""

SERIES = ("in memory", "SQLite journal", "SQLite journal, evicted")


def slope(points: list[tuple[int, int]]) -> float:
    """Least-squares slope of RSS bytes against session count: bytes per session."""
    xs = [float(x) for x, _ in points]
    ys = [float(y) for _, y in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs
    )


def _series(name: str, counts: tuple[int, ...], folder: str) -> dict:
    store = None if name == "in memory" else f"{folder}/sessions.db"
    code = CHILD.format(counts=list(counts), store=store, evict=name.endswith("evicted"))
    result = json.loads(run_python(code))
    if store:  # the next series or run starts from an empty journal
        for suffix in ("", "-wal", "-shm"):
            Path(store + suffix).unlink(missing_ok=True)
    return result


def memory_per_session(runs: int = 1, counts: tuple[int, ...] = COUNTS) -> Section:
    """The section: RSS per count and series, KiB per session, sessions per GiB, the plot."""
    section = Section(f"Memory per paused session: RSS vs paused sessions (0 to {counts[-1]:,})")
    got: dict[str, list[dict]] = {name: [] for name in SERIES}
    with tempfile.TemporaryDirectory(prefix="alc-bench-memory-") as folder:
        for k in range(runs):
            for name in SERIES:
                print(f"    {name}, run {k + 1}/{runs} ...", file=sys.stderr, flush=True)
                got[name].append(_series(name, counts, folder))
    curves: dict[str, list[float]] = {}
    slopes: dict[str, float] = {}
    for name, rows in got.items():
        per = [slope(r["points"]) / 1024 for r in rows]
        fig = section.add(Figure(f"{name}: RSS per paused session (slope)", "KiB", per))
        slopes[name] = fig.median
        section.ratio(f"{name}: paused sessions per GiB", GIB / (fig.median * 1024))
        for i, count in enumerate(counts):
            mib = [r["points"][i][1] / 2**20 for r in rows]
            section.add(Figure(f"{name}: RSS with {count:,} paused", "MiB", mib))
        curves[name] = [
            statistics.median(r["points"][i][1] / 2**20 for r in rows) for i in range(len(counts))
        ]
        section.add(Figure(f"{name}: start {counts[-1]:,} sessions", "s",
                           [r["seconds"] for r in rows]))
    section.notes.append(
        f"{runs} run(s), a fresh interpreter per series and run; RSS = VmRSS after gc.collect() "
        "and malloc_trim(0); slope by least squares over all counts; KiB = 1024 bytes. The "
        "evicted series still pays the SQLite page cache and what the engine keeps per known "
        "session, not the sessions' VMs."
    )
    if _plot(counts, curves, slopes):
        section.notes.append("Curve: `benchmarks/memory_sessions.png`.")
    return section


def _plot(counts: tuple[int, ...], curves: dict[str, list[float]], slopes: dict) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, ax = plt.subplots(figsize=(6.4, 4))
    for (name, mib), style in zip(curves.items(), ("o-", "s--", "^:"), strict=False):
        ax.plot(counts, mib, style, label=f"{name}: {slopes[name]:.1f} KiB/session")
    ax.set_xlabel("paused sessions in one process")
    ax.set_ylabel("process RSS, MiB (median)")
    ax.set_title("memory vs paused sessions (slope = RSS per session)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(HERE / "memory_sessions.png", dpi=110)
    plt.close(fig)
    return True


register("memory", __name__, "memory_per_session", {"runs": 1},
         {"runs": 1, "counts": (0, 500, 1000, 2000)})
