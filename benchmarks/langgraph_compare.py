"""Pause/resume vs LangGraph: the same "ask, ask, combine" flow, in memory and on SQLite.

One *cycle* = start a new conversation, get paused on question a, answer it, get paused on
question b, answer it, receive the combined result. Both sides pause exactly twice per cycle.

- **LangGraph** (idiomatic, current API): a ``StateGraph`` of three nodes
  ``ask_a -> ask_b -> combine``; ``ask_*`` call ``interrupt(question)``, the driver resumes with
  ``graph.invoke(Command(resume=answer), config)``. The graph is compiled once per checkpointer;
  each cycle uses a new ``thread_id``. Checkpointers: ``InMemorySaver`` and ``SqliteSaver``
  (package ``langgraph-checkpoint-sqlite``, a file database; it turns WAL on, and we set
  ``synchronous=NORMAL`` on its connection, as alc's journal uses). LangGraph's default
  ``durability="async"`` writes checkpoints in the background; ``durability="sync"`` (written
  before ``invoke`` returns, which is what alc's write-ahead journal guarantees for every feed) is
  measured as well, and each ratio uses the *faster* LangGraph variant of its mode.
- **alc**: ``engine.start(code=...)`` then ``engine.feed(session_id, answer)`` twice, with
  ``alc.Engine()`` (in memory) and ``alc.Engine(store=path)`` (SQLite journal, WAL).

    python -m benchmarks --only langgraph
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypedDict

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command, interrupt

import alc
from benchmarks._registry import register
from benchmarks._util import Figure, Section

ALC_CODE = (
    "local a = alc.llm('question a') "
    "local b = alc.llm('question b') "
    "return a .. ' + ' .. b"
)
EXPECTED = "A + B"


class FlowState(TypedDict, total=False):
    a: str
    b: str
    out: str


def _ask_a(state: FlowState) -> FlowState:
    return {"a": interrupt("question a")}


def _ask_b(state: FlowState) -> FlowState:
    return {"b": interrupt("question b")}


def _combine(state: FlowState) -> FlowState:
    return {"out": state["a"] + " + " + state["b"]}


def build_graph() -> StateGraph[Any]:
    graph: StateGraph[Any] = StateGraph(FlowState)
    graph.add_node("ask_a", _ask_a)
    graph.add_node("ask_b", _ask_b)
    graph.add_node("combine", _combine)
    graph.add_edge(START, "ask_a")
    graph.add_edge("ask_a", "ask_b")
    graph.add_edge("ask_b", "combine")
    graph.add_edge("combine", END)
    return graph


def _langgraph_runner(checkpointer: Any, durability: str | None) -> Callable[[int], float]:
    app = build_graph().compile(checkpointer=checkpointer)  # compiled once
    options: dict[str, Any] = {} if durability is None else {"durability": durability}

    def cycle() -> None:
        config = {"configurable": {"thread_id": uuid.uuid4().hex}}
        out = app.invoke({}, config, **options)
        assert out["__interrupt__"][0].value == "question a", out
        out = app.invoke(Command(resume="A"), config, **options)
        assert out["__interrupt__"][0].value == "question b", out
        out = app.invoke(Command(resume="B"), config, **options)
        assert out["out"] == EXPECTED and "__interrupt__" not in out, out

    return _timed(cycle)


def _alc_runner(engine: alc.Engine) -> Callable[[int], float]:
    def cycle() -> None:
        out = engine.start(code=ALC_CODE)
        assert isinstance(out, alc.NeedsResponse), out
        out = engine.feed(out.session_id, "A")
        assert isinstance(out, alc.NeedsResponse), out
        out = engine.feed(out.session_id, "B")
        assert isinstance(out, alc.Completed) and out.result == EXPECTED, out

    return _timed(cycle)


def _timed(cycle: Callable[[], None]) -> Callable[[int], float]:
    """Return ``run(cycles) -> cycles/second`` for ``cycle`` (after a short warm-up)."""
    for _ in range(5):
        cycle()

    def run(cycles: int) -> float:
        start = time.perf_counter()
        for _ in range(cycles):
            cycle()
        return cycles / (time.perf_counter() - start)

    return run


def langgraph(runs: int = 5, cycles: int = 200, alc_cycles: int = 2000) -> Section:
    """Cycles/second of the 3-step flow: LangGraph interrupt/resume vs alc, memory and SQLite."""
    section = Section('Pause/resume vs LangGraph: 3-step "ask, ask, combine" flow')
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        conns = [
            sqlite3.connect(folder / f"langgraph-{d}.db", check_same_thread=False)
            for d in ("async", "sync")
        ]
        for conn in conns:  # the same fsync policy as alc's journal (WAL + synchronous=NORMAL)
            conn.execute("PRAGMA synchronous = NORMAL")
        runners = {
            "LangGraph, InMemorySaver": _langgraph_runner(InMemorySaver(), None),
            "LangGraph, InMemorySaver, durability=sync": _langgraph_runner(InMemorySaver(), "sync"),
            "alc, Engine() in memory": _alc_runner(alc.Engine()),
            "LangGraph, SqliteSaver": _langgraph_runner(SqliteSaver(conns[0]), None),
            "LangGraph, SqliteSaver, durability=sync": _langgraph_runner(
                SqliteSaver(conns[1]), "sync"
            ),
            "alc, Engine(store=path) SQLite": _alc_runner(alc.Engine(store=folder / "alc.db")),
        }
        values: dict[str, list[float]] = {name: [] for name in runners}
        for _ in range(runs):  # interleaved, so drift in machine load hits every variant alike
            for name, run in runners.items():
                values[name].append(run(alc_cycles if name.startswith("alc") else cycles))
        for conn in conns:
            conn.close()

    figs = {
        name: section.add(
            Figure(name, "cycles/s", vals, target="> LangGraph" if name.startswith("alc") else "")
        )
        for name, vals in values.items()
    }
    for mode, alc_name, lg_names, goal in (  # goal: issue 18's ratio targets
        ("in memory", "alc, Engine() in memory",
         ("LangGraph, InMemorySaver", "LangGraph, InMemorySaver, durability=sync"), 40),
        ("SQLite", "alc, Engine(store=path) SQLite",
         ("LangGraph, SqliteSaver", "LangGraph, SqliteSaver, durability=sync"), 20),
    ):
        best = max((figs[n] for n in lg_names), key=lambda f: f.median)
        ratio = figs[alc_name].median / best.median
        figs[alc_name].met = ratio > 1
        section.ratio(f"alc / LangGraph cycles/s, {mode}", ratio, f">= {goal}x", ratio >= goal)
    section.notes.append(
        f"One cycle = start, pause on question a, answer, pause on question b, answer, combined "
        f"result (2 pauses on both sides). LangGraph: {cycles} cycles per run, graph compiled "
        f"once, "
        f"new thread_id per cycle; alc: {alc_cycles} cycles per run, new session per cycle. "
        f"{runs} runs, interleaved. Each ratio divides by the faster LangGraph variant of its mode "
        f"(default durability='async' or 'sync')."
    )
    return section


register("langgraph", __name__, "langgraph", {"runs": 5}, {"runs": 1, "cycles": 50,
                                                          "alc_cycles": 300})
