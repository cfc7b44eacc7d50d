"""``alc.state`` on SQL, shared by ``SQLiteStore`` and ``PostgresStore``.

Tables (both stores, see their migrations)::

    kv               (tenant, ns, key) -> value          the values
    kv_usage         (tenant, ns) -> bytes, keys         what each namespace holds
    kv_tenant_usage  (tenant) -> bytes, keys             what each tenant holds

Every write runs inside the caller's transaction and first locks the tenant's usage row
(PostgreSQL: ``SELECT ... FOR UPDATE``; SQLite: ``BEGIN IMMEDIATE`` already holds the write lock),
so writers of one tenant queue, each sees what the previous one committed, and the quota check,
the value and both usage rows commit together or not at all. The two dialects differ only in
what :class:`~alc.engine.store._dialect.Dialect` names.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from alc.engine.store._dialect import Conn as _Conn
from alc.engine.store._dialect import Dialect
from alc.engine.store._interfaces import incremented
from alc.engine.store._quota import StateQuota, Usage, row_size, tenant_column

__all__ = ["KVStatements", "Place", "usage_tables"]

Place = tuple[str | None, str, str]
"""Where a value lives: ``(tenant, namespace, key)``."""


class KVStatements:
    """The ``alc.state`` operations on one connection (see the module docstring)."""

    def __init__(self, dialect: Dialect) -> None:
        self.d = dialect

    def _run(self, conn: _Conn, sql: str, params: tuple[Any, ...]) -> Any:
        return conn.execute(sql.replace("?", self.d.mark), params)

    def _where(self, tenant: str | None, ns: str, key: str) -> tuple[Any, ...]:
        return (tenant_column(tenant), self.d.bind(ns), self.d.bind(key))

    def get(self, conn: _Conn, tenant: str | None, ns: str, key: str) -> str | None:
        row = self._run(
            conn,
            "SELECT value FROM kv WHERE tenant = ? AND ns = ? AND key = ?",
            self._where(tenant, ns, key),
        ).fetchone()
        return None if row is None else str(row[0])

    def keys(self, conn: _Conn, tenant: str | None, ns: str) -> list[str]:
        rows = self._run(
            conn,
            "SELECT key FROM kv WHERE tenant = ? AND ns = ? ORDER BY key",
            (tenant_column(tenant), self.d.bind(ns)),
        ).fetchall()
        return [self.d.read(r[0]) for r in rows]

    def usage(self, conn: _Conn, tenant: str | None, ns: str | None) -> Usage:
        owner = tenant_column(tenant)
        if ns is None:
            row = self._run(
                conn, "SELECT bytes, keys FROM kv_tenant_usage WHERE tenant = ?", (owner,)
            ).fetchone()
        else:
            row = self._run(
                conn,
                "SELECT bytes, keys FROM kv_usage WHERE tenant = ? AND ns = ?",
                (owner, self.d.bind(ns)),
            ).fetchone()
        return Usage() if row is None else Usage(int(row[0]), int(row[1]))

    def _lock_tenant(self, conn: _Conn, tenant: str | None) -> Usage:
        """Lock the tenant's usage row (made if missing) until the transaction ends."""
        owner = tenant_column(tenant)
        made = "INSERT INTO kv_tenant_usage (tenant, bytes, keys) VALUES (?, 0, 0) ON CONFLICT"
        if self.d.for_update:  # the no-op update locks the row and returns it
            row = self._run(
                conn,
                made
                + " (tenant) DO UPDATE SET bytes = kv_tenant_usage.bytes RETURNING bytes, keys",
                (owner,),
            ).fetchone()
            return Usage(int(row[0]), int(row[1]))
        self._run(conn, made + " (tenant) DO NOTHING", (owner,))
        row = self._run(
            conn,
            "SELECT bytes, keys FROM kv_tenant_usage WHERE tenant = ?" + self.d.for_update,
            (owner,),
        ).fetchone()
        return Usage(int(row[0]), int(row[1]))

    def _account(self, conn: _Conn, tenant: str | None, ns: str, grow: Usage) -> None:
        owner = tenant_column(tenant)
        self._run(
            conn,
            "INSERT INTO kv_usage (tenant, ns, bytes, keys) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (tenant, ns) DO UPDATE SET bytes = kv_usage.bytes + excluded.bytes, "
            "keys = kv_usage.keys + excluded.keys",
            (owner, self.d.bind(ns), grow.size, grow.keys),
        )
        self._run(
            conn,
            "UPDATE kv_tenant_usage SET bytes = bytes + ?, keys = keys + ? WHERE tenant = ?",
            (grow.size, grow.keys, owner),
        )

    def write(
        self, conn: _Conn, quota: StateQuota, at: Place, value: str, *, only_if_absent: bool = False
    ) -> bool:
        """Write one value at ``at`` = ``(tenant, ns, key)`` within the quota (in the caller's
        transaction); False when ``only_if_absent`` and the key exists.

        Raises:
            StateQuotaExceeded: nothing is written (the caller rolls back).
        """
        if self.d.writing_ctes:
            return self._write_at_once(conn, quota, at, value, only_if_absent)
        tenant, ns, key = at
        in_tenant = self._lock_tenant(conn, tenant)
        owner, bound_ns = tenant_column(tenant), self.d.bind(ns)
        old, ns_bytes, ns_keys = self._run(  # the old value and the namespace's usage at once
            conn,
            "SELECT (SELECT value FROM kv WHERE tenant = ? AND ns = ? AND key = ?), "
            "(SELECT bytes FROM kv_usage WHERE tenant = ? AND ns = ?), "
            "(SELECT keys FROM kv_usage WHERE tenant = ? AND ns = ?)",
            (*self._where(tenant, ns, key), owner, bound_ns, owner, bound_ns),
        ).fetchone()
        if old is not None and only_if_absent:
            return False
        old_size = 0 if old is None else row_size(key, str(old))
        grow = Usage(row_size(key, value) - old_size, 0 if old is not None else 1)
        in_ns = Usage(int(ns_bytes or 0), int(ns_keys or 0))
        quota.check(ns, key, grow, in_ns, in_tenant, tenant)
        self._run(
            conn,
            "INSERT INTO kv (tenant, ns, key, value) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (tenant, ns, key) DO UPDATE SET value = excluded.value",
            (*self._where(tenant, ns, key), value),
        )
        self._account(conn, tenant, ns, grow)
        return True

    def _write_at_once(
        self, conn: _Conn, quota: StateQuota, at: Place, value: str, only_if_absent: bool
    ) -> bool:
        """:meth:`write` in two statements (a dialect with data-modifying ``WITH``): lock the
        tenant's usage row, then :data:`_WRITE` reads, checks the quota and writes at once. A
        pipelined transaction sends both, and ``BEGIN``, in one round trip."""
        tenant, ns, key = at
        owner = tenant_column(tenant)
        self._run(
            conn,
            "INSERT INTO kv_tenant_usage (tenant, bytes, keys) VALUES (?, 0, 0) "
            "ON CONFLICT (tenant) DO UPDATE SET bytes = kv_tenant_usage.bytes",
            (owner,),
        )
        key_size = row_size(key, "")
        row = self._run(
            conn,
            _WRITE,
            (
                owner,
                self.d.bind(ns),
                self.d.bind(key),
                value,
                row_size(key, value),
                key_size,
                only_if_absent,
                quota.ns_bytes,
                quota.ns_keys,
                quota.tenant_bytes,
                quota.tenant_keys,
            ),
        ).fetchone()
        had_value, grow_bytes, grow_keys, ns_bytes, ns_keys, t_bytes, t_keys, written = row
        if written:
            return True
        if had_value and only_if_absent:
            return False
        grow = Usage(int(grow_bytes), int(grow_keys))
        in_ns, in_tenant = Usage(int(ns_bytes), int(ns_keys)), Usage(int(t_bytes), int(t_keys))
        quota.check(ns, key, grow, in_ns, in_tenant, tenant)  # raises: SQL found it over
        raise AssertionError("the quota check in SQL and in Python disagree")  # pragma: no cover

    def delete(self, conn: _Conn, tenant: str | None, ns: str, key: str) -> bool:
        self._lock_tenant(conn, tenant)
        old = self.get(conn, tenant, ns, key)
        if old is None:
            return False
        self._run(
            conn,
            "DELETE FROM kv WHERE tenant = ? AND ns = ? AND key = ?",
            self._where(tenant, ns, key),
        )
        self._account(conn, tenant, ns, Usage(-row_size(key, old), -1))
        return True

    def incr(
        self, conn: _Conn, quota: StateQuota, at: Place, delta: Any, default: Any
    ) -> int | float:
        """``alc.state.incr`` at ``at`` = ``(tenant, ns, key)`` (see :meth:`write`)."""
        self._lock_tenant(conn, at[0])
        value = incremented(self.get(conn, *at), delta, default)
        self.write(conn, quota, at, json.dumps(value))
        return value


_WRITE = """
WITH p (owner, ns, key, value, size, key_size, nx, ns_max_bytes, ns_max_keys, t_max_bytes,
        t_max_keys) AS (
    VALUES (CAST(? AS text), CAST(? AS bytea), CAST(? AS bytea), CAST(? AS text),
            CAST(? AS bigint), CAST(? AS bigint), CAST(? AS boolean), CAST(? AS bigint),
            CAST(? AS bigint), CAST(? AS bigint), CAST(? AS bigint))
), old AS (
    SELECT kv.value FROM kv, p WHERE kv.tenant = p.owner AND kv.ns = p.ns AND kv.key = p.key
), g AS (
    SELECT p.*,
        EXISTS (SELECT 1 FROM old) AS had,
        p.size - COALESCE((SELECT p.key_size + octet_length(old.value) FROM old), 0) AS grow_bytes,
        CASE WHEN EXISTS (SELECT 1 FROM old) THEN 0 ELSE 1 END AS grow_keys,
        COALESCE(u.bytes, 0) AS ns_bytes, COALESCE(u.keys, 0) AS ns_keys,
        t.bytes AS t_bytes, t.keys AS t_keys
    FROM p JOIN kv_tenant_usage t ON t.tenant = p.owner
    LEFT JOIN kv_usage u ON u.tenant = p.owner AND u.ns = p.ns
), ok AS (
    SELECT g.*, NOT (g.nx AND g.had) AND (
        (g.grow_bytes <= 0 AND g.grow_keys <= 0) OR (
            (g.grow_bytes <= 0 OR (g.ns_bytes + g.grow_bytes <= g.ns_max_bytes
                AND g.t_bytes + g.grow_bytes <= g.t_max_bytes))
            AND (g.grow_keys <= 0 OR (g.ns_keys + g.grow_keys <= g.ns_max_keys
                AND g.t_keys + g.grow_keys <= g.t_max_keys)))) AS write
    FROM g
), w AS (
    INSERT INTO kv (tenant, ns, key, value) SELECT owner, ns, key, value FROM ok WHERE write
    ON CONFLICT (tenant, ns, key) DO UPDATE SET value = excluded.value RETURNING 1
), wu AS (
    INSERT INTO kv_usage (tenant, ns, bytes, keys)
        SELECT owner, ns, grow_bytes, grow_keys FROM ok WHERE write
    ON CONFLICT (tenant, ns) DO UPDATE SET bytes = kv_usage.bytes + excluded.bytes,
        keys = kv_usage.keys + excluded.keys RETURNING 1
), wt AS (
    UPDATE kv_tenant_usage SET bytes = kv_tenant_usage.bytes + ok.grow_bytes,
        keys = kv_tenant_usage.keys + ok.grow_keys
    FROM ok WHERE ok.write AND kv_tenant_usage.tenant = ok.owner RETURNING 1
)
SELECT had, grow_bytes, grow_keys, ns_bytes, ns_keys, t_bytes, t_keys, write FROM ok
"""
"""One ``alc.state`` write with its quota check (PostgreSQL; the tenant's usage row is locked
by the statement before): the old value's size and the namespace's usage read, the four bounds
checked as :meth:`StateQuota.check` does, the value and both usage rows written only when they
pass; returns what Python needs to raise ``state_quota_exceeded`` when not."""


def usage_tables(blob: str, size: Callable[[str], str]) -> str:
    """The usage tables and their first counts, from the ``kv`` rows (a migration of both
    stores). ``blob``: the namespace column's type; ``size(column)``: SQL giving a column's
    UTF-8 bytes."""
    return f"""
CREATE TABLE kv_usage (
    tenant TEXT NOT NULL, ns {blob} NOT NULL, bytes BIGINT NOT NULL, keys BIGINT NOT NULL,
    PRIMARY KEY (tenant, ns)
);
CREATE TABLE kv_tenant_usage (
    tenant TEXT NOT NULL PRIMARY KEY, bytes BIGINT NOT NULL, keys BIGINT NOT NULL
);
INSERT INTO kv_usage (tenant, ns, bytes, keys)
    SELECT tenant, ns, SUM({size("key")} + {size("value")}), COUNT(*) FROM kv GROUP BY tenant, ns;
INSERT INTO kv_tenant_usage (tenant, bytes, keys)
    SELECT tenant, SUM(bytes), SUM(keys) FROM kv_usage GROUP BY tenant
"""
