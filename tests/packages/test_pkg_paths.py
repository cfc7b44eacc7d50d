"""Issue 24 (critical): no package operation writes or removes anything outside a package root.

Every name (``remove``, ``unlink``, ``link --name``, ``install --name``, ``scaffold``) goes
through one validator; each attack is tried through the real CLI, the Python API and the
in-process MCP server, and must be a coded ``invalid_input`` while a sentinel folder (and a
sentinel link) outside the root survive untouched."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pkg_helpers import attacks, make_sentinel, untouched, write_package

from alc.engine.errors import InvalidInput, PackageNotFound
from alc.engine.pkg import PackageManager
from alc.engine.pkg._guard import MAX_NAME_CHARS, package_folder, package_name

BAD_NAMES = [
    "..",
    ".",
    "",
    "../sentinel",
    "../../sentinel",
    "a/b",
    "a\\b",
    "bad.name",
    "-rf",
    " x",
    "x" * (MAX_NAME_CHARS + 1),
    "x" * 5000,
    "a\x00b",
    "é",
]


@pytest.fixture
def sentinel(tmp_path: Path) -> Path:
    return make_sentinel(tmp_path)


@pytest.mark.parametrize("name", BAD_NAMES)
def test_the_one_validator_refuses_every_non_name(name: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        package_name(name)
    assert caught.value.error_code == "invalid_input"
    assert len(caught.value.message) < 400  # a 5000-character name is not echoed whole


def test_valid_names_pass_and_stay_inside_the_root(tmp_path: Path) -> None:
    for name in ("a", "_x", "sc", "ab-c_9", "x" * MAX_NAME_CHARS):
        assert package_name(name) == name
        assert package_folder(tmp_path, name) == tmp_path / name
    with pytest.raises(InvalidInput):
        package_folder(tmp_path, "../x")


def test_the_api_refuses_paths_everywhere(
    manager: PackageManager, sentinel: Path, tmp_path: Path, home: Path
) -> None:
    src = write_package(tmp_path / "src", "alpha")
    manager.install(str(src))  # the root exists and holds a package
    for name in attacks(sentinel) + BAD_NAMES:
        calls: list[tuple[Any, ...]] = [
            (manager.remove, name),
            (manager.unlink, name),
            (manager.scaffold, name),
            (lambda n: manager.remove(n, scope="user"), name),
            (lambda n: manager.link(str(src), name=n), name),
            (lambda n: manager.install(str(src), name=n), name),
            (manager.run, "remove", {"name": name}),
            (manager.run, "unlink", {"name": name, "scope": "user"}),
        ]
        for call, *args in calls:
            with pytest.raises(InvalidInput):
                call(*args)
    assert untouched(sentinel)
    assert sorted(p.name for p in (home / "packages").iterdir()) == ["alpha"]
    assert not (tmp_path / "work" / "..").joinpath("sentinel", "init.lua").exists()


def test_the_cli_refuses_paths_with_a_coded_error(alc: Any, sentinel: Path, tmp_path: Path) -> None:
    src = write_package(tmp_path / "src", "alpha")
    assert alc("pkg", "install", str(src)).code == 0
    commands = [
        ("pkg", "remove", "{}"),
        ("pkg", "unlink", "{}"),
        ("pkg", "link", str(src), "--name", "{}"),
        ("pkg", "install", str(src), "--name", "{}"),
        ("pkg", "scaffold", "{}"),
    ]
    for name in [*attacks(sentinel), "..", "x" * 300]:
        for command in commands:
            done = alc(*(a.replace("{}", name) for a in command))
            assert done.code == 2, (command, name, done.stderr)
            assert done.json["error_code"] == "invalid_input", done.json
            assert "Traceback" not in done.stderr
    assert untouched(sentinel)
    assert alc("pkg", "list").json["packages"][0]["name"] == "alpha"


def test_a_link_in_the_root_is_removed_never_followed(
    manager: PackageManager, sentinel: Path, home: Path
) -> None:
    write_package(sentinel, "work")
    manager.link(str(sentinel / "work"))
    assert manager.unlink("work")["unlinked"] == "work"
    assert (sentinel / "work" / "init.lua").is_file() and untouched(sentinel)


def test_lock_writes_never_follow_a_planted_link(
    manager: PackageManager, tmp_path: Path, home: Path
) -> None:
    """``alc.lock`` (and its temporary file) are replaced, never written through a link."""
    victim = tmp_path / "victim.txt"
    victim.write_text("# keep\n")  # valid TOML: it is read, then must not be written
    project = tmp_path / "work"
    (project / "alc.toml").write_text("[packages]\n")
    (project / "alc.lock").symlink_to(victim)
    (project / ".alc.lock.tmp").symlink_to(victim)  # the old fixed temporary name
    src = write_package(tmp_path / "src", "alpha")
    PackageManager().install(str(src), scope="project")
    assert victim.read_text() == "# keep\n"
    lock = project / "alc.lock"
    assert not lock.is_symlink() and "[packages.alpha]" in lock.read_text()


def test_unusable_paths_urls_and_refs_are_invalid_input(
    manager: PackageManager, tmp_path: Path
) -> None:
    """NUL characters, over-long paths and link loops, in every path-like argument."""
    (tmp_path / "loop1").symlink_to(tmp_path / "loop2")
    (tmp_path / "loop2").symlink_to(tmp_path / "loop1")
    loop = str(tmp_path / "loop1")
    for bad in ("x" * 5000, "a/" + "x" * 300, "a\x00b"):
        for action, arguments in (
            ("install", {"source": bad}),
            ("install", {"source": "file:///" + bad}),
            ("install", {"source": "file:///srv/r.git", "ref": bad}),
            ("link", {"path": bad}),
            ("scaffold", {"name": "ok", "directory": bad}),
            ("test", {"target": bad}),
        ):
            with pytest.raises(InvalidInput):
                manager.run(action, arguments)
    for action, arguments in (
        ("link", {"path": loop}),
        ("scaffold", {"name": "ok", "directory": loop}),
    ):
        with pytest.raises(InvalidInput, match="cannot be resolved"):
            manager.run(action, arguments)
    with pytest.raises(PackageNotFound):  # a loop is no folder: a coded not-found
        manager.run("test", {"target": loop})
