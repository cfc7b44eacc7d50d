"""The real ``alc mcp`` server process of the card tests."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from mcp import StdioServerParameters


def mcp_server(tmp_path: Path) -> StdioServerParameters:
    """``alc mcp`` over stdio on a store and home in ``tmp_path``."""
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "alc.mcp", "--store", str(tmp_path / "sessions.db")],
        env={**os.environ, "ALC_HOME": str(tmp_path / "home")},
        cwd=str(tmp_path),
    )
