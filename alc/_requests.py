"""Typed requests: one pydantic model per request a front end makes.

Each model is the contract of one request: its argument names, their JSON types and their
descriptions (``Field(description=...)``). :meth:`Request.input_schema` derives the JSON schema a
front end shows (the MCP server's tool input schemas are these, nothing is written by hand);
:meth:`Request.parse` validates a JSON object into the model and raises ``invalid_input`` naming
every missing, unknown or mistyped argument.

A value the API layer checks itself (a session id, Lua code, a ctx object, an answer, usage
counts) is declared with its JSON type for the schema but taken as given here
(``Annotated[Any, WithJsonSchema(...)]``): the :mod:`alc._api` check then refuses a bad one with
the message every front end shares (the Python API, the CLI and MCP give the same error).

:func:`feed_request` (from :mod:`alc._feed`, with :class:`Request` and :class:`ResponseItem`)
is the one parser of the answers of a feed request, whatever the front end.
"""

from typing import Annotated, Any

from pydantic import ConfigDict, Field, WithJsonSchema, field_validator

from alc._feed import Request, ResponseItem, Text, UsageArg, feed_request
from alc.engine.errors import InvalidInput
from alc.engine.pkg import ACTIONS as PKG_ACTIONS

__all__ = [
    "CARD_ACTIONS",
    "AdviceRequest",
    "CancelRequest",
    "CardsRequest",
    "EvalCompareRequest",
    "EvalHistoryRequest",
    "EvalRunRequest",
    "FeedRequest",
    "InfoRequest",
    "PkgRequest",
    "Request",
    "ResponseItem",
    "RunRequest",
    "StatusRequest",
    "StrategiesRequest",
    "ThoughtRequest",
    "feed_request",
]

Flag = Annotated[Any, WithJsonSchema({"type": "boolean"})]
Count = Annotated[Any, WithJsonSchema({"type": "integer", "minimum": 0})]
JsonObject = Annotated[Any, WithJsonSchema({"type": "object"})]
ObjectOrText = Annotated[Any, WithJsonSchema({"type": ["object", "string"]})]
Names = Annotated[Any, WithJsonSchema({"type": "array", "items": {"type": "string"}})]

# ---------------------------------------------------------------------- sessions

_SESSION_ID = "A session id from a reply ('s-' + 32 hex digits)."
_LIMITS = (
    "Sandbox limits, tighter or looser than the server's: max_memory (bytes), "
    "max_instructions (per step), max_step_seconds, max_output_bytes, lua_version ('5.5'|'5.4')."
)
_PROJECT_ROOT = "algocline compatibility, ignored: packages resolve from the server's project."
_HOST_MODE = "algocline compatibility, ignored: every alc session is durable."


class RunRequest(Request):
    """Start a session from Lua code (``code`` or ``code_file``)."""

    code: Text = Field(None, description="Lua source; `ctx` is a global, `return` the result.")
    code_file: str | None = Field(None, description="A .lua file to run instead of `code`.")
    ctx: ObjectOrText = Field(None, description="The JSON object given as `ctx`, or its text.")
    limits: JsonObject = Field(None, description=_LIMITS)
    project_root: Any = Field(None, description=_PROJECT_ROOT)
    host_mode: Flag = Field(None, description=_HOST_MODE)


class AdviceRequest(Request):
    """Start a session of a named strategy on a task."""

    strategy: Text = Field(description="The strategy name (alc_strategies lists them).")
    task: Text = Field(None, description="The question or task (ctx.task).")
    opts: ObjectOrText = Field(None, description="Strategy parameters merged into ctx, or text.")
    limits: JsonObject = Field(None, description=_LIMITS)
    project_root: Any = Field(None, description=_PROJECT_ROOT)
    host_mode: Flag = Field(None, description=_HOST_MODE)


def _bare(schema: Any) -> Any:
    """``schema`` without its descriptions (a nested schema the parent's description explains)."""
    if isinstance(schema, dict):
        return {k: _bare(v) for k, v in schema.items() if k != "description"}
    return schema


def _responses_schema(schema: dict[str, Any]) -> None:
    """Complete the ``responses`` schema when it is generated (not at import): either shape."""
    schema["items"] = _bare(ResponseItem.input_schema())
    schema["additionalProperties"] = {"type": "string"}


class FeedRequest(Request):
    """Answer a paused session: one ``response``, or several ``responses``."""

    session_id: Text = Field(description=_SESSION_ID)
    response: Text = Field(None, description="Your answer to the pending query.")
    query_id: Text = Field(None, description="The query `response` answers ('q-<n>').")
    responses: Annotated[Any, WithJsonSchema({"type": ["array", "object"]})] = Field(
        None,
        json_schema_extra=_responses_schema,
        description="Several answers: [{query_id, response, usage?}, ...] or {query_id: answer}.",
    )
    usage: UsageArg = Field(None, description="Real token usage of `response`.")


class StatusRequest(Request):
    """One session's snapshot, or (no ``session_id``) the active sessions."""

    session_id: Text = Field(None, description=_SESSION_ID)
    include_conversation: bool = Field(False, description="Add the prompts and answers.")
    include_history: bool = Field(False, description="Same as include_conversation.")
    pending_filter: ObjectOrText = Field(
        None,
        description='Which fields of each pending query to show: "meta" (query_id, max_tokens), '
        '"preview" (and the first 200 prompt characters), "full", or an object of booleans '
        '(query_id, max_tokens, system, grounded, underspecified) and prompt {"mode": '
        '"off"|"preview"|"full", "chars": n}. Omitted: the queries as they are.',
    )
    conversation_limit: int = Field(10, ge=0, description="Most recent exchanges shown (0: all).")


class CancelRequest(Request):
    """Cancel a paused session."""

    session_id: Text = Field(description=_SESSION_ID)


class StrategiesRequest(Request):
    """The strategy catalogue, or one strategy's metadata."""

    name: str | None = Field(None, description="A strategy name: its parameters and example.")


class InfoRequest(Request):
    """Engine information (no arguments)."""


# ---------------------------------------------------------------------- cards, packages, evals

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
"""The ``action`` values of a cards request."""


_Direction = Annotated[Any, WithJsonSchema({"type": "string", "enum": ["up", "down", "both"]})]


class CardsRequest(Request):
    """One action on the card store (the values are checked by :class:`~alc.engine.cards`)."""

    action: Annotated[str, WithJsonSchema({"type": "string", "enum": list(CARD_ACTIONS)})]
    card_id: Text = Field(None, description="A card id.")
    pkg: Text = Field(None, description="Only cards (aliases) of this package.")
    where: ObjectOrText = Field(None, description="find/samples filter, or its JSON text.")
    order_by: Annotated[
        Any, WithJsonSchema({"type": ["string", "array"], "items": {"type": "string"}})
    ] = Field(None, description="find: dotted path(s), '-' first for descending.")
    limit: Count = None
    offset: Count = None
    name: Text = Field(None, description="An alias name.")
    note: Text = Field(None, description="alias_set: a free note.")
    fields: JsonObject = Field(None, description="append: the new top-level keys.")
    direction: _Direction = None
    depth: Count = None
    include_stats: Flag = Field(None, description="lineage: default true.")
    relation_filter: Names = Field(None, description="lineage: follow only these relations.")

    @field_validator("action")
    @classmethod
    def _known_action(cls, value: str) -> str:
        if value not in CARD_ACTIONS:
            raise ValueError(f"must be one of {', '.join(CARD_ACTIONS)}")
        return value


class PkgRequest(Request):
    """One package action; the action's own arguments are checked by :mod:`alc.engine.pkg`
    (extra arguments pass through to it, so a new action argument needs no change here)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    action: Annotated[Any, WithJsonSchema({"type": "string", "enum": list(PKG_ACTIONS)})]
    source: Text = Field(None, description="install: folder, git URL or collection root.")
    ref: Text = Field(None, description="install: git branch, tag or commit.")
    name: Text = Field(None, description="The package name.")
    scope: Annotated[Any, WithJsonSchema({"type": "string", "enum": ["user", "project"]})] = None
    update: Flag = Field(None, description="install: re-pin alc.lock.")
    include_builtin: Flag = Field(None, description="list: built-ins too.")
    path: Text = Field(None, description="link: the working folder.")
    directory: Text = Field(None, description="scaffold: where (default: cwd).")
    target: Text = Field(None, description="test: package name or folder.")
    answers: Names = Field(None, description="test: alc.llm answers, used in turn.")
    project_root: str | None = Field(None, description="The project folder (default: cwd).")

    def action_arguments(self) -> dict[str, Any]:
        """The arguments given besides ``action`` and ``project_root`` (as given)."""
        given = self.model_dump(exclude_unset=True)
        return {k: v for k, v in given.items() if k not in ("action", "project_root")}


class EvalRunRequest(Request):
    """Start or continue an eval run."""

    scenario: str | None = Field(None, description="arith | logic | factual, or a file path.")
    strategies: list[str] = Field(default_factory=list, description='e.g. ["cot", "sc"].')
    baseline: Annotated[str | None, WithJsonSchema({"type": ["string", "null"]})] = Field(
        "direct", description="Compared with (null: none)."
    )
    n: int | None = Field(None, ge=1, description="Number of cases.")
    seed: int = Field(0, description="Seed of the generated sets.")
    strategy_opts: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description='ctx per strategy, e.g. {"sc": {"n": 3}}.'
    )
    run_id: str | None = Field(None, description="Continue this run (ev-...).")


class EvalCompareRequest(Request):
    """Paired statistics of eval runs."""

    run_a: str | None = Field(None, description="RUN or RUN:STRATEGY (baseline side).")
    run_b: str | None = Field(None, description="RUN or RUN:STRATEGY (optional).")
    eval_id_a: str | None = Field(None, description="algocline's name for run_a.")
    eval_id_b: str | None = Field(None, description="algocline's name for run_b.")

    def sides(self) -> tuple[str, str | None]:
        """``(a, b)``: run_a / run_b, or algocline's eval_id_a / eval_id_b.

        Raises:
            InvalidInput: no first side, or both names of one side.
        """
        if (self.run_a and self.eval_id_a) or (self.run_b and self.eval_id_b):
            raise InvalidInput("Give run_a/run_b or eval_id_a/eval_id_b, not both names.")
        a = self.run_a or self.eval_id_a
        if a is None:
            raise InvalidInput("Give run_a (or eval_id_a): the run compared against.")
        return a, self.run_b or self.eval_id_b


class EvalHistoryRequest(Request):
    """Past eval runs, or one run's statistics and cases."""

    run_id: str | None = Field(None, description="A run id (ev-...).")
    strategy: str | None = Field(None, description="Only this strategy's runs or cases.")
    cases: bool = Field(False, description="Include per-case results.")
    limit: int = Field(20, ge=1, description="At most this many runs.")


# ---------------------------------------------------------------------- sequential thinking


def _ref(kind: str, description: str, minimum: bool = False) -> Any:
    schema: dict[str, Any] = {"type": kind, "description": description}
    if minimum:
        schema["minimum"] = 1
    return WithJsonSchema(schema)


class ThoughtRequest(Request):
    """One ``sequentialthinking`` thought: the reference server's schema, exactly.

    Parsing is lenient on purpose (:func:`alc.thinking.parse_thought` is the one parser): the
    snake_case aliases, numbers and booleans as strings, and unknown arguments (reported back as
    warnings) are accepted, and missing numbers are filled in by the strategy.
    """

    model_config = ConfigDict(
        extra="allow",
        frozen=True,
        json_schema_extra={
            "required": ["thought", "nextThoughtNeeded", "thoughtNumber", "totalThoughts"]
        },
    )

    thought: Annotated[Any, _ref("string", "Your current thinking step")] = None
    nextThoughtNeeded: Annotated[Any, _ref("boolean", "Whether another thought step is needed")] = (
        None
    )
    thoughtNumber: Annotated[
        Any, _ref("integer", "Current thought number (numeric value, e.g., 1, 2, 3)", True)
    ] = None
    totalThoughts: Annotated[
        Any, _ref("integer", "Estimated total thoughts needed (numeric value, e.g., 5, 10)", True)
    ] = None
    isRevision: Annotated[Any, _ref("boolean", "Whether this revises previous thinking")] = None
    revisesThought: Annotated[Any, _ref("integer", "Which thought is being reconsidered", True)] = (
        None
    )
    branchFromThought: Annotated[Any, _ref("integer", "Branching point thought number", True)] = (
        None
    )
    branchId: Annotated[Any, _ref("string", "Branch identifier")] = None
    needsMoreThoughts: Annotated[Any, _ref("boolean", "If more thoughts are needed")] = None
    session_id: Annotated[
        Any, _ref("string", "Optional: which chain (an id from a reply, or a label of your own).")
    ] = None

    def arguments(self) -> dict[str, Any]:
        """The arguments as given (aliases and unknown ones included), for the thought parser."""
        return self.model_dump(exclude_unset=True)
