"""``SQLiteStore``: :class:`SQLStore` on stdlib ``sqlite3`` (WAL), the default of the CLI and MCP.

Several processes may share one file. The connector holds one connection and a lock; every
write is one ``BEGIN IMMEDIATE`` transaction (the write lock of the whole file, taken up front),
so a journal write's head check and its inserts commit together. Every ``sqlite3`` error is
translated to ``store_unavailable`` in the connector (``_dialect.translated``).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from alc.engine.errors import StoreUnavailable
from alc.engine.store._dialect import SQLITE, Conn, Connector, translated
from alc.engine.store._quota import StateQuota
from alc.engine.store._sql import SQLStore

__all__ = ["SQLiteStore"]


class _SQLiteConnector(Connector):
    """One ``sqlite3`` connection in autocommit mode, shared by threads under a lock."""

    dialect = SQLITE

    def __init__(self, path: str, synchronous: str | None, busy_timeout_ms: int) -> None:
        self.path = path
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        sync = (synchronous or os.environ.get("ALC_SQLITE_SYNCHRONOUS") or "NORMAL").upper()
        if sync not in {"NORMAL", "FULL", "EXTRA"}:
            raise ValueError(f"synchronous must be NORMAL, FULL or EXTRA, not {sync!r}")
        self.lock = threading.RLock()
        self.db = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, timeout=busy_timeout_ms / 1000
        )
        self.db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        self.db.execute(f"PRAGMA synchronous = {sync}")

    def unavailable(self, exc: BaseException) -> StoreUnavailable:
        return _unavailable(self.path, exc)

    @contextlib.contextmanager
    def connection(self) -> Iterator[Conn]:
        with self.lock, translated(sqlite3.Error, self.unavailable):
            yield self.db

    @contextlib.contextmanager
    def transaction(self, pipelined: bool = False) -> Iterator[Conn]:
        """``BEGIN IMMEDIATE`` takes the write lock up front (a concurrent writer waits up to the
        busy timeout instead of failing mid-way), then commit, or roll back on any exception."""
        with self.lock, translated(sqlite3.Error, self.unavailable):
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    def insert_many(self, conn: Conn, table: str, columns: Sequence[str], rows: Any) -> None:
        marks = ", ".join("?" * len(columns))
        self.db.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)

    def close(self) -> None:
        with self.lock:
            self.db.close()


class SQLiteStore(SQLStore):
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

    Raises:
        StoreUnavailable: the file cannot be opened or migrated.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        synchronous: str | None = None,
        busy_timeout_ms: int = 10_000,
        state_quota: StateQuota | None = None,
    ) -> None:
        try:
            connector = _SQLiteConnector(str(path), synchronous, busy_timeout_ms)
        except (OSError, sqlite3.Error) as exc:
            raise _unavailable(str(path), exc) from exc
        super().__init__(connector, state_quota)
        self._db = connector.db
        # Switching a new file to WAL needs a moment of exclusive access; when several processes
        # open a fresh store at once, the losers retry instead of failing.
        deadline = time.monotonic() + busy_timeout_ms / 1000
        while True:
            try:
                with connector.lock, translated(sqlite3.Error, connector.unavailable):
                    self._db.execute("PRAGMA journal_mode = WAL")
                self._migrate()
                return
            except StoreUnavailable as exc:
                cause = exc.__cause__
                if not (
                    isinstance(cause, sqlite3.OperationalError)
                    and "locked" in str(cause)
                    and time.monotonic() < deadline
                ):
                    raise
                time.sleep(0.01)


def _unavailable(path: str, exc: BaseException) -> StoreUnavailable:
    return StoreUnavailable(
        f"The session store at {path} cannot be used: {exc}. Check the path (--store, ALC_STORE "
        "or ALC_HOME), its permissions and free disk space; a file that is not an alc store must "
        "be moved away."
    )
