"""Crash-safety soak: the SIGKILL test of the suite with many more kill points.

    python -m benchmarks.crash [KILL_POINTS]      # default 300

Runs ``tests/journal/test_crash.py`` with ``ALC_CRASH_KILL_POINTS`` raised: a worker process
feeds 2 x KILL_POINTS sessions on one SQLite store and is killed with SIGKILL at random points;
afterwards every session must complete with every answer applied exactly once and the database
must pass
``PRAGMA integrity_check``. Prints the verdict and the wall time.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    points = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "tests/journal/test_crash.py"],
        cwd=ROOT, env={**os.environ, "ALC_CRASH_KILL_POINTS": str(points)},
        capture_output=True, text=True,
    )
    elapsed = time.perf_counter() - start
    verdict = "PASS" if proc.returncode == 0 else "FAIL"
    print(f"crash soak: {points} SIGKILL points, {verdict}, {elapsed:.0f} s")
    if proc.returncode:
        print(proc.stdout[-3000:])
    return proc.returncode


if __name__ == "__main__":
    raise SystemExit(main())
