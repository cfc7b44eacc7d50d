"""The MCP tools' names, descriptions, input schemas and argument models.

Schemas are written out by hand (not derived from function signatures) so ``tools/list`` shows
exactly the documented contract, the ``sequentialthinking`` schema is the reference server's,
and malformed arguments come back as alc's own ``invalid_input`` error object.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from alc.engine.errors import InvalidInput
from alc.engine.pkg import ACTIONS as PKG_ACTIONS

__all__ = [
    "CARD_ACTIONS",
    "TOOLS",
    "AdviceArgs",
    "CancelArgs",
    "CardsArgs",
    "ContinueArgs",
    "EvalCompareArgs",
    "EvalHistoryArgs",
    "EvalRunArgs",
    "InfoArgs",
    "PkgArgs",
    "RunArgs",
    "StatusArgs",
    "StrategiesArgs",
    "ToolSpec",
    "parse_args",
]

_LOOP = (
    'The loop: the reply is JSON. While "status" is "needs_response", the strategy is paused '
    'on a prompt meant for YOU: read "prompt" (and "system"), answer it with your own '
    "reasoning, and pass your answer to alc_continue with the same session_id (and query_id). "
    'When the reply has "queries" (a batch), answer each one: all at once with '
    '"responses": [{"query_id", "response"}, ...], or one at a time (replies '
    '"accepted" with "remaining" until the last answer). Repeat until "status" is '
    '"completed" (the outcome is in "result") or "error" (the session failed; see '
    '"error_code"). Sessions are durable: a session_id stays valid across server restarts.'
)

_SESSION_ID = {
    "type": "string",
    "description": "The session id from a previous reply ('s-' + 32 hex digits).",
}
_USAGE = {
    "type": "object",
    "description": "Optional real token usage of the answer: {prompt_tokens, response_tokens}.",
    "properties": {
        "prompt_tokens": {"type": "integer", "minimum": 0},
        "response_tokens": {"type": "integer", "minimum": 0},
    },
}


class ToolSpec(BaseModel):
    """One tool: its name, description and JSON input schema."""

    model_config = ConfigDict(frozen=True)

    name: str
    title: str
    description: str
    input_schema: dict[str, Any]
    read_only: bool = False


_LIMITS: dict[str, Any] = {
    "type": "object",
    "description": (
        "Sandbox limits of the session, tighter or looser than the server's defaults: "
        "max_memory (bytes), max_instructions (per step), max_step_seconds, max_output_bytes, "
        "lua_version ('5.5' | '5.4')."
    ),
}

_PROJECT_ROOT = {
    "type": "string",
    "description": (
        "algocline compatibility: accepted and ignored. Packages resolve from the server's "
        "own project scope (the alc.toml nearest to its working folder; alc_info shows it)."
    ),
}
_HOST_MODE = {
    "type": "boolean",
    "description": (
        "algocline compatibility: accepted and ignored. Every alc session is durable and runs "
        "outside the server already."
    ),
}

CARD_ACTIONS = (
    "list",
    "get",
    "find",
    "samples",
    "lineage",
    "alias_list",
    "get_by_alias",
    "alias_set",
    "append",
)
"""The ``action`` values of ``alc_cards``."""

TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(
        name="alc_run",
        title="Run Lua strategy code",
        description=(
            "Start a session from Lua code. The code sees `ctx` as a global and may `return` its "
            "result; every alc.llm(prompt) call pauses the session and comes back to you as a "
            "prompt to answer. Give `code` (Lua source) or `code_file` (a path to a .lua file), "
            "and optionally `ctx` (a JSON object, or its JSON text). " + _LOOP
        ),
        input_schema={
            "type": "object",
            "properties": {
                "code": {"type": "string", "description": "Lua source of the strategy."},
                "code_file": {
                    "type": "string",
                    "description": "Path to a Lua file to run instead of `code`.",
                },
                "ctx": {
                    "type": ["object", "string"],
                    "description": "The JSON object handed to the code as `ctx`, or its JSON text.",
                },
                "limits": _LIMITS,
                "project_root": _PROJECT_ROOT,
                "host_mode": _HOST_MODE,
            },
        },
    ),
    ToolSpec(
        name="alc_advice",
        title="Run a reasoning strategy",
        description=(
            "Start a session of a named reasoning strategy (cot, sc, reflect, tot, ucb, ...; list "
            "them with alc_strategies) on `task`. `opts` are the strategy's parameters, merged "
            "into its ctx. The strategy supplies the algorithm; you supply the thinking. " + _LOOP
        ),
        input_schema={
            "type": "object",
            "properties": {
                "strategy": {"type": "string", "description": "The strategy name."},
                "task": {"type": "string", "description": "The question or task."},
                "opts": {
                    "type": ["object", "string"],
                    "description": (
                        "Strategy parameters (see alc_strategies with `name`), or their JSON text."
                    ),
                },
                "limits": _LIMITS,
                "project_root": _PROJECT_ROOT,
                "host_mode": _HOST_MODE,
            },
            "required": ["strategy"],
        },
    ),
    ToolSpec(
        name="alc_continue",
        title="Answer a paused session",
        description=(
            "Feed your answer(s) to a paused session and get its next reply. One pending query: "
            "pass `response` (query_id optional). A batch: pass `responses` as a list of "
            "{query_id, response}, or answer queries one at a time with `response` + `query_id` "
            '(the reply is "accepted" with "remaining" until the last one). ' + _LOOP
        ),
        input_schema={
            "type": "object",
            "properties": {
                "session_id": _SESSION_ID,
                "response": {"type": "string", "description": "Your answer to the query."},
                "query_id": {
                    "type": "string",
                    "description": "The query answered by `response` ('q-<n>').",
                },
                "responses": {
                    "type": "array",
                    "description": "Several answers at once.",
                    "items": {
                        "type": "object",
                        "properties": {
                            "query_id": {"type": "string"},
                            "response": {"type": "string"},
                            "usage": _USAGE,
                        },
                        "required": ["query_id", "response"],
                    },
                },
                "usage": _USAGE,
            },
            "required": ["session_id"],
        },
    ),
    ToolSpec(
        name="alc_status",
        title="Session status",
        description=(
            "One session's snapshot (state, phase, pending queries, progress, recent log lines, "
            "LLM calls, token totals, last activity, outcome once ended; with "
            "`include_conversation` also its prompts and answers), or without `session_id` the "
            "list of active (paused or running) sessions."
        ),
        input_schema={
            "type": "object",
            "properties": {
                "session_id": _SESSION_ID,
                "include_conversation": {
                    "type": "boolean",
                    "description": (
                        "Add `conversation_history`: the session's prompts and answers, most "
                        "recent last (default false; `include_history` is the same)."
                    ),
                },
                "include_history": {
                    "type": "boolean",
                    "description": "The same as `include_conversation` (algocline's name).",
                },
                "conversation_limit": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "How many of the most recent exchanges to show (default 10; "
                    "0: all).",
                },
            },
        },
        read_only=True,
    ),
    ToolSpec(
        name="alc_cancel",
        title="Cancel a session",
        description="Cancel a paused session. It accepts no more answers afterwards.",
        input_schema={
            "type": "object",
            "properties": {"session_id": _SESSION_ID},
            "required": ["session_id"],
        },
    ),
    ToolSpec(
        name="alc_strategies",
        title="List strategies",
        description=(
            "The strategy catalogue (name, description, category, paper), or with `name` one "
            "strategy's metadata including its parameters and an example ctx. The Lua source "
            "is the resource alc://strategies/{name}."
        ),
        input_schema={
            "type": "object",
            "properties": {"name": {"type": "string", "description": "A strategy name."}},
        },
        read_only=True,
    ),
    ToolSpec(
        name="alc_info",
        title="Engine information",
        description=(
            "alc's version, Lua version, session store, strategy search paths, the Lua type "
            "definitions (resource alc://types/alc.d.lua) and whether sampling mode is on."
        ),
        input_schema={"type": "object", "properties": {}},
        read_only=True,
    ),
    ToolSpec(
        name="alc_cards",
        title="Cards: stored run records",
        description=(
            "Read the cards in alc's store: immutable run records that strategies write with "
            "alc.card.* (e.g. an eval or optimize run with `auto_card`: parameters, stats such "
            "as pass_rate, per-case samples). Use it to find the best past run before choosing "
            "parameters, compare runs, inspect per-case failures, or follow a run's lineage "
            "(metadata.prior_card_id). One tool, one `action`:\n"
            "- list: summaries newest first (`pkg`, `limit`);\n"
            "- get: one whole card (`card_id`) plus its sample count;\n"
            "- find: summaries matching `where` (algocline's filter over the whole card, e.g. "
            '{"scenario": {"name": "gsm8k"}, "stats": {"pass_rate": {"gte": 0.8}}}; operators '
            "eq ne lt lte gt gte in nin exists contains starts_with, _and/_or/_not), sorted by "
            '`order_by` ("-stats.pass_rate"), paged by `limit`/`offset`;\n'
            "- samples: a card's per-case rows (`card_id`, optional `where`, `limit`, `offset`);\n"
            "- lineage: ancestors/descendants (`card_id`, `direction` up|down|both, `depth`, "
            "`relation_filter`);\n"
            "- alias_list / get_by_alias (`name`) / alias_set (`name`, `card_id`, `note`): the "
            "mutable names of cards;\n"
            "- append: add new top-level sections to a card (`card_id`, `fields`); existing keys "
            "are immutable.\n"
            "Unknown ids are a card_not_found error."
        ),
        input_schema={
            "type": "object",
            "properties": {
                "action": {
                    "type": "string",
                    "enum": list(CARD_ACTIONS),
                    "description": "What to do (see the tool description).",
                },
                "card_id": {"type": "string", "description": "A card id (from list or find)."},
                "pkg": {"type": "string", "description": "Only cards (aliases) of this package."},
                "where": {
                    "type": ["object", "string"],
                    "description": "The filter of find / samples, or its JSON text.",
                },
                "order_by": {
                    "type": ["string", "array"],
                    "items": {"type": "string"},
                    "description": "find: dotted path(s), '-' first for descending.",
                },
                "limit": {"type": "integer", "minimum": 0, "description": "At most this many."},
                "offset": {"type": "integer", "minimum": 0, "description": "Skip this many."},
                "name": {"type": "string", "description": "An alias name."},
                "note": {"type": "string", "description": "alias_set: a free note."},
                "fields": {"type": "object", "description": "append: the new top-level keys."},
                "direction": {"type": "string", "enum": ["up", "down", "both"]},
                "depth": {"type": "integer", "minimum": 0, "description": "lineage: at most."},
                "include_stats": {"type": "boolean", "description": "lineage: default true."},
                "relation_filter": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "lineage: follow only these metadata.prior_relation values.",
                },
            },
            "required": ["action"],
        },
    ),
    ToolSpec(
        name="alc_pkg",
        title="Strategy packages",
        description=(
            "Manage the strategy packages alc_advice can run. Use it when alc_advice reports "
            "strategy_not_found, when the user asks to install or update a package or an "
            "algocline collection, or to check why a package misbehaves. One tool, one "
            "`action`:\n"
            "- list: installed packages (name, version, source, scope, pin, shadowed_by) and "
            "the search order;\n"
            "- install: `source` = a package folder, a git URL (`ref` pins a branch, tag or "
            "commit) or a collection root (every */init.lua); `scope` user (default) or project "
            "(recorded in alc.toml / alc.lock); no `source` = install what alc.toml lists, at "
            "alc.lock's pins (`update`: re-pin). Atomic: a failed install changes nothing;\n"
            "- remove / unlink (`name`, optional `scope`); link (`path`: a working folder, "
            "edits take effect at once; `name`);\n"
            "- doctor: broken, shadowed and missing packages, each with `fix` and an `action` "
            "object you can send back to this tool as is;\n"
            "- scaffold (`name`, `directory`): a new package with meta, spec and a test;\n"
            "- test (`target`: a package name or folder; `answers`: scripted alc.llm answers): "
            "runs its *_spec.lua files in the sandbox.\n"
            "Running sessions keep the code they started with (sources are pinned), so "
            "installing or removing never breaks them."
        ),
        input_schema={
            "type": "object",
            "properties": {
                "action": {
                    "type": "string",
                    "enum": list(PKG_ACTIONS),
                    "description": "What to do (see the tool description).",
                },
                "source": {"type": "string", "description": "install: folder or git URL."},
                "ref": {"type": "string", "description": "install: git branch, tag or commit."},
                "name": {"type": "string", "description": "The package name."},
                "scope": {"type": "string", "enum": ["user", "project"]},
                "update": {"type": "boolean", "description": "install: re-pin alc.lock."},
                "include_builtin": {"type": "boolean", "description": "list: built-ins too."},
                "path": {"type": "string", "description": "link: the working folder."},
                "directory": {"type": "string", "description": "scaffold: where (default: cwd)."},
                "target": {"type": "string", "description": "test: package name or folder."},
                "answers": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "test: alc.llm answers, used in turn.",
                },
                "project_root": {
                    "type": "string",
                    "description": (
                        "The folder whose alc.toml is the project (default: the server's "
                        "working folder)."
                    ),
                },
            },
            "required": ["action"],
        },
    ),
    ToolSpec(
        name="alc_eval_run",
        title="Evaluate strategies against a baseline",
        description=(
            "Measure whether a strategy beats asking the model directly: every (strategy, case) "
            "pair of a scenario runs as an alc session, is graded, and is stored (one card with "
            "per-case samples per strategy). Scenarios: the built-in sets arith (generated word "
            "problems), logic (generated puzzles), factual, or a scenario file (evalframe .lua, "
            ".jsonl, .toml). The baseline (default direct) is added to the strategies.\n"
            "The loop: call with scenario, strategies (and n). The reply is "
            '{"status": "needs_response", "run_id", "done", "total", "pending": <a session '
            "pause>}: answer the pending session with alc_continue, exactly as for alc_run, until "
            'it is "completed"; then call alc_eval_run again with just the run_id. Each call '
            'grades what finished and hands you the next pause, until "status" is "complete" '
            "with the per-strategy pass rates and the paired comparisons with the baseline. "
            "Answer each task as the model under test would: the point is to compare the "
            "strategies, so do not carry knowledge from one case to another. A run is durable: "
            "the same run_id continues it in a later conversation. Then alc_eval_compare for "
            "the statistics, alc_eval_history for past runs and per-case answers."
        ),
        input_schema={
            "type": "object",
            "properties": {
                "scenario": {
                    "type": "string",
                    "description": "arith | logic | factual, or a scenario file path.",
                },
                "strategies": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": 'Strategies to evaluate, e.g. ["cot", "sc"].',
                },
                "baseline": {
                    "type": ["string", "null"],
                    "description": "The strategy compared with (default direct; null for none).",
                },
                "n": {"type": "integer", "minimum": 1, "description": "Number of cases."},
                "seed": {"type": "integer", "description": "Seed of the generated sets."},
                "strategy_opts": {
                    "type": "object",
                    "description": 'ctx parameters per strategy, e.g. {"sc": {"n": 3}}.',
                },
                "run_id": {"type": "string", "description": "Continue this run (ev-...)."},
            },
        },
    ),
    ToolSpec(
        name="alc_eval_compare",
        title="Compare eval runs (paired statistics)",
        description=(
            "Paired statistics of a finished (or partly finished) eval run, on the cases both "
            "sides ran: for each strategy against the baseline, the pass-rate gain with its 95% "
            "interval, McNemar's exact p-value, the Holm-adjusted p-value over the strategies, "
            "and a verdict that says plainly when there are too few cases to conclude anything. "
            "Give run_a alone (each strategy vs the run's baseline), or run_a and run_b as RUN or "
            "RUN:STRATEGY (run_b vs run_a, e.g. the same strategy on two models)."
        ),
        input_schema={
            "type": "object",
            "properties": {
                "run_a": {"type": "string", "description": "RUN or RUN:STRATEGY (baseline side)."},
                "run_b": {"type": "string", "description": "RUN or RUN:STRATEGY (optional)."},
            },
            "required": ["run_a"],
        },
        read_only=True,
    ),
    ToolSpec(
        name="alc_eval_history",
        title="Eval runs and their per-case results",
        description=(
            "Without run_id: the eval runs of the store, newest first (scenario, n, strategies, "
            "pass rates, status; a run that is not complete can be continued with alc_eval_run). "
            "With run_id: its per-strategy statistics and, with cases=true, every case's answer, "
            "score and session_id (alc_status on that session shows the full transcript)."
        ),
        input_schema={
            "type": "object",
            "properties": {
                "run_id": {"type": "string", "description": "A run id (ev-...)."},
                "strategy": {"type": "string", "description": "Only this strategy's cases."},
                "cases": {"type": "boolean", "description": "Include per-case results."},
                "limit": {
                    "type": "integer",
                    "minimum": 1,
                    "description": "At most this many runs.",
                },
            },
        },
        read_only=True,
    ),
    ToolSpec(
        name="sequentialthinking",
        title="Sequential thinking",
        description=(
            "A detailed tool for dynamic and reflective problem-solving through thoughts. Call it "
            "once per thought: each thought can build on, question or revise previous insights, "
            "branch into alternative approaches, and you may adjust totalThoughts up or down as "
            "understanding deepens. Set nextThoughtNeeded to false only when you have a "
            "satisfactory answer.\n\n"
            "Parameters: thought (this thinking step), thoughtNumber (1, 2, ...), totalThoughts "
            "(current estimate), nextThoughtNeeded, isRevision + revisesThought (this thought "
            "reconsiders an earlier one), branchFromThought + branchId (start or continue an "
            "alternative line), needsMoreThoughts (you reached the end but need more).\n\n"
            "alc keeps every chain durably: the reply holds the chain's session_id, its "
            "branch_tree, the last few thoughts and warnings (e.g. a revision of a thought that "
            "does not exist). thoughtNumber 1 starts a new chain; later thoughts continue the "
            "latest one. To keep several chains apart, pass the same session_id (the id from a "
            'reply, or any label of your own such as "design-review") with every thought of '
            "a chain. Completed chains can be read back with alc_status."
        ),
        input_schema={
            "type": "object",
            "properties": {
                "thought": {"type": "string", "description": "Your current thinking step"},
                "nextThoughtNeeded": {
                    "type": "boolean",
                    "description": "Whether another thought step is needed",
                },
                "thoughtNumber": {
                    "type": "integer",
                    "description": "Current thought number (numeric value, e.g., 1, 2, 3)",
                    "minimum": 1,
                },
                "totalThoughts": {
                    "type": "integer",
                    "description": "Estimated total thoughts needed (numeric value, e.g., 5, 10)",
                    "minimum": 1,
                },
                "isRevision": {
                    "type": "boolean",
                    "description": "Whether this revises previous thinking",
                },
                "revisesThought": {
                    "type": "integer",
                    "description": "Which thought is being reconsidered",
                    "minimum": 1,
                },
                "branchFromThought": {
                    "type": "integer",
                    "description": "Branching point thought number",
                    "minimum": 1,
                },
                "branchId": {"type": "string", "description": "Branch identifier"},
                "needsMoreThoughts": {
                    "type": "boolean",
                    "description": "If more thoughts are needed",
                },
                "session_id": {
                    "type": "string",
                    "description": (
                        "Optional: which chain. A session id from an earlier reply, or a "
                        "label of your own; omit it to use your default chain."
                    ),
                },
            },
            "required": ["thought", "nextThoughtNeeded", "thoughtNumber", "totalThoughts"],
        },
    ),
)
"""Every tool ``alc mcp`` serves, in ``tools/list`` order."""


# ---------------------------------------------------------------------- argument models


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


_M = TypeVar("_M", bound=_Args)


# Values the engine checks (session ids, code, ctx, task, answers, usage) are taken as given
# (``Any``): the Python API refuses a bad one with the message every front end shares. These
# models only check the shape of the call: known argument names, required ones present.


class RunArgs(_Args):
    code: Any = None
    code_file: str | None = None
    ctx: Any = None
    limits: Any = None
    project_root: Any = None
    host_mode: Any = None


class AdviceArgs(_Args):
    strategy: Any
    task: Any = None
    opts: Any = None
    limits: Any = None
    project_root: Any = None
    host_mode: Any = None


class ResponseItem(_Args):
    query_id: Any
    response: Any
    usage: Any = None


class ContinueArgs(_Args):
    session_id: Any
    response: Any = None
    query_id: Any = None
    responses: list[ResponseItem] = Field(default_factory=list)
    usage: Any = None


class StatusArgs(_Args):
    session_id: Any = None
    include_conversation: bool = False
    include_history: bool = False
    conversation_limit: int = Field(default=10, ge=0)


class CancelArgs(_Args):
    session_id: Any


class StrategiesArgs(_Args):
    name: str | None = None


class InfoArgs(_Args):
    pass


class CardsArgs(_Args):
    action: str
    card_id: Any = None
    pkg: Any = None
    where: Any = None
    order_by: Any = None
    limit: Any = None
    offset: Any = None
    name: Any = None
    note: Any = None
    fields: Any = None
    direction: Any = None
    depth: Any = None
    include_stats: Any = None
    relation_filter: Any = None

    @field_validator("action")
    @classmethod
    def _known_action(cls, value: str) -> str:
        if value not in CARD_ACTIONS:
            raise ValueError(f"must be one of {', '.join(CARD_ACTIONS)}")
        return value


class PkgArgs(_Args):
    """``alc_pkg``: the action and its arguments (checked by the engine), and the project."""

    model_config = ConfigDict(extra="allow", frozen=True)

    action: Any
    project_root: str | None = None


class EvalRunArgs(_Args):
    scenario: str | None = None
    strategies: list[str] = Field(default_factory=list)
    baseline: str | None = "direct"
    n: int | None = Field(default=None, ge=1)
    seed: int = 0
    strategy_opts: dict[str, dict[str, Any]] = Field(default_factory=dict)
    run_id: str | None = None


class EvalCompareArgs(_Args):
    run_a: str
    run_b: str | None = None


class EvalHistoryArgs(_Args):
    run_id: str | None = None
    strategy: str | None = None
    cases: bool = False
    limit: int = Field(default=20, ge=1)


def parse_args(model: type[_M], tool: str, arguments: dict[str, Any]) -> _M:
    """Validate tool arguments into ``model``.

    Raises:
        InvalidInput: a missing, unknown or mistyped argument (the message names each).
    """
    try:
        return model.model_validate(arguments)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(arguments)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise InvalidInput(f"Invalid arguments for {tool}: {problems}.") from None
