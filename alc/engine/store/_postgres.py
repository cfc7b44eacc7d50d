"""``PostgresStore``: :class:`SQLStore` on PostgreSQL (psycopg 3 and its connection pool).

The store of a deployment that runs several alc processes or machines on one database
(docs/deploy.md): the same statements and write rule as ``SQLiteStore`` (``_sql``), with
rows locked one by one (``SELECT ... FOR UPDATE``), so of two writers racing for one session
exactly one commits and the other gets ``conflict`` with nothing applied; ``alc.state`` writes
lock the tenant's usage row, so increments from any number of processes add up.

Connections come from a ``psycopg_pool.ConnectionPool`` (thread-safe). Each method borrows one
connection, in autocommit mode, for its reads or one explicit transaction (writes that check
before they write). Migrations (``_migrations``, one history with SQLite) run when a store is
opened, under an advisory lock so replicas starting together migrate once. Tables are
unqualified: they live in the connection's ``search_path`` (a URL with
``options=-csearch_path%3Dname`` keeps a deployment in its own schema). Every psycopg error is
translated to ``store_unavailable`` in the connector; the URL's password never appears in a
message.

Column types: JSON documents are ``text`` (kept byte for byte, as in SQLite); ``alc.state`` and
internal keys and source texts are ``bytea`` (a Lua string may hold a NUL, which ``text``
refuses, and ``bytea`` sorts by bytes, the order SQLite's ``state_keys`` gives).
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import threading
import time
import weakref
from collections.abc import Iterator, Sequence
from typing import Any

import psycopg
import psycopg_pool
from psycopg import conninfo as pg_conninfo

from alc.engine.errors import StoreUnavailable
from alc.engine.store._dialect import POSTGRES, Conn, Connector, translated
from alc.engine.store._migrations import migrate
from alc.engine.store._quota import StateQuota
from alc.engine.store._redact import redacted
from alc.engine.store._sql import SQLStore

__all__ = ["PostgresStore", "redacted"]


class _PostgresConnector(Connector):
    """A ``psycopg_pool.ConnectionPool`` (thread-safe) of autocommit connections."""

    dialect = POSTGRES

    def __init__(self, path: str, pool: psycopg_pool.ConnectionPool[Any]) -> None:
        self.path = path
        self.pool = pool

    def unavailable(self, exc: BaseException) -> StoreUnavailable:
        return _unavailable(self.path, exc)

    @contextlib.contextmanager
    def connection(self) -> Iterator[Conn]:
        with translated(psycopg.Error, self.unavailable), self.pool.connection() as conn:
            yield conn

    @contextlib.contextmanager
    def transaction(self, pipelined: bool = False) -> Iterator[Conn]:
        with translated(psycopg.Error, self.unavailable), self.pool.connection() as conn:
            if pipelined:  # one implicit transaction up to the pipeline's one Sync
                with conn.pipeline():
                    yield conn
                return
            with conn.transaction():
                yield conn

    def insert_many(self, conn: Conn, table: str, columns: Sequence[str], rows: Any) -> None:
        assert isinstance(conn, psycopg.Connection)
        if conn.pgconn.pipeline_status:  # COPY cannot run in a pipeline
            marks = ", ".join(["%s"] * len(columns))
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
            with conn.cursor() as cursor:
                cursor.executemany(sql, rows)
            return
        with (
            conn.cursor() as cursor,
            cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)

    def cannot_read_json(self, exc: BaseException) -> bool:
        return isinstance(exc.__cause__, psycopg.errors.UntranslatableCharacter)

    def close(self) -> None:
        self.pool.close()


class PostgresStore(SQLStore):
    """The shared store: one PostgreSQL database, safe for any number of processes at once.

    A commit is durable when PostgreSQL acknowledges it (``synchronous_commit`` is the server's
    setting; its default, ``on``, survives a crash of the server machine).

    Args:
        url: ``postgresql://user:password@host:port/database?options`` (libpq URL; ``postgres://``
            too). ``connect_timeout`` defaults to 10 seconds.
        min_size / max_size: connections the pool keeps open / may open (defaults from
            ``ALC_POSTGRES_POOL_MIN`` and ``ALC_POSTGRES_POOL_MAX``, else 1 and 10). A request
            holds one connection for one transaction; a thread waits for a free one.
        timeout: seconds a request waits for a free connection before ``store_unavailable``.
        check_idle_after: a pooled connection idle longer than this many seconds is checked
            (one empty query) before it is lent, so one the server or a firewall dropped
            meanwhile is replaced instead of failing a request (0: check every time).
        state_quota: the bounds of ``alc.state`` (default :meth:`StateQuota.from_env`).

    Raises:
        StoreUnavailable: the URL is malformed, the server cannot be reached, the login or the
            database is refused, or the schema cannot be migrated. The message says what to check.
    """

    def __init__(
        self,
        url: str,
        *,
        min_size: int | None = None,
        max_size: int | None = None,
        timeout: float = 30.0,
        check_idle_after: float = 5.0,
        state_quota: StateQuota | None = None,
    ) -> None:
        path = redacted(url)
        try:
            params = pg_conninfo.conninfo_to_dict(url)
        except psycopg.Error as exc:
            raise _unavailable(path, exc) from exc
        params.setdefault("connect_timeout", 10)
        params.setdefault("application_name", "alc")
        low = min_size if min_size is not None else _env_int("ALC_POSTGRES_POOL_MIN", 1)
        high = max_size if max_size is not None else _env_int("ALC_POSTGRES_POOL_MAX", 10)
        conninfo = pg_conninfo.make_conninfo("", **params)
        try:
            with psycopg.connect(conninfo) as conn, conn.transaction():
                migrate(conn, POSTGRES)
            pool = psycopg_pool.ConnectionPool(
                conninfo,
                kwargs={"autocommit": True},
                min_size=max(0, low),
                max_size=max(1, low, high),
                timeout=timeout,
                check=functools.partial(_check_if_idle, idle=check_idle_after),
                reset=_mark_returned,
                name="alc-store",
                open=False,
            )
        except psycopg.Error as exc:
            raise _unavailable(path, exc) from exc
        super().__init__(_PostgresConnector(path, pool), state_quota)
        self._pool = pool
        pool.open(wait=False)

    def __del__(self) -> None:
        # A store dropped without close() (an Engine that was never closed) may be collected on
        # any thread, one of its own pool's workers included, which cannot join itself: close
        # the pool from a thread of its own instead.
        pool = getattr(self, "_pool", None)
        if pool is None or pool.closed or sys.is_finalizing():
            return  # at interpreter exit the daemon workers just stop
        if threading.current_thread().name.startswith(f"{pool.name}-"):
            threading.Thread(target=pool.close, name="alc-store-close", daemon=True).start()
        else:
            pool.close()


_returned_at: weakref.WeakKeyDictionary[psycopg.Connection[Any], float] = (
    weakref.WeakKeyDictionary()
)


def _mark_returned(conn: psycopg.Connection[Any]) -> None:
    """Pool ``reset`` hook: note when the connection went back to the pool."""
    _returned_at[conn] = time.monotonic()


def _check_if_idle(conn: psycopg.Connection[Any], *, idle: float) -> None:
    """Pool ``check`` hook: raises (the pool then replaces the connection) when a connection
    that sat idle for more than ``idle`` seconds no longer answers."""
    if time.monotonic() - _returned_at.get(conn, 0.0) >= idle:
        psycopg_pool.ConnectionPool.check_connection(conn)


def _env_int(name: str, default: int) -> int:
    """An integer setting from the environment; ``store_unavailable`` when it is not one."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw)
    except ValueError:
        raise StoreUnavailable(
            f"{name} must be a whole number of connections, not {raw!r}."
        ) from None


def _unavailable(path: str, exc: BaseException) -> StoreUnavailable:
    reason = redacted(" ".join(str(exc).split()) or type(exc).__name__)
    if not reason.endswith((".", "?", "!")):
        reason += "."
    return StoreUnavailable(
        f"The PostgreSQL session store at {path} cannot be used: {reason} Check the "
        "URL (--store or ALC_STORE), that the server is running and reachable from here, "
        "and that its user may log in and owns the database (or schema)."
    )
