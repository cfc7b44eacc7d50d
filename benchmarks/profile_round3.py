"""cProfile top frames behind the missed targets of issue 28 (not part of the timed suite).

    python -m benchmarks.profile_round3 [feed|start|think|all]

- ``feed``: 3,000 ``alc.llm`` pause + feed round trips, default ``Engine()`` (in memory, inline
  executor stepping on the calling thread), then the same with ``InlineExecutor(watchdog=True)``;
- ``start``: 1,000 session starts to the first pause, default ``Engine()``;
- ``think``: 1,000 ``ThoughtChains.think`` calls (what ``alc mcp``'s ``sequentialthinking`` runs
  per thought, without the MCP layer) on a SQLite store, inline executor.

Only the calling thread is profiled: with the watchdog, the Lua step itself runs on the
watchdog thread and shows up here as the wait for it.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import sys
import tempfile
import time
from pathlib import Path

import alc

LOOP = "while true do alc.llm('q') end"
TOP = 14


def _report(title: str, prof: cProfile.Profile, n: int, wall: float) -> None:
    print(f"\n### {title}: {wall / n * 1e6:.1f} us per call under the profiler ({n:,} calls)")
    for key in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats(key).print_stats(TOP)
        lines = [ln for ln in out.getvalue().splitlines() if ln.strip()]
        start = next(i for i, ln in enumerate(lines) if ln.lstrip().startswith("ncalls"))
        print(f"\nby {key}:")
        print("\n".join(lines[start : start + TOP + 1]))


def feed(n: int = 3000) -> None:
    from alc.engine.executor._base import InlineExecutor

    for title, engine in (
        ("feed, default Engine (calling thread)", alc.Engine()),
        (
            "feed, InlineExecutor(watchdog=True)",
            alc.Engine(executor=InlineExecutor(watchdog=True)),
        ),
    ):
        sid = engine.start(code=LOOP).session_id
        for _ in range(200):
            engine.feed(sid, "a")
        prof = cProfile.Profile()
        t0 = time.perf_counter()
        prof.enable()
        for _ in range(n):
            engine.feed(sid, "a")
        prof.disable()
        _report(title, prof, n, time.perf_counter() - t0)


def start(n: int = 1000) -> None:
    engine = alc.Engine()
    for _ in range(50):
        engine.start(code="alc.llm('q')")
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    for _ in range(n):
        engine.start(code="alc.llm('q')")
    prof.disable()
    _report("session start to first pause, default Engine", prof, n, time.perf_counter() - t0)


def think(n: int = 1000) -> None:
    from alc.engine.executor._base import InlineExecutor
    from alc.thinking import ThoughtChains

    with tempfile.TemporaryDirectory() as tmp:
        engine = alc.Engine(store=Path(tmp) / "t.db", executor=InlineExecutor())
        chains = ThoughtChains(engine)

        def args(i: int) -> dict[str, object]:
            k = i % 100 + 1
            return {
                "thought": f"Thought {k}: consider the budget again.",
                "thoughtNumber": k,
                "totalThoughts": 100,
                "nextThoughtNeeded": k < 100,
            }

        for i in range(100):
            chains.think(args(i))
        prof = cProfile.Profile()
        t0 = time.perf_counter()
        prof.enable()
        for i in range(n):
            chains.think(args(i))
        prof.disable()
        _report("ThoughtChains.think, SQLite, inline executor", prof, n, time.perf_counter() - t0)


if __name__ == "__main__":
    which = sys.argv[1] if len(sys.argv) > 1 else "all"
    for name, fn in (("feed", feed), ("start", start), ("think", think)):
        if which in (name, "all"):
            fn()
