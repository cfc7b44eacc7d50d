"""``alc strategies`` and ``alc info``: what can be run, and where alc keeps things."""

from __future__ import annotations

from typing import Annotated

import typer

from alc.cli._options import OutputOpt, apply_output, store_path
from alc.cli._output import EXIT_OK, emit

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
    """List the strategies (name, category, description, paper), or describe one.

    JSON: {"strategies": [<meta>, ...]} or, with NAME, the strategy's meta object
    (name, path, builtin, description, category, paper, params, example, ...).
    """
    from alc.engine import catalog
    from alc.engine.executor import make_executor

    apply_output(output)
    executor = make_executor(None, default="process")  # package code never runs in the CLI
    try:
        if name is None:
            infos = catalog.catalogue(executor=executor)
            emit({"strategies": [s.wire() for s in infos]}, "strategies")
        else:
            emit(catalog.describe(name, executor=executor).wire(), "strategy")
    finally:
        executor.close()
    return EXIT_OK


def info(output: OutputOpt = None) -> int:
    """Show the alc version, Lua version, store path and package search paths."""
    from alc.engine.catalog import engine_info

    apply_output(output)
    emit(engine_info(store_path=store_path()), "info")
    return EXIT_OK


def register(app: typer.Typer) -> None:
    """Add strategies and info to ``app``."""
    app.command()(strategies)
    app.command()(info)
