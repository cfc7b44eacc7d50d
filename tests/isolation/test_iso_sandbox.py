"""Issue 13, class 3: engine Lua never calls through anything a strategy can replace, and
capabilities (``os.getenv``) are decided host-side."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from _isolation import GETENV_BYPASS, SECRET, completed, store_bytes, wire

import alc

TAMPERING = [
    'string.sub=function() return "ALC_" end',
    "string.find=function() return 1 end",
    "string.byte=function() return 65 end",
    "string.match=function(s) return s end",
    'string.upper=function() return "ALC_OPENAI_API_KEY" end',
    'string.format=function() return "ALC_" end',
    'getmetatable("").__index = {sub=function() return "ALC_" end, find=function() return 1 end}',
    'getmetatable("").__index = function() error("x") end',
    "rawequal=function() return true end",
    'type=function() return "nil" end',
    "pairs=function() return function() end end",
    "next=function() return nil end",
    "table.concat=function() return '' end",
    "tostring=function() return 'ALC_' end",
]


@pytest.fixture(scope="module")
def stored(executor: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[alc.Engine]:
    """One engine on a SQLite store for the module (its files are grepped for the secret)."""
    engine = alc.Engine(store=tmp_path_factory.mktemp("store") / "s.db", executor=executor)
    yield engine
    engine.close()


def journal(engine: alc.Engine) -> bytes:
    path = Path(str(engine.store.path))  # type: ignore[attr-defined]
    data = store_bytes(path.parent)
    assert data
    return data


@pytest.fixture
def secret(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.setenv("ISOLATION_VISIBLE", "visible")
    monkeypatch.setenv("ALC_LUA_ENV_ALLOW", "ISOLATION_VISIBLE")
    return SECRET


def test_getenv_bypass_through_string_sub(stored: alc.Engine, secret: str) -> None:
    engine = stored
    out = engine.start(code=GETENV_BYPASS)
    assert wire(out)["status"] == "needs_response"
    assert out.prompt == "none"
    completed(engine.feed(out.session_id, "ANSWER-MARKER-0451"), "ANSWER-MARKER-0451")
    data = journal(engine)
    assert b"ANSWER-MARKER-0451" in data  # the grep sees the journal ...
    assert secret.encode() not in data  # ... and the secret is nowhere in it


@pytest.mark.parametrize("tamper", TAMPERING)
def test_getenv_decided_host_side(stored: alc.Engine, secret: str, tamper: str) -> None:
    engine = stored
    code = (
        f"{tamper}\n"
        'return {secret = os.getenv("OPENAI_API_KEY") or "none", '
        'visible = os.getenv("ISOLATION_VISIBLE") or "none"}'
    )
    completed(engine.start(code=code), {"secret": "none", "visible": "visible"})
    assert secret.encode() not in journal(engine)


@pytest.mark.parametrize("tamper", TAMPERING)
def test_tampering_does_not_break_the_engine(engine: alc.Engine, tamper: str) -> None:
    """Results, prompts and answers still encode after the strategy replaced globals."""
    completed(
        engine.start(code=f'{tamper}\nreturn {{a="b", n=1, l={{1, 2}}}}'),
        {"a": "b", "n": 1, "l": [1, 2]},
    )
    out = engine.start(code=f'{tamper}\nlocal a = alc.llm("p\\"q") return {{a = a}}')
    assert out.prompt == 'p"q'
    completed(engine.feed(out.session_id, 'x"y'), {"a": 'x"y'})


def test_string_metatable_index_error(engine: alc.Engine) -> None:
    code = 'getmetatable("").__index = function() error("x") end return {a="b"}'
    completed(engine.start(code=code), {"a": "b"})


def test_no_debug_library(engine: alc.Engine) -> None:
    completed(
        engine.start(code="return {d = type(debug), dump = type(string.dump)}"),
        {"d": "nil", "dump": "nil"},
    )
