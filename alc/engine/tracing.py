"""OpenTelemetry traces of sessions, through the official SDK; off (and free) unless configured.

Configured only by the standard environment variables: tracing is on when ``OTEL_TRACES_EXPORTER``
names an exporter (``otlp``, ``console``) or an OTLP endpoint is set
(``OTEL_EXPORTER_OTLP_ENDPOINT`` / ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``), and not
``OTEL_SDK_DISABLED=true``. ``OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL`` picks ``http/protobuf``
(the default) or ``grpc``; headers, timeouts, batching (``OTEL_BSP_*``), sampling
(``OTEL_TRACES_SAMPLER``) and the resource (``OTEL_SERVICE_NAME``, default ``alc``;
``OTEL_RESOURCE_ATTRIBUTES``) are the SDK's own. The packages come with the ``[otel]`` extra.
When nothing is set, :func:`tracer` returns None after one environment lookup and the engine's
hooks cost one ``is None`` test.

What a session looks like in a backend (Jaeger, Phoenix, Langfuse, ...):

- **one trace per session**: the trace id is derived from the session id (sha-256), so every
  process that serves the session (a CLI call per step, replicas, a restarted server) adds its
  spans to the same trace without passing any context around; every span carries
  ``alc.session.id``;
- a root span ``alc.session <strategy>`` with the same derived span id, written once by the
  process that ends the session (it starts at the session's creation);
- a span per **step** (``alc.step``: a start, or the feed that resumed the strategy) under the
  root, with the outcome (``alc.outcome``), the queries it paused on, and a coded error as the
  span's error status (``error.type`` = the ``error_code``); steps on the process executor are
  included (the span is opened where the step is requested);
- a span per **alc.llm query** (``chat``), from the pause that issued it to the answer that came
  back, following the GenAI semantic conventions: ``gen_ai.operation.name``,
  ``gen_ai.request.max_tokens`` / ``model`` / ``temperature`` when the strategy set them,
  ``gen_ai.usage.input_tokens`` / ``output_tokens`` (as the driver reported them, else estimated:
  ``alc.usage.source``), prompt and answer sizes; the prompt and answer text only when
  ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true``
  (``gen_ai.input.messages`` / ``gen_ai.output.messages``).
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import hashlib
import json
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from alc._extras import import_module, require
from alc.engine.accounting import estimate_tokens
from alc.engine.protocol import Failed, NeedsResponse, Outcome, Query, Response

__all__ = ["CONTENT_ENV", "SessionTracer", "enabled", "session_ids", "tracer"]

CONTENT_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
"""Set to ``true`` to record prompt and answer text on query spans (off by default)."""
_ON_ENV = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")


def enabled(env: Any = None) -> bool:
    """Whether the environment asks for traces (see the module docs)."""
    env = os.environ if env is None else env
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporter = str(env.get("OTEL_TRACES_EXPORTER", "")).strip().lower()
    if exporter:
        return exporter != "none"
    return any(bool(env.get(name)) for name in _ON_ENV)


def session_ids(session_id: str) -> tuple[int, int]:
    """The (trace id, root span id) of a session: 128 and 64 bits of sha-256 of its id (never 0)."""
    digest = hashlib.sha256(session_id.encode()).digest()
    trace_id = int.from_bytes(digest[:16], "big") or 1
    span_id = int.from_bytes(digest[16:24], "big") or 1
    return trace_id, span_id


@functools.cache
def tracer() -> SessionTracer | None:
    """The process's session tracer, or None when tracing is off (decided once per process).

    Raises:
        MissingExtra: tracing is configured but the ``[otel]`` extra is not installed.
    """
    if not enabled():
        return None
    return SessionTracer()


class SessionTracer:
    """The spans of sessions (see the module docs); thread-safe."""

    def __init__(self) -> None:
        require("otel", needed_by="OpenTelemetry tracing (OTEL_* is set)")
        from opentelemetry import trace
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

        self._trace = trace
        resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME") or "alc"})
        self._ids = _forced_ids()
        self.provider = TracerProvider(resource=resource, id_generator=self._ids)
        exporter_name = os.environ.get("OTEL_TRACES_EXPORTER", "otlp").strip().lower()
        exporter = ConsoleSpanExporter() if exporter_name == "console" else _otlp_exporter()
        self.provider.add_span_processor(BatchSpanProcessor(exporter))
        self._tracer = self.provider.get_tracer("alc")
        self.content = os.environ.get(CONTENT_ENV, "").strip().lower() == "true"
        atexit.register(self.provider.shutdown)  # a CLI call exports before it exits

    def _parent(self, session_id: str) -> Any:
        from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

        trace_id, span_id = session_ids(session_id)
        context = SpanContext(trace_id, span_id, True, TraceFlags(TraceFlags.SAMPLED))
        return self._trace.set_span_in_context(NonRecordingSpan(context))

    def step(
        self, session_id: str, kind: str, strategy: str | None, start_ns: int, outcome: Outcome
    ) -> None:
        """The span of one step (``kind``: ``start`` or ``feed``) that began at ``start_ns``
        (``time.time_ns()``) and ended with ``outcome``."""
        from opentelemetry.trace import SpanKind, Status, StatusCode

        span = self._tracer.start_span(
            "alc.step",
            context=self._parent(session_id),
            kind=SpanKind.INTERNAL,
            start_time=start_ns,
            attributes={
                "alc.session.id": session_id,
                "alc.step.kind": kind,
                "alc.strategy": strategy or "(code)",
                "alc.outcome": outcome.status,
            },
        )
        if isinstance(outcome, NeedsResponse):
            span.set_attribute("alc.queries", [q.id for q in outcome.queries])
        if isinstance(outcome, Failed):
            span.set_attribute("error.type", outcome.error_code)
            span.set_status(
                Status(StatusCode.ERROR, f"{outcome.error_code}: {outcome.error[:200]}")
            )
        span.end()

    def answered(
        self,
        session_id: str,
        pairs: Sequence[tuple[Query, Response]],
        paused_at: float,
        forks: Mapping[str, tuple[int, str]] | None = None,
    ) -> None:
        """One ``chat`` span per answered query, from its pause (epoch seconds) to now; a query
        an ``alc.fork`` child asked carries ``alc.fork.child`` and ``alc.fork.strategy``."""
        start = int(paused_at * 1e9)
        parent = self._parent(session_id)
        for query, response in pairs:
            attributes = _chat_attributes(session_id, query, response, self.content)
            fork = (forks or {}).get(query.id)
            if fork is not None:
                attributes["alc.fork.child"], attributes["alc.fork.strategy"] = fork
            span = self._tracer.start_span(
                f"chat {query.id}", context=parent, start_time=start, attributes=attributes
            )
            span.end()

    def ended(
        self, session_id: str, strategy: str | None, created_at: float, outcome: Outcome
    ) -> None:
        """The session's root span (its derived span id), from its creation to now."""
        from opentelemetry.trace import Status, StatusCode

        trace_id, span_id = session_ids(session_id)
        with self._ids.forced(trace_id, span_id):
            span = self._tracer.start_span(
                f"alc.session {strategy or '(code)'}",
                context=self._trace.set_span_in_context(self._trace.INVALID_SPAN),
                start_time=int(created_at * 1e9),
                attributes={
                    "alc.session.id": session_id,
                    "alc.strategy": strategy or "(code)",
                    "alc.outcome": outcome.status,
                },
            )
        if isinstance(outcome, Failed):
            span.set_attribute("error.type", outcome.error_code)
            span.set_status(Status(StatusCode.ERROR, outcome.error_code))
        span.end()


def _chat_attributes(
    session_id: str, query: Query, response: Response, content: bool
) -> dict[str, Any]:
    """The GenAI semantic-convention attributes of one answered query."""
    prompt_chars = len(query.prompt) + len(query.system or "")
    attributes: dict[str, Any] = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "alc.driver",
        "alc.session.id": session_id,
        "alc.query.id": query.id,
        "gen_ai.request.max_tokens": query.max_tokens,
        "alc.prompt.chars": prompt_chars,
        "alc.answer.chars": len(response.text),
    }
    for option, key in (("model", "model"), ("temperature", "temperature")):
        value = query.options.get(option) if query.options else None
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            attributes[f"gen_ai.request.{key}"] = value
    usage = response.usage
    given_in = usage.prompt_tokens if usage else None
    given_out = usage.response_tokens if usage else None
    estimated_in, estimated_out = estimate_tokens(prompt_chars), estimate_tokens(len(response.text))
    attributes["gen_ai.usage.input_tokens"] = estimated_in if given_in is None else given_in
    attributes["gen_ai.usage.output_tokens"] = estimated_out if given_out is None else given_out
    provided = given_in is not None or given_out is not None
    attributes["alc.usage.source"] = "provided" if provided else "estimated"
    if content:
        messages = [{"role": "user", "parts": [{"type": "text", "content": query.prompt}]}]
        if query.system:
            system = {"role": "system", "parts": [{"type": "text", "content": query.system}]}
            messages.insert(0, system)
        answer = [{"role": "assistant", "parts": [{"type": "text", "content": response.text}]}]
        attributes["gen_ai.input.messages"] = json.dumps(messages, ensure_ascii=False)
        attributes["gen_ai.output.messages"] = json.dumps(answer, ensure_ascii=False)
    return attributes


def _otlp_exporter() -> Any:
    protocol = (
        (
            os.environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
            or os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL")
            or "http/protobuf"
        )
        .strip()
        .lower()
    )
    module = "grpc" if protocol == "grpc" else "http"
    exporter = import_module(
        f"opentelemetry.exporter.otlp.proto.{module}.trace_exporter",
        extra="otel",
        needed_by=f"the OTLP trace exporter ({protocol})",
    )
    return exporter.OTLPSpanExporter()


def _forced_ids() -> Any:
    """The SDK's random id generator, except inside its ``forced(trace_id, span_id)`` block,
    which hands out the given ids (the session root span's derived ones)."""
    from opentelemetry.sdk.trace.id_generator import RandomIdGenerator

    class ForcedIds(RandomIdGenerator):
        def __init__(self) -> None:
            self._local = threading.local()

        @contextlib.contextmanager
        def forced(self, trace_id: int, span_id: int) -> Iterator[None]:
            self._local.ids = (trace_id, span_id)
            try:
                yield
            finally:
                self._local.ids = None

        def generate_trace_id(self) -> int:
            ids = getattr(self._local, "ids", None)
            return ids[0] if ids else super().generate_trace_id()

        def generate_span_id(self) -> int:
            ids = getattr(self._local, "ids", None)
            return ids[1] if ids else super().generate_span_id()

    return ForcedIds()
