"""The package layer's algocline forms, unit by unit: ``[packages.NAME] path = ...`` and
``alc.local.toml`` entries, ``ALC_PROJECT_ROOT``, the hub index and docs (nothing written
outside the folder asked for), setting layers, doctor buckets and the variant link."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest
from pkg_helpers import write_package

from alc.engine.errors import InstallFailed, InvalidInput, PackageNotFound
from alc.engine.packages import find_project
from alc.engine.pkg import PackageManager, hub
from alc.engine.pkg import algocline as alg
from alc.engine.pkg._project import (
    LOCAL_FILE,
    read_lock,
    read_project,
    remove_entry,
    write_lock,
)
from alc.engine.pkg.settings import resolve_setting


def _project(root: Path, toml: str, local: str | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "alc.toml").write_text(toml)
    if local is not None:
        (root / LOCAL_FILE).write_text(local)
    return root


def test_path_entries_and_local_variants_are_read(tmp_path: Path) -> None:
    project = _project(
        tmp_path / "p",
        '[packages.a]\npath = "vendor/a"\n[packages.b]\npath = "vendor/b"\n',
        '[packages.b]\npath = "/elsewhere/b"\n[packages.c]\npath = "c"\n',
    )
    entries = {e.name: e.source for e in read_project(project)}
    assert entries == {"a": "vendor/a", "b": "/elsewhere/b", "c": "c"}


@pytest.mark.parametrize(
    "toml",
    [
        '[packages.a]\npath = "x"\nsource = "y"\n',  # both: path is then an unknown key
        "[packages.a]\npath = 3\n",
        '[packages."../a"]\npath = "x"\n',
        "[packages.a]\nversion = 1\n",
    ],
)
def test_malformed_path_entries_are_refused(tmp_path: Path, toml: str) -> None:
    with pytest.raises(InstallFailed):
        read_project(_project(tmp_path / "p", toml))


def test_a_malformed_local_file_is_refused(tmp_path: Path) -> None:
    project = _project(tmp_path / "p", "[packages]\n", "[packages\n")
    with pytest.raises(InstallFailed, match=LOCAL_FILE):
        read_project(project)


def test_remove_entry_drops_algoclines_table_form(tmp_path: Path) -> None:
    project = _project(
        tmp_path / "p",
        '[packages]\nkeep = "k"\n\n[packages.gone]\npath = "g"\n\n[packages.other]\npath = "o"\n',
    )
    assert remove_entry(project, "gone") is True
    assert {e.name for e in read_project(project)} == {"keep", "other"}
    assert remove_entry(project, "gone") is False


def test_alc_project_root_names_the_project(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _project(tmp_path / "proj", "[packages]\n")
    monkeypatch.setenv("ALC_PROJECT_ROOT", str(project))
    assert find_project() == project.resolve()
    assert PackageManager().project == project.resolve()
    monkeypatch.setenv("ALC_PROJECT_ROOT", str(tmp_path / "missing"))
    assert find_project() is None


def test_reindex_reads_meta_without_running_it(tmp_path: Path) -> None:
    coll = tmp_path / "coll"
    write_package(coll, "runs")
    lib = coll / "lib_only"
    lib.mkdir()
    (lib / "init.lua").write_text(
        '--- A library.\nlocal M = {}\nM.meta = { name = "lib_only", category = "x" }\n'
        'os.execute("touch ' + str(tmp_path / "ran") + '")\nreturn M\n'
    )
    (coll / "not-a-package!").mkdir()
    (coll / "not-a-package!" / "init.lua").write_text("return {}")
    reply = hub.reindex(str(coll))
    rows = {r["name"]: r for r in json.loads((coll / "hub_index.json").read_text())["packages"]}
    assert reply["package_count"] == 2 and set(rows) == {"runs", "lib_only"}
    assert rows["runs"]["type"] == "runnable" and rows["lib_only"]["type"] == "library"
    assert rows["lib_only"]["doc"] == "A library." and rows["lib_only"]["category"] == "x"
    assert not (tmp_path / "ran").exists()


def test_hub_writes_stay_inside_the_source(tmp_path: Path) -> None:
    coll = tmp_path / "coll"
    write_package(coll, "p1")
    outside = tmp_path / "outside"
    outside.mkdir()
    (coll / "escape.json").symlink_to(outside / "hub_index.json")
    with pytest.raises(InvalidInput):
        hub.reindex(str(coll), "escape.json")
    with pytest.raises(InvalidInput):
        hub.reindex(str(coll), str(outside / "i.json"))
    hub.reindex(str(coll))
    (coll / "docs").mkdir()
    (coll / "docs" / "narrative").symlink_to(outside)
    with pytest.raises(InvalidInput):
        hub.gendoc(str(coll))
    assert list(outside.iterdir()) == []


@pytest.mark.parametrize("content", ["not json", "[]", '{"packages": 3}', '{"a": 1}'])
def test_a_bad_index_is_invalid_input(tmp_path: Path, content: str) -> None:
    (tmp_path / "hub_index.json").write_text(content)
    with pytest.raises(InvalidInput):
        hub.load_index(tmp_path)


def test_a_fifo_index_is_refused_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "hub_index.json")
    with pytest.raises(InvalidInput, match="regular file"):
        hub.load_index(tmp_path)


def test_index_entries_with_bad_names_are_dropped(tmp_path: Path) -> None:
    rows = [{"name": "ok_1"}, {"name": "../x"}, {"name": 3}, "str"]
    (tmp_path / "hub_index.json").write_text(json.dumps({"packages": rows}))
    assert [r["name"] for r in hub.load_index(tmp_path)] == ["ok_1"]


def test_setting_layers(home: Path, tmp_path: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "alc.toml").write_text('[setting.t]\na = 1\nb = "g"\nc = true\n')
    project = _project(tmp_path / "p", "[setting.t]\nb = 'p'\n")
    env = {"ALC_SETTING_T_C": "false", "ALC_SETTING_T_D": "plain text", "ALC_SETTING_T_": "x"}
    got = resolve_setting("t", project, env)
    assert got["resolved"] == {"a": 1, "b": "p", "c": False, "d": "plain text"}
    assert got["sources"] == {"a": "global", "b": "project", "c": "env", "d": "env"}
    assert resolve_setting("t", None, {})["sources"] == {
        "a": "global",
        "b": "global",
        "c": "global",
    }
    with pytest.raises(InvalidInput):
        resolve_setting("../t", None, {})
    (project / "alc.toml").write_text("setting = { t = 3 }\n")
    with pytest.raises(InstallFailed):
        resolve_setting("t", project, {})


def test_variant_link_writes_alc_local_toml(home: Path, tmp_path: Path) -> None:
    project = _project(tmp_path / "work", "[packages]\n")
    src = write_package(tmp_path / "src", "var_pkg")
    reply = alg.link(PackageManager(cwd=project), str(src), None, False, "variant")
    assert reply["linked"] == "var_pkg"
    assert {e.name: e.source for e in read_project(project)} == {"var_pkg": str(src)}
    with pytest.raises(InvalidInput):
        alg.link(PackageManager(cwd=project), str(src), "a/b", False, "variant")
    with pytest.raises(InvalidInput):
        alg.link(PackageManager(cwd=project), str(src), None, False, "elsewhere")


def test_remove_and_repair_over_a_path_project(home: Path, tmp_path: Path) -> None:
    project = _project(tmp_path / "work", '[packages.pa]\npath = "vendor/pa"\n')
    write_package(project / "vendor", "pa")
    manager = PackageManager(cwd=project)
    manager.install()
    (project / ".alc" / "packages" / "pa" / "init.lua").unlink()
    assert alg.repair(PackageManager(cwd=project), None)["repaired"] == ["pa"]
    with pytest.raises(PackageNotFound):
        alg.remove(PackageManager(cwd=project), "pa", "9.9", "project")
    done = alg.remove(PackageManager(cwd=project), "pa", "1.0", "project")
    assert done["results"][0]["manifests"] == ["alc.toml"]
    assert (project / "vendor" / "pa" / "init.lua").is_file()


def test_doctor_buckets(home: Path, tmp_path: Path) -> None:
    project = _project(
        tmp_path / "work",
        '[packages.pa]\npath = "vendor/pa"\n[packages.gone]\npath = "vendor/gone"\n',
    )
    write_package(project / "vendor", "pa")
    manager = PackageManager(cwd=project)
    (project / "alc.toml").write_text('[packages.pa]\npath = "vendor/pa"\n')
    manager.install()
    (project / "alc.toml").write_text(
        '[packages.pa]\npath = "vendor/pa"\n[packages.gone]\npath = "vendor/gone"\n'
    )
    locks = read_lock(project)
    write_lock(project, {**locks, "old": replace(locks["pa"], name="old")})
    found = alg.doctor(PackageManager(cwd=project), None)["buckets"]
    assert set(alg.DOCTOR_BUCKETS) <= set(found)
    assert "gone" in found["path_missing"] and "pa" in found["spec_missing"]
    assert "old" in found["stale_cache"]
