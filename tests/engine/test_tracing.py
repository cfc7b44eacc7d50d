"""OpenTelemetry traces: a real OTLP/HTTP exporter in `alc` subprocesses posting to a receiver
on 127.0.0.1 that this test runs; one trace per session across processes, GenAI attributes."""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alc.engine.tracing import enabled, session_ids

trace_service = pytest.importorskip(
    "opentelemetry.proto.collector.trace.v1.trace_service_pb2", reason="the [otel] extra"
)


class Receiver(http.server.ThreadingHTTPServer):
    """An OTLP/HTTP trace receiver: POST /v1/traces (protobuf) -> spans as dicts."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.spans: list[dict[str, Any]] = []
        self.lock = threading.Lock()


class _Handler(http.server.BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        request = trace_service.ExportTraceServiceRequest()
        request.ParseFromString(body)
        with self.server.lock:
            for resource in request.resource_spans:
                for scope in resource.scope_spans:
                    for span in scope.spans:
                        self.server.spans.append(_span(span))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()
        self.wfile.write(trace_service.ExportTraceServiceResponse().SerializeToString())

    def log_message(self, *args: Any) -> None:
        pass


def _span(span: Any) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    for kv in span.attributes:
        value = kv.value
        kind = value.WhichOneof("value")
        if kind == "array_value":
            attrs[kv.key] = [v.string_value for v in value.array_value.values]
        else:
            attrs[kv.key] = getattr(value, kind)
    return {
        "name": span.name,
        "trace_id": int.from_bytes(span.trace_id, "big"),
        "span_id": int.from_bytes(span.span_id, "big"),
        "parent": int.from_bytes(span.parent_span_id, "big") if span.parent_span_id else None,
        "status": span.status.code,  # 2 = ERROR
        "message": span.status.message,
        "attrs": attrs,
        "start": span.start_time_unix_nano,
        "end": span.end_time_unix_nano,
    }


@pytest.fixture()
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


def alc_cli(tmp_path: Path, receiver: Receiver, *args: str, **env: str) -> dict[str, Any]:
    port = receiver.server_address[1]
    environment = {
        **os.environ,
        "ALC_HOME": str(tmp_path / "home"),
        "ALC_STORE": str(tmp_path / "s.db"),
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{port}",
        "OTEL_SERVICE_NAME": "alc-test",
        **env,
    }
    done = subprocess.run(
        [sys.executable, "-m", "alc", "--json", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode in (0, 1), done.stderr
    return dict(json.loads(done.stdout))


@pytest.mark.slow
def test_one_trace_per_session_across_processes(tmp_path: Path, receiver: Receiver) -> None:
    code = (
        "local a = alc.llm('What is 2+2?', {system = 'Be brief.', model = 'm-1', max_tokens = 9})"
        " local b = alc.llm('And 3+3?') return {a = a, b = b}"
    )
    first = alc_cli(tmp_path, receiver, "run", "--code", code)
    sid = first["session_id"]
    alc_cli(tmp_path, receiver, "continue", sid, "4")
    last = alc_cli(tmp_path, receiver, "continue", sid, "6")
    assert last["status"] == "completed"

    trace_id, root_id = session_ids(sid)
    spans = [s for s in receiver.spans if s["attrs"].get("alc.session.id") == sid]
    assert {s["trace_id"] for s in spans} == {trace_id}  # three processes, one trace
    steps = [s for s in spans if s["name"] == "alc.step"]
    assert [s["attrs"]["alc.step.kind"] for s in sorted(steps, key=lambda s: s["start"])] == [
        "start",
        "feed",
        "feed",
    ]
    assert all(s["parent"] == root_id for s in steps)
    (root,) = [s for s in spans if s["name"].startswith("alc.session")]
    assert root["span_id"] == root_id and root["parent"] is None
    assert root["attrs"]["alc.outcome"] == "completed"
    chats = {s["attrs"]["alc.query.id"]: s for s in spans if s["name"].startswith("chat")}
    assert set(chats) == {"q-0", "q-1"}
    q0 = chats["q-0"]["attrs"]
    assert q0["gen_ai.operation.name"] == "chat" and q0["gen_ai.request.model"] == "m-1"
    assert q0["gen_ai.request.max_tokens"] == 9 and q0["alc.usage.source"] == "estimated"
    assert q0["gen_ai.usage.output_tokens"] >= 1 and q0["alc.prompt.chars"] > 0
    assert "gen_ai.input.messages" not in q0  # text only when the user opts in
    assert all(chats[q]["end"] >= chats[q]["start"] for q in chats)


@pytest.mark.slow
def test_errors_are_span_status_and_text_is_opt_in(tmp_path: Path, receiver: Receiver) -> None:
    failed = alc_cli(tmp_path, receiver, "run", "--code", "error('boom on purpose')")
    assert failed["error_code"] == "lua_error"
    sid = failed["session_id"]
    (step,) = [
        s for s in receiver.spans if s["name"] == "alc.step" and s["attrs"]["alc.session.id"] == sid
    ]
    assert step["status"] == 2 and step["attrs"]["error.type"] == "lua_error"
    assert "boom on purpose" in step["message"]

    on = {"OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "true"}
    paused = alc_cli(tmp_path, receiver, "run", "--code", "return alc.llm('secret prompt')", **on)
    alc_cli(tmp_path, receiver, "continue", paused["session_id"], "secret answer", **on)
    (chat,) = [
        s
        for s in receiver.spans
        if s["name"] == "chat q-0" and s["attrs"]["alc.session.id"] == paused["session_id"]
    ]
    assert "secret prompt" in chat["attrs"]["gen_ai.input.messages"]
    assert "secret answer" in chat["attrs"]["gen_ai.output.messages"]


def test_off_unless_the_environment_asks() -> None:
    assert not enabled({})
    assert enabled({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"})
    assert enabled({"OTEL_TRACES_EXPORTER": "console"})
    assert not enabled({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "x"})
    assert not enabled({"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"})
    a, b = session_ids("s-" + "1" * 32), session_ids("s-" + "2" * 32)
    assert a != b and a == session_ids("s-" + "1" * 32)


@pytest.mark.slow
def test_a_fork_childs_queries_name_the_child(tmp_path: Path, receiver: Receiver) -> None:
    first = alc_cli(
        tmp_path, receiver, "run", "--code", "return alc.fork({'direct', 'direct'}, {task = 'x'})"
    )
    sid = first["session_id"]
    alc_cli(tmp_path, receiver, "continue", sid, "--responses", '{"q-0": "a", "q-1": "b"}')
    chats = {
        s["attrs"]["alc.query.id"]: s["attrs"]
        for s in receiver.spans
        if s["name"].startswith("chat") and s["attrs"]["alc.session.id"] == sid
    }
    assert chats["q-0"]["alc.fork.child"] == 0 and chats["q-1"]["alc.fork.child"] == 1
    assert chats["q-1"]["alc.fork.strategy"] == "direct"
