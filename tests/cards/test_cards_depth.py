"""Deep nesting and mistyped values in card requests are ``invalid_input`` at every front end
(Python API, CLI, MCP text), never a traceback or ``internal_error``: one check (the shared
``check_json``) bounds a ``where`` filter at ``WHERE_MAX_DEPTH`` and any card value at the
500-level JSON bound, before anything recursive reads it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from _cards_server import mcp_server
from mcp import Client

import alc
from alc.engine.card_query import WHERE_MAX_DEPTH
from alc.engine.errors import InvalidInput

pytestmark = pytest.mark.anyio


def nested(levels: int, leaf: Any = 1, key: str = "_not") -> dict[str, Any]:
    value: Any = {"x": leaf}
    for _ in range(levels - 1):
        value = {key: value}
    return dict(value)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def engine() -> alc.Engine:
    made = alc.Engine()
    made.cards.create({"pkg": {"name": "p"}, "card_id": "c1", "x": 1})
    made.cards.write_samples("c1", [{"x": 1}, {"x": 2}])
    return made


@pytest.mark.parametrize("levels", [WHERE_MAX_DEPTH + 1, 600, 100_000])
@pytest.mark.parametrize("key", ["_not", "path"])
def test_a_deep_where_is_invalid_input_in_the_python_api(
    engine: alc.Engine, levels: int, key: str
) -> None:
    where = nested(levels, key=key)
    with pytest.raises(InvalidInput, match="nests deeper"):
        engine.cards.find({"where": where})
    with pytest.raises(InvalidInput, match="nests deeper"):
        engine.cards.read_samples("c1", {"where": where})
    in_list = {"x": {"in": json.loads("[" * 700 + "]" * 700)}}
    with pytest.raises(InvalidInput, match="nests deeper"):
        engine.cards.find({"where": in_list})


def test_a_where_at_the_bound_still_matches(engine: alc.Engine) -> None:
    odd = nested(WHERE_MAX_DEPTH)  # 63 _not around {x = 1}: the deepest filter allowed
    assert [c["card_id"] for c in engine.cards.find({"where": odd})] == []
    even = nested(WHERE_MAX_DEPTH - 1)  # an even number of _not: the same as {x = 1}
    assert [c["card_id"] for c in engine.cards.find({"where": even})] == ["c1"]


@pytest.mark.parametrize(
    "bad",
    [
        {"x": float("nan")},
        {"x": 2**70},
        {1: "non-string key"},
        {"x": object()},
        {"x": {"in": "not a list"}},
        {"x": {"exists": "yes"}},
        {"_and": {"x": 1}},
        "a string",
        ["a", "list"],
    ],
    ids=repr,
)
def test_a_mistyped_where_is_invalid_input(engine: alc.Engine, bad: Any) -> None:
    with pytest.raises(InvalidInput):
        engine.cards.find({"where": bad})


@pytest.mark.parametrize("levels", [501, 5000])
def test_a_deep_card_or_sample_is_invalid_input_and_the_bound_is_kept(
    engine: alc.Engine, levels: int
) -> None:
    with pytest.raises(InvalidInput, match="nests deeper than 500"):
        engine.cards.create({"pkg": {"name": "p"}, "deep": nested(levels)})
    with pytest.raises(InvalidInput, match="nests deeper than 500"):
        engine.cards.append("c1", {"deep": nested(levels)})
    engine.cards.create({"pkg": {"name": "q"}, "card_id": "c2"})
    with pytest.raises(InvalidInput, match="nests deeper than 500"):
        engine.cards.write_samples("c2", [nested(levels)])
    ok = engine.cards.create({"pkg": {"name": "p"}, "card_id": "deep", "d": nested(498)})
    assert ok["card_id"] == "deep"
    assert engine.cards.get("deep")["d"] == nested(498)  # type: ignore[index]


def test_a_deep_where_over_the_cli_is_invalid_input(tmp_path: Path) -> None:
    env = {**os.environ, "ALC_HOME": str(tmp_path / "home"), "ALC_STORE": str(tmp_path / "s.db")}
    for levels in (600, 100_000):
        (tmp_path / "w.json").write_text(json.dumps(nested(levels)) if levels < 1000 else
                                         '{"_not": ' * levels + "{}" + "}" * levels)  # fmt: skip
        run = subprocess.run(
            [sys.executable, "-m", "alc", "cards", "find", "--where", f"@{tmp_path / 'w.json'}",
             "--json"],
            capture_output=True, text=True, env=env, timeout=120,
        )  # fmt: skip
        assert run.returncode == 2, (run.stdout, run.stderr[-2000:])
        assert "Traceback" not in run.stderr
        assert json.loads(run.stdout)["error_code"] == "invalid_input", run.stdout


async def test_a_deep_where_over_mcp_is_invalid_input(tmp_path: Path) -> None:
    params = mcp_server(tmp_path)
    async with Client(params, read_timeout_seconds=60) as c:
        for text in (json.dumps(nested(600)), '{"_not": ' * 100_000 + "{}" + "}" * 100_000):
            for action in ("find", "samples"):
                got = await c.call_tool(
                    "alc_cards", {"action": action, "where": text, "card_id": "c1"}
                )
                data = json.loads(got.content[0].text)  # type: ignore[union-attr]
                assert got.is_error and data["error_code"] == "invalid_input", data
