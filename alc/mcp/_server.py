"""The ``alc mcp`` server: tools mapped one-to-one onto :class:`~alc.AsyncEngine` calls.

:class:`AlcMCP` owns the engine, the thought chains and the :class:`MCPServer` (official SDK 2.x).
Each tool is one handler registered with its request model (``@TABLE.tool``, see
:mod:`alc.mcp._tools`): :meth:`AlcMCP.call` validates the arguments into the model, the handler
makes one engine call and hands the wire object to :func:`_result`, which returns it as structured
content and as JSON text. :func:`_tool_error` is the one place where an
:class:`~alc.engine.errors.AlcError` becomes an MCP tool error (``isError``) carrying the JSON
error object with its ``error_code``; any other exception (a bug) becomes the same kind of tool
error with ``error_code`` ``internal_error`` (``ALC_TRACEBACK=1`` lets it through instead). The
stdio transport answers undecodable requests with a JSON-RPC error (:mod:`alc.mcp._stdio`).

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
from collections.abc import Awaitable, Callable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from mcp.server.context import HandlerResult, ServerRequestContext
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError
from mcp_types import (
    CallToolRequestParams,
    CallToolResult,
    CreateMessageRequest,
    CreateMessageRequestParams,
    CreateMessageResult,
    InputRequiredResult,
    SamplingMessage,
    TextContent,
)
from mcp_types import Tool as MCPTool
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from alc._api import AsyncEngine
from alc._requests import (
    AdviceRequest,
    CancelRequest,
    CardsRequest,
    EvalCompareRequest,
    EvalHistoryRequest,
    EvalRunRequest,
    FeedRequest,
    InfoRequest,
    PkgRequest,
    RunRequest,
    StatusRequest,
    StrategiesRequest,
    ThoughtRequest,
)
from alc._session_log import pending_filter, projected
from alc.engine import __version__
from alc.engine.errors import AlcError, CardNotFound, InvalidInput, StrategyNotFound
from alc.engine.executor import make_executor
from alc.engine.protocol import NeedsResponse, Outcome, Query, dumps
from alc.engine.tenancy import current_tenant
from alc.mcp import (
    _algocline_data,  # noqa: F401  (registers algocline's data tools)
    _algocline_pkg,  # noqa: F401  (registers its tools)
    _algocline_sessions,
)
from alc.mcp import _tools as words
from alc.mcp._algocline import ALGOCLINE_PROFILE
from alc.mcp._hosts import host_flags, json_argument, status_v2, summary_v2
from alc.mcp._progress import progress_relay
from alc.mcp._stdio import StdioServer
from alc.mcp._tools import DEFAULT_PROFILE, INSTRUCTIONS, PROFILES, TABLE, ToolReply, ToolSpec
from alc.thinking import ThoughtChains

__all__ = ["SERVER_NAME", "TOOLS", "AlcMCP", "create_server"]

SERVER_NAME = "alc"

_log = logging.getLogger("alc.mcp")


THINKING = "sequentialthinking"
"""The thought tool's name (the reference server's), served on the low-level path."""

_SAMPLING_CONCURRENCY = 64
"""At most this many sampling requests of one batch are in flight at once."""


def _result(wire: dict[str, Any]) -> CallToolResult:
    """A successful tool result: the wire object as structured content and as JSON text."""
    return CallToolResult(
        content=[TextContent(type="text", text=dumps(wire))], structured_content=wire
    )


_MCP_NEXT_STEPS = {
    "read_status": "call alc_status with session_id {sid}",
    "list_sessions": "call alc_status without session_id (the active sessions)",
    "list_strategies": "call alc_strategies",
    "start_new_session": "start a new session with alc_run or alc_advice",
    "delete_session": "delete session {sid} (alc delete {sid} on the command line)",
    "fix_store": "the server's session store is unusable; alc_info shows its path",
    "retry": "call the same tool again",
    "list_packages": "call alc_pkg with action list (or action doctor)",
}
"""How MCP words each engine ``next_step`` hint (``alc.engine.errors.NEXT_STEPS``): the tool to
call. The hint goes into the error object as ``hint``; ``next_step`` stays for programs."""


def _eval_brief(report: dict[str, Any]) -> dict[str, Any]:
    """The compact form of an eval report for a tool reply (no per-tag breakdowns)."""
    run = report["run"]
    return {
        "scenario": run["scenario"]["name"],
        "n": len(run["scenario"]["cases"]),
        "baseline": report["baseline"],
        "cards": run.get("cards", {}),
        "strategies": {
            s: {
                k: st[k]
                for k in (
                    "n",
                    "passed",
                    "pass_rate",
                    "pass_rate_ci",
                    "mean_score",
                    "tokens_per_case",
                    "errors",
                )
            }
            for s, st in report["strategies"].items()
        },
        "comparisons": {
            s: {
                k: c.get(k)
                for k in (
                    "n",
                    "delta_pass_rate",
                    "delta_pass_rate_ci",
                    "p_mcnemar",
                    "p_holm",
                    "verdict",
                )
            }
            for s, c in report["comparisons"].items()
        },
    }


def _tool_error(exc: AlcError) -> CallToolResult:
    """The one place an alc error becomes an MCP tool error (``isError`` + the JSON object,
    with the ``next_step`` hint worded as the tool to call)."""
    wire = exc.to_wire()
    template = _MCP_NEXT_STEPS.get(exc.next_step or "")
    if template is not None:
        wire["hint"] = template.format(sid=exc.session_id or "SESSION_ID")
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


def _remote_check(spec: ToolSpec, arguments: dict[str, Any]) -> None:
    """Refuse what a remote client of ``alc serve`` (``read_files=False``) must not do: touch the
    server's files or its package set (``alc_pkg`` other than ``list``, any ``project_root``).
    (Cards and eval runs are served to tenants: each tenant's are its own, kept apart by the
    store.)

    Raises:
        InvalidInput: the call is refused (nothing was done).
    """
    tool = spec.name
    if spec.model is PkgRequest and (
        arguments.get("action") != "list" or "project_root" in arguments
    ):
        raise InvalidInput(
            f"{tool} is limited to action=list on this server: its packages are installed by "
            "its operator (alc pkg on the server), not by remote clients."
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
            unless ``ALC_EXECUTOR`` says otherwise: a long-lived server never runs a user's
            strategy code in its own process).
        store: the SQLite journal path when ``engine`` is not given (default:
            ``$ALC_HOME/sessions.db``).
        sampling: resolve ``alc.llm`` through the client's sampling capability (off by default).
        client: whose default thought chain ``sequentialthinking`` continues (one per host;
            under a tenant (``alc serve`` with tokens) one per host and tenant).
        read_files: whether ``alc_run`` may read ``code_file`` from this machine (off for
            ``alc serve``: a remote client must not read the server's files).
        profile: which tools are listed and callable: ``default`` (alc's compact set) or
            ``algocline`` (algocline's 61 tool names; see :mod:`alc.mcp._algocline`).
        thoughts_in_process: step ``sequentialthinking``'s chains of the built-in strategy in
            this process, on the event loop thread (``ThoughtChains(in_process=True)``); default
            ``read_files``: on for ``alc mcp`` (one local client), off for ``alc serve``, whose
            remote clients' chains stay on the engine's executor (memory caps enforced from
            outside the server, each tenant's share of the pool).

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
        read_files: bool = True,
        profile: str = DEFAULT_PROFILE,
        thoughts_in_process: bool | None = None,
    ) -> None:
        if profile not in PROFILES:
            raise InvalidInput(
                f"Unknown tool profile {profile!r}; use one of {', '.join(sorted(PROFILES))}."
            )
        self.profile = profile
        if engine is None:
            store = store if store is not None else AsyncEngine.default_store_path()
            engine = AsyncEngine(store, executor=make_executor(None, default="process"))
        self.engine = engine
        self.sampling = sampling
        self.client = client
        self.read_files = read_files
        in_process = read_files if thoughts_in_process is None else thoughts_in_process
        self.chains = ThoughtChains(engine, in_process=in_process)
        self.server: MCPServer[Any] = _ToolServer(self)
        self._resources()
        _algocline_sessions.install(self)

    # ------------------------------------------------------------------ registration

    async def call(self, name: str, arguments: dict[str, Any], ctx: Context) -> ToolReply:
        """Serve one ``tools/call``: parse the arguments into the tool's request model and run
        its handler; every error comes back as a tool error (see the module docstring)."""
        spec = TABLE.get(name, self.profile)

        async def serve() -> ToolReply:
            if spec is None:
                raise InvalidInput(f"Unknown tool {name!r}: tools/list names this server's tools.")
            if not self.read_files:
                _remote_check(spec, arguments)
            resumed = await self._resume_sampling(ctx)
            if resumed is not None:
                return resumed
            return await spec.handler(self, spec.model.parse(arguments, name), ctx)

        return await _guarded(name, serve)

    async def think(self, arguments: dict[str, Any]) -> ToolReply:
        """Serve a ``sequentialthinking`` call from the low-level server (see
        :class:`_ToolServer`): the same reply and errors as :meth:`call` gives it, without the
        tool layer. Its request model only passes the arguments through to
        :func:`alc.thinking.parse_thought`, which validates them here."""
        return await _guarded(THINKING, lambda: self._thought(arguments))

    def _resources(self) -> None:
        engine = self.engine

        @self.server.resource(
            "alc://strategies/{name}",
            name="strategy-source",
            description="The Lua source (init.lua) of a strategy package.",
            mime_type="text/x-lua",
        )
        async def strategy_source(name: str) -> str:
            try:
                return await engine.strategy_source(name)
            except StrategyNotFound as exc:
                raise ResourceError(exc.message) from None

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

    @TABLE.tool("alc_run", RunRequest, words.RUN)
    async def _alc_run(self, args: RunRequest, ctx: Context) -> ToolReply:
        host_flags(args.project_root, args.host_mode)
        context = json_argument(args.ctx, "ctx")
        code = args.code
        if args.code_file is not None:
            if code is not None:
                raise InvalidInput("Give code (Lua source) or code_file (a path), not both.")
            if not self.read_files:
                raise InvalidInput(
                    "code_file is refused by this server: a remote client cannot make it read "
                    "the server's files. Send the Lua source as code instead."
                )
            try:
                code = Path(args.code_file).expanduser().read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise InvalidInput(f"Cannot read code_file {args.code_file!r}: {exc}.") from None
        async with progress_relay(ctx) as on_progress:
            outcome = await self.engine.start(
                code, ctx=context, limits=args.limits, on_progress=on_progress
            )
        return await self._reply(outcome, ctx)

    @TABLE.tool("alc_advice", AdviceRequest, words.ADVICE)
    async def _alc_advice(self, args: AdviceRequest, ctx: Context) -> ToolReply:
        host_flags(args.project_root, args.host_mode)
        opts = json_argument(args.opts, "opts")
        async with progress_relay(ctx) as on_progress:
            outcome = await self.engine.start(
                strategy=args.strategy,
                ctx=opts,
                task=args.task,
                limits=args.limits,
                on_progress=on_progress,
            )
        return await self._reply(outcome, ctx)

    @TABLE.tool("alc_continue", FeedRequest, words.CONTINUE)
    async def _alc_continue(self, args: FeedRequest, ctx: Context) -> ToolReply:
        async with progress_relay(ctx) as on_progress:
            outcome = await self.engine.feed(  # the API parses the answers (either shape)
                args.session_id,
                args.response,
                query_id=args.query_id,
                responses=args.responses,
                usage=args.usage,
                on_progress=on_progress,
            )
        return await self._reply(outcome, ctx)

    @TABLE.tool("alc_status", StatusRequest, words.STATUS)
    async def _alc_status(self, args: StatusRequest, ctx: Context) -> CallToolResult:
        projection = pending_filter(args.pending_filter)
        if args.session_id is not None:
            transcript = await self.engine.transcript(args.session_id)
            conversation = args.include_conversation or args.include_history
            wire = status_v2(transcript, conversation, args.conversation_limit)
            return _result(projected(wire, transcript.summary, projection))
        found = await self.engine.active()
        listing = [projected(summary_v2(s), s, projection) for s in found]
        return _result({"sessions": listing, "active_sessions": len(listing), "status": "ok"})

    @TABLE.tool("alc_cancel", CancelRequest, words.CANCEL)
    async def _alc_cancel(self, args: CancelRequest, ctx: Context) -> CallToolResult:
        return _result((await self.engine.cancel(args.session_id)).wire())

    @TABLE.tool("alc_strategies", StrategiesRequest, words.STRATEGIES)
    async def _alc_strategies(self, args: StrategiesRequest, ctx: Context) -> CallToolResult:
        if args.name is not None:
            return _result((await self.engine.describe(args.name)).wire())
        listing = [i.summary() for i in await self.engine.strategies()]
        return _result({"strategies": listing})

    @TABLE.tool("alc_info", InfoRequest, words.INFO)
    async def _alc_info(self, args: InfoRequest, ctx: Context) -> CallToolResult:
        info = await self.engine.info()
        info["sampling"] = self.sampling
        info["server"] = SERVER_NAME
        return _result(info)

    @TABLE.tool("alc_cards", CardsRequest, words.CARDS)
    async def _alc_cards(self, a: CardsRequest, ctx: Context) -> CallToolResult:
        cards = self.engine.cards
        where = a.where
        if isinstance(where, str):
            try:
                where = json.loads(where)
            except (ValueError, RecursionError):
                raise InvalidInput("alc_cards: where is not valid JSON text.") from None
        if a.action in ("list", "find"):
            query = {"pkg": a.pkg, "where": where, "order_by": a.order_by}
            query.update(limit=a.limit, offset=a.offset)
            found = await (cards.list(query) if a.action == "list" else cards.find(query))
            return _result({"cards": found})
        if a.action in ("get", "get_by_alias"):
            card = await (cards.get(a.card_id) if a.action == "get" else cards.get_by_alias(a.name))
            if card is None:
                what = f"card {a.card_id!r}" if a.action == "get" else f"alias {a.name!r}"
                raise CardNotFound(f"No {what} in this store (alc_cards action=list shows them).")
            return _result({"card": card, "samples": await cards.samples_count(card["card_id"])})
        if a.action == "samples":
            opts = {"where": where, "limit": a.limit, "offset": a.offset}
            return _result(
                {"card_id": a.card_id, "samples": await cards.read_samples(a.card_id, opts)}
            )
        if a.action == "lineage":
            query = {
                "card_id": a.card_id,
                "direction": a.direction,
                "relation_filter": a.relation_filter,
            }
            query.update(
                {
                    k: v
                    for k, v in (("depth", a.depth), ("include_stats", a.include_stats))
                    if v is not None
                }
            )
            tree = await cards.lineage(query)
            if tree is None:
                raise CardNotFound(f"No card {a.card_id!r} in this store.")
            return _result(tree)
        if a.action == "alias_list":
            return _result({"aliases": await cards.alias_list({"pkg": a.pkg})})
        if a.action == "alias_set":
            return _result(
                {"alias": await cards.alias_set(a.name, a.card_id, {"pkg": a.pkg, "note": a.note})}
            )
        return _result({"card": await cards.append(a.card_id, a.fields)})

    @TABLE.tool("alc_pkg", PkgRequest, words.PKG)
    async def _alc_pkg(self, args: PkgRequest, ctx: Context) -> CallToolResult:
        if not isinstance(args.action, str):
            raise InvalidInput("alc_pkg: action must be a string (list, install, doctor, ...).")
        rest = args.action_arguments()
        return _result(await self.engine.package_action(args.action, rest, args.project_root))

    @TABLE.tool("alc_eval_run", EvalRunRequest, words.EVAL_RUN)
    async def _alc_eval_run(self, a: EvalRunRequest, ctx: Context) -> CallToolResult:
        import alc.eval as ev

        if a.scenario is not None and a.scenario not in ev.BUILTIN_SETS and not self.read_files:
            raise InvalidInput("This server reads no files: use a built-in scenario set.")
        step = await self.engine.evals.step(
            a.scenario,
            a.strategies,
            baseline=a.baseline,
            n=a.n,
            seed=a.seed,
            strategy_opts=a.strategy_opts,
            run_id=a.run_id,
        )
        if step["status"] == "complete":
            report = await self.engine.evals.report(step["run_id"])
            step = {"run_id": step["run_id"], "status": "complete", **_eval_brief(report)}
        return _result(step)

    @TABLE.tool("alc_eval_compare", EvalCompareRequest, words.EVAL_COMPARE)
    async def _alc_eval_compare(self, a: EvalCompareRequest, ctx: Context) -> CallToolResult:
        side_a, side_b = a.sides()
        return _result(await self.engine.evals.compare(side_a, side_b))

    @TABLE.tool("alc_eval_history", EvalHistoryRequest, words.EVAL_HISTORY)
    async def _alc_eval_history(self, a: EvalHistoryRequest, ctx: Context) -> CallToolResult:
        evals = self.engine.evals
        if a.run_id is None:
            return _result({"runs": await evals.runs(a.limit, a.strategy)})
        report = await evals.report(a.run_id)
        out: dict[str, Any] = {
            "run_id": a.run_id,
            "status": report["run"]["status"],
            **_eval_brief(report),
        }
        if a.cases:
            shown = await evals.show(a.run_id, strategy=a.strategy)
            out["cases"] = [
                {
                    k: row.get(k)
                    for k in (
                        "strategy",
                        "case_id",
                        "passed",
                        "score",
                        "expected",
                        "answer",
                        "tokens",
                        "session_id",
                        "error_code",
                    )
                }
                for row in shown["cases"]
            ]
        return _result(out)

    @TABLE.tool(THINKING, ThoughtRequest, words.THINKING)
    async def _sequentialthinking(self, args: ThoughtRequest, ctx: Context) -> CallToolResult:
        return await self._thought(args.arguments())

    async def _thought(self, arguments: Mapping[str, Any]) -> CallToolResult:
        tenant = current_tenant()  # each tenant has its own default chain and labels
        client = self.client if tenant is None else f"{self.client}\x1e{tenant}"
        return _result(await self.chains.athink(arguments, client=client))

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
        last: list[Outcome] = [outcome]

        async def sample(query: Query) -> str:
            params = _sampling_request(query)
            with warnings.catch_warnings():  # deprecated in 2026-07-28, still the legacy way
                warnings.simplefilter("ignore")
                result = await ctx.session.create_message(
                    params.messages,
                    max_tokens=params.max_tokens,
                    system_prompt=params.system_prompt,
                    temperature=params.temperature,
                )
            return _answer_text(result)

        try:
            ended = await self.engine.drive(
                session_id=outcome.session_id,
                llm=sample,
                on_pause=last.append,
                concurrency=_SAMPLING_CONCURRENCY,
            )
        except AlcError:
            raise
        except Exception:  # the client refused or failed: hand the last pause back instead
            return _result(last[-1].wire())
        return _result(ended.wire())

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


TOOLS: tuple[ToolSpec, ...] = tuple(TABLE.profile(DEFAULT_PROFILE))
"""Every tool ``alc mcp`` serves by default, in ``tools/list`` order."""
ALGOCLINE = ALGOCLINE_PROFILE
"""The profile name of algocline's tool surface (``alc mcp --profile algocline``)."""


class _ToolServer(StdioServer):
    """The SDK's :class:`MCPServer` serving :data:`TABLE`: its two tool methods (``list_tools``,
    ``call_tool``, which the SDK's ``tools/list`` and ``tools/call`` handlers call) are
    overridden, so each tool's schema, validation and handler come from one registration."""

    def __init__(self, app: AlcMCP) -> None:
        super().__init__(
            SERVER_NAME,
            title="alc — pausable LLM reasoning strategies",
            instructions=INSTRUCTIONS,
            version=__version__,
            log_level="WARNING",
        )
        self._app = app
        self._listing = [spec.listing() for spec in TABLE.profile(app.profile)]
        lowlevel = self._lowlevel_server
        entry = lowlevel.get_request_handler("tools/call")
        assert entry is not None  # MCPServer registers it
        self._sdk_call_tool = entry.handler
        if TABLE.get(THINKING, app.profile) is not None:
            lowlevel.add_request_handler("tools/call", CallToolRequestParams, self._dispatch)

    async def _dispatch(
        self, ctx: ServerRequestContext[Any, Any], params: CallToolRequestParams
    ) -> HandlerResult:
        """The low-level ``tools/call`` handler: ``sequentialthinking`` goes straight to
        :meth:`AlcMCP.think` (no request context, no argument model: a thought costs the SDK's
        low-level floor plus the thought), every other call (and a sampling retry) to the SDK's
        own handler, which calls :meth:`call_tool`."""
        if params.name == THINKING and (params.request_state is None or not self._app.sampling):
            return await self._app.think(params.arguments or {})
        return await self._sdk_call_tool(ctx, params)

    async def list_tools(self) -> list[MCPTool]:
        """Every tool, its input schema derived from its request model."""
        return list(self._listing)

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
    ) -> ToolReply:
        """Run tool ``name``; an error is a tool result with ``isError`` (never raised)."""
        return await self._app.call(name, arguments, context or Context(mcp_server=self))


async def _guarded(tool: str, serve: Callable[[], Awaitable[ToolReply]]) -> ToolReply:
    """``serve()``'s reply, every error a tool error: an :class:`AlcError` through
    :func:`_tool_error`, anything else (a bug) ``internal_error`` (``ALC_TRACEBACK=1`` lets it
    through instead)."""
    try:
        return await serve()
    except AlcError as exc:
        return _tool_error(exc)
    except Exception as exc:  # the safety net: a bug is internal_error, not a traceback
        if os.environ.get("ALC_TRACEBACK", "") not in ("", "0"):
            raise
        return _internal_error(tool, exc)


def create_server(
    engine: AsyncEngine | None = None,
    *,
    store: str | Path | None = None,
    sampling: bool = False,
    client: str = "mcp",
    profile: str = DEFAULT_PROFILE,
) -> MCPServer[Any]:
    """Build the alc MCP server (see :class:`AlcMCP` for the arguments); ``.run()`` serves stdio."""
    return AlcMCP(engine, store=store, sampling=sampling, client=client, profile=profile).server
