"""ThoughtChains(in_process=True): the built-in strategy's chains step in this process, on the
calling thread; any other session a call names keeps going through the engine."""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from typing import Any

import anyio
import pytest

import alc
from alc.engine.errors import InvalidInput, SessionNotFound
from alc.engine.packages import builtin_root
from alc.thinking import ThoughtChains

pytestmark = pytest.mark.anyio


def call(n: int, total: int = 5, more: bool = True, **extra: Any) -> dict[str, Any]:
    return {
        "thought": f"thought {n}",
        "thoughtNumber": n,
        "totalThoughts": total,
        "nextThoughtNeeded": more,
    } | extra


def hot(chains: ThoughtChains) -> tuple[int, int]:
    """Sessions hot in (the chains' own registry, the engine's registry)."""
    assert chains._local is not None
    return chains._local.statistics().hot, chains.engine.registry.statistics().hot


def shadowing_package(tmp_path: Path) -> Path:
    """A package root whose ``thinking`` is a user's copy of the built-in (another source)."""
    root = tmp_path / "user-packages"
    (root / "thinking").mkdir(parents=True)
    source = (builtin_root() / "thinking" / "init.lua").read_text(encoding="utf-8")
    (root / "thinking" / "init.lua").write_text("-- a user's copy\n" + source, encoding="utf-8")
    return root


def test_chains_step_in_their_own_registry(db: Path) -> None:
    chains = ThoughtChains(alc.Engine(db), in_process=True)
    first = chains.think(call(1))
    second = chains.think(call(2, isRevision=True, revisesThought=1))
    assert second["session_id"] == first["session_id"]
    assert second["thoughtHistoryLength"] == 2 and second["warnings"] == []
    assert hot(chains) == (1, 0)
    # the engine reads (and could continue) the same journal
    assert chains.read(first["session_id"])["thoughts"][1]["isRevision"] is True
    done = chains.think(call(3, more=False))
    assert done["status"] == "completed" and hot(chains) == (0, 0)


def test_the_same_replies_as_through_the_engine(tmp_path: Path) -> None:
    script = [
        call(1, colour="red"),
        call(2, isRevision="yes", revisesThought="1"),
        call(3, branchFromThought=1, branchId="alt"),
        call(4, branchId="alt"),
        call(7),
        call(8, session_id="review"),
        call(9, more=False),
        call(10),
    ]
    replies = []
    for name, in_process in (("a", False), ("b", True)):
        chains = ThoughtChains(alc.Engine(tmp_path / f"{name}.db"), in_process=in_process)
        replies.append(numbered([chains.think(c) for c in script]))
    assert replies[0] == replies[1]
    # the default chain, the labelled one, the one after the default chain completed
    assert {r["session_id"] for r in replies[1]} == {"s-1", "s-2", "s-3"}


def numbered(replies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``replies`` with each session id replaced by its rank of first appearance (s-1, ...)."""
    ids: dict[str, str] = {}
    text = re.sub(
        r"s-[0-9a-f]{32}", lambda m: ids.setdefault(m[0], f"s-{len(ids) + 1}"), json.dumps(replies)
    )
    return list(json.loads(text))


def test_a_session_of_a_user_strategy_goes_through_the_engine(tmp_path: Path) -> None:
    engine = alc.Engine(tmp_path / "s.db", packages_path=[shadowing_package(tmp_path)])
    chains = ThoughtChains(engine, in_process=True)
    # a session of the user's `thinking` (started through the engine): never stepped in process
    sid = engine.start(strategy="thinking", ctx={"first": call(1)}).session_id
    reply = chains.think(call(2, session_id=sid))
    assert reply["session_id"] == sid and reply["thoughtHistoryLength"] == 2
    assert hot(chains) == (0, 1)
    # a chain the tool starts runs the built-in strategy, in process, whatever shadows it
    own = chains.think(call(1, session_id="mine"))
    assert own["session_id"] != sid and hot(chains) == (1, 1)
    assert chains.think(call(2, session_id="mine"))["thoughtHistoryLength"] == 2
    assert hot(chains) == (1, 1)
    # inline code fed as a thought: through the engine too
    code = engine.start(code="return alc.llm('q')").session_id
    assert chains.think(call(1, session_id=code))["status"] == "completed"
    assert hot(chains)[0] == 1


def test_a_chain_from_the_journal_is_verified_then_continued_in_process(db: Path) -> None:
    sid = ThoughtChains(alc.Engine(db)).think(call(1, session_id="label"))["session_id"]
    chains = ThoughtChains(alc.Engine(db), in_process=True)
    reply = chains.think(call(2, session_id="label"))
    assert reply["session_id"] == sid and reply["thoughtHistoryLength"] == 2
    assert hot(chains) == (1, 0)


def test_errors_are_the_same_as_through_the_engine(db: Path) -> None:
    chains = ThoughtChains(alc.Engine(db), in_process=True)
    with pytest.raises(InvalidInput):
        chains.think({"thoughtNumber": 1})
    with pytest.raises(SessionNotFound):
        chains.think(call(2, session_id="s-" + "0" * 32))
    assert chains.delete(chains.think(call(1))["session_id"]) is True
    assert hot(chains) == (0, 0)


async def test_athink_on_the_loop_and_on_a_worker(db: Path) -> None:
    chains = ThoughtChains(alc.Engine(db), in_process=True)
    started = await chains.athink(call(1))  # a start: on the loop too (built-in, in process)
    assert (await chains.athink(call(2)))["session_id"] == started["session_id"]  # on the loop
    # the chain's lock is held elsewhere: the thought waits for it on a worker, not on the loop
    lock = chains._lock("default\x1fdefault")
    lock.acquire()
    result: list[dict[str, Any]] = []

    async def third() -> None:
        result.append(await chains.athink(call(3)))

    async with anyio.create_task_group() as tg:
        tg.start_soon(third)
        await anyio.sleep(0)
        threading.Timer(0.05, lock.release).start()
    assert result[0]["thoughtHistoryLength"] == 3
    # a chain that ended: the next thought starts a new one, with the note
    await chains.athink(call(4, more=False))
    reply = await chains.athink(call(5))
    assert reply["session_id"] != started["session_id"]
    assert any("has ended" in w for w in reply["warnings"])


async def test_athink_runs_built_in_chains_on_the_loop_thread(db: Path) -> None:
    """Starting and continuing a chain run on the calling (event loop) thread; the first touch
    of a chain this process did not start (verified from its journal) on a worker thread."""
    earlier = ThoughtChains(alc.Engine(db)).think(call(1, session_id="old"))["session_id"]
    chains = ThoughtChains(alc.Engine(db), in_process=True)
    local = chains._local
    assert local is not None
    threads: list[tuple[str, bool]] = []
    loop = threading.get_ident()
    for name in ("start", "feed"):
        method = getattr(local, name)

        def spy(*args: Any, _name: str = name, _method: Any = method, **kwargs: Any) -> Any:
            threads.append((_name, threading.get_ident() == loop))
            return _method(*args, **kwargs)

        setattr(local, name, spy)
    await chains.athink(call(1))
    await chains.athink(call(2))
    assert (await chains.athink(call(2, session_id="old")))["session_id"] == earlier
    await chains.athink(call(3, session_id="old"))
    assert threads == [("start", True), ("feed", True), ("feed", False), ("feed", True)]
