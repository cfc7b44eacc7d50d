"""Providers that report unusable token usage fail as responders; prompts are shown inert."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest
from rich.console import Console

from alc.engine.protocol import Query, Usage
from alc.responders import ResponderError
from alc.responders._errors import provider_usage
from alc.responders._interactive import InteractiveResponder


@pytest.mark.parametrize("counts", [(-1, 3), (3, 2**40), (1.5, 2), ("7", 1), (True, 1)])
def test_unusable_provider_usage_is_responder_failed(counts: tuple[object, object]) -> None:
    with pytest.raises(ResponderError) as info:
        provider_usage(*counts, responder="openai:m", query_id="q-3")
    assert info.value.error_code == "responder_failed" and info.value.query_id == "q-3"
    assert "q-3" in info.value.message and "openai:m" in info.value.message


def test_usable_provider_usage() -> None:
    assert provider_usage(4, None, responder="x", query_id="q-0") == Usage(prompt_tokens=4)


def test_openai_negative_usage_is_responder_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("openai")
    from alc.responders._openai import OpenAIResponder

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    llm = OpenAIResponder("m", base_url="http://127.0.0.1:9/v1")
    message = SimpleNamespace(content="hi", refusal=None)
    completion = SimpleNamespace(
        choices=[SimpleNamespace(message=message, finish_reason="stop")],
        usage=SimpleNamespace(prompt_tokens=-5, completion_tokens=1),
    )
    with pytest.raises(ResponderError, match="usage"):
        llm._response(completion, Query(id="q-0", prompt="p"))


def test_interactive_prompt_control_characters_are_shown_as_escapes() -> None:
    out = io.StringIO()
    llm = InteractiveResponder(
        stdin=io.StringIO("answer\n.\n"), console=Console(file=out, width=120)
    )
    query = Query(
        id="q-0",
        prompt="\x1b[2Jwipe\x07",
        system="\x1b]0;title\x07",
        options={"temperature": 0.5, "x": "[bold]\x9b"},
    )
    assert llm.respond(query).text == "answer"
    shown = out.getvalue()
    assert "\x1b" not in shown and "\x07" not in shown and "\x9b" not in shown
    assert "\\x1b[2Jwipe\\x07" in shown and "\\x1b]0;title" in shown
    assert "[bold]" in shown  # options are text, not markup
