"""Issue 23 item 7: no silent shadowing of a built-in strategy, and ``alc strategies`` tells
runnable strategies from libraries and where each comes from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pkg_helpers import write_package

import alc
from alc.engine.errors import InvalidInput
from alc.engine.pkg import PackageManager, builtin_names


def library(folder: Path, name: str) -> Path:
    """A package without ``M.run`` (modules other packages require)."""
    pkg = folder / name
    pkg.mkdir(parents=True)
    (pkg / "init.lua").write_text(
        f"local M = {{ meta = {{ name = '{name}', description = 'helpers' }} }}\n"
        "function M.double(x) return 2 * x end\nreturn M\n"
    )
    return pkg


def test_the_builtin_names_are_every_top_level_module() -> None:
    names = builtin_names()
    assert {"cot", "sc", "panel", "direct", "evalframe", "_shared"} <= names


def test_installing_over_a_builtin_is_refused_without_override(
    manager: PackageManager, tmp_path: Path, home: Path
) -> None:
    write_package(tmp_path / "coll", "cot")
    write_package(tmp_path / "coll", "panel")
    write_package(tmp_path / "coll", "mine")
    with pytest.raises(InvalidInput) as caught:
        manager.install(str(tmp_path / "coll"))
    assert caught.value.error_code == "invalid_input"
    assert "cot, panel" in caught.value.message and "mine" not in caught.value.message
    assert not (home / "packages").exists() or not any((home / "packages").iterdir())
    with pytest.raises(InvalidInput, match=r"\(sc\)"):
        manager.install(str(write_package(tmp_path / "one", "sc")))
    with pytest.raises(InvalidInput, match=r"\(direct\)"):
        manager.install(str(tmp_path / "coll" / "mine"), name="direct")
    with pytest.raises(InvalidInput, match=r"\(sc\)"):
        manager.link(str(tmp_path / "one" / "sc"))
    assert manager.list_packages()["packages"] == []

    reply = manager.install(str(tmp_path / "coll"), override=True)
    assert reply["shadows"] == ["cot", "panel"]
    assert alc.Engine(tmp_path / "s.db").describe("cot").scope == "user"


def test_override_is_recorded_in_alc_toml_and_reused(tmp_path: Path, home: Path) -> None:
    (tmp_path / "work" / "alc.toml").write_text("[packages]\n")
    src = write_package(tmp_path / "src", "sc")
    with pytest.raises(InvalidInput):
        PackageManager().install(str(src), scope="project")
    PackageManager().install(str(src), scope="project", override=True)
    assert "override = true" in (tmp_path / "work" / "alc.toml").read_text()
    reply = PackageManager().install()  # alc.toml's entry carries the override
    assert reply["shadows"] == ["sc"]
    (tmp_path / "work" / "alc.toml").write_text('[packages]\nsc = "../src/sc"\n')
    with pytest.raises(InvalidInput, match=r"alc\.toml entry 'sc'"):
        PackageManager().install()


def test_the_catalogue_separates_strategies_from_libraries(
    manager: PackageManager, tmp_path: Path, home: Path
) -> None:
    manager.install(str(write_package(tmp_path / "src", "mine")))
    manager.install(str(library(tmp_path / "src", "helpers")))
    listed = {s.name: s for s in alc.Engine(tmp_path / "s.db").strategies()}
    assert (listed["mine"].kind, listed["mine"].scope) == ("strategy", "user")
    assert (listed["helpers"].kind, listed["helpers"].scope) == ("library", "user")
    assert (listed["cot"].kind, listed["cot"].scope) == ("strategy", "builtin")
    assert listed["helpers"].error is None and listed["helpers"].description == "helpers"
    wire = listed["helpers"].wire()
    assert wire["kind"] == "library" and wire["scope"] == "user"


def test_the_cli_refuses_and_lists_with_kind_and_origin(alc: Any, tmp_path: Path) -> None:
    write_package(tmp_path / "coll", "cot")
    library(tmp_path / "coll", "helpers")
    refused = alc("pkg", "install", str(tmp_path / "coll"))
    assert refused.code == 2 and refused.json["error_code"] == "invalid_input"
    assert "(cot)" in refused.json["error"]
    done = alc("pkg", "install", str(tmp_path / "coll"), "--override")
    assert done.code == 0 and done.json["shadows"] == ["cot"]
    rows = {s["name"]: s for s in alc("strategies").json["strategies"]}
    assert (rows["cot"]["scope"], rows["cot"]["kind"]) == ("user", "strategy")
    assert (rows["helpers"]["scope"], rows["helpers"]["kind"]) == ("user", "library")
    assert (rows["sc"]["scope"], rows["sc"]["kind"]) == ("builtin", "strategy")
    text = alc("strategies", "--pretty").stdout
    assert "libraries" in text and text.index("helpers") > text.index("libraries")
