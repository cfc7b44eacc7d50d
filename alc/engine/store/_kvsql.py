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
