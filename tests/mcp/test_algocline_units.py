"""Units behind algocline's session tools: the pending_filter parser, log truncation, the
project-file conversions and the alc_shapes type generator (the stdio tests cover the tools)."""

from __future__ import annotations

from pathlib import Path

import pytest

import alc
from alc._session_log import PendingFilter, add_note, pending_filter, session_log
from alc.engine.errors import InstallFailed, InvalidInput, SessionNotFound
from alc.engine.packages import PackageResolver
from alc.engine.pkg.project_init import init_project, migrate_project
from alc.engine.pkg.types_gen import shapes_types
from alc.engine.protocol import Query


def test_pending_filter_presets_and_projection() -> None:
    query = Query(id="q-3", prompt="héllo wörld", system="s", max_tokens=5)
    assert pending_filter(None) is None
    meta = pending_filter("meta")
    assert meta is not None and meta.project(query) == {"query_id": "q-3", "max_tokens": 5}
    custom = pending_filter({"grounded": True, "prompt": {"mode": "preview", "chars": 2}})
    assert custom == PendingFilter(grounded=True, prompt="preview", chars=2)
    assert custom.project(query) == {"grounded": False, "prompt_preview": "hé"}


def test_pending_filter_preview_length_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ALC_PROMPT_PREVIEW_CHARS", "4")
    preview = pending_filter("preview")
    assert preview is not None and preview.chars == 4


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "FULL",
        [],
        1.5,
        {"prompt": "full"},
        {"prompt": {"mode": "preview", "chars": -1}},
        {"prompt": {"mode": "preview", "chars": True}},
        {"max_tokens": 1},
        {"unknown": True},
    ],
)
def test_pending_filter_refuses_bad_shapes(bad: object) -> None:
    with pytest.raises(InvalidInput):
        pending_filter(bad)


def test_log_truncation_keeps_the_newest_rounds_that_fit() -> None:
    engine = alc.Engine()
    out = engine.start(code="for i = 1, 20 do alc.llm('q' .. i) end return 'done'")
    for _ in range(20):
        out = engine.feed(out.session_id, "x" * 500)
    sid = out.session_id
    full = session_log(engine, sid, 0)
    assert len(full["transcript"]) == 20 and "truncated" not in full
    cut = session_log(engine, sid, 4000)
    kept = cut["returned_rounds"]
    assert cut["truncated"] and 0 < kept < 20
    assert [r["round"] for r in cut["transcript"]] == list(range(21 - kept, 21))
    tiny = session_log(engine, sid, 10)
    assert tiny["transcript"] == [] and tiny["returned_rounds"] == 0
    with pytest.raises(SessionNotFound):
        session_log(engine, "s-" + "5" * 32, None)


def test_notes_are_bounded_and_checked() -> None:
    engine = alc.Engine()
    sid = engine.start(code="return 1").session_id
    with pytest.raises(InvalidInput):
        add_note(engine, sid, "x" * 100_001, None)
    with pytest.raises(InvalidInput):
        add_note(engine, sid, 42, None)  # type: ignore[arg-type]
    assert add_note(engine, sid, "ok", None)["notes_count"] == 1


def test_init_is_idempotent_and_keeps_the_gitignore(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("/alc.local.toml\n")
    made = init_project(tmp_path)
    assert made["created"] and not made["gitignore_updated"]
    assert (tmp_path / ".gitignore").read_text() == "/alc.local.toml\n"
    with pytest.raises(InvalidInput):
        init_project(tmp_path / "missing")


def test_migrate_converts_alcs_own_lock_and_refuses_broken_ones(tmp_path: Path) -> None:
    (tmp_path / "alc.lock").write_text(
        'version = 1\n\n[packages.sc]\nsource = "../sc"\nref = "v1"\nhash = "h"\n'
    )
    done = migrate_project(tmp_path)
    assert done["entries"] == ["sc"] and (tmp_path / "alc.lock.bak").is_file()
    assert 'sc = { source = "../sc", ref = "v1" }' in (tmp_path / "alc.toml").read_text()
    nothing = migrate_project(tmp_path / ".." / tmp_path.name)
    assert nothing["migrated"] is False
    empty = tmp_path / "empty"
    empty.mkdir()
    assert migrate_project(empty)["reason"] == "no alc.lock to convert"
    for broken in ("not toml [", '[[packages]]\nname = "x"\n'):
        (empty / "alc.lock").write_text(broken)
        with pytest.raises(InstallFailed):
            migrate_project(empty)
        assert not (empty / "alc.toml").exists()


def test_shapes_types_without_alc_shapes_is_none(tmp_path: Path) -> None:
    assert shapes_types(PackageResolver([tmp_path])) is None


def test_compatibility_doc_has_one_row_per_algocline_tool() -> None:
    from alc.mcp._algocline import ALGOCLINE_TOOLS

    doc = Path(__file__).resolve().parents[2] / "docs" / "compatibility.md"
    rows = [
        line.split("`")[1]
        for line in doc.read_text(encoding="utf-8").splitlines()
        if line.startswith("| `alc_") and line.split("`")[1] in ALGOCLINE_TOOLS
    ]
    assert rows == list(ALGOCLINE_TOOLS)


_HOSTILE = [None, 5, -1, True, 1.5, 10**400, "", "x", [], {}, "\x00", "a" * 5000, "../../etc"]
_ARGUMENTS = {
    "alc_note": ("session_id", "content", "title"),
    "alc_log_view": ("session_id", "limit", "max_chars"),
    "alc_stats": ("strategy", "days"),
    "alc_session_new": ("project_root", "mode"),
    "alc_init": ("project_root",),
    "alc_update": ("project_root",),
    "alc_migrate": ("project_root",),
    "alc_pool_status": ("sid",),
    "alc_pool_stop": ("sid",),
    "alc_v2_run": ("code", "ctx", "project_root"),
    "alc_v2_state": ("session_id",),
    "alc_v2_resume": ("session_id", "payload"),
    "alc_v2_cancel": ("session_id", "reason"),
    "alc_status": ("session_id", "pending_filter"),
}


@pytest.mark.anyio
async def test_hostile_arguments_get_coded_errors_never_internal_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mcp import Client

    monkeypatch.chdir(tmp_path)  # the project tools fall back to the cwd
    monkeypatch.setenv("ALC_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ALC_PROJECT_ROOT", raising=False)

    from alc.mcp._server import AlcMCP

    app = AlcMCP(alc.AsyncEngine(tmp_path / "s.db"), profile="algocline")
    async with Client(app.server) as client:
        for tool, names in _ARGUMENTS.items():
            for name in names:
                for value in _HOSTILE:
                    reply = await client.call_tool(tool, {name: value})
                    wire = reply.structured_content or {}
                    assert wire.get("error_code") != "internal_error", (tool, name, value, wire)
                    assert not reply.is_error or wire.get("error_code"), (tool, name, value)


@pytest.mark.anyio
async def test_the_default_profile_gains_no_prompts_or_templates(tmp_path: Path) -> None:
    from mcp import Client

    from alc.mcp._server import AlcMCP

    app = AlcMCP(alc.AsyncEngine(tmp_path / "s.db"))
    async with Client(app.server) as client:
        assert (await client.list_prompts()).prompts == []
        templates = (await client.list_resource_templates()).resource_templates
        assert [t.uri_template for t in templates] == ["alc://strategies/{name}"]
        assert len((await client.list_tools()).tools) == 13
