"""One ``alc serve`` replica over HTTP: the tools, health and readiness, the body limit, the
access log, the code_file refusal, the localhost-only rule, and the drain on SIGTERM."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx2
import pytest
from _replicas import Replica, client, reply, wait_until
from conftest import fresh_database, postgres_url

from alc.mcp import TOOLS

pytestmark = pytest.mark.anyio


@pytest.fixture
def replica(tmp_path: Path) -> Iterator[Replica]:
    one = Replica(str(tmp_path / "sessions.db"), tmp_path / "home", "--max-body-bytes", "65536")
    try:
        yield one
    finally:
        one.stop()


async def test_same_tools_as_stdio_and_a_session_end_to_end(replica: Replica) -> None:
    async with client(replica.url) as c:
        tools = (await c.list_tools()).tools
        assert [t.name for t in tools] == [t.name for t in TOOLS]
        r = reply(await c.call_tool("alc_run", {"code": "return alc.llm('a') .. alc.llm('b')"}))
        assert r["status"] == "needs_response" and r["prompt"] == "a"
        r = reply(
            await c.call_tool("alc_continue", {"session_id": r["session_id"], "response": "1"})
        )
        r = reply(
            await c.call_tool("alc_continue", {"session_id": r["session_id"], "response": "2"})
        )
        assert r["status"] == "completed" and r["result"] == "12"
        info = reply(await c.call_tool("alc_info", {}))
        assert info["server"] == "alc"
        thought = reply(
            await c.call_tool(
                "sequentialthinking",
                {
                    "thought": "first",
                    "thoughtNumber": 1,
                    "totalThoughts": 1,
                    "nextThoughtNeeded": False,
                },
            )
        )
        assert thought["thoughtNumber"] == 1


async def test_json_response_mode_answers_with_one_json_body(tmp_path: Path) -> None:
    replica = Replica(str(tmp_path / "s.db"), tmp_path / "home", "--json-response")
    try:
        async with client(replica.url) as c:
            r = reply(await c.call_tool("alc_run", {"code": "return alc.llm('x?')"}))
            r = reply(
                await c.call_tool("alc_continue", {"session_id": r["session_id"], "response": "y"})
            )
            assert r["result"] == "y"
        async with httpx2.AsyncClient(base_url=replica.base) as http:
            raw = await http.post(
                "/mcp",
                json={"jsonrpc": "2.0", "id": 7, "method": "tools/list"},
                headers={"accept": "application/json, text/event-stream"},
            )
        assert raw.headers["content-type"].startswith("application/json")
        assert raw.json()["id"] == 7 and raw.json()["result"]["tools"]
    finally:
        replica.stop()


async def test_alc_mcp_transport_http_serves_the_same(tmp_path: Path) -> None:
    replica = Replica(
        str(tmp_path / "s.db"), tmp_path / "home", command=("mcp", "--transport", "http")
    )
    try:
        async with client(replica.url) as c:
            assert [t.name for t in (await c.list_tools()).tools] == [t.name for t in TOOLS]
            r = reply(await c.call_tool("alc_run", {"code": "return 6 * 7"}))
            assert r["result"] == 42
    finally:
        replica.stop()
    assert replica.proc.returncode == 0


async def test_health_readiness_and_access_log(replica: Replica) -> None:
    async with httpx2.AsyncClient(base_url=replica.base) as http:
        health = await http.get("/healthz")
        assert health.status_code == 200 and health.json() == {"status": "ok"}
        ready = await http.get("/readyz")
        assert ready.status_code == 200 and ready.json() == {"status": "ready"}
        missing = await http.get("/nowhere")
        assert missing.status_code == 404
    wait_until(lambda: len(replica.events("request")) >= 3)  # the log is read from a pipe
    requests = replica.events("request")
    assert [(e["method"], e["path"], e["status"]) for e in requests[-3:]] == [
        ("GET", "/healthz", 200),
        ("GET", "/readyz", 200),
        ("GET", "/nowhere", 404),
    ]
    for entry in requests:
        assert entry["tenant"] is None and isinstance(entry["duration_ms"], float)
    started = replica.events("listening")[0]
    assert started["auth"] == "none" and "localhost only" in started["message"]


async def test_a_body_over_the_limit_is_413_with_a_json_error(replica: Replica) -> None:
    big = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "alc_run", "arguments": {"code": "return 1 --" + "x" * 70_000}},
    }
    headers = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
    async with httpx2.AsyncClient(base_url=replica.base) as http:
        declared = await http.post("/mcp", content=json.dumps(big), headers=headers)

        async def chunks() -> object:  # no Content-Length: the limit holds while streaming
            body = json.dumps(big).encode()
            for i in range(0, len(body), 8192):
                yield body[i : i + 8192]

        streamed = await http.post("/mcp", content=chunks(), headers=headers)
    for response in (declared, streamed):
        assert response.status_code == 413
        error = response.json()
        assert error["error_code"] == "request_too_large" and "65536 bytes" in error["error"]
    wait_until(lambda: len(replica.events("request")) >= 2)
    assert [e["status"] for e in replica.events("request")[-2:]] == [413, 413]


async def test_server_files_and_packages_are_out_of_reach(replica: Replica, tmp_path: Path) -> None:
    secret = tmp_path / "secret.lua"
    secret.write_text("return 'server file'", encoding="utf-8")
    async with client(replica.url) as c:
        result = await c.call_tool("alc_run", {"code_file": str(secret)})
    assert result.is_error
    error = reply(result)
    assert error["error_code"] == "invalid_input" and "code_file is refused" in error["error"]
    async with client(replica.url) as c:
        listed = await c.call_tool("alc_pkg", {"action": "list"})
        assert not listed.is_error, listed.content
        for args in (
            {"action": "install", "source": str(tmp_path)},
            {"action": "link", "path": str(tmp_path)},
            {"action": "list", "project_root": str(tmp_path)},
        ):
            refused = await c.call_tool("alc_pkg", args)
            assert refused.is_error and "action=list" in reply(refused)["error"], args


def _serve_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``alc serve ARGS`` in a subprocess that is expected to refuse to start."""
    env = {k: v for k, v in os.environ.items() if k != "ALC_TOKENS"}
    env["ALC_HOME"] = str(tmp_path / "home")
    store = str(tmp_path / "s.db")
    return subprocess.run(
        [sys.executable, "-m", "alc", "--store", store, "serve", "--port", "0", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_public_host_without_tokens_is_refused(tmp_path: Path) -> None:
    done = _serve_cli(tmp_path, "--host", "0.0.0.0")
    assert done.returncode == 2, done.stderr
    error = json.loads(done.stdout)
    assert error["error_code"] == "invalid_input"
    assert "localhost only" in error["error"] and "--tokens" in error["error"]
    assert "Traceback" not in done.stderr


def test_bad_token_files_are_refused_with_exit_2(tmp_path: Path) -> None:
    short = tmp_path / "short.toml"
    short.write_text('[tokens]\n"abc" = "acme"\n', encoding="utf-8")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    for path, words in ((short, "shorter than 16"), (broken, "cannot read")):
        done = _serve_cli(tmp_path, "--tokens", str(path))
        assert done.returncode == 2, done.stderr
        assert words in json.loads(done.stdout)["error"]
        assert "Traceback" not in done.stderr


SLOW = """
local a = alc.llm('go')
alc.state.set('step_started', true)
local t = alc.time()
repeat for _ = 1, 100000 do end until alc.time() - t >= 2.0
return 'done ' .. a
"""
"""After the answer the step marks its start in alc.state (a row the test can see) and then
computes for 2 s of wall time: SIGTERM arrives while it runs. (It reads the clock once per 100,000
loop turns: every read is journaled and a step may make at most 100,000 of them.)"""


def _step_started(db: str) -> bool:
    import sqlite3

    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM kv WHERE key = 'step_started'").fetchone()[0] > 0


async def test_sigterm_finishes_the_step_in_flight_then_exits(replica: Replica) -> None:
    async with client(replica.url) as c:
        r = reply(await c.call_tool("alc_run", {"code": SLOW}))
        sid = r["session_id"]
        got: dict[str, object] = {}

        async def feed() -> None:
            result = await c.call_tool("alc_continue", {"session_id": sid, "response": "x"})
            got.update(reply(result))

        async with anyio.create_task_group() as tg:
            tg.start_soon(feed)
            while not await anyio.to_thread.run_sync(_step_started, replica.store):
                await anyio.sleep(0.02)
            code = await anyio.to_thread.run_sync(replica.terminate)
    assert got["status"] == "completed" and got["result"] == "done x", (got, replica.lines[-12:])
    assert code == 0
    events = [e.get("event") for e in map(_json_or_empty, replica.lines)]
    assert "draining" in events and events[-1] == "stopped"


def _json_or_empty(line: str) -> dict[str, object]:
    try:
        value = json.loads(line)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


async def test_readiness_fails_when_the_database_goes_away(tmp_path: Path) -> None:
    """PostgreSQL only: drop the replica's database under it; /readyz turns 503 with a coded
    error while /healthz stays 200 (the process is fine, its store is not)."""
    psycopg = pytest.importorskip("psycopg")
    admin = postgres_url()
    url = fresh_database()
    replica = Replica(url, tmp_path / "home")
    try:
        async with httpx2.AsyncClient(base_url=replica.base) as http:
            assert (await http.get("/readyz")).status_code == 200
            name = url.rpartition("/")[2]
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            ready = await http.get("/readyz")
            assert ready.status_code == 503
            body = ready.json()
            assert body["status"] == "unavailable" and body["error_code"] == "store_unavailable"
            assert (await http.get("/healthz")).status_code == 200
    finally:
        replica.stop()
