"""What algocline's data tools refuse on a server that reads no files (``alc serve``) and under a
tenant, called in-process through the server's own tool entry point."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from _mcp_helpers import error, ok

import alc
from alc.engine.tenancy import tenant_scope
from alc.mcp._server import AlcMCP

pytestmark = pytest.mark.anyio


@pytest.fixture
def remote(tmp_path: Path) -> AlcMCP:
    engine = alc.AsyncEngine(tmp_path / "s.db")
    return AlcMCP(engine, read_files=False, profile="algocline")


async def call(app: AlcMCP, tool: str, **arguments: Any) -> Any:
    return await app.server.call_tool(tool, arguments)


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("alc_card_install", {"url": "/etc"}),
        ("alc_card_publish", {"card_id": "c", "target_repo": "/tmp/x.git"}),
        ("alc_card_sink_backfill", {"sink": "file:///tmp/sink"}),
        ("alc_scenario_install", {"url": "/etc"}),
        ("alc_eval", {"strategy": "direct", "scenario_file": "/etc/passwd"}),
        ("alc_eval", {"strategy": "direct", "scenario": "return {}"}),
    ],
)
async def test_a_remote_client_cannot_touch_the_servers_files(
    remote: AlcMCP, tool: str, arguments: dict[str, Any], tmp_path: Path
) -> None:
    reply = error(await call(remote, tool, **arguments), "invalid_input")
    assert "refused" in reply["error"]
    assert not (tmp_path / "sink").exists()


async def test_a_remote_client_may_use_state(remote: AlcMCP) -> None:
    ok(await call(remote, "alc_state_set", namespace="n", key="k", value=1))
    assert ok(await call(remote, "alc_state_show", namespace="n", key="k"))["value"] == 1


async def test_a_tenants_cards_and_traces_are_its_own(remote: AlcMCP) -> None:
    cards = remote.engine.cards
    await cards.create({"pkg": {"name": "p"}, "card_id": "p_public"})
    await cards.write_samples("p_public", [{"trace": {"total_calls": 1}}])
    with tenant_scope("t1"):
        assert ok(await call(remote, "alc_card_list"))["cards"] == []
        error(await call(remote, "alc_card_get", card_id="p_public"), "card_not_found")
        assert ok(await call(remote, "alc_trace_query"))["rows"] == []
        error(await call(remote, "alc_card_analyze", card_id="p_public"), "card_not_found")
        diff = await call(remote, "alc_trace_diff", a_card_id="p_public", b_card_id="p_public")
        error(diff, "card_not_found")
    assert ok(await call(remote, "alc_trace_query"))["total"] == 1


async def test_a_tenants_state_is_its_own(remote: AlcMCP) -> None:
    with tenant_scope("t1"):
        ok(await call(remote, "alc_state_set", namespace="n", key="k", value="mine"))
    with tenant_scope("t2"):
        assert ok(await call(remote, "alc_state_list", namespace="n"))["keys"] == []
        error(await call(remote, "alc_state_show", namespace="n", key="k"), "invalid_input")
    assert remote.engine.store.state_get("n", "k", tenant="t1") == '"mine"'


async def test_an_inline_scenario_is_bounded_and_must_be_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALC_HOME", str(tmp_path / "home"))
    app = AlcMCP(alc.AsyncEngine(tmp_path / "s.db"), profile="algocline")
    big = "-- " + "x" * (16 * 2**20)
    error(await call(app, "alc_eval", strategy="direct", scenario=big), "invalid_input")
    bad = await call(app, "alc_eval", strategy="direct", scenario="return {} -- \ud800")
    error(bad, "invalid_input")
    assert (
        len(list((tmp_path / "home" / "scenarios" / ".inline").iterdir())) == 1
    )  # not the big one
