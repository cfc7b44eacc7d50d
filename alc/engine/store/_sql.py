"""``SQLStore``: the one SQL implementation of :class:`Store`, over a dialect seam.

Every statement is written once here (``?`` marks); :class:`~alc.engine.store._dialect.Dialect`
rewrites what differs and :class:`~alc.engine.store._dialect.Connector` runs it (SQLite:
``SQLiteStore``; PostgreSQL: ``PostgresStore``). The write rule of ``_interfaces.Journal``: every
journal write is one transaction that locks the session's row (SQLite: ``BEGIN IMMEDIATE``;
PostgreSQL: ``SELECT ... FOR UPDATE``) and checks its head first, so of two writers racing for
one session exactly one commits and the other gets ``conflict`` with nothing applied. An append
is two statements (SQLite: the summary's update conditional on the head, then every event in one
multi-row ``INSERT``) or one (PostgreSQL: :data:`_APPEND`).

Reads are single statements where one snapshot matters: :meth:`load` reads the head, then the
events up to it (events are append-only; when fewer come back, the session was deleted in
between). Card ``where`` filters run in SQL (``_cardsql``).
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Iterable, Sequence
from typing import Any

from alc.engine.errors import SessionNotFound, StoreUnavailable
from alc.engine.store._cardsql import find_cards
from alc.engine.store._dialect import Conn, Connector
from alc.engine.store._interfaces import (
    Store,
    appended,
    card_missing,
    check_samples,
    conflict,
    samples_exist,
)
from alc.engine.store._kvsql import KVStatements
from alc.engine.store._migrations import migrate
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

__all__ = ["SQLStore"]

_COLUMNS = "id, strategy, state, created_at, updated_at, head, record, extra, tenant"
"""A session row's columns, in the order ``summary_from_row`` reads them."""
_SUMMARY = "id, strategy, state, created_at, updated_at, head, NULL, extra, tenant"
""":data:`_COLUMNS` without the record (a summary does not read it: the session's ctx and code
stay in the database)."""


_APPEND = """
WITH s AS (SELECT head FROM sessions WHERE id = ? FOR UPDATE), ins AS (
    INSERT INTO events (session_id, seq, kind, data)
    SELECT ?, e.seq, e.kind, e.data
    FROM unnest(CAST(? AS bigint[]), CAST(? AS text[]), CAST(? AS text[])) AS e (seq, kind, data)
    WHERE (SELECT head FROM s) = ?
    RETURNING 1
), upd AS (
    UPDATE sessions SET state = ?, updated_at = ?, head = ?, extra = ?
    WHERE id = ? AND (SELECT head FROM s) = ?
    RETURNING 1
)
SELECT (SELECT head FROM s)
"""
"""A journal append in one statement (PostgreSQL): the session's row is locked (a concurrent
writer of it waits, then reads the head that one committed), and the events and the new summary
are written only when the head is still the expected one; returns the head it found (NULL: no
such session)."""


_ROWS_PER_INSERT = 256
"""Events written by one multi-row ``INSERT`` (4 parameters each, far below any driver's
limit); a longer list goes through the connector's bulk insert."""


class SQLStore(Store):
    """The store on one SQL database, reached through ``connector`` (see ``_dialect``).

    Opening migrates the schema forward (``_migrations``). Thread-safe as its connector is.
    """

    def __init__(self, connector: Connector, state_quota: StateQuota | None = None) -> None:
        self.connector = connector
        self.dialect = connector.dialect
        self.path = connector.path
        self.state_quota = state_quota or StateQuota.from_env()
        self._kv = KVStatements(self.dialect)

    def _migrate(self) -> list[str]:
        with self.connector.transaction() as conn:
            return migrate(conn, self.dialect)

    def _run(self, conn: Conn, sql: str, *params: Any) -> Any:
        return conn.execute(self.dialect.sql(sql), params)

    def _read(self, sql: str, *params: Any) -> builtins.list[Any]:
        with self.connector.connection() as conn:
            rows: builtins.list[Any] = self._run(conn, sql, *params).fetchall()
        return rows

    # ------------------------------------------------------------------ journal

    def _write(
        self, conn: Conn, session_id: str, first: int, events: Sequence[JournalEvent]
    ) -> int:
        """Insert ``events`` as seqs ``first + 1 ...`` in one statement (a bulk insert beyond
        :data:`_ROWS_PER_INSERT`); returns the new head."""
        rows = [
            (session_id, first + n, e.kind, json.dumps(e.to_data(), ensure_ascii=False))
            for n, e in enumerate(events, start=1)
        ]
        if len(rows) > _ROWS_PER_INSERT:
            self.connector.insert_many(conn, "events", ("session_id", "seq", "kind", "data"), rows)
        elif rows:
            self._run(
                conn,
                "INSERT INTO events (session_id, seq, kind, data) VALUES "
                + ", ".join(["(?, ?, ?, ?)"] * len(rows)),
                *(value for row in rows for value in row),
            )
        return first + len(rows)

    def create(
        self, record: SessionRecord, events: Sequence[JournalEvent], summary: Summary
    ) -> int:
        with self.connector.transaction() as conn:
            self._run(
                conn,
                f"INSERT INTO sessions ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                record.session_id,
                record.strategy,
                summary.state,
                record.created_at,
                summary.updated_at,
                len(events),
                record.to_json(),
                summary.extra_json(),
                record.tenant,
            )
            return self._write(conn, record.session_id, 0, events)

    def append(
        self,
        session_id: str,
        expected_head: int,
        events: Sequence[JournalEvent],
        summary: Summary,
    ) -> int:
        if self.dialect.writing_ctes:
            return self._append_at_once(session_id, expected_head, events, summary)
        head = expected_head + len(events)
        with self.connector.transaction() as conn:
            # two statements: the summary moves to the new head only from the expected one (the
            # update locks the row, so a concurrent writer of this session waits, then finds
            # the head moved), then the events; any failure rolls both back
            moved = self._run(
                conn,
                "UPDATE sessions SET state = ?, updated_at = ?, head = ?, extra = ? "
                "WHERE id = ? AND head = ?",
                summary.state,
                summary.updated_at,
                head,
                summary.extra_json(),
                session_id,
                expected_head,
            ).rowcount
            if moved != 1:
                if self._missing(conn, session_id):
                    raise SessionNotFound(session_id)
                raise conflict(session_id)
            self._write(conn, session_id, expected_head, events)
        return head

    def _append_at_once(
        self,
        session_id: str,
        expected_head: int,
        events: Sequence[JournalEvent],
        summary: Summary,
    ) -> int:
        """:meth:`append` as one statement (:data:`_APPEND`, a dialect with data-modifying
        ``WITH``): one round trip, its own transaction."""
        data = [json.dumps(e.to_data(), ensure_ascii=False) for e in events]
        head = expected_head + len(events)
        with self.connector.connection() as conn:
            row = self._run(
                conn,
                _APPEND,
                session_id,
                session_id,
                [expected_head + n for n in range(1, len(events) + 1)],
                [e.kind for e in events],
                data,
                expected_head,
                summary.state,
                summary.updated_at,
                head,
                summary.extra_json(),
                session_id,
                expected_head,
            ).fetchone()
        if row is None or row[0] is None:
            raise SessionNotFound(session_id)
        if row[0] != expected_head:
            raise conflict(session_id)
        return head

    def load(self, session_id: str) -> tuple[SessionRecord, list[JournalEntry], Summary]:
        with self.connector.connection() as conn:
            row = self._run(conn, f"SELECT {_COLUMNS} FROM sessions WHERE id = ?", session_id)
            row = row.fetchone()
            if row is None:
                raise SessionNotFound(session_id)
            rows = self._run(
                conn,
                "SELECT seq, kind, data FROM events WHERE session_id = ? AND seq <= ? ORDER BY seq",
                session_id,
                row[5],
            ).fetchall()
            if len(rows) < row[5] and self._missing(conn, session_id):
                raise SessionNotFound(session_id)  # deleted between the two reads
        with decoding(self.path, session_id):
            events = [
                JournalEntry(seq, decode_event(kind, stored_object(data)))
                for seq, kind, data in rows
            ]
            return SessionRecord.from_json(row[6]), events, summary_from_row(tuple(row))

    def _missing(self, conn: Conn, session_id: str) -> bool:
        return self._run(conn, "SELECT 1 FROM sessions WHERE id = ?", session_id).fetchone() is None

    def summary(self, session_id: str) -> Summary:
        rows = self._read(f"SELECT {_SUMMARY} FROM sessions WHERE id = ?", session_id)
        if not rows:
            raise SessionNotFound(session_id)
        with decoding(self.path, session_id):
            return summary_from_row(tuple(rows[0]))

    def list(
        self,
        states: Iterable[str] | None = None,
        limit: int = 100,
        strategy: str | None = None,
        tenant: str | None = None,
    ) -> list[Summary]:
        where: builtins.list[str] = []
        params: builtins.list[Any] = []
        if tenant is not None:
            where.append("tenant = ?")
            params.append(tenant)
        if states is not None:
            wanted = builtins.list(states)
            where.append(f"state IN ({', '.join('?' * len(wanted))})" if wanted else "1 = 0")
            params.extend(wanted)
        if strategy is not None:
            where.append("strategy = ?")
            params.append(strategy)
        sql = f"SELECT {_SUMMARY} FROM sessions"
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = self._read(sql + " ORDER BY updated_at DESC LIMIT ?", *params, max(0, limit))
        summaries = []
        for r in rows:
            with decoding(self.path, str(r[0])):
                summaries.append(summary_from_row(tuple(r)))
        return summaries

    def session_ids(
        self,
        limit: int = 100,
        offset: int = 0,
        strategy: str | None = None,
        tenant: str | None = None,
    ) -> builtins.list[str]:
        where: builtins.list[str] = []
        params: builtins.list[Any] = []
        for column, value in (("tenant", tenant), ("strategy", strategy)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        sql = "SELECT id FROM sessions" + (" WHERE " + " AND ".join(where) if where else "")
        sql += " ORDER BY updated_at DESC LIMIT ? OFFSET ?"
        return [str(r[0]) for r in self._read(sql, *params, max(0, limit), max(0, offset))]

    def purge(self, before: float, states: Iterable[str]) -> int:
        wanted = builtins.list(states)
        if not wanted:
            return 0
        with self.connector.transaction() as conn:
            ids = self._run(
                conn,
                f"DELETE FROM sessions WHERE updated_at < ? AND state IN "
                f"({', '.join('?' * len(wanted))}) RETURNING id",
                before,
                *wanted,
            ).fetchall()
            for (sid,) in ids:
                self._run(conn, "DELETE FROM events WHERE session_id = ?", sid)
        return len(ids)

    def delete(self, session_id: str) -> bool:
        with self.connector.transaction() as conn:
            existed = self._run(conn, "DELETE FROM sessions WHERE id = ?", session_id).rowcount
            self._run(conn, "DELETE FROM events WHERE session_id = ?", session_id)
        return bool(existed)

    # ------------------------------------------------------------------ sources

    def put_source(self, digest: str, text: str) -> None:
        with self.connector.connection() as conn:
            self._run(
                conn,
                "INSERT INTO sources (hash, text) VALUES (?, ?) ON CONFLICT (hash) DO NOTHING",
                digest,
                self.dialect.bind(text),
            )

    def get_source(self, digest: str) -> str | None:
        rows = self._read("SELECT text FROM sources WHERE hash = ?", digest)
        return self.dialect.read(rows[0][0]) if rows else None

    # ------------------------------------------------------------------ alc.state (_kvsql)

    def state_get(self, ns: str, key: str, *, tenant: str | None = None) -> str | None:
        with self.connector.connection() as conn:
            return self._kv.get(conn, tenant, ns, key)

    def state_set(self, ns: str, key: str, value: str, *, tenant: str | None = None) -> None:
        with self.connector.transaction(pipelined=True) as conn:
            self._kv.write(conn, self.state_quota, (tenant, ns, key), value)

    def state_keys(self, ns: str, *, tenant: str | None = None) -> builtins.list[str]:
        with self.connector.connection() as conn:
            return self._kv.keys(conn, tenant, ns)

    def state_delete(self, ns: str, key: str, *, tenant: str | None = None) -> bool:
        with self.connector.transaction() as conn:
            return self._kv.delete(conn, tenant, ns, key)

    def state_has(self, ns: str, key: str, *, tenant: str | None = None) -> bool:
        return self.state_get(ns, key, tenant=tenant) is not None

    def state_set_nx(self, ns: str, key: str, value: str, *, tenant: str | None = None) -> bool:
        with self.connector.transaction(pipelined=True) as conn:
            return self._kv.write(
                conn, self.state_quota, (tenant, ns, key), value, only_if_absent=True
            )

    def state_incr(
        self, ns: str, key: str, delta: Any, default: Any, *, tenant: str | None = None
    ) -> int | float:
        # the tenant's usage row lock queues writers, so increments from any process add up
        with self.connector.transaction() as conn:
            return self._kv.incr(conn, self.state_quota, (tenant, ns, key), delta, default)

    def state_usage(self, ns: str | None, *, tenant: str | None = None) -> Usage:
        with self.connector.connection() as conn:
            return self._kv.usage(conn, tenant, ns)

    # ------------------------------------------------------------------ engine-internal records

    def get_internal(self, space: str, key: str) -> str | None:
        rows = self._read(
            "SELECT value FROM internal WHERE space = ? AND key = ?",
            self.dialect.bind(space),
            self.dialect.bind(key),
        )
        return str(rows[0][0]) if rows else None

    def set_internal(self, space: str, key: str, value: str) -> None:
        with self.connector.connection() as conn:
            self._run(
                conn,
                "INSERT INTO internal (space, key, value) VALUES (?, ?, ?) "
                "ON CONFLICT (space, key) DO UPDATE SET value = excluded.value",
                self.dialect.bind(space),
                self.dialect.bind(key),
                value,
            )

    # ------------------------------------------------------------------ cards (by tenant)

    def _cards(self, where: str, *params: Any) -> builtins.list[CardRecord]:
        return [card_from_row(self.path, row) for row in self._read(CARD_COLUMNS + where, *params)]

    def _locked_card(self, conn: Conn, card_id: str, owner: str) -> CardRecord | None:
        """The card, its row locked until the transaction ends (writers of one card queue)."""
        row = self._run(
            conn,
            CARD_COLUMNS + " WHERE tenant = ? AND card_id = ?" + self.dialect.for_update,
            owner,
            card_id,
        ).fetchone()
        return None if row is None else card_from_row(self.path, row)

    def card_put(self, card: CardRecord, *, tenant: str | None = None) -> bool:
        with self.connector.connection() as conn:
            cursor = self._run(
                conn,
                "INSERT INTO cards (tenant, card_id, pkg, created_at, prior_card_id, body) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (tenant, card_id) DO NOTHING",
                tenant_column(tenant),
                *card_columns(card),
            )
            return bool(cursor.rowcount > 0)

    def card_get(self, card_id: str, *, tenant: str | None = None) -> CardRecord | None:
        cards = self._cards(" WHERE tenant = ? AND card_id = ?", tenant_column(tenant), card_id)
        return cards[0] if cards else None

    def card_list(
        self, pkg: str | None = None, limit: int | None = None, *, tenant: str | None = None
    ) -> builtins.list[CardRecord]:
        where, params = card_filter(tenant, pkg, "?")
        return self._cards(where + NEWEST_FIRST + " LIMIT ?", *params, self.dialect.limit(limit))

    def card_find(
        self,
        pkg: str | None = None,
        where: dict[str, Any] | None = None,
        order_by: builtins.list[tuple[builtins.list[str], bool]] | None = None,
        offset: int = 0,
        limit: int | None = None,
        *,
        tenant: str | None = None,
    ) -> builtins.list[CardRecord]:
        try:
            return self._find(pkg, where, order_by, offset, limit, tenant)
        except StoreUnavailable as exc:
            if not self.connector.cannot_read_json(exc):
                raise
        # a card the database's JSON type cannot hold: the interface's Python evaluation
        return super().card_find(pkg, where, order_by, offset, limit, tenant=tenant)

    def _find(
        self,
        pkg: str | None,
        where: dict[str, Any] | None,
        order_by: builtins.list[tuple[builtins.list[str], bool]] | None,
        offset: int,
        limit: int | None,
        tenant: str | None,
    ) -> builtins.list[CardRecord]:
        with self.connector.connection() as conn:
            return find_cards(
                conn,
                self.dialect,
                self.path,
                (tenant_column(tenant), pkg),
                (where, order_by, offset, limit),
            )

    def card_children(
        self, card_id: str, *, tenant: str | None = None
    ) -> builtins.list[CardRecord]:
        return self._cards(
            " WHERE tenant = ? AND prior_card_id = ?" + NEWEST_FIRST, tenant_column(tenant), card_id
        )

    def card_append(
        self, card_id: str, fields: dict[str, Any], *, tenant: str | None = None
    ) -> CardRecord:
        owner = tenant_column(tenant)
        with self.connector.transaction() as conn:
            merged = appended(self._locked_card(conn, card_id, owner), card_id, fields)
            self._run(
                conn,
                "UPDATE cards SET body = ? WHERE tenant = ? AND card_id = ?",
                merged.body_json(),
                owner,
                card_id,
            )
        return merged

    def samples_put(self, card_id: str, rows: Sequence[str], *, tenant: str | None = None) -> int:
        check_samples(card_id, rows)
        owner = tenant_column(tenant)
        with self.connector.transaction() as conn:
            if self._locked_card(conn, card_id, owner) is None:
                raise card_missing(card_id)
            if self._samples_count(conn, card_id, owner):
                raise samples_exist(card_id)
            self.connector.insert_many(
                conn,
                "card_samples",
                ("tenant", "card_id", "seq", "data"),
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
        with self.connector.connection() as conn:
            rows = self._run(
                conn,
                "SELECT data FROM card_samples WHERE tenant = ? AND card_id = ? "
                "ORDER BY seq LIMIT ? OFFSET ?",
                owner,
                card_id,
                self.dialect.limit(limit),
                max(0, offset),
            ).fetchall()
            # cards are never deleted: rows mean the card exists
            if (
                not rows
                and self._run(
                    conn, "SELECT 1 FROM cards WHERE tenant = ? AND card_id = ?", owner, card_id
                ).fetchone()
                is None
            ):
                raise card_missing(card_id)
        return [str(r[0]) for r in rows]

    def _samples_count(self, conn: Conn, card_id: str, owner: str) -> int:
        row = self._run(
            conn,
            "SELECT count(*) FROM card_samples WHERE tenant = ? AND card_id = ?",
            owner,
            card_id,
        ).fetchone()
        return 0 if row is None else int(row[0])

    def samples_count(self, card_id: str, *, tenant: str | None = None) -> int:
        with self.connector.connection() as conn:
            return self._samples_count(conn, card_id, tenant_column(tenant))

    def alias_set(self, alias: AliasRecord, *, tenant: str | None = None) -> None:
        owner = tenant_column(tenant)
        with self.connector.transaction() as conn:
            found = self._run(
                conn,
                "SELECT 1 FROM cards WHERE tenant = ? AND card_id = ?" + self.dialect.for_share,
                owner,
                alias.card_id,
            ).fetchone()
            if found is None:
                raise card_missing(alias.card_id)
            self._run(conn, ALIAS_UPSERT, owner, *alias_columns(alias))

    def alias_get(self, name: str, *, tenant: str | None = None) -> AliasRecord | None:
        rows = self._read(
            ALIAS_COLUMNS + " WHERE tenant = ? AND name = ?", tenant_column(tenant), name
        )
        return AliasRecord(*rows[0]) if rows else None

    def alias_list(
        self, pkg: str | None = None, *, tenant: str | None = None
    ) -> builtins.list[AliasRecord]:
        where, params = card_filter(tenant, pkg, "?")
        return [
            AliasRecord(*row)
            for row in self._read(ALIAS_COLUMNS + where + " ORDER BY name", *params)
        ]

    def close(self) -> None:
        self.connector.close()
