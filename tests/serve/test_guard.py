"""Issue 24 through a real ``alc serve``: secrets stay out of Lua, logs and journal; nothing is
read from a client before it is authenticated; slow and oversized clients are cut off.

Raw sockets play the hostile clients (a huge body without a token, a body that stalls, headers
that trickle, more connections than the cap); the SDK client plays the honest one.
"""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from _replicas import Replica, client, reply, wait_until
from conftest import fresh_database

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

TOKEN = "tok-guard-" + "7" * 32
SECRET_TOKEN = "tok-SECRET-" + "9" * 32
"""A second tenant's token: a strategy of the first tenant must never read it."""

NAMES = ["ALC_TOKENS", "ALC_STORE", "alc_tokens", "ALC_HOME", "ALC_EXECUTOR", "ALC_WORKERS"]
NAMES += ["ALC_LUA_ENV_ALLOW", "GRANTED", "MODE"]

HOSTILE = """
local seen, env = {}, {}
for _, n in ipairs(ctx.names) do seen[n] = os.getenv(n) or false end
for k, v in pairs(alc.env) do env[k] = v end
print("log: " .. alc.json_encode(seen))
return {seen = seen, env = env, answer = alc.llm("leak: " .. alc.json_encode({seen, env}))}
"""


def serve_env(**extra: str) -> dict[str, str]:
    return {
        "ALC_TOKENS": json.dumps({TOKEN: "acme", SECRET_TOKEN: "globex"}),
        "ALC_LUA_ENV_ALLOW": "ALC_TOKENS,ALC_STORE,GRANTED",
        "GRANTED": "granted-value",
        "ALC_ENV_MODE": "fast",
        **extra,
    }


@pytest.fixture
def guarded(tmp_path: Path) -> Iterator[Replica]:
    one = Replica(
        str(tmp_path / "sessions.db"),
        tmp_path / "home",
        "--max-body-bytes",
        "65536",
        "--body-timeout",
        "1",
        "--header-timeout",
        "2",
        env=serve_env(),
    )
    try:
        yield one
    finally:
        one.stop()


def raw(replica: Replica, timeout: float = 30.0) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", replica.port), timeout=timeout)
    return sock


def head(
    path: str = "/mcp", token: str | None = None, length: int | None = None, close: bool = False
) -> bytes:
    lines = [
        f"POST {path} HTTP/1.1",
        "Host: 127.0.0.1",
        "Content-Type: application/json",
        "Accept: application/json, text/event-stream",
    ]
    if token is not None:
        lines.append(f"Authorization: Bearer {token}")
    if length is not None:
        lines.append(f"Content-Length: {length}")
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return data
        if not chunk:
            return data
        data += chunk


def status_and_headers(response: bytes) -> tuple[int, dict[str, str], bytes]:
    head_part, _, body = response.partition(b"\r\n\r\n")
    lines = head_part.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(lines[0].split()[1]), headers, body


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


# -------------------------------------------------------------------------------- secrets


def _clean(text: str | bytes, *secrets: str) -> None:
    data = text.encode() if isinstance(text, str) else text
    for secret in secrets:
        assert secret.encode() not in data, secret


async def test_a_hostile_strategy_over_http_sees_no_engine_setting(guarded: Replica) -> None:
    async with client(guarded.url, TOKEN) as c:
        first = reply(await c.call_tool("alc_run", {"code": HOSTILE, "ctx": {"names": NAMES}}))
        assert first["status"] == "needs_response", first
        done = reply(
            await c.call_tool(
                "alc_continue", {"session_id": first["session_id"], "response": "fine"}
            )
        )
    assert done["status"] == "completed", done
    granted = {"GRANTED": "granted-value", "MODE": "fast"}
    assert {k: v for k, v in done["result"]["seen"].items() if v} == granted
    assert done["result"]["env"] == granted
    _clean(json.dumps(first) + json.dumps(done), SECRET_TOKEN, TOKEN)
    guarded.stop()
    _clean("\n".join(guarded.lines), SECRET_TOKEN, TOKEN)
    db = Path(guarded.store)
    _clean(b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*")), SECRET_TOKEN, TOKEN)


def test_the_listening_line_redacts_the_store_password(tmp_path: Path) -> None:
    url = fresh_database()  # skipped without a PostgreSQL server
    scheme, _, rest = url.partition("://")
    userinfo, _, where = rest.partition("@")
    password = userinfo.partition(":")[2]
    if not password:  # a trust-auth test server ignores a password: give it one to leak
        password = "pw-SECRET-listening-51c2"
        url = f"{scheme}://{userinfo}:{password}@{where}"
    one = Replica(url, tmp_path / "home", env=serve_env())
    try:
        started = one.events("listening")[0]
    finally:
        one.stop()
    assert ":***@" in started["store"]
    _clean("\n".join(one.lines), password)


# ------------------------------------------------------------------ before authentication


def test_an_unauthenticated_body_is_never_read(guarded: Replica) -> None:
    """A 100 MB body without a token: 401 after the headers, the body unread, the connection
    closed by the server; the replica's memory does not follow the bytes sent."""
    before = rss_kib(guarded.proc.pid)
    sock = raw(guarded)
    sock.sendall(head(length=100_000_000))
    sock.sendall(b"x" * 65536)
    status, headers, body = status_and_headers(read_all(sock))
    sock.close()
    assert status == 401
    assert headers["connection"] == "close"
    challenge = headers["www-authenticate"]
    assert challenge.startswith('Bearer error="invalid_token", error_description="No bearer')
    assert json.loads(body)["error_code"] == "invalid_token"
    wrong = raw(guarded)
    wrong.sendall(head(token="not-a-token-of-this-server-at-all", length=10) + b"0123456789")
    status, headers, _ = status_and_headers(read_all(wrong))
    wrong.close()
    assert status == 401 and "not valid on this server" in headers["www-authenticate"]
    socks = []
    for _ in range(24):  # the review's probe: 24 tokenless connections streaming bodies
        s = raw(guarded)
        s.sendall(head(length=4 * 1024 * 1024))
        with contextlib.suppress(OSError):  # the server answered and closed: the point
            s.sendall(b"y" * (1024 * 1024))
        socks.append(s)
    for s in socks:
        assert status_and_headers(read_all(s))[0] == 401
        s.close()
    grown_mib = (rss_kib(guarded.proc.pid) - before) / 1024
    assert grown_mib < 48, grown_mib  # was +104 MiB when the body was read before the 401


def test_other_routes_never_read_a_body(guarded: Replica) -> None:
    """A chunked body (no Content-Length) to a route that takes none is not buffered: the
    answer comes at once, without waiting for (or reading) the body."""
    for path, status in (("/healthz", 405), ("/nowhere", 404)):
        sock = raw(guarded)
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
            + b"10000\r\n"
            + b"z" * 65536
        )
        sock.settimeout(30)
        first = sock.recv(65536)
        sock.close()
        assert status_and_headers(first)[0] == status, first[:200]


async def test_the_sdk_client_gets_the_401_description(guarded: Replica) -> None:
    import httpx2

    async with httpx2.AsyncClient(base_url=guarded.base) as http:
        response = await http.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
    assert response.status_code == 401
    assert "error_description=" in response.headers["www-authenticate"]
    assert response.json()["error_description"].startswith("No bearer token")


def test_a_stalled_body_is_cut_at_the_body_timeout(guarded: Replica) -> None:
    sock = raw(guarded)
    sock.sendall(head(token=TOKEN, length=1000) + b'{"jsonrpc": "2.0", ')  # then nothing
    status, headers, body = status_and_headers(read_all(sock))
    sock.close()
    assert status == 408 and headers["connection"] == "close"
    assert json.loads(body)["error_code"] == "request_timeout"
    wait_until(lambda: any(e["status"] == 408 for e in guarded.events("request")))


def test_trickled_headers_are_cut_at_the_header_timeout(guarded: Replica) -> None:
    """One header byte every 0.3 s (each byte restarts uvicorn's own keep-alive timer): the
    connection is closed once the header deadline (2 s here) has passed."""
    sock = raw(guarded)
    sock.sendall(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    sock.settimeout(0.3)
    closed = False
    for _ in range(100):  # at most 30 s
        try:
            if sock.recv(1024) == b"":
                closed = True
                break
        except TimeoutError:
            pass
        except OSError:
            closed = True
            break
        try:
            sock.sendall(b"X")  # a header name that never ends
        except OSError:
            closed = True
            break
    sock.close()
    assert closed, "the server kept a connection whose headers never ended"


def test_connections_past_the_cap_get_503(tmp_path: Path) -> None:
    one = Replica(
        str(tmp_path / "sessions.db"),
        tmp_path / "home",
        "--max-connections",
        "4",
        env=serve_env(),
    )
    idle = []
    try:
        for _ in range(4):
            idle.append(raw(one))
        extra = raw(one)
        extra.sendall(head(path="/healthz", close=True).replace(b"POST", b"GET"))
        status, _, _ = status_and_headers(read_all(extra))
        extra.close()
        assert status == 503
        for s in idle:
            s.close()
        wait_until(lambda: _healthz(one) == 200)
    finally:
        for s in idle:
            s.close()
        one.stop()


def _healthz(replica: Replica) -> int:
    sock = raw(replica)
    try:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        return status_and_headers(read_all(sock))[0]
    finally:
        sock.close()


# ------------------------------------------------------------ BodyLimit on other routes (ASGI)


async def _through_limit(messages: list[Any], *, max_bytes: int, timeout: float) -> list[str]:
    """Run a route that reads messages until its body ends, then one more, through
    :class:`BodyLimit` (``/mcp`` guarded up front, this route lazily); the message types it saw.
    A ``None`` in ``messages`` is a client that sends nothing more, a number a pause (seconds)."""
    from alc.mcp._guard import BodyLimit

    feed = list(messages)
    seen: list[str] = []

    async def receive() -> Any:
        item = feed.pop(0) if feed else None
        if isinstance(item, float):
            await anyio.sleep(item)
            item = feed.pop(0)
        if item is None:
            await anyio.sleep_forever()
        return item

    async def route(scope: Any, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            seen.append(message["type"])
            if message["type"] != "http.request" or not message.get("more_body"):
                break
        if seen[-1] == "http.request":
            seen.append((await receive())["type"])

    async def send(message: Any) -> None:
        pass

    limit = BodyLimit(route, max_bytes=max_bytes, timeout=timeout, paths=frozenset({"/mcp"}))
    await limit({"type": "http", "path": "/ui/x", "headers": []}, receive, send)
    return seen


def _part(size: int, more: bool) -> dict[str, Any]:
    return {"type": "http.request", "body": b"b" * size, "more_body": more}


async def test_another_route_reading_a_big_body_sees_a_disconnect() -> None:
    seen = await _through_limit([_part(1024, True)] * 3, max_bytes=2048, timeout=30)
    assert seen == ["http.request", "http.request", "http.disconnect"]


async def test_another_route_reading_a_stalled_body_sees_a_disconnect() -> None:
    seen = await _through_limit([_part(10, True), None], max_bytes=2048, timeout=0.2)
    assert seen == ["http.request", "http.disconnect"]


async def test_after_its_body_a_route_waits_unbounded() -> None:
    """A long reply (SSE) waits for the client's disconnect past the body deadline."""

    seen = await _through_limit(
        [_part(10, False), 0.3, {"type": "http.late"}], max_bytes=2048, timeout=0.05
    )
    assert seen == ["http.request", "http.late"]  # not a disconnect made up at 0.05 s
