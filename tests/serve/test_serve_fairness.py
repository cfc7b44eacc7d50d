"""Issue 24 through a real ``alc serve`` with two tenants: one tenant's long steps never delay
the other's calls, and a tenant past its share gets ``rate_limited`` with ``retry_after``.

The bound (docs/operations.md, "Scheduling"): with tenant A's two 20 s steps running, tenant B's
``return 42`` is answered in under 10 s (half a long step); a scheduler that made B wait behind
A would take 20 s.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from _replicas import Replica, client, reply

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

TOKEN_A = "tok-a-" + "1" * 32
TOKEN_B = "tok-b-" + "2" * 32
LONG_SECONDS = 20.0


@pytest.fixture
def replica(tmp_path: Path) -> Iterator[Replica]:
    # tokens from ALC_TOKENS; four workers at most, so each tenant's share is two requests
    tokens = json.dumps({TOKEN_A: "acme", TOKEN_B: "globex"})
    one = Replica(
        str(tmp_path / "sessions.db"),
        tmp_path / "home",
        env={"ALC_TOKENS": tokens, "ALC_WORKERS": "4"},
    )
    try:
        yield one
    finally:
        one.stop()


async def test_one_tenants_loops_never_delay_another(replica: Replica) -> None:
    longs: list[dict[str, Any]] = []
    async with client(replica.url, TOKEN_A) as a, client(replica.url, TOKEN_B) as b:

        async def loop() -> None:
            args = {"code": "while true do end", "limits": {"max_step_seconds": LONG_SECONDS}}
            longs.append(reply(await a.call_tool("alc_run", args)))

        async with anyio.create_task_group() as tg:
            tg.start_soon(loop)
            tg.start_soon(loop)
            await anyio.sleep(3.0)  # both of A's loops run
            began = time.monotonic()
            answered = reply(await b.call_tool("alc_run", {"code": "return 42"}))
            took = time.monotonic() - began
            third = await a.call_tool("alc_run", {"code": "return 1"})  # past A's share
            assert longs == []  # A's loops still ran meanwhile
        assert answered["status"] == "completed" and answered["result"] == 42, answered
        assert took < LONG_SECONDS / 2, took
        assert third.is_error
        refused = reply(third)
        assert refused["error_code"] == "rate_limited", refused
        assert refused["retry_after"] > 0 and refused["next_step"] == "retry"
        assert [r["error_code"] for r in longs] == ["timeout", "timeout"], longs
        again = reply(await a.call_tool("alc_run", {"code": "return 1"}))  # share back
        assert again["result"] == 1
