"""Scenario files: algocline's evalframe scenarios unchanged (.lua), JSONL, TOML and JSON; and
alc.eval running them inside one session in Lua."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import alc
from alc.engine.errors import InvalidInput
from alc.eval import Scenario, load_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / ".." / "shared" / "conformance"
SCENARIOS = SCENARIOS.resolve() / "algocline-scenarios"


@pytest.fixture()
def engine() -> alc.Engine:
    return alc.Engine()


def test_the_three_algocline_scenarios_load_unchanged(engine: alc.Engine) -> None:
    math = load_scenario(str(SCENARIOS / "math_basic.lua"), engine)
    assert math.name == "math_basic"
    assert [(g.name, g.weight) for g in math.graders] == [("contains", 0.6), ("exact_match", 0.4)]
    assert [c.id for c in math.cases][:3] == ["addition", "subtraction", "multiply"]
    assert math.cases[-1].expected == ("120",)
    factual = load_scenario(str(SCENARIOS / "factual_basic.lua"), engine)
    assert len(factual.cases) == 5 and factual.cases[0].expected == ("Au",)
    reasoning = load_scenario(str(SCENARIOS / "reasoning_basic.lua"), engine)
    assert [(g.name, g.weight) for g in reasoning.graders] == [("contains", 1.0)]
    assert reasoning.cases[2].id == "comparison" and reasoning.cases[2].expected == ("Carol",)
    assert load_scenario(str(SCENARIOS / "math_basic.lua"), engine, n=2).cases == math.cases[:2]


def test_jsonl_toml_and_json_forms(engine: alc.Engine, tmp_path: Path) -> None:
    jsonl = tmp_path / "capitals.jsonl"
    jsonl.write_text(
        '{"name": "caps", "graders": [{"name": "contains", "ignore_case": true}]}\n'
        '{"id": "jp", "input": "Capital of Japan?", "expected": "Tokyo", "tags": ["asia"]}\n'
        "\n"
        '{"id": "fr", "input": "Capital of France?", "expected": ["Paris"]}\n',
        encoding="utf-8",
    )
    s = load_scenario(str(jsonl), engine)
    assert s.name == "caps" and [c.id for c in s.cases] == ["jp", "fr"]
    assert s.graders[0].params == {"ignore_case": True} and s.cases[0].tags == ("asia",)
    toml = tmp_path / "sums.toml"
    toml.write_text(
        'name = "sums"\npass_threshold = 0.5\n'
        'graders = [{ name = "numeric", weight = 2 }, "not_empty"]\n'
        '[[cases]]\nid = "a"\ninput = "2+2?"\nexpected = "4"\n',
        encoding="utf-8",
    )
    t = load_scenario(str(toml), engine)
    assert t.pass_threshold == 0.5 and [(g.name, g.weight) for g in t.graders] == [
        ("numeric", 2.0),
        ("not_empty", 1.0),
    ]
    js = tmp_path / "back.json"
    js.write_text(json.dumps(t.wire()), encoding="utf-8")
    assert Scenario.parse(json.loads(js.read_text())) == load_scenario(str(js), engine)


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("x.csv", "a,b", "unknown format"),
        ("bad.jsonl", '{"id": "a", "input": ""}', "needs an input"),
        ("bad2.jsonl", "{nope", "not JSON"),
        ("dup.jsonl", '{"id": "a", "input": "q"}\n{"id": "a", "input": "q"}', "appears twice"),
        ("bad.toml", "cases = [", "not TOML"),
        ("empty.toml", "cases = []", "has no cases"),
        ("boom.lua", "error('broken on purpose')", "broken on purpose"),
        ("num.lua", "return 42", "must return a table"),
        ("syntax.lua", "return {", "scenario syntax.lua"),
    ],
)
def test_bad_scenarios_are_invalid_input(
    engine: alc.Engine, tmp_path: Path, name: str, text: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput, match=message):
        load_scenario(str(path), engine)


def test_unknown_scenario_names_the_built_in_sets(engine: alc.Engine) -> None:
    with pytest.raises(InvalidInput, match="arith, logic, factual"):
        load_scenario("no-such-thing", engine)
    with pytest.raises(InvalidInput, match="at least 1"):
        load_scenario("arith", engine, n=0)


_EVAL_FILE = """
local scenario = load(ctx.source, "=scenario", "t")()
return alc.eval(scenario, "direct", { auto_card = true })
"""


@pytest.mark.parametrize("name", ["math_basic", "factual_basic", "reasoning_basic"])
def test_alc_eval_runs_each_scenario_in_lua(engine: alc.Engine, name: str) -> None:
    source = (SCENARIOS / f"{name}.lua").read_text(encoding="utf-8")
    scenario = load_scenario(str(SCENARIOS / f"{name}.lua"), engine)
    right = {c.input: c.expected[0] for c in scenario.cases}
    out = engine.drive(code=_EVAL_FILE, ctx={"source": source}, llm=lambda q: right[q.prompt])
    assert isinstance(out, alc.Completed), out
    report = out.result
    assert report["name"] == "direct:inline"
    assert report["aggregated"]["total"] == len(scenario.cases)
    assert report["aggregated"]["pass_rate"] == 1.0
    card = engine.cards.get(report["card_id"])
    assert card is not None and card["pkg"]["name"] == "direct"


def test_alc_eval_grades_with_weights_tags_and_failures(engine: alc.Engine) -> None:
    code = """
    local ef = require("evalframe")
    return alc.eval({
      ef.bind { ef.graders.contains, weight = 0.6 },
      ef.bind { ef.graders.exact_match, weight = 0.4 },
      cases = {
        ef.case "add" { input = "2+2?", expected = "4", tags = { "math" } },
        ef.case "cap" { input = "Capital of Japan?", expected = "Tokyo" },
      },
    }, "direct")
    """
    answers = {"2+2?": "4", "Capital of Japan?": "It is Tokyo."}
    out = engine.drive(code=code, llm=lambda q: answers[q.prompt])
    assert isinstance(out, alc.Completed), out
    agg = out.result["aggregated"]
    assert agg["total"] == 2 and agg["passed"] == 1
    assert agg["scores"]["mean"] == pytest.approx(0.8)
    assert agg["by_tag"]["math"]["pass_rate"] == 1.0
    assert [f["name"] for f in out.result["failures"]] == ["cap"]
    assert out.result["results"][1]["score"] == pytest.approx(0.6)


def test_evalframe_refuses_malformed_cases(engine: alc.Engine) -> None:
    out = engine.start(code='local ef = require("evalframe"); return ef.case { expected = "x" }')
    assert isinstance(out, alc.Failed) and "'input' is required" in out.error
    out = engine.start(code='local ef = require("evalframe"); return ef.bind { weight = 1 }')
    assert isinstance(out, alc.Failed) and "a grader is required" in out.error


DEEP = 600


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("deep.json", '{"cases": ' + "[" * DEEP + "]" * DEEP + "}"),
        ("deep.jsonl", '{"input": "q", "expected": ' + "[" * DEEP + "]" * DEEP + "}"),
        ("deep.toml", "x = " + "[" * DEEP + "]" * DEEP + '\ncases = [{input = "q"}]'),
        (
            "ctx.json",
            '{"cases": [{"input": "q", "context": ' + '{"a":' * 300 + "1" + "}" * 300 + "}]}",
        ),
        (
            "w.json",
            '{"graders": [{"name": "contains", "weight": 1e999}], "cases": [{"input": "q"}]}',
        ),
        (
            "nan.json",
            '{"graders": [{"name": "contains", "weight": NaN}], "cases": [{"input": "q"}]}',
        ),
        ("t.json", '{"pass_threshold": true, "cases": [{"input": "q", "id": "c"}]}'),
    ],
)
def test_deep_or_non_finite_scenario_files_are_invalid_input(
    engine: alc.Engine, tmp_path: Path, name: str, text: str
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput):
        load_scenario(str(path), engine)


def test_a_deep_inline_scenario_is_invalid_input_through_the_api(engine: alc.Engine) -> None:
    deep: object = 1
    for _ in range(DEEP):
        deep = {"a": deep}
    with pytest.raises(InvalidInput, match="nests deeper"):
        Scenario.parse({"cases": [{"id": "c", "input": "q", "context": deep}]})
