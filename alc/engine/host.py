"""The Lua-facing services of one session (the :class:`~alc.engine.lua.Host` it gives its VM).

A session hands its host one frozen :class:`SessionRuntime`: everything the strategy may read or
leave behind (time, environment, sources, ``alc.state``, log, progress, stats), and nothing of the
session's state machine. Every read of the outside world goes through the runtime's
:class:`~alc.engine.effects.Effects`, so replay sees the same values.
"""

from __future__ import annotations

import json
import os
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from alc.engine.accounting import SessionStats
from alc.engine.cards import CARD_OPERATIONS, Cards
from alc.engine.clock import Clock
from alc.engine.effects import Effects
from alc.engine.errors import AlcError, SourceChanged, StateQuotaExceeded
from alc.engine.executor import current_control
from alc.engine.packages import PackageResolver, source_hash
from alc.engine.protocol import Limits
from alc.engine.store import ScopedState, Store
from alc.engine.tenancy import check_scope_name

__all__ = [
    "ENV_ALLOW_VARIABLE",
    "ENV_INJECT_PREFIX",
    "ENV_RESERVED_PREFIX",
    "LOG_LINES",
    "LOG_LINE_CHARS",
    "PROGRESS_CHARS",
    "STATE_BACKUP_SUFFIX",
    "STATS_KEYS",
    "STATS_VALUE_BYTES",
    "Observations",
    "SessionHost",
    "SessionRuntime",
    "injected_env",
    "lua_env",
    "lua_getenv",
]

ENV_RESERVED_PREFIX = "ALC_"
"""The engine's own settings (tokens, store URL, executor, ...): no name with this prefix (in any
letter case) is ever visible to Lua, whatever the allow-list says."""
ENV_INJECT_PREFIX = "ALC_ENV_"
"""A variable ``ALC_ENV_<NAME>`` of the serving process is ``alc.env.<NAME>`` and
``os.getenv("<NAME>")`` (an operator's explicit grant of one value)."""
ENV_ALLOW_VARIABLE = "ALC_LUA_ENV_ALLOW"
"""Comma-separated names of host variables Lua may read under their own names (``alc.env`` and
``os.getenv``); names starting with :data:`ENV_RESERVED_PREFIX` are ignored."""
STATE_BACKUP_SUFFIX = ".bak"
"""``alc.state.reset`` keeps the previous value under ``<key>.bak``; ``alc.state.list`` hides it."""
LOG_LINES = 20
"""Log lines a session keeps in memory and shows in its summary (the most recent ones)."""
LOG_LINE_CHARS = 4096
"""A session log line (``print``, ``alc.log``) keeps at most this many characters."""
PROGRESS_CHARS = 1024
"""An ``alc.progress`` message keeps at most this many characters."""
STATS_VALUE_BYTES = 64 * 1024
"""The JSON of one ``alc.stats.record`` value may be at most this long (it is journaled)."""
STATS_KEYS = 1000
"""At most this many distinct ``alc.stats`` keys per session."""


_NO_LOG: deque[dict[str, Any]] = deque(maxlen=0)
"""The log of a session that has not logged yet (shared and always empty: an empty deque is
~0.7 KB, kept by every paused session)."""


@dataclass
class Observations:
    """What a session's strategy left behind for the session to show or act on.

    Attributes:
        log: the most recent log lines, ``{"level", "message"}``.
        progress: the last ``alc.progress`` call, ``{"step", "total", "message"}``, or None.
        source_changed: set when a pinned source was missing from the store during the step; the
            session then fails with ``source_changed`` whatever the step's own result.
    """

    log: deque[dict[str, Any]] = field(default_factory=lambda: _NO_LOG)
    progress: dict[str, Any] | None = None
    source_changed: SourceChanged | None = None
    state_quota_exceeded: bool = False


@dataclass(frozen=True)
class SessionRuntime:
    """The per-session services and sinks the host works with (frozen: the references are fixed).

    Attributes:
        session_id / namespace / limits: the session's identity, ``alc.state`` namespace
            (``ctx._ns``, default ``"default"``) and limits.
        effects: where outside reads are recorded (live) or served from (replay).
        clock / store / resolver: time, the store (sources, key-value state), the package path.
        stats: the session's counters (``alc.stats`` values live in ``stats.custom``).
        observations: log, progress, incidents.
        budget_remaining: what is left of ``ctx.budget`` (None without one).
        env: the values the driver injected for ``alc.env`` (``ctx._env``, see
            :func:`injected_env`); the configuration's ``ALC_ENV_*`` come under them.
        tenant: the session's owner (None without tenancy): its ``alc.state`` values and cards
            are the tenant's own (the store keeps the tenant in a column of its own).
    """

    session_id: str
    namespace: str
    limits: Limits
    effects: Effects
    clock: Clock
    store: Store
    resolver: PackageResolver
    stats: SessionStats
    observations: Observations
    budget_remaining: Callable[[], dict[str, Any] | None]
    env: Mapping[str, str] = field(default_factory=dict)
    tenant: str | None = None

    def now(self, *, counted: bool = True) -> float:
        """Unix seconds as the strategy sees them (recorded live, replayed later).

        ``counted=False`` for the engine's own reads (see :meth:`Effects.read`).
        """
        return float(self.effects.read("time", self.clock.time, counted=counted))


class SessionHost:
    """The :class:`~alc.engine.lua.Host` of one session: what its Lua code may call back into."""

    def __init__(self, runtime: SessionRuntime) -> None:
        self._rt = runtime

    def now(self) -> float:
        return self._rt.now()

    def clock(self) -> float:
        rt = self._rt
        return float(rt.effects.read("cpu", rt.clock.cpu))

    def log(self, level: str, message: str) -> None:
        observations = self._rt.observations
        if observations.log is _NO_LOG:  # the first line: most sessions never log
            observations.log = deque(maxlen=LOG_LINES)
        observations.log.append(
            {"level": _clip(str(level), 32), "message": _clip(str(message), LOG_LINE_CHARS)}
        )

    def progress(self, step: Any, total: Any, message: Any) -> None:
        if isinstance(message, str):
            message = _clip(message, PROGRESS_CHARS)
        elif message is not None and not isinstance(message, int | float | bool):
            raise ValueError("alc.progress: the message must be a string")
        for value in (step, total):
            if value is not None and not isinstance(value, int | float):
                raise ValueError("alc.progress: step and total must be numbers")
        report = {"step": step, "total": total, "message": message}
        self._rt.observations.progress = report
        control = current_control()  # the live request's (never set during replay)
        if control is not None:
            control.report(dict(report))

    def stats_record(self, key: str, value_json: str) -> None:
        custom = self._rt.stats.custom
        if len(value_json) > STATS_VALUE_BYTES:
            raise ValueError(
                f"alc.stats.record: the value of {_clip(key, 64)!r} is {len(value_json):,} bytes "
                f"of JSON, over the bound of {STATS_VALUE_BYTES:,}; record a summary instead"
            )
        if key not in custom and len(custom) >= STATS_KEYS:
            raise ValueError(f"alc.stats.record: a session records at most {STATS_KEYS} keys")
        custom[key] = json.loads(value_json)

    def stats_get(self, key: str) -> Any:
        return self._rt.stats.custom.get(key)

    def budget_remaining(self) -> dict[str, Any] | None:
        return self._rt.budget_remaining()

    def session_info(self, what: str) -> Any:
        """``alc.stats.llm_calls()`` (``"llm_calls"``) or ``alc.env`` (``"env"``).

        ``env`` is the configuration's ``ALC_ENV_<NAME>`` variables (read once, a recorded
        effect, so replay sees the values of the first run) overridden by the driver's
        ``ctx._env`` (part of the journaled ctx). Nothing else of the host environment.
        """
        rt = self._rt
        if what == "llm_calls":
            return rt.stats.llm_calls
        if what == "env":
            configured = rt.effects.read("env:alc", lua_env)
            return {**configured, **rt.env}
        raise ValueError(f"unknown session information {what!r}")

    def getenv(self, name: str) -> str | None:
        """``os.getenv(name)``: the allow-listed value (:func:`lua_getenv`), a recorded effect
        (recorded for every name, visible or not, so a replay under another allow-list serves
        the first run's answers)."""
        if not isinstance(name, str):
            return None
        value = self._rt.effects.read("env", lambda: lua_getenv(name))
        return None if value is None else str(value)

    def load_source(self, name: str, kind: str) -> tuple[str, str]:
        rt = self._rt

        def live() -> list[str]:
            if kind == "file":
                root, path = rt.resolver.find_file(name)
            else:
                root, path = rt.resolver.find_module(name)
            text = path.read_text(encoding="utf-8")
            digest = source_hash(text)
            rt.store.put_source(digest, text)
            return [str(path.relative_to(root)), digest]

        chunkname, digest = rt.effects.read("source:" + name, live)
        text = rt.store.get_source(digest)
        if text is None:
            error = SourceChanged(
                f"Session {rt.session_id} pinned {name!r} (sha256 {digest[:12]}) but that "
                "source is not in the store any more; it cannot be replayed faithfully.",
                session_id=rt.session_id,
            )
            rt.observations.source_changed = error
            raise LookupError(error.message)
        return chunkname, text

    def state(self, op: str, key: str | None = None, *args: Any) -> Any:
        rt = self._rt
        if op in ("set", "set_nx") and args and isinstance(args[0], str):
            bound = rt.limits.max_output_bytes
            if len(args[0]) > bound:
                raise ValueError(
                    f"alc.state.{op}: the value is {len(args[0]):,} bytes of JSON, over "
                    f"Limits.max_output_bytes ({bound:,})"
                )
        operation = _STATE_OPERATIONS.get(op)
        if operation is None:
            raise ValueError(f"unknown alc.state operation {op!r}")
        if op in _NAMED_NAMESPACE and key is not None:
            key = check_scope_name(key, f"alc.state.{op} namespace")

        def live() -> Any:
            try:
                return operation(ScopedState(rt.store, rt.tenant), rt.namespace, key, *args)
            except StateQuotaExceeded as exc:  # recorded: replay fails the call the same way
                return {_QUOTA_ERROR: exc.message}

        value = rt.effects.read("state", live)
        if isinstance(value, dict) and _QUOTA_ERROR in value:
            rt.observations.state_quota_exceeded = True
            raise ValueError(str(value[_QUOTA_ERROR]))
        # "get" and "show" answer the stored JSON text: boot.lua decodes it in the VM's process
        if op == "show" and value is None:  # the error (recorded, so replay raises it again)
            raise LookupError(
                f"alc.state.show: key {args[0]!r} not found in namespace {key or rt.namespace!r}"
            )
        if op == "reset" and isinstance(value, str):
            raise LookupError(value)
        return value

    def card(self, op: str, *args: Any) -> Any:
        """``alc.card.<op>(...)`` (see :mod:`alc.engine.cards`), recorded as one ``card`` effect.

        The effect holds the operation's result or its error (no such card, immutable, too
        large, invalid input, store unavailable), so replay serves both back in order without
        touching the store: a card written live is never written again, and a call that failed
        live (and was caught with ``pcall``) fails the same way on replay.
        """
        rt = self._rt
        operation = CARD_OPERATIONS.get(op)
        if operation is None:
            raise ValueError(f"unknown alc.card operation {op!r}")

        def live() -> dict[str, Any]:
            try:
                return {"ok": operation(Cards(rt.store, rt.clock.time, tenant=rt.tenant), *args)}
            except AlcError as exc:  # recorded too: replay fails the call the same way
                return {"error": exc.message}

        outcome = rt.effects.read("card", live)
        if "error" in outcome:
            raise ValueError(outcome["error"])
        return outcome["ok"]  # JSON nulls reach Lua as nil (LuaVM.to_lua)


_STATE_OPERATIONS: dict[str, Callable[..., Any]] = {
    "get": lambda store, ns, key: store.state_get(ns, key),
    "set": lambda store, ns, key, value: store.state_set(ns, key, value),
    "keys": lambda store, ns, key=None: store.state_keys(ns),
    "delete": lambda store, ns, key: store.state_delete(ns, key),
    "has": lambda store, ns, key: store.state_has(ns, key),
    "set_nx": lambda store, ns, key, value: store.state_set_nx(ns, key, value),
    "incr": lambda store, ns, key, delta, default: store.state_incr(ns, key, delta, default),
    # the namespace-addressed ones: `key` carries the namespace named by the strategy (None:
    # the session's own), the key comes after it
    "list": lambda store, ns, named=None: [
        k for k in store.state_keys(named or ns) if not k.endswith(STATE_BACKUP_SUFFIX)
    ],
    "show": lambda store, ns, named, key: store.state_get(named or ns, key),
    "reset": lambda store, ns, named, key, opts: _state_reset(store, named or ns, key, opts),
}
"""``alc.state`` operations as boot.lua names them, onto the store's typed methods."""

_QUOTA_ERROR = "state_quota_exceeded"
"""The key of the recorded outcome of a state write refused by the quota (no operation returns
a dict with it: only ``reset`` returns a dict, its report)."""

_NAMED_NAMESPACE = frozenset({"list", "show", "reset"})
"""The operations whose ``key`` argument is a namespace the strategy names."""


def injected_env(value: Any) -> dict[str, str]:
    """The ``alc.env`` values a driver gave as ``ctx._env``: an object of names to strings
    (numbers and booleans are written as text; other values, or a ``_env`` that is not an
    object, are ignored)."""
    if not isinstance(value, dict):
        return {}
    out: dict[str, str] = {}
    for name, v in value.items():
        if isinstance(v, bool):
            out[str(name)] = "true" if v else "false"
        elif isinstance(v, str | int | float):
            out[str(name)] = str(v)
    return out


def lua_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The host environment as Lua may see it (``alc.env`` and ``os.getenv``; one rule).

    ``{NAME: value}`` of every ``ALC_ENV_<NAME>`` variable, plus every variable named in
    ``ALC_LUA_ENV_ALLOW`` (comma-separated) under its own name (``ALC_ENV_<NAME>`` wins on a
    clash). No name starting with ``ALC_`` (any case) is ever in it: the engine's settings
    (``ALC_TOKENS``, ``ALC_STORE``, ``ALC_HOME``, ...) stay out even when listed.

    Args:
        environ: the environment to read (default ``os.environ``).
    """
    env = os.environ if environ is None else environ
    visible: dict[str, str] = {}
    for name in env.get(ENV_ALLOW_VARIABLE, "").split(","):
        name = name.strip()
        if name and not _reserved(name) and name in env:
            visible[name] = env[name]
    cut = len(ENV_INJECT_PREFIX)
    for name, value in env.items():
        if name.startswith(ENV_INJECT_PREFIX) and not _reserved(name[cut:]) and len(name) > cut:
            visible[name[cut:]] = value
    return visible


def lua_getenv(name: str) -> str | None:
    """``os.getenv(name)`` for Lua: the value of ``name`` in :func:`lua_env`, else None."""
    return lua_env().get(name) if not _reserved(name) else None


def _reserved(name: str) -> bool:
    return name.upper().startswith(ENV_RESERVED_PREFIX)


def _state_reset(store: ScopedState, namespace: str, key: str, opts: Any) -> dict[str, Any] | str:
    """``alc.state.reset``: drop ``opts.steps`` from ``data.completed_steps`` and ``opts.fields``
    from ``data``, keeping the previous value under ``<key>.bak``. Returns the report, or the
    error message (the value is then untouched)."""
    where = f"alc.state.reset: {key!r} in namespace {namespace!r}"
    text = store.state_get(namespace, key)
    if text is None:
        return f"{where} not found"
    value = json.loads(text)
    data = value.get("data") if isinstance(value, dict) else None
    steps, fields = _names(opts, "steps"), _names(opts, "fields")
    done = data.get("completed_steps", []) if isinstance(data, dict) else None
    if done == {}:  # an empty Lua table is stored as {}
        done = []
    if not isinstance(data, dict) or not isinstance(done, list):
        return f"{where}: shape invalid (expected {{data = {{completed_steps = {{...}}, ...}}}})"
    if steps is None or fields is None:
        return "alc.state.reset: opts.steps and opts.fields must be arrays of strings"
    kept = [s for s in done if s not in steps]
    removed_fields = [f for f in fields if f in data and f != "completed_steps"]
    store.state_set(namespace, key + STATE_BACKUP_SUFFIX, text)
    for name in removed_fields:
        del data[name]
    if "completed_steps" in data:
        data["completed_steps"] = kept
    store.state_set(namespace, key, json.dumps(value, sort_keys=True, ensure_ascii=False))
    return {
        "ok": True,
        "backup_key": key + STATE_BACKUP_SUFFIX,
        "steps_removed": len(done) - len(kept),
        "fields_removed": len(removed_fields),
    }


def _names(opts: Any, name: str) -> list[str] | None:
    """``opts[name]`` as a list of strings ([] when absent; None when it is something else)."""
    value = opts.get(name) if isinstance(opts, dict) else None
    if value is None or value == {}:  # an empty Lua table arrives as {}
        return []
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return None


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
