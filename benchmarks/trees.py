"""Two checkouts of alc side by side: cold ``alc continue``, session start, ``alc.llm`` round trip.

Issue 25 asks that a redesign be "no slower", measured before and after in one run. This script
takes two source trees (for example a worktree of the old commit and the current checkout), runs
each measurement in a fresh subprocess with ``PYTHONPATH`` set to one tree, alternating the trees
(A B A B ...) so that both see the same machine, and prints per tree the median and per pair the
ratio after/before.

    git worktree add --detach /tmp/alc-before <old commit>
    python -m benchmarks.trees --before /tmp/alc-before --after . [--rounds 7]

Figures (all inline executor, default limits, SQLite store for the cold CLI):

- ``cold continue``: wall time of ``python -m alc continue SESSION ANSWER`` on a session with 20
  recorded answers (every CLI call restores by replay), as in ``benchmarks.cli_cold``.
- ``start``: microseconds per ``Engine.start(code=...)`` that pauses at its first ``alc.llm``.
- ``round trip``: microseconds per ``alc.llm`` answered by ``Engine.feed`` in a 200-query loop.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_INPROC = r"""
import json, time, alc
engine = alc.Engine(executor="inline")
n = 300
t = time.perf_counter()
for _ in range(n):
    out = engine.start(code="return alc.llm('x')")
start_us = (time.perf_counter() - t) / n * 1e6
out = engine.start(code="for i = 1, 201 do alc.llm('q' .. i) end return 1")
t = time.perf_counter()
for i in range(200):
    out = engine.feed(out.session_id, "a")
trip_us = (time.perf_counter() - t) / 200 * 1e6
print(json.dumps({"start": start_us, "round trip": trip_us}))
"""

_PREPARE = r"""
import sys, alc
engine = alc.Engine(store=sys.argv[1], executor="inline")
code = "local out = {} for i = 1, 21 do out[i] = alc.llm('question ' .. i) end return out"
ids = []
for _ in range(int(sys.argv[2])):
    out = engine.start(code=code)
    for i in range(20):
        out = engine.feed(out.session_id, "answer")
    ids.append(out.session_id)
print(" ".join(ids))
"""


def _env(tree: Path, home: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(tree),
        "ALC_HOME": home,
        "ALC_EXECUTOR": "inline",
    }


def _run(tree: Path, code: str, *args: str, home: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        env=_env(tree, home),
        cwd=tree,  # `-c` and `-m` put the working folder first on sys.path, before PYTHONPATH
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def measure(trees: dict[str, Path], rounds: int) -> dict[str, dict[str, list[float]]]:
    """Every figure of every tree, ``rounds`` times each, trees alternating."""
    out: dict[str, dict[str, list[float]]] = {n: {} for n in trees}
    with tempfile.TemporaryDirectory() as tmp:
        stores = {}
        ids = {}
        for name, tree in trees.items():
            stores[name] = str(Path(tmp) / f"{name}.db")
            ids[name] = _run(tree, _PREPARE, stores[name], str(rounds), home=tmp).split()
        for r in range(rounds):
            for name, tree in trees.items():
                env = {**_env(tree, tmp), "ALC_STORE": stores[name]}
                t = time.perf_counter()
                subprocess.run(
                    [sys.executable, "-m", "alc", "continue", ids[name][r], "answer"],
                    env=env,
                    cwd=tree,
                    stdout=subprocess.DEVNULL,
                    check=True,
                )
                out[name].setdefault("cold continue (ms)", []).append(
                    (time.perf_counter() - t) * 1000
                )
                figures = json.loads(_run(tree, _INPROC, home=tmp))
                out[name].setdefault("start (us)", []).append(figures["start"])
                out[name].setdefault("round trip (us)", []).append(figures["round trip"])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", type=Path, required=True)
    parser.add_argument("--after", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    trees = {"before": args.before.resolve(), "after": args.after.resolve()}
    results = measure(trees, args.rounds)
    print("| figure | before (median) | after (median) | after / before (median of pairs) |")
    print("|---|---|---|---|")
    for figure in results["before"]:
        a, b = results["before"][figure], results["after"][figure]
        ratios = [y / x for x, y in zip(a, b, strict=True)]
        print(
            f"| {figure} | {statistics.median(a):.1f} | {statistics.median(b):.1f} | "
            f"{statistics.median(ratios):.2f} |"
        )


if __name__ == "__main__":
    main()
