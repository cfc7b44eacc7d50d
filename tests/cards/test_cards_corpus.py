"""Packages of the published collection that emit cards (``auto_card = true``) run unchanged and
leave their card, with its samples, in the store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import alc
from alc import Query

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "algocline-packages"
pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"conformance corpus not at {CORPUS}")

TASK = "A farmer has 17 sheep and buys 25 more. How many sheep does he have?"
_JSON = {
    "answer": "42",
    "score": 8,
    "confidence": 0.8,
    "acts": [{"type": "propose", "content": "42", "author": "r"}],
    "options": [{"id": 1, "content": "42"}],
    "mode": "dominance",
    "ranking": [{"option_id": 1, "score": 0.9, "rationale": ""}],
    "blocking_objections": [],
    "rationale": "",
    "evidence": [],
    "residual_objections": [],
    "next_actions": [],
    "reopen_triggers": [],
}
CASES: dict[str, dict[str, Any]] = {
    "conformal_vote": {
        "task": TASK,
        "options": ["42", "8", "17"],
        "calibration": {"q_hat": 0.5, "tau": 0.5, "alpha": 0.1, "n": 20, "weights": [0.5, 0.5]},
        "agents": ["You are a careful mathematician.", {"prompt": "You check arithmetic."}],
        "scenario_name": "sheep",
        "auto_card": True,
    },
    "dci": {"task": TASK, "auto_card": True, "card_pkg": "dci_sheep"},
    "optimize": {
        "target": "cot",
        "space": {"depth": {"type": "int", "min": 1, "max": 3, "step": 1}},
        "scenario": {"name": "sheep", "cases": [{"input": TASK, "expected": "42"}]},
        "rounds": 2,
        "auto_card": True,
    },
}
SMC = """
local out = require("smc_sample").run({
  task = ctx.task, n_particles = 3, n_iterations = 2, auto_card = true,
  reward_fn = function(answer) return string.find(answer, "42", 1, true) and 1.0 or 0.1 end,
})
return out.result
"""


def answer(query: Query) -> str:
    if "json" in query.prompt.lower():
        return json.dumps(_JSON)
    return "Reasoning: 17 + 25 = 42.\nANSWER: 42\nCONFIDENCE: 0.8\n42"


@pytest.mark.parametrize("name", [*sorted(CASES), "smc_sample"])
def test_auto_card_packages_across_fresh_engines(db: Path, name: str) -> None:
    first = alc.Engine(store=db, packages_path=[CORPUS])
    if name == "smc_sample":  # its ctx needs a Lua function (reward_fn): a wrapper builds it
        out = first.start(code=SMC, ctx={"task": TASK})
    else:
        out = first.start(strategy=name, ctx=CASES[name])
    while isinstance(out, alc.NeedsResponse):  # every answer in a fresh engine: replay each time
        answers = {q.id: answer(q) for q in out.queries}
        out = alc.Engine(store=db, packages_path=[CORPUS]).feed(out.session_id, responses=answers)
    assert isinstance(out, alc.Completed), out
    card_id = out.result["card_id"]
    cards = alc.Engine(store=db).cards
    assert [c["card_id"] for c in cards.list()] == [card_id]  # one card, never re-created
    card = cards.get(card_id)
    assert card is not None and card["pkg"]["name"] == card_id.split("_model_")[0]
    assert name in card and card["schema_version"] == "card/v0"
    assert cards.samples_count(card_id) > 0
