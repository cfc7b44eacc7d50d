"""scripted:<file.json> and alc.testing.ScriptedResponder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import alc
from alc.engine.protocol import Query, Response, Usage
from alc.responders import ResponderError, from_spec
from alc.testing import ScriptedResponder


def q(n: int, prompt: str = "p") -> Query:
    return Query(id=f"q-{n}", prompt=prompt)


def test_a_list_answers_in_order_and_running_out_is_a_clear_error() -> None:
    llm = ScriptedResponder(["one", Response(text="two")])
    assert llm.remaining == 2
    assert llm.respond(q(0)).text == "one"
    assert llm.respond(q(1)).text == "two"
    assert llm.remaining == 0
    with pytest.raises(ResponderError, match=r"ran out of answers after 2; query q-2") as info:
        llm.respond(q(2, "what next?"))
    assert "what next?" in str(info.value)
    assert info.value.query_id == "q-2"
    assert [x.id for x in llm.queries] == ["q-0", "q-1"]


def test_a_mapping_answers_by_the_first_matching_substring() -> None:
    llm = ScriptedResponder({"capital": "Paris", "France": "a country", "": "fallback"})
    assert llm.remaining is None
    assert llm.respond(q(0, "The capital of France?")).text == "Paris"  # first key wins
    assert llm.respond(q(1, "Where is France?")).text == "a country"
    assert llm.respond(q(2, "anything")).text == "fallback"  # "" matches every prompt


def test_a_mapping_without_a_match_names_the_keys_tried() -> None:
    llm = ScriptedResponder({"alpha": "a", "beta": "b"})
    with pytest.raises(ResponderError, match=r"no key matches query q-0") as info:
        llm.respond(q(0, "gamma"))
    assert "'alpha', 'beta'" in str(info.value)


def test_file_forms_including_usage(tmp_path: Path) -> None:
    path = tmp_path / "answers.json"
    path.write_text(
        json.dumps(
            ["plain", {"text": "with usage", "usage": {"prompt_tokens": 3, "completion_tokens": 4}}]
        )
    )
    llm = from_spec(f"scripted:{path}")
    assert llm.respond(q(0)) == Response(text="plain")
    assert llm.respond(q(1)) == Response(
        text="with usage", usage=Usage(prompt_tokens=3, response_tokens=4)
    )
    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps({"sky": "blue"}))
    assert from_spec(f"scripted:{mapping}").respond(q(0, "the sky")).text == "blue"


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (None, "no such file"),
        ("not json", "cannot read the answers"),
        ('"a string"', "holds a JSON str"),
        ("[1]", "item 0 must be a string"),
        ('{"k": {"no": "text"}}', "key 'k' must be a string"),
    ],
)
def test_bad_files_are_clear_errors(tmp_path: Path, content: str | None, needle: str) -> None:
    path = tmp_path / "answers.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ResponderError, match=needle):
        from_spec(f"scripted:{path}")


def test_drives_a_real_session_and_reports_provided_usage() -> None:
    llm = ScriptedResponder(
        [
            Response(text="4", usage=Usage(prompt_tokens=10, response_tokens=1)),
            Response(text="yes", usage=Usage(prompt_tokens=12, response_tokens=1)),
        ]
    )
    out = alc.Engine(store=":memory:").drive(
        code='local a = alc.llm("2+2?"); return {a, alc.llm("sure " .. a .. "?")}', llm=llm
    )
    assert isinstance(out, alc.Completed)
    assert out.result == ["4", "yes"]
    assert [x.prompt for x in llm.queries] == ["2+2?", "sure 4?"]
    assert out.stats["auto"]["prompt_tokens"] == {"source": "provided", "tokens": 22}
