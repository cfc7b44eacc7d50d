"""Running package tooling code (syntax checks, spec files) in a throwaway alc sandbox.

The code runs in a real session VM (same sandbox, same ``alc.*``, same limits) made by an
executor, without a session or a journal: :class:`ToolHost` reads sources straight from the
package roots and keeps ``alc.state`` in memory. :func:`drive` steps it to the end, answering
each ``alc.llm`` pause from a script: this is the "mock alc" of ``alc pkg test``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from alc.engine.executor import Executor, InlineExecutor, VMLost
from alc.engine.host import lua_getenv
from alc.engine.lua import Done, Errored, Forked, LimitHit, QuerySpec, Seeds, Yield
from alc.engine.packages import PackageResolver
from alc.engine.protocol import Limits

__all__ = ["MAX_PAUSES", "Run", "ToolHost", "check_syntax", "cycle", "drive"]

MAX_PAUSES = 10_000
"""``alc.llm`` pauses one tooling run may make before it is stopped (a runaway spec)."""

_CHECK_LIMITS = Limits(max_step_seconds=30, max_memory=256 * 1024 * 1024)

_SYNTAX_CHECK = """
local out = {}
for name, text in pairs(ctx.files) do
  local fn, err = load(text, "@" .. name, "t")
  if fn == nil then out[name] = err end
end
return out
"""


@dataclass
class ToolHost:
    """A :class:`~alc.engine.lua.Host` for tooling runs: sources from ``resolver``, ``alc.state``
    in a dict, log lines kept in :attr:`log` (``"level: message"``), real time."""

    resolver: PackageResolver
    log_lines: list[str] = field(default_factory=list)
    llm_calls: int = 0
    _state: dict[str, Any] = field(default_factory=dict)
    _stats: dict[str, Any] = field(default_factory=dict)

    def now(self) -> float:
        return time.time()

    def clock(self) -> float:
        return time.process_time()

    def log(self, level: str, message: str) -> None:
        if len(self.log_lines) < 1000:
            self.log_lines.append(f"{level}: {message[:2000]}")

    def progress(self, step: Any, total: Any, message: Any) -> None:
        pass

    def stats_record(self, key: str, value_json: str) -> None:
        self._stats[key] = json.loads(value_json)

    def stats_get(self, key: str) -> Any:
        return self._stats.get(key)

    def budget_remaining(self) -> dict[str, Any] | None:
        return None

    def getenv(self, name: str) -> str | None:
        return lua_getenv(name)  # the one rule (alc.engine.host.lua_env)

    def load_source(self, name: str, kind: str) -> tuple[str, str]:
        if kind == "file":
            root, path = self.resolver.find_file(name)
        else:
            root, path = self.resolver.find_module(name)
        return str(path.relative_to(root)), path.read_text(encoding="utf-8")

    def state(self, op: str, key: str | None = None, *args: Any) -> Any:
        store = self._state
        if op == "get":
            return store.get(key or "")
        if op in ("set", "set_nx"):
            if op == "set_nx" and key in store:
                return False
            store[key or ""] = json.loads(args[0]) if isinstance(args[0], str) else args[0]
            return True
        if op == "keys":
            return sorted(store)
        if op == "delete":
            return store.pop(key or "", None) is not None
        if op == "has":
            return key in store
        if op == "incr":
            value = store.get(key or "", args[1] if len(args) > 1 else 0) + (args[0] or 1)
            store[key or ""] = value
            return value
        raise ValueError(f"alc.state.{op} is not available under alc pkg test")

    def session_info(self, what: str) -> Any:
        """``alc.stats.llm_calls()`` (the pauses answered so far) or ``alc.env`` (empty)."""
        return {} if what == "env" else self.llm_calls

    def card(self, op: str, *args: Any) -> Any:
        raise ValueError("alc.card is not available under alc pkg test; stub it in the spec")


@dataclass(frozen=True)
class Run:
    """How a tooling run ended: the last step, the pauses answered and the log."""

    last: Done | Errored | LimitHit
    pauses: int
    log: tuple[str, ...]


def drive(
    code: str,
    ctx: dict[str, Any],
    *,
    chunkname: str,
    host: ToolHost,
    answer: Callable[[QuerySpec], str],
    limits: Limits,
    executor: Executor | None = None,
) -> Run:
    """Run ``code`` (with ``ctx``) to the end, answering every ``alc.llm`` with ``answer``.

    Returns a :class:`Run` whose ``last`` is :class:`Done`, :class:`Errored` or
    :class:`LimitHit` (a fork, a lost worker or :data:`MAX_PAUSES` pauses end it as
    :class:`Errored` with a message).
    """
    pauses = 0
    try:
        vm = (executor or InlineExecutor(watchdog=True)).create_vm(host, limits, Seeds(0, 0))
        try:
            vm.start_code(code, ctx, chunkname)
        except SyntaxError as exc:
            return Run(Errored(str(exc)), 0, tuple(host.log_lines))
        result = vm.step()
        while isinstance(result, Yield) and pauses < MAX_PAUSES:
            pauses += 1
            host.llm_calls += len(result.queries)
            result = vm.step([answer(q) for q in result.queries])
        vm.close()
    except VMLost:
        result = Errored("the worker running the code was lost")
    match result:
        case Yield():
            last: Done | Errored | LimitHit = Errored(f"stopped after {MAX_PAUSES} alc.llm pauses")
        case Forked():
            last = Errored("alc.fork is not available under alc pkg test")
        case _:
            last = result
    return Run(last, pauses, tuple(host.log_lines))


def check_syntax(
    files: dict[str, str], resolver: PackageResolver, executor: Executor | None = None
) -> dict[str, str]:
    """Compile each Lua text (by name) in a sandbox; returns ``{name: error}`` for the broken."""
    if not files:
        return {}
    run = drive(
        _SYNTAX_CHECK,
        {"files": files},
        chunkname="=alc-pkg-check",
        host=ToolHost(resolver),
        answer=lambda q: "",
        limits=_CHECK_LIMITS,
        executor=executor,
    )
    match run.last:
        case Done(dict() as found):
            return {str(k): str(v) for k, v in found.items()}
        case Done():
            return {}
        case Errored(message) | LimitHit(_, message):
            return {name: f"could not be checked: {message}" for name in files}


def cycle(answers: Sequence[str]) -> Callable[[QuerySpec], str]:
    """An answer function that returns ``answers`` in turn, starting over at the end."""
    script = list(answers) or ["mock answer"]
    count = [0]

    def answer(query: QuerySpec) -> str:
        text = script[count[0] % len(script)]
        count[0] += 1
        return text

    return answer
