"""The tool registry: each MCP tool is one request model, one handler and its wording.

A tool is declared once, on its handler::

    @TABLE.tool("alc_cancel", CancelRequest, words.CANCEL)  # words.CANCEL: title, description
    async def _cancel(self, args: CancelRequest, ctx: Context) -> ToolReply: ...

The request model (:mod:`alc._requests`, the API layer) is the contract: the tool's input
schema is derived from it (:meth:`Request.input_schema`), the call's arguments are validated
into it (bad ones come back as alc's own ``invalid_input`` error object) and the handler
receives it typed.
:meth:`ToolTable.alias` serves the same model and handler under a second name.

The run/continue loop is explained once, in the server's :data:`INSTRUCTIONS`; each tool's
description says only what is specific to it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from mcp.server.mcpserver import Context
from mcp_types import CallToolResult, InputRequiredResult, ToolAnnotations
from mcp_types import Tool as MCPTool

from alc._requests import Request
from alc.mcp._algocline import ALGOCLINE_PROFILE, ALGOCLINE_TOOLS

__all__ = [
    "DEFAULT_PROFILE",
    "INSTRUCTIONS",
    "PROFILES",
    "TABLE",
    "ToolReply",
    "ToolSpec",
    "ToolTable",
    "Wording",
]

ToolReply = CallToolResult | InputRequiredResult
"""What a tool returns: a result, or (sampling on 2026-07-28+) a request for sampled answers."""

_R = TypeVar("_R", bound=Request)
Handler = Callable[[Any, _R, Context], Awaitable[ToolReply]]
"""A tool handler: a method of the server taking its parsed request and the call's context."""

INSTRUCTIONS = (
    "alc runs LLM reasoning strategies written in Lua as durable sessions. Start one with "
    "alc_advice (a named strategy; alc_strategies lists them) or alc_run (your own Lua).\n"
    'The loop: while a reply has status "needs_response", the strategy is paused on a prompt '
    'meant for YOU: answer "prompt" (and "system") with your own reasoning and call '
    'alc_continue with the session_id and your response. A reply with "queries" is a batch: '
    'answer each (its "id" is the query_id) all at once with responses [{query_id, response}], '
    'or one at a time (replies "accepted" with "remaining"). Repeat until status is '
    '"completed" (the outcome is "result") or "error" (see "error_code"). A session_id stays '
    "valid across server restarts.\n"
    "For step-by-step thinking use sequentialthinking, one call per thought."
)
"""The server instructions: what every client model reads once."""

LOOP = " Answer each needs_response reply with alc_continue (the loop is in the instructions)."
"""The one-line pointer to the loop, for the tools that start or continue a session."""


@dataclass(frozen=True)
class Wording:
    """What a client shows of a tool besides its schema.

    Attributes:
        title: a short human title.
        description: what a model reads about this tool (only what is specific to it).
        read_only: the tool changes nothing (annotation ``readOnlyHint``).
    """

    title: str
    description: str
    read_only: bool = False
    destructive: bool = False
    idempotent: bool = False


@dataclass(frozen=True)
class ToolSpec:
    """One tool: its name and wording, its request model and its handler.

    Attributes:
        name: the tool name clients call.
        title: a short human title.
        description: what a model reads about this tool (only what is specific to it).
        model: the request model; the input schema is derived from it.
        handler: the server method serving it (called with the parsed model).
        read_only: the tool changes nothing (annotation ``readOnlyHint``).
        destructive / idempotent: the ``destructiveHint`` / ``idempotentHint`` annotations.
    """

    name: str
    title: str
    description: str
    model: type[Request]
    handler: Callable[[Any, Any, Context], Awaitable[ToolReply]]
    read_only: bool = False
    destructive: bool = False
    idempotent: bool = False

    @property
    def input_schema(self) -> dict[str, Any]:
        """The JSON schema of the arguments, derived from :attr:`model`."""
        return self.model.input_schema()

    def listing(self) -> MCPTool:
        """The tool as ``tools/list`` shows it."""
        return MCPTool(
            name=self.name,
            title=self.title,
            description=self.description,
            input_schema=self.input_schema,
            annotations=ToolAnnotations(
                title=self.title,
                read_only_hint=self.read_only,
                destructive_hint=self.destructive,
                idempotent_hint=self.idempotent or self.read_only,
                open_world_hint=False,
            ),
        )


class ToolTable:
    """Every tool of a server, in ``tools/list`` order; filled by the :meth:`tool` decorator."""

    def __init__(self) -> None:
        self._specs: dict[str, ToolSpec] = {}

    def tool(
        self, name: str, model: type[_R], wording: Wording
    ) -> Callable[[Handler[_R]], Handler[_R]]:
        """Register the decorated handler as tool ``name`` taking ``model``, worded ``wording``.

        Raises:
            ValueError: ``name`` is registered already.
        """

        def register(handler: Handler[_R]) -> Handler[_R]:
            w = wording
            self._add(
                ToolSpec(
                    name,
                    w.title,
                    w.description,
                    model,
                    handler,
                    w.read_only,
                    w.destructive,
                    w.idempotent,
                )
            )
            return handler

        return register

    def alias(self, name: str, target: str, *, description: str | None = None) -> ToolSpec:
        """Serve tool ``target``'s model and handler under ``name`` too (e.g. another server's
        tool name); ``description`` replaces the target's when given.

        Raises:
            KeyError: ``target`` is not registered.
            ValueError: ``name`` is registered already.
        """
        spec = self._specs[target]
        alias = replace(spec, name=name, description=description or spec.description)
        self._add(alias)
        return alias

    def _add(self, spec: ToolSpec) -> None:
        if spec.name in self._specs:
            raise ValueError(f"tool {spec.name!r} is registered twice")
        self._specs[spec.name] = spec

    def get(self, name: str, profile: str | None = None) -> ToolSpec | None:
        """The tool called ``name`` (in ``profile`` when given), or None."""
        if profile is not None and name not in PROFILES[profile]:
            return None
        return self._specs.get(name)

    def profile(self, profile: str) -> list[ToolSpec]:
        """The tools of ``profile`` that are registered, in the profile's order.

        Raises:
            KeyError: no such profile.
        """
        return [self._specs[n] for n in PROFILES[profile] if n in self._specs]

    def __iter__(self) -> Iterator[ToolSpec]:
        return iter(tuple(self._specs.values()))

    def __len__(self) -> int:
        return len(self._specs)


TABLE = ToolTable()
"""Every tool alc can serve; handlers register themselves with ``@TABLE.tool`` (the server's
methods in :mod:`alc.mcp._server`, the algocline profile's in :mod:`alc.mcp._algocline`)."""

DEFAULT_PROFILE = "default"

PROFILES: dict[str, tuple[str, ...]] = {
    "default": (
        "alc_run",
        "alc_advice",
        "alc_continue",
        "alc_status",
        "alc_cancel",
        "alc_strategies",
        "alc_info",
        "alc_cards",
        "alc_pkg",
        "alc_eval_run",
        "alc_eval_compare",
        "alc_eval_history",
        "sequentialthinking",
    ),
    ALGOCLINE_PROFILE: ALGOCLINE_TOOLS,
}
"""Which tools each surface lists: ``default`` is alc's compact set (fewer, clearer tools serve
models better); ``algocline`` (:mod:`alc.mcp._algocline`) is algocline 0.47's 61 tool
names, each mapped onto the same engine calls. A profile only lists tools that are registered."""


# ---------------------------------------------------------------------- descriptions

_RUN = (
    "Start a session from Lua code (`code`, or a `code_file` path). The code sees `ctx` as a "
    "global and may `return` its result; every alc.llm(prompt) call pauses the session and "
    "comes back to you as a prompt to answer." + LOOP
)
_ADVICE = (
    "Start a session of a named reasoning strategy (cot, sc, reflect, tot, ucb, ...) on "
    "`task`; `opts` are its parameters (alc_strategies with `name` lists them). The strategy "
    "supplies the algorithm, you supply the thinking." + LOOP
)
_CONTINUE = (
    "Answer a paused session and get its next reply. One pending query: `response` (query_id "
    "optional). A batch: `responses`, or one answer at a time with `response` + `query_id`."
)
_STATUS = (
    "One session's snapshot (state, pending queries, progress, log, token totals, outcome; "
    "with include_conversation its prompts and answers), or without session_id the active "
    "sessions."
)
_CANCEL = "Cancel a paused session; it accepts no more answers."
_STRATEGIES = (
    "The strategy catalogue, or with `name` one strategy's parameters and an example ctx. "
    "Its Lua source is the resource alc://strategies/{name}."
)
_INFO = (
    "alc's version, Lua version, session store, strategy search paths and whether sampling "
    "is on; the Lua API types are the resource alc://types/alc.d.lua."
)
_CARDS = (
    "Cards: immutable records of past runs (parameters, stats such as pass_rate, per-case "
    "samples) that strategies write with alc.card.*. Find the best past run, compare runs, "
    "inspect failures, follow lineage. Actions: list (`pkg`, `limit`); get (`card_id`); find "
    '(`where`, e.g. {"stats": {"pass_rate": {"gte": 0.8}}}; operators eq ne lt lte gt gte in '
    'nin exists contains starts_with _and _or _not; `order_by` "-stats.pass_rate"; `limit`, '
    "`offset`); samples (`card_id`, `where`); lineage (`card_id`, `direction`, `depth`); "
    "alias_list, get_by_alias (`name`), alias_set (`name`, `card_id`, `note`); append "
    "(`card_id`, `fields`: new top-level keys only)."
)
_PKG = (
    "Manage the strategy packages alc_advice runs (use it on strategy_not_found, or when asked "
    "to install or update one). Actions: list; install (`source`: a folder, git URL with "
    "`ref`, or collection root; `scope` user|project; no source: what alc.toml lists at "
    "alc.lock's pins, `update` re-pins; atomic); remove / unlink (`name`); link (`path`, "
    "`name`); doctor (problems, each with a `fix` and an `action` to send back here); "
    "scaffold (`name`, `directory`); test (`target`, `answers`: runs its *_spec.lua). Running "
    "sessions keep the code they started with."
)
_EVAL_RUN = (
    "Measure whether strategies beat asking the model directly: each (strategy, case) of a "
    "scenario (arith, logic, factual, or a scenario file) runs as a session, is graded and "
    "stored; the baseline (default direct) is added. Call with scenario, strategies (and n): "
    'the reply is {"status": "needs_response", "run_id", "done", "total", "pending": a '
    "session pause}; answer the pending session with alc_continue until it completes, then "
    'call again with just run_id, until "status" is "complete" with pass rates and paired '
    "comparisons. Answer each case as the model under test would, carrying nothing from one "
    "case to another. The same run_id continues a run later."
)
_EVAL_COMPARE = (
    "Paired statistics on the cases both sides ran: per strategy vs the baseline, the "
    "pass-rate gain with its 95% interval, McNemar's exact p, Holm-adjusted p and a plain "
    "verdict. run_a alone, or run_a and run_b as RUN or RUN:STRATEGY (run_b vs run_a)."
)
_EVAL_HISTORY = (
    "Without run_id: the eval runs, newest first (an incomplete one continues with "
    "alc_eval_run). With run_id: its statistics and, with cases=true, each case's answer, "
    "score and session_id (alc_status shows its transcript)."
)
_THINKING = (
    "A detailed tool for dynamic and reflective problem-solving through thoughts. Call it "
    "once per thought: each thought can build on, question or revise previous insights, "
    "branch into alternative approaches, and you may adjust totalThoughts up or down as "
    "understanding deepens. Set nextThoughtNeeded to false only when you have a satisfactory "
    "answer. isRevision + revisesThought reconsider an earlier thought; branchFromThought + "
    "branchId start or continue an alternative line; needsMoreThoughts: you reached the end "
    "but need more.\n"
    "alc keeps every chain durably: the reply holds its session_id, branch_tree, the last few "
    "thoughts and warnings. thoughtNumber 1 starts a new chain; later thoughts continue the "
    "latest one, or the chain named by session_id (an id from a reply, or a label of your own "
    'such as "design-review"). alc_status reads a chain back.'
)


# ---------------------------------------------------------------------- wordings

RUN = Wording("Run Lua strategy code", _RUN)
ADVICE = Wording("Run a reasoning strategy", _ADVICE)
CONTINUE = Wording("Answer a paused session", _CONTINUE)
STATUS = Wording("Session status", _STATUS, read_only=True)
CANCEL = Wording("Cancel a session", _CANCEL)
STRATEGIES = Wording("List strategies", _STRATEGIES, read_only=True)
INFO = Wording("Engine information", _INFO, read_only=True)
CARDS = Wording("Cards: stored run records", _CARDS)
PKG = Wording("Strategy packages", _PKG)
EVAL_RUN = Wording("Evaluate strategies against a baseline", _EVAL_RUN)
EVAL_COMPARE = Wording("Compare eval runs (paired statistics)", _EVAL_COMPARE, read_only=True)
EVAL_HISTORY = Wording("Eval runs and their per-case results", _EVAL_HISTORY, read_only=True)
THINKING = Wording("Sequential thinking", _THINKING)
