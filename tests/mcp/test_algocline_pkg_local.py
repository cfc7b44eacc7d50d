"""algocline's package tools in-process: the algocline profile lists each of them, and a server
that reads no local files (``read_files=False``, as ``alc serve`` builds it) refuses them
before touching anything."""

from __future__ import annotations

from pathlib import Path

import pytest
from _mcp_helpers import error
from mcp import Client

import alc
from alc.mcp import AlcMCP

pytestmark = pytest.mark.anyio

PKG_TOOLS = {
    "alc_pkg_link": {"path": "."},
    "alc_pkg_list": {},
    "alc_pkg_install": {"url": "."},
    "alc_pkg_remove": {"name": "x"},
    "alc_pkg_unlink": {"name": "x"},
    "alc_pkg_repair": {},
    "alc_pkg_doctor": {},
    "alc_pkg_test": {"code": "x"},
    "alc_pkg_scaffold": {"name": "x"},
    "alc_hub_search": {},
    "alc_hub_info": {"pkg": "x"},
    "alc_hub_reindex": {},
    "alc_hub_gendoc": {"source_dir": "."},
    "alc_hub_dist": {"source_dir": "."},
    "alc_setting_resolve": {},
}


async def test_the_algocline_profile_lists_the_pkg_tools(tmp_path: Path) -> None:
    server = AlcMCP(alc.AsyncEngine(tmp_path / "s.db"), profile="algocline").server
    async with Client(server) as client:
        listed = {t.name: t for t in (await client.list_tools()).tools}
    assert set(PKG_TOOLS) <= set(listed)
    assert listed["alc_pkg_doctor"].annotations is not None
    assert listed["alc_pkg_doctor"].annotations.read_only_hint is True
    assert listed["alc_pkg_remove"].annotations is not None
    assert listed["alc_pkg_remove"].annotations.destructive_hint is True


async def test_a_server_reading_no_files_refuses_them(tmp_path: Path) -> None:
    engine = alc.AsyncEngine(tmp_path / "s.db")
    server = AlcMCP(engine, read_files=False, profile="algocline").server
    async with Client(server) as client:
        for tool, arguments in PKG_TOOLS.items():
            reply = error(await client.call_tool(tool, arguments), "invalid_input")
            assert "no local files" in reply["error"], tool
    assert not (tmp_path / "x").exists()
