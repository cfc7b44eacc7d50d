"""``alc cards ...``: read the cards (``alc.card.*`` run records) kept in the store.

=====================================  ==========================================================
``alc cards list``                     summaries, newest first (``--pkg``, ``--limit``)
``alc cards show CARD_ID``             one whole card and its sample count (``--alias NAME``)
``alc cards find``                     ``--where`` filter, ``--order-by``, ``--limit``, ``--offset``
``alc cards samples CARD_ID``          the card's per-case rows (``--where``, paging)
``alc cards alias list|set|show``      the mutable names of cards
``alc cards lineage CARD_ID``          ancestors / descendants through ``metadata.prior_card_id``
=====================================  ==========================================================

JSON replies (stdout not a terminal, or ``--json``) are the shapes ``alc.card.*`` returns, in
an object: ``{"cards": [...]}``, ``{"card": {...}, "samples": n}``, ``{"card_id", "samples":
[...]}``, ``{"aliases": [...]}``, ``{"alias": {...}}``, the lineage object. Errors are JSON
error objects with exit 2 (``card_not_found``, ``invalid_input``, ...). docs/cards.md has the
query language; the engine decides everything, this module only translates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from alc.cli._args import apply_output, parse_json_arg, store_path
from alc.cli._options import OutputOpt
from alc.cli._output import EXIT_OK, emit, json_mode, visible

if TYPE_CHECKING:
    from alc.engine.cards import Cards

__all__ = ["register"]

cards_app = typer.Typer(
    name="cards",
    help="Read the cards (immutable run records with samples, written by strategies through "
    "alc.card.*) kept in the store: list, show, find, samples, alias, lineage.",
    no_args_is_help=True,
)
alias_app = typer.Typer(
    name="alias",
    help="The mutable names of cards (alc.card.alias_set): list, set, show.",
    no_args_is_help=True,
)

PkgOpt = Annotated[
    str | None, typer.Option("--pkg", help="Only cards of this package.", show_default=False)
]
LimitOpt = Annotated[
    int | None,
    typer.Option("--limit", "-n", min=0, help="At most this many rows.", show_default=False),
]
OffsetOpt = Annotated[int, typer.Option("--offset", min=0, help="Skip this many rows first.")]
WhereOpt = Annotated[
    str | None,
    typer.Option(
        "--where",
        help="A where filter as JSON, @file.json or - (stdin), e.g. "
        '\'{"stats": {"pass_rate": {"gte": 0.8}}}\' (docs/cards.md).',
        show_default=False,
    ),
]
CardArg = Annotated[str, typer.Argument(help="A card id (alc cards list shows them).")]


def _cards() -> Cards:
    from alc._api import Engine

    return Engine(store=store_path()).cards


def _where(value: str | None) -> Any:
    return None if value is None else parse_json_arg(value, "--where")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return visible(value)
    from alc.cli._output import dumps

    return visible(dumps(value))


def _table(rows: list[dict[str, Any]], columns: list[str], title: str) -> None:
    """Print ``rows`` as a rich table (strategy-written text shown with escapes)."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, title_justify="left", show_edge=False, header_style="bold")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(_cell(row.get(c)) for c in columns))
    Console().print(table if rows else f"{title}: none")


def _json_block(value: Any, title: str) -> None:
    from rich.console import Console
    from rich.json import JSON

    from alc.cli._output import dumps, visible_tree

    console = Console()
    console.print(f"[bold]{visible(title)}[/bold]")
    console.print(JSON(dumps(visible_tree(value))))


_SUMMARY_COLUMNS = ["card_id", "pkg", "created_at", "model", "scenario", "pass_rate"]


def _summaries(rows: list[dict[str, Any]], title: str) -> None:
    if json_mode():
        emit({"cards": rows})
    else:
        _table(rows, _SUMMARY_COLUMNS, title)


def list_cards(pkg: PkgOpt = None, limit: LimitOpt = None, output: OutputOpt = None) -> int:
    """List cards, newest first: id, package, creation time, model, scenario, pass rate.

    JSON: {"cards": [{card_id, pkg, created_at, model?, scenario?, pass_rate?}, ...]}.
    """
    apply_output(output)
    _summaries(_cards().list({"pkg": pkg, "limit": limit}), "cards")
    return EXIT_OK


def show(
    card_id: Annotated[str | None, typer.Argument(help="A card id.", show_default=False)] = None,
    alias: Annotated[
        str | None,
        typer.Option("--alias", help="Show the card this alias names instead.", show_default=False),
    ] = None,
    output: OutputOpt = None,
) -> int:
    """Show one whole card (every section its strategy wrote) and how many samples it has.

    JSON: {"card": {...}, "samples": n}. Exit 2 with card_not_found when there is none.
    """
    from alc.engine.errors import CardNotFound, InvalidInput

    apply_output(output)
    if (card_id is None) == (alias is None):
        raise InvalidInput("alc cards show: give a CARD_ID or --alias NAME (one of them).")
    cards = _cards()
    card = cards.get(card_id) if alias is None else cards.get_by_alias(alias)
    if card is None:
        what = f"card {card_id!r}" if alias is None else f"alias {alias!r}"
        raise CardNotFound(f"No {what} in this store (alc cards list shows the cards).")
    reply = {"card": card, "samples": cards.samples_count(card["card_id"])}
    if json_mode():
        emit(reply)
    else:
        _json_block(card, f"card {card['card_id']} ({reply['samples']} samples)")
    return EXIT_OK


def find(
    pkg: PkgOpt = None,
    where: WhereOpt = None,
    order_by: Annotated[
        list[str] | None,
        typer.Option(
            "--order-by",
            help="Sort key, a dotted path such as -stats.pass_rate ('-' = descending); "
            "repeatable (tie-breakers). Default: newest first.",
            show_default=False,
        ),
    ] = None,
    limit: LimitOpt = None,
    offset: OffsetOpt = 0,
    output: OutputOpt = None,
) -> int:
    """Find cards with a where filter over the whole card (algocline's query language).

    Example: alc cards find --where '{"scenario": {"name": "gsm8k"}}' --order-by -stats.pass_rate
    JSON: {"cards": [summary, ...]}.
    """
    apply_output(output)
    query = {
        "pkg": pkg,
        "where": _where(where),
        "order_by": order_by or None,
        "limit": limit,
        "offset": offset,
    }
    _summaries(_cards().find(query), "cards found")
    return EXIT_OK


def samples(
    card_id: CardArg,
    where: WhereOpt = None,
    limit: LimitOpt = None,
    offset: OffsetOpt = 0,
    output: OutputOpt = None,
) -> int:
    """Show a card's per-case sample rows in written order (--where filters each row first).

    JSON: {"card_id": ..., "samples": [row, ...]}.
    """
    apply_output(output)
    rows = _cards().read_samples(
        card_id, {"where": _where(where), "limit": limit, "offset": offset}
    )
    if json_mode():
        emit({"card_id": card_id, "samples": rows})
        return EXIT_OK
    objects = [r if isinstance(r, dict) else {"value": r} for r in rows]
    columns = list(dict.fromkeys(k for r in objects for k in r))[:12]
    _table(objects, columns, f"samples of {card_id}")
    return EXIT_OK


def lineage(
    card_id: CardArg,
    direction: Annotated[
        str,
        typer.Option("--direction", "-d", help="up (ancestors), down (descendants) or both."),
    ] = "up",
    depth: Annotated[int, typer.Option("--depth", min=0, help="Links to follow at most.")] = 10,
    relation: Annotated[
        list[str] | None,
        typer.Option(
            "--relation",
            help="Follow only links with this metadata.prior_relation; repeatable.",
            show_default=False,
        ),
    ] = None,
    no_stats: Annotated[
        bool, typer.Option("--no-stats", help="Leave each card's stats out.")
    ] = False,
    output: OutputOpt = None,
) -> int:
    """Walk a card's family through metadata.prior_card_id (ancestors, descendants or both).

    Depth 0 is the card, negative depths its ancestors, positive its descendants.
    JSON: {"root", "nodes": [{card_id, pkg, depth, ...}], "edges": [{from, to, relation?}],
    "truncated"}. Exit 2 with card_not_found when the card does not exist.
    """
    from alc.engine.errors import CardNotFound

    apply_output(output)
    query = {
        "card_id": card_id,
        "direction": direction,
        "depth": depth,
        "include_stats": not no_stats,
        "relation_filter": relation or None,
    }
    tree = _cards().lineage(query)
    if tree is None:
        raise CardNotFound(f"No card {card_id!r} in this store (alc cards list shows the cards).")
    if json_mode():
        emit(tree)
    else:
        columns = ["depth", "card_id", "pkg", "prior_relation", "stats"]
        title = f"lineage of {card_id}" + (" (truncated)" if tree["truncated"] else "")
        _table(sorted(tree["nodes"], key=lambda n: n["depth"]), columns, title)
    return EXIT_OK


def alias_list(pkg: PkgOpt = None, output: OutputOpt = None) -> int:
    """List aliases by name: alias, card id, package, note, when it was set.

    JSON: {"aliases": [{name, card_id, set_at, pkg?, note?}, ...]}.
    """
    apply_output(output)
    rows = _cards().alias_list({"pkg": pkg})
    if json_mode():
        emit({"aliases": rows})
    else:
        _table(rows, ["name", "card_id", "pkg", "note", "set_at"], "aliases")
    return EXIT_OK


def alias_set(
    name: Annotated[str, typer.Argument(help="The alias (e.g. best_gsm8k).")],
    card_id: CardArg,
    pkg: Annotated[
        str | None, typer.Option("--pkg", help="Package metadata.", show_default=False)
    ] = None,
    note: Annotated[
        str | None, typer.Option("--note", help="A free note.", show_default=False)
    ] = None,
    output: OutputOpt = None,
) -> int:
    """Bind NAME to a card (re-binding replaces the old target; cards stay unchanged).

    JSON: {"alias": {name, card_id, set_at, pkg?, note?}}. Exit 2 with card_not_found.
    """
    apply_output(output)
    alias = _cards().alias_set(name, card_id, {"pkg": pkg, "note": note})
    if json_mode():
        emit({"alias": alias})
    else:
        _table([alias], ["name", "card_id", "pkg", "note", "set_at"], "alias set")
    return EXIT_OK


def alias_show(
    name: Annotated[str, typer.Argument(help="The alias.")], output: OutputOpt = None
) -> int:
    """Show the card an alias names (as `alc cards show --alias NAME`)."""
    return show(None, name, output)


def register(app: typer.Typer) -> None:
    """Add ``alc cards`` (and ``alc cards alias``) to ``app``."""
    cards_app.command("list")(list_cards)
    cards_app.command()(show)
    cards_app.command()(find)
    cards_app.command()(samples)
    cards_app.command()(lineage)
    alias_app.command("list")(alias_list)
    alias_app.command("set")(alias_set)
    alias_app.command("show")(alias_show)
    cards_app.add_typer(alias_app)
    app.add_typer(cards_app)
