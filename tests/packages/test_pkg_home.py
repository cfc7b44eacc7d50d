"""Issue 23 item 6: the suite never reads or writes the user's home.

An autouse fixture (``tests/conftest.py``) gives every test an empty ``ALC_HOME`` of its own;
subprocesses inherit it. The slow test proves it end to end: a fake ``HOME`` whose ``~/.alc``
holds algocline's collection installed over the built-ins (what broke ``test_inprocess.py`` in
issue 23) changes no result of the MCP and package tests run inside it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pkg_helpers import CORPUS

from alc.engine.packages import alc_home, user_root

REPO = Path(__file__).resolve().parents[2]


def test_every_test_has_an_empty_alc_home_of_its_own(isolated_alc_home: Path) -> None:
    home = Path(os.environ["ALC_HOME"])
    assert home == isolated_alc_home == alc_home() and user_root() == home / "packages"
    assert not home.is_relative_to(Path.home() / ".alc") and list(home.iterdir()) == []
    assert "ALC_PACKAGES_PATH" not in os.environ and "ALC_STORE" not in os.environ
    info = subprocess.run(
        [sys.executable, "-m", "alc", "info"], capture_output=True, text=True, check=True
    )
    assert json.loads(info.stdout)["alc_home"] == str(home)  # inherited by subprocesses


@pytest.fixture(scope="module")
def module_home() -> str | None:
    """What a module-scoped fixture (built before any test's own fixtures) sees."""
    return os.environ.get("ALC_HOME")


def test_module_fixtures_are_isolated_too(module_home: str | None, session_alc_home: Path) -> None:
    assert module_home == str(session_alc_home)
    assert not Path(module_home).is_relative_to(Path.home() / ".alc")


def test_two_tests_never_share_a_home(isolated_alc_home: Path) -> None:
    (isolated_alc_home / "marker").write_text("mine")
    assert sorted(p.name for p in isolated_alc_home.iterdir()) == ["marker"]


@pytest.mark.slow
@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"conformance corpus not at {CORPUS}")
def test_a_populated_user_home_changes_no_test_result(tmp_path: Path) -> None:
    fake = tmp_path / "fake-home"
    fake.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALC_")}
    env.update(HOME=str(fake), PYTHONPATH=str(REPO), ALC_TRACEBACK="0")

    def alc(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "alc", *args], capture_output=True, text=True, env=env
        )

    installed = alc("pkg", "install", str(CORPUS), "--override")  # into ~/.alc of the fake HOME
    assert installed.returncode == 0, installed.stderr
    rows = {r["name"]: r for r in json.loads(alc("strategies").stdout)["strategies"]}
    assert rows["cot"]["scope"] == "user"  # the fake home really shadows the built-ins
    assert rows["cot"]["path"].startswith(str(fake / ".alc" / "packages"))
    tests = ["tests/mcp/test_inprocess.py", "tests/packages/test_pkg_install.py"]
    options = ["-q", "-p", "no:cacheprovider", "-m", "not slow"]
    inner = subprocess.run(
        [sys.executable, "-m", "pytest", *options, *tests],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=900,
    )
    assert inner.returncode == 0, inner.stdout[-3000:]
    assert sorted(p.name for p in (fake / ".alc").iterdir()) == ["packages"]  # nothing written
