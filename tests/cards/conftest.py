"""Fixtures of the card tests: every store backend that implements ``CardStore``.

``STORE_FACTORIES`` is the one list of backends the store tests run on. A new backend (the
PostgreSQL store, on a fresh schema of the test server: skipped without ``ALC_TEST_POSTGRES_URL``)
is one entry like the others.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from alc.engine.store import MemoryStore, SQLiteStore, Store, open_store

StoreFactory = Callable[[pytest.FixtureRequest, Path], Store]

STORE_FACTORIES: dict[str, StoreFactory] = {
    "memory": lambda request, tmp: MemoryStore(),
    "sqlite": lambda request, tmp: SQLiteStore(tmp / "cards.db"),
    "postgres": lambda request, tmp: open_store(request.getfixturevalue("postgres_url")),
}
"""A fresh, empty store of each backend, by name."""


@pytest.fixture(params=sorted(STORE_FACTORIES))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh store of each backend in turn."""
    made = STORE_FACTORIES[request.param](request, tmp_path)
    yield made
    made.close()
