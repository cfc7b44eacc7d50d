"""``alc serve`` under a bounded load on 127.0.0.1: one replica vs three, SQLite vs PostgreSQL.

Each configuration starts fresh ``alc serve`` replicas (``python -m alc serve --port 0``, one Lua
worker process each, auth off) on a fresh store, then a load client drives ``sessions`` sessions
of a 2-pause Lua chain (start, two answers: 3 tool calls per session) with ``concurrency``
sessions in flight, every call through the official SDK's streamable-HTTP client
(``mcp.Client`` over ``streamable_http_client``) to a randomly chosen replica. The run is bounded
by the call count and by ``max_seconds`` (a run that hits the bound reports what it finished).

Reported per configuration: calls/second over the run, p50 and p99 latency of one tool call, and
the replicas' resident memory after the run (server + its worker, ``VmRSS``); ratios between
configurations measured in the same run, configurations interleaved round by round:

- 3 replicas / 1 replica on the same SQLite file;
- PostgreSQL / SQLite for one replica (needs a server: ``--postgres URL`` or
  ``ALC_BENCH_POSTGRES_URL`` / ``ALC_TEST_POSTGRES_URL``; ``. .ci/postgres.sh`` starts a
  throwaway one; each run gets a fresh database, dropped after it);
- 3 replicas / 1 replica on PostgreSQL.

The load client is Python on the same machine as the replicas, so on a small machine it competes
with them for CPU: read the ratios with the core count of the machine section.

    python -m benchmarks.serve [--rounds 2] [--sessions 200] [--append]
    python -m benchmarks --only serve
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import AsyncExitStack, ExitStack
from pathlib import Path
from typing import Any

from benchmarks._pg import fresh_database, server_url
from benchmarks._registry import register
from benchmarks._util import Figure, Section, machine

CHAIN = "return alc.llm(ctx.tag .. ' 1') .. alc.llm(ctx.tag .. ' 2')"
CALLS_PER_SESSION = 3


class _Replica:
    def __init__(self, store: str, home: str, command: list[str] | None = None) -> None:
        env = {k: v for k, v in os.environ.items() if k not in ("ALC_TOKENS", "ALC_STORE")}
        env.update(ALC_HOME=home, ALC_WORKERS="1")
        self.proc = subprocess.Popen(
            command or [sys.executable, "-m", "alc", "--store", store, "serve", "--port", "0"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.port = 0
        self._up = threading.Event()
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:  # keep reading: the access log must not fill the pipe
            if not self.port and '"listening"' in line:
                self.port = int(json.loads(line)["port"])
                self._up.set()
        self._up.set()

    def url(self) -> str:
        if not self._up.wait(120) or not self.port:
            raise RuntimeError("alc serve did not start")
        return f"http://127.0.0.1:{self.port}/mcp"

    def rss_mib(self) -> float:
        """Resident memory of the replica and its worker processes."""
        total = 0
        pids = [self.proc.pid]
        try:
            children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
            pids += [int(p) for p in children.split()]
        except OSError:
            pass
        for pid in pids:
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            except OSError:
                continue
        return total / 1024

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(30)


async def _load(
    urls: list[str],
    sessions: int,
    concurrency: int,
    max_seconds: float,
    on_window: Callable[[str], None] | None = None,
) -> Any:
    """Drive the load; ``on_window("start")`` / ``on_window("end")`` (if given) are called
    right before the timed part (after the warm-up) and right after it."""
    import anyio
    from mcp import Client

    latencies: list[float] = []
    limiter = anyio.Semaphore(concurrency)
    deadline = time.perf_counter() + max_seconds
    async with AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(Client(url, read_timeout_seconds=120)) for url in urls
        ]

        async def call(tool: str, args: dict[str, Any]) -> dict[str, Any]:
            started = time.perf_counter()
            result = await random.choice(clients).call_tool(tool, args)
            latencies.append(time.perf_counter() - started)
            if result.is_error or result.structured_content is None:
                raise RuntimeError(f"{tool} failed: {result.content}")
            return dict(result.structured_content)

        async def session(k: int) -> None:
            async with limiter:
                if time.perf_counter() > deadline:
                    return
                r = await call("alc_run", {"code": CHAIN, "ctx": {"tag": f"s{k}"}})
                for _ in range(2):
                    r = await call("alc_continue", {"session_id": r["session_id"], "response": "a"})
                if r.get("result") != "aa":
                    raise RuntimeError(f"wrong result {r}")

        for warm in clients:  # untimed: each replica starts its worker and compiles its Lua
            r = await warm.call_tool("alc_run", {"code": CHAIN, "ctx": {"tag": "warm"}})
            sid = (r.structured_content or {})["session_id"]
            for _ in range(2):
                await warm.call_tool("alc_continue", {"session_id": sid, "response": "w"})
        if on_window:
            on_window("start")
        started = time.perf_counter()
        async with anyio.create_task_group() as tg:
            for k in range(sessions):
                tg.start_soon(session, k)
        elapsed = time.perf_counter() - started
        if on_window:
            on_window("end")
    return latencies, elapsed


def _run_once(
    store: str, replicas: int, sessions: int, concurrency: int, max_seconds: float
) -> dict[str, float]:
    import anyio

    with ExitStack() as stack:
        home = stack.enter_context(tempfile.TemporaryDirectory(prefix="alc-bench-serve-"))
        if store == "sqlite":
            store = str(Path(home) / "shared.db")
        else:  # a database of its own, dropped after the run
            store = stack.enter_context(fresh_database(store))
        fleet = [_Replica(store, home) for _ in range(replicas)]
        try:
            urls = [r.url() for r in fleet]
            latencies, elapsed = anyio.run(_load, urls, sessions, concurrency, max_seconds)
            rss = statistics.mean(r.rss_mib() for r in fleet)
        finally:
            for r in fleet:
                r.stop()
    return {**summary(latencies, elapsed), "rss_mib": rss, "calls": float(len(latencies))}


def summary(latencies: list[float], elapsed: float) -> dict[str, float]:
    """Calls/second over ``elapsed`` seconds, p50 and p99 of ``latencies`` (seconds) in ms."""
    cuts = statistics.quantiles(latencies, n=100)
    return {
        "calls_s": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": cuts[98] * 1000,
    }


def serve_load(
    runs: int = 2,
    sessions: int = 200,
    concurrency: int = 16,
    max_seconds: float = 120.0,
    postgres: str | None = None,
) -> Section:
    """The section: configurations interleaved ``runs`` times (see the module docstring)."""
    postgres, skipped = server_url(postgres)
    configs = [("SQLite, 1 replica", "sqlite", 1), ("SQLite, 3 replicas", "sqlite", 3)]
    if postgres:
        configs += [("PostgreSQL, 1 replica", postgres, 1), ("PostgreSQL, 3 replicas", postgres, 3)]
    got: dict[str, list[dict[str, float]]] = {name: [] for name, _, _ in configs}
    for _ in range(runs):
        for name, store, count in configs:
            print(f"    {name} ...", file=sys.stderr, flush=True)
            got[name].append(_run_once(store, count, sessions, concurrency, max_seconds))
    section = Section(
        f"alc serve: {sessions} sessions x {CALLS_PER_SESSION} calls, {concurrency} in flight, "
        "streamable HTTP on 127.0.0.1"
    )
    for name, _, _ in configs:
        rows = got[name]
        section.add(Figure(f"{name}: throughput", "calls/s", [r["calls_s"] for r in rows]))
        section.add(Figure(f"{name}: p50 latency", "ms", [r["p50_ms"] for r in rows]))
        section.add(Figure(f"{name}: p99 latency", "ms", [r["p99_ms"] for r in rows]))
        section.add(Figure(f"{name}: RSS per replica", "MiB", [r["rss_mib"] for r in rows]))
    _ratios(section, got, bool(postgres))
    section.notes.append(
        "Each replica: `alc serve` with one Lua worker process (process executor), auth off, "
        "SSE replies. The load client (the SDK's streamable-HTTP client, one per replica, each "
        "call to a random replica) runs on the same machine and competes with the replicas for "
        "the same cores, so 3 replicas cannot beat 1 by more than the idle CPU allows."
        + ("" if postgres else f" {skipped} (or pass --postgres URL).")
    )
    return section


def _ratios(section: Section, got: dict[str, list[dict[str, float]]], postgres: bool) -> None:
    def med(name: str, key: str) -> float:
        return statistics.median(r[key] for r in got[name])

    pairs = [("SQLite, 3 replicas", "SQLite, 1 replica", "3 replicas / 1 replica, SQLite")]
    if postgres:
        pairs += [
            ("PostgreSQL, 1 replica", "SQLite, 1 replica", "PostgreSQL / SQLite, 1 replica"),
            (
                "PostgreSQL, 3 replicas",
                "PostgreSQL, 1 replica",
                "3 replicas / 1 replica, PostgreSQL",
            ),
        ]
    for top, bottom, label in pairs:
        section.ratio(f"{label}: throughput", med(top, "calls_s") / med(bottom, "calls_s"))
        section.ratio(f"{label}: p50 latency", med(top, "p50_ms") / med(bottom, "p50_ms"))
        section.ratio(f"{label}: p99 latency", med(top, "p99_ms") / med(bottom, "p99_ms"))


register("serve", __name__, "serve_load", {"runs": 2}, {"runs": 1, "sessions": 60})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.serve",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--max-seconds", type=float, default=120.0)
    parser.add_argument("--postgres", default=None, help="a PostgreSQL URL to create databases on")
    parser.add_argument(
        "--append", action="store_true", help="append the section to benchmarks/RESULTS.md"
    )
    args = parser.parse_args(argv)
    section = serve_load(
        args.rounds, args.sessions, args.concurrency, args.max_seconds, args.postgres
    )
    from benchmarks.__main__ import render

    info = machine()
    body = render([section], {"cpu": info["cpu"], "cores": info["cores"], "date": info["date"]}, [])
    text = "\n## " + body.split("\n## ", 2)[2]  # the section itself, without the file header
    text = text.replace(
        "\n## alc serve",
        f"\n## alc serve ({info['date']}, {info['cores']} cores: {info['cpu']})",
        1,
    )
    print(text)
    if args.append:
        with open(Path(__file__).with_name("RESULTS.md"), "a", encoding="utf-8") as out:
            out.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
