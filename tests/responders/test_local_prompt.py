"""How the local responder frames a query, decided from the GGUF metadata (no model needed).

An instruction-tuned file carries ``tokenizer.chat_template`` and is prompted through it; a base
model (the packaged Gemma 3 270M has no template) gets the ``Question:``/``Answer:`` completion
frame. The real-model side of both paths is in ``test_local.py`` (marked ``local_model``).
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from alc.engine.protocol import Query
from alc.responders import ResponderError, _local
from alc.responders._local import CHAT_TEMPLATE_KEY, prompt_mode, render_prompt

GEMMA_TEMPLATE = "{{ bos_token }}<start_of_turn>user\n{{ content }}<end_of_turn>\n"


@pytest.mark.parametrize(
    ("metadata", "mode"),
    [
        ({}, "completion"),
        ({"general.architecture": "gemma3"}, "completion"),
        ({CHAT_TEMPLATE_KEY: ""}, "completion"),
        ({CHAT_TEMPLATE_KEY: "  \n"}, "completion"),
        ({CHAT_TEMPLATE_KEY: GEMMA_TEMPLATE}, "chat"),
        ({CHAT_TEMPLATE_KEY: "{% for m in messages %}{{ m.content }}{% endfor %}"}, "chat"),
    ],
)
def test_the_prompt_mode_follows_the_chat_template_in_the_metadata(
    metadata: dict[str, str], mode: str
) -> None:
    assert prompt_mode(metadata) == mode


def test_the_completion_frame_puts_the_system_prompt_first() -> None:
    query = Query(id="q-0", prompt="  Why?  ", system=" Be brief. ")
    assert render_prompt(query) == "Be brief.\n\nQuestion: Why?\nAnswer:"
    assert render_prompt(Query(id="q-1", prompt="Why?", system="  ")) == "Question: Why?\nAnswer:"


class _FakeModel:
    """The part of cyllama's LlamaModel that ``_open`` reads: metadata and the template engine."""

    def __init__(self, metadata: dict[str, str], rendered: str | None) -> None:
        self._meta = list(metadata.items())
        self._rendered = rendered
        self.applied: list[tuple[str, list[Any]]] = []

    def meta_count(self) -> int:
        return len(self._meta)

    def meta_key_by_index(self, i: int) -> str:
        return self._meta[i][0]

    def meta_val_str_by_index(self, i: int) -> str:
        return self._meta[i][1]

    def get_vocab(self) -> object:
        return object()

    def chat_apply_template(self, template: str, messages: list[Any], add_ass: bool) -> str:
        self.applied.append((template, messages))
        if self._rendered is None:
            raise RuntimeError("Failed to apply chat template")
        slots = {m.role: m.content for m in messages}
        return self._rendered.format(system=slots.get("system", ""), user=slots["user"])


def _fake_cy(model: _FakeModel) -> SimpleNamespace:
    return SimpleNamespace(
        LlamaModel=lambda path, params: model,
        LlamaModelParams=SimpleNamespace,
        LlamaContextParams=SimpleNamespace,
        LlamaContext=lambda model, params: SimpleNamespace(params=params),
        LlamaChatMessage=lambda role, content: SimpleNamespace(role=role, content=content),
    )


def test_a_base_model_is_opened_in_completion_mode_without_touching_templates() -> None:
    model = _FakeModel({"general.architecture": "gemma3"}, rendered="unused")
    loaded = _local._open(_fake_cy(model), Path("base.gguf"), 4096, 2)
    assert loaded.mode == "completion"
    assert loaded.chat_frames == {}
    assert model.applied == []
    assert loaded.ctx.params.n_threads == loaded.ctx.params.n_threads_batch == 2
    assert loaded.ctx.params.n_ctx == 4096


def test_an_instruction_tuned_model_is_framed_by_its_own_template() -> None:
    model = _FakeModel(
        {CHAT_TEMPLATE_KEY: GEMMA_TEMPLATE},
        rendered="<start_of_turn>user\n{system}\n\n{user}<end_of_turn>\n<start_of_turn>model\n",
    )
    loaded = _local._open(_fake_cy(model), Path("it.gguf"), 4096, 1)
    assert loaded.mode == "chat"
    assert {template for template, _ in model.applied} == {GEMMA_TEMPLATE}
    assert loaded.chat_frames[True] == [
        ("<start_of_turn>user\n", _local._SYSTEM_SLOT),
        ("\n\n", _local._PROMPT_SLOT),
        ("<end_of_turn>\n<start_of_turn>model\n", ""),
    ]
    assert loaded.chat_frames[False][-1] == ("<end_of_turn>\n<start_of_turn>model\n", "")
    assert [slot for _, slot in loaded.chat_frames[False]] == [_local._PROMPT_SLOT, ""]


def test_a_template_llama_cpp_cannot_apply_is_a_clear_error() -> None:
    model = _FakeModel({CHAT_TEMPLATE_KEY: "{{ something_new }}"}, rendered=None)
    with pytest.raises(ResponderError, match=r"not one llama\.cpp.s template engine knows"):
        _local._open(_fake_cy(model), Path("odd.gguf"), 4096, 1)


def test_a_template_that_drops_the_prompt_is_a_clear_error() -> None:
    model = _FakeModel({CHAT_TEMPLATE_KEY: GEMMA_TEMPLATE}, rendered="<start_of_turn>model\n")
    with pytest.raises(ResponderError, match="lost the system prompt"):
        _local._open(_fake_cy(model), Path("odd.gguf"), 4096, 1)


@pytest.mark.parametrize(
    ("text", "index"),
    [("abc", -1), ("x\nQuestion: y", 1), ("a<end_of_turn>\nAnswer:", 1), ("", -1)],
)
def test_generation_stops_at_the_earliest_stop_sequence(text: str, index: int) -> None:
    assert _local._first_stop(text, _local.STOP_SEQUENCES) == index


def test_the_default_thread_count_is_half_the_cpus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_local.os, "cpu_count", lambda: 8)
    assert _local.default_threads() == 4
    monkeypatch.setattr(_local.os, "cpu_count", lambda: 1)
    assert _local.default_threads() == 1
    monkeypatch.setattr(_local.os, "cpu_count", lambda: None)
    assert _local.default_threads() == 1
