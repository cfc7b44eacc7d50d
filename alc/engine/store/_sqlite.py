"""``SQLiteStore``: the durable store on stdlib ``sqlite3`` (WAL), the default of the CLI and MCP.

Several processes may share one file. Every journal write is one ``BEGIN IMMEDIATE``
transaction that checks the session's head first (see ``_interfaces.Journal``). Schema changes
are named migrations (``_SCHEMA``), recorded in ``schema_migrations`` and applied in order when a
store is opened. Every ``sqlite3`` error is translated to ``store_unavailable`` in one place
(``_translating``).
"""

from __future__ import annotations

import builtins
import contextlib
import functools
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from alc.engine.errors import SessionNotFound, StoreUnavailable
from alc.engine.store._interfaces import (
    CardStore,
    InternalRecords,
    Journal,
    SourceStore,
    StateStore,
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

__all__ = ["SQLiteStore"]

_COLUMNS = "id, strategy, state, created_at, updated_at, head, record, extra, tenant"
"""A session row's columns, in the order ``_summary`` reads them."""
_SESSION_ROW = f"SELECT {_COLUMNS} FROM sessions WHERE id = ?"
"""One session's row, in the column order ``_summary`` reads."""
_KV = KVStatements(Dialect(mark="?", bind=str, read=str, for_update=""))
"""``alc.state`` in SQLite: namespaces and keys are ``TEXT``; ``BEGIN IMMEDIATE`` is the lock."""


_SCHEMA: tuple[tuple[str, str], ...] = (
    (
        "0001_initial",
        """
        CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            strategy TEXT,
            state TEXT NOT NULL,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            head INTEGER NOT NULL,
            record TEXT NOT NULL,
            extra TEXT NOT NULL
        );
        CREATE INDEX sessions_state_updated ON sessions (state, updated_at);
        CREATE TABLE events (
            session_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            kind TEXT NOT NULL,
            data TEXT NOT NULL,
            PRIMARY KEY (session_id, seq)
        ) WITHOUT ROWID;
        CREATE TABLE sources (hash TEXT PRIMARY KEY, text TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE kv (
            ns TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
            PRIMARY KEY (ns, key)
        ) WITHOUT ROWID;
        """,
    ),
    (
        # engine-internal records leave alc.state's kv table (ctx._ns could address them there)
        "0002_internal",
        """
        CREATE TABLE internal (
            space TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
            PRIMARY KEY (space, key)
        ) WITHOUT ROWID;
        INSERT OR IGNORE INTO internal (space, key, value)
            SELECT ns, key, value FROM kv WHERE ns = 'alc.thinking.chains';
        DELETE FROM kv WHERE ns = 'alc.thinking.chains';
        """,
    ),
    (
        # each session belongs to the tenant that created it (NULL: made without tenancy)
        "0003_tenant",
        """
        ALTER TABLE sessions ADD COLUMN tenant TEXT;
        CREATE INDEX sessions_tenant_updated ON sessions (tenant, updated_at);
        """,
    ),
    (
        # alc.card.*: immutable run records, their write-once samples, aliases (docs/cards.md)
        "0004_cards",
        """
        CREATE TABLE cards (
            card_id TEXT PRIMARY KEY,
            pkg TEXT NOT NULL,
            created_at TEXT NOT NULL,
            prior_card_id TEXT,
            body TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX cards_created ON cards (created_at, card_id);
        CREATE INDEX cards_pkg_created ON cards (pkg, created_at, card_id);
        CREATE INDEX cards_prior ON cards (prior_card_id);
        CREATE TABLE card_samples (
            card_id TEXT NOT NULL, seq INTEGER NOT NULL, data TEXT NOT NULL,
            PRIMARY KEY (card_id, seq)
        ) WITHOUT ROWID;
        CREATE TABLE card_aliases (
            name TEXT PRIMARY KEY, card_id TEXT NOT NULL, pkg TEXT, note TEXT,
            set_at TEXT NOT NULL
        ) WITHOUT ROWID;
        """,
    ),
    (
        # alc.state's owner gets a column of its own (it was a "<tenant>/" prefix of the
        # namespace, which a tenant named "org" could reach as "x/..." of tenant "org/x"); rows
        # are split by the longest tenant of a session that prefixes them; usage counters for
        # the quota
        "0005_state_tenant",
        """
        CREATE TABLE kv_scoped (
            tenant TEXT NOT NULL, ns TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
            PRIMARY KEY (tenant, ns, key)
        ) WITHOUT ROWID;
        INSERT OR REPLACE INTO kv_scoped (tenant, ns, key, value)
            SELECT coalesce(m.tenant, ''),
                CASE WHEN m.tenant IS NULL THEN kv.ns
                    ELSE substr(kv.ns, length(m.tenant) + 2) END,
                kv.key, kv.value
            FROM kv LEFT JOIN (
                SELECT k.ns AS ns, (
                    SELECT t.tenant FROM (SELECT DISTINCT tenant FROM sessions
                        WHERE tenant IS NOT NULL AND tenant <> '') t
                    WHERE substr(k.ns, 1, length(t.tenant) + 1) = t.tenant || '/'
                    ORDER BY length(t.tenant) DESC LIMIT 1
                ) AS tenant FROM (SELECT DISTINCT ns FROM kv) k
            ) m ON m.ns = kv.ns;
        DROP TABLE kv;
        ALTER TABLE kv_scoped RENAME TO kv;
        """
        + usage_tables("TEXT", lambda column: f"length(CAST({column} AS BLOB))"),
    ),
    (
        # cards, samples and aliases belong to a tenant ('' without tenancy: every card made
        # so far, since tenants were refused alc.card); ids and names are unique per tenant
        "0006_card_tenant",
        """
        CREATE TABLE cards_scoped (
            tenant TEXT NOT NULL, card_id TEXT NOT NULL, pkg TEXT NOT NULL,
            created_at TEXT NOT NULL, prior_card_id TEXT, body TEXT NOT NULL,
            PRIMARY KEY (tenant, card_id)
        ) WITHOUT ROWID;
        INSERT INTO cards_scoped SELECT '', card_id, pkg, created_at, prior_card_id, body
            FROM cards;
        DROP TABLE cards;
        ALTER TABLE cards_scoped RENAME TO cards;
        CREATE INDEX cards_created ON cards (tenant, created_at, card_id);
        CREATE INDEX cards_pkg_created ON cards (tenant, pkg, created_at, card_id);
        CREATE INDEX cards_prior ON cards (tenant, prior_card_id);
        CREATE TABLE card_samples_scoped (
            tenant TEXT NOT NULL, card_id TEXT NOT NULL, seq INTEGER NOT NULL,
            data TEXT NOT NULL, PRIMARY KEY (tenant, card_id, seq)
        ) WITHOUT ROWID;
        INSERT INTO card_samples_scoped SELECT '', card_id, seq, data FROM card_samples;
        DROP TABLE card_samples;
        ALTER TABLE card_samples_scoped RENAME TO card_samples;
        CREATE TABLE card_aliases_scoped (
            tenant TEXT NOT NULL, name TEXT NOT NULL, card_id TEXT NOT NULL, pkg TEXT,
            note TEXT, set_at TEXT NOT NULL, PRIMARY KEY (tenant, name)
        ) WITHOUT ROWID;
        INSERT INTO card_aliases_scoped SELECT '', name, card_id, pkg, note, set_at
            FROM card_aliases;
        DROP TABLE card_aliases;
        ALTER TABLE card_aliases_scoped RENAME TO card_aliases;
        """,
    ),
)


class SQLiteStore(Store):
    """The durable store: one SQLite file, WAL mode, safe for several processes at once.

    ``synchronous=NORMAL`` (the default here) makes every commit survive a crash of the
    process (SIGKILL included): in WAL mode a committed transaction is in the WAL file before
    ``commit`` returns. Only a power loss or OS crash can drop the last commits. Set
    ``ALC_SQLITE_SYNCHRONOUS=FULL`` (or pass ``synchronous="FULL"``) to fsync every commit and
    survive power loss too, at roughly a millisecond or more per write.

    Args:
        path: the database file (parent folders are created).
        synchronous: ``"NORMAL"`` or ``"FULL"`` (default from ``ALC_SQLITE_SYNCHRONOUS``).
        busy_timeout_ms: how long a writer waits for another process's transaction.
        state_quota: the bounds of ``alc.state`` (default :meth:`StateQuota.from_env`).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        synchronous: str | None = None,
        busy_timeout_ms: int = 10_000,
        state_quota: StateQuota | None = None,
    ) -> None:
        self.path = str(path)
        self.state_quota = state_quota or StateQuota.from_env()
        try:
            self._open(synchronous, busy_timeout_ms)
        except (OSError, sqlite3.Error) as exc:
            raise _unavailable(self.path, exc) from exc

    def _open(self, synchronous: str | None, busy_timeout_ms: int) -> None:
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        sync = (synchronous or os.environ.get("ALC_SQLITE_SYNCHRONOUS") or "NORMAL").upper()
        if sync not in {"NORMAL", "FULL", "EXTRA"}:
            raise ValueError(f"synchronous must be NORMAL, FULL or EXTRA, not {sync!r}")
        self._lock = threading.RLock()
        self._db = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=busy_timeout_ms / 1000
        )
        self._db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        self._db.execute(f"PRAGMA synchronous = {sync}")
        # Switching a new file to WAL needs a moment of exclusive access; when several processes
        # open a fresh store at once, the losers retry instead of failing.
        deadline = time.monotonic() + busy_timeout_ms / 1000
        while True:
            try:
                self._db.execute("PRAGMA journal_mode = WAL")
                self._migrate()
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        """One write transaction: ``BEGIN IMMEDIATE`` takes the write lock up front (so a
        concurrent writer waits up to the busy timeout instead of failing mid-way), then commit,
        or roll back on any exception. Callers hold ``self._lock``."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _migrate(self) -> None:
        with self._lock, self._transaction():
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(name TEXT PRIMARY KEY, applied_at REAL NOT NULL)"
            )
            done = {r[0] for r in self._db.execute("SELECT name FROM schema_migrations")}
            for name, sql in _SCHEMA:
                if name in done:
                    continue
                for statement in sql.split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                self._db.execute("INSERT INTO schema_migrations VALUES (?, ?)", (name, time.time()))

    def _write(self, session_id: str, first_seq: int, events: Sequence[JournalEvent]) -> int:
        seq = first_seq
        for event in events:
            seq += 1
            self._db.execute(
                "INSERT INTO events (session_id, seq, kind, data) VALUES (?, ?, ?, ?)",
                (session_id, seq, event.kind, json.dumps(event.to_data(), ensure_ascii=False)),
            )
        return seq

    def create(
        self, record: SessionRecord, events: Sequence[JournalEvent], summary: Summary
    ) -> int:
        with self._lock:
            with self._transaction():
                head = self._write(record.session_id, 0, events)
                self._db.execute(
                    f"INSERT INTO sessions ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        record.session_id,
                        record.strategy,
                        summary.state,
                        record.created_at,
                        summary.updated_at,
                        head,
                        record.to_json(),
                        summary.extra_json(),
                        record.tenant,
                    ),
                )
            return head

    def append(
        self,
        session_id: str,
        expected_head: int,
        events: Sequence[JournalEvent],
        summary: Summary,
    ) -> int:
        with self._lock:
            with self._transaction():
                row = self._db.execute(
                    "SELECT head FROM sessions WHERE id = ?", (session_id,)
                ).fetchone()
                if row is None:
                    raise SessionNotFound(session_id)
                if row[0] != expected_head:
                    raise conflict(session_id)
                head = self._write(session_id, expected_head, events)
                self._db.execute(
                    "UPDATE sessions SET state = ?, updated_at = ?, head = ?, extra = ? "
                    "WHERE id = ?",
                    (summary.state, summary.updated_at, head, summary.extra_json(), session_id),
                )
            return head

    def load(self, session_id: str) -> tuple[SessionRecord, list[JournalEntry], Summary]:
        with self._lock:
            self._db.execute("BEGIN")
            try:
                row = self._db.execute(
                    _SESSION_ROW,
                    (session_id,),
                ).fetchone()
                if row is None:
                    raise SessionNotFound(session_id)
                rows = self._db.execute(
                    "SELECT seq, kind, data FROM events WHERE session_id = ? "
                    "AND seq <= ? ORDER BY seq",
                    (session_id, row[5]),
                ).fetchall()
            finally:
                self._db.execute("COMMIT")
        with decoding(self.path, session_id):
            events = [
                JournalEntry(seq, decode_event(kind, stored_object(data)))
                for seq, kind, data in rows
            ]
            return SessionRecord.from_json(row[6]), events, summary_from_row(row)

    def summary(self, session_id: str) -> Summary:
        with self._lock:
            row = self._db.execute(
                _SESSION_ROW,
                (session_id,),
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
        sql = f"SELECT {_COLUMNS} FROM sessions"
        params: list[Any] = []
        where = []
        if tenant is not None:
            where.append("tenant = ?")
            params.append(tenant)
        if states is not None:
            wanted = list(states)
            where.append(f"state IN ({','.join('?' * len(wanted))})")
            params.extend(wanted)
        if strategy is not None:
            where.append("strategy = ?")
            params.append(strategy)
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY updated_at DESC LIMIT ?"
        params.append(limit)
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        summaries = []
        for r in rows:
            with decoding(self.path, str(r[0])):
                summaries.append(summary_from_row(r))
        return summaries

    def put_source(self, digest: str, text: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO sources (hash, text) VALUES (?, ?)", (digest, text)
            )

    def get_source(self, digest: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT text FROM sources WHERE hash = ?", (digest,)).fetchone()
        return row[0] if row else None

    def purge(self, before: float, states: Iterable[str]) -> int:
        wanted = list(states)
        with self._lock, self._transaction():
            ids = [
                r[0]
                for r in self._db.execute(
                    f"SELECT id FROM sessions WHERE updated_at < ? AND state IN "
                    f"({','.join('?' * len(wanted))})",
                    (before, *wanted),
                )
            ]
            for sid in ids:
                self._drop(sid)
        return len(ids)

    def delete(self, session_id: str) -> bool:
        with self._lock, self._transaction():
            existed = (
                self._db.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,)).fetchone()
                is not None
            )
            self._drop(session_id)
        return existed

    def _drop(self, session_id: str) -> None:
        self._db.execute("DELETE FROM events WHERE session_id = ?", (session_id,))
        self._db.execute("DELETE FROM sessions WHERE id = ?", (session_id,))

    # alc.state (alc.engine.store._kvsql: shared with PostgresStore)
    def state_get(self, ns: str, key: str, *, tenant: str | None = None) -> str | None:
        with self._lock:
            return _KV.get(self._db, tenant, ns, key)

    def state_set(self, ns: str, key: str, value: str, *, tenant: str | None = None) -> None:
        with self._lock, self._transaction():
            _KV.write(self._db, self.state_quota, (tenant, ns, key), value)

    def state_keys(self, ns: str, *, tenant: str | None = None) -> builtins.list[str]:
        with self._lock:
            return _KV.keys(self._db, tenant, ns)

    def state_delete(self, ns: str, key: str, *, tenant: str | None = None) -> bool:
        with self._lock, self._transaction():
            return _KV.delete(self._db, tenant, ns, key)

    def state_has(self, ns: str, key: str, *, tenant: str | None = None) -> bool:
        return self.state_get(ns, key, tenant=tenant) is not None

    def state_set_nx(self, ns: str, key: str, value: str, *, tenant: str | None = None) -> bool:
        with self._lock, self._transaction():
            return _KV.write(
                self._db, self.state_quota, (tenant, ns, key), value, only_if_absent=True
            )

    def state_incr(
        self, ns: str, key: str, delta: Any, default: Any, *, tenant: str | None = None
    ) -> int | float:
        with self._lock, self._transaction():
            return _KV.incr(self._db, self.state_quota, (tenant, ns, key), delta, default)

    def state_usage(self, ns: str | None, *, tenant: str | None = None) -> Usage:
        with self._lock:
            return _KV.usage(self._db, tenant, ns)

    # engine-internal records
    def get_internal(self, space: str, key: str) -> str | None:
        with self._lock:
            row = self._db.execute(
                "SELECT value FROM internal WHERE space = ? AND key = ?", (space, key)
            ).fetchone()
        return None if row is None else str(row[0])

    def set_internal(self, space: str, key: str, value: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO internal (space, key, value) VALUES (?, ?, ?) "
                "ON CONFLICT (space, key) DO UPDATE SET value = excluded.value",
                (space, key, value),
            )

    # cards: every query is scoped by the tenant column (see CardStore)
    def _cards(self, where: str, params: tuple[Any, ...]) -> builtins.list[CardRecord]:
        with self._lock:
            rows = self._db.execute(CARD_COLUMNS + where, params).fetchall()
        return [card_from_row(self.path, row) for row in rows]

    def _card_row(self, card_id: str, owner: str) -> CardRecord | None:
        row = self._db.execute(
            CARD_COLUMNS + " WHERE tenant = ? AND card_id = ?", (owner, card_id)
        ).fetchone()
        return None if row is None else card_from_row(self.path, row)

    def card_put(self, card: CardRecord, *, tenant: str | None = None) -> bool:
        with self._lock:
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO cards "
                "(tenant, card_id, pkg, created_at, prior_card_id, body) VALUES (?, ?, ?, ?, ?, ?)",
                (tenant_column(tenant), *card_columns(card)),
            )
            return cursor.rowcount > 0

    def card_get(self, card_id: str, *, tenant: str | None = None) -> CardRecord | None:
        with self._lock:
            return self._card_row(card_id, tenant_column(tenant))

    def card_list(
        self, pkg: str | None = None, limit: int | None = None, *, tenant: str | None = None
    ) -> builtins.list[CardRecord]:
        where, params = card_filter(tenant, pkg, "?")
        return self._cards(
            where + NEWEST_FIRST + " LIMIT ?", (*params, -1 if limit is None else limit)
        )

    def card_children(
        self, card_id: str, *, tenant: str | None = None
    ) -> builtins.list[CardRecord]:
        return self._cards(
            " WHERE tenant = ? AND prior_card_id = ?" + NEWEST_FIRST,
            (tenant_column(tenant), card_id),
        )

    def card_append(
        self, card_id: str, fields: dict[str, Any], *, tenant: str | None = None
    ) -> CardRecord:
        owner = tenant_column(tenant)
        with self._lock, self._transaction():
            merged = appended(self._card_row(card_id, owner), card_id, fields)
            self._db.execute(
                "UPDATE cards SET body = ? WHERE tenant = ? AND card_id = ?",
                (merged.body_json(), owner, card_id),
            )
        return merged

    def samples_put(self, card_id: str, rows: Sequence[str], *, tenant: str | None = None) -> int:
        check_samples(card_id, rows)
        owner = tenant_column(tenant)
        with self._lock, self._transaction():
            if self._card_row(card_id, owner) is None:
                raise card_missing(card_id)
            if self.samples_count(card_id, tenant=tenant):
                raise samples_exist(card_id)
            self._db.executemany(
                "INSERT INTO card_samples (tenant, card_id, seq, data) VALUES (?, ?, ?, ?)",
                [(owner, card_id, seq, row) for seq, row in enumerate(rows)],
            )
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
        with self._lock:
            self._db.execute("BEGIN")
            try:
                if self._card_row(card_id, owner) is None:
                    raise card_missing(card_id)
                rows = self._db.execute(
                    "SELECT data FROM card_samples WHERE tenant = ? AND card_id = ? "
                    "ORDER BY seq LIMIT ? OFFSET ?",
                    (owner, card_id, -1 if limit is None else limit, offset),
                ).fetchall()
            finally:
                self._db.execute("COMMIT")
        return [str(r[0]) for r in rows]

    def samples_count(self, card_id: str, *, tenant: str | None = None) -> int:
        with self._lock:
            row = self._db.execute(
                "SELECT COUNT(*) FROM card_samples WHERE tenant = ? AND card_id = ?",
                (tenant_column(tenant), card_id),
            ).fetchone()
        return int(row[0])

    def alias_set(self, alias: AliasRecord, *, tenant: str | None = None) -> None:
        owner = tenant_column(tenant)
        with self._lock, self._transaction():
            if self._card_row(alias.card_id, owner) is None:
                raise card_missing(alias.card_id)
            self._db.execute(ALIAS_UPSERT.replace("%s", "?"), (owner, *alias_columns(alias)))

    def alias_get(self, name: str, *, tenant: str | None = None) -> AliasRecord | None:
        with self._lock:
            row = self._db.execute(
                ALIAS_COLUMNS + " WHERE tenant = ? AND name = ?", (tenant_column(tenant), name)
            ).fetchone()
        return None if row is None else AliasRecord(*row)

    def alias_list(
        self, pkg: str | None = None, *, tenant: str | None = None
    ) -> builtins.list[AliasRecord]:
        where, params = card_filter(tenant, pkg, "?")
        with self._lock:
            rows = self._db.execute(ALIAS_COLUMNS + where + " ORDER BY name", params).fetchall()
        return [AliasRecord(*row) for row in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _unavailable(path: str, exc: BaseException) -> StoreUnavailable:
    return StoreUnavailable(
        f"The session store at {path} cannot be used: {exc}. Check the path (--store, ALC_STORE "
        "or ALC_HOME), its permissions and free disk space; a file that is not an alc store must "
        "be moved away."
    )


def _translating(cls: type[SQLiteStore]) -> type[SQLiteStore]:
    """Translate sqlite3 errors of every public method into StoreUnavailable, in one place.

    ``database is locked`` after the busy timeout is reported the same way: another process held
    the write lock too long.
    """
    public = [
        name
        for base in (Journal, SourceStore, StateStore, InternalRecords, CardStore)
        for name in base.__abstractmethods__
    ]
    for name in sorted(public):
        method = getattr(cls, name)

        def wrapper(self: SQLiteStore, *args: Any, _method: Any = method, **kwargs: Any) -> Any:
            try:
                return _method(self, *args, **kwargs)
            except sqlite3.Error as exc:
                raise _unavailable(self.path, exc) from exc

        functools.update_wrapper(wrapper, method)
        setattr(cls, name, wrapper)
    return cls


_translating(SQLiteStore)
