"""Issue 24, amplification: every limit a client may set has a server-side maximum.

A request above a maximum is refused with ``invalid_input`` naming it (Python API, and a real
``alc serve`` whose operator lowered a maximum with ``ALC_LIMIT_*``); the server's own defaults
are lowered to the maxima; a bad ``ALC_LIMIT_*`` is a coded error.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from _replicas import Replica, client, reply

import alc
from alc.engine.errors import InvalidInput
from alc.engine.protocol import LimitMaxima, Limits

pytestmark = pytest.mark.anyio

MiB = 1024 * 1024


@pytest.fixture
def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[alc.Engine]:
    for name in list(LimitMaxima.model_fields):
        monkeypatch.delenv(f"ALC_LIMIT_{name.upper()}", raising=False)
    one = alc.Engine(store=tmp_path / "s.db")
    yield one
    one.close()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("max_output_bytes", 1024**3),
        ("max_memory", 8 * 1024**3),
        ("max_step_seconds", 3600.0),
        ("max_instructions", 10**13),
    ],
)
def test_a_limit_above_its_default_maximum_is_invalid_input(
    engine: alc.Engine, name: str, value: float
) -> None:
    with pytest.raises(InvalidInput) as caught:
        engine.start(code="return 1", limits={name: value})
    assert f"limits.{name}" in caught.value.message
    assert f"ALC_LIMIT_{name.upper()}" in caught.value.message
    assert engine.active() == []  # nothing was started


def test_limits_up_to_the_maxima_and_below_are_served(engine: alc.Engine) -> None:
    top = LimitMaxima()
    out = engine.start(code="return 1", limits=top.model_dump())
    assert isinstance(out, alc.Completed)
    out = engine.start(code="return 2", limits={"max_output_bytes": 2048})
    assert isinstance(out, alc.Completed) and out.result == 2


def test_the_servers_defaults_are_lowered_to_the_maxima(tmp_path: Path) -> None:
    big = Limits(max_output_bytes=512 * MiB, max_memory=MiB * 64)
    one = alc.Engine(store=tmp_path / "s.db", limits=big)
    try:
        out = one.start(code="return 1")  # names no limit: always admitted
        assert isinstance(out, alc.Completed)
        limits = one.registry.limits
        assert limits.max_output_bytes == LimitMaxima().max_output_bytes
        assert limits.max_memory == 64 * MiB
    finally:
        one.close()


@pytest.mark.parametrize(
    "environ",
    [
        {"ALC_LIMIT_MAX_MEMORY": "lots"},
        {"ALC_LIMIT_MAX_OUTPUT_BYTES": "10"},
        {"ALC_LIMIT_MAX_STEP_SECONDS": "nan"},
        {"ALC_LIMIT_MAX_INSTRUCTIONS": "1e400"},
    ],
)
def test_a_bad_maximum_is_invalid_input(environ: dict[str, str]) -> None:
    with pytest.raises(InvalidInput) as caught:
        LimitMaxima.from_env(environ)
    assert "ALC_LIMIT_" in caught.value.message


def test_maxima_from_the_environment() -> None:
    maxima = LimitMaxima.from_env(
        {"ALC_LIMIT_MAX_OUTPUT_BYTES": " 4096 ", "ALC_LIMIT_MAX_STEP_SECONDS": "2.5"}
    )
    assert maxima.max_output_bytes == 4096 and maxima.max_step_seconds == 2.5
    assert maxima.max_memory == LimitMaxima().max_memory


@pytest.mark.slow
async def test_a_client_of_alc_serve_cannot_raise_a_limit_past_the_operators_maximum(
    tmp_path: Path,
) -> None:
    one = Replica(
        str(tmp_path / "sessions.db"),
        tmp_path / "home",
        env={"ALC_LIMIT_MAX_OUTPUT_BYTES": str(4 * MiB)},
    )
    try:
        async with client(one.url) as c:
            refused = await c.call_tool(
                "alc_run", {"code": "return 1", "limits": {"max_output_bytes": 1024**3}}
            )
            assert refused.is_error
            error = reply(refused)
            assert error["error_code"] == "invalid_input"
            assert "4,194,304" in error["error"]
            # the default (16 MiB) is lowered to the maximum: a 6 MiB result is too large
            big = await c.call_tool("alc_run", {"code": "return string.rep('x', 6 * 1024 * 1024)"})
            assert reply(big)["error_code"] == "memory_limit"
            assert "4194304" in reply(big)["error"]
            fine = await c.call_tool(
                "alc_run", {"code": "return #string.rep('x', 6 * 1024 * 1024)", "limits": {}}
            )
            assert reply(fine)["result"] == 6 * MiB
    finally:
        one.stop()
