"""The dialect seam: everything that differs between SQLite and PostgreSQL, in one place.

:class:`SQLStore` (``_sql``) writes every statement once, with ``?`` parameter marks, and asks
its :class:`Dialect` (what the SQL text looks like) and its :class:`Connector` (how a statement
reaches the database) for the rest:

=====================  =============================  ======================================
concern                SQLite (stdlib ``sqlite3``)    PostgreSQL (psycopg 3 + its pool)
=====================  =============================  ======================================
parameter style        ``?``                          ``%s`` (``?`` rewritten once per text)
row locking            ``BEGIN IMMEDIATE`` (the       ``SELECT ... FOR UPDATE`` /
                       whole file; ``for_update``     ``FOR SHARE``
                       is empty)
upsert                 ``ON CONFLICT ... DO ...``     the same text (SQLite 3.24+)
unbounded ``LIMIT``    ``-1``                         ``NULL``
byte-keyed columns     ``TEXT`` (``str``)             ``bytea`` (``bytes``: a Lua string may
                                                      hold a NUL, and ``bytea`` sorts by bytes)
JSON paths             JSON1 ``json_extract`` /       JSONB ``->`` on ``body::jsonb``
                       ``json_type`` / ``json_each``  (``_cardsql``)
connections            one connection + a lock        a thread-safe pool, autocommit
bulk insert            ``executemany``                ``COPY ... FROM STDIN``
errors                 ``sqlite3.Error``              ``psycopg.Error``, password redacted
=====================  =============================  ======================================

Every driver error raised inside :meth:`Connector.connection` or :meth:`Connector.transaction`
becomes ``store_unavailable`` there, so no caller handles a driver exception.
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["POSTGRES", "SQLITE", "Conn", "Connector", "Dialect"]


class Cursor(Protocol):
    """What a statement returns (``sqlite3.Cursor`` and ``psycopg.Cursor`` both are one)."""

    rowcount: int

    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


class Conn(Protocol):
    """A connection as :class:`SQLStore` uses it: ``execute(sql, params)`` -> :class:`Cursor`."""

    def execute(self, sql: Any, params: Any = ..., /) -> Any: ...


@dataclass(frozen=True)
class Dialect:
    """What a statement's text and parameters look like in one database (see the module table).

    Attributes:
        name: ``"sqlite"`` or ``"postgres"`` (selects the migration texts and JSON operators).
        mark: the parameter mark. bind / read: a byte-keyed column's value in and out.
        for_update / for_share: the row-lock clauses (empty where the transaction locks all).
        no_limit: the ``LIMIT`` parameter meaning "no limit".
        writing_ctes: whether ``WITH`` may hold ``INSERT`` / ``UPDATE`` (PostgreSQL: an
            ``alc.state`` write is then one statement after the lock, ``_kvsql``).
    """

    name: str
    mark: str
    bind: Callable[[str], Any]
    read: Callable[[Any], str]
    for_update: str
    for_share: str
    no_limit: Any
    writing_ctes: bool = False

    def sql(self, text: str) -> str:
        """``text`` (written with ``?`` marks, no other ``?`` or ``%``) in this dialect."""
        return text if self.mark == "?" else text.replace("?", self.mark)

    def limit(self, limit: int | None) -> Any:
        """The ``LIMIT`` parameter of ``limit`` (None: no limit; negative: none either)."""
        return self.no_limit if limit is None else max(0, limit)


def _bytes_text(value: Any) -> str:
    return bytes(value).decode()


SQLITE = Dialect(
    name="sqlite", mark="?", bind=str, read=str, for_update="", for_share="", no_limit=-1
)
"""SQLite: ``BEGIN IMMEDIATE`` holds the write lock, so no row clause is needed."""
POSTGRES = Dialect(
    name="postgres",
    mark="%s",
    bind=str.encode,
    read=_bytes_text,
    for_update=" FOR UPDATE",
    for_share=" FOR SHARE",
    no_limit=None,
    writing_ctes=True,
)
"""PostgreSQL: rows are locked one by one."""


class Connector(ABC):
    """How statements reach one database: connections, transactions, bulk inserts, errors.

    ``path`` is what messages call the store (a file path, or a URL without its password).
    """

    path: str
    dialect: Dialect

    @abstractmethod
    def connection(self) -> contextlib.AbstractContextManager[Conn]:
        """A connection in autocommit mode: each statement is its own transaction.

        Raises:
            StoreUnavailable: the driver failed (inside the block too).
        """

    @abstractmethod
    def transaction(self, pipelined: bool = False) -> contextlib.AbstractContextManager[Conn]:
        """A connection inside one write transaction: committed when the block ends, rolled
        back when it raises. Concurrent writers of the rows it locks queue. ``pipelined``: a
        server database may send statements without waiting for each reply (only reading a
        result waits), for blocks of few reads.

        Raises:
            StoreUnavailable: the driver failed (inside the block too).
        """

    @abstractmethod
    def insert_many(self, conn: Conn, table: str, columns: Sequence[str], rows: Any) -> None:
        """Insert ``rows`` (tuples in ``columns`` order) into ``table`` in the current block."""

    def cannot_read_json(self, exc: BaseException) -> bool:
        """Whether ``exc`` (a translated driver error) says a stored JSON text cannot be read
        as the database's JSON type (PostgreSQL's ``jsonb`` refuses ``\\u0000`` in strings);
        the caller then evaluates in Python instead."""
        return False

    @abstractmethod
    def close(self) -> None:
        """Release the connections."""


@contextlib.contextmanager
def translated(
    errors: type[BaseException] | tuple[type[BaseException], ...],
    unavailable: Callable[[BaseException], BaseException],
) -> Iterator[None]:
    """Turn ``errors`` raised in the block into ``unavailable(exc)`` (``store_unavailable``)."""
    try:
        yield
    except errors as exc:
        raise unavailable(exc) from exc
