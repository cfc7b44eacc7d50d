"""The `thinking` strategy driven directly through the engine (as `alc run thinking` does)."""

from __future__ import annotations

import json
from typing import Any

import pytest

import alc
from alc.engine.catalog import describe


def thought(text: str, n: int, total: int, more: bool = True, **extra: Any) -> str:
    return json.dumps(
        {"thought": text, "thoughtNumber": n, "totalThoughts": total, "nextThoughtNeeded": more}
        | extra
    )


def chain_view(out: alc.Outcome) -> dict[str, Any]:
    assert isinstance(out, alc.NeedsResponse), out.to_json()
    view = out.queries[0].options["chain"]
    assert isinstance(view, dict)
    return view


def test_meta_is_complete() -> None:
    info = describe("thinking")
    assert info.error is None
    for key in ("name", "version", "description", "category", "paper", "params", "example"):
        assert key in info.meta, key
    assert {p["name"] for p in info.meta["params"]} >= {"task", "max_thoughts", "first"}


def test_full_chain_with_branch_and_revision(engine: alc.Engine) -> None:
    out = engine.start(strategy="thinking", ctx={"task": "plan"})
    assert "Write thought 1" in out.prompt  # type: ignore[union-attr]
    out = engine.feed(out.session_id, thought("one", 1, 3))
    view = chain_view(out)
    assert view["thoughtNumber"] == 1 and view["thoughtHistoryLength"] == 1
    out = engine.feed(out.session_id, thought("two", 2, 3))
    out = engine.feed(out.session_id, thought("alt two", 2, 3, branchFromThought=1, branchId="alt"))
    view = chain_view(out)
    assert view["branches"] == ["alt"]
    assert view["branch_tree"] == {
        "main": [1, 2],
        "branches": [{"branchId": "alt", "from": 1, "thoughts": [2]}],
    }
    out = engine.feed(
        out.session_id, thought("better one", 3, 3, isRevision=True, revisesThought=1)
    )
    out = engine.feed(out.session_id, thought("four", 4, 3, needsMoreThoughts=True))
    view = chain_view(out)
    assert view["totalThoughts"] == 4  # raised to thoughtNumber
    out = engine.feed(out.session_id, thought("done", 5, 5, more=False))
    assert isinstance(out, alc.Completed)
    result = out.result
    assert result["counts"] == {
        "thoughts": 6,
        "main": 5,
        "branches": 1,
        "revisions": 1,
        "warnings": 0,
    }
    assert result["final_thought"] == "done"
    assert result["revisions"] == [{"revises": 1, "thought": 3}]
    assert result["branches"] == {"alt": {"from": 1, "thoughts": [2]}}
    assert [t["thought"] for t in result["thoughts"]] == [
        "one",
        "two",
        "alt two",
        "better one",
        "four",
        "done",
    ]
    assert result["stopped"] == "complete"
    assert result["nextThoughtNeeded"] is False


def test_plain_text_and_strings_and_aliases(engine: alc.Engine) -> None:
    out = engine.start(strategy="thinking", ctx={})
    out = engine.feed(out.session_id, "just a thought")
    view = chain_view(out)
    assert view["thoughtNumber"] == 1 and view["nextThoughtNeeded"] is True
    out = engine.feed(
        out.session_id,
        json.dumps(
            {
                "thought": "t2",
                "thought_number": "2",
                "total_thoughts": "2",
                "next_thought_needed": "false",
            }
        ),
    )
    assert isinstance(out, alc.Completed)
    assert out.result["thoughts"][1]["thoughtNumber"] == 2


def test_bad_references_are_warnings(engine: alc.Engine) -> None:
    out = engine.start(
        strategy="thinking",
        ctx={
            "first": {
                "thought": "a",
                "thoughtNumber": 1,
                "totalThoughts": 2,
                "nextThoughtNeeded": True,
            }
        },
    )
    out = engine.feed(out.session_id, thought("r", 2, 2, isRevision=True, revisesThought=7))
    view = chain_view(out)
    assert any("revises thought 7" in w for w in view["warnings"])
    assert "revises thought 7" in out.prompt  # type: ignore[union-attr]
    out = engine.feed(out.session_id, thought("b", 3, 3, branchFromThought=9, branchId="x"))
    view = chain_view(out)
    assert any("thought 9" in w for w in view["warnings"])
    out = engine.feed(out.session_id, thought("m", 4, 4, thoughtNumber="many"))
    view = chain_view(out)  # bad number: warning, numbered after the last
    assert view["thoughtNumber"] == 4
    assert any("thoughtNumber must be an integer" in w for w in view["warnings"])
    out = engine.feed(out.session_id, "   ")
    view = chain_view(out)  # empty answer: ignored, asked again
    assert view["thoughtHistoryLength"] == 4
    assert any("empty answer" in w for w in view["warnings"])
    out = engine.feed(out.session_id, thought("end", 5, 5, more=False))
    assert isinstance(out, alc.Completed)
    assert out.result["counts"]["warnings"] >= 3


def test_max_thoughts_bounds_the_chain(engine: alc.Engine) -> None:
    out = engine.start(strategy="thinking", ctx={"max_thoughts": 2})
    out = engine.feed(out.session_id, "one")
    out = engine.feed(out.session_id, "two")
    assert isinstance(out, alc.Completed)
    assert out.result["stopped"] == "max_thoughts"
    assert out.result["counts"]["thoughts"] == 2


@pytest.mark.parametrize("bad", [{"max_thoughts": 0}, {"max_thoughts": "x"}, {"task": 3}])
def test_bad_ctx_fails_the_session(engine: alc.Engine, bad: dict[str, Any]) -> None:
    out = engine.start(strategy="thinking", ctx=bad)
    assert isinstance(out, alc.Failed)
    assert out.error_code == "lua_error" and "thinking:" in out.error


def test_drive_with_a_scripted_llm(engine: alc.Engine) -> None:
    answers = iter([thought("a", 1, 2), thought("b", 2, 2, more=False)])
    out = engine.drive(strategy="thinking", ctx={"task": "x"}, llm=lambda q: next(answers))
    assert isinstance(out, alc.Completed)
    assert out.result["counts"]["thoughts"] == 2


def test_pause_views_stay_bounded_on_long_chains() -> None:
    engine = alc.Engine()
    out = engine.start(strategy="thinking", ctx={"max_thoughts": 500})
    for n in range(1, 201):
        out = engine.feed(out.session_id, thought(f"t{n}", n, 300))
    view = chain_view(out)
    assert view["branch_tree"]["main"] == list(range(137, 201))
    assert view["branch_tree"]["main_length"] == 200
    out = engine.feed(out.session_id, thought("last", 201, 201, more=False))
    assert isinstance(out, alc.Completed)
    assert out.result["branch_tree"]["main"] == list(range(1, 202))
