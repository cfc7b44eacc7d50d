"""AsyncEngine mirrors Engine: every public member of one is on the other, same parameters."""

from __future__ import annotations

import inspect
from typing import Any

import alc

ASYNC_ONLY_PARAMETERS = {"drive": {"concurrency"}}
"""Parameters only the async twin has: ``AsyncEngine.drive`` answers a batch concurrently."""


def _public(cls: type) -> list[str]:
    return sorted(n for n in dir(cls) if not n.startswith("_"))


def _parameters(fn: Any, skip: set[str]) -> list[tuple[str, Any, Any]]:
    return [
        (p.name, p.kind, p.default)
        for p in inspect.signature(fn).parameters.values()
        if p.name not in skip
    ]


def test_every_public_engine_member_is_on_async_engine() -> None:
    assert _public(alc.Engine) == _public(alc.AsyncEngine)


def test_same_parameters_and_async_where_it_matters() -> None:
    for name in _public(alc.Engine):
        sync = inspect.getattr_static(alc.Engine, name)
        twin = inspect.getattr_static(alc.AsyncEngine, name)
        assert type(sync) is type(twin), name  # property / staticmethod / function alike
        if isinstance(sync, property):
            continue
        sync_fn, async_fn = getattr(alc.Engine, name), getattr(alc.AsyncEngine, name)
        extra = ASYNC_ONLY_PARAMETERS.get(name, set())
        assert _parameters(sync_fn, set()) == _parameters(async_fn, extra), name
        if not isinstance(sync, staticmethod):
            assert inspect.iscoroutinefunction(async_fn), name


def test_constructors_take_the_same_arguments() -> None:
    assert _parameters(alc.Engine.__init__, set()) == _parameters(alc.AsyncEngine.__init__, set())


def test_instance_attributes_match() -> None:
    sync, twin = alc.Engine(), alc.AsyncEngine()
    public = {n for n in vars(sync) if not n.startswith("_")}
    assert public <= set(vars(twin)), public - set(vars(twin))
    assert twin.registry is twin.engine.registry and twin.store is twin.engine.store
