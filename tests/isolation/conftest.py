"""Fixtures of the isolation tests: every attack runs on both executors.

One engine per executor and test module (``engine``) carries every attack of that module, so a
pool that an attack damaged must go on serving the next one; ``make_engine`` makes private
engines (own store, packages, or a pool a test kills workers of), closed after the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import alc

EXECUTORS = ["inline", "process"]


@pytest.fixture(scope="module", params=EXECUTORS)
def executor(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(params=["default", "inline"])
def cli_env(request: pytest.FixtureRequest) -> dict[str, str]:
    """The real CLI's executor: ALC_EXECUTOR unset (the CLI's default: process) or inline."""
    return {} if request.param == "default" else {"ALC_EXECUTOR": "inline"}


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def make_engine(executor: str) -> Iterator[Callable[..., alc.Engine]]:
    """Make engines on the test's executor; every one is closed after the test."""
    engines: list[alc.Engine] = []

    def make(**kwargs: Any) -> alc.Engine:
        engine = alc.Engine(executor=executor, **kwargs)
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.close()


@pytest.fixture(scope="module")
def engine(executor: str) -> Iterator[alc.Engine]:
    engine = alc.Engine(executor=executor)
    yield engine
    engine.close()
