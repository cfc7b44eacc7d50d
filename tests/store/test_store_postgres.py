"""PostgresStore's own concerns: named migrations, the pool, the write rule under real
concurrency (threads and processes), key bytes, schemas, and coded errors for bad URLs.

Every test runs on a fresh schema of the test server (``postgres_url``, tests/conftest.py) and
is skipped without ``ALC_TEST_POSTGRES_URL`` (CI sources ``.ci/postgres.sh``, which sets it).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import alc
from alc.engine.errors import Conflict, SessionNotFound, StoreUnavailable
from alc.engine.store import AnswerEvent, PauseEvent, SessionRecord, Summary, open_store

psycopg = pytest.importorskip("psycopg")
from alc.engine.store._migrations import names as migration_names  # noqa: E402
from alc.engine.store._postgres import PostgresStore, redacted  # noqa: E402


@pytest.fixture
def store(postgres_url: str) -> Iterator[PostgresStore]:
    made = PostgresStore(postgres_url)
    yield made
    made.close()


def sql(url: str, statement: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, autocommit=True) as conn:
        cursor = conn.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def new_session(store: PostgresStore, sid: str = "s-" + "a" * 32) -> str:
    record = SessionRecord(sid, 1.0, None, "return 1", {}, 1, 2, {}, tenant="t1")
    pause = PauseEvent(({"id": "q-0", "prompt": "p", "hash": "h"},))
    store.create(record, [pause], Summary(sid, None, 1.0, 1.0, "paused"))
    return sid


def run_together(count: int, work: Callable[[int], Any]) -> list[Any]:
    """``work(i)`` on ``count`` threads released at once; each result or raised exception."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def one(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:  # the test inspects what each thread got
            results[i] = exc

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


# ------------------------------------------------------------------ migrations


def test_migrations_are_recorded_once_and_reopening_applies_nothing(postgres_url: str) -> None:
    PostgresStore(postgres_url).close()
    first = sql(postgres_url, "SELECT name, applied_at FROM schema_migrations ORDER BY name")
    assert [name for name, _ in first] == migration_names()
    for _ in range(3):
        PostgresStore(postgres_url).close()
    assert sql(postgres_url, "SELECT name, applied_at FROM schema_migrations ORDER BY name") == (
        first
    )


def test_replicas_opening_a_fresh_database_together_migrate_once(postgres_url: str) -> None:
    stores = run_together(8, lambda i: PostgresStore(postgres_url, min_size=0))
    assert all(isinstance(s, PostgresStore) for s in stores), stores
    names = sql(postgres_url, "SELECT name FROM schema_migrations ORDER BY name")
    assert names == [(name,) for name in migration_names()]
    new_session(stores[0])
    assert [s.session_id for s in stores[7].list()] == ["s-" + "a" * 32]
    for s in stores:
        s.close()


# A missing migration applied on open, keeping the data: tests/store/test_tenant_migration.py


def server_url() -> str:
    """The test server's own database (``postgres_url`` has already skipped without one)."""
    return os.environ["ALC_TEST_POSTGRES_URL"]


def test_schemas_keep_deployments_apart(postgres_url: str) -> None:
    other_schema = "alc_test_other_" + os.urandom(6).hex()
    sql(server_url(), f"CREATE SCHEMA {other_schema}")
    try:
        here = PostgresStore(postgres_url)
        there = PostgresStore(f"{server_url()}?options=-csearch_path%3D{other_schema}")
        new_session(here)
        here.state_set("ns", "k", "1")
        assert there.list() == [] and there.state_get("ns", "k") is None
        assert [s.session_id for s in here.list()] == ["s-" + "a" * 32]
        here.close()
        there.close()
    finally:
        sql(server_url(), f"DROP SCHEMA {other_schema} CASCADE")


# ------------------------------------------------------------------ the write rule


def test_racing_appends_to_one_head_have_exactly_one_winner(store: PostgresStore) -> None:
    sid = new_session(store)

    def feed(i: int) -> int:
        answer = AnswerEvent("q-0", f"answer {i}")
        return store.append(sid, 1, [answer], Summary(sid, None, 1.0, 2.0, "running"))

    results = run_together(8, feed)
    assert sorted(r for r in results if isinstance(r, int)) == [2]
    losers = [r for r in results if not isinstance(r, int)]
    assert len(losers) == 7 and all(isinstance(r, Conflict) for r in losers), results
    assert all(r.error_code == "conflict" for r in losers)
    _, events, summary = store.load(sid)
    assert [e.seq for e in events] == [1, 2] and summary.head == 2
    with pytest.raises(SessionNotFound):
        store.append("s-" + "b" * 32, 0, [], Summary("x", None, 1.0, 1.0, "running"))


def test_state_incr_from_many_threads_loses_no_update(postgres_url: str) -> None:
    store = PostgresStore(postgres_url, max_size=4)  # fewer connections than threads: they queue
    results = run_together(16, lambda i: [store.state_incr("ns", "n", 1, 0) for _ in range(25)])
    assert all(isinstance(r, list) for r in results), results
    seen = sorted(v for r in results for v in r)
    assert seen == list(range(1, 401))  # every increment saw a distinct value: none lost
    assert store.state_get("ns", "n") == "400"
    store.close()


INCR_SCRIPT = """
import sys
import alc
engine = alc.Engine(store=sys.argv[1])
for _ in range(int(sys.argv[2])):
    done = engine.start(code="return alc.state.incr('hits', 2)", ctx={"_ns": "race"})
    assert isinstance(done, alc.Completed), done
print("ok")
"""


@pytest.mark.slow
def test_state_incr_from_many_processes_loses_no_update(postgres_url: str) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", INCR_SCRIPT, postgres_url, "20"],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    for p in procs:
        out, _ = p.communicate(timeout=240)
        assert p.returncode == 0 and out.strip() == "ok"
    done = alc.Engine(store=postgres_url).start(
        code="return alc.state.get('hits')", ctx={"_ns": "race"}
    )
    assert isinstance(done, alc.Completed) and done.result == 240


def test_sessions_keep_their_tenant_and_list_by_it(store: PostgresStore) -> None:
    sid = new_session(store)
    store.append(sid, 1, [AnswerEvent("q-0", "a")], Summary(sid, None, 1.0, 2.0, "running"))
    assert store.summary(sid).tenant == "t1"  # kept from the record, not from the summary
    assert [s.session_id for s in store.list(tenant="t1")] == [sid]
    assert store.list(tenant="t2") == [] and len(store.list()) == 1
    assert store.list(states=["paused"]) == [] and len(store.list(states=["running"])) == 1


def test_state_keys_are_bytes_ordered_and_hold_any_lua_string(store: PostgresStore) -> None:
    for key in ["b", "a\x00z", "é", "B", "a"]:
        store.state_set("ns\x00x", key, json.dumps(key))
    # bytewise, as SQLite orders them, whatever the database's collation
    assert store.state_keys("ns\x00x") == ["B", "a", "a\x00z", "b", "é"]
    assert store.state_get("ns\x00x", "a\x00z") == json.dumps("a\x00z")
    assert store.state_keys("ns") == []
    assert store.state_set_nx("ns", "k", "1") and not store.state_set_nx("ns", "k", "2")
    assert store.state_delete("ns", "k") and not store.state_delete("ns", "k")
    with pytest.raises(ValueError):
        store.state_incr("ns\x00x", "b", 1, 0)  # a string is not a number; nothing written
    assert store.state_get("ns\x00x", "b") == '"b"'


def test_sources_keep_any_text(store: PostgresStore) -> None:
    text = "return '\x00 nul and ünïcode'\n"
    store.put_source("h1", text)
    store.put_source("h1", "ignored: the first text under a hash stays")
    assert store.get_source("h1") == text and store.get_source("h2") is None


# ------------------------------------------------------------------ the pool


def test_the_pool_replaces_connections_the_server_dropped(postgres_url: str) -> None:
    name = "alc_pool_test_" + os.urandom(6).hex()  # this store's connections, no one else's
    store = PostgresStore(
        f"{postgres_url}&application_name={name}", min_size=2, max_size=2, check_idle_after=0
    )
    sid = new_session(store)
    killed = sql(
        postgres_url,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
        name,
    )
    assert killed  # the pool's connections are gone
    for _ in range(4):  # every later request gets a working connection
        assert store.summary(sid).state == "paused"
    store.close()


def test_a_closed_store_is_store_unavailable(postgres_url: str) -> None:
    store = PostgresStore(postgres_url)
    store.close()
    with pytest.raises(StoreUnavailable) as info:
        store.list()
    assert info.value.error_code == "store_unavailable"


# ------------------------------------------------------------------ bad URLs and servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bad_urls() -> list[tuple[str, str]]:
    """(URL, what the message must say) for stores that cannot be opened."""
    port = free_port()
    return [
        (f"postgresql://alc:s3cret@127.0.0.1:{port}/alc?connect_timeout=5", "Connection refused"),
        ("postgresql://alc:s3cret@[::1/alc", "IPv6"),
        ("postgres://alc@127.0.0.1:5432/alc?nonsense=1", "nonsense"),
    ]


@pytest.mark.parametrize("index", range(3))
def test_a_bad_url_is_store_unavailable_without_its_password(index: int) -> None:
    url, says = bad_urls()[index]
    with pytest.raises(StoreUnavailable) as info:
        open_store(url)
    message = str(info.value)
    assert info.value.error_code == "store_unavailable"
    assert says in message and "s3cret" not in message
    assert "Check the URL (--store or ALC_STORE)" in message


def test_an_unknown_database_says_so(postgres_url: str) -> None:
    base, _, _ = server_url().rpartition("/")
    with pytest.raises(StoreUnavailable, match='database "alc_no_such_db" does not exist'):
        alc.Engine(store=f"{base}/alc_no_such_db")


def test_a_bad_pool_setting_is_store_unavailable(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALC_POSTGRES_POOL_MAX", "many")
    with pytest.raises(StoreUnavailable, match="ALC_POSTGRES_POOL_MAX"):
        open_store(postgres_url)


def test_redacted_hides_passwords_only() -> None:
    assert redacted("postgresql://u:p@h:5/db?sslmode=require") == (
        "postgresql://u:***@h:5/db?sslmode=require"
    )
    assert (
        redacted("postgresql://h/db?user=u&password=p") == "postgresql://h/db?user=u&password=***"
    )
    assert redacted("postgresql://u@h/db") == "postgresql://u@h/db"


def alc_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "alc", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
    )


def test_the_cli_uses_alc_store_urls_across_processes(postgres_url: str, tmp_path: Path) -> None:
    env = {"ALC_STORE": postgres_url, "ALC_HOME": str(tmp_path / "home")}
    started = alc_cli("run", "--json", "--code", "return alc.llm('q') .. '!'", env=env)
    assert started.returncode == 0, started.stderr
    sid = json.loads(started.stdout)["session_id"]
    fed = alc_cli("continue", sid, "a", "--json", env=env)
    assert json.loads(fed.stdout)["result"] == "a!", fed.stderr
    info = alc_cli("--store", postgres_url, "info", "--json", env={})
    assert json.loads(info.stdout)["store"] == redacted(postgres_url)
    assert not (Path.cwd() / "postgresql:").exists()  # a URL is never taken for a folder


def test_the_cli_reports_an_unreachable_server_as_a_coded_error(tmp_path: Path) -> None:
    url = f"postgresql://alc:s3cret@127.0.0.1:{free_port()}/alc"
    for args in (("--store", url, "sessions", "--json"), ("--store", url, "mcp")):
        done = alc_cli(*args, env={"ALC_HOME": str(tmp_path)})
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr and "s3cret" not in done.stdout + done.stderr
        wire = json.loads(done.stdout) if done.stdout.strip() else None
        if wire is not None:
            assert wire["error_code"] == "store_unavailable"
        else:
            assert "store_unavailable" in done.stderr
