"""``alc cards ...`` through the real command in subprocesses, over an isolated ALC_HOME."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

SEED = """
local best = alc.card.create({pkg = {name = "cot"}, card_id = "cot_best",
  scenario = {name = "gsm8k"}, model = {id = "m1"}, stats = {pass_rate = 0.9}})
alc.card.create({pkg = {name = "cot"}, card_id = "cot_low", scenario = {name = "gsm8k"},
  stats = {pass_rate = 0.4}, metadata = {prior_card_id = "cot_best", prior_relation = "rerun_of"}})
alc.card.create({pkg = {name = "tot"}, card_id = "tot_1", stats = {pass_rate = 0.7}})
alc.card.write_samples("cot_best", {{case = "a", passed = true}, {case = "b", passed = false},
  {case = "c\\27[31m", passed = true}})
alc.card.alias_set("best", "cot_best", {pkg = "cot", note = "top"})
return "seeded"
"""


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


@pytest.fixture
def cli(tmp_path: Path) -> Any:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALC_")}
    env.update(ALC_HOME=str(tmp_path / "home"), ALC_EXECUTOR="inline", COLUMNS="200")

    def call(*args: str) -> Run:
        proc = subprocess.run(
            [sys.executable, "-m", "alc", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        return Run(proc.returncode, proc.stdout, proc.stderr)

    seeded = call("run", "--code", SEED)
    assert seeded.code == 0 and seeded.json()["result"] == "seeded", seeded
    return call


def test_list_filters_and_limits(cli: Any) -> None:
    everything = cli("cards", "list").json()["cards"]
    assert {c["card_id"] for c in everything} == {"cot_best", "cot_low", "tot_1"}
    cot = cli("cards", "list", "--pkg", "cot").json()["cards"]
    assert {c["card_id"] for c in cot} == {"cot_best", "cot_low"}
    best = next(c for c in cot if c["card_id"] == "cot_best")
    assert best["model"] == "m1" and best["scenario"] == "gsm8k" and best["pass_rate"] == 0.9
    assert len(cli("cards", "list", "--limit", "1").json()["cards"]) == 1


def test_show_by_id_and_alias(cli: Any) -> None:
    shown = cli("cards", "show", "cot_best").json()
    assert shown["samples"] == 3 and shown["card"]["stats"] == {"pass_rate": 0.9}
    assert cli("cards", "show", "--alias", "best").json() == shown
    assert cli("cards", "alias", "show", "best").json() == shown


def test_find_where_order_offset(cli: Any) -> None:
    where = json.dumps({"stats": {"pass_rate": {"gte": 0.5}}})
    found = cli("cards", "find", "--where", where, "--order-by", "-stats.pass_rate").json()
    assert [c["card_id"] for c in found["cards"]] == ["cot_best", "tot_1"]
    paged = cli("cards", "find", "--order-by", "stats.pass_rate", "--offset", "1", "--limit", "1")
    assert [c["card_id"] for c in paged.json()["cards"]] == ["tot_1"]


def test_samples_where_and_paging(cli: Any) -> None:
    rows = cli("cards", "samples", "cot_best").json()
    assert rows["card_id"] == "cot_best" and len(rows["samples"]) == 3
    failed = cli("cards", "samples", "cot_best", "--where", '{"passed": false}').json()
    assert failed["samples"] == [{"case": "b", "passed": False}]
    assert cli("cards", "samples", "cot_best", "--offset", "2").json()["samples"][0]["passed"]


def test_alias_list_and_set(cli: Any) -> None:
    assert [a["name"] for a in cli("cards", "alias", "list").json()["aliases"]] == ["best"]
    bound = cli("cards", "alias", "set", "best", "tot_1", "--note", "moved").json()["alias"]
    assert bound["card_id"] == "tot_1" and bound["note"] == "moved"
    assert cli("cards", "show", "--alias", "best").json()["card"]["card_id"] == "tot_1"


def test_lineage_both_directions(cli: Any) -> None:
    up = cli("cards", "lineage", "cot_low").json()
    assert [(n["card_id"], n["depth"]) for n in up["nodes"]] == [("cot_low", 0), ("cot_best", -1)]
    assert up["edges"] == [{"from": "cot_low", "relation": "rerun_of", "to": "cot_best"}]
    down = cli("cards", "lineage", "cot_best", "--direction", "down", "--no-stats").json()
    assert [n["card_id"] for n in down["nodes"]] == ["cot_best", "cot_low"]
    assert all("stats" not in n for n in down["nodes"])
    capped = cli("cards", "lineage", "cot_low", "--depth", "0").json()
    assert capped["truncated"] is True and len(capped["nodes"]) == 1


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("cards", "show", "nope"), "card_not_found"),
        (("cards", "show", "--alias", "nope"), "card_not_found"),
        (("cards", "samples", "nope"), "card_not_found"),
        (("cards", "lineage", "nope"), "card_not_found"),
        (("cards", "alias", "set", "x", "nope"), "card_not_found"),
        (("cards", "find", "--where", "{bad json"), "invalid_input"),
        (("cards", "find", "--where", '{"_or": 1}'), "invalid_input"),
        (("cards", "lineage", "cot_low", "--direction", "sideways"), "invalid_input"),
        (("cards", "show"), "invalid_input"),
        (("cards", "show", "../x"), "invalid_input"),
        (("cards", "list", "--limit", "-1"), "usage_error"),
    ],
)
def test_errors_are_coded_exit_2_without_traceback(
    cli: Any, args: tuple[str, ...], code: str
) -> None:
    out = cli(*args)
    assert out.code == 2, out
    assert out.json()["error_code"] == code
    assert "Traceback" not in out.stderr and f"[{code}]" in out.stderr


def test_pretty_tables_escape_strategy_text(cli: Any) -> None:
    listed = cli("cards", "list", "--pretty")
    assert listed.code == 0 and "cot_best" in listed.stdout and "pass_rate" in listed.stdout
    rows = cli("cards", "samples", "cot_best", "--pretty")
    assert rows.code == 0 and "\x1b[31m" not in rows.stdout and "\\x1b" in rows.stdout
    shown = cli("cards", "show", "cot_best", "--pretty")
    assert shown.code == 0 and "3 samples" in shown.stdout
    tree = cli("cards", "lineage", "cot_low", "--pretty")
    assert tree.code == 0 and "rerun_of" in tree.stdout


def test_help_names_every_command(cli: Any) -> None:
    text = cli("cards", "--help").stdout
    for name in ("list", "show", "find", "samples", "alias", "lineage"):
        assert name in text
    assert "where" in cli("cards", "find", "--help").stdout
