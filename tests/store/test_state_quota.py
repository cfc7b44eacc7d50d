"""``alc.state`` quotas and tenant scoping in every store (memory, SQLite, PostgreSQL).

The quota (bytes and keys, per namespace and per tenant) is checked by the store in the
transaction that writes; a write past it is ``state_quota_exceeded`` and writes nothing;
neighbours (other namespaces, other tenants) are unaffected; deleting is always allowed;
concurrent writers (threads, and processes on PostgreSQL and SQLite) cannot race past it.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import alc
from alc.engine.errors import InvalidInput, StateQuotaExceeded
from alc.engine.store import MemoryStore, StateQuota, Store, Usage, open_store
from alc.engine.tenancy import tenant_scope

SMALL = StateQuota(ns_bytes=1000, ns_keys=5, tenant_bytes=1500, tenant_keys=8)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "memory":
        made: Store = MemoryStore(state_quota=SMALL)
    elif request.param == "sqlite":
        made = open_store(tmp_path / "q.db", state_quota=SMALL)
    else:
        made = open_store(request.getfixturevalue("postgres_url"), state_quota=SMALL)
    yield made
    made.close()


def test_usage_counts_key_and_value_bytes_and_follows_every_write(store: Store) -> None:
    store.state_set("ns", "k", '"v"', tenant="t")  # 1 + 3 bytes
    store.state_set("ns", "é", "12", tenant="t")  # 2 + 2 bytes
    assert store.state_usage("ns", tenant="t") == Usage(8, 2)
    store.state_set("ns", "k", '"longer"', tenant="t")  # replaced: 1 + 8
    assert store.state_usage("ns", tenant="t") == Usage(13, 2)
    assert store.state_set_nx("ns", "k", "1", tenant="t") is False
    assert store.state_incr("other", "n", 5, 0, tenant="t") == 5
    assert store.state_usage(None, tenant="t") == Usage(15, 3)
    assert store.state_delete("ns", "k", tenant="t") is True
    assert store.state_delete("ns", "k", tenant="t") is False
    assert store.state_usage("ns", tenant="t") == Usage(4, 1)
    assert store.state_usage(None, tenant="t") == Usage(6, 2)
    assert store.state_usage(None) == Usage()  # no tenancy: a scope of its own


def test_a_namespace_past_its_keys_or_bytes_is_refused_and_nothing_is_written(
    store: Store,
) -> None:
    for i in range(5):
        store.state_set("full", f"k{i}", "1", tenant="t")
    with pytest.raises(StateQuotaExceeded, match="state_quota_exceeded") as raised:
        store.state_set("full", "k5", "1", tenant="t")
    assert raised.value.error_code == "state_quota_exceeded"
    assert "5" in raised.value.message and "keys" in raised.value.message
    with pytest.raises(StateQuotaExceeded):
        store.state_set_nx("full", "k5", "1", tenant="t")
    with pytest.raises(StateQuotaExceeded):
        store.state_incr("full", "k6", 1, 0, tenant="t")
    assert store.state_keys("full", tenant="t") == [f"k{i}" for i in range(5)]
    store.state_set("full", "k0", "2", tenant="t")  # replacing a key adds no key
    with pytest.raises(StateQuotaExceeded, match="bytes"):
        store.state_set("full", "k0", "x" * 1000, tenant="t")
    assert store.state_get("full", "k0", tenant="t") == "2"
    assert store.state_usage("full", tenant="t") == Usage(15, 5)
    store.state_delete("full", "k4", tenant="t")  # deleting is always allowed
    store.state_set("full", "k5", "1", tenant="t")
    # neighbours: another namespace of the tenant, another tenant, no tenancy
    store.state_set("next", "a", "1", tenant="t")
    store.state_set("full", "k9", "1", tenant="u")
    store.state_set("full", "k9", "1")


def test_a_tenant_past_its_total_is_refused_in_any_namespace(store: Store) -> None:
    for i in range(8):
        store.state_set(f"ns{i}", "k", "1", tenant="t")
    with pytest.raises(StateQuotaExceeded, match="tenant 't'"):
        store.state_set("ns9", "k", "1", tenant="t")
    store.state_set("ns9", "k", "1", tenant="t/x")  # a neighbour named like a sub-tenant
    for i in range(3):
        store.state_set(f"b{i}", "k", "v" * 450, tenant="u")
    with pytest.raises(StateQuotaExceeded, match="bytes"):
        store.state_set("b3", "k", "v" * 200, tenant="u")
    assert store.state_usage(None, tenant="u") == Usage(3 * 451, 3)


def test_concurrent_writers_cannot_race_past_the_quota(store: Store) -> None:
    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def writer(i: int) -> None:
        barrier.wait()
        for j in range(4):
            try:
                store.state_set("race", f"w{i}-{j}", "1", tenant="t")
                outcomes.append("ok")
            except StateQuotaExceeded:
                outcomes.append("refused")

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 5 and outcomes.count("refused") == 27
    assert len(store.state_keys("race", tenant="t")) == 5
    assert store.state_usage("race", tenant="t").keys == 5


def test_a_quota_is_whole_numbers_over_zero_from_the_env() -> None:
    got = StateQuota.from_env(
        {"ALC_STATE_NS_MAX_KEYS": "10", "ALC_STATE_TENANT_MAX_BYTES": "1_000"}
    )
    assert got == StateQuota(ns_keys=10, tenant_bytes=1000)
    assert StateQuota.from_env({}) == StateQuota()
    for bad in ("0", "-1", "ten", "1.5"):
        with pytest.raises(InvalidInput, match="ALC_STATE_NS_MAX_BYTES"):
            StateQuota.from_env({"ALC_STATE_NS_MAX_BYTES": bad})
    with pytest.raises(InvalidInput):
        StateQuota(ns_keys=True)


FILL = """
local n = 0
while true do
  alc.state.set('k' .. n, string.rep('x', 100))
  n = n + 1
end
"""


def test_a_strategy_filling_its_namespace_fails_state_quota_exceeded(tmp_path: Path) -> None:
    engine = alc.Engine(tmp_path / "e.db", state_quota=SMALL)
    try:
        with tenant_scope("hog"):
            out = engine.start(code=FILL, ctx={"_ns": "mine"})
        assert isinstance(out, alc.Failed) and out.error_code == "state_quota_exceeded"
        assert "state_quota_exceeded" in out.error
        caught = engine.start(
            code="local ok, e = pcall(alc.state.set, 'k', string.rep('x', 2000)) "
            "return {ok = ok, e = e, after = alc.state.get('k')}"
        )
        assert caught.result["ok"] is False  # type: ignore[union-attr]
        assert caught.result["e"].find("state_quota_exceeded") >= 0  # type: ignore[union-attr]
        assert "after" not in caught.result  # type: ignore[union-attr]
        with tenant_scope("neighbour"):  # another tenant is unaffected
            fine = engine.start(code="alc.state.set('k', 1) return alc.state.get('k')")
            assert fine.result == 1  # type: ignore[union-attr]
        with tenant_scope("hog"):  # the hog may still clear its namespace
            cleared = engine.start(
                code="for _, k in ipairs(alc.state.keys()) do alc.state.delete(k) end "
                "alc.state.set('again', 1) return #alc.state.keys()",
                ctx={"_ns": "mine"},
            )
            assert cleared.result == 1  # type: ignore[union-attr]
    finally:
        engine.close()
        engine.store.close()


def test_a_refused_write_replays_the_same_way(tmp_path: Path) -> None:
    """The refusal is a recorded effect: a session rebuilt by replay (another process, after
    eviction) sees the same refusal without writing, and goes on from there."""
    db = tmp_path / "r.db"
    code = (
        "local ok = pcall(alc.state.set, 'big', string.rep('x', 5000)) "
        "local a = alc.llm('go?') return {ok = ok, a = a}"
    )
    first = alc.Engine(db, state_quota=SMALL)
    sid = first.start(code=code).session_id
    first.close()
    first.store.close()
    second = alc.Engine(db, state_quota=StateQuota())  # a larger quota now: replay still refuses
    try:
        done = second.feed(sid, "yes")
        assert done.result == {"ok": False, "a": "yes"}  # type: ignore[union-attr]
        assert second.store.state_get("default", "big") is None
    finally:
        second.close()
        second.store.close()


QUOTA_SCRIPT = """
import sys
import alc
from alc.engine.store import StateQuota
engine = alc.Engine(store=sys.argv[1], state_quota=StateQuota(ns_keys=30))
ok = refused = 0
for i in range(int(sys.argv[3])):
    out = engine.start(
        code="alc.state.set(ctx.key, 1) return 1", ctx={"_ns": "race", "key": sys.argv[2] + str(i)}
    )
    if isinstance(out, alc.Completed):
        ok += 1
    else:
        assert out.error_code == "state_quota_exceeded", out
        refused += 1
print(ok, refused)
"""


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_writers_in_two_processes_cannot_race_past_the_quota(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url = (
        str(tmp_path / "p.db")
        if backend == "sqlite"
        else str(request.getfixturevalue("postgres_url"))
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", QUOTA_SCRIPT, url, f"p{n}-", "25"],
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in range(2)
    ]
    counts = []
    for p in procs:
        out, _ = p.communicate(timeout=240)
        assert p.returncode == 0, out
        counts.append([int(x) for x in out.split()])
    assert sum(c[0] for c in counts) == 30 and sum(c[1] for c in counts) == 20
    store = open_store(url)
    try:
        assert len(store.state_keys("race")) == 30
        assert store.state_usage("race").keys == 30
    finally:
        store.close()
