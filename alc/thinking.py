"""Thought chains: reference-style ``sequentialthinking`` calls mapped onto ``thinking`` sessions.

The reference sequential-thinking MCP server takes one tool call per thought and keeps a single
in-memory history for everybody. :class:`ThoughtChains` keeps each chain in a session of the
built-in ``thinking`` strategy instead (``alc/strategies/thinking``): every thought is one
answer fed to that session, so chains are journaled, survive restarts and idle eviction, can be
listed (``alc sessions``), read (``alc show``, :meth:`ThoughtChains.read`) and deleted.

Which chain a call goes to::

    session_id = "s-<32 hex>"   that session (a request error if it does not exist or ended)
    session_id = "<label>"      the client's chain of that label; a new one when the label is
                                unknown, the chain ended, or the call has thoughtNumber == 1
    no session_id               the client's default chain, same rules as a label

Bindings from (client, label) to session ids live in the store's engine-internal records
(:meth:`~alc.engine.store.Store.get_internal`, a key space no ``alc.state`` namespace can reach),
so they survive restarts too. At most ``max_chains`` thinking sessions are kept: starting a chain
beyond that deletes the least recently updated ones.

In process (``in_process=True``, what ``alc mcp`` uses): the built-in ``thinking`` strategy is
alc's own trusted code, so chains are stepped by a registry of their own on an
:class:`~alc.engine.executor.InlineExecutor` without a watchdog thread, on the calling thread,
sharing the engine's store (and so its journal: any other front end reads and continues the same
sessions). A session is stepped there only when its journal pins the built-in ``thinking``
source and no other (checked once per session, from the journal); any other session named by
``session_id`` (a user strategy, a package shadowing ``thinking``, a chain of an older alc) is
fed through the engine, on its own executor, as before. :meth:`ThoughtChains.athink` then runs a
thought of a chain it started or verified, or one that starts a chain, directly on the event
loop thread (no worker-thread hop, and one thread's heap: the server's memory stays flat); a
first touch after a restart, another engine's session or a busy chain on a worker thread.

The arguments are the reference schema (``thought``, ``thoughtNumber``, ``totalThoughts``,
``nextThoughtNeeded``, ``isRevision``, ``revisesThought``, ``branchFromThought``, ``branchId``,
``needsMoreThoughts``) plus ``session_id``; snake_case aliases (``thought_number``, ...) and
numbers or booleans given as strings (``"3"``, ``"true"``) are accepted. The reply holds the
reference reply fields (``thoughtNumber``, ``totalThoughts``, ``nextThoughtNeeded``, ``branches``,
``thoughtHistoryLength``) plus ``session_id``, ``status``, ``branch_tree``, ``warnings`` and
``recent_thoughts``; see :meth:`ThoughtChains.think`.
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alc._api import AsyncEngine, Engine
from alc._services import start_request
from alc.engine._validate import is_session_id
from alc.engine.errors import InvalidInput, SessionFinished, SessionNotFound
from alc.engine.executor import InlineExecutor
from alc.engine.packages import PackageResolver, PackageRoot, builtin_root, source_hash
from alc.engine.protocol import (
    Completed,
    Failed,
    NeedsResponse,
    Outcome,
    Response,
    SessionSnapshot,
)
from alc.engine.registry import SessionRegistry
from alc.engine.store import EndEvent, PauseEvent
from alc.engine.tenancy import current_tenant

__all__ = [
    "DEFAULT_MAX_CHAINS",
    "DEFAULT_MAX_THOUGHTS",
    "STRATEGY",
    "ThoughtChains",
    "ThoughtInput",
    "parse_thought",
]

STRATEGY = "thinking"
"""The strategy every chain is a session of."""
DEFAULT_MAX_CHAINS = 256
"""Thinking sessions kept in a store before the least recently updated are deleted."""
DEFAULT_MAX_THOUGHTS = 200
"""Thoughts per chain before the chain closes (``stopped: "max_thoughts"``)."""

_INTERNAL_SPACE = "alc.thinking.chains"
_LABEL = re.compile(r"[\w.:@/+-]{1,128}")

# (reference camelCase name, accepted aliases, kind)
_FIELDS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("thought", ("thought",), "text"),
    ("thoughtNumber", ("thoughtNumber", "thought_number"), "int"),
    ("totalThoughts", ("totalThoughts", "total_thoughts"), "int"),
    ("nextThoughtNeeded", ("nextThoughtNeeded", "next_thought_needed"), "bool"),
    ("isRevision", ("isRevision", "is_revision"), "bool"),
    ("revisesThought", ("revisesThought", "revises_thought"), "int"),
    ("branchFromThought", ("branchFromThought", "branch_from_thought"), "int"),
    ("branchId", ("branchId", "branch_id"), "id"),
    ("needsMoreThoughts", ("needsMoreThoughts", "needs_more_thoughts"), "bool"),
)
_SESSION_KEYS = ("session_id", "sessionId")
_EXTRA_KEYS = ("task",)
_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}


@dataclass(frozen=True)
class ThoughtInput:
    """One normalised ``sequentialthinking`` call.

    Attributes:
        fields: the reference fields that were given, camelCase, with proper JSON types.
        session_id: the ``session_id`` argument (an engine id or a chain label), or None.
        task: what the chain is about (only used when the call starts a chain), or None.
        ignored: names of unknown arguments (reported back as warnings).
    """

    fields: dict[str, Any]
    session_id: str | None
    task: str | None
    ignored: tuple[str, ...]

    @property
    def thought_number(self) -> int | None:
        value = self.fields.get("thoughtNumber")
        return value if isinstance(value, int) else None

    @property
    def starts_chain(self) -> bool:
        """``thoughtNumber == 1`` on the main line (not a revision, not a branch)."""
        return (
            self.thought_number == 1
            and not self.fields.get("isRevision")
            and "branchId" not in self.fields
            and "branchFromThought" not in self.fields
        )


def _as_int(name: str, value: Any) -> int:
    if isinstance(value, bool):
        raise InvalidInput(f"{name} must be an integer >= 1, not a boolean.")
    number: Any = value
    if isinstance(value, str):
        text = value.strip()
        try:
            number = int(text)
        except ValueError:
            try:
                number = float(text)
            except ValueError:
                raise InvalidInput(f"{name} must be an integer >= 1, got {value!r}.") from None
    if isinstance(number, float):
        if not number.is_integer():
            raise InvalidInput(f"{name} must be an integer >= 1, got {value!r}.")
        number = int(number)
    if not isinstance(number, int) or number < 1:
        raise InvalidInput(f"{name} must be an integer >= 1, got {value!r}.")
    return number


def _as_bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise InvalidInput(f"{name} must be a boolean (true/false), got {value!r}.")


def parse_thought(arguments: Mapping[str, Any]) -> ThoughtInput:
    """Normalise reference-style arguments (camelCase, snake_case, strings for numbers/booleans).

    Only ``thought`` is required here; missing numbers are filled in by the strategy (next
    number, same total, more thoughts needed). JSON ``null`` counts as absent.

    Raises:
        InvalidInput: ``thought`` missing or empty, a number that is not an integer >= 1, a
            boolean that is not one, an empty ``branchId``, a malformed ``session_id``.
    """
    if not isinstance(arguments, Mapping):
        raise InvalidInput("The arguments must be a JSON object.")
    fields: dict[str, Any] = {}
    known: set[str] = set(_SESSION_KEYS) | set(_EXTRA_KEYS)
    for name, aliases, kind in _FIELDS:
        known.update(aliases)
        given = [a for a in aliases if arguments.get(a) is not None]
        if not given:
            continue
        value = arguments[given[0]]
        if kind == "int":
            fields[name] = _as_int(name, value)
        elif kind == "bool":
            fields[name] = _as_bool(name, value)
        elif kind == "id":
            if isinstance(value, int | float) and not isinstance(value, bool):
                value = str(value)
            if not isinstance(value, str) or not value.strip():
                raise InvalidInput("branchId must be a non-empty string.")
            fields[name] = value
        else:
            if not isinstance(value, str):
                raise InvalidInput("thought must be a string.")
            fields[name] = value
    if not str(fields.get("thought", "")).strip():
        raise InvalidInput("thought is required: the text of this thought.")
    session_id: str | None = None
    for key in _SESSION_KEYS:
        raw = arguments.get(key)
        if raw is None or raw == "":
            continue
        if not isinstance(raw, str) or not (is_session_id(raw) or _LABEL.fullmatch(raw)):
            raise InvalidInput(
                f"session_id {raw!r} is neither a session id ('s-' + 32 hex digits) nor a chain "
                "label (1-128 letters, digits and . _ : @ / + -)."
            )
        session_id = raw
        break
    task = arguments.get("task")
    if task is not None and not isinstance(task, str):
        raise InvalidInput("task must be a string.")
    ignored = tuple(sorted(k for k in arguments if k not in known))
    return ThoughtInput(fields=fields, session_id=session_id, task=task or None, ignored=ignored)


class _Slow(Exception):
    """This thought cannot be served on the calling (event loop) thread without waiting: a lock
    held by a worker, a session to verify from its journal, another engine's session. Raised
    before anything was fed or written; :meth:`ThoughtChains.athink` then runs the thought on a
    worker thread."""


_TRUSTED_MAX = 4096
"""Session ids remembered as pinning the built-in ``thinking`` source (least recent dropped)."""


class ThoughtChains:
    """Maps ``sequentialthinking`` calls onto durable sessions of the ``thinking`` strategy.

    Args:
        engine: the engine whose store holds the chains (use a SQLite store for durability);
            an :class:`~alc.AsyncEngine` works too (its blocking engine runs the chains, and
            :meth:`athink` keeps the event loop free).
        max_chains: thinking sessions kept in the store; older ones are deleted when a new chain
            starts beyond this.
        max_thoughts: thoughts per chain before it closes.
        recent: how many recent thoughts each reply echoes.
        in_process: step the chains of the built-in strategy in this process, on the calling
            thread (see the module docstring), whatever executor ``engine`` has.

    Blocking and thread-safe: calls for different chains run in parallel, calls for one chain
    (one client and label) one at a time. From async code call :meth:`athink`.
    """

    def __init__(
        self,
        engine: Engine | AsyncEngine,
        *,
        max_chains: int = DEFAULT_MAX_CHAINS,
        max_thoughts: int = DEFAULT_MAX_THOUGHTS,
        recent: int = 3,
        in_process: bool = False,
    ) -> None:
        if max_chains < 1 or max_thoughts < 1 or recent < 0:
            raise InvalidInput("max_chains and max_thoughts must be >= 1, recent >= 0.")
        self.engine: Engine = engine.engine if isinstance(engine, AsyncEngine) else engine
        self.max_chains = max_chains
        self.max_thoughts = max_thoughts
        self.recent = recent
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self._local: SessionRegistry | None = None
        self._builtin = ""
        self._trusted: OrderedDict[str, None] = OrderedDict()
        if in_process:
            self._local = _local_registry(self.engine.registry)
            self._builtin = source_hash(_builtin_source().read_text(encoding="utf-8"))

    # ------------------------------------------------------------------ the tool call

    def think(self, arguments: Mapping[str, Any], *, client: str = "default") -> dict[str, Any]:
        """Record one thought and return the chain's state.

        Args:
            arguments: the tool arguments (see the module docstring).
            client: whose default chain and labels are meant (one MCP connection, one agent).

        Returns:
            ``{"thoughtNumber", "totalThoughts", "nextThoughtNeeded", "branches": [ids],
            "thoughtHistoryLength", "session_id", "status": "thinking" | "completed" | "error",
            "branch_tree": {"main": [n...], "branches": [{"branchId", "from", "thoughts"}]},
            "warnings": [str], "recent_thoughts": [{"thoughtNumber", "thought", ...}]}``; a
            completed chain adds ``"counts"`` and ``"stopped"``; a failed session gives its
            error wire object (``status "error"``, ``error``, ``error_code``).

        Raises:
            InvalidInput: malformed arguments.
            SessionNotFound, SessionFinished: an explicit ``s-...`` session id that does not
                exist or has ended (labels and the default chain start a new chain instead).
            Conflict: another process fed the same chain at the same moment.
        """
        return self._think(parse_thought(arguments), client, quick=False)

    async def athink(
        self, arguments: Mapping[str, Any], *, client: str = "default"
    ) -> dict[str, Any]:
        """:meth:`think` from async code. In process, a thought of a chain started or verified
        here (and not in use by a worker), or one that starts a chain, runs right here on the
        event loop thread (a fraction of a millisecond; a start, a millisecond or two); anything
        else runs on a worker thread, so the event loop keeps serving."""
        import anyio.to_thread

        given = parse_thought(arguments)
        if self._local is not None:
            try:
                return self._think(given, client, quick=True)
            except _Slow:
                pass
        call = functools.partial(self._think, given, client, quick=False)
        return await anyio.to_thread.run_sync(call)

    def _think(self, given: ThoughtInput, client: str, *, quick: bool) -> dict[str, Any]:
        """One thought; ``quick``: raise :class:`_Slow` rather than wait or start anything."""
        notes = [f"unknown argument {name!r} ignored" for name in given.ignored]
        payload = json.dumps(given.fields, ensure_ascii=False, sort_keys=True)
        if given.session_id is not None and is_session_id(given.session_id):
            with self._holding(given.session_id, quick):
                fed = self._feed(given.session_id, payload, quick)
            return self._reply(fed, notes)
        label = given.session_id or "default"
        key = f"{client}\x1f{label}"
        outcome: Outcome | None = None
        with self._holding(key, quick):
            bound = self._binding(key)
            if bound is not None and not given.starts_chain:
                try:
                    outcome = self._feed(bound, payload, quick)
                except (SessionNotFound, SessionFinished):
                    notes.append(f"chain {bound} has ended; this thought starts a new chain")
            elif bound is None and given.thought_number not in (None, 1):
                notes.append("no open chain for this client; this thought starts a new chain")
            if outcome is None:
                if quick and self._local is None:
                    raise _Slow
                outcome = self._start(given)
                self._bind(key, outcome.session_id)
                self._prune(keep=outcome.session_id)
        return self._reply(outcome, notes)

    # ------------------------------------------------------------------ reading back

    def chains(self, states: list[str] | None = None, limit: int = 100) -> list[SessionSnapshot]:
        """The thinking sessions of the store, most recently updated first."""
        return self.engine.sessions(states, limit=limit, strategy=STRATEGY)

    def read(self, session_id: str) -> dict[str, Any]:
        """One chain read back from the journal.

        Returns:
            ``{"session_id", "state", "chain": <the last reply view, or the full result once
            completed>, "thoughts": [the thoughts as sent, in order]}``.

        Raises:
            InvalidInput, SessionNotFound.
        """
        transcript = self.engine.transcript(session_id)
        summary = transcript.summary
        if summary.strategy != STRATEGY:
            raise InvalidInput(f"Session {session_id} is not a thought chain ({summary.strategy}).")
        thoughts: list[Any] = []
        first = transcript.ctx.get("first") if isinstance(transcript.ctx, dict) else None
        if first is not None:
            thoughts.append(first)
        for entry in transcript.entries:
            if entry["answer"] is not None:
                thoughts.append(_decode_answer(entry["answer"]))
        chain: Any = None
        outcome = summary.outcome or {}
        if outcome.get("status") == "completed":
            chain = outcome.get("result")
        elif summary.pending:
            chain = summary.pending[0].options.get("chain")
        return {
            "session_id": session_id,
            "state": summary.state,
            "chain": chain,
            "thoughts": thoughts,
        }

    def delete(self, session_id: str) -> bool:
        """Delete a chain and its journal; returns whether it existed."""
        existed = False
        if self._local is not None:
            existed = self._local.delete(session_id)  # drops its VM here too
            with self._guard:
                self._trusted.pop(session_id, None)
        return self.engine.delete(session_id) or existed

    # ------------------------------------------------------------------ internals

    def _lock(self, key: str) -> threading.Lock:
        with self._guard:
            lock = self._locks.get(key)
            if lock is None:
                if len(self._locks) > 4096:  # keep the table bounded; idle locks are cheap
                    self._locks = {k: v for k, v in self._locks.items() if v.locked()}
                lock = self._locks[key] = threading.Lock()
            return lock

    @contextlib.contextmanager
    def _holding(self, key: str, quick: bool) -> Iterator[None]:
        """Hold ``key``'s lock; ``quick``: :class:`_Slow` instead of waiting for it."""
        lock = self._lock(key)
        if not lock.acquire(blocking=not quick):
            raise _Slow
        try:
            yield
        finally:
            lock.release()

    def _feed(self, session_id: str, payload: str, quick: bool) -> Outcome:
        """Feed one thought: in process when the session runs the built-in strategy."""
        if self._local is not None and self._verified(session_id, quick):
            answer = Response.trusted(text=payload, usage=None)
            return self._local.feed(session_id, {None: answer})
        if quick:
            raise _Slow
        return self.engine.feed(session_id, payload)

    def _verified(self, session_id: str, quick: bool) -> bool:
        """Whether the session pins the built-in ``thinking`` source and nothing else (read
        from its journal once, then remembered)."""
        with self._guard:
            if session_id in self._trusted:
                self._trusted.move_to_end(session_id)
                return True
        if quick:
            raise _Slow
        try:
            record, entries, _ = self.engine.store.load(session_id)
        except SessionNotFound:
            return False  # the engine's feed reports it, worded for the request's tenant
        if record.strategy != STRATEGY or record.code is not None:
            return False
        pinned = [
            effect
            for entry in entries
            if isinstance(entry.event, PauseEvent | EndEvent)
            for effect in entry.event.effects
            if isinstance(effect, list | tuple) and str(effect[0]).startswith("source:")
        ]
        trusted = len(pinned) == 1 and _pins(pinned[0], self._builtin)
        if trusted:
            self._remember(session_id)
        return trusted

    def _remember(self, session_id: str) -> None:
        with self._guard:
            self._trusted[session_id] = None
            if len(self._trusted) > _TRUSTED_MAX:
                self._trusted.popitem(last=False)

    def _binding(self, key: str) -> str | None:
        raw = self.engine.store.get_internal(_INTERNAL_SPACE, key)
        if raw is None:
            return None
        try:
            value = json.loads(raw)
        except ValueError:  # a damaged binding: the chain starts afresh
            return None
        return value if is_session_id(value) else None

    def _bind(self, key: str, session_id: str) -> None:
        self.engine.store.set_internal(_INTERNAL_SPACE, key, json.dumps(session_id))

    def _start(self, given: ThoughtInput) -> Outcome:
        ctx: dict[str, Any] = {
            "first": given.fields,
            "max_thoughts": self.max_thoughts,
            "recent": self.recent,
        }
        if given.task:
            ctx["task"] = given.task
        if self._local is None:
            return self.engine.start(strategy=STRATEGY, ctx=ctx)
        code, strategy, request = start_request(None, STRATEGY, ctx, None)
        outcome = self._local.start(code=code, strategy=strategy, ctx=request)
        self._remember(outcome.session_id)  # its resolver knows the built-in strategies only
        return outcome

    def _prune(self, keep: str) -> None:
        """Delete the request tenant's chains beyond the ``max_chains`` most recently updated
        (64 at a time; ids only, so a start costs the same with 10 chains stored as with 300)."""
        for session_id in self.engine.store.session_ids(
            64, self.max_chains, strategy=STRATEGY, tenant=current_tenant()
        ):
            if session_id != keep:
                self.delete(session_id)

    def _reply(self, outcome: Outcome, notes: list[str]) -> dict[str, Any]:
        if isinstance(outcome, NeedsResponse):
            view = dict(outcome.queries[0].options.get("chain") or {})
            reply = _reference_fields(view)
            reply.update(session_id=outcome.session_id, status="thinking")
        elif isinstance(outcome, Completed):
            result = outcome.result if isinstance(outcome.result, dict) else {}
            view = dict(result)
            view["branches"] = result.get("branch_ids", [])
            view["warnings"] = result.get("last_warnings", [])
            reply = _reference_fields(view)
            reply.update(
                session_id=outcome.session_id,
                status="completed",
                counts=result.get("counts", {}),
                stopped=result.get("stopped"),
            )
        elif isinstance(outcome, Failed):
            reply = outcome.wire()
            reply["warnings"] = notes
            return reply
        else:  # Accepted / Cancelled cannot come out of a one-query thinking pause
            reply = outcome.wire()
        reply["warnings"] = [*notes, *reply.get("warnings", [])]
        return reply


def _builtin_source() -> Path:
    return builtin_root() / STRATEGY / "init.lua"


def _pins(effect: Any, digest: str) -> bool:
    """Whether a recorded ``source:`` effect is the built-in strategy's file at ``digest``."""
    value = effect[1] if len(effect) == 2 else None
    return (
        effect[0] == f"source:{STRATEGY}"
        and isinstance(value, list | tuple)
        and len(value) == 2
        and value[1] == digest
    )


def _local_registry(main: SessionRegistry) -> SessionRegistry:
    """A registry on ``main``'s store, limits and clock that steps VMs on the calling thread and
    finds the built-in strategies only."""
    return SessionRegistry(
        main.store,
        resolver=PackageResolver([PackageRoot(builtin_root(), "builtin")]),
        limits=main.limits,
        clock=main.clock,
        idle_ttl=main.idle_ttl,
        retention=main.retention,
        executor=InlineExecutor(watchdog=False),
        maxima=main.maxima,
    )


def _reference_fields(view: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "thoughtNumber": view.get("thoughtNumber", 0),
        "totalThoughts": view.get("totalThoughts", 0),
        "nextThoughtNeeded": bool(view.get("nextThoughtNeeded", False)),
        "branches": list(view.get("branches") or []),
        "thoughtHistoryLength": view.get("thoughtHistoryLength", 0),
        "branch_tree": view.get("branch_tree") or {"main": [], "branches": []},
        "warnings": list(view.get("warnings") or []),
        "recent_thoughts": list(view.get("recent_thoughts") or []),
    }


def _decode_answer(text: str) -> Any:
    try:
        value = json.loads(text)
    except ValueError:
        return {"thought": text}
    return value if isinstance(value, dict) else {"thought": text}
