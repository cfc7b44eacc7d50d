"""How a feed grows with the session: round trip against session length, SQLite and PostgreSQL.

One session per store and run is grown from 0 to 10,000 answered steps (``alc.llm`` in a loop,
a different question each step, the default inline executor). At each checkpoint (100, 1,000,
3,000, 10,000 answers) two figures are taken on that session:

- cold restore + feed: the hot copy is evicted from memory (``registry.evict_idle``), then one
  feed is timed: it reads the journal back and replays it (linear in the log), then answers;
  ``samples`` of them, the median kept;
- hot feed: after 10 untimed feeds, ``hot_calls`` feeds of the session in memory (one journal
  append each; should stay flat), the mean per feed.

The stores: a SQLite journal on a temporary file (WAL, the default ``Engine(store=path)``), and,
when a server is given (``ALC_BENCH_POSTGRES_URL`` or ``ALC_TEST_POSTGRES_URL``), a fresh
PostgreSQL database created for the run and dropped after it; without one the output says
"PostgreSQL skipped" and why. Runs interleave the stores. Both are drawn into
``benchmarks/growth_session_length.png`` (log-log).

    python -m benchmarks --only growth            # 3 runs, 100 to 10,000 answers
    python -m benchmarks --only growth --quick    # 1 run, 100 and 1,000 answers
"""

from __future__ import annotations

import math
import os
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import alc
from alc.engine.store import open_store
from benchmarks._pg import fresh_database, server_url, settings
from benchmarks._registry import register
from benchmarks._util import Figure, Section, per_call_us

HERE = Path(__file__).parent
SIZES = (100, 1000, 3000, 10000)
WARM = 10


def grow(store: str, sizes: tuple[int, ...], hot_calls: int = 100, samples: int = 3) -> dict:
    """Grow one session on ``store`` (a path or a ``postgresql://`` URL) through ``sizes``.

    Returns ``{size: (hot feed ms, cold restore + feed ms)}`` measured at each checkpoint.
    """
    steps = sizes[-1] + (samples + WARM + hot_calls) * len(sizes) + 1
    opened = open_store(store)
    engine = alc.Engine(store=opened)
    try:
        sid = engine.start(
            code=f"for i = 1, {steps} do alc.llm('question ' .. i) end"
        ).session_id
        answered = 0
        out: dict[int, tuple[float, float]] = {}
        for size in sizes:
            while answered < size:
                engine.feed(sid, "answer")
                answered += 1
            cold = []
            for _ in range(samples):
                engine.registry.evict_idle(math.inf)  # the next feed restores from the journal
                started = time.perf_counter()
                engine.feed(sid, "answer")
                cold.append((time.perf_counter() - started) * 1000)
            for _ in range(WARM):  # untimed: the first feeds after a restore warm the caches
                engine.feed(sid, "answer")
            hot = per_call_us(lambda: engine.feed(sid, "answer"), hot_calls) / 1000
            answered += samples + WARM + hot_calls
            out[size] = (hot, statistics.median(cold))
        return out
    finally:
        engine.close()
        opened.close()


def session_length(
    runs: int = 3,
    sizes: tuple[int, ...] = SIZES,
    hot_calls: int = 100,
    postgres: str | None = None,
) -> Section:
    """The section: hot feed and cold restore per session length and store, and the plot."""
    server, skipped = server_url(postgres)
    if skipped:
        print(f"    {skipped}", file=sys.stderr, flush=True)
    section = Section(
        "Round trip vs session length (default Engine, SQLite journal"
        + (" and PostgreSQL)" if server else "; PostgreSQL skipped)")
    )
    got: dict[str, list[dict]] = {"SQLite": []}
    pg_settings = ""
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        stores = {"SQLite": lambda: str(folder / f"growth-{time.perf_counter_ns()}.db")}
        if server:
            url = stack.enter_context(fresh_database(server))
            pg_settings = settings(url)
            stores["PostgreSQL"] = lambda: url  # one database, one new session per run
            got["PostgreSQL"] = []
        for k in range(runs):
            for name, make in stores.items():
                print(f"    {name}, run {k + 1}/{runs} ...", file=sys.stderr, flush=True)
                got[name].append(grow(make(), sizes, hot_calls))
    curves: dict[str, tuple[list[Figure], list[Figure]]] = {}
    for name, rows in got.items():
        hot = [
            section.add(Figure(f"{name}: hot feed after {s:,} answers", "ms",
                               [r[s][0] for r in rows]))
            for s in sizes
        ]
        cold = [
            section.add(Figure(f"{name}: cold restore + feed after {s:,} answers", "ms",
                               [r[s][1] for r in rows]))
            for s in sizes
        ]
        curves[name] = (hot, cold)
        first, last = sizes[0], sizes[-1]
        section.ratio(f"{name}: hot feed {last:,} / {first:,} answers (flat = 1)",
                      hot[-1].median / hot[0].median)
        section.ratio(f"{name}: restore {last:,} / {first:,} answers (linear = {last // first})",
                      cold[-1].median / cold[0].median)
        section.ratio(f"{name}: restore per answered step at {last:,}, ms",
                      cold[-1].median / last)
    if server:
        for k, label in ((0, "hot feed"), (1, "restore")):
            a, b = curves["PostgreSQL"][k][-1], curves["SQLite"][k][-1]
            section.ratio(f"PostgreSQL / SQLite {label} at {sizes[-1]:,} answers",
                          a.median / b.median)
    section.notes.append(
        f"{runs} run(s); per run and store one session grown to {sizes[-1]:,} answers; hot = "
        f"mean of {hot_calls} feeds, cold = median of 3 evict + feed. "
        + (
            "PostgreSQL: a fresh database on the server of ALC_BENCH_POSTGRES_URL / "
            f"ALC_TEST_POSTGRES_URL ({pg_settings}), dropped after the run."
            if server
            else skipped + "."
        )
    )
    if _plot(curves, sizes):
        section.notes.append("Curve: `benchmarks/growth_session_length.png`.")
    return section


def _plot(curves: dict[str, tuple[list[Figure], list[Figure]]], sizes: tuple[int, ...]) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    colours = {"SQLite": "#3b6ea5", "PostgreSQL": "#c0504d"}
    fig, ax = plt.subplots(figsize=(6.4, 4))
    for name, (hot, cold) in curves.items():
        for figs, label, style in ((hot, "hot feed", "o-"), (cold, "cold restore + feed", "s--")):
            ax.errorbar(
                sizes,
                [f.median for f in figs],
                yerr=[[f.median - f.low for f in figs], [f.high - f.median for f in figs]],
                fmt=style,
                color=colours.get(name),
                capsize=3,
                label=f"{name}: {label}",
            )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("answered steps in the session")
    ax.set_ylabel("ms per feed (median, min-max)")
    stores = " vs ".join(curves)
    ax.set_title(f"feed cost vs session length, {stores} ({os.cpu_count()} cores)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    fig.savefig(HERE / "growth_session_length.png", dpi=110)
    plt.close(fig)
    return True


register("growth", __name__, "session_length", {"runs": 3}, {"runs": 1, "sizes": (100, 1000)})
