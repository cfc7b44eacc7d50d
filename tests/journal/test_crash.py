"""Crash safety: SIGKILL a process at random points while it feeds sessions; lose nothing.

Runs on a SQLite file and on a fresh PostgreSQL schema (``store_url``, tests/conftest.py): a
client killed mid-transaction leaves the server to roll it back.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import alc

if TYPE_CHECKING:
    from conftest import StoreSQL

WORKER = Path(__file__).with_name("_worker.py")
KILL_POINTS = int(os.environ.get("ALC_CRASH_KILL_POINTS", "50"))


def expected_result() -> list[str]:
    return [f"ans-q-{3 * i + 2}|ans-q-{3 * i},ans-q-{3 * i + 1}" for i in range(6)]


@pytest.mark.slow
def test_sigkill_at_random_points_loses_nothing(store_url: str, store_sql: StoreSQL) -> None:
    db = store_url
    engine = alc.Engine(store=db)
    from _worker import CRASH_CODE  # type: ignore[import-not-found]

    count = max(100, 2 * KILL_POINTS)  # enough work that every kill lands mid-feed
    sessions = [engine.start(code=CRASH_CODE).session_id for _ in range(count)]
    engine.store.close()
    rng = random.Random(1234)
    kills = 0
    for _ in range(KILL_POINTS):
        proc = subprocess.Popen([sys.executable, str(WORKER), "crash-loop", str(db)],
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        ready = proc.stdout.readline()
        if "ready" not in ready:
            break  # nothing left to do
        time.sleep(rng.uniform(0.0, 0.04))
        if proc.poll() is not None:
            break  # finished everything before we could kill it
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        kills += 1
    finisher = subprocess.run([sys.executable, str(WORKER), "crash-loop", str(db)],
                              capture_output=True, text=True, timeout=300, check=True)
    assert json.loads(finisher.stdout.strip().splitlines()[-1]) == {"idle": True}
    assert kills == KILL_POINTS, f"only {kills} kills: the worker finished too fast"

    if not db.startswith("postgresql://"):
        assert store_sql("PRAGMA integrity_check") == [("ok",)]
    fresh = alc.Engine(store=db)
    for sid in sessions:
        snap = fresh.status(sid)
        assert isinstance(snap, alc.SessionSnapshot)
        assert snap.state == "completed", snap
        assert snap.outcome is not None and snap.outcome["result"] == expected_result()
        rows = store_sql("SELECT seq, kind, data FROM events WHERE session_id = ? ORDER BY seq",
                         sid)
        assert [r[0] for r in rows] == list(range(1, len(rows) + 1))
        answered = [json.loads(r[2])["query_id"] for r in rows if r[1] == "answer"]
        assert sorted(answered, key=lambda q: int(q[2:])) == [f"q-{n}" for n in range(18)]
        assert len(answered) == len(set(answered))
