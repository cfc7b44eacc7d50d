"""The messages between the process executor's supervisor and a worker, one class each.

The supervisor (``process.py``) and a worker (``_worker.py``) talk over one duplex pipe, one
request at a time; both sides send these frozen classes, pickled by the pipe (the classes are the
codec: a message round-trips as itself, see :func:`~alc.engine.executor._worker.send` for deep
values), and ``match`` on what they receive::

    supervisor -> worker   NewVM | StartCode | StartStrategy | Step    a request
                           CloseVMs                          no reply
                           HostReturn                        the answer to a HostCall
    worker -> supervisor   HostCall                          a host callback (answered by
                                                             HostReturn), any number of times
                           StepResult | Ready | Raised       the end of the request: a step's
                                                             result itself, or Ready for the
                                                             other requests, or a failure

Beside the pipe, each worker counts the requests it took in a word of shared memory, before it
runs anything (no message, so no wake-up of the supervisor per request): it tells a worker that
died before taking a request (killed while idle: the session is rebuilt by replay) from one that
died running it (the step fails). A :class:`NewVM` may carry the VM's first request
(``start``), so that a session's VM is made and started in one round trip. A step's reply is its
:data:`~alc.engine.lua.StepResult` (``Yield | Forked | Done | Errored | LimitHit``), unwrapped:
one object less to pickle per step. :class:`Lost` never crosses the pipe: it is how the
supervisor's exchange ends when the worker died during the request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from alc.engine.lua import Allowance, Seeds, StepResult, pickled_by_fields

__all__ = [
    "READY",
    "CloseVMs",
    "HostCall",
    "HostReturn",
    "Lost",
    "NewVM",
    "Outcome",
    "Raised",
    "Ready",
    "Request",
    "StartCode",
    "StartStrategy",
    "Step",
]

# ---------------------------------------------------------------- supervisor -> worker


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class NewVM:
    """Create VM ``vm_id`` with these limits (``Limits.model_dump()``) and seeds, then run
    ``start`` on it if given; replies as ``start`` does, else None."""

    vm_id: int
    limits: dict[str, Any]
    seeds: Seeds
    start: StartCode | StartStrategy | None = None


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class StartCode:
    """``LuaVM.start_code`` on VM ``vm_id``; replies None, or raises ``SyntaxError``."""

    vm_id: int
    code: str
    ctx: Any
    chunkname: str


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class StartStrategy:
    """``LuaVM.start_strategy`` on VM ``vm_id``; replies None."""

    vm_id: int
    name: str
    ctx: Any


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Step:
    """Step VM ``vm_id`` under ``allowance``: ``LuaVM.step(answers)``, or when ``by_value``
    ``LuaVM.step_value(value)``; replies the step result."""

    vm_id: int
    allowance: Allowance
    answers: Sequence[str] = ()
    value: Any = None
    by_value: bool = False


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class CloseVMs:
    """Free these VMs now (no reply)."""

    vm_ids: list[int]


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class HostReturn:
    """The answer to a :class:`HostCall`: ``ok`` and the value, or not ``ok`` and the message
    the VM's Lua code fails with."""

    ok: bool
    value: Any


Request = NewVM | StartCode | StartStrategy | Step
"""A request the worker counts as taken (in shared memory) and ends with a reply."""

# ---------------------------------------------------------------- worker -> supervisor


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class HostCall:
    """A :class:`~alc.engine.lua.Host` method call of the running VM, served by the supervisor."""

    method: str
    args: tuple[Any, ...]


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Ready:
    """A request that is not a step (``NewVM``, ``StartCode``, ``StartStrategy``) succeeded."""


READY = Ready()
"""The one :class:`Ready` (it carries nothing)."""


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Raised:
    """The request failed in the worker: the exception's class name and message."""

    kind: str
    message: str


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Lost:
    """(Supervisor side only) the worker died during the request: the step failure ``code``
    (``timeout``, ``memory_limit``, ``cancelled`` or ``worker_lost``)."""

    code: str


Outcome = StepResult | Ready | Raised | Lost
"""How one request ended, for the supervisor."""
