"""Issue 24 (medium): a malformed ``alc.toml`` or ``alc.lock`` (wrong types, a list where a table
belongs, deep nesting, a special file) is ``install_failed``, never ``internal_error``; through
the API and the real CLI, and nothing is installed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pkg_helpers import write_package

from alc.engine.errors import InstallFailed
from alc.engine.pkg import PackageManager

DEEP = "x = " + "[" * 5000 + "]" * 5000 + "\n"

BAD_LOCKS = [
    "packages = [1, 2]\n",
    'packages = "alpha"\n',
    "[packages]\nalpha = 3\n",
    '[packages.alpha]\nsource = "src/alpha"\nhash = 3\n',
    '[packages.alpha]\nsource = 1\nhash = "sha256:0"\n',
    '[packages.alpha]\nsource = "src/alpha"\nhash = "sha256:0"\nref = []\n',
    '[packages.alpha]\nsource = "src/alpha"\nhash = "sha256:0"\npackages = "alpha"\n',
    '[packages.alpha]\nsource = "src/alpha"\nhash = "sha256:0"\npackages = ["../x"]\n',
    '[packages."../x"]\nsource = "src/alpha"\nhash = "sha256:0"\n',
    DEEP,
    "[packages\n",
    "\xff\xfe not utf-8",
]

BAD_PROJECTS = [
    "packages = [1]\n",
    "[packages]\nalpha = 3\n",
    "[packages]\nalpha = { source = 1 }\n",
    '[packages]\nalpha = { source = "src/alpha", collection = "yes" }\n',
    '[packages]\nalpha = { source = "src/alpha", override = 1 }\n',
    '[packages]\nalpha = { source = "src/alpha", only = "alpha" }\n',
    '[packages]\n"../x" = "src/alpha"\n',
    '[packages]\n"' + "x" * 300 + '" = "src/alpha"\n',
    DEEP,
]


def project(root: Path, toml: str, lock: str | None = None) -> Path:
    """A project in ``root`` whose alc.toml lists ``src/alpha`` (a real package)."""
    write_package(root / "src", "alpha")
    (root / "alc.toml").write_bytes(toml.encode("utf-8", "surrogateescape"))
    if lock is not None:
        (root / "alc.lock").write_bytes(lock.encode("latin-1", "replace"))
    return root


@pytest.mark.parametrize("lock", BAD_LOCKS, ids=range(len(BAD_LOCKS)))
def test_a_malformed_lock_is_install_failed(home: Path, lock: str) -> None:
    work = project(Path.cwd(), '[packages]\nalpha = "src/alpha"\n', lock)
    with pytest.raises(InstallFailed, match=r"alc\.lock"):
        PackageManager().install()
    with pytest.raises(InstallFailed):  # installing one source into the project reads it too
        PackageManager().install(str(work / "src" / "alpha"), scope="project")
    assert not (work / ".alc" / "packages" / "alpha").exists()


@pytest.mark.parametrize("toml", BAD_PROJECTS, ids=range(len(BAD_PROJECTS)))
def test_a_malformed_project_file_is_install_failed(home: Path, toml: str) -> None:
    work = project(Path.cwd(), toml)
    with pytest.raises(InstallFailed, match=r"alc\.toml"):
        PackageManager().install()
    report = PackageManager().doctor()  # the doctor reports it as an issue with a fix
    assert not report["healthy"] and "alc.toml" in report["issues"][0]["detail"]
    assert not (work / ".alc" / "packages" / "alpha").exists()


def test_a_lock_that_is_a_link_to_dev_zero_is_install_failed(home: Path) -> None:
    work = project(Path.cwd(), '[packages]\nalpha = "src/alpha"\n')
    (work / "alc.lock").symlink_to("/dev/zero")
    with pytest.raises(InstallFailed, match="not a regular file"):
        PackageManager().install()


def test_the_cli_reports_malformed_files_with_a_code(alc: Any) -> None:
    work = project(alc.work, '[packages]\nalpha = "src/alpha"\n', "packages = [1, 2]\n")
    for args in (("pkg", "install"), ("pkg", "remove", "alpha")):
        done = alc(*args, cwd=work)
        assert done.code == 2, (args, done.stdout, done.stderr)
        assert done.json["error_code"] in ("install_failed", "package_not_found"), done.json
        assert "Traceback" not in done.stderr
    doctor = alc("pkg", "doctor", cwd=work)
    assert doctor.code == 1 and "alc.lock" in doctor.json["issues"][0]["detail"]
    (work / "alc.lock").unlink()
    (work / "alc.toml").write_text(DEEP)
    done = alc("pkg", "install", cwd=work)
    assert done.code == 2 and done.json["error_code"] == "install_failed"
    assert "nested too deeply" in done.json["error"]
