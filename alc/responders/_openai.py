"""``openai:<model>``: any OpenAI-compatible Chat Completions endpoint via the ``openai`` package.

Needs the optional extra ``[openai]``; without it the spec is a ``missing_extra`` error naming
the install command for this installation (:mod:`alc._extras`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import anyio

from alc.engine.protocol import Query, Response
from alc.responders._base import BaseResponder
from alc.responders._errors import ResponderError, provider_usage, require_extra

if TYPE_CHECKING:
    import openai

__all__ = ["DEFAULT_MAX_CONCURRENCY", "PASSED_OPTIONS", "OpenAIResponder"]

DEFAULT_MAX_CONCURRENCY = 8
"""How many queries of one batch are in flight at once, by default."""

PASSED_OPTIONS = ("temperature", "top_p", "seed", "stop", "presence_penalty", "frequency_penalty")
"""``alc.llm`` options forwarded to the API when a strategy sets them (others are ignored)."""


class OpenAIResponder(BaseResponder):
    """Answers through the Chat Completions API of OpenAI or any compatible server.

    Each query becomes one ``chat.completions.create`` call with messages
    ``[{"role": "system", ...}?, {"role": "user", "content": prompt}]``, ``max_tokens`` =
    ``query.max_tokens`` and the options of :data:`PASSED_OPTIONS` found in ``query.options``
    (``temperature`` above all). The response carries the real token usage
    (``prompt_tokens`` / ``completion_tokens`` -> :class:`~alc.Usage`).

    Configuration comes from the environment like the ``openai`` package itself:
    ``OPENAI_API_KEY`` (required; any placeholder works for local servers that ignore it) and
    ``OPENAI_BASE_URL`` (e.g. ``http://localhost:11434/v1`` for Ollama); the constructor
    arguments override them.

    Differs from the other built-ins: batches (``respond_many``) run concurrently, at most
    ``max_concurrency`` requests at a time, and :meth:`arespond` is native async.
    """

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        timeout: float = 600.0,
        max_retries: int = 2,
    ) -> None:
        """Args:
            model: the model name the server knows (``gpt-4o-mini``, ``llama3.2``, ...).
            base_url: API root ending in ``/v1``; default ``$OPENAI_BASE_URL`` or OpenAI's.
            api_key: default ``$OPENAI_API_KEY``.
            max_concurrency: requests of one batch in flight at once (>= 1).
            timeout: seconds per request.
            max_retries: retries on connection errors, 429 and 5xx (the ``openai`` backoff).

        Raises:
            MissingExtra: ``openai`` is not installed (the ``[openai]`` extra).
            ResponderError: no model was named, no API key is configured, or
                ``max_concurrency`` < 1.
        """
        self._openai = require_extra("openai", extra="openai", responder="openai")
        if not model.strip():
            raise ResponderError(
                "The openai responder needs a model: --llm openai:gpt-4o-mini", responder="openai"
            )
        if max_concurrency < 1:
            raise ResponderError(
                f"max_concurrency must be at least 1, not {max_concurrency}.", responder="openai"
            )
        self.model = model.strip()
        self.name = f"openai:{self.model}"
        self.max_concurrency = max_concurrency
        self._settings: dict[str, Any] = {
            "base_url": base_url or os.environ.get("OPENAI_BASE_URL") or None,
            "api_key": api_key,
            "timeout": timeout,
            "max_retries": max_retries,
        }
        self._async_client: openai.AsyncOpenAI | None = None
        self._async_lock = threading.Lock()
        try:
            self._client: openai.OpenAI = self._openai.OpenAI(**self._settings)
        except self._openai.OpenAIError as exc:
            raise self._translate(exc, None) from exc

    @classmethod
    def from_arg(cls, arg: str | None) -> OpenAIResponder:
        """Factory of the spec ``openai:<model>``. Raises ``ResponderError``."""
        return cls(arg or "")

    @property
    def base_url(self) -> str:
        """The API root in use (``https://api.openai.com/v1`` unless configured)."""
        return str(self._client.base_url)

    def _request(self, query: Query) -> dict[str, Any]:
        messages: list[dict[str, str]] = []
        if query.system:
            messages.append({"role": "system", "content": query.system})
        messages.append({"role": "user", "content": query.prompt})
        request: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "max_tokens": query.max_tokens,
        }
        for key in PASSED_OPTIONS:
            if query.options.get(key) is not None:
                request[key] = query.options[key]
        return request

    def _response(self, completion: Any, query: Query) -> Response:
        choices = getattr(completion, "choices", None) or []
        if not choices:
            raise ResponderError(
                f"{self.name} at {self.base_url} returned no choices for {query.id}.",
                responder=self.name,
                query_id=query.id,
            )
        message = choices[0].message
        if message.content is None:
            why = getattr(message, "refusal", None) or f"finish_reason={choices[0].finish_reason}"
            raise ResponderError(
                f"{self.name} returned no text for {query.id} ({why}).",
                responder=self.name,
                query_id=query.id,
            )
        usage = getattr(completion, "usage", None)
        if usage is None:
            return Response(text=message.content)
        counts = (getattr(usage, "prompt_tokens", None), getattr(usage, "completion_tokens", None))
        return Response(
            text=message.content,
            usage=provider_usage(*counts, responder=self.name, query_id=query.id),
        )

    def respond(self, query: Query) -> Response:
        """One Chat Completions request for ``query``.

        Raises:
            ResponderError: the server was unreachable, refused the request (the HTTP status
                and its message are named), or returned no text.
        """
        try:
            completion = self._client.chat.completions.create(**self._request(query))
        except self._openai.OpenAIError as exc:
            raise self._translate(exc, query) from exc
        return self._response(completion, query)

    def respond_many(self, queries: Sequence[Query]) -> list[Response]:
        """Answer a batch concurrently, at most ``max_concurrency`` requests in flight.

        Returns the responses in the order of ``queries``. If some fail, the error of the first
        failing query (in input order) is raised after the batch settles.

        Raises:
            ResponderError: as :meth:`respond`.
        """
        if len(queries) <= 1:
            return [self.respond(q) for q in queries]
        workers = min(self.max_concurrency, len(queries))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="alc-openai") as pool:
            futures = [pool.submit(self.respond, q) for q in queries]
            return [f.result() for f in futures]

    def _aclient(self) -> openai.AsyncOpenAI:
        with self._async_lock:
            if self._async_client is None:
                try:
                    self._async_client = self._openai.AsyncOpenAI(**self._settings)
                except self._openai.OpenAIError as exc:
                    raise self._translate(exc, None) from exc
            return self._async_client

    async def arespond(self, query: Query) -> Response:
        """:meth:`respond` for async code (asyncio), without a worker thread.

        Raises:
            ResponderError: as :meth:`respond`.
        """
        try:
            completion = await self._aclient().chat.completions.create(**self._request(query))
        except self._openai.OpenAIError as exc:
            raise self._translate(exc, query) from exc
        return self._response(completion, query)

    async def arespond_many(self, queries: Sequence[Query]) -> list[Response]:
        """:meth:`respond_many` for async code: concurrent, bounded by ``max_concurrency``.

        Raises:
            ResponderError: as :meth:`respond` (the first failure cancels the rest).
        """
        results: list[Response | None] = [None] * len(queries)
        limiter = anyio.CapacityLimiter(self.max_concurrency)

        async def one(i: int, query: Query) -> None:
            async with limiter:
                results[i] = await self.arespond(query)

        async with anyio.create_task_group() as tg:
            for i, query in enumerate(queries):
                tg.start_soon(one, i, query)
        return [r for r in results if r is not None]

    def close(self) -> None:
        """Close the HTTP connection pool(s). Safe to call twice."""
        self._client.close()

    async def aclose(self) -> None:
        """Close both clients from async code."""
        self._client.close()
        if self._async_client is not None:
            await self._async_client.close()

    def _translate(self, exc: Exception, query: Query | None) -> ResponderError:
        """The one place ``openai`` exceptions become ``ResponderError``."""
        o = self._openai
        where = self._settings["base_url"] or "the OpenAI API"
        on = f" on query {query.id}" if query is not None else ""
        if isinstance(exc, o.APITimeoutError):
            message = (
                f"{self.name}: {where} did not answer in time{on}. Retry, or raise the timeout."
            )
        elif isinstance(exc, o.APIConnectionError):
            message = (
                f"{self.name}: cannot connect to {where}{on} ({exc.__cause__ or exc}). Check that "
                "the server runs and that OPENAI_BASE_URL points at its /v1 root."
            )
        elif isinstance(exc, o.APIStatusError):
            hint = {
                401: " Check OPENAI_API_KEY.",
                403: " The key may lack access to this model.",
                404: " Check the model name and that OPENAI_BASE_URL ends with /v1.",
                429: " Rate limited or out of quota; wait, or lower the batch concurrency.",
            }.get(exc.status_code, "")
            message = (
                f"{self.name}: {where} answered HTTP {exc.status_code}{on}: {exc.message}.{hint}"
            )
        elif "api_key" in str(exc):
            message = (
                f"{self.name}: no API key. Set OPENAI_API_KEY (any placeholder works for a local "
                "server that ignores keys) and, for a non-OpenAI server, OPENAI_BASE_URL."
            )
        else:
            message = f"{self.name}: the openai client failed{on}: {exc}"
        return ResponderError(
            message, responder=self.name, query_id=query.id if query is not None else None
        )
