"""Real ``alc serve`` replicas (subprocesses on free 127.0.0.1 ports) and a real SDK client.

:class:`Replica` starts ``python -m alc serve --port 0`` and reads the port from its start-up
line; its stderr (the structured log) is collected in :attr:`Replica.lines`. :func:`client`
connects the SDK's streamable-HTTP client (``mcp.client.streamable_http``) with an optional
bearer token. :class:`Fleet` spreads each call over randomly chosen live replicas and retries a
call whose replica died on another one, the way a client behind a load balancer does.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CallToolResult

STARTUP_SECONDS = 90.0


class Replica:
    """One ``alc serve`` process."""

    def __init__(
        self,
        store: str,
        home: Path,
        *extra: str,
        env: dict[str, str] | None = None,
        wait: bool = True,
        command: tuple[str, ...] = ("serve",),
    ) -> None:
        self.store = store
        self.lines: list[str] = []
        self.port = 0
        self._listening = threading.Event()
        full_env = {k: v for k, v in os.environ.items() if k not in ("ALC_TOKENS", "ALC_STORE")}
        full_env.update(
            ALC_HOME=str(home), ALC_WORKERS=os.environ.get("ALC_TEST_SERVE_WORKERS", "1")
        )
        full_env.update(env or {})
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "alc", "--store", store, *command, "--port", "0", *extra],
            env=full_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if wait:
            self.wait_listening()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))
            event = _event(line)
            if event.get("event") == "listening":
                self.port = int(event["port"])
                self._listening.set()
        self._listening.set()

    def wait_listening(self) -> None:
        if not self._listening.wait(STARTUP_SECONDS) or not self.port:
            self.stop()
            raise AssertionError("replica did not start:\n" + "\n".join(self.lines[-30:]))

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return self.base + "/mcp"

    def events(self, name: str) -> list[dict[str, Any]]:
        """The structured log lines of one kind (``request``, ``listening``, ...)."""
        return [e for e in map(_event, list(self.lines)) if e.get("event") == name]

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)

    def terminate(self, timeout: float = 60) -> int:
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout)
        self._reader.join(10)
        return code

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(30)
        self._reader.join(10)


def _event(line: str) -> dict[str, Any]:
    try:
        value = json.loads(line)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


@asynccontextmanager
async def client(url: str, token: str | None = None) -> AsyncIterator[Client]:
    """The SDK client on ``url`` (streamable HTTP), sending ``token`` as a bearer token."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    http = httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30.0, read=120.0))
    async with (
        http,
        Client(
            streamable_http_client(url, http_client=http), read_timeout_seconds=120
        ) as connected,
    ):
        yield connected


def reply(result: CallToolResult) -> dict[str, Any]:
    """A tool result's JSON object (checked against its text twin)."""
    assert result.structured_content is not None
    text = result.content[0].text  # type: ignore[union-attr]
    assert json.loads(text) == result.structured_content
    return dict(result.structured_content)


class ReplicaDown(Exception):
    """Every replica failed to answer one call."""


class Fleet:
    """Clients on several replicas; each call goes to a random live one (retried elsewhere when
    its replica cannot be reached)."""

    def __init__(self, replicas: list[Replica], token: str | None = None) -> None:
        self.replicas = replicas
        self.token = token
        self.clients: dict[int, Client] = {}
        self.dead: set[int] = set()
        self.retries = 0
        self.answered = [0] * len(replicas)
        """Calls each replica answered."""
        self._stop = anyio.Event()
        self._stack = AsyncExitStack()

    async def __aenter__(self) -> Fleet:
        tg = await self._stack.enter_async_context(anyio.create_task_group())
        for index in range(len(self.replicas)):
            ready = anyio.Event()
            tg.start_soon(self._own, index, ready)
            await ready.wait()
        return self

    async def _own(self, index: int, ready: anyio.Event) -> None:
        """Hold one replica's client in a task of its own: when its replica dies, the SDK
        client's task group fails here, not in the test's task."""
        try:
            async with client(self.replicas[index].url, self.token) as connected:
                self.clients[index] = connected
                ready.set()
                await self._stop.wait()
        except Exception:
            self.dead.add(index)
        finally:
            ready.set()

    async def __aexit__(self, *exc: object) -> None:
        self._stop.set()
        await self._stack.aclose()

    async def call(self, tool: str, **arguments: Any) -> tuple[int, dict[str, Any], bool]:
        """``(replica index, reply object, is_error)`` from a random live replica.

        Raises:
            ReplicaDown: the call failed on transport level everywhere. A call that failed on
                transport level may or may not have been applied (the caller re-reads state).
        """
        live = [i for i in self.clients if i not in self.dead]
        if not live:
            raise AssertionError("no replica is left")
        index = random.choice(live)
        try:
            result = await self.clients[index].call_tool(tool, arguments)
        except Exception:
            if self.replicas[index].proc.poll() is None:
                raise
            self.dead.add(index)
            self.retries += 1
            raise ReplicaDown(index) from None
        self.answered[index] += 1
        return index, reply(result), bool(result.is_error)


def wait_until(predicate: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


CHAIN = """
local out = {}
for i = 1, ctx.n do out[i] = alc.llm(ctx.tag .. ' q' .. i) end
return table.concat(out, ',')
"""
"""A session of ``ctx.n`` pauses; its result is every answer in order."""


def answer(prompt: str) -> str:
    """The one right answer to a prompt of :data:`CHAIN` (``"s7 q3"`` -> ``"s7-a3"``)."""
    return prompt.replace(" q", "-a")


def expected(tag: str, n: int) -> str:
    return ",".join(f"{tag}-a{i}" for i in range(1, n + 1))


def as_reply(snapshot: dict[str, Any]) -> dict[str, Any]:
    """A status snapshot as the reply a feed would have given (the next query, or the end)."""
    if snapshot["state"] == "paused":
        todo = [q for q in snapshot["pending"] if q["id"] not in snapshot["answered"]]
        return {"status": "needs_response", "query_id": todo[0]["id"], "prompt": todo[0]["prompt"]}
    assert snapshot["outcome"] is not None, snapshot
    return dict(snapshot["outcome"])


async def drive_chain(fleet: Fleet, tag: str, n: int) -> dict[str, Any]:
    """Start one :data:`CHAIN` session and answer it to the end through random replicas.

    A call lost with its replica is not repeated blindly: the session's state is read again
    (from another replica) and the driver goes on from there, so nothing is applied twice.
    Returns the last reply plus ``"calls"`` (how many calls were acknowledged).
    """
    calls = 0
    while True:
        try:
            _, r, err = await fleet.call("alc_run", code=CHAIN, ctx={"tag": tag, "n": n})
            break
        except ReplicaDown:
            continue  # never acknowledged: a new start is the right retry
    assert not err, r
    sid = r["session_id"]
    calls += 1
    while r["status"] == "needs_response":
        try:
            _, r, err = await fleet.call(
                "alc_continue", session_id=sid, query_id=r["query_id"], response=answer(r["prompt"])
            )
        except ReplicaDown:
            while True:
                try:
                    _, snap, err = await fleet.call("alc_status", session_id=sid)
                    break
                except ReplicaDown:
                    continue
            assert not err, snap
            r = as_reply(snap)
            continue
        assert not err, r
        calls += 1
    return {**r, "calls": calls, "session_id": sid}
