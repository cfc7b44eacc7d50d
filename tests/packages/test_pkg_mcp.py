"""``alc_pkg`` through the official MCP client, in process: one tool, an action argument."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import mcp_types as types
import pytest
from mcp import Client
from pkg_helpers import attacks, make_sentinel, untouched, write_package

import alc
from alc.mcp import AlcMCP

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def reply(result: types.CallToolResult) -> dict[str, Any]:
    assert result.structured_content is not None
    text = result.content[0].text  # type: ignore[union-attr]
    assert json.loads(text) == result.structured_content
    return dict(result.structured_content)


async def test_install_list_doctor_test_and_errors(home: Path, tmp_path: Path) -> None:
    src = write_package(tmp_path / "src", "alpha", "3.1")
    server = AlcMCP(alc.AsyncEngine(tmp_path / "s.db")).server
    async with Client(server) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert "alc_pkg" in tools and "strategy_not_found" in (tools["alc_pkg"].description or "")

        async def call(**arguments: Any) -> types.CallToolResult:
            return await client.call_tool("alc_pkg", arguments)

        installed = reply(await call(action="install", source=str(src)))
        assert installed["installed"][0]["version"] == "3.1"
        listed = reply(await call(action="list"))
        assert [p["name"] for p in listed["packages"]] == ["alpha"]
        started = reply(await client.call_tool("alc_advice", {"strategy": "alpha"}))
        assert started["status"] == "needs_response"  # the server sees the new package at once
        assert reply(await call(action="doctor"))["healthy"] is True

        made = reply(await call(action="scaffold", name="made", directory=str(tmp_path)))
        tested = reply(await call(action="test", target=made["path"], answers=["x"]))
        assert tested["ok"] is True and tested["files"][0]["passed"] == 5

        project = tmp_path / "proj"
        project.mkdir()
        (project / "alc.toml").write_text(f'[packages]\nalpha = "{src}"\n')
        done = reply(await call(action="install", project_root=str(project)))
        assert done["scope"] == "project" and (project / "alc.lock").is_file()

        for arguments, code in [
            ({"action": "explode"}, "invalid_input"),
            ({"action": "remove"}, "invalid_input"),
            ({"action": "remove", "name": "nothing"}, "package_not_found"),
            ({"action": "install", "source": str(tmp_path / "nowhere")}, "install_failed"),
            ({}, "invalid_input"),
        ]:
            result = await client.call_tool("alc_pkg", arguments)
            assert result.is_error, arguments
            assert reply(result)["error_code"] == code, reply(result)
        missing = reply(await call(action="remove", name="nothing"))
        assert missing["hint"].startswith("call alc_pkg")


async def test_mcp_alc_pkg_refuses_paths(home: Path, tmp_path: Path) -> None:
    sentinel = make_sentinel(tmp_path)
    src = write_package(tmp_path / "src", "alpha")
    server = AlcMCP(alc.AsyncEngine(tmp_path / "s.db")).server
    async with Client(server) as client:
        installed = await client.call_tool("alc_pkg", {"action": "install", "source": str(src)})
        assert not installed.is_error
        for name in [*attacks(sentinel), "..", "x" * 300]:
            for arguments in (
                {"action": "remove", "name": name},
                {"action": "remove", "name": name, "scope": "user"},
                {"action": "unlink", "name": name},
                {"action": "link", "path": str(src), "name": name},
                {"action": "install", "source": str(src), "name": name},
                {"action": "scaffold", "name": name, "directory": str(tmp_path)},
            ):
                result = await client.call_tool("alc_pkg", arguments)
                assert result.is_error, arguments
                assert reply(result)["error_code"] == "invalid_input", arguments
        listed = reply(await client.call_tool("alc_pkg", {"action": "list"}))
    assert untouched(sentinel)
    assert [p["name"] for p in listed["packages"]] == ["alpha"]


async def test_alc_pkg_install_refuses_shadowing_unless_override(
    home: Path, tmp_path: Path
) -> None:
    src = write_package(tmp_path / "src", "cot")
    server = AlcMCP(alc.AsyncEngine(tmp_path / "s.db")).server
    async with Client(server) as client:
        refused = await client.call_tool("alc_pkg", {"action": "install", "source": str(src)})
        assert refused.is_error and reply(refused)["error_code"] == "invalid_input"
        assert "(cot)" in reply(refused)["error"]
        arguments = {"action": "install", "source": str(src), "override": True}
        done = reply(await client.call_tool("alc_pkg", arguments))
        assert done["shadows"] == ["cot"]
        listing = reply(await client.call_tool("alc_strategies", {}))["strategies"]
        rows = {r["name"]: r for r in listing}
        assert (rows["cot"]["scope"], rows["cot"]["kind"]) == ("user", "strategy")
        assert (rows["sc"]["scope"], rows["sc"]["kind"]) == ("builtin", "strategy")
        bad = await client.call_tool("alc_pkg", {"action": "install", "override": "yes"})
        assert bad.is_error and reply(bad)["error_code"] == "invalid_input"
