"""One bad request, one answer: the same ``error_code`` and the same message through the Python
API, the CLI (a real ``python -m alc`` process) and the MCP server (in process, and over stdio).

Each case says how to make the request in each front end's own syntax (``None``: that front end
cannot express it). The Python API's error is the reference; the others must match it exactly.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters

import alc
from alc.mcp import AlcMCP

MISSING = "s-" + "0" * 32


@dataclass(frozen=True)
class World:
    """A store with a paused session (one query), a paused batch and a cancelled session."""

    store: Path
    home: Path
    one: str
    batch: str
    ended: str


@dataclass(frozen=True)
class Case:
    name: str
    code: str
    api: Callable[[alc.Engine, World], Any]
    cli: Callable[[World], list[str]] | None
    mcp: Callable[[World], tuple[str, dict[str, Any]]] | None


CASES = [
    Case(
        "no source",
        "invalid_input",
        lambda e, w: e.start(),
        lambda w: ["run"],
        lambda w: ("alc_run", {}),
    ),
    Case(
        "both sources",
        "invalid_input",
        lambda e, w: e.start("return 1", strategy="cot"),
        lambda w: ["run", "cot", "--code", "return 1"],
        None,
    ),
    Case(
        "ctx not an object",
        "invalid_input",
        lambda e, w: e.start("return 1", ctx=[1]),  # type: ignore[arg-type]
        lambda w: ["run", "--code", "return 1", "--ctx", "[1]"],
        lambda w: ("alc_run", {"code": "return 1", "ctx": [1]}),
    ),
    Case(
        "task not text",
        "invalid_input",
        lambda e, w: e.start(strategy="cot", task=3),  # type: ignore[arg-type]
        None,
        lambda w: ("alc_advice", {"strategy": "cot", "task": 3}),
    ),
    Case(
        "unknown strategy",
        "strategy_not_found",
        lambda e, w: e.start(strategy="no_such_strategy"),
        lambda w: ["run", "no_such_strategy"],
        lambda w: ("alc_advice", {"strategy": "no_such_strategy"}),
    ),
    Case(
        "describe an unknown strategy",
        "strategy_not_found",
        lambda e, w: e.describe("no_such_strategy"),
        lambda w: ["strategies", "no_such_strategy"],
        lambda w: ("alc_strategies", {"name": "no_such_strategy"}),
    ),
    Case(
        "nothing to feed",
        "invalid_input",
        lambda e, w: e.feed(w.one),
        lambda w: ["continue", w.one],
        lambda w: ("alc_continue", {"session_id": w.one}),
    ),
    Case(
        "query id without a response",
        "invalid_input",
        lambda e, w: e.feed(w.one, query_id="q-0"),
        lambda w: ["continue", w.one, "-q", "q-0"],
        lambda w: ("alc_continue", {"session_id": w.one, "query_id": "q-0"}),
    ),
    Case(
        "malformed query id",
        "invalid_input",
        lambda e, w: e.feed(w.one, "a", query_id="x"),
        lambda w: ["continue", w.one, "a", "-q", "x"],
        lambda w: ("alc_continue", {"session_id": w.one, "response": "a", "query_id": "x"}),
    ),
    Case(
        "answered twice",
        "invalid_input",
        lambda e, w: e.feed(w.one, "a", query_id="q-0", responses={"q-0": "b"}),
        lambda w: ["continue", w.one, "a", "-q", "q-0", "--responses", '{"q-0": "b"}'],
        lambda w: (
            "alc_continue",
            {
                "session_id": w.one,
                "response": "a",
                "query_id": "q-0",
                "responses": [{"query_id": "q-0", "response": "b"}],
            },
        ),
    ),
    Case(
        "usage without a response",
        "invalid_input",
        lambda e, w: e.feed(w.one, responses={"q-0": "a"}, usage={"prompt_tokens": 1}),
        lambda w: [
            "continue",
            w.one,
            "--responses",
            '{"q-0": "a"}',
            "--usage",
            '{"prompt_tokens": 1}',
        ],
        lambda w: (
            "alc_continue",
            {
                "session_id": w.one,
                "usage": {"prompt_tokens": 1},
                "responses": [{"query_id": "q-0", "response": "a"}],
            },
        ),
    ),
    Case(
        "negative usage",
        "invalid_input",
        lambda e, w: e.feed(w.one, "a", usage={"prompt_tokens": -1}),
        lambda w: ["continue", w.one, "a", "--usage", '{"prompt_tokens": -1}'],
        lambda w: (
            "alc_continue",
            {"session_id": w.one, "response": "a", "usage": {"prompt_tokens": -1}},
        ),
    ),
    Case(
        "usage not an object",
        "invalid_input",
        lambda e, w: e.feed(w.one, "a", usage=[1]),  # type: ignore[arg-type]
        lambda w: ["continue", w.one, "a", "--usage", "[1]"],
        lambda w: ("alc_continue", {"session_id": w.one, "response": "a", "usage": [1]}),
    ),
    Case(
        "answer not text",
        "invalid_input",
        lambda e, w: e.feed(w.one, responses={"q-0": 5}),  # type: ignore[dict-item]
        lambda w: ["continue", w.one, "--responses", '{"q-0": 5}'],
        lambda w: (
            "alc_continue",
            {"session_id": w.one, "responses": [{"query_id": "q-0", "response": 5}]},
        ),
    ),
    Case(
        "responses not an object",
        "invalid_input",
        lambda e, w: e.feed(w.one, responses=5),  # type: ignore[arg-type]
        lambda w: ["continue", w.one, "--responses", "5"],
        None,
    ),
    Case(
        "malformed session id",
        "invalid_input",
        lambda e, w: e.feed("nope", "a"),
        lambda w: ["continue", "nope", "a"],
        lambda w: ("alc_continue", {"session_id": "nope", "response": "a"}),
    ),
    Case(
        "unknown session",
        "session_not_found",
        lambda e, w: e.feed(MISSING, "a"),
        lambda w: ["continue", MISSING, "a"],
        lambda w: ("alc_continue", {"session_id": MISSING, "response": "a"}),
    ),
    Case(
        "status of an unknown session",
        "session_not_found",
        lambda e, w: e.status(MISSING),
        lambda w: ["status", MISSING],
        lambda w: ("alc_status", {"session_id": MISSING}),
    ),
    Case(
        "cancel an unknown session",
        "session_not_found",
        lambda e, w: e.cancel(MISSING),
        lambda w: ["cancel", MISSING],
        lambda w: ("alc_cancel", {"session_id": MISSING}),
    ),
    Case(
        "unknown query",
        "unknown_query",
        lambda e, w: e.feed(w.one, "a", query_id="q-9"),
        lambda w: ["continue", w.one, "a", "-q", "q-9"],
        lambda w: ("alc_continue", {"session_id": w.one, "response": "a", "query_id": "q-9"}),
    ),
    Case(
        "ambiguous query",
        "ambiguous_query",
        lambda e, w: e.feed(w.batch, "a"),
        lambda w: ["continue", w.batch, "a"],
        lambda w: ("alc_continue", {"session_id": w.batch, "response": "a"}),
    ),
    Case(
        "feed a cancelled session",
        "session_finished",
        lambda e, w: e.feed(w.ended, "a"),
        lambda w: ["continue", w.ended, "a"],
        lambda w: ("alc_continue", {"session_id": w.ended, "response": "a"}),
    ),
    Case(
        "cancel a cancelled session",
        "session_finished",
        lambda e, w: e.cancel(w.ended),
        lambda w: ["cancel", w.ended],
        lambda w: ("alc_cancel", {"session_id": w.ended}),
    ),
    Case(
        "unknown state",
        "invalid_input",
        lambda e, w: e.sessions(["nope"]),
        lambda w: ["sessions", "--state", "nope"],
        None,
    ),
]
IDS = [c.name for c in CASES]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("bad-requests")
    store = root / "sessions.db"
    with pytest.MonkeyPatch.context() as patch:  # every front end searches the same packages
        for name in [n for n in os.environ if n.startswith("ALC_")]:
            patch.delenv(name)
        patch.setenv("ALC_HOME", str(root / "home"))
        engine = alc.Engine(store)
        one = engine.start("return alc.llm('q')").session_id
        batch = engine.start("return alc.llm_batch({'a', 'b'})").session_id
        ended = engine.start("return alc.llm('q')").session_id
        engine.cancel(ended)
        yield World(store=store, home=root / "home", one=one, batch=batch, ended=ended)


def api_error(case: Case, world: World) -> tuple[str, str]:
    with pytest.raises(alc.AlcError) as info:
        case.api(alc.Engine(world.store), world)
    return info.value.error_code, info.value.message


def test_the_api_gives_the_expected_codes(world: World) -> None:
    for case in CASES:
        assert api_error(case, world)[0] == case.code, case.name


@pytest.mark.anyio
@pytest.mark.parametrize("case", [c for c in CASES if c.mcp], ids=[c.name for c in CASES if c.mcp])
async def test_mcp_in_process_matches_the_api(case: Case, world: World) -> None:
    expected = api_error(case, world)
    assert case.mcp is not None
    tool, arguments = case.mcp(world)
    async with Client(AlcMCP(alc.AsyncEngine(world.store)).server) as client:
        result = await client.call_tool(tool, arguments)
    assert result.is_error
    data = json.loads(result.content[0].text)  # type: ignore[union-attr]
    assert (data["error_code"], data["error"]) == expected


@pytest.mark.slow
@pytest.mark.parametrize("case", [c for c in CASES if c.cli], ids=[c.name for c in CASES if c.cli])
def test_cli_matches_the_api(case: Case, world: World) -> None:
    expected = api_error(case, world)
    assert case.cli is not None
    env = {**os.environ, "ALC_EXECUTOR": "inline"}
    command = [sys.executable, "-m", "alc", "--store", str(world.store), *case.cli(world)]
    proc = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 2, proc.stderr
    data = json.loads(proc.stdout)
    assert (data["error_code"], data["error"]) == expected
    assert f"[{expected[0]}]: {expected[1]}" in proc.stderr


@pytest.mark.slow
@pytest.mark.anyio
async def test_stdio_server_matches_the_api(world: World) -> None:
    case = next(c for c in CASES if c.name == "answered twice")
    expected = api_error(case, world)
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "alc.mcp", "--store", str(world.store)],
        env=dict(os.environ),
    )
    assert case.mcp is not None
    tool, arguments = case.mcp(world)
    async with Client(params, read_timeout_seconds=60) as client:
        result = await client.call_tool(tool, arguments)
    data = json.loads(result.content[0].text)  # type: ignore[union-attr]
    assert result.is_error and (data["error_code"], data["error"]) == expected
