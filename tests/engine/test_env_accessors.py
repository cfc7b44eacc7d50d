"""algocline's ``alc.env:get`` / ``alc.env:use`` over alc.env's values (ctx._env and ALC_ENV_*)."""

from __future__ import annotations

from typing import Any

import pytest

import alc


def result(engine: alc.Engine, code: str, **kw: Any) -> Any:
    out = engine.start(code=code, **kw)
    assert isinstance(out, alc.Completed), out
    return out.result


def test_get_returns_the_value_or_the_default(
    engine: alc.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALC_ENV_MODE", "fast")
    code = "return {alc.env:get('MODE'), alc.env:get('ABSENT', 'dflt'), alc.env:get('ABSENT')}"
    assert result(engine, code) == ["fast", "dflt"]


def test_use_returns_the_values_in_order(engine: alc.Engine) -> None:
    code = "local a, b = alc.env:use('A', 'B') return {a, b}"
    assert result(engine, code, ctx={"_env": {"A": "1", "B": "two"}}) == ["1", "two"]


def test_use_fails_naming_every_missing_name(engine: alc.Engine) -> None:
    code = "local ok, err = pcall(alc.env.use, alc.env, 'A', 'X', 'Y') return {ok, err}"
    ok, err = result(engine, code, ctx={"_env": {"A": "1"}})
    assert ok is False and "not provided: X, Y" in err


def test_the_accessors_do_not_show_as_values(engine: alc.Engine) -> None:
    code = "local n = 0 for _ in pairs(alc.env) do n = n + 1 end return n"
    assert result(engine, code, ctx={"_env": {"A": "1"}}) == 1


def test_a_host_variable_stays_out_of_reach(
    engine: alc.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECRET_TOKEN", "s3cr3t")
    code = (
        "local ok = pcall(alc.env.use, alc.env, 'SECRET_TOKEN') "
        "return {ok, alc.env:get('SECRET_TOKEN', 'none')}"
    )
    assert result(engine, code) == [False, "none"]
