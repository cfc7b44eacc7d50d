"""``alc pkg`` end to end: the real command in subprocesses, over an isolated ALC_HOME.

The corpus test installs algocline's published collection (96 packages) as a collection, checks
that ``alc strategies`` lists every one and drives one of them (``s2a``, not a built-in) to the
end through ``alc run`` / ``alc continue``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pkg_helpers import CORPUS, commit_all, git, write_package


def test_install_list_test_remove_through_the_cli(alc: Any, tmp_path: Path) -> None:
    src = write_package(tmp_path / "src", "alpha", "1.2")
    done = alc("pkg", "install", str(src))
    assert done.code == 0, done.stderr
    assert [r["name"] for r in done.json["installed"]] == ["alpha"]
    listed = alc("pkg", "list").json
    assert [(p["name"], p["version"], p["scope"]) for p in listed["packages"]] == [
        ("alpha", "1.2", "user")
    ]
    assert alc("pkg", "doctor").code == 0
    assert alc("pkg", "remove", "alpha").json["removed"] == "alpha"
    gone = alc("pkg", "remove", "alpha")
    assert gone.code == 2 and gone.json["error_code"] == "package_not_found"
    assert "Traceback" not in gone.stderr


def test_errors_exit_2_with_a_coded_json_error(alc: Any, tmp_path: Path) -> None:
    bad = alc("pkg", "install", str(tmp_path / "nowhere"))
    assert bad.code == 2 and bad.json["error_code"] == "install_failed"
    assert "Traceback" not in bad.stderr and "alc: error [install_failed]" in bad.stderr
    bad_git = alc("pkg", "install", (tmp_path / "none.git").as_uri())
    assert bad_git.code == 2 and "git could not clone" in bad_git.json["error"]
    no_project = alc("pkg", "install")
    assert no_project.code == 2 and "alc.toml" in no_project.json["error"]


def test_scaffold_link_and_test(alc: Any) -> None:
    made = alc("pkg", "scaffold", "fresh")
    assert made.code == 0 and made.json["files"] == ["fresh/init.lua", "fresh/spec/fresh_spec.lua"]
    tested = alc("pkg", "test", "./fresh")
    assert tested.code == 0 and tested.json["ok"] is True
    assert alc("pkg", "link", "fresh").json["linked"] == "fresh"
    assert alc("pkg", "test", "fresh", "--answer", "42").json["files"][0]["passed"] == 5
    shown = alc("strategies", "fresh").json
    assert shown["name"] == "fresh" and shown["version"] == "0.1.0"
    # a failing spec makes `alc pkg test` exit 1
    spec = alc.work / "fresh" / "spec" / "fresh_spec.lua"
    spec.write_text(spec.read_text().replace('to.equal("4")', 'to.equal("5")'))
    failed = alc("pkg", "test", "fresh")
    assert failed.code == 1 and failed.json["ok"] is False
    (failure,) = failed.json["files"][0]["failures"]
    assert "works with a stub alc" in failure["name"] and "to be equal" in failure["error"]
    assert alc("pkg", "unlink", "fresh").json["unlinked"] == "fresh"


def test_project_install_from_alc_toml_and_info(alc: Any, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    write_package(repo, "gamma")
    commit = commit_all(repo, "gamma")
    (alc.work / "alc.toml").write_text(
        f'[packages]\nset = {{ source = "{repo.as_uri()}", collection = true }}\n'
    )
    sub = alc.work / "deeper" / "still"
    sub.mkdir(parents=True)
    done = alc("pkg", "install", cwd=sub)  # alc.toml is found in an ancestor
    assert done.code == 0, done.stderr
    assert done.json["installed"][0]["commit"] == commit
    assert "commit = " in (alc.work / "alc.lock").read_text()
    info = alc("info", cwd=sub).json
    assert info["project"] == str(alc.work)
    assert [r["scope"] for r in info["package_roots"]][:3] == ["project", "user", "builtin"]
    doctor = alc("pkg", "doctor", cwd=sub)
    assert doctor.code == 0 and doctor.json["healthy"] is True


@pytest.mark.slow
@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"conformance corpus not at {CORPUS}")
def test_the_published_collection_installs_lists_and_runs(alc: Any) -> None:
    refused = alc("pkg", "install", str(CORPUS))  # it would shadow built-ins: not silently
    assert refused.code == 2 and refused.json["error_code"] == "invalid_input", refused.stderr
    assert all(n in refused.json["error"] for n in ("cot", "sc", "panel", "override"))
    assert alc("pkg", "list").json["packages"] == []  # nothing was installed
    done = alc("pkg", "install", str(CORPUS), "--override")
    assert done.code == 0, done.stderr
    assert {"cot", "sc", "panel"} <= set(done.json["shadows"])
    names = sorted(r["name"] for r in done.json["installed"])
    expected = sorted(p.name for p in CORPUS.iterdir() if (p / "init.lua").is_file())
    assert len(names) == 96 and names == expected
    strategies = alc("strategies").json["strategies"]
    listed = {s["name"]: s for s in strategies}
    assert set(expected) <= set(listed)
    # every package's metadata reads, except the one library that has no M.meta at all
    assert {n for n in expected if listed[n].get("error")} <= {"alc_shapes"}
    assert listed["s2a"]["path"].startswith(str(Path(done.json["root"])))
    reply = alc("run", "s2a", "--task", "What is 2+2?").json
    steps = 0
    while reply["status"] == "needs_response" and steps < 10:
        reply = alc("continue", reply["session_id"], "The answer is 4.").json
        steps += 1
    assert reply["status"] == "completed", reply
    assert reply["result"]["answer"] == "The answer is 4."
    doctor = alc("pkg", "doctor").json
    assert doctor["healthy"] is True
    shadowed = sorted(i["name"] for i in doctor["issues"] if i["kind"] == "shadowed")
    assert "sc" in shadowed and "cot" in shadowed  # collection packages shadow the built-ins
