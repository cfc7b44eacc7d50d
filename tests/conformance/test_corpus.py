"""The published algocline collection runs on alc unchanged (issue 15, DESIGN section 9).

Every package of ``../shared/conformance/algocline-packages`` that exports ``M.run`` is driven to
completion with a scripted responder, from the ctx fixture in :mod:`corpus_fixtures`. Library
packages (no ``M.run``) must load. The corpus is used in place, never copied.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from corpus_fixtures import CTX, DEFAULT_CTX, WRAPPERS

import alc
from alc import Query

PROJECT = Path(__file__).resolve().parents[2]
CORPUS = PROJECT.parent / "shared" / "conformance" / "algocline-packages"

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"conformance corpus not at {CORPUS}")

SLOW = {"evogame_abm", "schelling_abm", "opinion_abm", "epidemic_abm"}
"""Agent-based simulations: hundreds of millions of instructions per run."""


def _package_names() -> list[str]:
    if not CORPUS.is_dir():
        return []
    return sorted(p.parent.name for p in CORPUS.glob("*/init.lua"))


_KIND = """
local M = require(ctx.name)
if type(M) ~= "table" then return "other" end
return type(M.run) == "function" and "strategy" or "library"
"""


@pytest.fixture(scope="module")
def engine() -> alc.Engine:
    eng = alc.Engine(packages_path=[CORPUS])
    yield eng
    eng.close()


_RULES: tuple[tuple[str, str], ...] = (
    # pairwise judges: "Reply ... Verdict: A or Verdict: B or Verdict: tie"
    (r"Verdict: A", "Verdict: A"),
    (
        r"\bjson\b",
        json.dumps(
            {"answer": "42", "score": 8, "passed": True, "verdict": "yes", "confidence": 0.8}
        ),
    ),
)
_DEFAULT_ANSWER = (
    "Reasoning: 17 + 25 = 42.\nANSWER: 42\nSCORE: 8\nCONFIDENCE: 0.8\nVERDICT: YES\n"
    "BEST: 1\nRANKING: 1, 2, 3, 4\nSUPPORTED"
)


def answer(query: Query) -> str:
    """A scripted answer for any prompt in the corpus: the shape each prompt asks for.

    Packages parse scores, verdicts, choices, JSON and numbers out of the model's text; one answer
    per recognisable request keeps every parser on its normal path.
    """
    for pattern, reply in _RULES:
        if re.search(pattern, query.prompt, re.IGNORECASE):
            return reply
    return _DEFAULT_ANSWER


_CHECK_RESULT = """
local S = require("alc_shapes")
local M = require(ctx.name)
local run = type(M.spec) == "table" and type(M.spec.entries) == "table" and M.spec.entries.run
local schema = type(run) == "table" and run.result or nil
if type(schema) == "string" then schema = S[schema] end
if schema == nil then return { checked = false } end
local ok, reason = S.check(ctx.value, schema)
return { checked = true, ok = ok, reason = reason }
"""
"""Checks a package's result against the result shape its own ``M.spec`` declares."""


def _kind(engine: alc.Engine, name: str) -> str:
    outcome = engine.start(_KIND, ctx={"name": name})
    assert outcome.status == "completed", outcome
    return str(outcome.result)


@pytest.mark.parametrize(
    "name",
    [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in _package_names()],
)
def test_package_runs_unchanged(engine: alc.Engine, name: str) -> None:
    kind = _kind(engine, name)
    assert kind in ("strategy", "library")
    if kind == "library":
        return
    if name in WRAPPERS:
        outcome = engine.drive(WRAPPERS[name], ctx=DEFAULT_CTX, llm=answer)
    else:
        outcome = engine.drive(strategy=name, ctx=CTX.get(name, DEFAULT_CTX), llm=answer)
    assert outcome.status == "completed", getattr(outcome, "error", outcome)
    assert outcome.result is not None
    check = engine.start(_CHECK_RESULT, ctx={"name": name, "value": outcome.result})
    assert check.status == "completed", check
    if check.result["checked"]:
        assert check.result["ok"], check.result["reason"]


def test_corpus_is_the_published_collection() -> None:
    assert len(_package_names()) == 96
