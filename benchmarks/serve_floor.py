"""``alc serve`` vs the SDK's own no-op tool server on the same streamable HTTP transport.

Both servers are child processes on 127.0.0.1 driven by the load client of
``benchmarks/serve.py`` (the SDK's streamable-HTTP client, ``sessions`` sessions of 3 tool calls,
``concurrency`` in flight): ``alc serve`` (one replica, one Lua worker process, SQLite store, auth
off) and ``benchmarks/_mcp_http_floor_server.py`` (an ``MCPServer`` whose ``alc_run`` and
``alc_continue`` do nothing, stateless, SSE replies, uvicorn). The two alternate pair by pair, a
fresh server per run; the ratio is alc / floor calls/s per pair (median and range over pairs).

With ``sweep`` set, the same pairs are run at 1 to 256 in flight and the curve is drawn into
``benchmarks/serve_concurrency.png``.

    python -m benchmarks --only serve_floor
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

from benchmarks._registry import register
from benchmarks._util import Figure, Section
from benchmarks.serve import _load, _Replica, summary

HERE = Path(__file__).parent
FLOOR = [sys.executable, str(HERE / "_mcp_http_floor_server.py")]
SWEEP = (1, 4, 16, 64, 256)


def _one(floor: bool, sessions: int, concurrency: int) -> dict[str, float]:
    import anyio

    with tempfile.TemporaryDirectory(prefix="alc-bench-floor-") as home:
        replica = _Replica(str(Path(home) / "s.db"), home, FLOOR if floor else None)
        try:
            latencies, elapsed = anyio.run(_load, [replica.url()], sessions, concurrency, 120.0)
        finally:
            replica.stop()
    return summary(latencies, elapsed)


def _pairs(runs: int, sessions: int, concurrency: int) -> tuple[list[dict[str, float]], ...]:
    alc: list[dict[str, float]] = []
    floor: list[dict[str, float]] = []
    for k in range(runs):  # alternate which side goes first
        order = (False, True) if k % 2 == 0 else (True, False)
        for is_floor in order:
            print(f"    {'floor' if is_floor else 'alc'} c={concurrency} ...", file=sys.stderr)
            (floor if is_floor else alc).append(_one(is_floor, sessions, concurrency))
    return alc, floor


def serve_vs_floor(
    runs: int = 5, sessions: int = 200, concurrency: int = 16, sweep: bool = True
) -> Section:
    """The section (see the module docstring)."""
    section = Section(
        f"alc serve vs the SDK's no-op tool server: streamable HTTP, {sessions} sessions x 3 "
        f"calls, {concurrency} in flight"
    )
    alc, floor = _pairs(runs, sessions, concurrency)
    for name, rows in (("alc serve (SQLite, 1 worker)", alc), ("SDK no-op server", floor)):
        section.add(Figure(f"{name}: throughput", "calls/s", [r["calls_s"] for r in rows]))
        section.add(Figure(f"{name}: p50 latency", "ms", [r["p50_ms"] for r in rows]))
        section.add(Figure(f"{name}: p99 latency", "ms", [r["p99_ms"] for r in rows]))
    per_pair = [a["calls_s"] / f["calls_s"] for a, f in zip(alc, floor, strict=True)]
    med = statistics.median(per_pair)
    section.ratio(
        f"alc / floor calls/s (per pair: {min(per_pair):.2f}-{max(per_pair):.2f})",
        med,
        ">= 0.5x",
        med >= 0.5,
    )
    for key in ("p50_ms", "p99_ms"):
        ratios = [a[key] / f[key] for a, f in zip(alc, floor, strict=True)]
        section.ratio(f"alc / floor {key[:3]} latency", statistics.median(ratios))
    if sweep:
        _sweep(section, sessions)
    return section


def _sweep(section: Section, sessions: int) -> None:
    curve: dict[str, list[float]] = {"alc": [], "floor": []}
    for c in SWEEP:
        alc, floor = _pairs(1, max(sessions, 2 * c), c)
        for side, rows in (("alc", alc), ("floor", floor)):
            curve[side].append(rows[0]["calls_s"])
            section.add(
                Figure(f"sweep {c} in flight, {side}: throughput", "calls/s", [rows[0]["calls_s"]])
            )
            section.add(Figure(f"sweep {c} in flight, {side}: p99", "ms", [rows[0]["p99_ms"]]))
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, ax = plt.subplots(figsize=(6, 3.6))
    ax.plot(SWEEP, curve["alc"], "o-", label="alc serve (SQLite, 1 worker)")
    ax.plot(SWEEP, curve["floor"], "s--", label="SDK no-op tool server")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("tool calls in flight")
    ax.set_ylabel("calls/s")
    ax.set_title("streamable HTTP throughput vs concurrency (2 cores, shared)")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(HERE / "serve_concurrency.png", dpi=110)
    plt.close(fig)
    section.notes.append("Curve: `benchmarks/serve_concurrency.png` (one pair per point).")


register("serve_floor", __name__, "serve_vs_floor", {"runs": 5}, {"runs": 1, "sweep": False})
