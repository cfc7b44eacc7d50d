"""``alc strategies`` and ``alc info``: what can be run, and where alc keeps things."""

from __future__ import annotations

from typing import Annotated

import typer

from alc.cli._args import apply_output, open_engine, store_path
from alc.cli._options import OutputOpt
from alc.cli._output import EXIT_OK, emit
from alc.engine.store import redacted

__all__ = ["register"]


def strategies(
    name: Annotated[
        str | None,
        typer.Argument(
            help="Show one strategy in detail (parameters, example).", show_default=False
        ),
    ] = None,
    output: OutputOpt = None,
) -> int:
    """List the strategies and libraries (name, from, category, description, paper), or
    describe one.

    JSON: {"strategies": [<meta>, ...]} or, with NAME, the strategy's meta object
    (name, path, builtin, scope, kind, description, category, paper, params, example, ...);
    kind is "strategy" (has M.run) or "library", scope where it comes from (builtin, user,
    project, path, explicit).
    """
    apply_output(output)
    engine = open_engine(durable=False)  # package code runs under the CLI's executor
    try:
        if name is None:
            emit({"strategies": [s.wire() for s in engine.strategies()]}, "strategies")
        else:
            emit(engine.describe(name).wire(), "strategy")
    finally:
        engine.close()
    return EXIT_OK


def info(output: OutputOpt = None) -> int:
    """Show the alc version, Lua version, store path and package search paths."""
    apply_output(output)
    reply = open_engine(durable=False).info()
    # the store this CLI would use, named without opening it: `alc info` is how a user finds
    # a store that cannot be opened (the store_unavailable hint points here)
    reply["store"] = redacted(store_path())  # never the password of a store URL
    emit(reply, "info")
    return EXIT_OK


def register(app: typer.Typer) -> None:
    """Add strategies and info to ``app``."""
    app.command()(strategies)
    app.command()(info)
