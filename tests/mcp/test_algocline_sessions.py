"""algocline's session, status, log, project, pool and v2 tools, prompts, completions and resource
templates, through a real ``alc mcp --profile algocline`` subprocess with the SDK client, called
with algocline's argument shapes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _algocline_client import AlgoclineServer
from _mcp_helpers import error, ok
from mcp_types import PromptReference, ResourceTemplateReference

pytestmark = pytest.mark.slow

CORPUS = str(Path(__file__).resolve().parents[3] / "shared" / "conformance" / "algocline-packages")
PAUSE_TWICE = "local a = alc.llm('first question') return a .. alc.llm('second question')"


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AlgoclineServer]:
    root = tmp_path_factory.mktemp("algocline")
    server = AlgoclineServer(root, env={"ALC_EXECUTOR": "inline", "ALC_PACKAGES_PATH": CORPUS})
    try:
        yield server
    finally:
        server.close()


def _start(srv: AlgoclineServer, code: str = PAUSE_TWICE, **ctx: Any) -> str:
    reply = ok(srv.call("alc_run", code=code, ctx=ctx))
    assert reply["status"] == "needs_response"
    return str(reply["session_id"])


def _finish(srv: AlgoclineServer, sid: str, *answers: str) -> dict[str, Any]:
    reply: dict[str, Any] = {}
    for answer in answers:
        reply = ok(srv.call("alc_continue", session_id=sid, response=answer))
    return reply


# ---------------------------------------------------------------------- shared tools


def test_alc_run_takes_code_file_host_mode_and_project_root(srv: AlgoclineServer) -> None:
    script = srv.root / "s.lua"
    script.write_text("return {got = ctx.x, answer = alc.llm('q?')}")
    reply = ok(
        srv.call(
            "alc_run",
            code_file=str(script),
            ctx={"x": 7},
            host_mode=True,
            project_root=str(srv.root),
        )
    )
    done = _finish(srv, reply["session_id"], "A")
    assert done["result"] == {"got": 7, "answer": "A"}
    error(srv.call("alc_run", code="return 1", code_file=str(script)), "invalid_input")


def test_alc_advice_runs_a_strategy_with_algoclines_arguments(srv: AlgoclineServer) -> None:
    reply = ok(srv.call("alc_advice", strategy="cot", task="2+2?", opts={"depth": 1}))
    assert reply["status"] == "needs_response" and reply["prompt"]
    error(srv.call("alc_advice", strategy="no_such_strategy", task="x"), "strategy_not_found")


def test_alc_continue_takes_usage_with_completion_tokens(srv: AlgoclineServer) -> None:
    sid = _start(srv, "return alc.llm('q')")
    usage = {"prompt_tokens": 11, "completion_tokens": 22}
    done = ok(srv.call("alc_continue", session_id=sid, response="fine", usage=usage))
    assert done["status"] == "completed"
    tokens = done["stats"]["auto"]
    assert tokens["prompt_tokens"] == {"source": "provided", "tokens": 11}
    assert tokens["response_tokens"] == {"source": "provided", "tokens": 22}


def test_alc_status_pending_filter_presets_and_object(srv: AlgoclineServer) -> None:
    long_prompt = "p" * 500
    sid = _start(srv, f"return alc.llm('{long_prompt}', {{system = 'sys', max_tokens = 9}})")
    meta = ok(srv.call("alc_status", session_id=sid, pending_filter="meta"))
    assert meta["pending"] == [{"query_id": "q-0", "max_tokens": 9}]
    preview = ok(srv.call("alc_status", session_id=sid, pending_filter="preview"))
    assert preview["pending"][0]["prompt_preview"] == "p" * 200
    full = ok(srv.call("alc_status", session_id=sid, pending_filter="full"))
    assert full["pending"][0]["prompt"] == long_prompt and full["pending"][0]["system"] == "sys"
    custom = {"system": True, "prompt": {"mode": "preview", "chars": 3}}
    shaped = ok(srv.call("alc_status", session_id=sid, pending_filter=custom))
    assert shaped["pending"] == [{"system": "sys", "prompt_preview": "ppp"}]
    listing = ok(srv.call("alc_status", pending_filter="meta"))
    mine = [s for s in listing["sessions"] if s["session_id"] == sid]
    assert mine[0]["pending"] == [{"query_id": "q-0", "max_tokens": 9}]
    assert listing["active_sessions"] == len(listing["sessions"])
    unfiltered = ok(srv.call("alc_status", session_id=sid))
    assert unfiltered["pending"][0]["prompt"] == long_prompt  # omitted: the queries as they are
    for bad in ("everything", 3, {"prompt": {"mode": "sideways"}}, {"query_id": "yes"}, {"x": 1}):
        error(srv.call("alc_status", session_id=sid, pending_filter=bad), "invalid_input")


def test_alc_status_include_history_shows_the_conversation(srv: AlgoclineServer) -> None:
    sid = _start(srv)
    _finish(srv, sid, "one")
    shown = ok(srv.call("alc_status", session_id=sid, include_history=True))
    assert [e["prompt"] for e in shown["conversation_history"]] == [
        "first question",
        "second question",
    ]
    assert shown["conversation_history"][0]["response"] == "one"


def test_alc_info_reports_the_server(srv: AlgoclineServer) -> None:
    info = ok(srv.call("alc_info"))
    assert info["server"] == "alc" and info["version"]


# ---------------------------------------------------------------------- notes, logs, stats


def test_alc_note_adds_notes_that_alc_log_view_shows(srv: AlgoclineServer) -> None:
    sid = _start(srv)
    _finish(srv, sid, "a", "b")
    first = ok(srv.call("alc_note", session_id=sid, content="worked well", title="review"))
    assert first == {"session_id": sid, "notes_count": 1}
    assert ok(srv.call("alc_note", session_id=sid, content="second"))["notes_count"] == 2
    log = ok(srv.call("alc_log_view", session_id=sid))
    assert [n["content"] for n in log["notes"]] == ["worked well", "second"]
    assert log["notes"][0]["title"] == "review"
    error(srv.call("alc_note", session_id="s-" + "0" * 32, content="x"), "session_not_found")
    error(srv.call("alc_note", session_id=sid, content="   "), "invalid_input")
    error(srv.call("alc_note", session_id=sid), "invalid_input")


def test_alc_log_view_lists_and_shows_and_truncates(srv: AlgoclineServer) -> None:
    sid = _start(srv, PAUSE_TWICE, task="a task")
    _finish(srv, sid, "x" * 3000, "y" * 3000)
    listing = ok(srv.call("alc_log_view", limit=5))
    assert 1 <= len(listing["sessions"]) <= 5
    assert listing["sessions"][0]["session_id"] == sid  # newest first
    assert listing["sessions"][0]["llm_calls"] == 2
    log = ok(srv.call("alc_log_view", session_id=sid))
    assert log["task_hint"] == "a task" and log["state"] == "completed"
    assert [r["response"][:1] for r in log["transcript"]] == ["x", "y"]
    assert log["outcome"]["result"] == "x" * 3000 + "y" * 3000
    cut = ok(srv.call("alc_log_view", session_id=sid, max_chars=12000))
    assert cut["truncated"] is True and cut["original_rounds"] == 2
    assert cut["returned_rounds"] == len(cut["transcript"]) < 2
    assert len(json.dumps(cut)) <= 12000 + 200  # the truncation markers themselves
    error(srv.call("alc_log_view", limit=-1), "invalid_input")
    error(srv.call("alc_log_view", session_id="s-" + "1" * 32), "session_not_found")


def test_alc_stats_counts_sessions_by_strategy(srv: AlgoclineServer) -> None:
    sid = _start(srv)
    _finish(srv, sid, "a", "b")
    stats = ok(srv.call("alc_stats"))
    assert stats["total_sessions"] >= 1
    code = stats["strategies"]["(code)"]
    assert code["count"] >= 1 and code["total_tokens"] > 0 and code["avg_llm_calls"] >= 1
    recent = ok(srv.call("alc_stats", days=1))
    assert recent["total_sessions"] == stats["total_sessions"]
    none = ok(srv.call("alc_stats", strategy="no_such_strategy"))
    assert none == {"total_sessions": 0, "strategies": {}}
    error(srv.call("alc_stats", days="week"), "invalid_input")


# ---------------------------------------------------------------------- projects


def test_alc_session_new_pins_the_project_root_for_later_calls(srv: AlgoclineServer) -> None:
    project = srv.root / "pinned"
    project.mkdir()
    pin = ok(srv.call("alc_session_new", project_root=str(project), mode="test"))
    assert pin["session_id"].startswith("alc-sess-") and pin["mode"] == "test"
    assert pin["project_root"] == str(project.resolve())
    made = ok(srv.call("alc_init"))  # no project_root: the pinned one
    assert made["project_root"] == str(project.resolve())
    assert (project / "alc.toml").is_file()
    error(srv.call("alc_session_new", mode="sandbox"), "invalid_input")
    error(srv.call("alc_session_new", project_root=str(srv.root / "missing")), "invalid_input")
    ok(srv.call("alc_session_new", project_root=str(srv.root)))  # re-pin: the next tests


def test_alc_init_creates_alc_toml_and_ignores_alc_local_toml(srv: AlgoclineServer) -> None:
    project = srv.root / "fresh"
    project.mkdir()
    (project / ".gitignore").write_text("node_modules\n")
    made = ok(srv.call("alc_init", project_root=str(project)))
    assert made["created"] is True and made["gitignore_updated"] is True
    assert made["gitignore_path"] == str((project / ".gitignore").resolve())
    assert (project / ".gitignore").read_text() == "node_modules\nalc.local.toml\n"
    again = ok(srv.call("alc_init", project_root=str(project)))
    assert again["created"] is False and again["gitignore_updated"] is False
    error(srv.call("alc_init", project_root=str(project / "nope")), "invalid_input")


def _package(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "init.lua").write_text(
        f'local M = {{meta = {{name = "{name}", description = "t"}}}}\n'
        "function M.run(ctx) return {answer = alc.llm(ctx.task)} end\nreturn M\n"
    )
    return folder


def test_alc_update_relocks_the_project(srv: AlgoclineServer) -> None:
    project = srv.root / "upd"
    _package(project / "vendor" / "upd_pkg", "upd_pkg")
    ok(srv.call("alc_init", project_root=str(project)))
    toml = project / "alc.toml"
    toml.write_text(toml.read_text() + 'upd_pkg = "vendor/upd_pkg"\n')
    reply = ok(srv.call("alc_update", project_root=str(project)))
    assert reply["resolved"] == 1 and reply["errors"] == []
    assert reply["alc_lock"] == str(project / "alc.lock")
    assert "upd_pkg" in (project / "alc.lock").read_text()
    error(srv.call("alc_update", project_root=str(srv.root / "fresh" / "none")), "invalid_input")


def test_alc_migrate_writes_alc_toml_from_a_legacy_lock(srv: AlgoclineServer) -> None:
    project = srv.root / "legacy"
    _package(project / "vendor" / "mig_pkg", "mig_pkg")
    legacy = '[[packages]]\nname = "mig_pkg"\nlocal_dir = "vendor/mig_pkg"\nlinked_at = "x"\n'
    (project / "alc.lock").write_text(legacy)
    reply = ok(srv.call("alc_migrate", project_root=str(project)))
    assert reply["migrated"] is True and reply["entries"] == ["mig_pkg"]
    assert "mig_pkg" in (project / "alc.toml").read_text()
    assert (project / "alc.lock.bak").read_text() == legacy and not (project / "alc.lock").exists()
    updated = ok(srv.call("alc_update", project_root=str(project)))  # the new alc.lock
    assert updated["resolved"] == 1 and "mig_pkg" in (project / "alc.lock").read_text()
    again = ok(srv.call("alc_migrate", project_root=str(project)))
    assert again["migrated"] is False and again["reason"] == "alc.toml exists"
    bad = srv.root / "badlock"
    bad.mkdir()
    (bad / "alc.lock").write_text('[[packages]]\nname = "../x"\n')
    error(srv.call("alc_migrate", project_root=str(bad)), "install_failed")


# ---------------------------------------------------------------------- pool


def test_alc_pool_ensure_lists_live_sessions_and_workers(srv: AlgoclineServer) -> None:
    sid = _start(srv)
    pool = ok(srv.call("alc_pool_ensure"))
    assert sid in [s["session_id"] for s in pool["sessions"]]
    assert "workers" in pool and "memory" in pool


def test_alc_pool_status_reports_one_session(srv: AlgoclineServer) -> None:
    sid = _start(srv)
    status = ok(srv.call("alc_pool_status", sid=sid))
    assert status["session"]["session_id"] == sid
    assert status["session"]["phase"] == "awaiting_response"
    error(srv.call("alc_pool_status", sid="s-" + "2" * 32), "session_not_found")


def test_alc_pool_stop_releases_vms_and_sessions_resume(srv: AlgoclineServer) -> None:
    sid = _start(srv)
    stopped = ok(srv.call("alc_pool_stop"))
    assert stopped["released"] >= 1 and stopped["memory"]["hot"] == 0
    done = _finish(srv, sid, "a", "b")  # restored from the journal by replay
    assert done["result"] == "ab"
    ok(srv.call("alc_pool_stop", sid=sid))


# ---------------------------------------------------------------------- v2


def test_alc_v2_run_then_state(srv: AlgoclineServer) -> None:
    run = ok(srv.call("alc_v2_run", code="return alc.llm('v2?')", ctx='{"k": 1}'))
    assert run["state"] == "awaiting_response" and run["session_id"]
    state = ok(srv.call("alc_v2_state", session_id=run["session_id"]))
    assert state["state"] == "awaiting_response" and state["pending"][0]["prompt"] == "v2?"
    error(srv.call("alc_v2_run", code="return 1", ctx="[1]"), "invalid_input")
    error(srv.call("alc_v2_state", session_id="s-" + "3" * 32), "session_not_found")


def test_alc_v2_resume_single_batch_and_stringified(srv: AlgoclineServer) -> None:
    sid = ok(srv.call("alc_v2_run", code=PAUSE_TWICE))["session_id"]
    single = {"kind": "single", "query_id": "q-0", "response": "A"}
    assert ok(srv.call("alc_v2_resume", session_id=sid, payload=single))["state"] == (
        "awaiting_response"
    )
    text = json.dumps({"Single": {"response": "B", "usage": {"completion_tokens": 3}}})
    done = ok(srv.call("alc_v2_resume", session_id=sid, payload=text))
    assert done["state"] == "completed" and done["result"] == "AB"
    batch_sid = ok(srv.call("alc_v2_run", code="return alc.llm_batch({'x', 'y'})"))["session_id"]
    batch = {
        "kind": "batch",
        "responses": [{"query_id": "q-0", "response": "X"}, {"query_id": "q-1", "response": "Y"}],
    }
    done = ok(srv.call("alc_v2_resume", session_id=batch_sid, payload=batch))
    assert done["result"] == ["X", "Y"]
    for bad in ({"kind": "single"}, "not json", [1], {"kind": "batch", "responses": [{"x": 1}]}):
        error(srv.call("alc_v2_resume", session_id=sid, payload=bad), "invalid_input")


def test_alc_v2_cancel_is_idempotent(srv: AlgoclineServer) -> None:
    sid = ok(srv.call("alc_v2_run", code=PAUSE_TWICE))["session_id"]
    first = ok(srv.call("alc_v2_cancel", session_id=sid, reason={"code": "user", "msg": "stop"}))
    assert first["state"] == "cancelled" and first["reason"]["msg"] == "stop"
    again = ok(srv.call("alc_v2_cancel", session_id=sid))
    assert again["state"] == "cancelled" and again["reason"] == {"code": "user"}
    error(srv.call("alc_v2_cancel", session_id="s-" + "4" * 32), "session_not_found")


# ---------------------------------------------------------------------- protocol features


def test_annotations_follow_algocline(srv: AlgoclineServer) -> None:
    assert srv.client is not None
    tools = {t.name: t for t in srv.run(srv.client.list_tools()).tools}
    cancel = tools["alc_v2_cancel"].annotations
    assert cancel is not None and cancel.destructive_hint and cancel.idempotent_hint
    log_view = tools["alc_log_view"].annotations
    assert log_view is not None and log_view.read_only_hint
    stop = tools["alc_pool_stop"].annotations
    assert stop is not None and stop.destructive_hint and not stop.idempotent_hint
    init = tools["alc_init"].annotations
    assert init is not None and init.idempotent_hint and not init.destructive_hint
    assert "alc_cancel" not in tools  # alc's own name is not in algocline's surface


def test_prompts_advice_and_new_package(srv: AlgoclineServer) -> None:
    client = srv.client
    assert client is not None
    names = {p.name for p in srv.run(client.list_prompts()).prompts}
    assert {"advice", "new_package"} <= names
    advice = srv.run(client.get_prompt("advice", {"task": "sort a list"}))
    text = advice.messages[0].content.text  # type: ignore[union-attr]
    assert "sort a list" in text and "alc_advice" in text
    scaffold = srv.run(client.get_prompt("new_package", {"name": "my_pkg"}))
    assert "`my_pkg`" in scaffold.messages[0].content.text  # type: ignore[union-attr]


def test_resource_templates_read(srv: AlgoclineServer) -> None:
    client = srv.client
    assert client is not None
    listed = {t.uri_template for t in srv.run(client.list_resource_templates()).resource_templates}
    expected = {
        "alc://packages/{name}/init.lua",
        "alc://packages/{name}/meta",
        "alc://cards/{card_id}",
        "alc://cards/{card_id}/samples",
        "alc://scenarios/{name}",
        "alc://eval/{eval_id}",
        "alc://logs/{session_id}",
    }
    assert expected <= listed
    source = srv.run(client.read_resource("alc://packages/cot/init.lua"))
    assert "function" in source.contents[0].text  # type: ignore[union-attr]
    meta = json.loads(srv.run(client.read_resource("alc://packages/cot/meta")).contents[0].text)  # type: ignore[union-attr]
    assert meta["name"] == "cot"
    sid = _start(srv)
    log = json.loads(srv.run(client.read_resource(f"alc://logs/{sid}")).contents[0].text)  # type: ignore[union-attr]
    assert log["session_id"] == sid and log["transcript"][0]["prompt"] == "first question"
    scenario = json.loads(srv.run(client.read_resource("alc://scenarios/arith")).contents[0].text)  # type: ignore[union-attr]
    assert scenario["name"] == "arith" and scenario["cases"]
    types = srv.run(client.read_resource("alc://types/alc.d.lua")).contents[0]
    assert "alc" in types.text  # type: ignore[union-attr]
    shapes = srv.run(client.read_resource("alc://types/alc_shapes.d.lua")).contents[0]
    assert "---@class AlcResultVoted" in shapes.text  # type: ignore[union-attr]
    with pytest.raises(Exception, match=r"not found|No card|Unknown"):
        srv.run(client.read_resource("alc://cards/no-such-card"))


def test_completions_for_prompt_and_template_arguments(srv: AlgoclineServer) -> None:
    client = srv.client
    assert client is not None
    sid = _start(srv)
    logs = ResourceTemplateReference(type="ref/resource", uri="alc://logs/{session_id}")
    found = srv.run(client.complete(logs, {"name": "session_id", "value": sid[:10]}))
    assert sid in found.completion.values
    pkgs = ResourceTemplateReference(type="ref/resource", uri="alc://packages/{name}/meta")
    names = srv.run(client.complete(pkgs, {"name": "name", "value": "co"})).completion.values
    assert "cot" in names and all(n.startswith("co") for n in names)
    prompt = PromptReference(type="ref/prompt", name="new_package")
    cats = srv.run(client.complete(prompt, {"name": "category", "value": "re"})).completion.values
    assert cats == ["reasoning"]
