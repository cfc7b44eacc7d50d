"""``alc serve`` throughput against replicas on one database, and where the CPU goes.

For 1, 2, 3, 4 replicas on one PostgreSQL database (a fresh one per point, dropped after it;
needs ``ALC_BENCH_POSTGRES_URL`` / ``ALC_TEST_POSTGRES_URL``, else the output says it was
skipped) and on one SQLite file (WAL; replicas share it through file locks): fresh ``alc serve``
processes per point (one Lua worker process each, auth off), the load client of
``benchmarks/serve.py`` (``sessions`` sessions of 3 tool calls, ``concurrency`` in flight, each
call to a random replica, a warm-up per replica untimed). Reported per point: calls/s, p50, p99,
and the CPU each party used over the timed part (``/proc/<pid>/stat`` user + system, before and
after), as a share of one core and in ms per tool call:

- each replica (the ``alc serve`` process and its worker);
- the load client (this Python process: the SDK's HTTP client, plus the threads reading the
  replicas' logs);
- PostgreSQL: the server's backends connected to the point's database (the server must run on
  this machine to be seen; the whole server's CPU is listed too: other jobs use it);
- the machine (``/proc/stat``: every process, other users' included).

The sum of the parties' ms per call gives a CPU ceiling (cores x 1000 / ms per call calls/s):
a point far below it is limited by waiting (serial paths, locks, round trips), one near it by
CPU. Runs interleave the points; the curve is drawn into ``benchmarks/serve_replicas.png``.

    python -m benchmarks --only replicas            # 1-4 replicas, both stores, 1 run
    python -m benchmarks --only replicas --quick    # 1-2 replicas, 60 sessions
    python -m benchmarks.serve_replicas --runs 3 --counts 1 2 3 4 6   # more runs or points
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit

from benchmarks import _procstat
from benchmarks._pg import database_name, fresh_database, server_url, settings
from benchmarks._registry import register
from benchmarks._util import Figure, Section, machine
from benchmarks.serve import CALLS_PER_SESSION, _load, _Replica, summary

HERE = Path(__file__).parent
COUNTS = (1, 2, 3, 4)
PARTIES = ("replicas", "load client", "PostgreSQL")


def _snapshot(fleet: list[_Replica], server: int | None, database: str) -> dict[str, object]:
    mine, whole = _procstat.postgres_seconds(server, database) if server else (0.0, 0.0)
    return {
        "replica": [_procstat.tree_seconds(r.proc.pid) for r in fleet],
        "client": time.process_time(),
        "postgres": mine,
        "postgres_server": whole,
        "machine": _procstat.machine_busy_seconds(),
    }


def _point(
    store: str, replicas: int, sessions: int, concurrency: int, max_seconds: float
) -> dict[str, object]:
    """One point: fresh replicas on a fresh store, the load, the CPU split."""
    import anyio

    with ExitStack() as stack:
        home = stack.enter_context(tempfile.TemporaryDirectory(prefix="alc-bench-replicas-"))
        server = None
        database = ""
        if store == "sqlite":
            store = str(Path(home) / "shared.db")
        else:
            store = stack.enter_context(fresh_database(store))
            database = database_name(store)
            server = _procstat.postmaster(urlsplit(store).port)
        fleet = [_Replica(store, home) for _ in range(replicas)]
        marks: dict[str, dict[str, object]] = {}
        try:
            urls = [r.url() for r in fleet]

            def window(mark: str) -> None:
                marks[mark] = _snapshot(fleet, server, database)

            latencies, elapsed = anyio.run(_load, urls, sessions, concurrency, max_seconds, window)
        finally:
            for r in fleet:
                r.stop()
    start, end = marks["start"], marks["end"]

    def used(key: str) -> float:
        return float(end[key]) - float(start[key])  # type: ignore[arg-type]

    per_replica = [b - a for a, b in zip(start["replica"], end["replica"], strict=True)]  # type: ignore[call-overload]
    return {
        **summary(latencies, elapsed),
        "calls": len(latencies),
        "elapsed": elapsed,
        "cpu_replica": per_replica,
        "cpu_client": used("client"),
        "cpu_postgres": used("postgres"),
        "cpu_postgres_server": used("postgres_server"),
        "cpu_machine": used("machine"),
        "postgres_seen": server is not None,
    }


def replicas_load(
    runs: int = 1,
    counts: tuple[int, ...] = COUNTS,
    sessions: int = 200,
    concurrency: int = 16,
    max_seconds: float = 60.0,
    postgres: str | None = None,
) -> Section:
    """The section (see the module docstring)."""
    server, skipped = server_url(postgres)
    stores = {"SQLite file": "sqlite"}
    if server:
        stores["PostgreSQL"] = server
    else:
        print(f"    {skipped}", file=sys.stderr, flush=True)
    section = Section(
        f"alc serve: throughput vs replicas on one store ({sessions} sessions x "
        f"{CALLS_PER_SESSION} calls, {concurrency} in flight, streamable HTTP on 127.0.0.1"
        + ("" if server else "; PostgreSQL skipped") + ")"
    )
    got: dict[tuple[str, int], list[dict]] = {(s, n): [] for s in stores for n in counts}
    for k in range(runs):
        for n in counts:
            for name, store in stores.items():
                print(f"    {name}, {n} replica(s), run {k + 1}/{runs} ...", file=sys.stderr,
                      flush=True)
                got[(name, n)].append(_point(store, n, sessions, concurrency, max_seconds))
    cores = os.cpu_count() or 1
    for (name, n), rows in got.items():
        label = f"{name}, {n} replica{'s' if n > 1 else ''}"
        section.add(Figure(f"{label}: throughput", "calls/s", [r["calls_s"] for r in rows]))
        section.add(Figure(f"{label}: p50 latency", "ms", [r["p50_ms"] for r in rows]))
        section.add(Figure(f"{label}: p99 latency", "ms", [r["p99_ms"] for r in rows]))
        for party, key in _parties(name):
            section.add(Figure(f"{label}: CPU per call, {party}", "ms",
                               [_total(r, key) / r["calls"] * 1000 for r in rows]))
        section.add(Figure(f"{label}: CPU ceiling ({cores} cores / CPU per call)", "calls/s",
                           [cores * r["calls"] / _spent(r, name) for r in rows]))
        section.add(Figure(f"{label}: machine busy (all processes)", "% of one core",
                           [r["cpu_machine"] / r["elapsed"] * 100 for r in rows]))
        section.notes.append(_cpu_line(label, name, rows[-1]))
    for name in stores:
        one, top = got[(name, counts[0])], got[(name, counts[-1])]
        section.ratio(
            f"{name}: {counts[-1]} replicas / {counts[0]} throughput",
            statistics.median(r["calls_s"] for r in top)
            / statistics.median(r["calls_s"] for r in one),
        )
    section.notes.append(
        f"{runs} run(s), points interleaved, fresh replicas and store per point; CPU = user + "
        "system seconds over the timed part from /proc/<pid>/stat (replica = the alc serve "
        "process + its Lua worker), % of one core = CPU seconds / wall seconds x 100; the "
        "machine figure counts every process, other jobs included. "
        + (f"PostgreSQL: {settings(server)}, on this machine." if server else skipped + ".")
    )
    if _plot(got, stores, counts):
        section.notes.append("Curve: `benchmarks/serve_replicas.png`.")
    return section


def _parties(store: str) -> list[tuple[str, str]]:
    out = [("replicas (sum)", "cpu_replica"), ("load client", "cpu_client")]
    return out + ([("PostgreSQL backends", "cpu_postgres")] if store != "SQLite file" else [])


def _total(row: dict, key: str) -> float:
    value = row[key]
    return float(sum(value)) if isinstance(value, list) else float(value)


def _spent(row: dict, store: str) -> float:
    return sum(_total(row, key) for _, key in _parties(store)) or float("nan")


def _cpu_line(label: str, store: str, row: dict) -> str:
    def pct(seconds: float) -> str:
        return f"{seconds / row['elapsed'] * 100:.0f}%"

    parts = [
        "replicas " + " / ".join(pct(s) for s in row["cpu_replica"]),
        f"load client {pct(row['cpu_client'])}",
    ]
    if store != "SQLite file":
        parts.append(
            f"PostgreSQL backends {pct(row['cpu_postgres'])} (whole server "
            f"{pct(row['cpu_postgres_server'])})"
            if row["postgres_seen"]
            else "PostgreSQL not on this machine (not seen)"
        )
    ours = sum(row["cpu_replica"]) + row["cpu_client"] + row["cpu_postgres_server"]
    parts.append(
        f"machine {pct(row['cpu_machine'])} of {100 * (os.cpu_count() or 1)}% "
        f"(other processes {pct(max(0.0, row['cpu_machine'] - ours))})"
    )
    return (
        f"CPU of one core, {label} (last run, {row['calls_s']:.0f} calls/s): " + "; ".join(parts)
    )


def _plot(got: dict, stores: dict[str, str], counts: tuple[int, ...]) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False

    def med(name: str, n: int, fn) -> float:  # type: ignore[no-untyped-def]
        return statistics.median(fn(r) for r in got[(name, n)])

    fig, (thr, lat, cpu) = plt.subplots(1, 3, figsize=(13, 4))
    colours = {"SQLite file": "#3b6ea5", "PostgreSQL": "#c0504d"}
    width = 0.8 / len(stores)
    for i, name in enumerate(stores):
        c = colours.get(name)
        thr.plot(counts, [med(name, n, lambda r: r["calls_s"]) for n in counts], "o-", color=c,
                 label=name)
        lat.plot(counts, [med(name, n, lambda r: r["p50_ms"]) for n in counts], "o-", color=c,
                 label=f"{name} p50")
        lat.plot(counts, [med(name, n, lambda r: r["p99_ms"]) for n in counts], "s--", color=c,
                 label=f"{name} p99")
        bottom = [0.0] * len(counts)
        xs = [n - 0.4 + width * (i + 0.5) for n in counts]
        for (party, key), shade in zip(_parties(name), (1.0, 0.55, 0.3), strict=False):
            share = [
                med(name, n, lambda r, key=key: _total(r, key) / r["elapsed"] * 100)
                for n in counts
            ]
            cpu.bar(xs, share, width * 0.95, bottom=bottom, color=c, alpha=shade,
                    label=f"{name}: {party}")
            bottom = [b + s for b, s in zip(bottom, share, strict=True)]
        busy = [med(name, n, lambda r: r["cpu_machine"] / r["elapsed"] * 100) for n in counts]
        cpu.plot(xs, busy, "kv", markersize=7, label="machine, all processes" if i == 0 else None)
    cpu.axhline(100 * (os.cpu_count() or 1), color="#999", linewidth=1)
    thr.set_ylabel("calls/s")
    thr.set_ylim(bottom=0)
    lat.set_ylabel("ms per tool call")
    lat.set_yscale("log")
    cpu.set_ylabel("CPU, % of one core")
    for ax, title in ((thr, "throughput"), (lat, "latency"), (cpu, "CPU over the run")):
        ax.set_xlabel("alc serve replicas on one store")
        ax.set_xticks(list(counts))
        ax.set_title(title)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(f"alc serve vs replicas ({os.cpu_count()} cores, load client on the same machine)")
    fig.tight_layout()
    fig.savefig(HERE / "serve_replicas.png", dpi=110)
    plt.close(fig)
    return True


register("replicas", __name__, "replicas_load", {"runs": 1},
         {"runs": 1, "counts": (1, 2), "sessions": 60})


def main(argv: list[str] | None = None) -> int:
    """Run the section alone with chosen sizes; print it as RESULTS.md would show it."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.serve_replicas",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--counts", type=int, nargs="+", default=list(COUNTS))
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--postgres", default=None, help="a PostgreSQL server URL (CREATEDB)")
    args = parser.parse_args(argv)
    section = replicas_load(args.runs, tuple(args.counts), args.sessions, args.concurrency,
                            postgres=args.postgres)
    from benchmarks.__main__ import render

    print(render([section], machine(), []))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
