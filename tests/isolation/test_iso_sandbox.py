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


# ---------------------------------------------------------------------- issue 24, medium


def test_a_huge_error_message_is_cut_and_journaled_bounded(executor: str, tmp_path: Path) -> None:
    """A 20 MiB error string ends as lua_error with the message cut to 64 KiB (it is returned
    and journaled); the store does not grow by the message."""
    engine = alc.Engine(store=tmp_path / "s.db", executor=executor)
    try:
        out = engine.start(code='error(string.rep("x", 20 * 1024 * 1024))')
        assert isinstance(out, alc.Failed) and out.error_code == "lua_error", out
        first = out.error.splitlines()[0]
        assert first.endswith("more bytes of the error message cut]")
        assert len(out.error) < 70 * 1024
        again = engine.status(out.session_id)
        assert again.outcome is not None and again.outcome["error"] == out.error
    finally:
        engine.close()
    assert len(store_bytes(tmp_path)) < 4 * 1024 * 1024


def test_an_error_message_is_cut_at_a_low_max_output_bytes(engine: alc.Engine) -> None:
    out = engine.start(code='error(string.rep("y", 10000), 0)', limits={"max_output_bytes": 2048})
    assert isinstance(out, alc.Failed) and out.error_code == "lua_error"
    assert out.error.startswith("y" * 2048 + " [... 7952 more bytes")


@pytest.mark.parametrize(
    "code",
    [
        "coroutine.close(coroutine.running()) return 1",
        "local c = coroutine.running() alc.log('info', 'x') coroutine.close(c) return 2",
    ],
)
def test_closing_the_running_strategy_coroutine_is_a_clear_lua_error(
    engine: alc.Engine, code: str
) -> None:
    out = engine.start(code=code)
    assert isinstance(out, alc.Failed) and out.error_code == "lua_error", out
    if out.error.startswith("code:"):  # Lua 5.4: closing a running coroutine is refused
        assert "cannot close a running coroutine" in out.error
    else:
        assert out.error.startswith("the strategy closed its own coroutine")
    assert "LuaVM" not in out.error and "engine" not in out.error


UTC_CLOCK = """
local t = {year = 2020, month = 14, day = 35, hour = 25}
local stamp = os.time(t)
local seen = alc.llm(os.date("%Y-%m-%d %H:%M", 0) .. " " .. stamp)
return {seen = seen, now = os.date("%H:%M", 3600), star = os.date("*t", 0).hour,
        table = t, plain = os.date(nil, 0), stamp = os.time({year = 1970, month = 1, day = 1})}
"""


@pytest.mark.slow
@pytest.mark.parametrize("lua", ["5.5", "5.4"])
def test_os_date_and_time_do_not_depend_on_the_time_zone(
    home: Path, cli_env: dict, lua: str
) -> None:
    """Started under one TZ and continued (rebuilt by replay in a new process) under another:
    the same values, no replay divergence."""
    from _isolation import run_cli

    limit = ("--limit", f'lua_version="{lua}"')  # quoted: a bare 5.4 is read as a number
    run = run_cli(
        home, "run", "--code", UTC_CLOCK, *limit, env={**cli_env, "TZ": "Pacific/Kiritimati"}
    )
    body = run.json
    assert body["status"] == "needs_response", (run.stdout, run.stderr)
    assert body["prompt"] == "1970-01-01 00:00 1615165200"
    feed = run_cli(
        home, "continue", body["session_id"], "ok", env={**cli_env, "TZ": "America/Adak"}
    )
    done = feed.json
    assert done["status"] == "completed", (feed.stdout, feed.stderr)
    assert done["result"] == {
        "seen": "ok",
        "now": "01:00",
        "star": 0,
        "table": {
            "year": 2021,
            "month": 3,
            "day": 8,
            "hour": 1,
            "min": 0,
            "sec": 0,
            "wday": 2,
            "yday": 67,
            "isdst": False,
        },
        "plain": "Thu Jan  1 00:00:00 1970",
        "stamp": 43200,
    }
