"""The ``alc mcp`` server: tools mapped one-to-one onto :class:`~alc.AsyncEngine` calls.

:class:`AlcMCP` owns the engine, the thought chains and the :class:`MCPServer` (official SDK 2.x).
Every tool handler parses its arguments, makes one engine call, and hands the wire object to
:func:`_result`, which returns it as structured content and as JSON text. :func:`_tool_error`
is the one place where an :class:`~alc.engine.errors.AlcError` becomes an MCP tool error
(``isError``) carrying the JSON error object with its ``error_code``; any other exception (a bug)
becomes the same kind of tool error with ``error_code`` ``internal_error`` (``ALC_TRACEBACK=1``
lets it through instead). The stdio transport answers undecodable requests with a JSON-RPC error
(:mod:`alc.mcp._stdio`).

Lua steps run on worker threads (``AsyncEngine``), so the event loop keeps serving other
sessions while one step computes. Nothing a strategy prints reaches stdout: the engine routes
``print`` / ``io.write`` to the session log, and the SDK's stdio transport serves the wire from a
private copy of fd 1 while fd 1 itself points at stderr.

Sampling mode (opt-in, ``sampling=True``): ``alc_run`` / ``alc_advice`` / ``alc_continue`` resolve
the session's ``alc.llm`` queries through the client's own LLM instead of returning
``needs_response``. On protocol 2026-07-28 and later this uses multi-round-trip requests (the
tool returns ``input_required`` with one sampling request per pending query and the session id as
``request_state``; the client answers and retries); on earlier protocols it sends
``sampling/createMessage`` requests. Clients without the sampling capability get the plain loop.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from collections.abc import Awaitable, Callable
from importlib import resources
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError
from mcp.server.mcpserver.tools.base import Tool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase, FuncMetadata
from mcp_types import (
    CallToolResult,
    CreateMessageRequest,
    CreateMessageRequestParams,
    CreateMessageResult,
    InputRequiredResult,
    SamplingMessage,
    TextContent,
    ToolAnnotations,
)
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from pydantic import ConfigDict

from alc._api import AsyncEngine
from alc.engine.catalog import catalogue, describe, engine_info
from alc.engine.errors import AlcError, InvalidInput
from alc.engine.executor import make_executor
from alc.engine.protocol import NeedsResponse, Outcome, Query, Response, SessionSnapshot, dumps
from alc.mcp._stdio import StdioServer
from alc.mcp._tools import (
    TOOLS,
    AdviceArgs,
    CancelArgs,
    ContinueArgs,
    InfoArgs,
    RunArgs,
    StatusArgs,
    StrategiesArgs,
    ToolSpec,
    parse_args,
)
from alc.thinking import ThoughtChains

__all__ = ["SERVER_NAME", "AlcMCP", "create_server"]

SERVER_NAME = "alc"

_log = logging.getLogger("alc.mcp")

_INSTRUCTIONS = (
    "alc runs LLM reasoning strategies written in Lua. Start one with alc_advice (a named "
    "strategy) or alc_run (your own Lua). Whenever the strategy needs an LLM answer the reply "
    'is status "needs_response" with a prompt for you: answer it yourself and call '
    'alc_continue with the session_id, until status is "completed". For step-by-step '
    "thinking use sequentialthinking, one call per thought."
)

ToolReply = CallToolResult | InputRequiredResult
"""What a tool returns: a result, or (sampling on 2026-07-28+) a request for sampled answers."""

Handler = Callable[[dict[str, Any], Context], Awaitable[ToolReply]]


class _RawArguments(ArgModelBase):
    """Accept any JSON object; the handler validates it against its own model."""

    model_config = ConfigDict(extra="allow")

    def model_dump_one_level(self) -> dict[str, Any]:
        return {"arguments": dict(self.model_extra or {})}


def _result(wire: dict[str, Any]) -> CallToolResult:
    """A successful tool result: the wire object as structured content and as JSON text."""
    return CallToolResult(
        content=[TextContent(type="text", text=dumps(wire))], structured_content=wire
    )


def _tool_error(exc: AlcError) -> CallToolResult:
    """The one place an alc error becomes an MCP tool error (``isError`` + the JSON object)."""
    wire = exc.to_wire()
    return CallToolResult(
        content=[TextContent(type="text", text=dumps(wire))],
        structured_content=wire,
        is_error=True,
    )


def _internal_error(tool: str, exc: Exception) -> CallToolResult:
    """An unexpected exception in a tool (a bug) as a tool error with ``internal_error``."""
    try:
        detail = str(exc)[:500]
    except Exception:  # an exception whose __str__ fails: its type must do
        detail = "(no message)"
    _log.error("internal error in %s: %s: %s", tool, type(exc).__name__, ascii(detail))
    wire = {
        "error": f"{tool} failed unexpectedly ({type(exc).__name__}: {detail}). This is a bug "
        "in alc; the server goes on serving. Set ALC_TRACEBACK=1 to see the traceback.",
        "error_code": "internal_error",
        "status": "error",
    }
    return CallToolResult(
        content=[TextContent(type="text", text=dumps(wire))],
        structured_content=wire,
        is_error=True,
    )


def _answer_text(result: CreateMessageResult) -> str:
    content = result.content
    blocks = content if isinstance(content, list) else [content]
    return "".join(b.text for b in blocks if isinstance(b, TextContent))


def _sampling_request(query: Query) -> CreateMessageRequestParams:
    temperature = query.options.get("temperature")
    return CreateMessageRequestParams(
        messages=[
            SamplingMessage(role="user", content=TextContent(type="text", text=query.prompt))
        ],
        system_prompt=query.system,
        max_tokens=query.max_tokens,
        temperature=float(temperature) if isinstance(temperature, int | float) else None,
    )


class AlcMCP:
    """The alc MCP server.

    Args:
        engine: the engine (default: ``AsyncEngine`` on ``store``, on the process executor
            unless ``ALC_EXECUTOR`` says otherwise: a long-lived server never runs strategy code
            in its own process).
        store: the SQLite journal path when ``engine`` is not given (default:
            ``$ALC_HOME/sessions.db``).
        sampling: resolve ``alc.llm`` through the client's sampling capability (off by default).
        client: whose default thought chain ``sequentialthinking`` continues (one per host).

    Attributes:
        server: the :class:`MCPServer`; run it with ``server.run()`` (stdio) or connect an SDK
            ``Client`` to it in-process.
    """

    def __init__(
        self,
        engine: AsyncEngine | None = None,
        *,
        store: str | Path | None = None,
        sampling: bool = False,
        client: str = "mcp",
    ) -> None:
        if engine is None:
            if store is None:
                from alc.engine.packages import alc_home

                home = alc_home()
                home.mkdir(parents=True, exist_ok=True)
                store = home / "sessions.db"
            engine = AsyncEngine(store, executor=make_executor(None, default="process"))
        self.engine = engine
        self.sampling = sampling
        self.client = client
        self.chains = ThoughtChains(engine.engine)
        import alc

        self.server: MCPServer[Any] = StdioServer(
            SERVER_NAME,
            title="alc — pausable LLM reasoning strategies",
            instructions=_INSTRUCTIONS,
            version=alc.__version__,
            tools=[self._tool(spec) for spec in TOOLS],
            log_level="WARNING",
        )
        self._resources()

    # ------------------------------------------------------------------ registration

    def _tool(self, spec: ToolSpec) -> Tool:
        handler: Handler = getattr(self, "_" + spec.name)

        async def call(arguments: dict[str, Any], ctx: Context) -> ToolReply:
            try:
                resumed = await self._resume_sampling(ctx)
                if resumed is not None:
                    return resumed
                return await handler(arguments, ctx)
            except AlcError as exc:
                return _tool_error(exc)
            except Exception as exc:  # the safety net: a bug is internal_error, not a traceback
                if os.environ.get("ALC_TRACEBACK", "") not in ("", "0"):
                    raise
                return _internal_error(spec.name, exc)

        call.__name__ = spec.name
        tool = Tool.from_function(
            call, name=spec.name, title=spec.title, description=spec.description
        )
        return tool.model_copy(
            update={
                "parameters": spec.input_schema,
                "fn_metadata": FuncMetadata(arg_model=_RawArguments),
                "annotations": ToolAnnotations(
                    title=spec.title, read_only_hint=spec.read_only, open_world_hint=False
                ),
            }
        )

    def _resources(self) -> None:
        resolver = self.engine.registry.resolver

        @self.server.resource(
            "alc://strategies/{name}",
            name="strategy-source",
            description="The Lua source (init.lua) of a strategy package.",
            mime_type="text/x-lua",
        )
        def strategy_source(name: str) -> str:
            try:
                package = resolver.strategy(name)
            except (ValueError, LookupError) as exc:
                raise ResourceError(f"No strategy {name!r}: {exc}") from None
            return package.path.read_text(encoding="utf-8")

        @self.server.resource(
            "alc://types/alc.d.lua",
            name="alc-types",
            description="Type definitions of the alc.* Lua API (LuaLS annotations).",
            mime_type="text/x-lua",
        )
        def types_file() -> str:
            path = Path(str(resources.files("alc").joinpath("types", "alc.d.lua")))
            if not path.is_file():
                raise ResourceError("alc.d.lua is not installed with this alc build")
            return path.read_text(encoding="utf-8")

    # ------------------------------------------------------------------ tools

    async def _alc_run(self, arguments: dict[str, Any], ctx: Context) -> ToolReply:
        args = parse_args(RunArgs, "alc_run", arguments)
        if (args.code is None) == (args.code_file is None):
            raise InvalidInput(
                "alc_run takes exactly one of code (Lua source) or code_file (a path)."
            )
        code = args.code
        if args.code_file is not None:
            try:
                code = Path(args.code_file).expanduser().read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise InvalidInput(f"Cannot read code_file {args.code_file!r}: {exc}.") from None
        outcome = await self.engine.start(code, ctx=args.ctx)
        return await self._reply(outcome, ctx)

    async def _alc_advice(self, arguments: dict[str, Any], ctx: Context) -> ToolReply:
        args = parse_args(AdviceArgs, "alc_advice", arguments)
        task_ctx: dict[str, Any] = dict(args.opts or {})
        if args.task is not None:
            task_ctx["task"] = args.task
        outcome = await self.engine.start(strategy=args.strategy, ctx=task_ctx)
        return await self._reply(outcome, ctx)

    async def _alc_continue(self, arguments: dict[str, Any], ctx: Context) -> ToolReply:
        args = parse_args(ContinueArgs, "alc_continue", arguments)
        responses: dict[str, str | Response] = {}
        for item in args.responses:
            if item.query_id in responses:
                raise InvalidInput(f"Query {item.query_id} is answered twice in one request.")
            responses[item.query_id] = _response(item.response, item.usage)
        if args.response is None and not responses:
            raise InvalidInput(
                "Nothing to feed: pass response (one answer) or responses "
                "([{query_id, response}, ...])."
            )
        outcome = await self.engine.feed(
            args.session_id,
            args.response,
            query_id=args.query_id,
            responses=responses or None,
            usage=args.usage,
        )
        return await self._reply(outcome, ctx)

    async def _alc_status(self, arguments: dict[str, Any], ctx: Context) -> CallToolResult:
        args = parse_args(StatusArgs, "alc_status", arguments)
        found = await self.engine.status(args.session_id)
        if isinstance(found, SessionSnapshot):
            return _result(found.wire())
        return _result({"sessions": [s.wire() for s in found], "status": "ok"})

    async def _alc_cancel(self, arguments: dict[str, Any], ctx: Context) -> CallToolResult:
        args = parse_args(CancelArgs, "alc_cancel", arguments)
        return _result((await self.engine.cancel(args.session_id)).wire())

    async def _alc_strategies(self, arguments: dict[str, Any], ctx: Context) -> CallToolResult:
        args = parse_args(StrategiesArgs, "alc_strategies", arguments)
        resolver = self.engine.registry.resolver
        executor = self.engine.registry.executor
        if args.name is not None:
            name = args.name
            info = await anyio.to_thread.run_sync(lambda: describe(name, resolver, executor))
            return _result(info.wire())
        infos = await anyio.to_thread.run_sync(lambda: catalogue(resolver, executor))
        return _result(
            {
                "strategies": [
                    {
                        "name": i.name,
                        "description": i.description,
                        "category": i.category,
                        "paper": i.paper,
                        "builtin": i.builtin,
                        **({"error": i.error} if i.error else {}),
                    }
                    for i in infos
                ]
            }
        )

    async def _alc_info(self, arguments: dict[str, Any], ctx: Context) -> CallToolResult:
        parse_args(InfoArgs, "alc_info", arguments)
        resolver = self.engine.registry.resolver
        store = self.engine.engine.store.path
        info = await anyio.to_thread.run_sync(lambda: engine_info(resolver, store))
        info["sampling"] = self.sampling
        info["server"] = SERVER_NAME
        return _result(info)

    async def _sequentialthinking(self, arguments: dict[str, Any], ctx: Context) -> CallToolResult:
        reply = await anyio.to_thread.run_sync(
            lambda: self.chains.think(arguments, client=self.client)
        )
        return _result(reply)

    # ------------------------------------------------------------------ replies and sampling

    def _can_sample(self, ctx: Context) -> bool:
        if not self.sampling:
            return False
        caps = ctx.client_capabilities
        return caps is not None and caps.sampling is not None

    async def _reply(self, outcome: Outcome, ctx: Context) -> ToolReply:
        if isinstance(outcome, NeedsResponse) and self._can_sample(ctx):
            return await self._sample(outcome, ctx)
        return _result(outcome.wire())

    async def _sample(self, outcome: NeedsResponse, ctx: Context) -> ToolReply:
        """Resolve pauses through the client's LLM until the session ends (or sampling fails)."""
        if ctx.protocol_version in MODERN_PROTOCOL_VERSIONS:
            return InputRequiredResult(
                input_requests={
                    q.id: CreateMessageRequest(params=_sampling_request(q)) for q in outcome.queries
                },
                request_state=outcome.session_id,
            )
        current: Outcome = outcome
        while isinstance(current, NeedsResponse):
            answers: dict[str, str] = {}
            try:
                async with anyio.create_task_group() as tg:
                    for query in current.queries:
                        tg.start_soon(self._create_message, ctx, query, answers)
            except Exception:  # the client refused or failed: hand the pause back instead
                return _result(current.wire())
            current = await self.engine.feed(
                current.session_id, responses={q.id: answers[q.id] for q in current.queries}
            )
        return _result(current.wire())

    async def _create_message(self, ctx: Context, query: Query, answers: dict[str, str]) -> None:
        params = _sampling_request(query)
        with warnings.catch_warnings():  # deprecated in 2026-07-28, still the legacy mechanism
            warnings.simplefilter("ignore")
            result = await ctx.session.create_message(
                params.messages,
                max_tokens=params.max_tokens,
                system_prompt=params.system_prompt,
                temperature=params.temperature,
            )
        answers[query.id] = _answer_text(result)

    async def _resume_sampling(self, ctx: Context) -> ToolReply | None:
        """A multi-round-trip retry: feed the client's sampled answers, then go on sampling."""
        state, given = ctx.request_state, ctx.input_responses
        if not self.sampling or state is None:
            return None
        answers: dict[str, str] = {}
        for query_id, response in (given or {}).items():
            if not isinstance(response, CreateMessageResult):
                raise InvalidInput(f"The answer to {query_id} is not a sampling result.")
            answers[query_id] = _answer_text(response)
        if not answers:
            raise InvalidInput("The retry carries no sampling results for the pending queries.")
        outcome = await self.engine.feed(state, responses=answers)
        return await self._reply(outcome, ctx)


def _response(text: str, usage: dict[str, Any] | None) -> str | Response:
    if usage is None:
        return text
    from alc.engine.protocol import Usage

    try:
        return Response(text=text, usage=Usage.parse(usage))
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"Invalid usage {json.dumps(usage)}: {exc}.") from None


def create_server(
    engine: AsyncEngine | None = None,
    *,
    store: str | Path | None = None,
    sampling: bool = False,
    client: str = "mcp",
) -> MCPServer[Any]:
    """Build the alc MCP server (see :class:`AlcMCP` for the arguments); ``.run()`` serves stdio."""
    return AlcMCP(engine, store=store, sampling=sampling, client=client).server
