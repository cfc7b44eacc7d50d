"""One parser of a feed's answers (``alc._requests.feed_request``), whatever the front end:
``responses`` as an object or as a list of ``{query_id | id, response, usage}`` items, through
the Python API and the real ``alc`` command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import alc
from alc._api import feed_request
from alc._requests import ResponseItem
from alc.engine.errors import InvalidInput
from alc.engine.protocol import Response, Usage

BATCH = "return alc.llm_batch({'x?', 'y?'})"


def test_every_shape_gives_the_same_answers() -> None:
    expected = {"q-0": Response(text="a"), "q-1": Response(text="b")}
    shapes: list[Any] = [
        {"q-0": "a", "q-1": "b"},
        [("q-0", "a"), ("q-1", "b")],
        [{"query_id": "q-0", "response": "a"}, {"id": "q-1", "response": "b"}],
        [ResponseItem(query_id="q-0", response="a"), {"query_id": "q-1", "response": "b"}],
    ]
    for shape in shapes:
        assert feed_request(responses=shape) == expected, shape


def test_an_item_carries_its_usage() -> None:
    usage = {"prompt_tokens": 2, "response_tokens": 1}
    out = feed_request(responses=[{"id": "q-3", "response": "a", "usage": usage}])
    assert out == {"q-3": Response(text="a", usage=Usage(prompt_tokens=2, response_tokens=1))}


@pytest.mark.parametrize(
    ("responses", "words"),
    [
        ([{"query_id": "q-0", "response": "a"}, {"id": "q-0", "response": "b"}], "twice"),
        ([{"id": "q-0", "query_id": "q-0", "response": "a"}], "both query_id and id"),
        ([{"response": "a"}], "query_id"),
        ([{"id": "q-0", "response": "a", "extra": 1}], "extra"),
        ([{"id": "q-0", "response": "a", "usage": {"prompt_tokens": -1}}], "prompt_tokens"),
        ([3], "responses[0]"),
        ([("q-0",)], "responses[0]"),
        (7, "responses must"),
    ],
)
def test_malformed_answers_are_invalid_input(responses: Any, words: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        feed_request(responses=responses)
    assert words in caught.value.message


def test_the_api_takes_a_list_of_items(tmp_path: Path) -> None:
    engine = alc.Engine(tmp_path / "s.db")
    sid = engine.start(BATCH).session_id
    items = [{"id": "q-1", "response": "Y"}, {"query_id": "q-0", "response": "X"}]
    outcome = engine.feed(sid, responses=items)
    assert isinstance(outcome, alc.Completed) and outcome.result == ["X", "Y"]


def _alc(*args: str, home: Path) -> dict[str, Any]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ALC_")}
    environ.update(ALC_HOME=str(home), ALC_EXECUTOR="inline")
    proc = subprocess.run(
        [sys.executable, "-m", "alc", *args],
        capture_output=True,
        text=True,
        env=environ,
        timeout=120,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    value = json.loads(proc.stdout.strip().splitlines()[-1])
    assert isinstance(value, dict)
    return value


@pytest.mark.slow
def test_the_cli_takes_the_mcp_list_shape(tmp_path: Path) -> None:
    home = tmp_path / "home"
    sid = _alc("run", "--code", BATCH, home=home)["session_id"]
    items = json.dumps([{"query_id": "q-0", "response": "X"}, {"id": "q-1", "response": "Y"}])
    reply = _alc("continue", sid, "--responses", items, home=home)
    assert reply["status"] == "completed" and reply["result"] == ["X", "Y"]
    sid = _alc("run", "--code", BATCH, home=home)["session_id"]
    reply = _alc("continue", sid, "--responses", json.dumps([{"id": "q-0"}]), home=home)
    assert reply["error_code"] == "invalid_input" and "response" in reply["error"]
