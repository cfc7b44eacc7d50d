"""The executor seam: the one place where a session step runs (docs/operations.md, "Security").

A *step* resumes a strategy's coroutine with the answers of its last pause and runs it to the
next pause or the end. The session decides what a step means; the executor decides where its Lua
runs. Two implementations sit behind :class:`Executor`:

- :class:`InlineExecutor` (``"inline"``): the session's VM lives in this process. Limits are
  enforced by the Lua count hook and the allocator cap. By default each step runs on the calling
  thread (no thread handoff: the fastest path); the count hook checks the step's deadline and
  its request's cancellation, so a step looping in Lua stops on time, but a single long C call
  (a pathological Lua pattern, for instance) cannot be interrupted: the step returns when that
  call returns, then fails with ``timeout``. ``InlineExecutor(watchdog=True)``
  (``"inline-watchdog"``, and what ``ALC_EXECUTOR=inline`` gives the CLI and the servers) steps
  each VM on a helper thread and stops waiting at the step's deadline plus a grace second, so
  the caller gets ``timeout`` on time even then, while the stuck thread finishes its C call and
  ends. Right for embedding strategies one trusts; a crash inside Lua or C takes the process
  down.
- :class:`~alc.engine.executor.process.ProcessExecutor` (``"process"``): a supervised pool of
  worker processes, each holding many hot VMs. The supervisor owns each step's deadline and each
  worker's memory cap and enforces them with OS means (it kills the worker). A lost worker fails
  only the step in flight, with ``timeout``, ``memory_limit`` or ``worker_lost``; the VMs it
  held raise :class:`VMLost` on their next use and their sessions are rebuilt by replay. A
  request leases the workers its steps run on (:func:`holding`, put in force by the registry):
  a VM whose worker another request holds raises :class:`VMBusy`, and its session is rebuilt
  by replay on a free worker rather than wait (docs/operations.md, "Scheduling").

Both hand out :class:`VM` objects with the same methods as :class:`~alc.engine.lua.LuaVM`.

A request may hold its steps with a :class:`StepControl` (put in force by the session with
:func:`watching`): the session host reports ``alc.progress`` to it, and a cancelled control stops
the running step with code ``cancelled`` (the process executor kills the step's worker; the
inline watchdog abandons the VM, whose thread then ends at the step's own limit; an inline VM
stepped on the calling thread stops at the count hook's next check, or, inside one long C call,
when that call returns).
"""

from __future__ import annotations

import os

from alc.engine.executor._base import (
    VM,
    Executor,
    Hold,
    InlineExecutor,
    Libraries,
    Primitives,
    StepControl,
    VMBusy,
    VMLost,
    current_control,
    current_hold,
    default_stdlib,
    holding,
    watching,
)

__all__ = [
    "VM",
    "Executor",
    "Hold",
    "InlineExecutor",
    "Libraries",
    "Primitives",
    "StepControl",
    "VMBusy",
    "VMLost",
    "current_control",
    "current_hold",
    "default_stdlib",
    "holding",
    "make_executor",
    "watching",
]


def make_executor(spec: str | Executor | None, *, default: str = "inline") -> Executor:
    """An executor from its name or an instance (returned as is).

    Names: ``"inline"`` (an :class:`InlineExecutor` stepping on the calling thread),
    ``"inline-watchdog"`` (one with its watchdog on) and ``"process"``. ``None`` means the
    ``ALC_EXECUTOR`` environment variable, else ``default``. The environment variable is how an
    operator picks the executor of a front end (the CLI, ``alc mcp``, ``alc serve``), where a step
    must end on time whatever it runs: there ``inline`` means ``inline-watchdog``. A name given
    in code (``alc.Engine(executor="inline")``) or as ``default`` is taken as it is.

    Raises:
        ValueError: an unknown name.
    """
    if spec is None:
        spec = os.environ.get("ALC_EXECUTOR") or default
        if spec == "inline" and os.environ.get("ALC_EXECUTOR"):
            spec = "inline-watchdog"
    if not isinstance(spec, str):
        return spec
    if spec == "inline":
        return InlineExecutor()
    if spec == "inline-watchdog":
        return InlineExecutor(watchdog=True)
    if spec == "process":
        from alc.engine.executor.process import ProcessExecutor

        return ProcessExecutor()
    raise ValueError(f"unknown executor {spec!r}: use 'inline', 'inline-watchdog' or 'process'")
