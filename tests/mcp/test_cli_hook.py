"""`alc mcp`: the typer command registers and documents itself."""

from __future__ import annotations

import typer
from typer.testing import CliRunner

from alc.cli import mcp_cmd


def test_register_adds_the_mcp_command() -> None:
    app = typer.Typer()
    mcp_cmd.register(app)

    @app.command()
    def other() -> None:  # a second command so `mcp` stays a named subcommand
        pass

    result = CliRunner().invoke(app, ["mcp", "--help"])
    assert result.exit_code == 0
    assert "--sampling" in result.output and "stdio" in result.output
