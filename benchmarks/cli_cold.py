"""Cold start of ``alc continue`` on a 20-answer session, next to ``python -c pass``.

Every CLI call is a new process that imports alc, opens the SQLite journal, restores the session
by replaying its 20 recorded answers, feeds one more and prints the reply. This script prepares
one such session per timed run (so every run does the same work), then times, pair by pair,
``alc continue SESSION ANSWER`` and ``python -c pass`` and prints their medians and the median
ratio. Target (issue 5): ``alc continue`` median <= 150 ms.

    python -m benchmarks.cli_cold [--runs 15]      # or: python -m benchmarks --only cli
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._registry import register
from benchmarks._util import Figure, Section

ANSWERS = 20
CODE = (
    f"local out = {{}} for i = 1, {ANSWERS + 1} do out[i] = alc.llm('question ' .. i) end "
    "return out"
)


def _alc_command() -> list[str]:
    script = Path(sys.executable).with_name("alc")
    if script.exists():
        return [str(script)]
    found = shutil.which("alc")
    return [found] if found else [sys.executable, "-m", "alc"]


def _prepare(store: str, count: int) -> list[str]:
    import alc

    engine = alc.Engine(store=store)
    ids = []
    for _ in range(count):
        out = engine.start(code=CODE)
        for i in range(ANSWERS):
            out = engine.feed(out.session_id, f"answer {i + 1}")
        assert out.status == "needs_response", out
        ids.append(out.session_id)
    return ids


def _time(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def measure(runs: int) -> tuple[list[float], list[float]]:
    """Seconds of ``alc continue`` and of ``python -c pass``, timed pair by pair."""
    with tempfile.TemporaryDirectory() as home:
        # compiled bytecode, as an installed alc has it (pip compiles on install): with
        # PYTHONDONTWRITEBYTECODE set, every run would recompile alc's modules from source
        env = dict(os.environ, ALC_HOME=home, PYTHONPYCACHEPREFIX=str(Path(home) / "pycache"))
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        store = str(Path(home) / "sessions.db")
        sessions = _prepare(store, runs + 1)
        alc_cmd = _alc_command()
        baseline = [sys.executable, "-c", "pass"]
        _time([*alc_cmd, "continue", sessions[0], "warm-up"], env)  # first run: caches, .pyc
        _time(baseline, env)
        cli, base = [], []
        for sid in sessions[1:]:
            cli.append(_time([*alc_cmd, "continue", sid, f"answer {ANSWERS + 1}"], env))
            base.append(_time(baseline, env))
    return cli, base


def cold_cli(runs: int = 15) -> Section:
    """The suite's section: ``alc continue`` on a 20-answer session vs ``python -c pass``."""
    cli, base = measure(runs)
    section = Section(f"Cold CLI: alc continue on a {ANSWERS}-answer session")
    fig = section.add(Figure("alc continue", "ms", [c * 1000 for c in cli], target="<= 150 ms"))
    fig.met = fig.median <= 150
    section.add(Figure("python -c pass", "ms", [b * 1000 for b in base]))
    ratio = statistics.median(c / b for c, b in zip(cli, base, strict=True))
    section.ratio("alc continue / python -c pass", ratio, "<= 10x", ratio <= 10)  # issue 28
    return section


register("cli", __name__, "cold_cli", {"runs": 15}, {"runs": 5})


def main() -> None:
    """Prepare the sessions, time the pairs, print medians and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="timed pairs (default 15)")
    args = parser.parse_args()
    cli, base = measure(args.runs)
    ratios = [c / b for c, b in zip(cli, base, strict=True)]
    median_ms = statistics.median(cli) * 1000
    print(
        f"alc continue ({ANSWERS}-answer session): median {median_ms:.0f} ms "
        f"(min {min(cli) * 1000:.0f}, max {max(cli) * 1000:.0f}) over {args.runs} runs"
    )
    print(f"python -c pass:                      median {statistics.median(base) * 1000:.0f} ms")
    print(f"ratio alc continue / python -c pass: median {statistics.median(ratios):.1f}x")
    print(f"target <= 150 ms median: {'met' if median_ms <= 150 else 'NOT met'}")


if __name__ == "__main__":
    main()
