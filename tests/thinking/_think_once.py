"""Subprocess helper: one sequentialthinking call in a fresh process, prints the reply JSON.

Usage: python _think_once.py DB CLIENT ARGUMENTS_JSON
"""

from __future__ import annotations

import json
import sys

import alc
from alc.engine.errors import AlcError
from alc.thinking import ThoughtChains


def main() -> None:
    db, client, arguments = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    chains = ThoughtChains(alc.Engine(db))
    try:
        reply = chains.think(arguments, client=client)
    except AlcError as exc:
        reply = exc.to_wire()
    print(json.dumps(reply, sort_keys=True))


if __name__ == "__main__":
    main()
