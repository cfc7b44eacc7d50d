"""Issue 24 (high): installs read only regular files, each bounded in size, so a package can never
make an install (or ``doctor``, ``list``) read without end or block forever.

Real special files: a link to ``/dev/zero``, a FIFO and a link to one, in a folder and committed
to a git repository installed by its ``file://`` URL (real ``git``); a sparse file over the cap.
Each install is ``install_failed`` naming the file, and leaves the root empty."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from pkg_helpers import commit_all, git, write_package

from alc.engine.errors import InstallFailed
from alc.engine.pkg import MAX_FILE_BYTES, PackageManager

pytestmark = pytest.mark.timeout(120)  # a regression hangs: fail it instead

DEV_ZERO = Path("/dev/zero")


def special(package: Path, kind: str) -> str:
    """Put a special ``helper.lua`` (or ``big.lua``) into ``package``; returns its file name.
    What a link points to lies outside the source tree (two folders up)."""
    outside = package.parent.parent
    if kind == "dev_zero":
        (package / "helper.lua").symlink_to(DEV_ZERO)
    elif kind == "fifo":
        os.mkfifo(package / "helper.lua")
    elif kind == "fifo_link":
        os.mkfifo(outside / "pipe")
        (package / "helper.lua").symlink_to(outside / "pipe")
    elif kind == "outside_link":
        (outside / "outside.lua").write_text("return 1")
        (package / "helper.lua").symlink_to(outside / "outside.lua")
    else:
        with open(package / "big.lua", "wb") as handle:  # sparse: no disk used
            handle.truncate(MAX_FILE_BYTES + 1)
        return "big.lua"
    return "helper.lua"


KINDS = ["dev_zero", "fifo", "fifo_link", "outside_link", "too_large"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_folder_with_a_special_file_is_refused(
    manager: PackageManager, tmp_path: Path, home: Path, kind: str
) -> None:
    package = write_package(tmp_path / "src", "alpha")
    name = special(package, kind)
    with pytest.raises(InstallFailed) as caught:
        manager.install(str(package))
    assert caught.value.error_code == "install_failed" and name in caught.value.message
    assert not (home / "packages" / "alpha").exists()


@pytest.mark.parametrize("kind", ["dev_zero", "fifo_link", "outside_link"])
def test_a_collection_with_a_special_file_is_refused(
    manager: PackageManager, tmp_path: Path, home: Path, kind: str
) -> None:
    write_package(tmp_path / "coll", "fine")
    name = special(write_package(tmp_path / "coll", "alpha"), kind)
    with pytest.raises(InstallFailed, match=name):
        manager.install(str(tmp_path / "coll"))
    assert not (home / "packages" / "fine").exists()


@pytest.mark.parametrize("kind", ["dev_zero", "outside_link", "too_large"])
def test_a_git_repo_with_a_committed_special_file_is_refused(
    manager: PackageManager, repo: Path, home: Path, kind: str
) -> None:
    write_package(repo.parent, repo.name)
    name = special(repo, kind)
    commit_all(repo, "a special file")
    assert git(repo, "ls-files", name) == name  # really committed (a link is stored as a link)
    with pytest.raises(InstallFailed) as caught:
        manager.install(repo.as_uri(), name="greet")
    assert name in caught.value.message
    assert not (home / "packages" / "greet").exists()


def test_the_cli_reports_a_dev_zero_link_as_install_failed(alc: Any, tmp_path: Path) -> None:
    package = write_package(tmp_path / "src", "alpha")
    special(package, "dev_zero")
    done = alc("pkg", "install", str(package))
    assert done.code == 2 and done.json["error_code"] == "install_failed"
    assert "helper.lua" in done.json["error"] and "regular file" in done.json["error"]


def test_list_and_doctor_never_block_on_a_planted_special_file(
    manager: PackageManager, home: Path
) -> None:
    """A package put into the root by hand (not by alc) with special files in it."""
    package = write_package(home / "packages", "planted")
    special(package, "fifo")
    (package / "more.lua").symlink_to(DEV_ZERO)
    (package / "init.lua").unlink()
    (package / "init.lua").symlink_to(DEV_ZERO)  # not a regular file: not a package at all
    second = write_package(home / "packages", "second")
    (second / "zero.lua").symlink_to(DEV_ZERO)
    listed = manager.list_packages()["packages"]
    assert [p["name"] for p in listed] == ["second"]
    report = manager.doctor()
    broken = [i for i in report["issues"] if i["name"] == "second"]
    assert broken and "zero.lua cannot be read" in broken[0]["detail"]


def test_a_large_regular_file_under_the_cap_installs(
    manager: PackageManager, tmp_path: Path, home: Path
) -> None:
    package = write_package(tmp_path / "src", "alpha")
    (package / "data.lua").write_text("return '" + "x" * (1024 * 1024) + "'\n")
    (package / "same.lua").symlink_to("data.lua")  # a link inside the package is fine
    assert manager.install(str(package))["installed"][0]["name"] == "alpha"
    assert (home / "packages" / "alpha" / "same.lua").is_symlink()
