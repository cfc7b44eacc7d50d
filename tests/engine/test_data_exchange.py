"""The engine side of algocline's data tools, attacked directly: the scenario library's names and
files, card collections with links and junk, sink URIs, traces without numbers, and alc.state
administration under a tenant."""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path

import pytest

import alc
from alc.engine.card_exchange import backfill_sink, install_cards
from alc.engine.card_sinks import configured_sinks, sink_folder
from alc.engine.card_traces import trace_diff, trace_query
from alc.engine.errors import CardNotFound, InstallFailed, InvalidInput
from alc.engine.scenario_library import ScenarioLibrary
from alc.engine.state_admin import StateAdmin
from alc.engine.tenancy import tenant_scope

# ---------------------------------------------------------------------- scenario library


@pytest.mark.parametrize(
    "name", ["../x", "a/b", "..", "", ".hidden", "a.b", "x" * 300, "nul\x00", "sp ace"]
)
def test_a_scenario_name_never_leaves_the_library(tmp_path: Path, name: str) -> None:
    library = ScenarioLibrary(tmp_path / "lib")
    with pytest.raises(InvalidInput):
        library.show(name)


def test_install_skips_links_and_bad_names_and_writes_only_in_the_root(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "good.jsonl").write_text('{"input": "q", "expected": "a"}\n')
    (tmp_path / "secret.lua").write_text("return {}")
    os.symlink(tmp_path / "secret.lua", source / "linked.lua")
    (source / "..dots.lua").write_text("return {}")
    (source / "notes.txt").write_text("not a scenario")
    library = ScenarioLibrary(tmp_path / "lib")
    report = library.install(str(source))
    assert report["installed"] == ["good"]
    assert len(report["skipped"]) == 2
    assert sorted(p.name for p in (tmp_path / "lib").iterdir()) == ["good.jsonl"]


def test_a_new_format_replaces_the_old_file_of_the_same_name(tmp_path: Path) -> None:
    library = ScenarioLibrary(tmp_path / "lib")
    first, second = tmp_path / "s.lua", tmp_path / "s.jsonl"
    first.write_text("return {}")
    second.write_text('{"input": "q"}\n')
    library.install(str(first))
    library.install(str(second))
    assert [s["format"] for s in library.list()["scenarios"]] == ["jsonl"]


def test_install_of_nothing_usable_fails(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(InstallFailed):
        ScenarioLibrary(tmp_path / "lib").install(str(tmp_path / "empty"))
    assert not (tmp_path / "lib").exists()


def test_a_listing_ignores_foreign_files(tmp_path: Path) -> None:
    root = tmp_path / "lib"
    root.mkdir()
    (root / "ok.toml").write_text("")
    (root / "bad name.lua").write_text("")
    (root / "x.txt").write_text("")
    os.symlink(tmp_path, root / "dir.lua")
    assert [s["name"] for s in ScenarioLibrary(root).list()["scenarios"]] == ["ok"]


# ---------------------------------------------------------------------- card collections


def _collection(tree: Path) -> Path:
    (tree / "p").mkdir(parents=True)
    (tree / "alc_cards.toml").write_text("")
    return tree / "p"


def _card(folder: Path, card_id: str, **extra: object) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{card_id}.json"
    path.write_text(json.dumps({"card_id": card_id, "pkg": {"name": "p"}, **extra}))
    return path


def test_a_collection_ignores_junk_and_links(engine: alc.Engine, tmp_path: Path) -> None:
    folder = _collection(tmp_path / "c")
    _card(folder, "p_one")
    (folder / "broken.json").write_text("{not json")
    (folder / "list.json").write_text("[1, 2]")
    (folder / "deep.json").write_text("[" * 100_000)
    (folder / "bad.toml").write_text("= nope")
    outside = _card(tmp_path / "outside", "p_outside")
    os.symlink(outside, folder / "p_outside.json")
    os.symlink(tmp_path / "outside", tmp_path / "c" / "linked_pkg")
    report = install_cards(engine.cards, str(tmp_path / "c"))
    assert report["installed_cards"] == ["p_one"] and report["skipped_cards"] == []


def test_a_card_id_the_store_refuses_is_an_error_naming_it(
    engine: alc.Engine, tmp_path: Path
) -> None:
    folder = _collection(tmp_path / "d")
    (folder / "x.json").write_text(json.dumps({"card_id": "../x", "pkg": {"name": "p"}}))
    with pytest.raises(InvalidInput, match="card_id"):
        install_cards(engine.cards, str(tmp_path / "d"))


def test_malformed_samples_are_an_install_error(engine: alc.Engine, tmp_path: Path) -> None:
    folder = _collection(tmp_path / "c")
    _card(folder, "p_s")
    (folder / "p_s.samples.jsonl").write_text("{bad\n")
    with pytest.raises(InstallFailed):
        install_cards(engine.cards, str(tmp_path / "c"))


@pytest.mark.parametrize(
    "uri",
    ["s3://b/x", "file://host/x", "file://localhost/x", "file://", "http://x", "/p", "file:rel"],
)
def test_only_local_file_sinks_are_accepted(uri: str) -> None:
    with pytest.raises(InvalidInput):
        sink_folder(uri)


def test_sinks_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALC_CARD_SINKS", " file:///a , x | |file:///b")
    assert configured_sinks() == ["file:///a , x", "file:///b"]
    assert sink_folder("file:///a%20b/c") == Path("/a b/c")
    monkeypatch.delenv("ALC_CARD_SINKS")
    assert configured_sinks() == []


def _sink(monkeypatch: pytest.MonkeyPatch, folder: Path) -> str:
    uri = f"file://{folder}"
    monkeypatch.setenv("ALC_CARD_SINKS", uri)
    return uri


def test_backfill_never_overwrites(
    engine: alc.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine.cards.create({"pkg": {"name": "p"}, "card_id": "p_1", "stats": {"n": 1}})
    existing = tmp_path / "sink" / "other_pkg" / "p_1.toml"
    existing.parent.mkdir(parents=True)
    existing.write_text("mine")
    report = backfill_sink(engine.cards, _sink(monkeypatch, tmp_path / "sink"))
    assert report["skipped"] == ["p_1"] and existing.read_text() == "mine"


def test_backfill_needs_a_configured_sink(engine: alc.Engine, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="unknown sink"):
        backfill_sink(engine.cards, f"file://{tmp_path}")


def test_cards_round_trip_through_a_sink_and_back(
    engine: alc.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = {"pkg": {"name": "p"}, "card_id": "p_rt", "params": {"n": 3, "tags": ["a", 1]}}
    engine.cards.create(body)
    engine.cards.write_samples("p_rt", [{"case": "x", "passed": True}])
    backfill_sink(engine.cards, _sink(monkeypatch, tmp_path / "sink"))
    (tmp_path / "sink" / "alc_cards.toml").write_text("")
    other = alc.Engine()
    report = install_cards(other.cards, str(tmp_path / "sink"))
    assert report["installed_cards"] == ["p_rt"] and report["samples"] == 1
    assert other.cards.get("p_rt") == engine.cards.get("p_rt")


# ---------------------------------------------------------------------- traces


def test_traces_with_odd_values_are_filtered_not_crashed_on(engine: alc.Engine) -> None:
    engine.cards.create({"pkg": {"name": "t"}, "card_id": "t_1"})
    rows = [
        {"trace": {"total_calls": "many", "total_trace_ms": 1}},
        {"trace": {"total_calls": 0, "total_trace_ms": True}},
        {"trace": {"total_calls": 3}},
        {"trace": {"total_calls": -1}},
        {"trace": "not an object"},
        7,
    ]
    engine.cards.write_samples("t_1", rows)
    found = trace_query(engine.cards, {"pkg": "t"})
    assert [r["sample_index"] for r in found["rows"]] == [1, 2]
    assert found["rows"][0]["trace"] == {
        "total_calls": 0,
        "total_trace_ms": 0.0,
        "completed": False,
    }
    assert trace_query(engine.cards, {"min_calls": 1})["total"] == 1
    assert trace_query(engine.cards, {"offset": 1, "limit": 5})["rows"][0]["sample_index"] == 2
    diff = trace_diff(engine.cards, "t_1", "t_1", 1, 2)
    assert diff["delta"]["calls_delta"] == 3 and diff["delta"]["ms_per_call_delta"] == 0.0
    for index in (0, 4, 5, 6):
        with pytest.raises(InvalidInput):
            trace_diff(engine.cards, "t_1", "t_1", 1, index)
    with pytest.raises(CardNotFound):
        trace_diff(engine.cards, "nope", "t_1")


# ---------------------------------------------------------------------- state


def test_a_tenant_reaches_only_its_own_namespaces(engine: alc.Engine) -> None:
    admin = StateAdmin(engine.store)
    admin.set("ns", "k", "public")
    with tenant_scope("t1"):
        assert admin.list("ns")["keys"] == []
        admin.set("ns", "k", "t1's")
        assert admin.show("ns", "k")["value"] == "t1's"
    with tenant_scope("t2"), pytest.raises(InvalidInput):
        admin.show("ns", "k")
    assert admin.show("ns", "k")["value"] == "public"
    assert engine.store.state_get("ns", "k", tenant="t1") == '"t1\'s"'


@pytest.mark.parametrize("value", [float("nan"), 2**70, {"a": {1, 2}}])
def test_a_value_that_is_not_json_is_refused(engine: alc.Engine, value: object) -> None:
    with pytest.raises(InvalidInput):
        StateAdmin(engine.store).set("ns", "k", value)


def test_reset_of_a_value_without_data_is_refused_and_untouched(engine: alc.Engine) -> None:
    admin = StateAdmin(engine.store)
    admin.set("ns", "k", [1, 2])
    with pytest.raises(InvalidInput, match="shape"):
        admin.reset("ns", "k", ["a"], [])
    assert admin.show("ns", "k")["value"] == [1, 2]


def test_a_card_whose_file_name_is_too_long_fails_alone(
    engine: alc.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine.cards.create({"pkg": {"name": "p"}, "card_id": "p_" + "x" * 250})
    engine.cards.create({"pkg": {"name": "p"}, "card_id": "p_short"})
    report = backfill_sink(engine.cards, _sink(monkeypatch, tmp_path / "sink"))
    assert report["pushed"] == ["p_short"]
    ((failed_id, why),) = report["failed"]
    assert failed_id.startswith("p_xxx") and "Cannot write" in why


def test_a_sink_that_is_a_file_fails_every_card(
    engine: alc.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine.cards.create({"pkg": {"name": "p"}, "card_id": "p_1"})
    (tmp_path / "sink").write_text("a file")
    report = backfill_sink(engine.cards, _sink(monkeypatch, tmp_path / "sink"))
    assert [f[0] for f in report["failed"]] == ["p_1"] and report["pushed"] == []


def test_welch_reports_as_algocline_does() -> None:
    from alc.eval._stats import welch

    out = welch([0.1, 0.2, 0.15, 0.12], [0.9, 0.8, 0.95, 0.85])
    assert out["winner"] == "b" and out["significant"] is True
    assert out["t_stat"] > 0 and 0 < out["p_value"] < 0.05 and out["df"] > 0
    flat = welch([1.0, 1.0], [1.0, 1.0])
    assert flat["p_value"] is None and flat["winner"] == "none" and flat["delta"] == 0.0
    short = welch([1.0], [])
    assert short["mean_b"] is None and short["delta"] is None and short["t_stat"] is None


def test_state_admin_and_card_files_on_every_store(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same operations on SQLite and PostgreSQL (the store's own tests cover the rest)."""
    engine = alc.Engine(store=store_url)
    admin = StateAdmin(engine.store)
    admin.set("ns", "k", {"data": {"completed_steps": ["a"], "x": 1}})
    with tenant_scope("t"):
        admin.set("ns", "k", "t's")
    assert admin.reset("ns", "k", ["a"], ["x"])["steps_removed"] == 1
    assert admin.list("ns")["keys"] == ["k"]
    assert admin.show("ns", "k.bak")["value"]["data"]["x"] == 1
    assert admin.delete("ns", "k") == {"ok": True, "existed": True}
    engine.cards.create({"pkg": {"name": "p"}, "card_id": "p_pg"})
    report = backfill_sink(engine.cards, _sink(monkeypatch, tmp_path / "sink"))
    assert report["pushed"] == ["p_pg"]


def test_every_card_write_is_mirrored_to_the_sinks(
    engine: alc.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _sink(monkeypatch, tmp_path / "sink")
    monkeypatch.setenv("ALC_CARD_SINKS", f"s3://nope|file://{tmp_path / 'sink'}")
    engine.cards.create({"pkg": {"name": "p"}, "card_id": "p_live", "stats": {"n": 1}})
    path = tmp_path / "sink" / "p" / "p_live.toml"
    assert tomllib.loads(path.read_text())["stats"] == {"n": 1}
    engine.cards.append("p_live", {"review": "ok"})
    assert tomllib.loads(path.read_text())["review"] == "ok"
    engine.cards.write_samples("p_live", [{"case": 1}])
    assert (tmp_path / "sink" / "p" / "p_live.samples.jsonl").read_text() == '{"case": 1}\n'


def test_a_sink_that_cannot_be_written_never_fails_the_store(
    engine: alc.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "sink").write_text("a file, not a folder")
    _sink(monkeypatch, tmp_path / "sink")
    engine.cards.create({"pkg": {"name": "p"}, "card_id": "p_safe"})
    engine.cards.write_samples("p_safe", [1])
    assert engine.cards.get("p_safe") is not None


def test_a_strategys_cards_reach_the_sinks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _sink(monkeypatch, tmp_path / "sink")
    code = (
        'alc.card.create({pkg = {name = "s"}, card_id = "s_lua"}) '
        'alc.card.write_samples("s_lua", {{ok = true}}) return 1'
    )
    out = alc.Engine().start(code=code)
    assert isinstance(out, alc.Completed), out
    assert (tmp_path / "sink" / "s" / "s_lua.samples.jsonl").is_file()
