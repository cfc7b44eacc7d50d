"""algocline's package, hub and setting tools through a real ``alc mcp --profile algocline``
subprocess with the SDK client, called with algocline's argument shapes, over copies of the
algocline package collection (read only; copied into temporary folders)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from _algocline_client import AlgoclineServer
from _mcp_helpers import error, ok

pytestmark = pytest.mark.slow

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "algocline-packages"
PICKED = ("alc_shapes", "bisect", "ambig", "aot")


def _collection(where: Path) -> Path:
    where.mkdir(parents=True)
    for name in PICKED:
        shutil.copytree(CORPUS / name, where / name)
    return where


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AlgoclineServer]:
    root = tmp_path_factory.mktemp("algocline_pkg")
    (root / "home").mkdir()
    (root / "home" / "alc.toml").write_text('[setting.judge]\nmodel = "g"\ntemperature = 0.5\n')
    env = {"ALC_EXECUTOR": "inline", "ALC_SETTING_JUDGE_TEMPERATURE": "0.9"}
    server = AlgoclineServer(root, env=env)
    try:
        yield server
    finally:
        server.close()


def _package(folder: Path, name: str, answer: str = "alc.llm(ctx.task)") -> Path:
    folder.mkdir(parents=True)
    (folder / "init.lua").write_text(
        f'local M = {{}}\nM.meta = {{name = "{name}", version = "1.0.0", description = "t"}}\n'
        f"function M.run(ctx) return {{answer = {answer}}} end\nreturn M\n"
    )
    return folder


# ---------------------------------------------------------------------- hub


def test_alc_hub_reindex_writes_the_index_inside_the_source(srv: AlgoclineServer) -> None:
    coll = _collection(srv.root / "reindex")
    reply = ok(srv.call("alc_hub_reindex", source_dir=str(coll)))
    assert reply["package_count"] == 4 and reply["errors"] == []
    index = json.loads((coll / "hub_index.json").read_text())
    rows = {r["name"]: r for r in index["packages"]}
    assert rows["bisect"]["type"] == "runnable" and rows["alc_shapes"]["type"] == "library"
    assert rows["aot"]["category"] and rows["aot"]["version"]
    outside = srv.call("alc_hub_reindex", source_dir=str(coll), output_path="../x.json")
    error(outside, "invalid_input")
    assert not (srv.root / "x.json").exists()
    error(srv.call("alc_hub_reindex", source_dir=str(srv.root / "nope")), "invalid_input")


def test_alc_hub_gendoc_writes_narratives_and_llms_files(srv: AlgoclineServer) -> None:
    coll = _collection(srv.root / "gendoc")
    ok(srv.call("alc_hub_reindex", source_dir=str(coll)))
    reply = ok(srv.call("alc_hub_gendoc", source_dir=str(coll), out_dir="site"))
    assert "narrative/bisect.md" in reply["files"] and "llms-full.txt" in reply["files"]
    assert "bisect" in (coll / "site" / "llms.txt").read_text()
    assert (coll / "site" / "narrative" / "aot.md").read_text().startswith("# aot")
    error(srv.call("alc_hub_gendoc", source_dir=str(coll), out_dir="/tmp"), "invalid_input")
    error(srv.call("alc_hub_gendoc", source_dir=str(srv.root)), "invalid_input")  # no index


def test_alc_hub_dist_reindexes_then_generates(srv: AlgoclineServer) -> None:
    coll = _collection(srv.root / "dist")
    reply = ok(srv.call("alc_hub_dist", source_dir=str(coll), projections=["llms"]))
    assert reply["reindex"]["package_count"] == 4
    assert reply["gendoc"]["files"] == ["llms-full.txt", "llms.txt"]
    assert (coll / "docs" / "llms.txt").is_file() and not (coll / "docs" / "narrative").exists()
    error(srv.call("alc_hub_dist", source_dir=str(coll), projections=["pdf"]), "invalid_input")


def test_alc_hub_search_covers_installed_and_local_indices(srv: AlgoclineServer) -> None:
    coll = _collection(srv.root / "search")
    ok(srv.call("alc_hub_reindex", source_dir=str(coll)))
    index = str(coll / "hub_index.json")
    found = ok(srv.call("alc_hub_search", query="bisect", local_indices=[index]))
    assert [r["name"] for r in found["packages"]] == ["bisect"]
    assert found["packages"][0]["installed"] is False
    some = ok(
        srv.call(
            "alc_hub_search",
            local_indices=[str(coll)],
            filter={"installed": False},
            sort="-name",
            limit=2,
        )
    )
    assert [r["name"] for r in some["packages"]] == sorted(PICKED, reverse=True)[:2]
    none = ok(
        srv.call("alc_hub_search", query="bisect", local_indices=[index], installed_only=True)
    )
    assert none["packages"] == []
    error(srv.call("alc_hub_search", local_indices=[str(srv.root / "s.db")]), "invalid_input")


def test_alc_hub_info_describes_one_package(srv: AlgoclineServer) -> None:
    coll = _collection(srv.root / "info")
    ok(srv.call("alc_hub_reindex", source_dir=str(coll)))
    card = 'alc.card.create({pkg = {name = "ambig"}, card_id = "ambig_c1"}) return 1'
    assert ok(srv.call("alc_run", code=card))["status"] == "completed"
    info = ok(srv.call("alc_hub_info", pkg="ambig", local_indices=[str(coll)]))
    assert info["name"] == "ambig" and info["description"] and info["installed"] is False
    assert [c["card_id"] for c in info["cards"]] == ["ambig_c1"] and info["aliases"] == []
    error(srv.call("alc_hub_info", pkg="zz_none", local_indices=[str(coll)]), "package_not_found")
    error(srv.call("alc_hub_info", pkg="../etc"), "invalid_input")


# ---------------------------------------------------------------------- pkg


def test_alc_pkg_install_then_list_with_algoclines_selection(srv: AlgoclineServer) -> None:
    coll = _collection(srv.root / "inst")
    reply = ok(srv.call("alc_pkg_install", url=str(coll)))
    assert {p["name"] for p in reply["installed"]} == set(PICKED)
    listed = ok(srv.call("alc_pkg_list", filter={"scope": "user", "type": "runnable"}, sort="name"))
    names = [r["name"] for r in listed["packages"]]
    assert names == sorted(set(PICKED) - {"alc_shapes"})
    assert set(listed["packages"][0]) == {
        "name",
        "version",
        "type",
        "category",
        "description",
        "scope",
        "kind",
    }
    cut = ok(srv.call("alc_pkg_list", fields=["name", "type"], limit=1, filter={"scope": "user"}))
    assert cut["packages"] == [{"name": "alc_shapes", "type": "library"}]
    full = ok(srv.call("alc_pkg_list", verbose="full", filter={"name": "aot"}))
    assert full["packages"][0]["path"].endswith("aot")
    error(srv.call("alc_pkg_install", url=str(coll / "aot"), name="../x"), "invalid_input")
    error(srv.call("alc_pkg_list", verbose="loud"), "invalid_input")
    error(srv.call("alc_pkg_list", filter=3), "invalid_input")
    error(srv.call("alc_pkg_list", limit=-1), "invalid_input")
    error(srv.call("alc_pkg_list", fields="name"), "invalid_input")
    error(srv.call("alc_pkg_list", project_root=str(srv.root / "s.db")), "invalid_input")


def test_alc_pkg_install_force_is_the_shadowing_override(srv: AlgoclineServer) -> None:
    builtin = ok(srv.call("alc_pkg_list", filter={"scope": "builtin"}, limit=1))["packages"][0]
    src = _package(srv.root / "shadow" / builtin["name"], builtin["name"])
    error(srv.call("alc_pkg_install", url=str(src)), "invalid_input")
    reply = ok(srv.call("alc_pkg_install", url=str(src), force=True))
    assert reply["shadows"] == [builtin["name"]]
    ok(srv.call("alc_pkg_remove", name=builtin["name"], scope="global"))


def test_alc_pkg_link_global_and_variant(srv: AlgoclineServer) -> None:
    src = _package(srv.root / "work" / "lnk_pkg", "lnk_pkg")
    linked = ok(srv.call("alc_pkg_link", path=str(src)))
    assert linked["scope"] == "user" and Path(linked["path"]).is_symlink()
    project = srv.root / "variant_proj"
    project.mkdir()
    ok(srv.call("alc_init", project_root=str(project)))
    variant = ok(
        srv.call(
            "alc_pkg_link",
            path=str(src),
            name="lnk_var",
            scope="variant",
            project_root=str(project),
        )
    )
    assert variant["file"] == str(project / "alc.local.toml")
    assert "[packages]" in (project / "alc.local.toml").read_text()
    ok(srv.call("alc_update", project_root=str(project)))
    assert (project / ".alc" / "packages" / "lnk_var" / "init.lua").is_file()
    other = _package(srv.root / "work" / "other", "other")
    error(srv.call("alc_pkg_link", path=str(other), name="lnk_pkg"), "install_failed")  # taken
    relinked = ok(srv.call("alc_pkg_link", path=str(other), name="lnk_pkg", force=True))
    assert relinked["target"] == str(other.resolve())
    error(srv.call("alc_pkg_link", path=str(src), name="a/b"), "invalid_input")
    error(srv.call("alc_pkg_link", path=str(srv.root)), "install_failed")  # no init.lua
    ok(srv.call("alc_pkg_unlink", name="lnk_pkg"))


def test_alc_pkg_unlink_removes_only_the_link(srv: AlgoclineServer) -> None:
    src = _package(srv.root / "work2" / "unl_pkg", "unl_pkg")
    ok(srv.call("alc_pkg_link", path=str(src)))
    reply = ok(srv.call("alc_pkg_unlink", name="unl_pkg"))
    assert reply["unlinked"] == "unl_pkg" and (src / "init.lua").is_file()
    error(srv.call("alc_pkg_unlink", name="unl_pkg"), "package_not_found")
    error(srv.call("alc_pkg_unlink", name=".."), "invalid_input")


def _project(srv: AlgoclineServer, name: str) -> Path:
    """An algocline-format project: ``[packages.x] path = ...`` in alc.toml."""
    project = srv.root / name
    _package(project / "vendor" / "pa", "pa", '"from pa: " .. alc.llm(ctx.task)')
    (project / "alc.toml").write_text('[packages.pa]\npath = "vendor/pa"\n')
    return project


def test_alc_pkg_remove_drops_the_manifest_entry_keeps_the_source(srv: AlgoclineServer) -> None:
    project = _project(srv, "rm_proj")
    ok(srv.call("alc_update", project_root=str(project)))
    reply = ok(srv.call("alc_pkg_remove", name="pa", project_root=str(project), scope="project"))
    assert reply["results"][0]["manifests"] == ["alc.toml"]
    assert "pa" not in (project / "alc.toml").read_text()
    assert (project / "vendor" / "pa" / "init.lua").is_file()  # the source stays
    assert not (project / ".alc" / "packages" / "pa").exists()
    again = srv.call("alc_pkg_remove", name="pa", project_root=str(project), scope="project")
    error(again, "package_not_found")
    error(srv.call("alc_pkg_remove", name="pa", scope="nowhere"), "invalid_input")
    error(srv.call("alc_pkg_remove", name="x/../../y"), "invalid_input")


def test_alc_pkg_repair_reinstalls_missing_entries(srv: AlgoclineServer) -> None:
    project = _project(srv, "repair_proj")
    ok(srv.call("alc_update", project_root=str(project)))
    installed = project / ".alc" / "packages" / "pa"
    shutil.rmtree(installed)
    reply = ok(srv.call("alc_pkg_repair", project_root=str(project)))
    assert reply["repaired"] == ["pa"] and (installed / "init.lua").is_file()
    assert ok(srv.call("alc_pkg_repair", project_root=str(project)))["repaired"] == []
    error(srv.call("alc_pkg_repair", name="zz", project_root=str(project)), "package_not_found")


def test_alc_pkg_doctor_sorts_findings_into_algoclines_buckets(srv: AlgoclineServer) -> None:
    project = _project(srv, "doc_proj")
    (project / "alc.toml").write_text(
        (project / "alc.toml").read_text() + '[packages.gone]\npath = "vendor/gone"\n'
    )
    reply = ok(srv.call("alc_pkg_doctor", project_root=str(project)))
    buckets = reply["buckets"]
    assert {
        "healthy",
        "incomplete_pkg",
        "installed_missing",
        "symlink_dangling",
        "path_missing",
        "missing_meta",
        "missing_hub_index",
        "spec_missing",
        "stale_cache",
    } <= set(buckets)
    assert "gone" in buckets["path_missing"] and "pa" in buckets["installed_missing"]
    one = ok(srv.call("alc_pkg_doctor", name="gone", project_root=str(project)))
    assert all(names in ([], ["gone"]) for names in one["buckets"].values())


def test_alc_pkg_test_runs_package_file_and_inline_specs(srv: AlgoclineServer) -> None:
    coll = _collection(srv.root / "spec")
    paths = [str(coll)]
    by_pkg = ok(srv.call("alc_pkg_test", pkg="bisect", search_paths=paths))
    assert by_pkg["ok"] and by_pkg["passed"] == 1
    spec = coll / "ambig" / "spec" / "ambig_spec.lua"
    by_file = ok(srv.call("alc_pkg_test", code_file=str(spec), search_paths=paths))
    assert by_file["ok"], by_file
    head = "local describe, it, expect = lust.describe, lust.it, lust.expect\n"
    inline = (
        head + 'describe("x", function() it("adds", function() expect(1 + 1).to.equal(2) end) end)'
    )
    assert ok(srv.call("alc_pkg_test", code=inline))["passed"] == 1
    bad = head + 'describe("x", function() it("fails", function() expect(1).to.equal(2) end) end)'
    assert ok(srv.call("alc_pkg_test", code=bad))["ok"] is False
    none = ok(srv.call("alc_pkg_test", pkg="bisect", search_paths=paths, filter="nomatch"))
    assert none["files"] == [] and none["ok"] is False
    error(srv.call("alc_pkg_test", pkg="bisect", code=inline), "invalid_input")
    error(srv.call("alc_pkg_test"), "invalid_input")


def test_alc_pkg_scaffold_writes_meta_and_a_passing_spec(srv: AlgoclineServer) -> None:
    target = srv.root / "scaf"
    target.mkdir()
    reply = ok(
        srv.call(
            "alc_pkg_scaffold",
            name="new_pkg",
            target_dir=str(target),
            category="planning",
            description='says "hi"',
        )
    )
    init = (target / "new_pkg" / "init.lua").read_text()
    assert 'category = "planning"' in init and 'description = "says \\"hi\\""' in init
    assert "spec/new_pkg_spec.lua" in "\n".join(reply["files"])
    tested = ok(srv.call("alc_pkg_test", code_file=str(target / "new_pkg/spec/new_pkg_spec.lua")))
    assert tested["ok"], tested
    error(srv.call("alc_pkg_scaffold", name="new_pkg", target_dir=str(target)), "install_failed")
    error(srv.call("alc_pkg_scaffold", name="../evil", target_dir=str(target)), "invalid_input")
    bad = srv.call("alc_pkg_scaffold", name="x2", target_dir=str(target), description="a\nb")
    error(bad, "invalid_input")


# ---------------------------------------------------------------------- settings


def test_alc_setting_resolve_layers_env_project_global(srv: AlgoclineServer) -> None:
    project = srv.root / "set_proj"
    project.mkdir()
    (project / "alc.toml").write_text('[packages]\n[setting.judge]\nmodel = "p"\nrounds = 3\n')
    reply = ok(srv.call("alc_setting_resolve", target="judge", project_root=str(project)))
    assert reply["resolved"] == {"model": "p", "rounds": 3, "temperature": 0.9}
    assert reply["sources"] == {"model": "project", "rounds": "project", "temperature": "env"}
    bare = ok(srv.call("alc_setting_resolve", target="judge"))
    assert bare["sources"]["model"] == "global"
    assert ok(srv.call("alc_setting_resolve", target="other"))["resolved"] == {}
    error(srv.call("alc_setting_resolve", target="a.b"), "invalid_input")


# ---------------------------------------------------------------------- an algocline project


def test_an_algocline_project_resolves_and_runs_a_strategy(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    _package(project / "vendor" / "pa", "pa", '"from pa: " .. alc.llm(ctx.task)')
    _package(tmp_path / "mine" / "pb", "pb", '"variant pb: " .. alc.llm(ctx.task)')
    (project / "alc.toml").write_text('[packages.pa]\npath = "vendor/pa"\n')
    (project / "alc.local.toml").write_text(f'[packages.pb]\npath = "{tmp_path / "mine" / "pb"}"\n')
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    server = AlgoclineServer(
        elsewhere, env={"ALC_EXECUTOR": "inline", "ALC_PROJECT_ROOT": str(project)}
    )
    try:
        ok(server.call("alc_update"))
        for name, said in (("pa", "from pa: "), ("pb", "variant pb: ")):
            started = ok(server.call("alc_advice", strategy=name, task="2+2?"))
            assert started["status"] == "needs_response"
            done = ok(server.call("alc_continue", session_id=started["session_id"], response="4"))
            assert done["result"] == {"answer": said + "4"}
        listed = ok(server.call("alc_pkg_list", filter={"scope": "project"}))
        assert {r["name"] for r in listed["packages"]} == {"pa", "pb"}
    finally:
        server.close()


def test_the_whole_collection_indexes_as_79_strategies_and_17_libraries(
    srv: AlgoclineServer,
) -> None:
    coll = srv.root / "whole"
    shutil.copytree(CORPUS, coll)
    reply = ok(srv.call("alc_hub_dist", source_dir=str(coll)))
    assert reply["reindex"]["package_count"] == 96 and reply["reindex"]["errors"] == []
    assert len(reply["gendoc"]["files"]) == 96 + 2
    index = json.loads((coll / "hub_index.json").read_text())["packages"]
    kinds = [r["type"] for r in index]
    assert (kinds.count("runnable"), kinds.count("library")) == (79, 17)
    listed = ok(srv.call("alc_pkg_list", fields=["name"]))
    shared = {r["name"] for r in listed["packages"]} & {r["name"] for r in index}
    fresh = ok(
        srv.call("alc_hub_search", local_indices=[str(coll)], filter={"installed": False}, limit=1)
    )
    assert fresh["count"] == 96 - len(shared) and len(fresh["packages"]) == 1
    reasoning = ok(srv.call("alc_hub_search", query="tree", local_indices=[str(coll)], limit=3))
    assert 0 < len(reasoning["packages"]) <= 3
