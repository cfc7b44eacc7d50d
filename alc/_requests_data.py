"""Typed requests of algocline's eval, scenario, card, state and trace tools.

The algocline profile's (``alc mcp --profile algocline``) data tools, with algocline 0.47's
argument names (:mod:`alc.mcp._algocline_data` serves them). A tool algocline shares with alc
(``alc_eval_history``, ``alc_eval_compare``) extends alc's own model in :mod:`alc._requests`
instead. Card tools that are algocline's names for an ``alc_cards`` action are served through
:class:`~alc._requests.CardsRequest`, built from these models by :meth:`CardToolRequest.cards`.
"""

from typing import Annotated, Any

from pydantic import Field, WithJsonSchema

from alc._feed import Request, Text
from alc._requests import CardsRequest, Count, JsonObject, ObjectOrText

__all__ = [
    "CardAliasListRequest",
    "CardAliasSetRequest",
    "CardAnalyzeRequest",
    "CardAppendRequest",
    "CardFindRequest",
    "CardGetByAliasRequest",
    "CardGetRequest",
    "CardInstallRequest",
    "CardLineageRequest",
    "CardListRequest",
    "CardPublishRequest",
    "CardSamplesRequest",
    "CardSinkBackfillRequest",
    "CardToolRequest",
    "EvalDetailRequest",
    "EvalRequest",
    "ScenarioInstallRequest",
    "ScenarioListRequest",
    "ScenarioNameRequest",
    "StateKeyRequest",
    "StateNamespaceRequest",
    "StateResetRequest",
    "StateSetRequest",
    "TraceDiffRequest",
    "TraceQueryRequest",
]

Names = Annotated[list[str], WithJsonSchema({"type": "array", "items": {"type": "string"}})]
Json = Annotated[Any, WithJsonSchema({})]

_CARD_ID = "A card id (alc_card_list shows them)."
_PKG = "Only cards of this package."

# ---------------------------------------------------------------------- eval and scenarios


class EvalRequest(Request):
    """Evaluate one strategy on a scenario (exactly one scenario source)."""

    strategy: str = Field(description="The strategy to evaluate.")
    scenario: str | None = Field(None, description="An inline evalframe scenario (Lua source).")
    scenario_file: str | None = Field(None, description="A scenario file (.lua/.jsonl/.toml).")
    scenario_name: str | None = Field(
        None, description="An installed scenario (alc_scenario_list) or arith|logic|factual."
    )
    strategy_opts: JsonObject = Field(None, description="The strategy's ctx options.")
    auto_card: bool | None = Field(
        None, description="algocline compatibility: alc always writes the eval's card."
    )


class EvalDetailRequest(Request):
    """One eval run in full."""

    eval_id: str = Field(description="An eval id (ev-...; alc_eval_history lists them).")


class ScenarioListRequest(Request):
    """The installed scenarios (no arguments)."""


class ScenarioNameRequest(Request):
    """One installed scenario."""

    name: str = Field(description="The scenario name (alc_scenario_list lists them).")


class ScenarioInstallRequest(Request):
    """Install scenarios from a git URL, a folder or a file."""

    url: str = Field(description="A git URL, a local folder or a scenario file.")


# ---------------------------------------------------------------------- cards


class CardToolRequest(Request):
    """A card tool that is one ``alc_cards`` action."""

    def cards(self, action: str) -> CardsRequest:
        """The ``alc_cards`` request of ``action`` with this request's arguments."""
        return CardsRequest.model_validate({"action": action, **self.model_dump(exclude_none=True)})


class CardListRequest(CardToolRequest):
    """Card summaries, newest first."""

    pkg: Text = Field(None, description=_PKG)


class CardGetRequest(CardToolRequest):
    """One full card."""

    card_id: Text = Field(description=_CARD_ID)


class CardFindRequest(CardToolRequest):
    """Cards matching a ``where`` filter, sorted."""

    pkg: Text = Field(None, description=_PKG)
    where: ObjectOrText = Field(
        None, description='The filter, e.g. {"stats": {"pass_rate": {"gte": 0.8}}}.'
    )
    order_by: Annotated[
        Any, WithJsonSchema({"type": ["string", "array"], "items": {"type": "string"}})
    ] = Field(None, description="Dotted path(s), '-' first for descending.")
    limit: Count = None
    offset: Count = None


class CardAliasListRequest(CardToolRequest):
    """The aliases."""

    pkg: Text = Field(None, description="Only aliases of this package.")


class CardGetByAliasRequest(CardToolRequest):
    """The card an alias names."""

    name: Text = Field(description="The alias.")


class CardAliasSetRequest(CardToolRequest):
    """Bind an alias to a card."""

    name: Text = Field(description="The alias.")
    card_id: Text = Field(description=_CARD_ID)
    pkg: Text = Field(None, description="The package the alias belongs to.")
    note: Text = Field(None, description="A free note.")


class CardAppendRequest(CardToolRequest):
    """Add new top-level fields to a card."""

    card_id: Text = Field(description=_CARD_ID)
    fields: JsonObject = Field(description="The new top-level keys (existing ones are refused).")


class CardSamplesRequest(CardToolRequest):
    """A card's sample rows."""

    card_id: Text = Field(description=_CARD_ID)
    offset: Count = None
    limit: Count = None
    where: ObjectOrText = Field(None, description="A filter on each row.")


class CardLineageRequest(CardToolRequest):
    """A card's family through ``metadata.prior_card_id``."""

    card_id: Text = Field(description=_CARD_ID)
    direction: Annotated[
        Any, WithJsonSchema({"type": "string", "enum": ["up", "down", "both"]})
    ] = None
    depth: Count = None
    include_stats: Annotated[Any, WithJsonSchema({"type": "boolean"})] = None
    relation_filter: Annotated[
        Any, WithJsonSchema({"type": "array", "items": {"type": "string"}})
    ] = None


class CardAnalyzeRequest(Request):
    """Run an analyzer strategy over one card."""

    card_id: str = Field(description=_CARD_ID)
    pkg: str = Field("card_analysis", description="The analyzer package (a strategy).")


class CardInstallRequest(Request):
    """Install the cards of a card collection."""

    url: str = Field(description="A git URL or a local folder holding card files.")


class CardPublishRequest(Request):
    """Publish a card to a git repository."""

    card_id: str = Field(description=_CARD_ID)
    target_repo: str = Field(description="The git repository to push to (URL or path).")
    commit_message: str | None = Field(None, description="The commit message.")


class CardSinkBackfillRequest(Request):
    """Copy every stored card to one sink."""

    sink: str = Field(description="A sink URI (file:///folder; ALC_CARD_SINKS lists them).")
    dry_run: bool = Field(False, description="Only report what would be copied.")


# ---------------------------------------------------------------------- state and traces


class StateNamespaceRequest(Request):
    """The keys of a state namespace."""

    namespace: str = Field(description="The alc.state namespace.")


class StateKeyRequest(StateNamespaceRequest):
    """One state key."""

    key: str = Field(description="The key.")


class StateResetRequest(StateKeyRequest):
    """Reset completed steps and data fields of a state key."""

    steps: Names = Field(default_factory=list, description="Entries to drop from completed_steps.")
    fields: Names = Field(default_factory=list, description="Fields to drop from data.")


class StateSetRequest(StateKeyRequest):
    """Write a state key."""

    value: Json = Field(description="Any JSON value.")


class TraceQueryRequest(Request):
    """Sample rows carrying a ``trace`` object."""

    pkg: str | None = Field(None, description=_PKG)
    min_calls: int | None = Field(None, ge=0, description="trace.total_calls at least.")
    max_calls: int | None = Field(None, ge=0, description="trace.total_calls at most.")
    min_ms: float | None = Field(None, description="trace.total_trace_ms at least.")
    max_ms: float | None = Field(None, description="trace.total_trace_ms at most.")
    completed: bool | None = Field(None, description="Only rows with this trace.completed.")
    offset: int = Field(0, ge=0, description="Rows skipped.")
    limit: int | None = Field(None, ge=0, description="Rows returned at most (default: all).")


class TraceDiffRequest(Request):
    """Compare two trace rows."""

    a_card_id: str = Field(description="The first card (a).")
    b_card_id: str = Field(description="The second card (b).")
    a_sample_index: int = Field(0, ge=0, description="The sample row of a.")
    b_sample_index: int = Field(0, ge=0, description="The sample row of b.")
