"""Helpers shared by the MCP tests: check a tool reply and return its JSON."""

from __future__ import annotations

import json
from typing import Any

from mcp_types import CallToolResult


def wire(result: CallToolResult) -> dict[str, Any]:
    """The reply's structured content, checked against its JSON text twin."""
    assert result.structured_content is not None
    assert len(result.content) == 1
    text = result.content[0].text  # type: ignore[union-attr]
    assert json.loads(text) == result.structured_content
    return dict(result.structured_content)


def ok(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, result.content
    return wire(result)


def error(result: CallToolResult, code: str) -> dict[str, Any]:
    assert result.is_error, result.content
    data = wire(result)
    assert data["error_code"] == code, data
    assert data["status"] == "error" and data["error"]
    return data
