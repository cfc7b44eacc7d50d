"""Test modules have unique basenames.

The suite runs in pytest's default ``prepend`` import mode (test folders have no ``__init__.py``,
and some tests import a helper module beside them), where two test files of one name in different
folders stop the whole collection. This check names the clash instead.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
SHARED_NAMES = {"conftest.py", "__init__.py"}


def test_test_module_basenames_are_unique() -> None:
    seen: dict[str, list[str]] = defaultdict(list)
    for path in TESTS.rglob("*.py"):
        if path.name not in SHARED_NAMES:
            seen[path.name].append(str(path.relative_to(TESTS)))
    clashes = {name: paths for name, paths in seen.items() if len(paths) > 1}
    assert not clashes, f"rename one of each: {clashes}"
