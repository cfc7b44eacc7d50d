"""alc.thinking.ThoughtChains: reference-style calls onto durable thinking sessions."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import alc
from alc.engine.errors import InvalidInput, SessionFinished, SessionNotFound
from alc.thinking import ThoughtChains, parse_thought

HELPER = Path(__file__).with_name("_think_once.py")


def call(
    n: int, total: int, text: str | None = None, more: bool = True, **extra: Any
) -> dict[str, Any]:
    return {
        "thought": text or f"thought {n}",
        "thoughtNumber": n,
        "totalThoughts": total,
        "nextThoughtNeeded": more,
    } | extra


@pytest.fixture
def chains(db: Path) -> ThoughtChains:
    return ThoughtChains(alc.Engine(db))


def test_reference_reply_fields(chains: ThoughtChains) -> None:
    reply = chains.think(call(1, 3))
    assert reply["status"] == "thinking"
    for key in (
        "thoughtNumber",
        "totalThoughts",
        "nextThoughtNeeded",
        "branches",
        "thoughtHistoryLength",
        "session_id",
        "branch_tree",
        "warnings",
        "recent_thoughts",
    ):
        assert key in reply, key
    assert reply["thoughtNumber"] == 1 and reply["thoughtHistoryLength"] == 1
    sid = reply["session_id"]
    reply = chains.think(call(2, 3, branchFromThought=1, branchId="b"))
    assert reply["session_id"] == sid
    assert reply["branches"] == ["b"]
    assert reply["branch_tree"]["branches"][0] == {"branchId": "b", "from": 1, "thoughts": [2]}
    assert [t["thoughtNumber"] for t in reply["recent_thoughts"]] == [1, 2]
    reply = chains.think(call(3, 3, more=False))
    assert reply["status"] == "completed" and reply["nextThoughtNeeded"] is False
    assert reply["thoughtHistoryLength"] == 3 and reply["counts"]["branches"] == 1


def test_strings_and_snake_case(chains: ThoughtChains) -> None:
    reply = chains.think(
        {
            "thought": "a",
            "thought_number": "1",
            "total_thoughts": "2",
            "next_thought_needed": "true",
        }
    )
    assert reply["thoughtNumber"] == 1 and reply["totalThoughts"] == 2
    reply = chains.think(
        {
            "thought": "b",
            "thoughtNumber": 2.0,
            "totalThoughts": "2",
            "nextThoughtNeeded": "False",
            "isRevision": "yes",
            "revisesThought": "1",
        }
    )
    assert reply["status"] == "completed"
    assert reply["counts"]["revisions"] == 1


def test_unknown_arguments_are_warned(chains: ThoughtChains) -> None:
    reply = chains.think(call(1, 1, more=False, extraThing=1))
    assert "unknown argument 'extraThing' ignored" in reply["warnings"]


@pytest.mark.parametrize(
    "bad",
    [
        {},
        {"thought": ""},
        {"thought": 3},
        {"thought": "x", "thoughtNumber": 0},
        {"thought": "x", "thoughtNumber": "two"},
        {"thought": "x", "thoughtNumber": True},
        {"thought": "x", "nextThoughtNeeded": "maybe"},
        {"thought": "x", "branchId": ""},
        {"thought": "x", "session_id": "bad id with spaces"},
    ],
)
def test_invalid_arguments(chains: ThoughtChains, bad: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput):
        chains.think(bad)


def test_parse_thought_normalises() -> None:
    given = parse_thought(
        {
            "thought": "x",
            "thought_number": "1",
            "sessionId": "mine",
            "branch_id": 7,
            "needs_more_thoughts": 1,
        }
    )
    assert given.fields == {
        "thought": "x",
        "thoughtNumber": 1,
        "branchId": "7",
        "needsMoreThoughts": True,
    }
    assert given.session_id == "mine" and not given.starts_chain


def test_thought_one_starts_a_new_default_chain(chains: ThoughtChains) -> None:
    first = chains.think(call(1, 2))["session_id"]
    second = chains.think(call(1, 2))["session_id"]
    assert first != second
    assert chains.think(call(2, 2))["session_id"] == second


def test_later_thought_without_chain_starts_one(chains: ThoughtChains) -> None:
    reply = chains.think(call(4, 5))
    assert reply["status"] == "thinking"
    assert any("starts a new chain" in w for w in reply["warnings"])


def test_finished_default_chain_is_replaced(chains: ThoughtChains) -> None:
    done = chains.think(call(1, 1, more=False))
    assert done["status"] == "completed"
    reply = chains.think(call(2, 3))
    assert reply["session_id"] != done["session_id"]
    assert any("has ended" in w for w in reply["warnings"])


def test_explicit_session_ids(chains: ThoughtChains) -> None:
    sid = chains.think(call(1, 3))["session_id"]
    chains.think(call(1, 3, text="other default chain"))
    reply = chains.think(call(2, 3, session_id=sid))
    assert reply["session_id"] == sid and reply["thoughtHistoryLength"] == 2
    chains.think(call(3, 3, more=False, session_id=sid))
    with pytest.raises(SessionFinished):
        chains.think(call(4, 4, session_id=sid))
    with pytest.raises(SessionNotFound):
        chains.think(call(2, 2, session_id="s-" + "0" * 32))


def test_interleaved_chains_do_not_mix(chains: ThoughtChains) -> None:
    a = chains.think(call(1, 3, text="A1", session_id="alpha"))
    b = chains.think(call(1, 3, text="B1", session_id="beta"))
    c = chains.think(call(1, 3, text="C1"), client="other-client")
    assert len({a["session_id"], b["session_id"], c["session_id"]}) == 3
    for n in (2, 3):
        a = chains.think(call(n, 3, text=f"A{n}", more=n < 3, session_id="alpha"))
        b = chains.think(call(n, 3, text=f"B{n}", more=n < 3, session_id="beta"))
        c = chains.think(call(n, 3, text=f"C{n}", more=n < 3), client="other-client")
    for reply, letter in ((a, "A"), (b, "B"), (c, "C")):
        assert reply["status"] == "completed"
        chain = chains.read(reply["session_id"])
        assert [t["thought"] for t in chain["thoughts"]] == [f"{letter}{i}" for i in (1, 2, 3)]
        assert [t["thought"] for t in chain["chain"]["thoughts"]] == [
            f"{letter}{i}" for i in (1, 2, 3)
        ]


def test_interleaved_chains_in_threads(chains: ThoughtChains) -> None:
    import threading

    errors: list[BaseException] = []

    def run(label: str) -> None:
        try:
            for n in range(1, 6):
                chains.think(call(n, 5, text=f"{label}-{n}", more=n < 5, session_id=label))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(f"t{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for snapshot in chains.chains():
        chain = chains.read(snapshot.session_id)
        texts = [t["thought"] for t in chain["thoughts"]]
        label = texts[0].split("-")[0]
        assert texts == [f"{label}-{n}" for n in range(1, 6)]


def test_read_list_delete(chains: ThoughtChains) -> None:
    sid = chains.think(call(1, 2, task="why"))["session_id"]
    chain = chains.read(sid)
    assert chain["state"] == "paused" and chain["chain"]["thoughtHistoryLength"] == 1
    assert [s.session_id for s in chains.chains()] == [sid]
    assert chains.delete(sid)
    assert chains.chains() == []
    with pytest.raises(SessionNotFound):
        chains.read(sid)


def test_read_refuses_other_sessions(chains: ThoughtChains) -> None:
    out = chains.engine.start(code="return alc.llm('x')")
    with pytest.raises(InvalidInput):
        chains.read(out.session_id)


def test_chains_are_bounded(db: Path) -> None:
    chains = ThoughtChains(alc.Engine(db), max_chains=3)
    ids = [chains.think(call(1, 2, session_id=f"c{i}"))["session_id"] for i in range(5)]
    kept = {s.session_id for s in chains.chains()}
    assert kept == set(ids[-3:])


def test_max_thoughts_closes_the_chain(db: Path) -> None:
    chains = ThoughtChains(alc.Engine(db), max_thoughts=2)
    chains.think(call(1, 5))
    reply = chains.think(call(2, 5))
    assert reply["status"] == "completed" and reply["stopped"] == "max_thoughts"
    assert any("max_thoughts" in w for w in reply["warnings"])


def test_survives_a_second_engine_on_the_same_store(db: Path) -> None:
    first = ThoughtChains(alc.Engine(db))
    sid = first.think(call(1, 3, text="before"))["session_id"]
    second = ThoughtChains(alc.Engine(db))
    reply = second.think(call(2, 3, text="after"))
    assert reply["session_id"] == sid and reply["thoughtHistoryLength"] == 2


def _think_in_process(db: Path, arguments: dict[str, Any], client: str = "c") -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, str(HELPER), str(db), client, json.dumps(arguments)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    reply: dict[str, Any] = json.loads(proc.stdout)
    return reply


def test_process_restart_between_thoughts(db: Path) -> None:
    one = _think_in_process(db, call(1, 3, text="first process"))
    two = _think_in_process(
        db, call(2, 3, text="second process", branchFromThought=1, branchId="b")
    )
    three = _think_in_process(db, call(3, 3, text="third process", more=False))
    assert one["session_id"] == two["session_id"] == three["session_id"]
    assert two["branches"] == ["b"]
    assert three["status"] == "completed" and three["thoughtHistoryLength"] == 3
    chain = ThoughtChains(alc.Engine(db)).read(one["session_id"])
    assert [t["thought"] for t in chain["chain"]["thoughts"]] == [
        "first process",
        "second process",
        "third process",
    ]
