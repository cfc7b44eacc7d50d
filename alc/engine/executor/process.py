"""The process executor: session VMs in a supervised pool of worker processes.

Each worker (``_worker.py``) holds many hot VMs and steps one at a time; a VM stays in the worker
that created it. The supervisor side, in the serving process, sends each request and waits for
its reply while answering the VM's host callbacks (time, log, ``alc.state``, sources) itself, so
the session's effects and journal never leave the serving process.

What the supervisor enforces from outside the VM, whatever the Lua or C code inside does:

- **deadline**: a step that has not replied ``grace`` seconds after its
  :class:`~alc.engine.lua.Allowance` deadline gets its worker killed (SIGKILL); the step fails
  with ``timeout``.
- **memory**: each worker's address space is capped (``RLIMIT_AS``) at its size when it started
  plus ``worker_memory`` bytes; a worker that dies of it fails the step in flight with
  ``memory_limit``.
- **crashes**: a worker that dies any other way fails the step in flight with ``worker_lost``.
- **cancellation**: a step whose :class:`~alc.engine.executor.StepControl` is cancelled gets its
  worker killed within :data:`~alc.engine.executor._base.CANCEL_POLL` seconds; the step ends
  with ``cancelled``.

Every other VM of a dead worker raises :class:`~alc.engine.executor.VMLost` on its next use,
before anything is sent, and its session is rebuilt by replay in a fresh worker. Workers are
started lazily, one per slot, and a dead one is replaced on the slot's next use.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import select
import threading
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from alc.engine.errors import ExecutorUnavailable
from alc.engine.executor._base import (
    CANCEL_POLL,
    VM,
    Libraries,
    Primitives,
    VMLost,
    cancelled_result,
    current_control,
)
from alc.engine.executor._worker import EXIT_MEMORY, worker_main
from alc.engine.lua import Allowance, Host, Seeds, StepResult
from alc.engine.protocol import Limits

__all__ = ["DEFAULT_GRACE", "DEFAULT_WORKER_MEMORY", "ProcessExecutor", "ProcessStatistics"]

DEFAULT_WORKERS = 2
"""Worker processes in a pool unless told otherwise."""
DEFAULT_WORKER_MEMORY = 4 * 1024**3
"""Bytes of address space a worker may grow by after it started (``RLIMIT_AS``)."""
DEFAULT_GRACE = 1.0
"""Seconds past a step's deadline before the supervisor kills its worker."""
REQUEST_SECONDS = 30.0
"""Deadline of a request that is not a step (creating or starting a VM)."""
_POLL = 0.5


@dataclass(frozen=True)
class ProcessStatistics:
    """A snapshot of the pool: live workers, workers started and lost so far, VMs held."""

    workers: int
    started: int
    lost: int
    vms: int


class _Worker:
    """One worker process, its pipe, and the lock that makes its requests one at a time."""

    def __init__(self, process: multiprocessing.process.BaseProcess, conn: Connection) -> None:
        self.process = process
        self.conn = conn
        # one poll object per worker: Connection.poll() builds a selector on every call
        self.readable = select.poll()
        self.readable.register(conn.fileno(), select.POLLIN)
        self.lock = threading.Lock()
        self.alive = True
        self.vms = 0
        self.pending_close: list[int] = []
        self.killed_for: str | None = None
        self.answered = False  # has it ever replied? (one that never did failed to start)

    def kill(self, reason: str | None) -> None:
        """Kill the process (if it still runs); ``reason`` is the code of the step it ran."""
        self.alive = False
        self.killed_for = self.killed_for or reason
        try:
            self.process.kill()
            self.process.join(5)
        except (OSError, ValueError, AssertionError):
            pass
        self.conn.close()

    def death_code(self) -> str:
        """The step failure code for this worker's death."""
        if self.killed_for is not None:
            return self.killed_for
        self.process.join(1)
        if self.process.exitcode == EXIT_MEMORY:  # it ran out of memory outside Lua
            return "memory_limit"
        return "worker_lost"  # crashed, or killed by something else (the OOM killer, a person)


def _startup_failure(worker: _Worker) -> str:
    """Why a worker that never replied is gone, and what to do about it."""
    worker.process.join(1)
    return (
        f"A worker process of the process executor exited while starting (exit code "
        f"{worker.process.exitcode}); nothing was applied. Its error is on stderr. A common "
        "cause: workers started through the fork server import the program's main module, as "
        "multiprocessing does, so a script that creates an alc engine at import time must "
        'guard its entry point with `if __name__ == "__main__":` (or use executor="inline").'
    )


class ProcessExecutor:
    """A supervised pool of worker processes holding the session VMs.

    Args:
        workers: pool size (worker processes); sessions are spread over them.
        worker_memory: bytes each worker's address space may grow by (``RLIMIT_AS``).
        grace: seconds past a step's deadline before its worker is killed.
        primitives / libraries: the stdlib of every VM (default ``alc.engine.stdlib``); they
            must be importable by reference when workers are started by a fork server.
        start_method: ``"fork"``, ``"forkserver"`` or ``"spawn"``; default: ``fork`` while this
            process has a single thread, native threads included (cheap: a CLI call), else
            ``forkserver`` (a clean server process forks the workers).

    Thread-safe: steps of VMs in different workers run in parallel.
    """

    name = "process"

    def __init__(
        self,
        workers: int = DEFAULT_WORKERS,
        *,
        worker_memory: int = DEFAULT_WORKER_MEMORY,
        grace: float = DEFAULT_GRACE,
        primitives: Primitives | None = None,
        libraries: Libraries | None = None,
        start_method: str | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError("a process executor needs at least one worker")
        self._slots: list[_Worker | None] = [None] * workers
        self._worker_memory = worker_memory
        self._grace = grace
        self._primitives = primitives
        self._libraries = libraries
        self._start_method = start_method
        self._guard = threading.Lock()
        self._ids = itertools.count(1)
        self._started = 0
        self._lost = 0
        self._closed = False

    # ------------------------------------------------------------------ pool

    def create_vm(self, host: Host, limits: Limits, seeds: Seeds, *, near: VM | None = None) -> VM:
        worker = near._worker if isinstance(near, RemoteVM) and near._worker.alive else None
        if worker is None:
            worker = self._pick()
        vm = RemoteVM(self, worker, next(self._ids), host, limits)
        vm._request(("new", vm._id, limits.model_dump(), (seeds.math_seed, seeds.hash_seed)))
        if vm._failed is not None and not worker.answered and worker.killed_for is None:
            raise ExecutorUnavailable(_startup_failure(worker))
        return vm

    def close(self) -> None:
        with self._guard:
            self._closed = True
            workers = [w for w in self._slots if w is not None]
            self._slots = [None] * len(self._slots)
        for worker in workers:
            with worker.lock:
                worker.alive = False
                worker.conn.close()
            worker.process.join(2)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(2)

    def statistics(self) -> ProcessStatistics:
        with self._guard:
            live = [w for w in self._slots if w is not None and w.alive]
            return ProcessStatistics(
                workers=len(live),
                started=self._started,
                lost=self._lost,
                vms=sum(w.vms for w in live),
            )

    def _pick(self) -> _Worker:
        with self._guard:
            if self._closed:
                raise RuntimeError("the process executor is closed")
            for i, worker in enumerate(self._slots):
                if worker is not None and not worker.alive:
                    self._slots[i] = None
            free = [i for i, w in enumerate(self._slots) if w is None]
            if free:
                worker = self._spawn()
                self._slots[free[0]] = worker
                return worker
            live = [w for w in self._slots if w is not None]
            return min(live, key=lambda w: w.vms)

    def _spawn(self) -> _Worker:
        try:
            return self._start_worker()
        except OSError as exc:  # fork failed: out of processes or memory
            raise ExecutorUnavailable(
                f"The process executor could not start a worker process ({exc}); nothing was "
                "applied. Free some memory or processes and retry."
            ) from exc

    def _start_worker(self) -> _Worker:
        context = multiprocessing.get_context(self._method())
        if context.get_start_method() == "forkserver":
            context.set_forkserver_preload(["alc.engine.executor._worker"])
        ours, theirs = context.Pipe(duplex=True)
        process = context.Process(  # type: ignore[attr-defined]
            target=worker_main,
            args=(theirs, self._primitives, self._libraries, self._worker_memory),
            name="alc-worker",
            daemon=True,
        )
        process.start()
        theirs.close()
        self._started += 1
        return _Worker(process, ours)

    def _method(self) -> str:
        if self._start_method is not None:
            return self._start_method
        return "fork" if _single_threaded() else "forkserver"

    def _lost_worker(self, worker: _Worker, reason: str | None = None) -> str:
        """Mark a worker dead (killing it if needed); the failure code for its step in flight."""
        worker.kill(reason)
        with self._guard:
            self._lost += 1
        return worker.death_code()

    # ------------------------------------------------------------------ one request

    def call(
        self,
        worker: _Worker,
        message: tuple[Any, ...],
        host: Host,
        deadline: float,
        close: Sequence[int] = (),
    ) -> tuple[str, Any]:
        """Send one request and serve its host callbacks until it replies.

        Returns:
            ``("ok", value)``, ``("raise", (kind, message))``, or ``("lost", code)`` when the
            worker died during the request (``timeout`` if it was killed for the deadline).

        Raises:
            VMLost: the worker was dead before the request was sent.
        """
        with worker.lock:
            if not worker.alive:
                raise VMLost("the worker holding this VM is gone")
            conn = worker.conn
            if not worker.process.is_alive():  # died while idle: its VMs are lost, not failed
                self._lost_worker(worker)
                raise VMLost("the worker holding this VM is gone")
            try:
                if worker.pending_close:
                    closing, worker.pending_close = worker.pending_close, []
                    conn.send(("close", closing))
                conn.send(message)
            except (OSError, ValueError):
                self._lost_worker(worker)
                raise VMLost("the worker holding this VM is gone") from None
            try:
                reply = self._await_reply(worker, host, deadline + self._grace)
                worker.answered = worker.answered or reply[0] != "lost"
                return reply
            except BaseException:
                # interrupted mid-request (Ctrl-C, a cancelled task): the worker is mid-step and
                # out of step with the pipe, so it cannot serve anyone any more
                self._lost_worker(worker, "interrupted")
                raise

    def _await_reply(self, worker: _Worker, host: Host, hard_deadline: float) -> tuple[str, Any]:
        """Serve host callbacks until the request's reply; kill the worker at the deadline."""
        conn = worker.conn
        control = current_control()
        poll = _POLL if control is None else CANCEL_POLL
        while True:
            remaining = hard_deadline - time.monotonic()
            try:
                ready = remaining > 0 and bool(
                    worker.readable.poll(max(1, int(min(remaining, poll) * 1000)))
                )
                if not ready:
                    if control is not None and control.cancelled:  # retire the worker mid-step
                        return "lost", self._lost_worker(worker, "cancelled")
                    if time.monotonic() >= hard_deadline:
                        return "lost", self._lost_worker(worker, "timeout")
                    continue
                reply = conn.recv()
            except (EOFError, OSError):
                return "lost", self._lost_worker(worker)
            tag = reply[0]
            if tag == "call":
                try:
                    conn.send(("ret", *_serve_callback(host, reply[1], reply[2])))
                except (OSError, ValueError):
                    return "lost", self._lost_worker(worker)
                continue
            if tag == "ok":
                return "ok", reply[1]
            return "raise", (reply[1], reply[2])


def _single_threaded() -> bool:
    """Whether this process has one thread, native ones included (then forking is safe)."""
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return False


def _serve_callback(host: Host, name: str, args: tuple[Any, ...]) -> tuple[bool, Any]:
    try:
        return True, getattr(host, name)(*args)
    except Exception as exc:  # becomes a Lua error string in the worker
        return False, str(exc) or type(exc).__name__


class RemoteVM:
    """A VM living in a worker process (see :class:`~alc.engine.executor.VM`)."""

    def __init__(
        self, executor: ProcessExecutor, worker: _Worker, vm_id: int, host: Host, limits: Limits
    ) -> None:
        self._executor = executor
        self._worker = worker
        self._id = vm_id
        self._host = host
        self._limits = limits
        self._failed: StepResult | None = None
        worker.vms += 1
        self._release = weakref.finalize(self, _release, worker, vm_id)  # runs once

    def _request(self, message: tuple[Any, ...]) -> None:
        """A request that is not a step: a worker lost here fails the VM's first step."""
        if self._failed is not None:
            return
        status, value = self._executor.call(
            self._worker, message, self._host, time.monotonic() + REQUEST_SECONDS
        )
        if status == "lost":
            self._failed = _lost_result(value, self._limits)
        elif status == "raise":
            kind, text = value
            if kind == "SyntaxError":
                raise SyntaxError(text)
            raise RuntimeError(f"the worker failed ({kind}): {text}")

    def start_code(self, code: str, ctx: Any, chunkname: str = "=code") -> None:
        self._request(("start_code", self._id, code, ctx, chunkname))

    def start_strategy(self, name: str, ctx: Any) -> None:
        self._request(("start_strategy", self._id, name, ctx))

    def step(self, answers: Sequence[str] = (), allowance: Allowance | None = None) -> StepResult:
        return self._step("step", list(answers), allowance)

    def step_value(self, value: Any, allowance: Allowance | None = None) -> StepResult:
        return self._step("step_value", value, allowance)

    def close(self) -> None:
        self._release()

    def _step(self, op: str, payload: Any, allowance: Allowance | None) -> StepResult:
        if self._failed is not None:
            return self._failed
        allowance = allowance or Allowance.for_limits(self._limits)
        status, value = self._executor.call(
            self._worker, (op, self._id, payload, allowance), self._host, allowance.deadline
        )
        if status == "ok":
            assert isinstance(value, StepResult)
            return value
        if status == "lost":
            self._failed = _lost_result(value, self._limits)
            return self._failed
        kind, text = value
        return StepResult(kind="error", message=f"the worker failed ({kind}): {text}")


def _release(worker: _Worker, vm_id: int) -> None:
    """Forget a VM: its worker drops it before serving its next request."""
    if worker.alive:
        worker.pending_close.append(vm_id)
        worker.vms -= 1


def _lost_result(code: str, limits: Limits) -> StepResult:
    if code == "cancelled":
        return cancelled_result()
    if code == "timeout":
        message = (
            f"step exceeded the wall-time limit ({limits.max_step_seconds:g} s); the process "
            "executor stopped its worker"
        )
    elif code == "memory_limit":
        message = (
            "the worker process running the step ran out of memory; the process executor "
            "replaced it (lower the strategy's memory use or raise the worker memory cap)"
        )
    else:
        message = (
            "the worker process running the step died (crashed or was killed); the step is "
            "lost and the session cannot go on"
        )
    return StepResult(kind="limit", code=code, message=message)
