"""The worker process of the process executor: holds many VMs, steps one at a time.

The supervisor (``process.py``) talks to it over one duplex pipe, one request at a time, with the
message classes of ``_messages.py`` (whose docstring lists the protocol). Values are pickled;
both sides pickle nested values as deep as the engine lets a value be (see :func:`send`). The
worker never writes to stdout (stdout may be an MCP transport).
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import sys
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from alc.engine.executor._messages import (
    READY,
    CloseVMs,
    HostCall,
    NewVM,
    Raised,
    Ready,
    Request,
    StartCode,
    StartStrategy,
    Step,
)
from alc.engine.lua import HOST_METHODS, LuaVM, StepResult
from alc.engine.protocol import Limits

__all__ = ["EXIT_MEMORY", "send", "worker_main"]

EXIT_MEMORY = 3
"""Exit status of a worker that ran out of memory outside Lua (the supervisor reports
``memory_limit`` for the step in flight)."""
PICKLE_RECURSION = 20_000
"""The recursion limit pickling runs under when a value is deep (pickle recurses about three
frames per level of nesting; values are at most about 500 levels deep, docs/protocol.md)."""
COLLECT_BYTES = 16 * 1024**2
"""Heap bytes of closed VMs that make the worker collect at once (see :class:`_Garbage`)."""
COLLECT_VMS = 64
"""Closed VMs that make the worker collect at once."""
IDLE_COLLECT = 0.1
"""Seconds without a request after which the worker collects closed VMs' heaps."""
UNSTEPPED_HEAP = 1024**2
"""Heap bytes counted for a closed VM that never stepped (its boot and start)."""
_deep = threading.Lock()


def send(conn: Connection, message: Any) -> None:
    """``conn.send(message)``; a value too deep for the recursion limit is pickled again under
    :data:`PICKLE_RECURSION` (nothing was written before pickling failed)."""
    try:
        conn.send(message)
    except RecursionError:
        with _deep:
            limit = sys.getrecursionlimit()
            sys.setrecursionlimit(max(limit, PICKLE_RECURSION))
            try:
                conn.send(message)
            finally:
                sys.setrecursionlimit(limit)


class _HostProxy:
    """A :class:`~alc.engine.lua.Host` whose methods run in the supervisor, over the pipe."""

    def __init__(self, conn: Connection) -> None:
        for name in HOST_METHODS:
            setattr(self, name, self._method(conn, name))

    @staticmethod
    def _method(conn: Connection, name: str) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            send(conn, HostCall(name, args))
            answer = conn.recv()
            if answer.ok:
                return answer.value
            raise ValueError(answer.value)

        return call


def _virtual_size() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _cap_memory(growth: int) -> None:
    """Cap this process's address space at its current size plus ``growth`` bytes."""
    if growth <= 0:
        return
    try:
        limit = _virtual_size() + growth
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (OSError, ValueError):  # not Linux, or a hard limit below: keep what the OS gives
        pass


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this worker when its parent dies (``PR_SET_PDEATHSIG``).

    Without it a worker whose supervisor was killed in the middle of a step would run that step
    to its end (it only sees the closed pipe afterwards). The parent is the supervisor's process
    (``fork``, single-threaded) or the fork server, which lives as long as the supervisor.
    """
    parent = os.getppid()
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the closed pipe still ends the worker
        return
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(0)


def _close_inherited_fds(keep: int) -> None:
    """Close every descriptor but stdio and our pipe end.

    A forked worker inherits the supervisor's descriptors, among them the supervisor's end of
    this worker's pipe and of every other worker's: holding them would keep each worker from
    ever seeing end-of-file when the supervisor exits.
    """
    try:
        fds = [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:
        return
    for fd in fds:
        if fd > 2 and fd != keep:
            with contextlib.suppress(OSError):  # the listdir's own descriptor, already closed
                os.close(fd)


def worker_main(
    conn: Connection,
    primitives: Any,
    libraries: Any,
    memory_growth: int,
    taken: Any,
) -> None:
    """Serve VM requests until the pipe closes (the supervisor exited or closed it).

    ``taken`` is a shared ``c_uint64`` (``multiprocessing.RawValue``): the count of requests
    taken so far, raised before each one runs (the supervisor reads it when the worker died).
    """
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the supervisor's to handle
    os.dup2(2, 1)  # nothing a worker does may reach stdout
    _close_inherited_fds(keep=conn.fileno())
    if primitives is None or libraries is None:
        from alc.engine.executor._base import default_stdlib

        primitives, libraries = default_stdlib()
    _cap_memory(memory_growth)
    host = _HostProxy(conn)
    vms: dict[int, LuaVM] = {}
    garbage = _Garbage()
    while True:
        try:
            if garbage.vms and not conn.poll(IDLE_COLLECT):
                garbage.collect()  # idle: free the closed VMs' heaps now
            message = conn.recv()
        except (EOFError, OSError):
            return
        except MemoryError:
            os._exit(EXIT_MEMORY)
        if isinstance(message, CloseVMs):
            for vm_id in message.vm_ids:
                vm = vms.pop(vm_id, None)
                if vm is not None:
                    vm.close()
                    garbage.add(garbage.heaps.pop(vm_id, UNSTEPPED_HEAP))
            if garbage.due():
                garbage.collect()
            continue
        taken.value += 1  # before anything runs: a death from here on fails the request
        try:
            reply: StepResult | Ready | Raised = _serve(message, vms, host, primitives, libraries)
        except SyntaxError as exc:
            reply = Raised("SyntaxError", str(exc.msg if exc.msg else exc))
        except MemoryError:
            os._exit(EXIT_MEMORY)
        except (EOFError, OSError):
            return
        except Exception as exc:  # a bug, not the strategy: report it, keep serving
            reply = Raised(type(exc).__name__, str(exc))
        if isinstance(message, Step) and not isinstance(reply, Raised | Ready):
            garbage.heaps[message.vm_id] = reply.memory
        if not _reply(conn, reply):
            return


def _reply(conn: Connection, reply: StepResult | Ready | Raised) -> bool:
    """Send the end of a request; False when the supervisor is gone."""
    try:
        send(conn, reply)
    except MemoryError:
        os._exit(EXIT_MEMORY)
    except (EOFError, OSError):
        return False
    except Exception as exc:  # a value pickle refuses: the request fails, the worker lives
        conn.send(Raised(type(exc).__name__, f"the reply could not be sent: {exc}"))
    return True


class _Garbage:
    """The heaps of closed VMs, left to one later collection.

    Closing a VM drops its Lua state, which a full cyclic collection then frees (and
    ``malloc_trim`` gives back to the OS, so the address-space cap counts only live VMs). A full
    collection costs time in proportion to all the worker holds, so it runs once for many
    closes: when the closed heaps reach :data:`COLLECT_BYTES` (an evicted large heap is freed
    before the step that made room for it), :data:`COLLECT_VMS` VMs, or the worker has been
    idle :data:`IDLE_COLLECT` seconds. The heap left waiting is at most ``COLLECT_BYTES`` plus
    one VM's, well inside the room the supervisor keeps for Python (``WORKER_RESERVE``).
    """

    def __init__(self) -> None:
        self.heaps: dict[int, int] = {}  # vm id -> heap bytes at its last step
        self.bytes = 0
        self.vms = 0

    def add(self, heap: int) -> None:
        self.bytes += heap
        self.vms += 1

    def due(self) -> bool:
        return self.bytes >= COLLECT_BYTES or self.vms >= COLLECT_VMS

    def collect(self) -> None:
        import gc

        gc.collect()
        _malloc_trim()
        self.bytes = self.vms = 0


def _malloc_trim() -> None:
    try:
        import ctypes

        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the allocator keeps what it keeps
        pass


def _serve(
    message: Request,
    vms: dict[int, LuaVM],
    host: _HostProxy,
    primitives: Any,
    libraries: Any,
) -> StepResult | Ready:
    match message:
        case Step(vm_id, allowance, answers, value, by_value):
            vm = vms[vm_id]
            return vm.step_value(value, allowance) if by_value else vm.step(answers, allowance)
        case NewVM(vm_id, limits, seeds, start):
            config = Limits.model_construct(**limits)
            vms[vm_id] = LuaVM(host, config, seeds, primitives, libraries)  # type: ignore[arg-type]
            if start is not None:
                return _serve(start, vms, host, primitives, libraries)
        case StartCode(vm_id, code, ctx, chunkname):
            vms[vm_id].start_code(code, ctx, chunkname)
        case StartStrategy(vm_id, name, ctx):
            vms[vm_id].start_strategy(name, ctx)
        case _:
            raise ValueError(f"unknown worker request {type(message).__name__}")
    return READY
