"""The spec registry, the public surface and the error contract of alc.responders."""

from __future__ import annotations

import importlib
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import alc.responders as responders
from alc.engine.errors import AlcError, MissingExtra
from alc.engine.protocol import Query, Response
from alc.responders import (
    BaseResponder,
    CommandResponder,
    InteractiveResponder,
    ResponderError,
    _registry,
    from_spec,
    register,
    registered,
    respond_many,
)
from alc.testing import ScriptedResponder


@pytest.fixture
def clean_registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(_registry, "_registered", {})
    monkeypatch.setattr(_registry, "_plugins", None)
    yield


def test_all_is_sorted_and_every_export_has_a_public_module() -> None:
    # isort style, as ruff's RUF022 keeps it: CONSTANTS, then Classes, then functions
    style = sorted(responders.__all__, key=lambda n: (not n.isupper(), not n[0].isupper(), n))
    assert responders.__all__ == style
    assert len(set(responders.__all__)) == len(responders.__all__)
    for name in responders.__all__:
        obj = getattr(responders, name)
        module = getattr(obj, "__module__", None)
        if module is not None and not isinstance(obj, str):
            assert module in {"alc.responders", "alc.testing", "typing", "collections.abc"}, name
    assert ScriptedResponder.__module__ == "alc.testing"
    assert responders.ScriptedResponder is ScriptedResponder


def test_error_is_an_alc_error_with_a_stable_code() -> None:
    err = ResponderError("boom", responder="cmd:x", query_id="q-1")
    assert isinstance(err, AlcError)
    assert err.error_code == "responder_failed"
    assert err.to_wire() == {"error": "boom", "error_code": "responder_failed", "status": "error"}
    assert (err.responder, err.query_id) == ("cmd:x", "q-1")


def test_builtin_specs_build_their_responders(tmp_path: Path) -> None:
    answers = tmp_path / "a.json"
    answers.write_text('["x"]')
    assert isinstance(from_spec("interactive"), InteractiveResponder)
    cmd = from_spec("cmd:echo a:b")
    assert isinstance(cmd, CommandResponder)
    assert cmd.command == "echo a:b"  # only the first colon separates the name
    assert isinstance(from_spec(f"Scripted:{answers}"), ScriptedResponder)  # case-insensitive
    assert {"cmd", "interactive", "local", "openai", "scripted"} <= set(registered())


@pytest.mark.parametrize(
    ("spec", "needle"),
    [
        ("", "Empty responder spec"),
        ("gpt5", "Unknown responder 'gpt5'"),
        ("cmd:", "needs a command"),
        ("cmd:   ", "needs a command"),
        ("scripted", "needs a file"),
        ("interactive:x", "takes no argument"),
        ("openai:", "needs a model"),
    ],
)
def test_bad_specs_say_what_to_do(spec: str, needle: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "k")
    with pytest.raises(ResponderError, match=needle) as info:
        from_spec(spec)
    assert info.value.error_code == "responder_failed"


def test_unknown_spec_lists_the_known_names() -> None:
    with pytest.raises(ResponderError) as info:
        from_spec("nope:x")
    for name in ("cmd", "interactive", "local", "openai", "scripted"):
        assert name in str(info.value)


def test_missing_extra_fails_with_an_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "openai", None)  # makes `import openai` raise ImportError
    with pytest.raises(MissingExtra, match=r"pip install .*\[openai\]'") as info:
        from_spec("openai:gpt-4o-mini")
    assert isinstance(info.value.__cause__, ImportError)
    assert info.value.error_code == "missing_extra"


def test_missing_local_extra_fails_with_an_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "cyllama.llama.llama_cpp", None)
    with pytest.raises(MissingExtra, match=r"pip install .*\[local\]'"):
        from_spec("local")


class Upper(BaseResponder):
    def __init__(self, arg: str | None) -> None:
        self.name = f"upper:{arg}"
        self.arg = arg

    def respond(self, query: Query) -> Response:
        return Response(text=query.prompt.upper())


def test_register_adds_a_name_and_refuses_to_shadow(clean_registry: None) -> None:
    register("Upper", Upper)
    made = from_spec("upper:hello")
    assert isinstance(made, Upper)
    assert made.arg == "hello"
    assert made.respond(Query(id="q-0", prompt="abc")).text == "ABC"
    assert "upper" in registered()
    with pytest.raises(ValueError, match="already registered"):
        register("upper", Upper)
    with pytest.raises(ValueError, match="already registered"):
        register("cmd", Upper)
    register("cmd", Upper, replace=True)
    assert isinstance(from_spec("cmd:x"), Upper)
    with pytest.raises(ValueError, match="free of ':'"):
        register("a:b", Upper)


def test_an_installed_entry_point_plugin_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_registry: None
) -> None:
    # A real (if tiny) installed distribution: a module plus a dist-info with entry_points.txt.
    (tmp_path / "alc_echo_plugin.py").write_text(
        textwrap.dedent(
            """
            from alc.engine.protocol import Response

            class EchoResponder:
                def __init__(self, arg):
                    self.prefix = arg or ""

                def respond(self, query):
                    return Response(text=self.prefix + query.prompt)
            """
        )
    )
    info = tmp_path / "alc_echo_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: alc-echo-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[alc.responders]\necho = alc_echo_plugin:EchoResponder\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    assert "echo" in registered()
    made = from_spec("echo:> ")
    assert made.respond(Query(id="q-0", prompt="hi")).text == "> hi"
    assert respond_many(made, [Query(id="q-0", prompt="a"), Query(id="q-1", prompt="b")]) == [
        Response(text="> a"),
        Response(text="> b"),
    ]


def test_a_broken_plugin_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_registry: None
) -> None:
    info = tmp_path / "alc_broken-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: alc-broken\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[alc.responders]\nbroken = alc_no_such_module:X\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    with pytest.raises(ResponderError, match="could not be imported"):
        from_spec("broken")


def test_the_module_helpers_fall_back_for_plain_responders() -> None:
    import anyio

    from alc.responders import Responder, arespond

    class Plain:  # only `respond`: the whole protocol
        def respond(self, query: Query) -> Response:
            return Response(text=query.id)

    plain = Plain()
    assert isinstance(plain, Responder)
    queries = [Query(id=f"q-{i}", prompt="p") for i in range(3)]
    assert [r.text for r in respond_many(plain, queries)] == ["q-0", "q-1", "q-2"]

    async def main() -> Response:
        return await arespond(plain, queries[0])  # runs respond on a worker thread

    assert anyio.run(main).text == "q-0"
    with ScriptedResponder(["a", "b"]) as scripted:  # built-ins are context managers
        assert [r.text for r in respond_many(scripted, queries[:2])] == ["a", "b"]
