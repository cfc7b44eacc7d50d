"""Fixtures of the card tests: every store backend that implements ``CardStore``.

``STORE_FACTORIES`` is the one list of backends the store tests run on. A new backend (the
PostgreSQL store) joins by adding ``"postgres": lambda request: PostgresStore(
request.getfixturevalue("postgres_url"))`` once it implements ``CardStore``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from alc.engine.store import MemoryStore, SQLiteStore, Store

StoreFactory = Callable[[pytest.FixtureRequest, Path], Store]

STORE_FACTORIES: dict[str, StoreFactory] = {
    "memory": lambda request, tmp: MemoryStore(),
    "sqlite": lambda request, tmp: SQLiteStore(tmp / "cards.db"),
}
"""A fresh, empty store of each backend, by name."""


@pytest.fixture(params=sorted(STORE_FACTORIES))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh store of each backend in turn."""
    made = STORE_FACTORIES[request.param](request, tmp_path)
    yield made
    made.close()
