"""The one parser of a feed's answers, and the base of the typed request models.

:func:`feed_request` reads the answers of a feed request the same way for every front end (the
Python API, ``alc continue --responses``, MCP ``alc_continue``): ``responses`` may be
``{query_id: answer}``, a list of ``{"query_id" (or "id"), "response", "usage"}`` objects
(:class:`ResponseItem`), or ``(query_id, answer)`` pairs; an answer is text or
``{"text": ..., "usage": {...}}``. :class:`Request` is the base of the request models of
:mod:`alc._requests`.

This module is apart from :mod:`alc._requests` so the cold ``alc continue`` path builds one small
model, not every tool's.
"""

from collections.abc import Mapping
from typing import Annotated, Any, Self

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, WithJsonSchema
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from alc.engine._validate import is_query_id
from alc.engine.errors import InvalidInput
from alc.engine.protocol import Response, Usage
from alc.responders._base import as_response

__all__ = ["Request", "ResponseItem", "Text", "UsageArg", "feed_request"]

# ---------------------------------------------------------------------- checked-later values

Text = Annotated[Any, WithJsonSchema({"type": "string"})]
"""Text the API checks itself (its message is the one every front end shows)."""

_USAGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "prompt_tokens": {"type": "integer", "minimum": 0},
        "response_tokens": {"type": "integer", "minimum": 0},
    },
}
UsageArg = Annotated[Any, WithJsonSchema(_USAGE_SCHEMA)]
"""``{prompt_tokens, response_tokens}``, checked by :meth:`Usage.parse`."""


class _CompactSchema(GenerateJsonSchema):
    """JSON schema without what a model reading it does not need: titles, the model docstring,
    ``null`` alternatives and ``default: null`` of optional arguments (not required says it)."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False

    def nullable_schema(self, schema: core_schema.NullableSchema) -> JsonSchemaValue:
        return self.generate_inner(schema["schema"])

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> JsonSchemaValue:
        out = super().default_schema(schema)
        if out.get("default", 0) is None:
            del out["default"]
        return out

    def generate(self, schema: core_schema.CoreSchema, mode: Any = "validation") -> JsonSchemaValue:
        out = super().generate(schema, mode)
        out.pop("title", None)
        out.pop("description", None)
        out.setdefault("properties", {})
        if out.get("additionalProperties") is True:  # the JSON schema default
            del out["additionalProperties"]
        return out


def _problems(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or '(arguments)'}: {err['msg']}"
        for err in exc.errors()
    )


class Request(BaseModel):
    """Base of every request model: unknown arguments are refused, parsed requests are frozen.

    Models are built on first use (``defer_build``): importing this module stays cheap for the
    cold CLI path, which uses at most :class:`ResponseItem`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    @classmethod
    def input_schema(cls) -> dict[str, Any]:
        """The JSON schema of the request's arguments (an ``object`` schema; compact)."""
        return cls.model_json_schema(by_alias=True, schema_generator=_CompactSchema)

    @classmethod
    def parse(cls, arguments: Mapping[str, Any], what: str) -> Self:
        """Validate ``arguments`` (a JSON object) into the model.

        Raises:
            InvalidInput: a missing, unknown or mistyped argument (the message names each and
                ``what``, e.g. the tool name).
        """
        try:
            return cls.model_validate(arguments)
        except ValidationError as exc:
            raise InvalidInput(f"Invalid arguments for {what}: {_problems(exc)}.") from None


class ResponseItem(Request):
    """One answer of a batch: the query (``query_id``, or ``id`` as the query names itself)."""

    query_id: Text = Field(
        validation_alias=AliasChoices("query_id", "id"),
        description="The query answered ('q-<n>'; its `id` in the reply).",
    )
    response: Text = Field(description="Your answer.")
    usage: UsageArg = Field(None, description="Real token usage of this answer.")


# ---------------------------------------------------------------------- the answers of a feed


def feed_request(
    response: object = None,
    query_id: object = None,
    responses: object = None,
    usage: object = None,
) -> dict[str | None, Response]:
    """The answers of a feed request by query id (``None``: "the one pending query").

    ``responses`` is ``{query_id: answer}``, a list of :class:`ResponseItem` objects (``{
    "query_id" or "id", "response", "usage"}``, as MCP sends them), or ``(query_id, answer)``
    pairs; an answer is text or ``{"text": ..., "usage": {...}}``.

    Raises:
        InvalidInput: a malformed query id, a query id or usage without a response, a query
            answered twice, an answer that is not text, bad usage counts, a malformed batch
            item, or nothing at all.
    """
    pairs = _response_pairs(responses)
    for qid in (query_id, *(q for q, _ in pairs)):
        if qid is not None and not (isinstance(qid, str) and is_query_id(qid)):
            raise InvalidInput(
                f"{qid!r} is not a query id (expected 'q-' followed by digits, e.g. 'q-0', "
                "as in the reply that asked for it)."
            )
    out: dict[str | None, Response] = {}
    if response is not None:
        parsed = _answer(response, query_id)
        if usage is not None:
            parsed = Response(text=parsed.text, usage=Usage.parse(usage))
        out[query_id] = parsed  # type: ignore[index]
    elif query_id is not None:
        raise InvalidInput(f"query_id {query_id!r} was given without a response.")
    elif usage is not None:
        raise InvalidInput(
            "usage describes one answer: give it with a response (each answer of responses "
            'may carry its own: {"text": ..., "usage": {...}}).'
        )
    for qid, answer in pairs:
        if qid in out:
            raise InvalidInput(f"Query {qid} is answered twice in one request.")
        out[qid] = answer if isinstance(answer, Response) else _answer(answer, qid)
    if not out:
        raise InvalidInput(
            "Nothing to feed: give a response (one answer) or responses (answers by query id)."
        )
    return out


def _response_pairs(responses: object) -> list[tuple[Any, Any]]:
    if responses is None:
        return []
    if isinstance(responses, Mapping):
        return list(responses.items())
    if not isinstance(responses, list | tuple):
        raise InvalidInput(
            "responses must map query ids to answers, or list {query_id, response} objects, "
            f"not {type(responses).__name__}."
        )
    pairs: list[tuple[Any, Any]] = []
    for index, entry in enumerate(responses):
        if isinstance(entry, Mapping | ResponseItem):
            item = entry if isinstance(entry, ResponseItem) else _item(entry, index)
            answer = _answer(item.response, item.query_id)
            if item.usage is not None:
                answer = Response(text=answer.text, usage=Usage.parse(item.usage))
            pairs.append((item.query_id, answer))
        elif isinstance(entry, list | tuple) and len(entry) == 2:
            pairs.append((entry[0], entry[1]))
        else:
            raise InvalidInput(
                f"responses[{index}] must be a {{query_id, response}} object, not "
                f"{type(entry).__name__}."
            )
    return pairs


def _item(entry: Mapping[str, Any], index: int) -> ResponseItem:
    if "query_id" in entry and "id" in entry:
        raise InvalidInput(f"responses[{index}] gives both query_id and id: give one.")
    return ResponseItem.parse(entry, f"responses[{index}]")


def _answer(value: object, query_id: object) -> Response:
    """One answer: text, a :class:`Response`, or ``{"text": ..., "usage": {...}}``."""
    if isinstance(value, Mapping) and isinstance(value.get("text"), str):
        if set(value) <= {"text", "usage"}:
            return Response(text=value["text"], usage=Usage.parse(value.get("usage")))
    elif isinstance(value, str | Response):
        return as_response(value)
    which = f"The answer to {query_id}" if query_id is not None else "The answer"
    raise InvalidInput(
        f'{which} must be text or {{"text": ..., "usage": {{...}}}}, not {_kind(value)}.'
    )


def _kind(value: object) -> str:
    if isinstance(value, Mapping):
        return "an object with keys " + ", ".join(sorted(map(repr, map(str, value)))[:5])
    return type(value).__name__
