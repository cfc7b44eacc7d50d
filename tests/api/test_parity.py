"""AsyncEngine mirrors Engine, and each async service its blocking service: every public member
of one is on the other, with the same parameters."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

import alc
from alc._api import AsyncSessionService
from alc._generated_async import (
    AsyncCards,
    AsyncCatalogService,
    AsyncEvalService,
    AsyncPackageService,
)
from alc._services import CatalogService, EvalService, PackageService, SessionService
from alc.engine.cards import Cards

ASYNC_ONLY_PARAMETERS = {"drive": {"concurrency"}}
"""Parameters only the async twin has: ``drive`` answers a batch concurrently."""

SYNC_ONLY = {
    PackageService: {"manager"},  # returns the blocking PackageManager: async code calls run
    Cards: {"card_get", "card_children", "tenant"},  # the record-level seam the host uses
}
"""Members of a blocking class its async twin leaves out on purpose."""

TWINS = [
    (alc.Engine, alc.AsyncEngine),
    (SessionService, AsyncSessionService),
    (CatalogService, AsyncCatalogService),
    (PackageService, AsyncPackageService),
    (EvalService, AsyncEvalService),
    (Cards, AsyncCards),
]


def _public(cls: type) -> list[str]:
    return sorted(n for n in dir(cls) if not n.startswith("_"))


def _parameters(fn: Any, skip: set[str]) -> list[tuple[str, Any, Any]]:
    return [
        (p.name, p.kind, p.default)
        for p in inspect.signature(fn).parameters.values()
        if p.name not in skip
    ]


ASYNC_ONLY = {alc.AsyncEngine: {"blocking"}}
"""Members only the async twin has: ``blocking`` is the blocking engine it wraps."""


@pytest.mark.parametrize(("sync", "twin"), TWINS, ids=lambda c: c.__name__)
def test_every_public_member_is_on_the_twin(sync: type, twin: type) -> None:
    mirrored = sorted(set(_public(twin)) - ASYNC_ONLY.get(twin, set()))
    assert sorted(set(_public(sync)) - SYNC_ONLY.get(sync, set())) == mirrored


@pytest.mark.parametrize(("sync", "twin"), TWINS, ids=lambda c: c.__name__)
def test_same_parameters_and_async_where_it_matters(sync: type, twin: type) -> None:
    for name in sorted(set(_public(twin)) - ASYNC_ONLY.get(twin, set())):
        blocking = inspect.getattr_static(sync, name)
        mirror = inspect.getattr_static(twin, name)
        assert type(blocking) is type(mirror), name  # property / staticmethod / function alike
        if isinstance(blocking, property):
            continue
        sync_fn, async_fn = getattr(sync, name), getattr(twin, name)
        extra = ASYNC_ONLY_PARAMETERS.get(name, set())
        assert _parameters(sync_fn, set()) == _parameters(async_fn, extra), name
        if not isinstance(blocking, staticmethod):
            assert inspect.iscoroutinefunction(async_fn), name


def test_constructors_take_the_same_arguments() -> None:
    assert _parameters(alc.Engine.__init__, set()) == _parameters(alc.AsyncEngine.__init__, set())


def test_instance_attributes_match() -> None:
    sync, twin = alc.Engine(), alc.AsyncEngine()
    public = {n for n in vars(sync) if not n.startswith("_")}
    assert public == {"registry", "session_service", "catalog", "pkg", "evals"}
    assert public <= set(vars(twin)), public - set(vars(twin))
    assert twin.registry is twin.engine.registry and twin.store is twin.engine.store
    for name in public - {"registry"}:
        assert getattr(twin, name).sync is getattr(twin.engine, name), name
