"""The process executor's cost beside the inline executor's, measured in the same interpreter.

One pause + feed round trip (``alc.llm`` in a loop) and one session start (new VM, run to the
first pause), each on ``Engine(executor="inline")`` and ``Engine(executor="process")`` in the
same fresh child interpreter, the two measured in alternating batches so machine noise hits both.
Target (issue 13): the process executor adds at most 150 us per step.

Rerun only this: ``python -m benchmarks --only executors``.
"""

from __future__ import annotations

import json

from benchmarks._util import Figure, Section, run_python

CHILD = """
import json, time
import alc
LOOP = "while true do alc.llm('x') end"
from alc.engine.executor import InlineExecutor
engines = {{name: alc.Engine(executor=name) for name in ("inline", "process")}}
engines["bare"] = alc.Engine(executor=InlineExecutor(watchdog=False))
sids = {{name: e.start(code=LOOP).session_id for name, e in engines.items()}}
feed = {{name: [] for name in engines}}
start = {{name: [] for name in engines}}
for _ in range({batches}):
    for name, engine in engines.items():
        sid = sids[name]
        t0 = time.perf_counter()
        for _ in range({calls}):
            engine.feed(sid, "a")
        feed[name].append((time.perf_counter() - t0) / {calls} * 1e6)
        t0 = time.perf_counter()
        for _ in range({starts}):
            engine.start(code="alc.llm('x')")
        start[name].append((time.perf_counter() - t0) / {starts} * 1e6)
        engine.registry._hot.clear()  # keep worker VM counts flat between batches
        sids[name] = engine.start(code=LOOP).session_id
for engine in engines.values():
    engine.close()
# the floor: one message there and back between two processes, over a raw OS pipe pair
import os
r1, w1 = os.pipe(); r2, w2 = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(w1); os.close(r2)
    while True:
        data = os.read(r1, 64)
        if not data:
            os._exit(0)
        os.write(w2, data)
os.close(r1); os.close(w2)
floor = []
for _ in range({batches}):
    t0 = time.perf_counter()
    for _ in range({calls}):
        os.write(w1, b"x"); os.read(r2, 64)
    floor.append((time.perf_counter() - t0) / {calls} * 1e6)
os.close(w1); os.waitpid(pid, 0)
med = lambda xs: sorted(xs)[len(xs) // 2]
out = {{k: {{n: med(v) for n, v in d.items()}} for k, d in (("feed", feed), ("start", start))}}
out["floor"] = med(floor)
print(json.dumps(out))
"""


def executor_overhead(
    runs: int = 5, batches: int = 5, calls: int = 2000, starts: int = 200
) -> Section:
    """Round trip and start: process executor vs inline executor (us, same run).

    ``inline`` is the default inline executor (with its watchdog thread); ``bare`` is
    ``InlineExecutor(watchdog=False)``, stepping on the calling thread.
    """
    section = Section("Executors: process (supervised workers) vs inline, same interpreter")
    results = [
        json.loads(run_python(CHILD.format(batches=batches, calls=calls, starts=starts)))
        for _ in range(runs)
    ]
    inline_feed = section.add(
        Figure("inline: alc.llm pause + feed", "us/step", [r["feed"]["inline"] for r in results])
    )
    process_feed = section.add(
        Figure(
            "process: alc.llm pause + feed",
            "us/step",
            [r["feed"]["process"] for r in results],
            target="<= inline + 150 us",
        )
    )
    added = [r["feed"]["process"] - r["feed"]["inline"] for r in results]
    added_fig = section.add(Figure("process adds per step", "us", added, target="<= 150 us"))
    added_fig.met = added_fig.median <= 150
    process_feed.met = added_fig.met
    floor = section.add(
        Figure("OS floor: raw pipe round trip between two processes", "us",
               [r["floor"] for r in results])
    )
    bare_feed = section.add(
        Figure("inline without watchdog: alc.llm pause + feed", "us/step",
               [r["feed"]["bare"] for r in results])
    )
    inline_start = section.add(
        Figure("inline: session start", "us", [r["start"]["inline"] for r in results])
    )
    process_start = section.add(
        Figure("process: session start", "us", [r["start"]["process"] for r in results])
    )
    section.ratio("process / inline, step", process_feed.median / inline_feed.median)
    section.ratio("process / inline, start", process_start.median / inline_start.median)
    section.ratio("process adds / OS round trip", added_fig.median / floor.median)
    section.ratio("inline with / without watchdog, step", inline_feed.median / bare_feed.median)
    section.notes.append(
        "each run is a fresh interpreter measuring both executors in alternating batches; "
        "the process pool has 2 workers (the default)"
    )
    return section
