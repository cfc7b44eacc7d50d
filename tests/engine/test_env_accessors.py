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


def test_use_returns_the_declared_names_only(engine: alc.Engine) -> None:
    code = (
        "local e = alc.env:use{'A', 'B', 'MISSING'} return {e.A, e.B, e.C == nil, e.MISSING == nil}"
    )
    ctx = {"_env": {"A": "1", "B": "two", "C": "undeclared"}}
    assert result(engine, code, ctx=ctx) == ["1", "two", True, True]


def test_use_without_a_list_fails_clearly(engine: alc.Engine) -> None:
    code = "local ok, err = pcall(alc.env.use, alc.env, 'A') return {ok, err}"
    ok, err = result(engine, code)
    assert ok is False and "expected a list of names" in err


def test_the_accessors_do_not_show_as_values(engine: alc.Engine) -> None:
    code = "local n = 0 for _ in pairs(alc.env) do n = n + 1 end return n"
    assert result(engine, code, ctx={"_env": {"A": "1"}}) == 1


def test_a_host_variable_stays_out_of_reach(
    engine: alc.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECRET_TOKEN", "s3cr3t")
    code = (
        "return {alc.env:use{'SECRET_TOKEN'}.SECRET_TOKEN == nil, alc.env:get('SECRET_TOKEN', 'x')}"
    )
    assert result(engine, code) == [True, "x"]
