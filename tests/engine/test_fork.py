"""alc.fork: child strategies in parallel VMs whose queries surface in the parent's pauses."""

from __future__ import annotations

from pathlib import Path

import pytest

import alc

CHILDREN = {
    "alpha": "return {run = function(ctx) return 'A:' .. alc.llm('alpha ' .. ctx.task) "
    ".. alc.llm('alpha again') end}",
    "beta": "return {run = function(ctx) "
    "return 'B:' .. table.concat(alc.llm_batch({'beta 1', 'beta 2'}), ',') end}",
    "gamma": "return {run = function(ctx) return {g = alc.llm('gamma ' .. ctx.task)} end}",
    "broken": "return {run = function(ctx) error('broken child') end}",
}


@pytest.fixture
def forks(packages: Path) -> Path:
    for name, code in CHILDREN.items():
        (packages / name).mkdir()
        (packages / name / "init.lua").write_text(code)
    return packages


def test_three_children_answered_out_of_order(forks: Path, db: Path) -> None:
    engine = alc.Engine(store=db)
    out = engine.start(code="return alc.fork({'alpha', 'beta', 'gamma'}, {task = 'T'})")
    assert isinstance(out, alc.NeedsResponse)
    assert [(q.id, q.prompt) for q in out.queries] == [
        ("q-0", "alpha T"),
        ("q-1", "beta 1"),
        ("q-2", "beta 2"),
        ("q-3", "gamma T"),
    ]
    partial = engine.feed(out.session_id, responses={"q-3": "G", "q-1": "B1"})
    assert isinstance(partial, alc.Accepted) and partial.remaining == 2
    out = engine.feed(out.session_id, responses={"q-2": "B2", "q-0": "A1"})
    assert isinstance(out, alc.NeedsResponse) and out.query_id == "q-4"
    assert out.prompt == "alpha again"
    # the last answer arrives in another engine: the fork is restored by replay
    done = alc.Engine(store=db).feed(out.session_id, "A2")
    assert isinstance(done, alc.Completed)
    assert done.result == [
        {"strategy": "alpha", "ok": True, "result": "A:A1A2"},
        {"strategy": "beta", "ok": True, "result": "B:B1,B2"},
        {"strategy": "gamma", "ok": True, "result": {"g": "G"}},
    ]


def test_child_failure_is_reported_in_place(forks: Path) -> None:
    engine = alc.Engine()
    out = engine.start(code="return alc.fork({'broken', 'gamma', 'missing_pkg'}, {task = 'x'})")
    assert isinstance(out, alc.NeedsResponse) and out.prompt == "gamma x"
    done = engine.feed(out.session_id, "G")
    assert isinstance(done, alc.Completed)
    broken, gamma, missing = done.result
    assert broken["ok"] is False and "broken child" in broken["error"]
    assert gamma == {"strategy": "gamma", "ok": True, "result": {"g": "G"}}
    assert missing["ok"] is False and "not found" in missing["error"]


def test_on_error_abort_fails_the_parent(forks: Path) -> None:
    engine = alc.Engine()
    out = engine.start(
        code="return alc.fork({'gamma', 'broken'}, {task = 'x'}, {on_error = 'abort'})"
    )
    assert isinstance(out, alc.Failed) and out.error_code == "lua_error"
    assert "child 'broken' failed" in out.error


def test_children_share_the_parent_budget(forks: Path) -> None:
    """beta's two queries fit the budget of 2; gamma's third is refused: gamma's alc.llm raises,
    gamma fails in place (on_error "skip"), and the refusal shows in the stats."""
    engine = alc.Engine()
    out = engine.start(
        code="return alc.fork({'beta', 'gamma'}, {task = 'x'})",
        ctx={"budget": {"max_llm_calls": 2}},
    )
    assert isinstance(out, alc.NeedsResponse)
    assert [q.prompt for q in out.queries] == ["beta 1", "beta 2"]
    done = engine.feed(out.session_id, responses={"q-0": "1", "q-1": "2"})
    assert isinstance(done, alc.Completed)
    beta, gamma = done.result
    assert beta == {"strategy": "beta", "ok": True, "result": "B:1,2"}
    assert gamma["ok"] is False and gamma["error"].startswith("budget exceeded")
    assert done.stats["auto"]["budget"]["exceeded"] is True


def test_fork_validates_arguments(forks: Path) -> None:
    engine = alc.Engine()
    for call in ("alc.fork({})", "alc.fork('alpha')", "alc.fork({'alpha'}, {}, 'skip')"):
        out = engine.start(code=call)
        assert isinstance(out, alc.Failed) and "alc.fork" in out.error


@pytest.mark.parametrize("executor", ["inline", "process"])
def test_the_journal_records_which_child_asked_each_query(
    forks: Path, db: Path, executor: str
) -> None:
    with alc.Engine(store=db, executor=executor) as engine:
        out = engine.start(code="return alc.fork({'alpha', 'beta'}, {task = 'T'})")
        assert isinstance(out, alc.NeedsResponse)
        assert all("fork" not in q.wire() for q in out.queries)  # the wire format is unchanged
        out = engine.feed(out.session_id, responses={"q-0": "a", "q-1": "b1", "q-2": "b2"})
        tagged = [
            (e["query"]["id"], e["query"].get("fork"))
            for e in engine.transcript(out.session_id).entries
        ]
    assert tagged == [
        ("q-0", {"child": 0, "strategy": "alpha"}),
        ("q-1", {"child": 1, "strategy": "beta"}),
        ("q-2", {"child": 1, "strategy": "beta"}),
        ("q-3", {"child": 0, "strategy": "alpha"}),
    ]
