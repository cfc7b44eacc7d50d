"""The process executor: session VMs in a supervised pool of worker processes.

Each worker (``_worker.py``) holds many hot VMs and runs one request at a time. The scheduler
(``_pool.py``) leases workers to requests, so that no session's step waits behind another
session's: a VM whose worker another request holds raises :class:`~alc.engine.executor.VMBusy`
and its session is rebuilt by replay on a free worker; the pool grows on demand up to a cap,
queues fairly between tenants past it, and bounds each tenant's share. The supervisor side, in
the serving process, sends each request and waits for its reply while answering the VM's host
callbacks (time, log, ``alc.state``, sources) itself, so the session's effects and journal never
leave the serving process.

What the supervisor enforces from outside the VM, whatever the Lua or C code inside does:

- **deadline**: a step that has not replied ``grace`` seconds after its
  :class:`~alc.engine.lua.Allowance` deadline gets its worker killed (SIGKILL); the step fails
  with ``timeout``.
- **memory**: each worker's address space is capped (``RLIMIT_AS``) at its size when it started
  plus ``worker_memory`` bytes; a worker that dies of it fails the step in flight with
  ``memory_limit``. Each paused VM's heap is accounted to its worker: before a step, other
  sessions' paused VMs are evicted (rebuilt by replay on their next use) until the stepping
  session may grow to its ``max_memory``, so one session's heap never fails another's step.
- **crashes**: a worker that dies any other way fails the step in flight with ``worker_lost``.
  A worker that dies before taking a request (killed while idle; it counts the requests it
  takes in shared memory) fails nothing: the session is rebuilt by replay.
- **cancellation**: a step whose :class:`~alc.engine.executor.StepControl` is cancelled gets its
  worker killed within :data:`~alc.engine.executor._base.CANCEL_POLL` seconds, host callbacks
  or not; the step ends with ``cancelled``.

Every other VM of a dead worker raises :class:`~alc.engine.executor.VMLost` on its next use,
before anything is sent, and its session is rebuilt by replay in another worker.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import os
import select
import threading
import time
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from typing import Any

from alc.engine.errors import ExecutorUnavailable, InvalidInput
from alc.engine.executor._base import (
    CANCEL_POLL,
    VM,
    Hold,
    Libraries,
    Primitives,
    VMBusy,
    VMLost,
    cancelled_result,
    current_control,
    current_hold,
)
from alc.engine.executor._messages import (
    CloseVMs,
    HostCall,
    HostReturn,
    Lost,
    NewVM,
    Outcome,
    Raised,
    Ready,
    Request,
    StartCode,
    StartStrategy,
    Step,
)
from alc.engine.executor._pool import Scheduler, SchedulerConfig
from alc.engine.executor._worker import EXIT_MEMORY, send, worker_main
from alc.engine.lua import Allowance, Errored, Host, LimitHit, Seeds, StepResult
from alc.engine.protocol import Limits

__all__ = [
    "DEFAULT_GRACE",
    "DEFAULT_MAX_SESSION_MEMORY",
    "DEFAULT_WORKER_MEMORY",
    "ProcessExecutor",
    "ProcessStatistics",
    "SchedulerConfig",
]

DEFAULT_WORKER_MEMORY = 4 * 1024**3
"""Bytes of address space a worker may grow by after it started (``RLIMIT_AS``)."""
WORKER_RESERVE = 256 * 1024**2
"""Bytes of a worker's growth kept for Python itself (pipe buffers, converted values): the VMs'
heaps may take the rest."""
DEFAULT_MAX_SESSION_MEMORY = 2 * 1024**3
"""The largest ``max_memory`` a session may ask of the process executor (bytes; also capped at a
worker's growth less :data:`WORKER_RESERVE`). ``ALC_MAX_SESSION_MEMORY`` sets another."""
DEFAULT_GRACE = 1.0
"""Seconds past a step's deadline before the supervisor kills its worker."""
REQUEST_SECONDS = 30.0
"""Deadline of a request that is not a step (creating or starting a VM)."""
_POLL = 0.5


@dataclass(frozen=True)
class ProcessStatistics:
    """A snapshot of the pool: live workers, workers started and lost so far, VMs held, VMs
    evicted to make room for another session's memory, and workers leased to a request now."""

    workers: int
    started: int
    lost: int
    vms: int
    evicted: int = 0
    busy: int = 0


class _Worker:
    """One worker process, its pipe, its lease and the heaps of the VMs it holds.

    ``lock`` makes the pipe's requests one at a time within the lease's request; ``holder`` is
    the :class:`~alc.engine.executor.Hold` leasing it (None: free; see ``_pool.py``).
    """

    def __init__(
        self, process: multiprocessing.process.BaseProcess, conn: Connection, taken: Any
    ) -> None:
        self.process = process
        self.conn = conn
        self.taken = taken  # shared c_uint64: requests the worker took (raised before running)
        self.sent = 0  # requests sent to it
        # one poll object per worker: Connection.poll() builds a selector on every call
        self.readable = select.poll()
        self.readable.register(conn.fileno(), select.POLLIN)
        self.lock = threading.Lock()
        self.alive = True
        self.vms = 0
        self.pending_close: list[int] = []
        self.killed_for: str | None = None
        self.answered = False  # has it ever replied? (one that never did failed to start)
        self.holder: Hold | None = None
        self.free_since = time.monotonic()
        self.heaps: dict[int, tuple[int, int]] = {}  # vm id -> (session group, heap bytes)
        self.evicted: set[int] = set()

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

    def forget(self, vm_id: int) -> None:
        """Drop a VM: the worker frees it before serving its next request (or at once, when
        the executor flushes)."""
        if vm_id in self.evicted:  # dropped already, when it was evicted
            self.evicted.discard(vm_id)
            return
        if self.alive:
            self.pending_close.append(vm_id)
            self.vms -= 1
            self.heaps.pop(vm_id, None)

    def evict(self, vm_id: int) -> None:
        """Drop a paused VM to make room: its next use raises VMLost (rebuilt by replay)."""
        self.forget(vm_id)
        self.evicted.add(vm_id)


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


def _env_bytes(name: str, default: int) -> int:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        raise InvalidInput(f"{name}={text[:40]!r} is not a number of bytes.") from None


class ProcessExecutor:
    """A supervised pool of worker processes holding the session VMs, scheduled so that no
    session's step waits behind another's (``_pool.py``; docs/operations.md, "Scheduling").

    Args:
        workers: the most worker processes at once (default ``ALC_WORKERS``, else
            ``max(4, 2 x CPUs)``); the pool starts them on demand and retires idle ones.
        worker_memory: bytes each worker's address space may grow by (``RLIMIT_AS``).
        max_session_memory: the largest ``max_memory`` a session may ask (bytes; default
            ``ALC_MAX_SESSION_MEMORY``, else :data:`DEFAULT_MAX_SESSION_MEMORY`, at most
            ``worker_memory`` less :data:`WORKER_RESERVE`); a bigger one is ``invalid_input``.
        grace: seconds past a step's deadline before its worker is killed.
        primitives / libraries: the stdlib of every VM (default ``alc.engine.stdlib``); they
            must be importable by reference when workers are started by a fork server.
        start_method: ``"fork"``, ``"forkserver"`` or ``"spawn"``; default: ``fork`` while this
            process has a single thread, native threads included (cheap: a CLI call), else
            ``forkserver`` (a clean server process forks the workers).
        **schedule: the other :class:`SchedulerConfig` knobs (``min_workers``,
            ``idle_seconds``, ``queue_seconds``, ``tenant_steps``, ``tenant_step_seconds``);
            each defaults to its environment variable.

    Raises:
        InvalidInput: a knob out of range (from an argument or the environment).

    Thread-safe: steps of VMs in different workers run in parallel.
    """

    name = "process"

    def __init__(
        self,
        workers: int | None = None,
        *,
        worker_memory: int = DEFAULT_WORKER_MEMORY,
        max_session_memory: int | None = None,
        grace: float = DEFAULT_GRACE,
        primitives: Primitives | None = None,
        libraries: Libraries | None = None,
        start_method: str | None = None,
        **schedule: Any,
    ) -> None:
        if workers is not None and workers < 1:
            raise ValueError("a process executor needs at least one worker")
        self.config = SchedulerConfig.from_env(max_workers=workers, **schedule)
        self._pool = Scheduler(self.config, self._spawn, self._retire, self._flush)
        self._worker_memory = worker_memory
        self._budget = max(worker_memory - WORKER_RESERVE, worker_memory // 2)
        if max_session_memory is None:
            max_session_memory = _env_bytes("ALC_MAX_SESSION_MEMORY", DEFAULT_MAX_SESSION_MEMORY)
        self.max_session_memory = min(max_session_memory, self._budget)
        self._grace = grace
        self._primitives = primitives
        self._libraries = libraries
        self._start_method = start_method
        self._guard = threading.Lock()
        self._ids = itertools.count(1)
        self._started = 0
        self._lost = 0
        self._evicted = 0

    # ------------------------------------------------------------------ pool

    def create_vm(self, host: Host, limits: Limits, seeds: Seeds, *, near: VM | None = None) -> VM:
        """A VM for one session, on a worker of the request's hold (see ``_pool.py``).

        Raises:
            InvalidInput: ``limits.max_memory`` is over :attr:`max_session_memory`.
            RateLimited: past the tenant's share, or no worker was free within the queue's wait.
            ExecutorUnavailable: no worker could be started.
        """
        if limits.max_memory > self.max_session_memory:
            raise InvalidInput(
                f"max_memory {limits.max_memory:,} bytes is more than this server allows a "
                f"session ({self.max_session_memory:,} bytes); ask for less."
            )
        if isinstance(near, RemoteVM) and near._worker.alive:
            worker = near._worker
        else:
            worker = self._place(limits)
        vm = RemoteVM(self, worker, next(self._ids), host, limits)
        vm._new = NewVM(vm._id, limits.model_dump(), seeds)  # sent with its first request
        return vm

    def _place(self, limits: Limits) -> _Worker:
        """A worker for a new VM: the hold's own, a free one with room, or a new one."""
        hold = current_hold()
        with self._hold_for_call(hold) as held:

            def fits(worker: _Worker) -> bool:
                return self._room(worker, None) >= limits.max_memory

            worker: _Worker = self._pool.take(held, fits)
        return worker

    @contextlib.contextmanager
    def _hold_for_call(self, hold: Hold | None) -> Iterator[Hold]:
        """``hold``, or a hold of its own for one call made outside any request's hold."""
        if hold is not None:
            yield hold
            return
        own = Hold(None)  # tools' VMs (package metadata, spec runs) count against no share
        try:
            yield own
        finally:
            own.end()

    def close(self) -> None:
        for worker in self._pool.close():
            with worker.lock:
                worker.alive = False
                worker.conn.close()
            worker.process.join(2)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(2)

    def statistics(self) -> ProcessStatistics:
        live = list(self._pool.alive())
        return ProcessStatistics(
            workers=len(live),
            started=self._started,
            lost=self._lost,
            vms=sum(w.vms for w in live),
            evicted=self._evicted,
            busy=sum(1 for w in live if w.holder is not None),
        )

    def worker_pids(self) -> list[int]:
        """The process ids of the live workers (for operators and tests)."""
        return [w.process.pid for w in self._pool.alive() if w.process.pid is not None]

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
        taken = context.RawValue("Q", 0)
        process = context.Process(  # type: ignore[attr-defined]
            target=worker_main,
            args=(theirs, self._primitives, self._libraries, self._worker_memory, taken),
            name="alc-worker",
            daemon=True,
        )
        process.start()
        theirs.close()
        with self._guard:
            self._started += 1
        return _Worker(process, ours, taken)

    def _retire(self, worker: _Worker) -> None:
        """Stop an idle worker the scheduler took out of the pool (it holds no VM)."""
        with worker.lock:
            worker.alive = False
            worker.conn.close()  # it sees end-of-file and exits
        worker.process.join(2)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join(2)

    def _flush(self, workers: list[_Worker]) -> None:
        """Free the VMs dropped on ``workers`` now (they are leased to the caller or free)."""
        for worker in workers:
            if not worker.pending_close or not worker.alive:
                continue
            with worker.lock:
                closing, worker.pending_close = worker.pending_close, []
                try:
                    send(worker.conn, CloseVMs(closing))
                except (OSError, ValueError):
                    self._lost_worker(worker)

    def flush_free(self, worker: _Worker) -> None:
        """Free the VMs dropped on ``worker`` now if no request holds it (else at its end)."""
        hold = current_hold()
        if worker.holder is not None and worker.holder is hold:
            return  # flushed when the hold ends
        own = Hold(None)
        try:
            if self._pool.lease(worker, own):
                self._flush([worker])
        finally:
            own.end()

    def _room(self, worker: _Worker, group: int | None) -> int:
        """Bytes of heap free on ``worker`` for a session (``group``) beside the others."""
        heaps = list(worker.heaps.values())  # a copy: a finalizer may drop a VM meanwhile
        return self._budget - sum(b for g, b in heaps if g != group)

    def _make_room(self, worker: _Worker, vm: RemoteVM) -> None:
        """Evict other sessions' paused VMs from ``worker`` (largest first) until ``vm``'s
        session may grow to its ``max_memory`` without touching them (the worker is leased)."""
        if self._room(worker, vm._group) >= vm._limits.max_memory:
            return
        others = sorted(
            ((b, vm_id) for vm_id, (g, b) in list(worker.heaps.items()) if g != vm._group),
            reverse=True,
        )
        for _, vm_id in others:
            worker.evict(vm_id)
            with self._guard:
                self._evicted += 1
            if self._room(worker, vm._group) >= vm._limits.max_memory:
                return

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
        message: Request,
        host: Host,
        deadline: float,
        vm: RemoteVM | None = None,
    ) -> Outcome:
        """Lease ``worker`` for the request's hold, send one request and serve its host
        callbacks until it replies.

        Returns:
            the step's result or :class:`Ready`, :class:`Raised` with the worker's error,
            or :class:`Lost` when the worker died during the request (code ``timeout`` if it
            was killed for the deadline).

        Raises:
            VMBusy: another request holds the worker and another worker is free, or was freed
                first (nothing was sent; the session is rebuilt on a free one). With none free
                at the pool's cap the request queues for the first worker freed, its own
                preferred (``Scheduler.lease_or_queue``).
            VMLost: the worker was dead, or the VM evicted, before the request was sent.
        """
        hold = current_hold()
        with self._hold_for_call(hold) as held:
            if hold is None:
                leased = self._pool.wait_lease(worker, held, REQUEST_SECONDS)
            else:
                granted = self._pool.lease_or_queue(worker, held)
                leased = granted is worker
                if granted is not None and not leased:  # the session is rebuilt there
                    raise VMBusy("another worker was freed first for this request")
            if not leased:
                if worker.alive and worker.holder is not None:
                    raise VMBusy("the worker holding this VM is running another request")
                raise VMLost("the worker holding this VM is gone")
            began = time.monotonic()
            try:
                return self._exchange(worker, message, host, deadline, vm)
            finally:
                self._pool.record(held.tenant, time.monotonic() - began)

    def _exchange(
        self,
        worker: _Worker,
        message: Request,
        host: Host,
        deadline: float,
        vm: RemoteVM | None,
    ) -> Outcome:
        """:meth:`call` once the worker is leased."""
        with worker.lock:
            if not worker.alive or (vm is not None and vm._id in worker.evicted):
                raise VMLost("the worker holding this VM is gone, or the VM was evicted")
            conn = worker.conn  # one that died while idle never takes the request: VMLost
            if vm is not None and isinstance(message, Step):
                self._make_room(worker, vm)
            try:
                if worker.pending_close:
                    closing, worker.pending_close = worker.pending_close, []
                    send(conn, CloseVMs(closing))
                worker.sent += 1
                send(conn, message)
            except (OSError, ValueError):
                self._lost_worker(worker)
                raise VMLost("the worker holding this VM is gone") from None
            try:
                reply = self._await_reply(worker, host, deadline + self._grace)
                worker.answered = worker.answered or not isinstance(reply, Lost)
                return reply
            except VMLost:
                raise
            except BaseException:
                # interrupted mid-request (Ctrl-C, a cancelled task): the worker is mid-step and
                # out of step with the pipe, so it cannot serve anyone any more
                self._lost_worker(worker, "interrupted")
                raise

    def _await_reply(self, worker: _Worker, host: Host, hard_deadline: float) -> Outcome:
        """Serve host callbacks until the request's reply; kill the worker at the deadline or
        on cancellation (checked between callbacks too, so a step calling the host in a loop
        is stopped as surely as a pure-Lua one).

        Raises:
            VMLost: the worker died before it took the request (it was killed while
                idle): nothing ran, the session is rebuilt by replay.
        """
        conn = worker.conn
        control = current_control()
        poll = _POLL if control is None else CANCEL_POLL
        while True:
            if control is not None and control.cancelled:  # retire the worker mid-step
                return Lost(self._lost_worker(worker, "cancelled"))
            remaining = hard_deadline - time.monotonic()
            if remaining <= 0:
                return Lost(self._lost_worker(worker, "timeout"))
            try:
                ready = bool(worker.readable.poll(max(1, int(min(remaining, poll) * 1000))))
                if not ready:
                    continue
                reply = conn.recv()
            except (EOFError, OSError):
                code = self._lost_worker(worker)
                started = worker.taken.value >= worker.sent  # read once the worker is dead
                if not started and worker.killed_for is None:
                    if not worker.answered:  # it never served anything: it failed to start
                        raise ExecutorUnavailable(_startup_failure(worker)) from None
                    raise VMLost("the worker died before it took the request") from None
                return Lost(code)
            match reply:
                case HostCall(method, args):
                    try:
                        send(conn, _serve_callback(host, method, args))
                    except (OSError, ValueError):
                        return Lost(self._lost_worker(worker))
                case _:  # the end of the request
                    return reply  # type: ignore[no-any-return]


def _single_threaded() -> bool:
    """Whether this process has one thread, native ones included (then forking is safe)."""
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return False


def _serve_callback(host: Host, name: str, args: tuple[Any, ...]) -> HostReturn:
    try:
        return HostReturn(True, getattr(host, name)(*args))
    except Exception as exc:  # becomes a Lua error string in the worker
        return HostReturn(False, str(exc) or type(exc).__name__)


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
        self._new: NewVM | None = None  # the VM's creation, not sent yet
        self._group = id(host)  # a session's VMs (parent and fork children) share its host
        worker.vms += 1
        worker.heaps[vm_id] = (self._group, 0)
        self._release = weakref.finalize(self, worker.forget, vm_id)  # runs once

    def _request(self, message: StartCode | StartStrategy | None) -> None:
        """A request that is not a step (None: only the VM's creation, if not sent yet), sent
        with the VM's creation the first time (one round trip): a worker lost here fails the
        VM's first step.

        Raises:
            SyntaxError: the code does not compile.
            ExecutorUnavailable: the worker exited while starting.
            VMLost: the worker was gone before the request was sent.
        """
        if self._failed is not None:
            return
        new, self._new = self._new, None
        request: Request | None = message if new is None else replace(new, start=message)
        if request is None:
            return
        worker = self._worker
        outcome = self._executor.call(
            worker, request, self._host, time.monotonic() + REQUEST_SECONDS, self
        )
        lost = isinstance(outcome, Lost)
        if new is not None and lost and not worker.answered and worker.killed_for is None:
            raise ExecutorUnavailable(_startup_failure(worker))
        match outcome:
            case Lost(code):
                self._failed = _lost_result(code, self._limits)
            case Raised("SyntaxError", text):
                raise SyntaxError(text)
            case Raised(kind, text):
                raise RuntimeError(f"the worker failed ({kind}): {text}")

    def start_code(self, code: str, ctx: Any, chunkname: str = "=code") -> None:
        self._request(StartCode(self._id, code, ctx, chunkname))

    def start_strategy(self, name: str, ctx: Any) -> None:
        self._request(StartStrategy(self._id, name, ctx))

    def step(self, answers: Sequence[str] = (), allowance: Allowance | None = None) -> StepResult:
        allowance = allowance or Allowance.for_limits(self._limits)
        return self._step(Step(self._id, allowance, list(answers)))

    def step_value(self, value: Any, allowance: Allowance | None = None) -> StepResult:
        allowance = allowance or Allowance.for_limits(self._limits)
        return self._step(Step(self._id, allowance, value=value, by_value=True))

    def close(self) -> None:
        if self._release.alive:
            self._release()
            self._executor.flush_free(self._worker)

    def _step(self, request: Step) -> StepResult:
        if self._new is not None:  # stepped without a start: create it first
            self._request(None)
        if self._failed is not None:
            return self._failed
        outcome = self._executor.call(
            self._worker, request, self._host, request.allowance.deadline, self
        )
        match outcome:
            case Lost(code):
                self._failed = _lost_result(code, self._limits)
                return self._failed
            case Raised(kind, text):
                return Errored(f"the worker failed ({kind}): {text}")
            case Ready():
                return Errored("the worker answered a step as if it were not one")
            case result:
                if self._id in self._worker.heaps:
                    self._worker.heaps[self._id] = (self._group, result.memory)
                return result


def _lost_result(code: str, limits: Limits) -> LimitHit:
    """The result of a step whose worker died (``code`` from :class:`Lost`)."""
    match code:
        case "cancelled":
            return cancelled_result()
        case "timeout":
            return LimitHit(
                "timeout",
                f"step exceeded the wall-time limit ({limits.max_step_seconds:g} s); the process "
                "executor stopped its worker",
            )
        case "memory_limit":
            return LimitHit(
                "memory_limit",
                "the worker process running the step ran out of memory; the process executor "
                "replaced it (lower the strategy's memory use or raise the worker memory cap)",
            )
    return LimitHit(
        "worker_lost",
        "the worker process running the step died (crashed or was killed); the step is lost "
        "and the session cannot go on",
    )
