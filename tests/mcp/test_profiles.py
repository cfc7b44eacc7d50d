"""Tool profiles: alc's compact default, and algocline's 61 names (bare `alc` on a pipe)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from alc.mcp._algocline import ALGOCLINE_TOOLS
from alc.mcp._server import TOOLS
from alc.mcp._tools import PROFILES, TABLE

CONFORMANCE = Path(__file__).resolve().parents[3] / "shared" / "conformance"


def test_the_algocline_profile_names_algoclines_61_tools() -> None:
    listed = [
        line.split("|")[0].strip()
        for line in (CONFORMANCE / "algocline-mcp-tools.txt").read_text().splitlines()
        if "|" in line and not line.startswith("#")
    ]
    assert list(ALGOCLINE_TOOLS) == listed and len(listed) == 61


def test_the_default_profile_is_the_compact_set() -> None:
    assert [t.name for t in TOOLS] == list(PROFILES["default"])
    assert len(TOOLS) == 13


def test_a_profile_lists_only_registered_tools_in_its_order() -> None:
    names = [t.name for t in TABLE.profile("algocline")]
    assert names == [n for n in ALGOCLINE_TOOLS if TABLE.get(n) is not None]
    assert TABLE.get("alc_cancel", "algocline") is None  # not an algocline tool name


@pytest.mark.slow
def test_bare_alc_on_a_pipe_serves_algoclines_tools_over_stdio(tmp_path: Path) -> None:
    env = {**os.environ, "ALC_HOME": str(tmp_path), "ALC_EXECUTOR": "inline"}
    init = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "t", "version": "0"},
        },
    }
    listing = {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}}
    notified = {"jsonrpc": "2.0", "method": "notifications/initialized"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "alc"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        for message in (init, notified, listing):
            proc.stdin.write(json.dumps(message) + "\n")
            proc.stdin.flush()
        replies = [json.loads(proc.stdout.readline()) for _ in range(2)]
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)
    tools = {t["name"] for r in replies if r.get("id") == 2 for t in r["result"]["tools"]}
    assert "alc_run" in tools and tools <= set(ALGOCLINE_TOOLS)
