"""One real ``alc mcp --profile algocline`` subprocess per test module, driven by the SDK's stdio
client on a background event loop, so each test is a plain function making blocking calls."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from mcp import Client, StdioServerParameters
from mcp_types import CallToolResult

_T = TypeVar("_T")


class AlgoclineServer:
    """``alc mcp --profile algocline`` over stdio (``cwd`` and ``ALC_HOME`` under ``root``)."""

    def __init__(self, root: Path, *extra: str, env: dict[str, str] | None = None) -> None:
        self.root = root
        store = str(root / "s.db")
        self.params = StdioServerParameters(
            command=sys.executable,
            args=["-m", "alc", "mcp", "--profile", "algocline", "--store", store, *extra],
            env={**os.environ, "ALC_HOME": str(root / "home"), **(env or {})},
            cwd=str(root),
        )
        self.loop = asyncio.new_event_loop()
        self.client: Client | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        self._main = asyncio.run_coroutine_threadsafe(self._serve(), self.loop)
        if not self._ready.wait(120) or self.client is None:
            raise RuntimeError(f"the MCP server did not start: {self._failure!r}")

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        try:
            async with Client(self.params, read_timeout_seconds=120) as client:
                self.client = client
                self._ready.set()
                await self._stop.wait()
        except BaseException as exc:  # surfaced by the constructor
            self._failure = exc
            self._ready.set()

    def run(self, coro: Coroutine[Any, Any, _T]) -> _T:
        """Run ``coro`` (a client call) on the client's loop and wait for it."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(180)

    def call(self, tool: str, **arguments: Any) -> CallToolResult:
        """``tools/call`` of ``tool`` with ``arguments``."""
        assert self.client is not None
        return self.run(self.client.call_tool(tool, arguments))

    def close(self) -> None:
        if self._stop is not None:
            self.loop.call_soon_threadsafe(self._stop.set)
        try:
            self._main.result(60)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(10)
