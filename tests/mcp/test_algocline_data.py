"""algocline's eval, scenario, card, state and trace tools, end to end: `alc mcp --profile
algocline` in a real subprocess, called with the SDK client in algocline's argument shapes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from _mcp_helpers import error, ok
from mcp import Client, StdioServerParameters

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

CONFORMANCE = Path(__file__).resolve().parents[3] / "shared" / "conformance"

_SEED = """
alc.card.create({pkg = {name = "demo"}, card_id = "demo_a", stats = {pass_rate = 0.5}})
alc.card.write_samples("demo_a", {
  {case = {name = "c1"}, passed = true,
   trace = {total_calls = 2, total_trace_ms = 100, completed = true}},
  {case = {name = "c2"}, passed = false},
})
alc.card.create({pkg = {name = "demo"}, card_id = "demo_b", stats = {pass_rate = 0.9},
  metadata = {prior_card_id = "demo_a", prior_relation = "tuned"}})
alc.card.write_samples("demo_b", {
  {case = {name = "c1"}, passed = true,
   trace = {total_calls = 4, total_trace_ms = 120, completed = false}},
})
return "seeded"
"""

_INLINE = """
local ef = require("evalframe")
return {
  ef.bind { ef.graders.exact_match },
  cases = {
    ef.case "one" { input = "1+1?", expected = "2" },
    ef.case "two" { input = "2+2?", expected = "4" },
  },
}
"""


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("algocline-data")


@pytest.fixture(scope="module")
async def c(home: Path) -> AsyncIterator[Client]:
    sinks = f"file://{home / 'sink'}"
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "alc", "mcp", "--store", str(home / "sessions.db"), "--profile", "algocline"],
        env={**os.environ, "ALC_HOME": str(home / "alc"), "ALC_CARD_SINKS": sinks},
        cwd=str(home),
    )
    async with Client(params, read_timeout_seconds=120) as client:
        reply = ok(await client.call_tool("alc_run", {"code": _SEED}))
        assert reply["result"] == "seeded"
        yield client


async def call(client: Client, tool: str, **arguments: Any) -> Any:
    return await client.call_tool(tool, arguments)


def git(*args: str, cwd: Path | None = None) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


# ---------------------------------------------------------------------- listing


async def test_every_data_tool_is_listed_with_algoclines_arguments(c: Client) -> None:
    tools = {t.name: t for t in (await c.list_tools()).tools}
    expected = {
        "alc_eval": {"strategy", "scenario", "scenario_file", "scenario_name", "strategy_opts"},
        "alc_eval_compare": {"eval_id_a", "eval_id_b"},
        "alc_card_find": {"pkg", "where", "order_by", "limit", "offset"},
        "alc_card_publish": {"card_id", "target_repo", "commit_message"},
        "alc_state_reset": {"namespace", "key", "steps", "fields"},
        "alc_trace_diff": {"a_card_id", "b_card_id", "a_sample_index", "b_sample_index"},
    }
    for name, params in expected.items():
        assert params <= set(tools[name].input_schema["properties"]), name
    assert tools["alc_state_delete"].annotations.destructive_hint is True


# ---------------------------------------------------------------------- cards


async def test_alc_card_list(c: Client) -> None:
    cards = ok(await call(c, "alc_card_list", pkg="demo"))["cards"]
    assert {x["card_id"] for x in cards} == {"demo_a", "demo_b"}


async def test_alc_card_get(c: Client) -> None:
    reply = ok(await call(c, "alc_card_get", card_id="demo_a"))
    assert reply["card"]["stats"]["pass_rate"] == 0.5 and reply["samples"] == 2
    error(await call(c, "alc_card_get", card_id="nope"), "card_not_found")


async def test_alc_card_find(c: Client) -> None:
    where = {"stats": {"pass_rate": {"gte": 0.8}}}
    found = ok(await call(c, "alc_card_find", where=where, order_by="-stats.pass_rate"))["cards"]
    assert [x["card_id"] for x in found] == ["demo_b"]
    error(await call(c, "alc_card_find", where="{not json"), "invalid_input")


async def test_alc_card_alias_set_list_and_get_by_alias(c: Client) -> None:
    ok(await call(c, "alc_card_alias_set", name="best", card_id="demo_b", pkg="demo", note="n"))
    aliases = ok(await call(c, "alc_card_alias_list", pkg="demo"))["aliases"]
    assert [(a["name"], a["card_id"]) for a in aliases] == [("best", "demo_b")]
    reply = ok(await call(c, "alc_card_get_by_alias", name="best"))
    assert reply["card"]["card_id"] == "demo_b"
    error(await call(c, "alc_card_get_by_alias", name="missing"), "card_not_found")


async def test_alc_card_append(c: Client) -> None:
    card = ok(await call(c, "alc_card_append", card_id="demo_a", fields={"review": "ok"}))
    assert card["card"]["review"] == "ok"
    again = await call(c, "alc_card_append", card_id="demo_a", fields={"review": "changed"})
    error(again, "card_immutable")


async def test_alc_card_samples(c: Client) -> None:
    rows = ok(await call(c, "alc_card_samples", card_id="demo_a", where={"passed": True}))
    assert [r["case"]["name"] for r in rows["samples"]] == ["c1"]
    rows = ok(await call(c, "alc_card_samples", card_id="demo_a", offset=1, limit=1))
    assert [r["case"]["name"] for r in rows["samples"]] == ["c2"]


async def test_alc_card_lineage(c: Client) -> None:
    tree = ok(await call(c, "alc_card_lineage", card_id="demo_b", direction="up"))
    assert {n["card_id"] for n in tree["nodes"]} == {"demo_a", "demo_b"}


async def test_alc_card_analyze_runs_the_analyzer_with_the_card_in_ctx(c: Client) -> None:
    reply = ok(await call(c, "alc_card_analyze", card_id="demo_a"))  # the built-in analyzer
    assert reply["status"] == "needs_response" and "demo_a" in reply["prompt"]
    assert '"name":"c2"' in reply["prompt"]  # its failing sample row
    answer = '{"pattern": "p", "suggested_change": "more n", "confidence": 0.8}'
    done = ok(await call(c, "alc_continue", session_id=reply["session_id"], response=answer))
    assert done["result"]["suggested_change"] == "more n"
    assert (done["result"]["failure_count"], done["result"]["sample_count"]) == (1, 2)
    reply = ok(await call(c, "alc_card_analyze", card_id="demo_a", pkg="direct"))
    assert reply["error_code"] == "lua_error" and "ctx.task" in reply["error"]  # not an analyzer
    error(await call(c, "alc_card_analyze", card_id="demo_a", pkg="absent"), "strategy_not_found")
    error(await call(c, "alc_card_analyze", card_id="nope", pkg="direct"), "card_not_found")


def _collection(root: Path) -> Path:
    """An algocline card collection: alc_cards.toml, one folder per package of TOML cards."""
    folder = root / "demo"
    folder.mkdir(parents=True)
    (root / "alc_cards.toml").write_text('name = "demo cards"\n')
    card = 'card_id = "demo_installed"\n[pkg]\nname = "demo"\n[stats]\npass_rate = 1.0\n'
    (folder / "demo_installed.toml").write_text(card)
    (folder / "demo_installed.samples.jsonl").write_text('{"case_id": "x"}\n{"case_id": "y"}\n')
    (folder / "notes.txt").write_text("not a card")
    (root / "_drafts").mkdir()
    (root / "_drafts" / "draft.toml").write_text('card_id = "draft"\n')
    return root


async def test_alc_card_install_a_collection_from_a_folder_and_from_git(
    c: Client, home: Path
) -> None:
    source = _collection(home / "collection")
    reply = ok(await call(c, "alc_card_install", url=str(source)))
    assert reply["installed_cards"] == ["demo_installed"] and reply["samples"] == 2
    assert reply["packages"] == ["demo"] and reply["mode"] == "card_collection"
    again = ok(await call(c, "alc_card_install", url=str(source)))
    assert again["skipped_cards"] == ["demo_installed"] and again["installed_cards"] == []
    card = ok(await call(c, "alc_card_get", card_id="demo_installed"))
    assert card["card"]["stats"] == {"pass_rate": 1.0} and card["samples"] == 2
    repo = _collection(home / "collection-git")
    toml = repo / "demo" / "demo_installed.toml"
    toml.write_text(toml.read_text().replace('card_id = "demo_installed"\n', ""))
    toml.rename(repo / "demo" / "demo_git.toml")  # the id comes from the file name
    (repo / "demo" / "demo_installed.samples.jsonl").unlink()
    git("init", "-q", cwd=repo)
    git("add", ".", cwd=repo)
    git("commit", "-qm", "cards", cwd=repo)
    reply = ok(await call(c, "alc_card_install", url=f"file://{repo}"))
    assert reply["installed_cards"] == ["demo_git"] and reply["samples"] == 0
    error(await call(c, "alc_card_install", url=str(home / "nowhere")), "install_failed")
    error(await call(c, "alc_card_install", url=str(home)), "install_failed")  # no cards


async def test_alc_card_publish_pushes_to_a_bare_repo(c: Client, home: Path) -> None:
    bare = home / "hub.git"
    git("init", "-q", "--bare", str(bare))
    url = f"file://{bare}"
    reply = ok(
        await call(c, "alc_card_publish", card_id="demo_a", target_repo=url, commit_message="m")
    )
    assert len(reply["commit_hash"]) == 40 and reply["published_url"] == url
    assert reply["reindex_status"]["ok"] is True
    assert git("--git-dir", str(bare), "log", "-1", "--format=%s", "--all").strip() == "m"
    files = git("--git-dir", str(bare), "ls-tree", "-r", "--name-only", reply["commit_hash"])
    assert files.split() == ["cards/demo/demo_a.samples.jsonl", "cards/demo/demo_a.toml"]
    again = ok(await call(c, "alc_card_publish", card_id="demo_a", target_repo=url))
    assert again["commit_hash"] == reply["commit_hash"] and again["paths"] == []
    back = ok(await call(c, "alc_card_install", url=url))  # what publish writes installs
    assert back["skipped_cards"] == ["demo_a"] and back["mode"] == "card_files"
    error(await call(c, "alc_card_publish", card_id="nope", target_repo=url), "card_not_found")
    error(await call(c, "alc_card_publish", card_id="demo_a", target_repo="x"), "invalid_input")


async def test_alc_card_sink_backfill(c: Client, home: Path) -> None:
    sink = f"file://{home / 'sink'}"
    assert (home / "sink" / "demo" / "demo_a.toml").is_file()  # mirrored when it was created
    shutil.rmtree(home / "sink")  # a sink configured after the cards were written
    dry = ok(await call(c, "alc_card_sink_backfill", sink=sink, dry_run=True))
    assert "demo_a" in dry["pushed"] and "demo_a" in dry["pushed_samples"]
    assert not (home / "sink").exists() and dry["configured_sinks"] == [sink]
    done = ok(await call(c, "alc_card_sink_backfill", sink=sink))
    assert set(done["pushed"]) >= {"demo_a", "demo_b"} and done["failed"] == []
    lines = (home / "sink" / "demo" / "demo_a.samples.jsonl").read_text().splitlines()
    assert len(lines) == 2 and (home / "sink" / "demo" / "demo_a.toml").is_file()
    again = ok(await call(c, "alc_card_sink_backfill", sink=sink))
    assert again["pushed"] == [] and "demo_a" in again["skipped"]
    error(await call(c, "alc_card_sink_backfill", sink="file:///elsewhere"), "invalid_input")


# ---------------------------------------------------------------------- traces


async def test_alc_trace_query(c: Client) -> None:
    rows = ok(await call(c, "alc_trace_query", pkg="demo"))
    assert rows["rows"][0]["case"] == {"name": "c1"}
    assert {(r["card_id"], r["sample_index"]) for r in rows["rows"]} == {
        ("demo_a", 0),
        ("demo_b", 0),
    }
    slow = ok(await call(c, "alc_trace_query", min_ms=110, completed=False))["rows"]
    assert [r["card_id"] for r in slow] == ["demo_b"]
    assert ok(await call(c, "alc_trace_query", max_calls=1))["rows"] == []


async def test_alc_trace_diff(c: Client) -> None:
    diff = ok(await call(c, "alc_trace_diff", a_card_id="demo_a", b_card_id="demo_b"))
    assert diff["delta"] == {
        "calls_delta": 2,
        "ms_delta": 20.0,
        "ms_per_call_delta": -20.0,
        "completed_a": True,
        "completed_b": False,
    }
    assert diff["a_trace"] == {"total_calls": 2, "total_trace_ms": 100.0, "completed": True}
    assert diff["b_ref"] == {"card_id": "demo_b", "sample_index": 0}
    no_trace = await call(
        c, "alc_trace_diff", a_card_id="demo_a", b_card_id="demo_a", b_sample_index=1
    )
    error(no_trace, "invalid_input")


# ---------------------------------------------------------------------- state


async def test_alc_state_set_and_show(c: Client) -> None:
    assert ok(await call(c, "alc_state_set", namespace="ns", key="k", value={"a": 1})) == {
        "ok": True,
        "backup_key": None,
    }
    value = {"data": {"completed_steps": ["s1", "s2"], "x": 1, "y": 2}}
    assert ok(await call(c, "alc_state_set", namespace="ns", key="k", value=value))["backup_key"]
    assert ok(await call(c, "alc_state_show", namespace="ns", key="k"))["value"] == value
    assert ok(await call(c, "alc_state_show", namespace="ns", key="k.bak"))["value"] == {"a": 1}
    error(await call(c, "alc_state_show", namespace="ns", key="none"), "invalid_input")
    error(await call(c, "alc_state_set", namespace="", key="k", value=1), "invalid_input")


async def test_alc_state_list_hides_backups(c: Client) -> None:
    ok(await call(c, "alc_state_set", namespace="listed", key="b", value=1))
    ok(await call(c, "alc_state_set", namespace="listed", key="a", value=1))
    ok(await call(c, "alc_state_set", namespace="listed", key="a", value=2))
    assert ok(await call(c, "alc_state_list", namespace="listed"))["keys"] == ["a", "b"]


async def test_alc_state_reset(c: Client) -> None:
    value = {"data": {"completed_steps": ["s1", "s2"], "x": 1, "y": 2}}
    ok(await call(c, "alc_state_set", namespace="r", key="k", value=value))
    reply = ok(await call(c, "alc_state_reset", namespace="r", key="k", steps=["s1"], fields=["x"]))
    assert reply["steps_removed"] == 1 and reply["fields_removed"] == 1
    shown = ok(await call(c, "alc_state_show", namespace="r", key="k"))["value"]
    assert shown == {"data": {"completed_steps": ["s2"], "y": 2}}
    assert ok(await call(c, "alc_state_show", namespace="r", key="k.bak"))["value"] == value
    error(await call(c, "alc_state_reset", namespace="r", key="missing"), "invalid_input")


async def test_alc_state_delete_is_idempotent_and_keeps_a_backup(c: Client) -> None:
    ok(await call(c, "alc_state_set", namespace="d", key="k", value="v"))
    assert ok(await call(c, "alc_state_delete", namespace="d", key="k"))["existed"] is True
    assert ok(await call(c, "alc_state_delete", namespace="d", key="k"))["existed"] is False
    assert ok(await call(c, "alc_state_show", namespace="d", key="k.bak"))["value"] == "v"


async def test_state_set_from_mcp_is_what_a_strategy_reads(c: Client) -> None:
    ok(await call(c, "alc_state_set", namespace="shared", key="k", value={"n": 7}))
    code = 'return alc.state.show("shared", "k").n'
    assert ok(await call(c, "alc_run", code=code))["result"] == 7


# ---------------------------------------------------------------------- scenarios


async def test_alc_scenario_install_list_show(c: Client, home: Path) -> None:
    source = CONFORMANCE / "algocline-scenarios"
    installed = ok(await call(c, "alc_scenario_install", url=str(source)))["installed"]
    assert installed == ["factual_basic", "math_basic", "reasoning_basic"]
    names = [s["name"] for s in ok(await call(c, "alc_scenario_list"))["scenarios"]]
    assert names == installed
    shown = ok(await call(c, "alc_scenario_show", name="math_basic"))
    assert shown["content"] == (source / "math_basic.lua").read_text()
    error(await call(c, "alc_scenario_show", name="../etc/passwd"), "invalid_input")
    error(await call(c, "alc_scenario_show", name="absent"), "invalid_input")


async def test_alc_scenario_install_from_git_skips_bad_names(c: Client, home: Path) -> None:
    repo = home / "scenarios-git"
    (repo / "scenarios").mkdir(parents=True)
    (repo / "scenarios" / "tiny.lua").write_text(_INLINE)
    (repo / "scenarios" / "bad name.lua").write_text(_INLINE)
    git("init", "-q", cwd=repo)
    git("add", ".", cwd=repo)
    git("commit", "-qm", "s", cwd=repo)
    reply = ok(await call(c, "alc_scenario_install", url=f"file://{repo}"))
    assert reply["installed"] == ["tiny"] and len(reply["skipped"]) == 1
    assert not (home / "alc" / "bad name.lua").exists()
    error(await call(c, "alc_scenario_install", url=str(home / "absent")), "install_failed")


# ---------------------------------------------------------------------- eval


async def _finish_eval(c: Client, **args: Any) -> dict[str, Any]:
    """Drive an alc_eval to completion, answering every case with its right answer."""
    answers = {"1+1?": "2", "2+2?": "4"}
    for _ in range(10):
        reply = ok(await call(c, "alc_eval", **args))
        if reply["status"] == "complete":
            return reply
        pending = reply["pending"]
        answer = next(v for k, v in answers.items() if k in pending["prompt"])
        done = ok(await call(c, "alc_continue", session_id=pending["session_id"], response=answer))
        assert done["status"] == "completed"
    raise AssertionError("the eval did not complete")


async def test_alc_eval_with_an_inline_scenario(c: Client) -> None:
    result = await _finish_eval(c, strategy="direct", scenario=_INLINE)
    assert result["strategies"]["direct"]["pass_rate"] == 1.0
    assert result["eval_id"] == result["run_id"]
    error(await call(c, "alc_eval", strategy="direct"), "invalid_input")
    both = await call(c, "alc_eval", strategy="direct", scenario=_INLINE, scenario_name="x")
    error(both, "invalid_input")


async def test_alc_eval_by_scenario_name_and_file(c: Client, home: Path) -> None:
    ok(await call(c, "alc_scenario_install", url=str(home / "scenarios-git")))
    by_name = await _finish_eval(c, strategy="direct", scenario_name="tiny", strategy_opts={"k": 1})
    assert by_name["n"] == 2
    path = home / "alc" / "scenarios" / "tiny.lua"
    first = ok(await call(c, "alc_eval", strategy="direct", scenario_file=str(path)))
    assert first["status"] in ("needs_response", "complete")
    error(await call(c, "alc_eval", strategy="direct", scenario_name="absent"), "invalid_input")


async def test_alc_eval_history_filters_by_strategy(c: Client) -> None:
    await _finish_eval(c, strategy="direct", scenario=_INLINE)
    runs = ok(await call(c, "alc_eval_history", strategy="direct", limit=5))["runs"]
    assert runs and all("direct" in r["strategies"] for r in runs)
    assert ok(await call(c, "alc_eval_history", strategy="nothing"))["runs"] == []


async def test_alc_eval_detail(c: Client) -> None:
    run = await _finish_eval(c, strategy="direct", scenario=_INLINE)
    detail = ok(await call(c, "alc_eval_detail", eval_id=run["run_id"]))
    assert detail["eval_id"] == run["run_id"]
    assert {row["case_id"] for row in detail["cases"]} == {"one", "two"}
    error(await call(c, "alc_eval_detail", eval_id="ev-nope"), "invalid_input")


async def test_alc_eval_compare_reports_welch_beside_the_paired_tests(c: Client) -> None:
    a = await _finish_eval(c, strategy="direct", scenario=_INLINE)
    b = await _finish_eval(c, strategy="direct", scenario=_INLINE, strategy_opts={"v": 2})
    assert a["run_id"] != b["run_id"]
    reply = ok(await call(c, "alc_eval_compare", eval_id_a=a["run_id"], eval_id_b=b["run_id"]))
    (comparison,) = reply["comparisons"].values()
    assert comparison["n"] == 2 and "p_mcnemar" in comparison
    welch = comparison["welch"]
    assert welch["n_a"] == welch["n_b"] == 2 and welch["delta"] == 0.0
    assert welch["p_value"] is None  # both sides scored 1.0 twice: no variance, no test
    error(await call(c, "alc_eval_compare"), "invalid_input")
