"""The journal: where sessions live durably, behind one small interface.

A session's durable record is its :class:`SessionRecord` (source, ctx, seeds, limits: fixed at
creation) plus an append-only list of :class:`Event` rows:

=========  ==================================================================================
kind       data
=========  ==================================================================================
pause      ``{"queries": [query wire + "hash"], "effects": [[kind, value], ...]}``
answer     ``{"query_id", "text", "usage"}``
end        ``{"outcome": <wire object>, "effects": [...]}`` (completed / error)
cancel     ``{"outcome": <wire object>}``
=========  ==================================================================================

``effects`` are the values the step read from the outside world (clock, ``os.getenv``, loaded
sources, ``alc.state``): recorded live, served back on replay, so re-running the strategy gives
the same prompts. Replay itself lives in ``session.py``; this module only stores.

Every write is one transaction that first checks the session's ``head`` (last event number):
if another process appended in between, the write raises :class:`~alc.engine.errors.Conflict`
and changes nothing. Nothing is ever rewritten; only :meth:`Store.purge` deletes whole sessions.

Two implementations: :class:`MemoryStore` (a process-local dict, for embedding and tests) and
:class:`SQLiteStore` (stdlib ``sqlite3`` in WAL mode; the default for the CLI and MCP server).
A shared server database (PostgreSQL, ...) plugs in by implementing :class:`Store` with the same
transaction rule (``SELECT ... FOR UPDATE`` on the session row, compare ``head``, insert the
events, update the row, commit); see docs/operations.md.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sqlite3
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from alc.engine.errors import Conflict, SessionNotFound, StoreUnavailable
from alc.engine.protocol import TERMINAL_STATES

__all__ = [
    "TERMINAL_STATES",
    "Event",
    "MemoryStore",
    "SQLiteStore",
    "SessionRecord",
    "Store",
    "Summary",
    "open_store",
]


@dataclass(frozen=True)
class SessionRecord:
    """What a session is, fixed at creation: enough to rebuild it by replay.

    Attributes:
        session_id: ``s-`` + 32 hex digits.
        created_at: Unix epoch seconds.
        strategy: the strategy package name, or None for inline code.
        code: the inline code, or None for a strategy (its files are pinned as effects).
        ctx: the JSON ctx the session started with.
        math_seed / hash_seed: the session's seeds.
        limits: the ``Limits`` as a dict (includes ``lua_version``).
    """

    session_id: str
    created_at: float
    strategy: str | None
    code: str | None
    ctx: Any
    math_seed: int
    hash_seed: int
    limits: dict[str, Any]

    def to_json(self) -> str:
        return json.dumps(self.__dict__, sort_keys=True, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> SessionRecord:
        """Raises ValueError or TypeError when ``text`` is not a record's JSON."""
        return cls(**_object(text))


class Event(NamedTuple):
    """One journal row: ``seq`` counts from 1 within the session."""

    seq: int
    kind: str
    data: dict[str, Any]


@dataclass(slots=True)
class Summary:
    """The session row other processes read for ``status`` and listings.

    Attributes:
        session_id, strategy, created_at, updated_at (epoch seconds), state.
        head: the seq of the last event (0 before the first).
        pending: the open pause's queries in wire shape (empty unless paused).
        answered: ids of those already answered (partial batch).
        llm_calls: queries issued so far.
        progress: last ``alc.progress`` or None; log: recent log lines.
        outcome: the terminal wire object, or None.
    """

    session_id: str
    strategy: str | None
    created_at: float
    updated_at: float
    state: str
    head: int = 0
    pending: tuple[dict[str, Any], ...] = ()
    answered: tuple[str, ...] = ()
    llm_calls: int = 0
    progress: dict[str, Any] | None = None
    log: tuple[dict[str, Any], ...] = ()
    outcome: dict[str, Any] | None = None

    def extra_json(self) -> str:
        return json.dumps(
            {
                "pending": list(self.pending),
                "answered": list(self.answered),
                "llm_calls": self.llm_calls,
                "progress": self.progress,
                "log": list(self.log),
                "outcome": self.outcome,
            },
            ensure_ascii=False,
        )


class Store(ABC):
    """The journal interface. Implementations must be safe to call from several threads."""

    path: str = ":memory:"

    @abstractmethod
    def create(
        self, record: SessionRecord, events: Sequence[tuple[str, dict[str, Any]]], summary: Summary
    ) -> int:
        """Insert a new session with its first events; returns the new head."""

    @abstractmethod
    def append(
        self,
        session_id: str,
        expected_head: int,
        events: Sequence[tuple[str, dict[str, Any]]],
        summary: Summary,
    ) -> int:
        """Append events atomically if the head is still ``expected_head``; returns the new head.

        Raises:
            Conflict: the head moved (another writer got there first); nothing was written.
            SessionNotFound: no such session.
        """

    @abstractmethod
    def load(self, session_id: str) -> tuple[SessionRecord, list[Event], Summary]:
        """The record, every event in order, and the summary.

        Raises:
            SessionNotFound: no such session.
        """

    @abstractmethod
    def summary(self, session_id: str) -> Summary:
        """The summary row. Raises SessionNotFound."""

    @abstractmethod
    def list(
        self, states: Iterable[str] | None = None, limit: int = 100, strategy: str | None = None
    ) -> list[Summary]:
        """Summaries, most recently updated first, optionally filtered by state and strategy."""

    @abstractmethod
    def put_source(self, digest: str, text: str) -> None:
        """Keep a source file's text under its content hash (idempotent)."""

    @abstractmethod
    def get_source(self, digest: str) -> str | None:
        """The text stored under ``digest``, or None."""

    @abstractmethod
    def purge(self, before: float, states: Iterable[str]) -> int:
        """Delete sessions in ``states`` not updated since ``before``; returns how many."""

    @abstractmethod
    def delete(self, session_id: str) -> bool:
        """Delete one session and its events; returns whether it existed."""

    # persistent key-value store behind alc.state (values are JSON text)
    @abstractmethod
    def kv(self, op: str, ns: str, key: str | None, *args: Any) -> Any:
        """Run one ``alc.state`` operation atomically.

        ``op``: ``get`` (-> JSON text or None), ``set`` (value JSON), ``keys`` (-> sorted list),
        ``delete`` (-> existed), ``has`` (-> bool), ``set_nx`` (value JSON -> written),
        ``incr`` (delta, default -> new number).

        Raises:
            ValueError: ``incr`` on a value that is not a number.
        """

    # engine-internal records (thought-chain bindings, ...): a key space of its own that no
    # alc.state namespace can reach, whatever name a strategy picks for ctx._ns
    @abstractmethod
    def get_internal(self, space: str, key: str) -> str | None:
        """The engine-internal record ``(space, key)`` (text), or None."""

    @abstractmethod
    def set_internal(self, space: str, key: str, value: str) -> None:
        """Write the engine-internal record ``(space, key)``."""

    def close(self) -> None:  # noqa: B027 - optional hook, not abstract
        """Release resources (no-op by default)."""


def _incr_value(current: str | None, delta: Any, default: Any) -> int | float:
    base = json.loads(current) if current is not None else default
    if isinstance(base, bool) or not isinstance(base, int | float):
        raise ValueError("alc.state.incr: the stored value is not a number")
    if isinstance(delta, bool) or not isinstance(delta, int | float):
        raise ValueError("alc.state.incr: delta must be a number")
    return base + delta


class MemoryStore(Store):
    """Process-local store: sessions survive eviction but not the process. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[str, SessionRecord] = {}
        self._events: dict[str, list[Event]] = {}
        self._summaries: dict[str, Summary] = {}
        self._sources: dict[str, str] = {}
        self._kv: dict[tuple[str, str], str] = {}
        self._internal: dict[tuple[str, str], str] = {}

    def create(
        self, record: SessionRecord, events: Sequence[tuple[str, dict[str, Any]]], summary: Summary
    ) -> int:
        with self._lock:
            self._records[record.session_id] = record
            self._events[record.session_id] = []
            return self._append(record.session_id, events, summary)

    def _append(
        self, session_id: str, events: Sequence[tuple[str, dict[str, Any]]], summary: Summary
    ) -> int:
        log = self._events[session_id]
        for kind, data in events:
            log.append(Event(len(log) + 1, kind, data))
        summary.head = len(log)
        self._summaries[session_id] = summary
        return len(log)

    def append(
        self,
        session_id: str,
        expected_head: int,
        events: Sequence[tuple[str, dict[str, Any]]],
        summary: Summary,
    ) -> int:
        with self._lock:
            log = self._events.get(session_id)
            if log is None:
                raise SessionNotFound(session_id)
            if len(log) != expected_head:
                raise _conflict(session_id)
            return self._append(session_id, events, summary)

    def load(self, session_id: str) -> tuple[SessionRecord, list[Event], Summary]:
        with self._lock:
            if session_id not in self._records:
                raise SessionNotFound(session_id)
            return (
                self._records[session_id],
                list(self._events[session_id]),
                self._summaries[session_id],
            )

    def summary(self, session_id: str) -> Summary:
        try:
            return self._summaries[session_id]
        except KeyError:
            raise SessionNotFound(session_id) from None

    def list(
        self, states: Iterable[str] | None = None, limit: int = 100, strategy: str | None = None
    ) -> list[Summary]:
        wanted = set(states) if states is not None else None
        with self._lock:
            rows = [
                s
                for s in self._summaries.values()
                if (wanted is None or s.state in wanted)
                and (strategy is None or s.strategy == strategy)
            ]
        rows.sort(key=lambda s: s.updated_at, reverse=True)
        return rows[:limit]

    def put_source(self, digest: str, text: str) -> None:
        self._sources[digest] = text

    def get_source(self, digest: str) -> str | None:
        return self._sources.get(digest)

    def purge(self, before: float, states: Iterable[str]) -> int:
        wanted = set(states)
        with self._lock:
            doomed = [
                sid
                for sid, s in self._summaries.items()
                if s.state in wanted and s.updated_at < before
            ]
            for sid in doomed:
                self._drop(sid)
        return len(doomed)

    def delete(self, session_id: str) -> bool:
        with self._lock:
            if session_id not in self._records:
                return False
            self._drop(session_id)
            return True

    def _drop(self, session_id: str) -> None:
        del self._records[session_id], self._events[session_id], self._summaries[session_id]

    def kv(self, op: str, ns: str, key: str | None, *args: Any) -> Any:
        with self._lock:
            if op == "keys":
                return sorted(k for (n, k) in self._kv if n == ns)
            assert key is not None
            slot = (ns, key)
            if op == "get":
                return self._kv.get(slot)
            if op == "has":
                return slot in self._kv
            if op == "set":
                self._kv[slot] = args[0]
                return None
            if op == "delete":
                return self._kv.pop(slot, None) is not None
            if op == "set_nx":
                if slot in self._kv:
                    return False
                self._kv[slot] = args[0]
                return True
            if op == "incr":
                value = _incr_value(self._kv.get(slot), args[0], args[1])
                self._kv[slot] = json.dumps(value)
                return value
        raise ValueError(f"unknown alc.state operation {op!r}")

    def get_internal(self, space: str, key: str) -> str | None:
        with self._lock:
            return self._internal.get((space, key))

    def set_internal(self, space: str, key: str, value: str) -> None:
        with self._lock:
            self._internal[(space, key)] = value


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
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        synchronous: str | None = None,
        busy_timeout_ms: int = 10_000,
    ) -> None:
        self.path = str(path)
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

    def _write(
        self, session_id: str, first_seq: int, events: Sequence[tuple[str, dict[str, Any]]]
    ) -> int:
        seq = first_seq
        for kind, data in events:
            seq += 1
            self._db.execute(
                "INSERT INTO events (session_id, seq, kind, data) VALUES (?, ?, ?, ?)",
                (session_id, seq, kind, json.dumps(data, ensure_ascii=False)),
            )
        return seq

    def create(
        self, record: SessionRecord, events: Sequence[tuple[str, dict[str, Any]]], summary: Summary
    ) -> int:
        with self._lock:
            with self._transaction():
                head = self._write(record.session_id, 0, events)
                self._db.execute(
                    "INSERT INTO sessions (id, strategy, state, created_at, updated_at, head, "
                    "record, extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        record.session_id,
                        record.strategy,
                        summary.state,
                        record.created_at,
                        summary.updated_at,
                        head,
                        record.to_json(),
                        summary.extra_json(),
                    ),
                )
            return head

    def append(
        self,
        session_id: str,
        expected_head: int,
        events: Sequence[tuple[str, dict[str, Any]]],
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
                    raise _conflict(session_id)
                head = self._write(session_id, expected_head, events)
                self._db.execute(
                    "UPDATE sessions SET state = ?, updated_at = ?, head = ?, extra = ? "
                    "WHERE id = ?",
                    (summary.state, summary.updated_at, head, summary.extra_json(), session_id),
                )
            return head

    def load(self, session_id: str) -> tuple[SessionRecord, list[Event], Summary]:
        with self._lock:
            self._db.execute("BEGIN")
            try:
                row = self._db.execute(
                    "SELECT id, strategy, state, created_at, updated_at, head, record, extra "
                    "FROM sessions WHERE id = ?",
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
        with _decoding(self.path, session_id):
            events = [Event(seq, kind, _object(data)) for seq, kind, data in rows]
            return SessionRecord.from_json(row[6]), events, _summary(row)

    def summary(self, session_id: str) -> Summary:
        with self._lock:
            row = self._db.execute(
                "SELECT id, strategy, state, created_at, updated_at, head, record, extra "
                "FROM sessions WHERE id = ?",
                (session_id,),
            ).fetchone()
        if row is None:
            raise SessionNotFound(session_id)
        with _decoding(self.path, session_id):
            return _summary(row)

    def list(
        self, states: Iterable[str] | None = None, limit: int = 100, strategy: str | None = None
    ) -> list[Summary]:
        sql = (
            "SELECT id, strategy, state, created_at, updated_at, head, record, extra FROM sessions"
        )
        params: list[Any] = []
        where = []
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
            with _decoding(self.path, str(r[0])):
                summaries.append(_summary(r))
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

    def kv(self, op: str, ns: str, key: str | None, *args: Any) -> Any:
        with self._lock:
            db = self._db
            if op == "keys":
                return [
                    r[0] for r in db.execute("SELECT key FROM kv WHERE ns = ? ORDER BY key", (ns,))
                ]
            if op == "get":
                row = db.execute(
                    "SELECT value FROM kv WHERE ns = ? AND key = ?", (ns, key)
                ).fetchone()
                return row[0] if row else None
            if op == "has":
                return (
                    db.execute("SELECT 1 FROM kv WHERE ns = ? AND key = ?", (ns, key)).fetchone()
                    is not None
                )
            if op == "set":
                db.execute(
                    "INSERT INTO kv (ns, key, value) VALUES (?, ?, ?) "
                    "ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value",
                    (ns, key, args[0]),
                )
                return None
            if op == "delete":
                return db.execute("DELETE FROM kv WHERE ns = ? AND key = ?", (ns, key)).rowcount > 0
            if op == "set_nx":
                return (
                    db.execute(
                        "INSERT OR IGNORE INTO kv (ns, key, value) VALUES (?, ?, ?)",
                        (ns, key, args[0]),
                    ).rowcount
                    > 0
                )
            if op == "incr":
                with self._transaction():
                    row = db.execute(
                        "SELECT value FROM kv WHERE ns = ? AND key = ?", (ns, key)
                    ).fetchone()
                    value = _incr_value(row[0] if row else None, args[0], args[1])
                    db.execute(
                        "INSERT INTO kv (ns, key, value) VALUES (?, ?, ?) "
                        "ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value",
                        (ns, key, json.dumps(value)),
                    )
                return value
        raise ValueError(f"unknown alc.state operation {op!r}")

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
    for name in (
        "create",
        "append",
        "load",
        "summary",
        "list",
        "put_source",
        "get_source",
        "purge",
        "delete",
        "kv",
        "get_internal",
        "set_internal",
    ):
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


def _summary(row: tuple[Any, ...]) -> Summary:
    extra = _object(row[7])
    pending = extra.get("pending", ())
    answered = extra.get("answered", ())
    llm_calls = extra.get("llm_calls", 0)
    progress, outcome = extra.get("progress"), extra.get("outcome")
    log = extra.get("log", ())
    if not (
        isinstance(pending, list | tuple)
        and all(isinstance(q, dict) for q in pending)
        and isinstance(answered, list | tuple)
        and all(isinstance(a, str) for a in answered)
        and isinstance(llm_calls, int)
        and isinstance(log, list | tuple)
        and isinstance(progress, dict | None)
        and isinstance(outcome, dict | None)
    ):
        raise ValueError("the summary row has fields of the wrong type")
    return Summary(
        session_id=row[0],
        strategy=row[1],
        state=row[2],
        created_at=row[3],
        updated_at=row[4],
        head=row[5],
        pending=tuple(pending),
        answered=tuple(answered),
        llm_calls=llm_calls,
        progress=progress,
        log=tuple(log),
        outcome=outcome,
    )


def _object(text: Any) -> dict[str, Any]:
    """A stored JSON object (a row's record, summary or event data).

    Raises:
        ValueError: the text is not JSON, or not an object.
    """
    if not isinstance(text, str | bytes):
        raise ValueError(f"a stored value is {type(text).__name__}, not JSON text")
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError(f"a stored value is a JSON {type(value).__name__}, not an object")
    return value


@contextlib.contextmanager
def _decoding(path: str, session_id: str) -> Iterator[None]:
    """Turn a row that cannot be decoded (corrupted or hand-edited) into ``store_unavailable``."""
    try:
        yield
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
        raise StoreUnavailable(
            f"The session store at {path} holds a corrupted row for session {session_id} "
            f"({type(exc).__name__}: {str(exc)[:200]}); the session cannot be read. Delete it "
            "or restore the store from a backup.",
            session_id=session_id,
            next_step="delete_session",
        ) from exc


def _conflict(session_id: str) -> Conflict:
    return Conflict(
        f"Session {session_id} was advanced by another process or task at the same time; "
        "nothing was applied. Read its state and answer the current queries.",
        session_id=session_id,
    )


def open_store(store: Store | str | os.PathLike[str] | None) -> Store:
    """A Store from what a user passed: a Store, a path (SQLite), or None (in memory)."""
    if store is None:
        return MemoryStore()
    if isinstance(store, Store):
        return store
    return SQLiteStore(store)
