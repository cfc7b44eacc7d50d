"""Fixtures of the strategy tests (helpers live in ``strategy_driver``)."""

from __future__ import annotations

import pytest
from strategy_driver import STRATEGIES


@pytest.fixture(params=STRATEGIES)
def strategy(request: pytest.FixtureRequest) -> str:
    return str(request.param)
