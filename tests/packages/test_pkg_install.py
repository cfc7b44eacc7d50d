"""PackageManager on real folders: install (package, collection), atomic failure, upgrade,
remove, link / unlink, list, doctor, scaffold and the action dispatcher."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pkg_helpers import write_package

import alc
from alc.engine.errors import InstallFailed, InvalidInput, PackageNotFound
from alc.engine.packages import PackageResolver
from alc.engine.pkg import PackageManager


def tree(root: Path) -> dict[str, str]:
    """Every file under ``root`` with its content (what "nothing changed" compares)."""
    return {
        p.relative_to(root).as_posix(): p.read_text()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_install_a_folder_package_and_run_it(manager: PackageManager, tmp_path: Path) -> None:
    src = write_package(tmp_path / "src", "greet", "1.0")
    reply = manager.install(str(src))
    assert reply["status"] == "ok" and reply["scope"] == "user"
    (row,) = reply["installed"]
    assert row["name"] == "greet" and row["version"] == "1.0" and row["kind"] == "folder"
    assert row["source"] == str(src) and row["pin"].startswith("sha256:")
    engine = alc.Engine()
    out = engine.start(strategy="greet", ctx={})
    assert isinstance(out, alc.NeedsResponse)
    done = engine.feed(out.session_id, "hi")
    assert isinstance(done, alc.Completed) and done.result == "greet@1.0:hi"


def test_install_a_collection_installs_every_package(
    manager: PackageManager, tmp_path: Path
) -> None:
    coll = tmp_path / "coll"
    for name in ("alpha", "beta", "gamma"):
        write_package(coll, name)
    (coll / "README.md").write_text("not a package")
    (coll / "notes").mkdir()  # a folder without init.lua is not a package
    reply = manager.install(str(coll))
    assert sorted(r["name"] for r in reply["installed"]) == ["alpha", "beta", "gamma"]
    listed = {p["name"] for p in manager.list_packages()["packages"]}
    assert listed == {"alpha", "beta", "gamma"}


def test_a_failed_install_changes_nothing(
    manager: PackageManager, tmp_path: Path, home: Path
) -> None:
    write_package(tmp_path / "v1", "alpha", "1.0")
    manager.install(str(tmp_path / "v1" / "alpha"))
    before = tree(home / "packages")
    coll = tmp_path / "broken"
    write_package(coll, "alpha", "2.0")  # an upgrade that would replace the installed one
    write_package(coll, "beta", "2.0", body="local x = = 1")  # does not compile
    with pytest.raises(InstallFailed) as caught:
        manager.install(str(coll))
    assert caught.value.error_code == "install_failed"
    assert (
        "beta/init.lua" in caught.value.message and "nothing was installed" in caught.value.message
    )
    assert tree(home / "packages") == before
    assert not [p for p in (home / "packages").iterdir() if p.name.startswith(".")]


def test_reinstall_upgrades_in_place(manager: PackageManager, tmp_path: Path) -> None:
    write_package(tmp_path / "v1", "alpha", "1.0")
    write_package(tmp_path / "v2", "alpha", "2.0")
    manager.install(str(tmp_path / "v1" / "alpha"))
    manager.install(str(tmp_path / "v2" / "alpha"))
    (row,) = manager.list_packages()["packages"]
    assert row["version"] == "2.0" and row["source"] == str(tmp_path / "v2" / "alpha")


def test_bad_sources_are_install_failed(manager: PackageManager, tmp_path: Path) -> None:
    with pytest.raises(InstallFailed, match="not a folder or a git URL"):
        manager.install(str(tmp_path / "nowhere"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(InstallFailed, match="holds no package"):
        manager.install(str(tmp_path / "empty"))
    write_package(tmp_path, "ok")
    with pytest.raises(InstallFailed, match="git sources only"):
        manager.install(str(tmp_path / "ok"), ref="main")
    with pytest.raises(InvalidInput, match="not valid"):
        manager.install(str(tmp_path / "ok"), name="bad.name")


def test_remove_and_the_errors_around_it(
    manager: PackageManager, tmp_path: Path, home: Path
) -> None:
    manager.install(str(write_package(tmp_path, "alpha")))
    reply = manager.remove("alpha")
    assert reply["removed"] == "alpha" and reply["scope"] == "user"
    assert not (home / "packages" / "alpha").exists()
    with pytest.raises(PackageNotFound) as caught:
        manager.remove("alpha")
    assert caught.value.error_code == "package_not_found"
    with pytest.raises(PackageNotFound):
        manager.remove("cot")  # a built-in is not removable
    with pytest.raises(PackageNotFound, match="no project scope"):
        manager.remove("alpha", scope="project")
    with pytest.raises(InvalidInput):
        manager.remove("alpha", scope="galaxy")


def test_link_and_unlink_a_working_folder(
    manager: PackageManager, tmp_path: Path, home: Path
) -> None:
    work = write_package(tmp_path / "dev", "mine", "0.1")
    reply = manager.link(str(work))
    assert reply["linked"] == "mine" and reply["target"] == str(work)
    (row,) = manager.list_packages()["packages"]
    assert row["kind"] == "link" and row["source"] == str(work)
    # an edit in the working folder is what the next session loads
    (work / "init.lua").write_text(
        "return {meta = {name = 'mine'}, run = function() return 'edited' end}"
    )
    out = alc.Engine().start(strategy="mine", ctx={})
    assert isinstance(out, alc.Completed) and out.result == "edited"
    with pytest.raises(InstallFailed, match="unlink it"):
        manager.remove("mine")
    with pytest.raises(InstallFailed, match="already installed"):
        manager.link(str(work))
    assert manager.unlink("mine")["unlinked"] == "mine"
    assert (work / "init.lua").is_file()  # the working folder is untouched
    manager.install(str(work))
    with pytest.raises(InstallFailed, match="not a link"):
        manager.unlink("mine")
    with pytest.raises(InstallFailed, match=r"has no init\.lua"):
        manager.link(str(tmp_path))


def test_a_link_cannot_be_escaped_from_inside(manager: PackageManager, tmp_path: Path) -> None:
    work = write_package(tmp_path / "dev", "mine")
    secret = tmp_path / "secret.lua"
    secret.write_text("return 'secret'")
    (work / "leak.lua").symlink_to(secret)  # a link inside the package points outside it
    manager.link(str(work))
    out = alc.Engine().start(code="return require('mine.leak')")
    assert isinstance(out, alc.Failed) and "not found" in out.error


def test_doctor_finds_broken_shadowed_and_missing(
    manager: PackageManager, tmp_path: Path, home: Path
) -> None:
    manager.install(str(write_package(tmp_path / "a", "cot")), override=True)  # shadows cot
    manager.install(str(write_package(tmp_path / "b", "bad")))
    (home / "packages" / "bad" / "helper.lua").write_text("return {")  # broken after install
    gone = write_package(tmp_path / "c", "gone")
    manager.link(str(gone))
    (gone / "init.lua").unlink()
    Path("alc.toml").write_text('[packages]\nwanted = "../nowhere"\n')
    report = PackageManager().doctor()
    assert report["healthy"] is False
    kinds = {(i["kind"], i["name"]) for i in report["issues"]}
    assert ("shadowed", "cot") in kinds
    assert ("broken", "bad") in kinds and ("broken", "gone") in kinds
    assert ("missing", "wanted") in kinds
    by = {(i["kind"], i["name"]): i for i in report["issues"]}
    assert "helper.lua does not compile" in by[("broken", "bad")]["detail"]
    assert by[("broken", "gone")]["action"] == {"action": "unlink", "name": "gone", "scope": "user"}
    assert by[("missing", "wanted")]["action"] == {"action": "install"}
    assert by[("shadowed", "cot")]["severity"] == "warning"
    assert all(i["fix"] for i in report["issues"])


def test_doctor_on_a_clean_setup_is_healthy(manager: PackageManager, tmp_path: Path) -> None:
    manager.install(str(write_package(tmp_path, "fine")))
    report = manager.doctor()
    assert report == {"status": "ok", "healthy": True, "errors": 0, "warnings": 0, "issues": []}


def test_scaffold_makes_a_package_whose_spec_passes(
    manager: PackageManager, tmp_path: Path
) -> None:
    reply = manager.scaffold("mystrat", directory=str(tmp_path))
    assert reply["files"] == ["mystrat/init.lua", "mystrat/spec/mystrat_spec.lua"]
    with pytest.raises(InstallFailed, match="already exists"):
        manager.scaffold("mystrat", directory=str(tmp_path))
    report = manager.test(str(tmp_path / "mystrat"))
    assert report["ok"] is True, report
    (result,) = report["files"]
    assert result["passed"] == 5 and result["failed"] == 0 and result["pauses"] == 1
    manager.link(str(tmp_path / "mystrat"))
    listed = alc.Engine().describe("mystrat")
    assert listed.meta["version"] == "0.1.0" and listed.error is None
    out = alc.Engine().start(strategy="mystrat", ctx={"task": "2+2?"})
    assert isinstance(out, alc.NeedsResponse) and "Task: 2+2?" in out.queries[0].prompt


def test_run_dispatches_actions_and_checks_arguments(
    manager: PackageManager, tmp_path: Path
) -> None:
    src = write_package(tmp_path, "alpha")
    assert manager.run("install", {"source": str(src)})["installed"][0]["name"] == "alpha"
    assert [p["name"] for p in manager.run("list", {})["packages"]] == ["alpha"]
    for action, args, said in [
        ("explode", {}, "Unknown package action"),
        ("remove", {}, "'name' is required"),
        ("install", {"source": 3}, "'source' must be a string"),
        ("list", {"colour": "red"}, "unknown argument 'colour'"),
        ("test", {"answers": [1]}, "list of strings"),
    ]:
        with pytest.raises(InvalidInput, match=said):
            manager.run(action, args)


def test_metadata_file_records_the_source(
    manager: PackageManager, tmp_path: Path, home: Path
) -> None:
    manager.install(str(write_package(tmp_path, "alpha")))
    meta = json.loads((home / "packages" / "alpha" / ".alc-package.json").read_text())
    assert meta["kind"] == "folder" and meta["source"] == str(tmp_path / "alpha")
    assert meta["hash"].startswith("sha256:") and meta["commit"] is None


def test_resolver_sees_user_installs_without_restart(
    manager: PackageManager, tmp_path: Path
) -> None:
    resolver = PackageResolver()
    with pytest.raises(alc.AlcError):
        resolver.strategy("late")
    manager.install(str(write_package(tmp_path, "late")))
    assert resolver.strategy("late").scope == "user"
