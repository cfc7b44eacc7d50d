"""openai:<model> against a real Chat Completions server on 127.0.0.1 (no client mocks)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import anyio
import pytest

pytest.importorskip("openai")

from alc.engine.protocol import Query, Response, Usage
from alc.responders import OpenAIResponder, ResponderError, arespond, from_spec


@dataclass
class ChatServer:
    """A tiny OpenAI-compatible server: answers "echo: <user message>" with real usage."""

    delay: float = 0.0
    status: int = 200
    requests: list[dict[str, Any]] = field(default_factory=list)
    auth: list[str] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        body = json.loads(handler.rfile.read(int(handler.headers["Content-Length"])))
        with self.lock:
            self.requests.append({"path": handler.path, **body})
            self.auth.append(handler.headers.get("Authorization", ""))
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            time.sleep(self.delay)
            if handler.path != "/v1/chat/completions":
                self.send(handler, 404, {"error": {"message": "no such route", "type": "x"}})
            elif self.status != 200:
                self.send(handler, self.status, {"error": {"message": "model is on fire"}})
            else:
                user = body["messages"][-1]["content"]
                self.send(
                    handler,
                    200,
                    {
                        "id": "chatcmpl-1",
                        "object": "chat.completion",
                        "created": 0,
                        "model": body["model"],
                        "choices": [
                            {
                                "index": 0,
                                "finish_reason": "stop",
                                "message": {"role": "assistant", "content": f"echo: {user}"},
                            }
                        ],
                        "usage": {
                            "prompt_tokens": len(user.split()) + 7,
                            "completion_tokens": len(user.split()) + 1,
                            "total_tokens": 2 * len(user.split()) + 8,
                        },
                    },
                )
        finally:
            with self.lock:
                self.in_flight -= 1

    @staticmethod
    def send(handler: BaseHTTPRequestHandler, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ChatServer]:
    state = ChatServer()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            state.handle(self)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    monkeypatch.setenv("OPENAI_BASE_URL", state.url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-key")
    yield state
    httpd.shutdown()
    httpd.server_close()


def test_one_query_sends_system_user_max_tokens_temperature_and_reports_usage(
    server: ChatServer,
) -> None:
    llm = from_spec("openai:tiny-model")
    query = Query(
        id="q-0",
        prompt="why is the sky blue",
        system="be brief",
        max_tokens=77,
        options={"temperature": 0.3, "model": "ignored", "seed": 5},
    )
    assert llm.respond(query) == Response(
        text="echo: why is the sky blue", usage=Usage(prompt_tokens=12, response_tokens=6)
    )
    sent = server.requests[0]
    assert sent["path"] == "/v1/chat/completions"
    assert sent["model"] == "tiny-model"
    assert sent["messages"] == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "why is the sky blue"},
    ]
    assert (sent["max_tokens"], sent["temperature"], sent["seed"]) == (77, 0.3, 5)
    assert server.auth == ["Bearer sk-test-key"]


def test_without_system_or_temperature_only_the_user_message_is_sent(server: ChatServer) -> None:
    OpenAIResponder("m").respond(Query(id="q-0", prompt="hi"))
    sent = server.requests[0]
    assert sent["messages"] == [{"role": "user", "content": "hi"}]
    assert "temperature" not in sent
    assert sent["max_tokens"] == 1024


def test_a_batch_runs_concurrently_within_the_bound_and_keeps_order(server: ChatServer) -> None:
    server.delay = 0.3
    llm = OpenAIResponder("m", max_concurrency=3)
    queries = [Query(id=f"q-{i}", prompt=f"n{i}") for i in range(7)]
    started = time.monotonic()
    out = llm.respond_many(queries)
    elapsed = time.monotonic() - started
    assert [r.text for r in out] == [f"echo: n{i}" for i in range(7)]
    assert server.max_in_flight == 3
    assert elapsed < 7 * 0.3 * 0.75  # ceil(7/3) = 3 rounds, not 7 sequential calls


def test_native_async_answers_and_bounded_async_batch(server: ChatServer) -> None:
    server.delay = 0.2
    llm = OpenAIResponder("m", max_concurrency=2)

    async def main() -> tuple[Response, list[Response]]:
        one = await arespond(llm, Query(id="q-0", prompt="async"))
        many = await llm.arespond_many([Query(id=f"q-{i}", prompt=f"b{i}") for i in range(1, 5)])
        await llm.aclose()
        return one, many

    one, many = anyio.run(main)
    assert one.text == "echo: async"
    assert one.usage == Usage(prompt_tokens=8, response_tokens=2)
    assert [r.text for r in many] == [f"echo: b{i}" for i in range(1, 5)]
    assert server.max_in_flight == 2


def test_http_errors_become_responder_errors_naming_status_and_message(
    server: ChatServer,
) -> None:
    server.status = 401
    llm = OpenAIResponder("m", max_retries=0)
    with pytest.raises(ResponderError, match=r"HTTP 401 on query q-3.*Check OPENAI_API_KEY") as e:
        llm.respond(Query(id="q-3", prompt="p"))
    assert e.value.error_code == "responder_failed"
    assert type(e.value.__cause__).__name__ == "AuthenticationError"
    server.status = 500
    with pytest.raises(ResponderError, match=r"HTTP 500.*model is on fire"):
        llm.respond(Query(id="q-4", prompt="p"))


def test_a_wrong_base_url_is_a_404_with_a_hint(
    server: ChatServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    llm = OpenAIResponder("m", base_url=server.url.removesuffix("/v1"), max_retries=0)
    with pytest.raises(ResponderError, match=r"HTTP 404.*ends with /v1"):
        llm.respond(Query(id="q-0", prompt="p"))


def test_a_batch_failure_raises_the_first_failing_query(server: ChatServer) -> None:
    server.status = 503
    llm = OpenAIResponder("m", max_retries=0)
    with pytest.raises(ResponderError, match="on query q-0"):
        llm.respond_many([Query(id=f"q-{i}", prompt="p") for i in range(3)])


def test_unreachable_server_says_how_to_fix_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("OPENAI_API_KEY", "k")
    llm = OpenAIResponder("m", base_url=f"http://127.0.0.1:{port}/v1", max_retries=0)
    with pytest.raises(ResponderError, match=r"cannot connect to http://127.0.0.1:\d+/v1"):
        llm.respond(Query(id="q-0", prompt="p"))


def test_missing_api_key_is_reported_at_construction(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ResponderError, match="Set OPENAI_API_KEY"):
        from_spec("openai:gpt-4o-mini")
