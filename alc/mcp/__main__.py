"""``python -m alc.mcp [--store PATH] [--sampling]``: the stdio MCP server without the CLI."""

from __future__ import annotations

import argparse
import os

from alc.mcp import serve


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m alc.mcp", description=serve.__doc__)
    parser.add_argument(
        "--store",
        default=None,
        help="SQLite file or postgresql:// URL (default $ALC_STORE or $ALC_HOME/sessions.db)",
    )
    parser.add_argument(
        "--sampling",
        action="store_true",
        default=os.environ.get("ALC_MCP_SAMPLING", "") in ("1", "true", "yes"),
        help="resolve alc.llm through the client's LLM (MCP sampling)",
    )
    parser.add_argument(
        "--client",
        default=os.environ.get("ALC_MCP_CLIENT", "mcp"),
        help="thought-chain client name (default chain of sequentialthinking)",
    )
    args = parser.parse_args()
    serve(store=args.store, sampling=args.sampling, client=args.client)


if __name__ == "__main__":
    main()
