"""algocline's eval, scenario, card, state and trace tools (the ``algocline`` profile).

Each handler translates algocline's arguments and makes the engine call alc's own tool makes;
where algocline's tool is alc's under another name it runs alc's handler itself (``alc_card_*``
through ``alc_cards``, ``alc_eval`` through ``alc_eval_run``), so there is one code path. The
engine work is in :mod:`alc.engine.card_exchange` (card collections, publishing, sinks),
:mod:`alc.engine.card_traces` (sample traces), :mod:`alc.engine.scenario_library`
(``$ALC_HOME/scenarios``) and :mod:`alc.engine.state_admin` (``alc.state`` keys with ``.bak``
backups). Importing this module registers the tools in :data:`alc.mcp._tools.TABLE`.

Under a tenant (``alc serve`` with tokens) cards, eval runs and ``alc.state`` namespaces are the
tenant's own, as with alc's own tools (the store keeps them apart). A server that reads no files
(``alc serve``) refuses the tools that read or write its folders or run git.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
from mcp.server.mcpserver import Context
from mcp_types import CallToolResult, TextContent

from alc._requests import EvalRunRequest
from alc._requests_data import (
    CardAliasListRequest,
    CardAliasSetRequest,
    CardAnalyzeRequest,
    CardAppendRequest,
    CardFindRequest,
    CardGetByAliasRequest,
    CardGetRequest,
    CardInstallRequest,
    CardLineageRequest,
    CardListRequest,
    CardPublishRequest,
    CardSamplesRequest,
    CardSinkBackfillRequest,
    CardToolRequest,
    EvalDetailRequest,
    EvalRequest,
    ScenarioInstallRequest,
    ScenarioListRequest,
    ScenarioNameRequest,
    StateKeyRequest,
    StateNamespaceRequest,
    StateResetRequest,
    StateSetRequest,
    TraceDiffRequest,
    TraceQueryRequest,
)
from alc.engine import card_exchange, card_sinks, card_traces
from alc.engine.errors import CardNotFound, InvalidInput
from alc.engine.packages import alc_home
from alc.engine.protocol import dumps
from alc.engine.scenario_library import ScenarioLibrary
from alc.engine.state_admin import StateAdmin
from alc.mcp._tools import LOOP, TABLE, ToolReply, Wording

__all__: list[str] = []

_T = TypeVar("_T")

_INLINE_MAX_BYTES = 16 * 2**20
"""The largest inline scenario ``alc_eval`` accepts (the limit of a scenario file)."""


def _result(wire: dict[str, Any]) -> CallToolResult:
    return CallToolResult(
        content=[TextContent(type="text", text=dumps(wire))], structured_content=wire
    )


async def _run(fn: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
    """``fn`` on a worker thread (store and file work block)."""
    return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs))


def _local(app: Any, tool: str) -> None:
    """Refuse a tool that reads or writes the server's folders when it reads no files."""
    if not app.read_files:
        raise InvalidInput(
            f"{tool} is refused by this server: it would read or write the server's own "
            "folders. Its operator runs it on the server (alc mcp over stdio)."
        )


# ---------------------------------------------------------------------- eval and scenarios


def _inline_scenario(source: str) -> str:
    """Write an inline scenario once, under a content-addressed name (so calling ``alc_eval``
    again with the same text continues the same run); its path."""
    data = source.encode("utf-8", "surrogatepass")
    if len(data) > _INLINE_MAX_BYTES:
        raise InvalidInput(f"alc_eval: scenario is over {_INLINE_MAX_BYTES // 2**20} MiB.")
    digest = hashlib.sha256(data).hexdigest()[:24]
    folder = alc_home() / "scenarios" / ".inline"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"inline_{digest}.lua"
    if not path.is_file():
        part = path.with_suffix(".part")
        part.write_text(source, encoding="utf-8", errors="surrogatepass")
        part.replace(path)
    return str(path)


def _scenario_source(app: Any, a: EvalRequest) -> str:
    given = [s for s in (a.scenario, a.scenario_file, a.scenario_name) if s is not None]
    if len(given) != 1:
        raise InvalidInput(
            "alc_eval takes exactly one scenario source: scenario (inline Lua), scenario_file "
            "or scenario_name."
        )
    if a.scenario_name is not None:
        import alc.eval as ev

        if a.scenario_name in ev.BUILTIN_SETS:
            return a.scenario_name
        return str(ScenarioLibrary().path(a.scenario_name))
    _local(app, "alc_eval with scenario or scenario_file")
    if a.scenario is not None:
        return _inline_scenario(a.scenario)
    assert a.scenario_file is not None
    return a.scenario_file


_EVAL = (
    "Evaluate `strategy` on a scenario: give exactly one of `scenario` (inline evalframe Lua), "
    "`scenario_file` or `scenario_name` (alc_scenario_list, or arith|logic|factual); "
    "`strategy_opts` is the strategy's ctx. Each case runs as a session: the reply holds a "
    '"pending" session pause; answer it with alc_continue until it completes, then call '
    'alc_eval again with the same arguments, until status is "complete". Its eval_id is what '
    "alc_eval_detail and alc_eval_compare take." + LOOP
)


@TABLE.tool("alc_eval", EvalRequest, Wording("Evaluate a strategy on a scenario", _EVAL))
async def _alc_eval(app: Any, a: EvalRequest, ctx: Context) -> ToolReply:
    if a.strategy_opts is not None and not isinstance(a.strategy_opts, dict):
        raise InvalidInput("alc_eval: strategy_opts must be a JSON object.")
    run = EvalRunRequest.model_validate(
        {
            "scenario": _scenario_source(app, a),
            "strategies": [a.strategy],
            "baseline": None,
            "strategy_opts": {a.strategy: a.strategy_opts or {}},
        }
    )
    reply: ToolReply = await app._alc_eval_run(run, ctx)
    if not isinstance(reply, CallToolResult) or reply.is_error:
        return reply
    wire = reply.structured_content or {}
    if "run_id" not in wire:
        return reply
    return _result({**wire, "eval_id": wire["run_id"]})  # algocline's name for the run id


_DETAIL = (
    "One eval (eval_id from alc_eval or alc_eval_history) in full: its record, per-strategy "
    "statistics and every graded case."
)


@TABLE.tool("alc_eval_detail", EvalDetailRequest, Wording("Eval detail", _DETAIL, read_only=True))
async def _alc_eval_detail(app: Any, a: EvalDetailRequest, ctx: Context) -> ToolReply:
    import alc.eval as ev

    engine = app.engine.blocking
    report = await _run(ev.run_report, engine, a.eval_id)
    shown = await _run(ev.show_run, engine, a.eval_id)
    return _result({"eval_id": a.eval_id, **report, "cases": shown["cases"]})


@TABLE.tool(
    "alc_scenario_list",
    ScenarioListRequest,
    Wording("List scenarios", "The scenarios installed under $ALC_HOME/scenarios.", True),
)
async def _alc_scenario_list(app: Any, a: ScenarioListRequest, ctx: Context) -> ToolReply:
    return _result(await _run(ScenarioLibrary().list))


@TABLE.tool(
    "alc_scenario_show",
    ScenarioNameRequest,
    Wording("Show a scenario", "An installed scenario's file content.", read_only=True),
)
async def _alc_scenario_show(app: Any, a: ScenarioNameRequest, ctx: Context) -> ToolReply:
    return _result(await _run(ScenarioLibrary().show, a.name))


_SCENARIO_INSTALL = (
    "Install the scenario files (.lua evalframe, .jsonl, .toml, .json) of a git URL, a local "
    "folder (its top and scenarios/) or one file into $ALC_HOME/scenarios; same names replace."
)


@TABLE.tool(
    "alc_scenario_install",
    ScenarioInstallRequest,
    Wording("Install scenarios", _SCENARIO_INSTALL, idempotent=True),
)
async def _alc_scenario_install(app: Any, a: ScenarioInstallRequest, ctx: Context) -> ToolReply:
    _local(app, "alc_scenario_install")
    return _result(await _run(ScenarioLibrary().install, a.url))


# ---------------------------------------------------------------------- cards: alc_cards actions


def _card_alias(name: str, model: type[CardToolRequest], action: str, wording: Wording) -> None:
    """Register algocline's tool ``name`` as ``alc_cards`` action ``action``."""

    async def handler(app: Any, a: CardToolRequest, ctx: Context) -> ToolReply:
        reply: ToolReply = await app._alc_cards(a.cards(action), ctx)
        return reply

    TABLE.tool(name, model, wording)(handler)


_card_alias(
    "alc_card_list",
    CardListRequest,
    "list",
    Wording("List cards", "Card summaries, newest first (`pkg` filters).", read_only=True),
)
_card_alias(
    "alc_card_get",
    CardGetRequest,
    "get",
    Wording("Get a card", "One full card and its number of samples.", read_only=True),
)
_card_alias(
    "alc_card_find",
    CardFindRequest,
    "find",
    Wording(
        "Find cards",
        'Cards matching `where` (e.g. {"stats": {"pass_rate": {"gte": 0.8}}}; operators eq ne '
        "lt lte gt gte in nin exists contains starts_with _and _or _not), sorted by `order_by` "
        '("-stats.pass_rate"), paged by `limit` / `offset`.',
        read_only=True,
    ),
)
_card_alias(
    "alc_card_alias_list",
    CardAliasListRequest,
    "alias_list",
    Wording("List card aliases", "The card aliases by name (`pkg` filters).", read_only=True),
)
_card_alias(
    "alc_card_get_by_alias",
    CardGetByAliasRequest,
    "get_by_alias",
    Wording("Get a card by alias", "The full card an alias names.", read_only=True),
)
_card_alias(
    "alc_card_alias_set",
    CardAliasSetRequest,
    "alias_set",
    Wording("Set a card alias", "Bind or rebind an alias to a card.", idempotent=True),
)
_card_alias(
    "alc_card_append",
    CardAppendRequest,
    "append",
    Wording("Append to a card", "Add new top-level fields to a card (existing ones stay)."),
)
_card_alias(
    "alc_card_samples",
    CardSamplesRequest,
    "samples",
    Wording("Card samples", "A card's per-case rows (`where`, `offset`, `limit`).", True),
)
_card_alias(
    "alc_card_lineage",
    CardLineageRequest,
    "lineage",
    Wording(
        "Card lineage",
        "A card's family through metadata.prior_card_id (`direction` up|down|both, `depth`).",
        read_only=True,
    ),
)


# ---------------------------------------------------------------------- cards: beyond alc_cards

_ANALYZE = (
    "Run an analyzer strategy (`pkg`, default card_analysis) over one card: a session whose "
    "ctx is {card_id, card, samples}; the built-in card_analysis returns {pattern, "
    "suggested_change, confidence, failure_count, sample_count}." + LOOP
)


@TABLE.tool("alc_card_analyze", CardAnalyzeRequest, Wording("Analyze a card", _ANALYZE))
async def _alc_card_analyze(app: Any, a: CardAnalyzeRequest, ctx: Context) -> ToolReply:
    cards = app.engine.cards
    card = await cards.get(a.card_id)
    if card is None:
        raise CardNotFound(f"No card {a.card_id!r} in this store (alc_card_list shows them).")
    samples = await cards.read_samples(a.card_id)
    context = {"card_id": a.card_id, "card": card, "samples": samples}
    outcome = await app.engine.start(strategy=a.pkg, ctx=context)
    reply: ToolReply = await app._reply(outcome, ctx)
    return reply


_INSTALL = (
    "Install the cards of a card collection (a git URL or a local folder holding "
    "<card_id>.json or .toml card files, samples in <card_id>.samples.jsonl) into the store; "
    "cards already there are skipped."
)


@TABLE.tool("alc_card_install", CardInstallRequest, Wording("Install cards", _INSTALL))
async def _alc_card_install(app: Any, a: CardInstallRequest, ctx: Context) -> ToolReply:
    _local(app, "alc_card_install")
    return _result(await _run(card_exchange.install_cards, app.engine.cards.sync, a.url))


_PUBLISH = (
    "Publish a card to a git repository: clone `target_repo`, add cards/<pkg>/<card_id>.json "
    "(and its samples), commit and push."
)


@TABLE.tool("alc_card_publish", CardPublishRequest, Wording("Publish a card", _PUBLISH))
async def _alc_card_publish(app: Any, a: CardPublishRequest, ctx: Context) -> ToolReply:
    _local(app, "alc_card_publish")
    sync = app.engine.cards.sync
    publish = card_exchange.publish_card
    return _result(await _run(publish, sync, a.card_id, a.target_repo, a.commit_message))


_BACKFILL = (
    "Copy every stored card (and samples) to one sink, never overwriting: `sink` is a "
    "file:///folder URI (ALC_CARD_SINKS lists the configured ones); `dry_run` only reports."
)


@TABLE.tool(
    "alc_card_sink_backfill",
    CardSinkBackfillRequest,
    Wording("Backfill a card sink", _BACKFILL, idempotent=True),
)
async def _alc_card_sink_backfill(app: Any, a: CardSinkBackfillRequest, ctx: Context) -> ToolReply:
    _local(app, "alc_card_sink_backfill")
    sync = app.engine.cards.sync
    out = await _run(card_exchange.backfill_sink, sync, a.sink, a.dry_run)
    out["configured_sinks"] = card_sinks.configured_sinks()
    return _result(out)


# ---------------------------------------------------------------------- state


def _state(app: Any) -> StateAdmin:
    return StateAdmin(app.engine.store)


@TABLE.tool(
    "alc_state_list",
    StateNamespaceRequest,
    Wording("List state keys", "A namespace's alc.state keys, sorted (no .bak/.tmp).", True),
)
async def _alc_state_list(app: Any, a: StateNamespaceRequest, ctx: Context) -> ToolReply:
    return _result(await _run(_state(app).list, a.namespace))


@TABLE.tool(
    "alc_state_show",
    StateKeyRequest,
    Wording("Show a state key", "The JSON value of one alc.state key.", read_only=True),
)
async def _alc_state_show(app: Any, a: StateKeyRequest, ctx: Context) -> ToolReply:
    return _result(await _run(_state(app).show, a.namespace, a.key))


_RESET = (
    "Drop `steps` from data.completed_steps and `fields` from data of a state key (a resumable "
    "strategy then redoes them); the previous value is kept under <key>.bak."
)


@TABLE.tool("alc_state_reset", StateResetRequest, Wording("Reset state", _RESET, True, True))
async def _alc_state_reset(app: Any, a: StateResetRequest, ctx: Context) -> ToolReply:
    admin = _state(app)
    return _result(await _run(admin.reset, a.namespace, a.key, a.steps, a.fields))


@TABLE.tool(
    "alc_state_set",
    StateSetRequest,
    Wording("Set a state key", "Write a key (an overwritten value goes to <key>.bak).", True),
)
async def _alc_state_set(app: Any, a: StateSetRequest, ctx: Context) -> ToolReply:
    return _result(await _run(_state(app).set, a.namespace, a.key, a.value))


@TABLE.tool(
    "alc_state_delete",
    StateKeyRequest,
    Wording(
        "Delete a state key",
        "Delete a key, its value kept under <key>.bak; {ok, existed}.",
        destructive=True,
        idempotent=True,
    ),
)
async def _alc_state_delete(app: Any, a: StateKeyRequest, ctx: Context) -> ToolReply:
    return _result(await _run(_state(app).delete, a.namespace, a.key))


# ---------------------------------------------------------------------- traces

_TRACE_QUERY = (
    "Sample rows of cards that carry a `trace` object (recipe_trace's {total_calls, "
    "total_trace_ms, completed}), filtered by pkg, min/max_calls, min/max_ms and completed; "
    "paged by offset/limit."
)


@TABLE.tool(
    "alc_trace_query", TraceQueryRequest, Wording("Query traces", _TRACE_QUERY, read_only=True)
)
async def _alc_trace_query(app: Any, a: TraceQueryRequest, ctx: Context) -> ToolReply:
    query = a.model_dump()
    return _result(await _run(card_traces.trace_query, app.engine.cards.sync, query))


_TRACE_DIFF = (
    "Compare two trace rows (sample_index default 0): calls_delta, ms_delta and "
    "ms_per_call_delta (b - a), completed_a / completed_b."
)


@TABLE.tool("alc_trace_diff", TraceDiffRequest, Wording("Diff traces", _TRACE_DIFF, True))
async def _alc_trace_diff(app: Any, a: TraceDiffRequest, ctx: Context) -> ToolReply:
    sync = app.engine.cards.sync
    diff = card_traces.trace_diff
    args = (a.a_card_id, a.b_card_id, a.a_sample_index, a.b_sample_index)
    return _result(await _run(diff, sync, *args))
