"""Git sources (real repositories, file:// URLs, refs and commits pinned), the project scope
(alc.toml, alc.lock) and the documented resolution order."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from pkg_helpers import commit_all, git, write_package

import alc
from alc.engine.errors import InstallFailed
from alc.engine.pkg import PackageManager


def write_root_package(repo: Path, name: str, version: str) -> None:
    """A single-package repository: ``init.lua`` at the repository's root."""
    (repo / "init.lua").write_text(
        f"return {{ meta = {{ name = '{name}', version = '{version}' }},\n"
        f"  run = function(ctx) return '{version}' end }}\n"
    )


@pytest.fixture
def versions(repo: Path) -> dict[str, str]:
    """greet: v1 (tagged v1), v2 on main (HEAD), v3 on branch dev. Returns the commits."""
    write_root_package(repo, "greet", "1")
    one = commit_all(repo, "v1")
    git(repo, "tag", "v1")
    git(repo, "checkout", "-q", "-b", "dev")
    write_root_package(repo, "greet", "3")
    three = commit_all(repo, "v3")
    git(repo, "checkout", "-q", "main")
    write_root_package(repo, "greet", "2")
    two = commit_all(repo, "v2")
    return {"1": one, "2": two, "3": three}


def url(repo: Path) -> str:
    return repo.as_uri()  # file:///...


def installed(manager: PackageManager, name: str) -> dict[str, object]:
    rows = [p for p in PackageManager().list_packages()["packages"] if p["name"] == name]
    assert len(rows) == 1, rows
    return rows[0]


def test_clone_the_default_branch(
    manager: PackageManager, repo: Path, versions: dict[str, str]
) -> None:
    reply = manager.install(url(repo))
    (row,) = reply["installed"]
    assert row["name"] == "greet" and row["version"] == "2" and row["kind"] == "git"
    assert row["commit"] == versions["2"] and row["source"] == url(repo)
    out = alc.Engine().start(strategy="greet", ctx={})
    assert isinstance(out, alc.Completed) and out.result == "2"


@pytest.mark.parametrize(("ref", "version"), [("v1", "1"), ("dev", "3"), ("commit-1", "1")])
def test_a_ref_pins_a_tag_a_branch_or_a_commit(
    manager: PackageManager, repo: Path, versions: dict[str, str], ref: str, version: str
) -> None:
    wanted = versions["1"] if ref == "commit-1" else ref
    (row,) = manager.install(url(repo), ref=wanted)["installed"]
    assert row["version"] == version and row["commit"] == versions[version]
    assert row["ref"] == wanted


def test_a_bad_ref_or_url_installs_nothing(
    manager: PackageManager, repo: Path, versions: dict[str, str], home: Path, tmp_path: Path
) -> None:
    with pytest.raises(InstallFailed, match="git could not check out 'nope'"):
        manager.install(url(repo), ref="nope")
    with pytest.raises(InstallFailed, match="git could not clone"):
        manager.install((tmp_path / "missing.git").as_uri())
    assert not (home / "packages").exists()  # not even the root it would have made


def test_a_git_collection(manager: PackageManager, tmp_path: Path) -> None:
    repo = tmp_path / "coll"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    write_package(repo, "alpha")
    write_package(repo, "beta")
    commit = commit_all(repo, "two packages")
    reply = manager.install("git+" + url(repo))
    assert sorted(r["name"] for r in reply["installed"]) == ["alpha", "beta"]
    assert {r["commit"] for r in reply["installed"]} == {commit}


def test_project_install_writes_alc_toml_and_alc_lock(
    home: Path, repo: Path, versions: dict[str, str]
) -> None:
    manager = PackageManager()
    reply = manager.install(url(repo), ref="v1", scope="project")
    project = Path.cwd()
    assert reply["scope"] == "project" and reply["root"] == str(project / ".alc" / "packages")
    listed = tomllib.loads((project / "alc.toml").read_text())["packages"]
    assert listed == {"greet": {"source": url(repo), "ref": "v1"}}
    lock = tomllib.loads((project / "alc.lock").read_text())["packages"]["greet"]
    assert lock["commit"] == versions["1"] and lock["ref"] == "v1" and lock["packages"] == ["greet"]
    assert alc.Engine().info()["package_roots"][0] == {
        "path": str(project / ".alc" / "packages"),
        "scope": "project",
    }


def test_the_lock_pins_until_update(home: Path, repo: Path, versions: dict[str, str]) -> None:
    Path("alc.toml").write_text(f'[packages]\ngreet = {{ source = "{url(repo)}", ref = "main" }}\n')
    PackageManager().install()
    assert installed(PackageManager(), "greet")["commit"] == versions["2"]
    write_root_package(repo, "greet", "4")
    four = commit_all(repo, "v4")
    PackageManager().install()  # the lock still says v2
    row = installed(PackageManager(), "greet")
    assert row["commit"] == versions["2"] and row["version"] == "2"
    PackageManager().install(update=True)
    row = installed(PackageManager(), "greet")
    assert row["commit"] == four and row["version"] == "4"
    lock = tomllib.loads(Path("alc.lock").read_text())["packages"]["greet"]
    assert lock["commit"] == four


def test_a_locked_folder_that_changed_is_refused(home: Path, tmp_path: Path) -> None:
    src = write_package(tmp_path / "vendor", "local", "1.0")
    Path("alc.toml").write_text(f'[packages]\nlocal = "{src}"\n')
    PackageManager().install()
    write_package(tmp_path / "vendor", "local", "1.1")
    with pytest.raises(InstallFailed, match=r"changed since alc\.lock pinned it"):
        PackageManager().install()
    assert installed(PackageManager(), "local")["version"] == "1.0"
    PackageManager().install(update=True)
    assert installed(PackageManager(), "local")["version"] == "1.1"


def test_collection_entries_with_only(home: Path, tmp_path: Path) -> None:
    coll = tmp_path / "coll"
    for name in ("alpha", "beta", "gamma"):
        write_package(coll, name)
    Path("alc.toml").write_text(
        f'[packages]\nset = {{ source = "{coll}", collection = true, only = ["alpha", "gamma"] }}\n'
    )
    reply = PackageManager().install()
    assert sorted(r["name"] for r in reply["installed"]) == ["alpha", "gamma"]
    assert PackageManager().doctor()["healthy"] is True
    PackageManager().remove("gamma")
    missing = [i for i in PackageManager().doctor()["issues"] if i["kind"] == "missing"]
    assert [i["name"] for i in missing] == ["set"] and "gamma" in missing[0]["detail"]


def test_bad_alc_toml_is_reported(home: Path) -> None:
    Path("alc.toml").write_text("[packages]\nx = { nope = 1 }\n")
    with pytest.raises(InstallFailed, match="give a source string"):
        PackageManager().install()
    Path("alc.toml").write_text("[packages\n")
    with pytest.raises(InstallFailed, match="cannot be read"):
        PackageManager().install()


def test_no_project_and_no_source(manager: PackageManager) -> None:
    with pytest.raises(InstallFailed, match=r"No alc\.toml"):
        manager.install()


def test_resolution_order_project_user_builtin_path(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_root = tmp_path / "envpath"
    write_package(env_root, "cot", "env")  # ALC_PACKAGES_PATH comes after the built-ins
    write_package(env_root, "envonly", "env")
    monkeypatch.setenv("ALC_PACKAGES_PATH", str(env_root))
    PackageManager().install(str(write_package(tmp_path / "u", "both", "user")))
    Path("alc.toml").write_text("[packages]\n")
    PackageManager().install(str(write_package(tmp_path / "p", "both", "project")), scope="project")
    engine = alc.Engine()
    assert [r["scope"] for r in engine.info()["package_roots"]] == [
        "project",
        "user",
        "builtin",
        "path",
    ]
    out = engine.start(strategy="both", ctx={})
    assert isinstance(out, alc.NeedsResponse)
    assert engine.feed(out.session_id, "x").result == "both@project:x"  # type: ignore[union-attr]
    assert engine.describe("cot").builtin is True
    assert engine.describe("envonly").meta["version"] == "env"
    rows = PackageManager().list_packages()["packages"]
    assert [(r["name"], r["scope"], r["shadowed_by"]) for r in rows if r["name"] == "both"] == [
        ("both", "project", None),
        ("both", "user", "project"),
    ]


def test_git_cannot_be_made_to_run_commands(manager: PackageManager, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    with pytest.raises(InstallFailed, match="git could not clone"):
        manager.install(f"ext::sh -c touch% {marker} .git")
    assert not marker.exists()
    with pytest.raises(InstallFailed, match="not a branch, tag or commit"):
        manager.install((tmp_path / "r.git").as_uri(), ref="--orphan=x")


def test_project_paths_are_relative_to_the_project(home: Path, tmp_path: Path) -> None:
    project = Path.cwd()
    (project / "alc.toml").write_text("[packages]\n")
    src = write_package(project / "vendor", "local", "1.0")
    sub = project / "deep"
    sub.mkdir()
    PackageManager(cwd=sub).install("../vendor/local", scope="project")
    listed = tomllib.loads((project / "alc.toml").read_text())["packages"]
    assert listed == {"local": {"source": "vendor/local"}}
    lock = tomllib.loads((project / "alc.lock").read_text())["packages"]["local"]
    assert lock["source"] == "vendor/local" and lock["hash"].startswith("sha256:")
    write_package(src.parent, "local", "1.1")  # changed after it was locked
    with pytest.raises(InstallFailed, match="changed since"):
        PackageManager(cwd=sub).install()


def test_a_failed_project_install_creates_no_project(home: Path, tmp_path: Path) -> None:
    with pytest.raises(InstallFailed):
        PackageManager().install(str(tmp_path / "nowhere"), scope="project")
    assert not Path("alc.toml").exists() and not Path(".alc").exists()
    PackageManager().install(str(write_package(tmp_path, "ok")), scope="project")
    assert Path("alc.toml").is_file() and Path("alc.lock").is_file()
