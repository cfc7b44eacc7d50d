"""The VM factory: one sandboxed lupa ``LuaRuntime`` per session.

:class:`LuaVM` owns the runtime, the strategy coroutine and the conversion of values between Lua
and Python. It knows nothing about sessions, journals or drivers: the session gives it a
:class:`Host` (the per-session services Lua may call back into), frozen :class:`Seeds` and
:class:`~alc.engine.protocol.Limits`, and steps it. The sandbox itself lives in ``boot.lua``.

Value mapping (both directions, shared by every primitive):

=================  ==========================================================
Lua                Python
=================  ==========================================================
string (bytes)     ``str`` (invalid UTF-8 replaced by U+FFFD, consistently)
integer / float    ``int`` / ``float`` (``2.0`` stays a float)
boolean            ``bool``
nil / ``alc.NULL`` ``None`` (``None`` inside a container becomes ``alc.NULL``)
table 1..n         ``list`` (tables from JSON arrays stay arrays, even empty)
other table        ``dict`` with string keys (sorted when encoded)
=================  ==========================================================
"""

from __future__ import annotations

import json
import math
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal, Protocol

import lupa.lua54
import lupa.lua55

from alc.engine.protocol import Limits

__all__ = [
    "HOOK_EVERY",
    "ForkRequest",
    "Host",
    "LuaVM",
    "QuerySpec",
    "Seeds",
    "StepResult",
    "lua_version",
]

HOOK_EVERY = 10_000
"""Instructions between two checks of the instruction and wall-time limits."""

_RUNTIMES = {"5.4": lupa.lua54, "5.5": lupa.lua55}


def lua_version(version: str = "5.5") -> str:
    """The exact Lua release behind a ``Limits.lua_version`` (e.g. ``"Lua 5.5"``)."""
    return str(_RUNTIMES[version].LuaRuntime().lua_implementation)


@dataclass(frozen=True)
class Seeds:
    """The per-session randomness, fixed at creation and journaled, so replay is exact.

    Attributes:
        math_seed: seeds ``math.randomseed`` (and the stdlib RNG helpers).
        hash_seed: Lua 5.5's string-hash seed; fixes ``pairs()`` order over string keys.
    """

    math_seed: int
    hash_seed: int

    @classmethod
    def new(cls) -> Seeds:
        """Fresh random seeds for a new session."""
        return cls(math_seed=secrets.randbits(63), hash_seed=secrets.randbits(32))


@dataclass(slots=True)
class QuerySpec:
    """One query as the strategy asked for it (before the session gives it an id)."""

    prompt: str
    system: str | None
    max_tokens: int
    grounded: bool
    underspecified: bool
    options: dict[str, Any]


@dataclass(frozen=True)
class ForkRequest:
    """An ``alc.fork`` call: run these strategy packages as children with a copy of ``ctx``."""

    strategies: tuple[str, ...]
    ctx: dict[str, Any]
    on_error: str


@dataclass(slots=True)
class StepResult:
    """What one step of the strategy coroutine ended with.

    ``kind`` is ``"yield"`` (``queries`` set), ``"fork"`` (``fork`` set), ``"done"``
    (``result`` set), ``"error"`` (``message`` and ``traceback`` set; ``result`` holds a table
    error object's value, if any), or ``"limit"`` (``code`` is ``timeout`` or ``memory_limit``,
    ``message`` set).
    """

    kind: Literal["yield", "done", "error", "limit", "fork"]
    queries: tuple[QuerySpec, ...] = ()
    fork: ForkRequest | None = None
    result: Any = None
    message: str = ""
    traceback: str = ""
    code: str = ""


class Host(Protocol):
    """The per-session services Lua code may call back into (implemented by the session).

    Every method takes and returns plain Python values. Raising ``ValueError`` / ``TypeError`` /
    ``LookupError`` makes the calling Lua code fail with that message (catchable with ``pcall``).
    """

    def now(self) -> float: ...
    def clock(self) -> float: ...
    def log(self, level: str, message: str) -> None: ...
    def progress(self, step: Any, total: Any, message: Any) -> None: ...
    def stats_record(self, key: str, value_json: str) -> None: ...
    def stats_get(self, key: str) -> Any: ...
    def budget_remaining(self) -> dict[str, Any] | None: ...
    def getenv(self, name: str) -> str | None: ...
    def load_source(self, name: str, kind: str) -> tuple[str, str]: ...
    def state(self, op: str, key: str | None = None, *args: Any) -> Any: ...


_HOST_METHODS = (
    "now",
    "clock",
    "log",
    "progress",
    "stats_record",
    "stats_get",
    "budget_remaining",
    "getenv",
    "state",
)


@cache
def _boot_source() -> str:
    return resources.files("alc.engine").joinpath("boot.lua").read_text(encoding="utf-8")


@cache
def _bytecode(lua_version: str, chunkname: str, source: str) -> bytes:
    """Engine Lua code compiled once per process to stripped bytecode.

    Loading bytecode is ~5x faster than compiling and, without debug info, leaves a smaller
    heap: per-session start time and memory are dominated by boot.lua and the prelude. Only
    engine-owned code is loaded this way, before the sandbox exists; strategies can never load
    binary chunks.
    """
    scratch = _RUNTIMES[lua_version].LuaRuntime(encoding=None)
    dump = scratch.eval(
        "function(src, name) return string.dump(assert(load(src, name, 't')), true) end"
    )
    return bytes(dump(source.encode(), ("=" + chunkname).encode()))


def _deny_attribute(obj: Any, name: Any, *value: Any) -> Any:
    raise AttributeError("Python objects are not accessible from alc strategies")


def _json_decode(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"alc.json_decode: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None


class LuaVM:
    """One sandboxed Lua runtime running one strategy coroutine.

    Args:
        host: callbacks for time, logging, progress, stats, budget, env and source loading.
        limits: memory, instruction, wall-time limits and the Lua version.
        seeds: the session's randomness.
        primitives: extra ``alc.*`` functions implemented in Python (dotted names such as
            ``"match_enum"`` or ``"math.mean"``), called with converted Python values.
        libraries: Lua sources ``(chunkname, source)`` run after boot (the prelude), each
            called with ``(alc, control)``.
        state: the ``alc.state`` operation handler ``(op, args) -> value``.

    Not thread-safe: the session steps it from one thread at a time.
    """

    def __init__(
        self,
        host: Host,
        limits: Limits,
        seeds: Seeds,
        primitives: Mapping[str, Callable[..., Any]] = {},
        libraries: Sequence[tuple[str, str]] = (),
    ) -> None:
        module = _RUNTIMES[limits.lua_version]
        options: dict[str, Any] = {
            "encoding": None,
            "register_eval": False,
            "register_builtins": False,
            "unpack_returned_tuples": True,
            "attribute_handlers": (_deny_attribute, _deny_attribute),
            "max_memory": limits.max_memory,
        }
        if limits.lua_version == "5.5":
            options["string_hash_seed"] = seeds.hash_seed
        self._runtime = module.LuaRuntime(**options)
        self._memory_error = module.LuaMemoryError
        self._lua_error = module.LuaError
        self._lua_type = module.lua_type
        self._limits = limits
        self._step_seconds = float(limits.max_step_seconds)
        self._host = host
        self._table_from = self._runtime.table_from

        host_table = self._runtime.table()
        for name in _HOST_METHODS:
            host_table[name.encode()] = self._wrap(getattr(host, name))
        host_table[b"load_source"] = self._wrap_source(host.load_source)
        host_table[b"json_decode"] = self._wrap(_json_decode)
        host_table[b"monotonic"] = time.monotonic
        cfg = self._runtime.table_from(
            {
                b"math_seed": seeds.math_seed,
                b"max_ticks": max(1, limits.max_instructions // HOOK_EVERY),
                b"max_step_seconds": float(limits.max_step_seconds),
                b"hook_every": HOOK_EVERY,
            }
        )
        self._runtime.globals()[b"python"] = None
        raw_load = self._runtime.eval("load")
        version = limits.lua_version
        boot_chunk = raw_load(_bytecode(version, "alc/boot.lua", _boot_source()), b"=boot", b"b")
        boot = boot_chunk(host_table, cfg)
        self._control = boot
        self._step = boot[b"step"]
        self._encode = boot[b"encode"]
        self._mark_array = boot[b"mark_array"]
        self._null = boot[b"NULL"]
        for path, fn in primitives.items():
            boot[b"install"](path.encode(), self._wrap(fn))
        for chunkname, source in libraries:
            library = raw_load(_bytecode(version, chunkname, source), chunkname.encode(), b"b")
            library(boot[b"alc"], boot)
        # free the garbage of setup (about half of a fresh VM's heap) before the session starts
        self._runtime.eval("collectgarbage")(b"collect")

    # ------------------------------------------------------------------ conversion

    def to_py(self, value: Any) -> Any:
        """Convert a Lua value to plain Python (see the module table)."""
        kind = type(value)
        if kind is bytes:
            return value.decode("utf-8", "replace")
        if kind is float:
            return value if math.isfinite(value) else None  # JSON has no NaN or infinities
        if value is None or kind is bool or kind is int:
            return value
        lua_kind = self._lua_type(value)
        if lua_kind == "table":
            encoded: bytes = self._encode(value)
            return json.loads(encoded.decode("utf-8", "replace"))
        raise TypeError(f"cannot convert a Lua {lua_kind or type(value).__name__} to a value")

    def to_lua(self, value: Any, *, nested: bool = False) -> Any:
        """Convert a plain Python value to Lua (see the module table)."""
        if value is None:
            return self._null if nested else None
        if isinstance(value, str):
            return value.encode("utf-8", "surrogatepass")
        if isinstance(value, bool | float):
            return value
        if isinstance(value, int):
            return value if -(2**63) <= value < 2**63 else float(value)
        if isinstance(value, Mapping):
            return self._table_from(
                {str(k).encode(): self.to_lua(v, nested=True) for k, v in value.items()}
            )
        if isinstance(value, list | tuple):
            return self._mark_array(self._table_from([self.to_lua(v, nested=True) for v in value]))
        raise TypeError(f"cannot pass a Python {type(value).__name__} to Lua")

    def _wrap(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        to_py, to_lua = self.to_py, self.to_lua

        def call(*args: Any) -> tuple[bool, Any]:
            try:
                return True, to_lua(fn(*[to_py(a) for a in args]))
            except (ValueError, TypeError, LookupError, self._lua_error) as exc:
                return False, str(exc).encode()

        return call

    def _wrap_source(self, fn: Callable[[str, str], tuple[str, str]]) -> Callable[..., Any]:
        def call(name: bytes, kind: bytes | None = None) -> tuple[bool, bytes, bytes | None]:
            try:
                chunkname, source = fn(self.to_py(name), self.to_py(kind) or "module")
            except (ValueError, LookupError, OSError) as exc:
                return False, str(exc).encode(), None
            return True, chunkname.encode(), source.encode()

        return call

    # ------------------------------------------------------------------ running

    def start_code(self, code: str, ctx: Any, chunkname: str = "=code") -> None:
        """Prepare inline code as the strategy: it sees ``ctx`` as a global and as ``...``.

        Raises:
            SyntaxError: the code does not compile (message from Lua).
        """
        loaded = self._control[b"text_load"](code.encode(), chunkname.encode(), b"t")
        if isinstance(loaded, tuple):  # (nil, message)
            raise SyntaxError(self.to_py(loaded[1]))
        fn = loaded
        lua_ctx = self.to_lua(ctx)
        self._runtime.globals()[b"ctx"] = lua_ctx
        self._control[b"start"](fn, lua_ctx)

    def start_strategy(self, name: str, ctx: Any) -> None:
        """Prepare ``require(name).run(ctx)`` as the strategy (``ctx`` also a global).

        A result equal to ``ctx`` itself is read as ``ctx.result`` (the algocline convention).
        """
        lua_ctx = self.to_lua(ctx)
        runner = self._runtime.execute(
            b"local name, ctx = ...\n"
            b"return function()\n"
            b"  local pkg = require(name)\n"
            b"  if type(pkg) ~= 'table' or type(pkg.run) ~= 'function' then\n"
            b"    error('strategy ' .. name .. ' must return a table with run(ctx)', 0)\n"
            b"  end\n"
            b"  local result = pkg.run(ctx)\n"
            b"  if rawequal(result, ctx) and ctx.result ~= nil then return ctx.result end\n"
            b"  return result\n"
            b"end\n",
            name.encode(),
            lua_ctx,
        )
        self._runtime.globals()[b"ctx"] = lua_ctx
        self._control[b"start"](runner)

    def step(self, answers: Sequence[str] = ()) -> StepResult:
        """Resume the strategy with the answers of its last pause (in query order)."""
        return self._resume(*[a.encode("utf-8", "surrogatepass") for a in answers])

    def step_value(self, value: Any) -> StepResult:
        """Resume the strategy with one Python value (converted to Lua), e.g. fork results."""
        return self._resume(self.to_lua(value))

    def _resume(self, *args: Any) -> StepResult:
        try:
            out = self._step(time.monotonic() + self._step_seconds, *args)
        except self._memory_error:
            return StepResult(kind="limit", code="memory_limit", message=self._memory_message())
        kind = out[0] if isinstance(out, tuple) else out
        if kind == b"yield":
            if not isinstance(out[1], bytes):  # the FORK marker table
                return StepResult(
                    kind="fork",
                    fork=ForkRequest(
                        strategies=tuple(json.loads(out[2])),
                        ctx=json.loads(out[3]),
                        on_error=out[4].decode(),
                    ),
                )
            return StepResult(kind="yield", queries=self._queries(out[1:]))
        if kind == b"done":
            try:
                result = self.to_py(out[1])
            except (TypeError, self._lua_error) as exc:
                return StepResult(
                    kind="error",
                    message=f"the strategy's result cannot be returned as JSON: {exc}",
                )
            return StepResult(kind="done", result=result)
        if kind == b"limit":
            return StepResult(kind="limit", code=out[1].decode(), message=out[2].decode())
        return self._error(out[1], out[2])

    def _queries(self, flat: tuple[Any, ...]) -> tuple[QuerySpec, ...]:
        specs = []
        for i in range(0, len(flat), 5):
            prompt, system, max_tokens, flags, extra = flat[i : i + 5]
            specs.append(
                QuerySpec(
                    prompt=prompt.decode("utf-8", "replace"),
                    system=system.decode("utf-8", "replace") if system is not None else None,
                    max_tokens=int(max_tokens),
                    grounded=bool(flags & 1),
                    underspecified=bool(flags & 2),
                    options=json.loads(extra.decode("utf-8", "replace")) if extra else {},
                )
            )
        return tuple(specs)

    def _error(self, value: Any, traceback: Any) -> StepResult:
        trace = traceback.decode("utf-8", "replace") if isinstance(traceback, bytes) else ""
        if isinstance(value, bytes):
            message = value.decode("utf-8", "replace")
            if message == "not enough memory":
                return StepResult(kind="limit", code="memory_limit", message=self._memory_message())
            return StepResult(kind="error", message=message, traceback=trace)
        try:
            payload = self.to_py(value)
        except Exception:  # an error object that cannot even be encoded
            payload = None
        if isinstance(payload, dict):
            text = payload.get("message") or payload.get("error") or json.dumps(payload)
        elif payload is None:
            text = self.to_py(self._runtime.globals()[b"tostring"](value))
        else:
            text = str(payload)
        return StepResult(kind="error", message=str(text), traceback=trace, result=payload)

    @property
    def memory_used(self) -> int:
        """Bytes currently allocated by this VM."""
        used = self._runtime.get_memory_used()
        return int(used[0] if isinstance(used, tuple) else used)

    def _memory_message(self) -> str:
        mib = self._limits.max_memory / (1024 * 1024)
        return (
            f"the strategy needed more than its memory limit of {mib:.0f} MiB; "
            "raise Limits.max_memory if this is expected"
        )
