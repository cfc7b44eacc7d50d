"""``PostgresStore``: the shared store on PostgreSQL (psycopg 3 and its connection pool).

The store of a deployment that runs several alc processes or machines on one database
(DESIGN.md section 11). It implements the same interfaces as ``SQLiteStore`` with the same write
rule: every journal write is one transaction that locks the session's row
(``SELECT ... FOR UPDATE``) and checks its head first, so of two writers racing for one session
exactly one commits and the other gets ``conflict`` with nothing applied. ``alc.state.incr``
locks the key's row, so increments from any number of processes add up.

Connections come from a ``psycopg_pool.ConnectionPool`` (thread-safe). Each method borrows one
connection, in autocommit mode, for one statement (reads are single statements, so a session's
row and its events come from one snapshot) or one explicit transaction (writes that check
before they write: ``_transaction``). Schema changes are named migrations (``_SCHEMA``), recorded in
``schema_migrations`` and applied in order when a store is opened, under an advisory lock so
replicas starting together migrate once. Tables are unqualified: they live in the connection's
``search_path`` (a URL with ``options=-csearch_path%3Dname`` keeps a deployment in its own
schema). Every psycopg error is translated to ``store_unavailable`` in one place
(``_connection``); the URL's password never appears in a message.

Column types: JSON documents are ``text`` (kept byte for byte, as in SQLite); ``alc.state`` and
internal keys and source texts are ``bytea`` (a Lua string may hold a NUL, which ``text``
refuses, and ``bytea`` sorts by bytes, the order SQLite's ``state_keys`` gives).
"""

from __future__ import annotations

import builtins
import contextlib
import functools
import json
import os
import sys
import threading
import time
import weakref
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import psycopg
import psycopg_pool
from psycopg import conninfo as pg_conninfo

from alc.engine.errors import SessionNotFound, StoreUnavailable
from alc.engine.store._interfaces import (
    Store,
    appended,
    card_missing,
    check_samples,
    conflict,
    samples_exist,
)
from alc.engine.store._kvsql import Dialect, KVStatements, usage_tables
from alc.engine.store._quota import StateQuota, Usage, tenant_column
from alc.engine.store._records import (
    AliasRecord,
    CardRecord,
    JournalEntry,
    JournalEvent,
    SessionRecord,
    Summary,
    decode_event,
    stored_object,
)
from alc.engine.store._redact import redacted
from alc.engine.store._rows import (
    ALIAS_COLUMNS,
    ALIAS_UPSERT,
    CARD_COLUMNS,
    NEWEST_FIRST,
    alias_columns,
    card_columns,
    card_filter,
    card_from_row,
    decoding,
    summary_from_row,
)

__all__ = ["PostgresStore", "redacted"]

_COLUMNS = "id, strategy, state, created_at, updated_at, head, record, extra, tenant"
"""A session row's columns, in the order ``_summary`` reads them."""

_KV = KVStatements(
    Dialect(mark="%s", bind=str.encode, read=lambda b: bytes(b).decode(), for_update=" FOR UPDATE")
)
"""``alc.state`` in PostgreSQL: namespaces and keys are ``bytea``; the tenant's usage row is
locked ``FOR UPDATE`` by every write."""

_MIGRATION_LOCK = 0x616C635F736368
"""The advisory lock key (``alc_sch``) held while migrations run."""


_SCHEMA: tuple[tuple[str, str], ...] = (
    (
        "0001_initial",
        """
        CREATE TABLE sessions (
            id text PRIMARY KEY,
            strategy text,
            state text NOT NULL,
            created_at double precision NOT NULL,
            updated_at double precision NOT NULL,
            head bigint NOT NULL,
            record text NOT NULL,
            extra text NOT NULL
        );
        CREATE INDEX sessions_state_updated ON sessions (state, updated_at);
        CREATE INDEX sessions_updated ON sessions (updated_at);
        CREATE TABLE events (
            session_id text NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
            seq bigint NOT NULL,
            kind text NOT NULL,
            data text NOT NULL,
            PRIMARY KEY (session_id, seq)
        );
        CREATE TABLE sources (hash text PRIMARY KEY, text bytea NOT NULL);
        CREATE TABLE kv (
            ns bytea NOT NULL, key bytea NOT NULL, value text NOT NULL,
            PRIMARY KEY (ns, key)
        );
        CREATE TABLE internal (
            space bytea NOT NULL, key bytea NOT NULL, value text NOT NULL,
            PRIMARY KEY (space, key)
        );
        """,
    ),
    (
        # each session belongs to the tenant that created it (NULL: made without tenancy)
        "0002_tenant",
        """
        ALTER TABLE sessions ADD COLUMN tenant text;
        CREATE INDEX sessions_tenant_updated ON sessions (tenant, updated_at);
        """,
    ),
    (
        # alc.card.*: immutable run records, their write-once samples, aliases (docs/cards.md);
        # "C" collation: listings sort by bytes, as in SQLite, whatever the database's locale
        "0003_cards",
        """
        CREATE TABLE cards (
            card_id text COLLATE "C" PRIMARY KEY,
            pkg text NOT NULL,
            created_at text COLLATE "C" NOT NULL,
            prior_card_id text,
            body text NOT NULL
        );
        CREATE INDEX cards_created ON cards (created_at, card_id);
        CREATE INDEX cards_pkg_created ON cards (pkg, created_at, card_id);
        CREATE INDEX cards_prior ON cards (prior_card_id);
        CREATE TABLE card_samples (
            card_id text NOT NULL REFERENCES cards (card_id),
            seq integer NOT NULL,
            data text NOT NULL,
            PRIMARY KEY (card_id, seq)
        );
        CREATE TABLE card_aliases (
            name text COLLATE "C" PRIMARY KEY,
            card_id text NOT NULL REFERENCES cards (card_id),
            pkg text,
            note text,
            set_at text NOT NULL
        );
        """,
    ),
    (
        # alc.state's owner gets a column of its own (it was a "<tenant>/" prefix of the
        # namespace, which a tenant named "org" could reach as "x/..." of tenant "org/x"); rows
        # are split by the longest tenant of a session that prefixes them; usage counters for
        # the quota
        "0004_state_tenant",
        """
        ALTER TABLE kv ADD COLUMN tenant text COLLATE "C" NOT NULL DEFAULT '';
        ALTER TABLE kv DROP CONSTRAINT kv_pkey;
        WITH m AS (
            SELECT k.ns AS old, (
                SELECT t.tenant FROM (SELECT DISTINCT tenant FROM sessions
                    WHERE tenant IS NOT NULL AND tenant <> '') t
                WHERE substring(k.ns FROM 1 FOR octet_length(convert_to(t.tenant, 'UTF8')) + 1)
                    = convert_to(t.tenant || '/', 'UTF8')
                ORDER BY octet_length(convert_to(t.tenant, 'UTF8')) DESC LIMIT 1
            ) AS tenant FROM (SELECT DISTINCT ns FROM kv) k
        )
        UPDATE kv SET tenant = m.tenant,
            ns = substring(kv.ns FROM octet_length(convert_to(m.tenant, 'UTF8')) + 2)
            FROM m WHERE kv.ns = m.old AND m.tenant IS NOT NULL;
        ALTER TABLE kv ADD PRIMARY KEY (tenant, ns, key);
        """
        + usage_tables("bytea", lambda column: f"octet_length({column})"),
    ),
    (
        # cards, samples and aliases belong to a tenant ('' without tenancy: every card made
        # so far, since tenants were refused alc.card); ids and names are unique per tenant
        "0005_card_tenant",
        """
        ALTER TABLE card_samples DROP CONSTRAINT card_samples_card_id_fkey;
        ALTER TABLE card_aliases DROP CONSTRAINT card_aliases_card_id_fkey;
        ALTER TABLE cards ADD COLUMN tenant text COLLATE "C" NOT NULL DEFAULT '';
        ALTER TABLE card_samples ADD COLUMN tenant text COLLATE "C" NOT NULL DEFAULT '';
        ALTER TABLE card_aliases ADD COLUMN tenant text COLLATE "C" NOT NULL DEFAULT '';
        ALTER TABLE cards DROP CONSTRAINT cards_pkey, ADD PRIMARY KEY (tenant, card_id);
        ALTER TABLE card_samples DROP CONSTRAINT card_samples_pkey,
            ADD PRIMARY KEY (tenant, card_id, seq),
            ADD FOREIGN KEY (tenant, card_id) REFERENCES cards (tenant, card_id);
        ALTER TABLE card_aliases DROP CONSTRAINT card_aliases_pkey,
            ADD PRIMARY KEY (tenant, name),
            ADD FOREIGN KEY (tenant, card_id) REFERENCES cards (tenant, card_id);
        DROP INDEX cards_created;
        DROP INDEX cards_pkg_created;
        DROP INDEX cards_prior;
        CREATE INDEX cards_created ON cards (tenant, created_at, card_id);
        CREATE INDEX cards_pkg_created ON cards (tenant, pkg, created_at, card_id);
        CREATE INDEX cards_prior ON cards (tenant, prior_card_id);
        """,
    ),
)
"""Named migrations, applied in order once each. Append new ones; never edit an applied one."""


class PostgresStore(Store):
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
        self.path = redacted(url)
        self.state_quota = state_quota or StateQuota.from_env()
        try:
            params = pg_conninfo.conninfo_to_dict(url)
        except psycopg.Error as exc:
            raise self._unavailable(exc) from exc
        params.setdefault("connect_timeout", 10)
        params.setdefault("application_name", "alc")
        self._conninfo = pg_conninfo.make_conninfo("", **params)
        low = min_size if min_size is not None else _env_int("ALC_POSTGRES_POOL_MIN", 1)
        high = max_size if max_size is not None else _env_int("ALC_POSTGRES_POOL_MAX", 10)
        try:
            with psycopg.connect(self._conninfo) as conn:
                _migrate(conn)
            self._pool = psycopg_pool.ConnectionPool(
                self._conninfo,
                kwargs={"autocommit": True},
                min_size=max(0, low),
                max_size=max(1, low, high),
                timeout=timeout,
                check=functools.partial(_check_if_idle, idle=check_idle_after),
                reset=_mark_returned,
                name="alc-store",
                open=False,
            )
            self._pool.open(wait=False)
        except psycopg.Error as exc:
            raise self._unavailable(exc) from exc

    @contextlib.contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        """A pooled connection in autocommit mode: each statement is its own transaction (a
        single statement reads one consistent snapshot). psycopg errors become
        ``store_unavailable``."""
        try:
            with self._pool.connection() as conn:
                yield conn
        except psycopg.Error as exc:
            raise self._unavailable(exc) from exc

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[psycopg.Connection[Any]]:
        """A pooled connection inside one transaction: committed when the block ends, rolled
        back when it raises (``Conflict`` included), so a request applies all or nothing."""
        with self._connection() as conn, conn.transaction():
            yield conn

    def _unavailable(self, exc: BaseException) -> StoreUnavailable:
        reason = redacted(" ".join(str(exc).split()) or type(exc).__name__)
        if not reason.endswith((".", "?", "!")):
            reason += "."
        return StoreUnavailable(
            f"The PostgreSQL session store at {self.path} cannot be used: {reason} Check the "
            "URL (--store or ALC_STORE), that the server is running and reachable from here, "
            "and that its user may log in and owns the database (or schema)."
        )

    # ------------------------------------------------------------------ journal

    def create(
        self, record: SessionRecord, events: Sequence[JournalEvent], summary: Summary
    ) -> int:
        head = len(events)
        row = {
            "id": record.session_id,
            "strategy": record.strategy,
            "state": summary.state,
            "created_at": record.created_at,
            "updated_at": summary.updated_at,
            "head": head,
            "record": record.to_json(),
            "extra": summary.extra_json(),
            "tenant": record.tenant,
        }
        with self._transaction() as conn:
            conn.execute(
                f"INSERT INTO sessions ({', '.join(row)}) "
                f"VALUES ({', '.join(f'%({column})s' for column in row)})",
                row,
            )
            _write(conn, record.session_id, 0, events)
        return head

    def append(
        self,
        session_id: str,
        expected_head: int,
        events: Sequence[JournalEvent],
        summary: Summary,
    ) -> int:
        with self._transaction() as conn:
            # the row lock queues concurrent writers of this session; each then sees the head
            # the previous one committed
            row = conn.execute(
                "SELECT head FROM sessions WHERE id = %s FOR UPDATE", (session_id,)
            ).fetchone()
            if row is None:
                raise SessionNotFound(session_id)
            if row[0] != expected_head:
                raise conflict(session_id)
            head = _write(conn, session_id, expected_head, events)
            conn.execute(
                "UPDATE sessions SET state = %s, updated_at = %s, head = %s, extra = %s "
                "WHERE id = %s",
                (summary.state, summary.updated_at, head, summary.extra_json(), session_id),
            )
        return head

    def load(self, session_id: str) -> tuple[SessionRecord, list[JournalEntry], Summary]:
        with self._connection() as conn:
            # one statement, so the row and its events come from one snapshot
            row = conn.execute(
                f"SELECT {_COLUMNS}, "
                "ARRAY(SELECT seq FROM events WHERE session_id = s.id AND seq <= s.head "
                "ORDER BY seq), "
                "ARRAY(SELECT kind FROM events WHERE session_id = s.id AND seq <= s.head "
                "ORDER BY seq), "
                "ARRAY(SELECT data FROM events WHERE session_id = s.id AND seq <= s.head "
                "ORDER BY seq) "
                "FROM sessions s WHERE id = %s",
                (session_id,),
            ).fetchone()
        if row is None:
            raise SessionNotFound(session_id)
        *columns, seqs, kinds, datas = row
        with decoding(self.path, session_id):
            events = [
                JournalEntry(seq, decode_event(kind, stored_object(data)))
                for seq, kind, data in zip(seqs, kinds, datas, strict=True)
            ]
            return SessionRecord.from_json(columns[6]), events, summary_from_row(tuple(columns))

    def summary(self, session_id: str) -> Summary:
        with self._connection() as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM sessions WHERE id = %s", (session_id,)
            ).fetchone()
        if row is None:
            raise SessionNotFound(session_id)
        with decoding(self.path, session_id):
            return summary_from_row(row)

    def list(
        self,
        states: Iterable[str] | None = None,
        limit: int = 100,
        strategy: str | None = None,
        tenant: str | None = None,
    ) -> list[Summary]:
        where: list[str] = []
        params: list[Any] = []
        if tenant is not None:
            where.append("tenant = %s")
            params.append(tenant)
        if states is not None:
            where.append("state = ANY(%s)")
            params.append(list(states))
        if strategy is not None:
            where.append("strategy = %s")
            params.append(strategy)
        sql = f"SELECT {_COLUMNS} FROM sessions"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY updated_at DESC LIMIT %s"
        with self._connection() as conn:
            rows = conn.execute(sql, (*params, max(0, limit))).fetchall()
        summaries = []
        for r in rows:
            with decoding(self.path, str(r[0])):
                summaries.append(summary_from_row(r))
        return summaries

    def purge(self, before: float, states: Iterable[str]) -> int:
        with self._connection() as conn:
            cursor = conn.execute(
                "DELETE FROM sessions WHERE updated_at < %s AND state = ANY(%s)",
                (before, list(states)),
            )
            return cursor.rowcount

    def delete(self, session_id: str) -> bool:
        with self._connection() as conn:
            cursor = conn.execute("DELETE FROM sessions WHERE id = %s", (session_id,))
            return cursor.rowcount > 0

    # ------------------------------------------------------------------ sources

    def put_source(self, digest: str, text: str) -> None:
        with self._connection() as conn:
            conn.execute(
                "INSERT INTO sources (hash, text) VALUES (%s, %s) ON CONFLICT (hash) DO NOTHING",
                (digest, text.encode()),
            )

    def get_source(self, digest: str) -> str | None:
        with self._connection() as conn:
            row = conn.execute("SELECT text FROM sources WHERE hash = %s", (digest,)).fetchone()
        return None if row is None else bytes(row[0]).decode()

    # ------------------------------------------------------------------ alc.state (_kvsql)

    def state_get(self, ns: str, key: str, *, tenant: str | None = None) -> str | None:
        with self._connection() as conn:
            return _KV.get(conn, tenant, ns, key)

    def state_set(self, ns: str, key: str, value: str, *, tenant: str | None = None) -> None:
        with self._transaction() as conn:
            _KV.write(conn, self.state_quota, (tenant, ns, key), value)

    def state_keys(self, ns: str, *, tenant: str | None = None) -> builtins.list[str]:
        with self._connection() as conn:
            return _KV.keys(conn, tenant, ns)

    def state_delete(self, ns: str, key: str, *, tenant: str | None = None) -> bool:
        with self._transaction() as conn:
            return _KV.delete(conn, tenant, ns, key)

    def state_has(self, ns: str, key: str, *, tenant: str | None = None) -> bool:
        return self.state_get(ns, key, tenant=tenant) is not None

    def state_set_nx(self, ns: str, key: str, value: str, *, tenant: str | None = None) -> bool:
        with self._transaction() as conn:
            return _KV.write(conn, self.state_quota, (tenant, ns, key), value, only_if_absent=True)

    def state_incr(
        self, ns: str, key: str, delta: Any, default: Any, *, tenant: str | None = None
    ) -> int | float:
        # the tenant's usage row lock queues writers, so increments from any process add up
        with self._transaction() as conn:
            return _KV.incr(conn, self.state_quota, (tenant, ns, key), delta, default)

    def state_usage(self, ns: str | None, *, tenant: str | None = None) -> Usage:
        with self._connection() as conn:
            return _KV.usage(conn, tenant, ns)

    # ------------------------------------------------------------------ engine-internal records

    def get_internal(self, space: str, key: str) -> str | None:
        with self._connection() as conn:
            row = conn.execute(
                "SELECT value FROM internal WHERE space = %s AND key = %s",
                (space.encode(), key.encode()),
            ).fetchone()
        return None if row is None else str(row[0])

    def set_internal(self, space: str, key: str, value: str) -> None:
        with self._connection() as conn:
            conn.execute(
                "INSERT INTO internal (space, key, value) VALUES (%s, %s, %s) "
                "ON CONFLICT (space, key) DO UPDATE SET value = excluded.value",
                (space.encode(), key.encode(), value),
            )

    # ------------------------------------------------------------------ cards (by tenant)

    def _cards(self, where: str, params: tuple[Any, ...]) -> builtins.list[CardRecord]:
        with self._connection() as conn:
            rows = conn.execute(CARD_COLUMNS + where, params).fetchall()
        return [card_from_row(self.path, row) for row in rows]

    def _locked_card(
        self, conn: psycopg.Connection[Any], card_id: str, owner: str
    ) -> CardRecord | None:
        """The card, its row locked until the transaction ends (writers of one card queue)."""
        row = conn.execute(
            CARD_COLUMNS + " WHERE tenant = %s AND card_id = %s FOR UPDATE", (owner, card_id)
        ).fetchone()
        return None if row is None else card_from_row(self.path, row)

    def card_put(self, card: CardRecord, *, tenant: str | None = None) -> bool:
        with self._connection() as conn:
            cursor = conn.execute(
                "INSERT INTO cards (tenant, card_id, pkg, created_at, prior_card_id, body) "
                "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (tenant, card_id) DO NOTHING",
                (tenant_column(tenant), *card_columns(card)),
            )
            return cursor.rowcount > 0

    def card_get(self, card_id: str, *, tenant: str | None = None) -> CardRecord | None:
        cards = self._cards(" WHERE tenant = %s AND card_id = %s", (tenant_column(tenant), card_id))
        return cards[0] if cards else None

    def card_list(
        self, pkg: str | None = None, limit: int | None = None, *, tenant: str | None = None
    ) -> builtins.list[CardRecord]:
        where, params = card_filter(tenant, pkg, "%s")
        return self._cards(where + NEWEST_FIRST + " LIMIT %s", (*params, limit))

    def card_children(
        self, card_id: str, *, tenant: str | None = None
    ) -> builtins.list[CardRecord]:
        return self._cards(
            " WHERE tenant = %s AND prior_card_id = %s" + NEWEST_FIRST,
            (tenant_column(tenant), card_id),
        )

    def card_append(
        self, card_id: str, fields: dict[str, Any], *, tenant: str | None = None
    ) -> CardRecord:
        owner = tenant_column(tenant)
        with self._transaction() as conn:
            merged = appended(self._locked_card(conn, card_id, owner), card_id, fields)
            conn.execute(
                "UPDATE cards SET body = %s WHERE tenant = %s AND card_id = %s",
                (merged.body_json(), owner, card_id),
            )
        return merged

    def samples_put(self, card_id: str, rows: Sequence[str], *, tenant: str | None = None) -> int:
        check_samples(card_id, rows)
        owner = tenant_column(tenant)
        with self._transaction() as conn:
            if self._locked_card(conn, card_id, owner) is None:
                raise card_missing(card_id)
            if _samples_count(conn, card_id, owner):
                raise samples_exist(card_id)
            with (
                conn.cursor() as cursor,
                cursor.copy("COPY card_samples (tenant, card_id, seq, data) FROM STDIN") as copy,
            ):
                for seq, row in enumerate(rows):
                    copy.write_row((owner, card_id, seq, row))
        return len(rows)

    def samples_read(
        self,
        card_id: str,
        offset: int = 0,
        limit: int | None = None,
        *,
        tenant: str | None = None,
    ) -> builtins.list[str]:
        owner = tenant_column(tenant)
        with self._connection() as conn:
            row = conn.execute(
                "SELECT EXISTS (SELECT 1 FROM cards WHERE tenant = %s AND card_id = %s), "
                "ARRAY(SELECT data FROM card_samples WHERE tenant = %s AND card_id = %s "
                "ORDER BY seq LIMIT %s OFFSET %s)",
                (owner, card_id, owner, card_id, limit, max(0, offset)),
            ).fetchone()
        if row is None or not row[0]:
            raise card_missing(card_id)
        return [str(r) for r in row[1]]

    def samples_count(self, card_id: str, *, tenant: str | None = None) -> int:
        with self._connection() as conn:
            return _samples_count(conn, card_id, tenant_column(tenant))

    def alias_set(self, alias: AliasRecord, *, tenant: str | None = None) -> None:
        owner = tenant_column(tenant)
        with self._transaction() as conn:
            if (
                conn.execute(
                    "SELECT 1 FROM cards WHERE tenant = %s AND card_id = %s FOR SHARE",
                    (owner, alias.card_id),
                ).fetchone()
                is None
            ):
                raise card_missing(alias.card_id)
            conn.execute(ALIAS_UPSERT, (owner, *alias_columns(alias)))

    def alias_get(self, name: str, *, tenant: str | None = None) -> AliasRecord | None:
        aliases = self._aliases(" WHERE tenant = %s AND name = %s", (tenant_column(tenant), name))
        return aliases[0] if aliases else None

    def alias_list(
        self, pkg: str | None = None, *, tenant: str | None = None
    ) -> builtins.list[AliasRecord]:
        where, params = card_filter(tenant, pkg, "%s")
        return self._aliases(where + " ORDER BY name", params)

    def _aliases(self, where: str, params: tuple[Any, ...]) -> builtins.list[AliasRecord]:
        with self._connection() as conn:
            rows = conn.execute(ALIAS_COLUMNS + where, params).fetchall()
        return [AliasRecord(*row) for row in rows]

    def close(self) -> None:
        self._pool.close()

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


def _samples_count(conn: psycopg.Connection[Any], card_id: str, owner: str) -> int:
    row = conn.execute(
        "SELECT count(*) FROM card_samples WHERE tenant = %s AND card_id = %s", (owner, card_id)
    ).fetchone()
    return 0 if row is None else int(row[0])


def _write(
    conn: psycopg.Connection[Any], session_id: str, first_seq: int, events: Sequence[JournalEvent]
) -> int:
    """Insert ``events`` as seqs ``first_seq + 1 ...``; returns the last seq."""
    rows = [
        (session_id, first_seq + n, event.kind, json.dumps(event.to_data(), ensure_ascii=False))
        for n, event in enumerate(events, start=1)
    ]
    if rows:
        with conn.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO events (session_id, seq, kind, data) VALUES (%s, %s, %s, %s)", rows
            )
    return first_seq + len(rows)


def _migrate(conn: psycopg.Connection[Any]) -> None:
    """Apply the migrations ``schema_migrations`` does not list yet, in one transaction, under
    an advisory lock (a second process opening the store at the same time waits, then finds
    nothing to do)."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(name text PRIMARY KEY, applied_at double precision NOT NULL)"
        )
        done = {r[0] for r in conn.execute("SELECT name FROM schema_migrations")}
        for name, sql in _SCHEMA:
            if name in done:
                continue
            conn.execute(sql.encode())
            conn.execute(
                "INSERT INTO schema_migrations (name, applied_at) VALUES (%s, %s)",
                (name, time.time()),
            )


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
