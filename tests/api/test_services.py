"""The services behind Engine, the explicit request context (tenant, step control, deadline)
and its one tenant rule, the deprecated call forms, and the seams that replaced private reaches."""

from __future__ import annotations

import dataclasses
import re
import time
import warnings
from pathlib import Path

import pytest

import alc
from alc.engine.executor import StepControl
from alc.engine.tenancy import tenant_scope

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
LOOP = "local n = 0 while true do n = n + 1 end"


def test_engine_entry_points_and_services_are_one_path(tmp_path: Path) -> None:
    engine = alc.Engine(tmp_path / "s.db")
    out = engine.session_service.start("return alc.llm('q')")
    assert isinstance(out, alc.NeedsResponse)
    assert engine.status(out.session_id) == engine.session_service.status(out.session_id)
    assert engine.active() == engine.session_service.active() == [engine.status("last")]
    assert engine.pending("last").queries == out.queries
    done = engine.session_service.feed(out.session_id, "a")
    assert isinstance(done, alc.Completed) and done.result == "a"
    assert engine.sessions(["completed"]) == engine.session_service.list("completed")
    assert engine.session_service.resolve("last") == out.session_id
    assert engine.strategy_source("cot") == engine.catalog.source("cot")
    assert engine.catalog.locate("cot").name == "init.lua"
    with pytest.raises(alc.StrategyNotFound):
        engine.catalog.locate("no_such_strategy")
    assert engine.pkg.run("list", {})["packages"] == engine.package_action("list", {})["packages"]
    assert engine.evals.runs() == []
    with pytest.raises(alc.InvalidInput):
        engine.evals.report("no-such-run")


def test_status_without_an_id_is_deprecated_and_status_with_one_is_not() -> None:
    engine = alc.Engine()
    out = engine.start("return alc.llm('q')")
    with pytest.warns(DeprecationWarning, match=r"call active\(\)"):
        listed = engine.status()
    assert listed == engine.active() and isinstance(listed, list)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert isinstance(engine.status(out.session_id), alc.SessionSnapshot)


async def test_async_packages_is_deprecated_for_pkg_run(tmp_path: Path) -> None:
    engine = alc.AsyncEngine()
    with pytest.warns(DeprecationWarning, match="engine.pkg.run"):
        manager = await engine.packages(tmp_path)
    assert manager.cwd == tmp_path.resolve()
    reply = await engine.pkg.run("list", {}, tmp_path)
    assert isinstance(reply["packages"], list)
    with pytest.raises(alc.InvalidInput):
        await engine.pkg.run("no_such_action", {})


def test_an_explicit_context_names_the_tenant_and_one_rule_decides() -> None:
    engine = alc.Engine()
    sessions = engine.session_service
    acme, other = alc.RequestContext(tenant="acme"), alc.RequestContext(tenant="other")
    out = sessions.start("return alc.llm('q')", context=acme)
    sid = out.session_id
    missing = alc.SessionNotFound(sid)
    assert sessions.status(sid, acme).session_id == sid
    assert sessions.status(sid).session_id == sid  # no tenancy: every session is visible
    for call in (sessions.status, sessions.pending, sessions.transcript, sessions.cancel):
        with pytest.raises(alc.SessionNotFound, match=re.escape(missing.message)):
            call(sid, other)  # worded exactly as a session that does not exist
    with pytest.raises(alc.SessionNotFound):
        sessions.feed(sid, "x", context=other)
    assert sessions.list(context=other) == [] and sessions.active(other) == []
    assert not sessions.delete(sid, other)
    with tenant_scope("other"), pytest.raises(alc.SessionNotFound):
        engine.status(sid)  # the carrier at the edge gives the same answer
    with tenant_scope("acme"):
        assert [s.session_id for s in engine.active()] == [sid]
    assert sessions.delete(sid, acme)


def test_the_context_is_frozen_and_checks_its_tenant() -> None:
    context = alc.RequestContext(tenant="acme")
    with pytest.raises(dataclasses.FrozenInstanceError):
        context.tenant = "other"  # type: ignore[misc]
    for bad in ("", " acme", "a\x00b", "x" * 201):
        with pytest.raises(alc.InvalidInput):
            alc.RequestContext(tenant=bad)
    with pytest.raises(alc.InvalidInput):
        alc.RequestContext(deadline="soon")  # type: ignore[arg-type]
    control = StepControl()
    held = context.with_control(control)
    assert held.control is control and held.tenant == "acme" and context.control is None
    assert context.owns("acme") and not context.owns("other") and not context.owns(None)
    assert alc.RequestContext().owns("anyone")
    with tenant_scope("zed"):
        assert alc.RequestContext.current().tenant == "zed"


def test_a_passed_deadline_ends_the_session_cancelled() -> None:
    engine = alc.Engine()
    late = alc.RequestContext(deadline=time.monotonic() - 1)
    out = engine.session_service.start(LOOP, context=late)
    assert isinstance(out, alc.Cancelled)


def test_a_deadline_stops_a_running_step() -> None:
    engine = alc.Engine()
    soon = alc.RequestContext(deadline=time.monotonic() + 0.5)
    out = engine.session_service.start(LOOP, limits={"max_step_seconds": 60}, context=soon)
    assert isinstance(out, alc.Cancelled)
    paused = engine.start("return alc.llm('a') .. alc.llm('b')")
    feed = engine.session_service.feed(
        paused.session_id, "a", context=alc.RequestContext(deadline=time.monotonic() + 60)
    )
    assert isinstance(feed, alc.NeedsResponse)  # a deadline not reached changes nothing


async def test_async_services_mirror_the_blocking_ones(tmp_path: Path) -> None:
    engine = alc.AsyncEngine(tmp_path / "s.db")
    acme = alc.RequestContext(tenant="acme")
    out = await engine.session_service.start("return alc.llm('q')", context=acme)
    with pytest.raises(alc.SessionNotFound):
        await engine.session_service.status(out.session_id, alc.RequestContext(tenant="b"))
    done = await engine.session_service.drive(
        session_id=out.session_id, llm=lambda q: "z", context=acme
    )
    assert isinstance(done, alc.Completed) and done.result == "z"
    assert [s.session_id for s in await engine.session_service.list(context=acme)] == [
        out.session_id
    ]
    assert (await engine.catalog.describe("cot")).name == "cot"
    assert await engine.evals.runs() == []
    card = await engine.cards.create({"pkg": {"name": "demo"}})
    assert (await engine.cards.get(card["card_id"]))["pkg"]["name"] == "demo"
    await engine.close()


def test_front_ends_reach_no_private_attributes() -> None:
    reaches = re.compile(r"\.engine\.engine\b|registry\.resolver|\._first\b")
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for folder in ("alc/mcp", "alc/inspector", "alc/eval", "alc/cli")
        for path in sorted((ROOT / folder).rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if reaches.search(line)
    ]
    assert offenders == []
