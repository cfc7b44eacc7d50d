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
nil / ``alc.NULL`` ``None`` (``None`` becomes ``nil`` at any depth: JSON null
                   decodes to nil, see ``stdlib/jsonvalue.py``)
table 1..n         ``list`` (tables from JSON arrays stay arrays, even empty)
other table        ``dict`` with string keys (sorted when encoded)
=================  ==========================================================
"""

from __future__ import annotations

import importlib
import json
import math
import secrets
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from functools import cache
from operator import attrgetter
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar

import lupa.lua55

from alc.engine.protocol import Limits
from alc.engine.stdlib.jsonvalue import decode as _json_decode

__all__ = [
    "HOOK_EVERY",
    "HOST_METHODS",
    "SANDBOX_UNITS",
    "Allowance",
    "Done",
    "Errored",
    "ForkRequest",
    "Forked",
    "Host",
    "LimitCode",
    "LimitHit",
    "LuaVM",
    "QuerySpec",
    "Seeds",
    "StepResult",
    "Yield",
    "lua_version",
    "pickled_by_fields",
]

_T = TypeVar("_T")

HOOK_EVERY = 10_000
"""Instructions between two checks of the instruction and wall-time limits."""

_ENGINE_DIR = Path(__file__).parent
"""Where boot.lua and the sandbox units live (read by path: ``importlib.resources`` costs the
cold CLI ~5 ms of imports, and alc is installed as files, never zipped)."""


@cache
def _runtime_module(lua_version: str) -> Any:
    """The lupa module of a ``Limits.lua_version`` ("5.4" or "5.5"), imported on first use.

    Raises:
        KeyError: another version.
    """
    if lua_version == "5.5":  # the default: imported with this module
        return lupa.lua55
    module = {"5.4": "lupa.lua54"}[lua_version]
    return importlib.import_module(module)


def lua_version(version: str = "5.5") -> str:
    """The exact Lua release behind a ``Limits.lua_version`` (e.g. ``"Lua 5.5"``)."""
    return str(_runtime_module(version).LuaRuntime().lua_implementation)


def pickled_by_fields(cls: type[_T]) -> type[_T]:
    """Make a frozen dataclass pickle as ``cls(*field values)``: the stream holds the class and
    a tuple, and loading is one constructor call (not dataclasses' per-field ``__setstate__``).
    For the messages that cross the process executor's pipe once or twice per step."""
    names = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]
    many = attrgetter(*names) if len(names) > 1 else None  # a tuple of the values, in C

    def reduce(obj: Any) -> tuple[Any, ...]:
        if many is not None:
            return cls, many(obj)
        return cls, tuple(getattr(obj, name) for name in names)

    cls.__reduce__ = reduce  # type: ignore[method-assign, assignment]
    return cls


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


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Allowance:
    """What one step may spend. A step that runs out fails with ``timeout`` or ``memory_limit``.

    Attributes:
        deadline: ``time.monotonic()`` seconds at which the step's wall-time limit trips (the
            clock is system-wide on Linux, so a worker process reads the same one).
        instructions: Lua instructions the step may run (checked every :data:`HOOK_EVERY`).
        memory: bytes the VM's heap may hold during the step (its whole heap, not the growth).

    A session's own step gets its :class:`~alc.engine.protocol.Limits` in full
    (:meth:`for_limits`); the children of an ``alc.fork`` share what is left of their parent's.
    """

    deadline: float
    instructions: int
    memory: int

    @classmethod
    def for_limits(cls, limits: Limits) -> Allowance:
        """A fresh allowance for one step, starting now."""
        return cls(
            deadline=time.monotonic() + limits.max_step_seconds,
            instructions=limits.max_instructions,
            memory=limits.max_memory,
        )


@dataclass(slots=True)
class QuerySpec:
    """One query as the strategy asked for it (before the session gives it an id)."""

    prompt: str
    system: str | None
    max_tokens: int
    grounded: bool
    underspecified: bool
    options: dict[str, Any]
    role: str | None = None
    cache_breakpoint: str | None = None
    fork: tuple[int, str] | None = None
    """``(child index, strategy)`` when an ``alc.fork`` child asked it (set by the fork; the
    journal records it with the pause, so the inspector and traces can show the children)."""


@dataclass(frozen=True)
class ForkRequest:
    """An ``alc.fork`` call: run these strategy packages as children with a copy of ``ctx``."""

    strategies: tuple[str, ...]
    ctx: dict[str, Any]
    on_error: str


LimitCode = Literal["timeout", "memory_limit", "cancelled", "worker_lost"]
"""Why a step broke off: its wall-time or instruction limit, its memory limit, its request was
cancelled, or (process executor) the worker running it was lost."""


# Every step result ends with what the step spent: ``instructions`` run (a multiple of
# HOOK_EVERY) and the VM's heap in bytes (``memory``) when it ended.


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Yield:
    """The strategy paused on ``alc.llm`` / ``alc.llm_batch``: these queries, in order."""

    queries: tuple[QuerySpec, ...]
    instructions: int = 0
    memory: int = 0


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Forked:
    """The strategy called ``alc.fork``: run ``request``'s children, then resume it."""

    request: ForkRequest
    instructions: int = 0
    memory: int = 0


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Done:
    """The strategy returned ``result`` (a JSON value)."""

    result: Any
    instructions: int = 0
    memory: int = 0


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Errored:
    """The strategy failed (an uncaught Lua error): its ``message``, the strategy's part of the
    ``traceback`` (may be empty) and, for a table error object, its decoded ``value``."""

    message: str
    traceback: str = ""
    value: Any = None
    instructions: int = 0
    memory: int = 0


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class LimitHit:
    """The step broke off: ``code`` says why (:data:`LimitCode`), ``message`` says it in words."""

    code: LimitCode
    message: str
    instructions: int = 0
    memory: int = 0


StepResult = Yield | Forked | Done | Errored | LimitHit
"""What one step of the strategy coroutine ended with; consumers ``match`` on the class. Each
ends with ``instructions`` (run by the step, a multiple of :data:`HOOK_EVERY`) and ``memory``
(the VM's heap in bytes when it ended)."""


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
    def card(self, op: str, *args: Any) -> Any: ...
    def session_info(self, what: str) -> Any: ...


HOST_METHODS = (
    "now",
    "clock",
    "log",
    "progress",
    "stats_record",
    "stats_get",
    "budget_remaining",
    "getenv",
    "load_source",
    "state",
    "card",
    "session_info",
)
"""The :class:`Host` methods, by name (what a VM may call back into)."""

_HOST_NAMES = {name.encode(): name for name in HOST_METHODS}


@cache
def _boot_source() -> str:
    return (_ENGINE_DIR / "boot.lua").read_text(encoding="utf-8")


SANDBOX_UNITS = (
    "args",
    "json",
    "functions",
    "coroutine",
    "os",
    "io",
    "state",
    "card",
    "stats",
    "package",
    "opts",
    "outcome",
)
"""The parts of the sandbox boot.lua loads on first use (``alc/engine/sandbox/<name>.lua``)."""


@cache
def _unit_bytecode(lua_version: str, name: bytes) -> bytes:
    """The bytecode of a lazily loaded unit, compiled once per process and Lua version.

    ``name`` is a :data:`SANDBOX_UNITS` name (stripped bytecode: engine internals) or
    ``stdlib/<unit>`` for a stdlib unit (:data:`alc.engine.stdlib.UNITS`), whose debug info is
    kept so that its errors and tracebacks read as if the source had been compiled in the VM;
    except ``stdlib/loader``, the library's lazy loader: plumbing whose errors name the caller's
    line, stripped because it loads on a session's first stdlib read (~30 us less to load).

    Raises:
        LookupError: no such unit.
    """
    unit = name.decode("ascii", "replace")
    if unit.startswith("stdlib/"):
        from alc.engine.stdlib import unit_source

        source = unit_source(unit[len("stdlib/") :])
        strip = unit == "stdlib/loader"
        return _bytecode(lua_version, f"alc/engine/{unit}.lua", source, strip=strip)
    if unit not in SANDBOX_UNITS:
        raise LookupError(f"no sandbox unit named {unit!r}")
    path = f"sandbox/{unit}.lua"
    source = (_ENGINE_DIR / path).read_text(encoding="utf-8")
    return _bytecode(lua_version, f"alc/engine/{path}", source)


@cache
def _bytecode(lua_version: str, chunkname: str, source: str, *, strip: bool = True) -> bytes:
    """Engine Lua code compiled once per process to bytecode (stripped unless ``strip=False``).

    Loading bytecode is ~5-8x faster than compiling and, without debug info, leaves a smaller
    heap: per-session start time and memory are dominated by boot.lua and the prelude. Only
    engine-owned code is loaded this way, by the engine; strategies can never load binary
    chunks.
    """
    scratch = _runtime_module(lua_version).LuaRuntime(encoding=None)
    dump = scratch.eval(
        "function(src, name, strip) return string.dump(assert(load(src, name, 't')), strip) end"
    )
    return bytes(dump(source.encode(), ("=" + chunkname).encode(), strip))


_ENCODED_PRIMITIVES: dict[int, tuple[Any, dict[bytes, Callable[..., Any]]]] = {}


def _encoded_primitives(
    primitives: Mapping[str, Callable[..., Any]],
) -> dict[bytes, Callable[..., Any]]:
    """``primitives`` keyed by their encoded paths, one dict shared by every VM given the same
    primitives (an executor gives all its VMs one mapping): not a copy kept per session."""
    items = tuple(primitives.items())
    hit = _ENCODED_PRIMITIVES.get(id(primitives))
    if hit is not None and hit[0] == items:
        return hit[1]
    encoded = {path.encode(): fn for path, fn in items}
    if len(_ENCODED_PRIMITIVES) < 64:
        _ENCODED_PRIMITIVES[id(primitives)] = (items, encoded)
    return encoded


def _boot_config(
    runtime: Any,
    limits: Limits,
    seeds: Seeds,
    primitives: list[bytes],
    libraries: Sequence[tuple[str, str]],
) -> Any:
    """boot.lua's ``cfg`` table (its header lists the fields) in ``runtime``."""
    version = limits.lua_version
    return runtime.table_from(
        {
            b"math_seed": seeds.math_seed,
            b"max_step_seconds": float(limits.max_step_seconds),
            b"max_output_bytes": limits.max_output_bytes,
            b"hook_every": HOOK_EVERY,
            b"primitives": runtime.table_from(primitives),
            b"libraries": runtime.table_from(
                [
                    runtime.table_from([name.encode(), _bytecode(version, name, source)])
                    for name, source in libraries
                ]
            ),
        }
    )


def _deny_attribute(obj: Any, name: Any, *value: Any) -> Any:
    raise AttributeError("Python objects are not accessible from alc strategies")


def _missing_host_method(name: str) -> Callable[..., Any]:
    def missing(*args: Any) -> Any:
        raise LookupError(f"this engine host does not provide {name!r} (alc.* unavailable here)")

    return missing


def _error_text(exc: BaseException) -> bytes:
    """The message a host exception becomes in Lua (always a string, never a Python object)."""
    if isinstance(exc, MemoryError):
        return b"not enough memory"
    if isinstance(exc, RecursionError):
        return b"the value is nested too deeply"
    text = str(exc) or type(exc).__name__
    return text.encode("utf-8", "replace")


def _leaf_to_lua(value: Any) -> Any:
    """A Python scalar (or None) as Lua (see :meth:`LuaVM.to_lua`)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    if isinstance(value, bool | float):
        return value
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**63 else float(value)
    raise TypeError(f"cannot pass a Python {type(value).__name__} to Lua")


def _scalar(value: Any) -> Any:
    """A Lua scalar as Python (strings, numbers, booleans, nil)."""
    kind = type(value)
    if kind is bytes:
        return value.decode("utf-8", "replace")
    if kind is float:
        return value if math.isfinite(value) else None  # JSON has no NaN or infinities
    return value


def _argument(kind: int, value: Any) -> Any:
    """One argument from ``pack_args`` in boot.lua: ``v`` scalar, ``j`` JSON text, ``x`` refused."""
    if kind == 0x76:  # "v"
        return _scalar(value)
    if kind == 0x6A:  # "j"
        return json.loads(value.decode("utf-8", "replace"))
    raise TypeError(f"cannot pass a Lua {value.decode()} to an alc primitive")


def _state_decode(text: str) -> Any:
    """``alc.state.get`` / ``show``: a stored value's JSON text (written by ``json_encode``, so
    within its size and 500-level bounds) as a Python value, in the VM's own process."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"alc.state: the stored value is not readable JSON ({exc})") from None


_CALL, _PRIMITIVE, _MONOTONIC, _SETTLE, _UNIT = 1, 2, 3, 4, 5
"""The operations of boot.lua's ``host(op, ...)`` (the same codes as its header)."""

_BUILTIN_HOST: dict[bytes, Callable[..., Any]] = {
    b"json_decode": _json_decode,
    b"state_decode": _state_decode,
}
"""Host calls the VM answers itself, for every host."""


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

    Every value crossing into Python is converted inside the strategy coroutine (under the limit
    hook); every value pushed into the VM is pushed with the allocator cap lifted and the cap is
    restored right after (see boot.lua), so a full heap fails the step with ``memory_limit``.

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
        module = _runtime_module(limits.lua_version)
        options: dict[str, Any] = {
            "encoding": None,
            "register_eval": False,
            "register_builtins": False,
            "unpack_returned_tuples": True,
            "attribute_handlers": (_deny_attribute, _deny_attribute),
            "max_memory": 0,  # tracked but uncapped while the engine boots; capped per step
        }
        if limits.lua_version == "5.5":
            options["string_hash_seed"] = seeds.hash_seed
        runtime = module.LuaRuntime(**options)
        self._runtime = runtime
        self._memory_error = module.LuaMemoryError
        self._lua_error = module.LuaError
        self._limits = limits
        self._cap = limits.max_memory
        self._last_used = limits.max_memory  # unknown until the first step: lift for it
        self._set_cap = runtime.set_max_memory
        self._memory_used = runtime.get_memory_used
        self._table_from = runtime.table_from

        # one dispatcher serves every call from boot.lua into Python (alc.* functions, the limit
        # hook's clock, settle, units): one Python object per VM pushed into Lua (~400 bytes
        # each), not one per function, so a session is cheaper to create and to keep
        self._host = host
        self._primitives = _encoded_primitives(primitives)
        self._stopped = False
        cfg = _boot_config(runtime, limits, seeds, list(self._primitives), libraries)
        lua_globals = runtime.globals()  # boot.lua turns this table into the sandbox's
        raw_load = lua_globals[b"load"]
        collectgarbage = lua_globals[b"collectgarbage"]
        # no incremental collection while the engine boots and the strategy is compiled:
        # control.start restarts the collector with one full collection, which frees the
        # garbage of both (boot's main chunk, the compiler's buffers) before the first pause
        collectgarbage(b"stop")
        version = limits.lua_version
        boot_chunk = raw_load(_bytecode(version, "alc/boot.lua", _boot_source()), b"=boot", b"b")
        self._control, self._step, self._mark_array = boot_chunk(self._host_op, cfg)

    def _host_op(self, op: int, *args: Any) -> Any:
        """boot.lua's ``host(op, ...)`` (its header lists the codes): the limit hook's clock,
        settle, a host call, a primitive call or a unit's bytecode."""
        if op == _MONOTONIC:
            return self._monotonic()
        if op == _SETTLE:
            return self._settle()
        if op == _CALL:
            return self._call_host(*args)
        if op == _PRIMITIVE:
            return self._call_primitive(*args)
        if op == _UNIT:
            return self._unit(*args)
        raise ValueError(f"unknown host operation {op!r}")

    def _monotonic(self) -> float:
        return math.inf if self._stopped else time.monotonic()

    def stop(self) -> None:
        """Make the running step (if any) trip its wall-time limit at its next limit check
        (within :data:`HOOK_EVERY` instructions), whatever it loops on. Thread-safe; for an
        executor that gave up waiting for the step (cancelled). Later steps trip at once."""
        self._stopped = True

    # ------------------------------------------------------------------ memory

    def _used(self) -> int:
        used = self._memory_used()
        return int(used[0] if isinstance(used, tuple) else used)

    def _lift(self) -> None:
        """Lift the allocator cap before Python pushes values (a push cannot fail protected)."""
        self._set_cap(0)

    def _settle(self) -> bool:
        """Restore the cap after a push; True when the heap is over it (boot.lua collects, then
        asks again, then fails the step with ``memory_limit``)."""
        self._set_cap(self._cap)
        return self._used() > self._cap

    # ------------------------------------------------------------------ conversion

    def to_lua(self, value: Any) -> Any:
        """Convert a plain Python value to Lua (see the module table; ``None`` is ``nil``).

        Recursive (the fast way) for the usual value; one nested too deep for Python's stack
        is converted again iteratively, so any value ``json_encode`` allows (500 levels)
        converts whatever the Python stack holds already. Call only with the allocator cap
        lifted (every caller in this class does).
        """
        try:
            return self._to_lua_recursive(value)
        except RecursionError:
            return self._to_lua_iterative(value)

    def _to_lua_recursive(self, value: Any) -> Any:
        if isinstance(value, Mapping):
            return self._table_from(
                {
                    str(k).encode(): self._to_lua_recursive(v)
                    for k, v in value.items()
                    if v is not None
                }
            )
        if isinstance(value, list | tuple):
            return self._mark_array(self._table_from([self._to_lua_recursive(v) for v in value]))
        return _leaf_to_lua(value)

    def _to_lua_iterative(self, value: Any) -> Any:
        """:meth:`to_lua` with an explicit stack instead of recursion."""
        if not isinstance(value, Mapping | list | tuple):
            return _leaf_to_lua(value)
        # each frame: the container's (key, child) pairs still to convert, whether it is a
        # mapping, what is converted so far, and the key it goes under in its parent
        frames: list[tuple[Iterator[tuple[Any, Any]], bool, Any, Any]] = []

        def enter(container: Any, key: Any) -> None:
            is_map = isinstance(container, Mapping)
            pairs = iter(container.items()) if is_map else enumerate(container)
            frames.append((pairs, is_map, {} if is_map else [], key))

        enter(value, None)
        while True:
            pairs, is_map, done, _ = frames[-1]
            for k, v in pairs:
                if v is None and is_map:
                    continue  # a null member is absent
                if isinstance(v, Mapping | list | tuple):
                    enter(v, k)
                    break
                if is_map:
                    done[str(k).encode()] = _leaf_to_lua(v)
                else:
                    done.append(_leaf_to_lua(v))
            else:
                _, is_map, done, key = frames.pop()
                table = self._table_from(done)
                if not is_map:
                    table = self._mark_array(table)
                if not frames:
                    return table
                parent_is_map, parent = frames[-1][1], frames[-1][2]
                if parent_is_map:
                    parent[str(key).encode()] = table
                else:
                    parent.append(table)

    def _call_host(self, name: bytes, kinds: bytes = b"", *args: Any) -> tuple[Any, ...]:
        """A host call from boot.lua: ``(true, value)`` or ``(false, message)`` for Lua.

        ``load_source`` answers ``(true, chunkname, source)``. A host without the method (a
        tooling host) makes the call a Lua error.
        """
        try:
            method = _BUILTIN_HOST.get(name)
            if method is None:
                attr = _HOST_NAMES[name]  # boot.lua only ever names a Host method
                method = getattr(self._host, attr, None) or _missing_host_method(attr)
            values = [_argument(k, a) for k, a in zip(kinds, args, strict=False)]
            if name == b"load_source":
                return self._source_reply(method, values)
            result = method(*values)
            self._lift()
            return True, self.to_lua(result)
        except Exception as exc:  # every host failure reaches Lua as a message string
            self._lift()
            return False, _error_text(exc)

    def _call_primitive(self, path: bytes, kinds: bytes = b"", *args: Any) -> tuple[Any, ...]:
        """A call of an installed ``alc.<path>`` primitive, with converted Python values."""
        try:
            result = self._primitives[path](
                *[_argument(k, a) for k, a in zip(kinds, args, strict=False)]
            )
            self._lift()
            return True, self.to_lua(result)
        except Exception as exc:
            self._lift()
            return False, _error_text(exc)

    def _unit(self, name: bytes) -> tuple[Any, ...]:
        """boot.lua's ``unit(name)``: ``(true, bytecode)`` of a sandbox unit, or
        ``(false, message)``; pushed with the allocator cap lifted like every host reply."""
        try:
            code = _unit_bytecode(self._limits.lua_version, name)
        except Exception as exc:
            self._lift()
            return False, _error_text(exc)
        self._lift()
        return True, code

    def _source_reply(
        self, method: Callable[..., tuple[str, str]], values: list[Any]
    ) -> tuple[bool, bytes, bytes]:
        if len(values) != 2:
            raise ValueError("load_source takes a module name and a kind")
        name, kind = values
        if not isinstance(name, str):
            raise ValueError("the module name must be a string")
        chunkname, source = method(name, kind or "module")
        self._lift()
        return True, chunkname.encode(), source.encode()

    # ------------------------------------------------------------------ running

    def start_code(self, code: str, ctx: Any, chunkname: str = "=code") -> None:
        """Prepare inline code as the strategy: it sees ``ctx`` as a global and as ``...``.

        A ctx too large for the memory limit fails the first step with ``memory_limit``.

        Raises:
            SyntaxError: the code does not compile (message from Lua).
        """
        self._lift()
        loaded = self._control[b"text_load"](code.encode(), chunkname.encode(), b"t")
        if isinstance(loaded, tuple):  # (nil, message)
            raise SyntaxError(_scalar(loaded[1]))
        lua_ctx = self.to_lua(ctx)
        self._runtime.globals()[b"ctx"] = lua_ctx
        self._control[b"start"](loaded, lua_ctx)

    def start_strategy(self, name: str, ctx: Any) -> None:
        """Prepare ``require(name).run(ctx)`` as the strategy (``ctx`` also a global).

        A result equal to ``ctx`` itself is read as ``ctx.result`` (the algocline convention).
        """
        self._lift()
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

    def step(self, answers: Sequence[str] = (), allowance: Allowance | None = None) -> StepResult:
        """Resume the strategy with the answers of its last pause (in query order).

        Args:
            answers: one text per query of the last pause.
            allowance: what the step may spend; default: this VM's limits, starting now.
        """
        encoded = [a.encode("utf-8", "surrogatepass") for a in answers]
        push = sum(map(len, encoded)) + _PUSH_OVERHEAD * len(encoded)
        return self._resume(allowance or Allowance.for_limits(self._limits), *encoded, push=push)

    def step_value(self, value: Any, allowance: Allowance | None = None) -> StepResult:
        """Resume the strategy with one Python value (converted to Lua), e.g. fork results."""
        self._lift()
        return self._resume(allowance or Allowance.for_limits(self._limits), self.to_lua(value))

    def close(self) -> None:
        """Release the VM (also happens when it is garbage-collected)."""
        self.__dict__.clear()

    def _resume(self, allowance: Allowance, *args: Any, push: int | None = None) -> StepResult:
        """Run one step; ``push`` is the bytes the arguments need in the VM (None: unknown)."""
        if allowance.memory <= 0:
            return LimitHit("memory_limit", self._memory_message())
        self._cap = allowance.memory
        # lift the cap for the push unless it surely fits (the common case: a short answer)
        lifted = push is None or self._last_used + push + _PUSH_SLACK > self._cap
        if lifted:
            self._lift()
        else:
            self._set_cap(self._cap)
        try:
            out = self._step(
                allowance.deadline, max(1, allowance.instructions // HOOK_EVERY), lifted, *args
            )
        except self._memory_error:
            return LimitHit("memory_limit", self._memory_message())
        except self._lua_error as exc:  # the control surface itself failed: never expected
            return Errored(f"the engine could not step the strategy: {exc}")
        spent = int(out[0]) * HOOK_EVERY
        memory = self._last_used = self._used()
        try:
            return self._result(out[1], out[2:], spent, memory)
        except Exception as exc:  # a shape the engine did not expect: the step fails, coded
            message = f"the engine cannot read the step: {exc}"
            return Errored(message, instructions=spent, memory=memory)

    def _result(self, kind: bytes, rest: tuple[Any, ...], spent: int, memory: int) -> StepResult:
        """One step's outcome from boot.lua's ``control.step`` (its header documents the
        protocol): ``kind`` and the values after it."""
        match kind:
            case b"yield":
                return Yield(_queries(rest), instructions=spent, memory=memory)
            case b"fork":
                strategies, ctx, on_error = rest
                request = ForkRequest(
                    strategies=tuple(json.loads(strategies)),
                    ctx=json.loads(ctx),
                    on_error=on_error.decode(),
                )
                return Forked(request, instructions=spent, memory=memory)
            case b"done":
                try:
                    result = json.loads(rest[0].decode("utf-8", "replace"))
                except (ValueError, RecursionError) as exc:
                    message = f"the strategy's result cannot be returned as JSON: {exc}"
                    return Errored(message, instructions=spent, memory=memory)
                return Done(result, instructions=spent, memory=memory)
            case b"limit":
                code, message = _LIMIT_CODES[rest[0]], rest[1].decode("utf-8", "replace")
                if code == "memory_limit" and message == _MEMORY_MESSAGE:
                    message = self._memory_message()
                return LimitHit(code, message, instructions=spent, memory=memory)
            case b"error":
                text, payload_json, traceback = rest
                return self._error(text, payload_json, traceback, spent, memory)
        raise ValueError(f"unknown step outcome {kind!r}")

    def _error(
        self, text: Any, payload_json: Any, traceback: Any, spent: int, memory: int
    ) -> StepResult:
        trace = traceback.decode("utf-8", "replace") if isinstance(traceback, bytes) else ""
        trace = trace.split(_ENGINE_FRAMES, 1)[0]
        if isinstance(payload_json, bytes):
            try:
                payload = json.loads(payload_json.decode("utf-8", "replace"))
            except (ValueError, RecursionError):
                payload = None
            if isinstance(payload, dict):
                shown = payload.get("message") or payload.get("error") or json.dumps(payload)
            else:
                shown = json.dumps(payload)
            return Errored(str(shown), trace, payload, instructions=spent, memory=memory)
        message = (
            text.decode("utf-8", "replace") if isinstance(text, bytes) else "the strategy failed"
        )
        if message == "not enough memory":
            return LimitHit(
                "memory_limit", self._memory_message(), instructions=spent, memory=memory
            )
        return Errored(message, trace, instructions=spent, memory=memory)

    def _memory_message(self) -> str:
        mib = self._cap / (1024 * 1024)
        return (
            f"the strategy needed more than its memory limit of {mib:.1f} MiB; "
            "raise Limits.max_memory if this is expected"
        )


def _queries(flat: tuple[Any, ...]) -> tuple[QuerySpec, ...]:
    """The queries of a ``yield``: five values per query (boot.lua's header), flags a bitmask."""
    specs = []
    for i in range(0, len(flat), 5):
        prompt, system, max_tokens, flags, extra = flat[i : i + 5]
        options = json.loads(extra.decode("utf-8", "replace")) if extra else {}
        specs.append(
            QuerySpec(
                prompt=prompt.decode("utf-8", "replace"),
                system=system.decode("utf-8", "replace") if system is not None else None,
                max_tokens=int(max_tokens),
                grounded=bool(flags & _GROUNDED),
                underspecified=bool(flags & _UNDERSPECIFIED),
                # boot.lua checked both are strings; the wire shows them at the top level
                role=options.pop("role", None),
                cache_breakpoint=options.pop("cache_breakpoint", None),
                options=options,
            )
        )
    return tuple(specs)


_GROUNDED, _UNDERSPECIFIED = 1, 2
"""The bits of a query's flags in a ``yield`` (``opts.grounded``, ``opts.underspecified``)."""

_LIMIT_CODES: dict[bytes, LimitCode] = {b"timeout": "timeout", b"memory_limit": "memory_limit"}
"""The codes of a ``limit`` from boot.lua (the others come from executors)."""

_PUSH_OVERHEAD = 64
"""Bytes a pushed string costs the Lua heap beyond its length (header, stack slot), rounded up."""
_PUSH_SLACK = 64 * 1024
"""Headroom that lets a step push its answers without lifting the allocator cap."""

_MEMORY_MESSAGE = "the strategy needed more than its memory limit"
"""The message boot.lua gives a broken memory cap; replaced by :meth:`LuaVM._memory_message`."""

_ENGINE_FRAMES = "\n\t[C]: in field 'xpcall'\n\t?: in function <?:"
"""Where a traceback leaves the strategy's frames for boot.lua's (which are cut off)."""
