"""The executor interfaces and the inline executor (re-exported by ``alc.engine.executor``)."""

from __future__ import annotations

import contextvars
import logging
import math
import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, Protocol, TypeVar

from alc.engine.lua import Allowance, Done, Host, LimitHit, LuaVM, Seeds, StepResult
from alc.engine.protocol import Limits
from alc.engine.tenancy import current_tenant

_log = logging.getLogger("alc.engine")

CANCEL_POLL = 0.1
"""Seconds between two looks at a step's :class:`StepControl` while the step runs."""


class StepControl:
    """One request's hold on the steps it runs: progress reports out, cancellation in.

    The caller of a request (the Python API for one ``start`` / ``feed``) makes one and hands
    it down; the session puts it in force around its live steps (:func:`watching`), where the
    session host reports ``alc.progress`` calls to it and the executor looks at it while the
    step runs. Thread-safe: :meth:`cancel` may be called from any thread.

    Args:
        on_progress: called with ``{"step", "total", "message"}`` for each ``alc.progress``
            call of a live step, on the thread that serves the step's host calls. Whatever it
            raises is logged and dropped (a progress display never fails a strategy).
    """

    def __init__(self, on_progress: Callable[[dict[str, Any]], None] | None = None) -> None:
        self._on_progress = on_progress
        self._cancelled = threading.Event()

    def cancel(self) -> None:
        """Ask the running step (and the next one) to stop: it ends with code ``cancelled``."""
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        """Whether :meth:`cancel` was called."""
        return self._cancelled.is_set()

    def report(self, progress: dict[str, Any]) -> None:
        """Hand one ``alc.progress`` report to ``on_progress`` (errors are logged, not raised)."""
        if self._on_progress is None:
            return
        try:
            self._on_progress(progress)
        except Exception as exc:  # a display that failed must not fail the strategy
            _log.warning("progress callback failed: %s: %s", type(exc).__name__, exc)


_CONTROL: contextvars.ContextVar[StepControl | None] = contextvars.ContextVar(
    "alc_step_control", default=None
)


class watching:
    """Put ``control`` in force for the steps run inside the block (on this thread and on the
    helper threads the executor steps them on); ``None`` means none. The session uses it around
    its live steps only, so replay never reports progress and is never cancelled halfway.

    A class rather than a generator: it is entered on every step."""

    __slots__ = ("_control", "_token")

    def __init__(self, control: StepControl | None) -> None:
        self._control = control

    def __enter__(self) -> None:
        self._token = _CONTROL.set(self._control)

    def __exit__(self, *exc: object) -> None:
        _CONTROL.reset(self._token)


def current_control() -> StepControl | None:
    """The :class:`StepControl` in force (see :func:`watching`), or None."""
    return _CONTROL.get()


class Hold:
    """One request's hold on the executor's resources (see :func:`holding`).

    Attributes:
        tenant: the request's tenant (:func:`~alc.engine.tenancy.current_tenant` when the hold
            began), whose share the request's steps count against.
        releases: called once each when the hold ends (an executor adds its own).
    """

    def __init__(self, tenant: str | None) -> None:
        self.tenant = tenant
        self.releases: list[Callable[[], None]] = []

    def end(self) -> None:
        """Run every release (each one's failure is logged, the others still run)."""
        releases, self.releases = self.releases, []
        for release in releases:
            try:
                release()
            except Exception as exc:  # a release must never fail the request it ends
                _log.warning("executor release failed: %s: %s", type(exc).__name__, exc)


_HOLD: contextvars.ContextVar[Hold | None] = contextvars.ContextVar("alc_hold", default=None)


class holding:
    """Hold, for one request, whatever the executor gives its steps (the process executor: the
    workers they ran on), so that a session restored by replay on a worker steps there without
    another request taking the worker in between; released when the block ends.

    The registry wraps each ``start`` and ``feed`` in it. Nested blocks share the outer hold.
    The block gets the :class:`Hold`. A class rather than a generator: it is entered on every
    request.
    """

    __slots__ = ("_hold", "_token")

    def __enter__(self) -> Hold:
        outer = _HOLD.get()
        if outer is not None:
            self._token: contextvars.Token[Hold | None] | None = None
            return outer
        self._hold = hold = Hold(current_tenant())
        self._token = _HOLD.set(hold)
        return hold

    def __exit__(self, *exc: object) -> None:
        if self._token is not None:
            _HOLD.reset(self._token)
            self._hold.end()


def current_hold() -> Hold | None:
    """The :class:`Hold` in force (see :func:`holding`), or None."""
    return _HOLD.get()


def cancelled_result() -> LimitHit:
    """The result of a step stopped by :meth:`StepControl.cancel`."""
    return LimitHit(
        "cancelled", "the request running this step was cancelled; the step was stopped"
    )


class VMLost(Exception):
    """The VM is gone (its worker died outside this VM's own step, or the VM was evicted to make
    room for another session's memory): rebuild it by replay.

    Raised before anything was sent to the VM, so the step it was asked for did not happen.
    """


class VMBusy(VMLost):
    """The VM's worker is running another request's step: rather than wait behind it, rebuild
    the session by replay on an idle worker (docs/operations.md, "Scheduling"). Nothing was sent."""


class VM(Protocol):
    """One strategy VM, wherever it runs (see :class:`~alc.engine.lua.LuaVM` for the methods).

    ``step`` and ``step_value`` never raise for anything the strategy does: failures are
    :data:`~alc.engine.lua.StepResult` values (:class:`~alc.engine.lua.Errored`,
    :class:`~alc.engine.lua.LimitHit`). They raise :class:`VMLost` when the VM
    disappeared before the step started.
    """

    def start_code(self, code: str, ctx: Any, chunkname: str = "=code") -> None: ...
    def start_strategy(self, name: str, ctx: Any) -> None: ...
    def step(
        self, answers: Sequence[str] = (), allowance: Allowance | None = None
    ) -> StepResult: ...
    def step_value(self, value: Any, allowance: Allowance | None = None) -> StepResult: ...
    def close(self) -> None: ...


class Executor(Protocol):
    """Where session VMs are created and stepped.

    Attributes:
        name: ``"inline"`` or ``"process"`` (shown in statistics and docs).
    """

    name: str

    def create_vm(self, host: Host, limits: Limits, seeds: Seeds, *, near: VM | None = None) -> VM:
        """A new VM for one session (``near``: place it beside that VM, e.g. fork children)."""
        ...

    def close(self) -> None:
        """Release the executor's resources (worker processes); VMs become unusable."""
        ...


Primitives = Mapping[str, Callable[..., Any]]
Libraries = Sequence[tuple[str, str]]


def default_stdlib() -> tuple[Primitives, Libraries]:
    """The ``alc.*`` standard library every VM gets unless an executor is given another."""
    from alc.engine import stdlib

    return stdlib.PRIMITIVES, stdlib.LIBRARIES


class InlineExecutor:
    """Run each VM in this process.

    Args:
        primitives / libraries: the stdlib installed into every VM (default: ``alc.engine.stdlib``).
        watchdog: how a step's wall-time limit and its request's cancellation are enforced.
            ``False`` (the default) steps each VM on the calling thread, with no thread handoff:
            the Lua count hook checks the step's deadline and the :class:`StepControl` in force
            every :data:`~alc.engine.lua.HOOK_EVERY` instructions, so a step looping in Lua ends
            with ``timeout`` (or ``cancelled``) on time, but a step stuck in one long C call (a
            pathological pattern) ends only when that call returns (then it fails with
            ``timeout``). ``True`` steps each VM on a helper thread and waits for it at most
            until the step's deadline plus ``grace`` seconds: Lua releases the GIL, so even such
            a C call cannot hold the caller; the step fails with ``timeout`` on time, its VM is
            abandoned (its host refuses every further call) and the thread ends when the C call
            returns. The handoff costs more than the rest of a short step (about 2x per step).
            Untrusted strategies: use the watchdog, or better the process executor.
        grace: seconds past a step's deadline before the watchdog gives up on it.
    """

    name = "inline"

    def __init__(
        self,
        primitives: Primitives | None = None,
        libraries: Libraries | None = None,
        *,
        watchdog: bool = False,
        grace: float = 1.0,
    ) -> None:
        default_primitives, default_libraries = default_stdlib()
        self._primitives = default_primitives if primitives is None else primitives
        self._libraries = default_libraries if libraries is None else libraries
        self._grace = grace
        self._pool: _StepThreads | None = _StepThreads() if watchdog else None

    @property
    def watchdog(self) -> bool:
        """Whether steps run on watched helper threads (see the class)."""
        return self._pool is not None

    def create_vm(self, host: Host, limits: Limits, seeds: Seeds, *, near: VM | None = None) -> VM:
        if self._pool is None:
            return _CallingThreadVM(host, limits, seeds, self._primitives, self._libraries)
        guarded = _RevocableHost(host)
        vm = LuaVM(guarded, limits, seeds, self._primitives, self._libraries)
        return _WatchedVM(vm, guarded, limits, self._pool, self._grace)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()


class _CallingThreadVM(LuaVM):
    """A :class:`LuaVM` stepped on the calling thread whose limit hook also watches the
    :class:`StepControl` in force (:func:`watching`): a cancelled request stops its step at the
    next limit check (within :data:`~alc.engine.lua.HOOK_EVERY` instructions), with code
    ``cancelled``. Costs nothing per step without a control; a hook check reads one attribute."""

    _watched: StepControl | None = None

    def _monotonic(self) -> float:
        watched = self._watched
        if watched is not None and watched._cancelled.is_set():
            return math.inf  # trips the wall-time check, as stop() does
        return super()._monotonic()

    def _resume(self, allowance: Allowance, *args: Any, push: int | None = None) -> StepResult:
        control = _CONTROL.get()
        if control is None:
            return self._late(super()._resume(allowance, *args, push=push), allowance)
        if control.cancelled:
            return cancelled_result()
        self._watched = control
        try:
            result = super()._resume(allowance, *args, push=push)
        finally:
            self._watched = None
        if control.cancelled and type(result) is not Done:
            hit = cancelled_result()
            return LimitHit(hit.code, hit.message, result.instructions, result.memory)
        return self._late(result, allowance)

    def _late(self, result: StepResult, allowance: Allowance) -> StepResult:
        """``result``, or ``timeout`` when the step ended past its deadline without the hook
        seeing it (the time went in one long C call, which no hook interrupts)."""
        if type(result) is LimitHit or time.monotonic() <= allowance.deadline:
            return result
        return LimitHit(
            "timeout",
            f"step exceeded the wall-time limit ({self._limits.max_step_seconds:g} s) inside one "
            "long C call; it was stopped when the call returned",
            result.instructions,
            result.memory,
        )


_T = TypeVar("_T")


class _StepThreads:
    """The watchdog's step threads: reused while idle, daemonic, grown on demand.

    Daemonic so that a step abandoned inside a long C call (a pathological pattern) never holds
    the interpreter at exit: the process ends once its caller is done, as with the process
    executor. (A ``ThreadPoolExecutor`` joins its threads at exit.)
    """

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[tuple[Future[Any], Callable[[], Any]] | None] = (
            queue.SimpleQueue()
        )
        self._lock = threading.Lock()
        self._idle = 0  # threads waiting for a job that no submit has reserved
        self._threads = 0
        self._closed = False

    def submit(self, fn: Callable[..., _T], *args: Any) -> Future[_T]:
        """Run ``fn(*args)`` on an idle thread (or a new one); its future.

        Raises:
            RuntimeError: after :meth:`shutdown` (as a closed ``ThreadPoolExecutor`` does).
        """
        future: Future[_T] = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("the inline executor is closed")
            if self._idle == 0:
                self._threads += 1
                name = f"alc-step-{self._threads}"
                threading.Thread(target=self._serve, name=name, daemon=True).start()
            else:
                self._idle -= 1
        self._jobs.put((future, lambda: fn(*args)))
        return future

    def shutdown(self) -> None:
        """Let every idle thread end; a thread still stepping ends when its step returns."""
        with self._lock:
            self._closed = True
            for _ in range(self._threads):  # after every job already queued (FIFO)
                self._jobs.put(None)

    def _serve(self) -> None:
        while (job := self._jobs.get()) is not None:
            future, call = job
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(call())
                except BaseException as exc:  # handed to the waiting caller, as a pool does
                    future.set_exception(exc)
            with self._lock:
                self._idle += 1


class _RevocableHost:
    """A host whose calls fail once its VM was abandoned by the watchdog."""

    def __init__(self, host: Host) -> None:
        self._host = host
        self.revoked = False

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._host, name)

        def call(*args: Any) -> Any:
            if self.revoked:
                raise RuntimeError("this step was abandoned after its deadline")
            return method(*args)

        return call


class _WatchedVM:
    """A :class:`LuaVM` stepped on a helper thread, waited for until its deadline + grace."""

    def __init__(
        self,
        vm: LuaVM,
        host: _RevocableHost,
        limits: Limits,
        pool: _StepThreads,
        grace: float,
    ) -> None:
        self._vm = vm
        self._host = host
        self._limits = limits
        self._pool = pool
        self._grace = grace
        self._abandoned: StepResult | None = None

    def start_code(self, code: str, ctx: Any, chunkname: str = "=code") -> None:
        self._vm.start_code(code, ctx, chunkname)

    def start_strategy(self, name: str, ctx: Any) -> None:
        self._vm.start_strategy(name, ctx)

    def step(self, answers: Sequence[str] = (), allowance: Allowance | None = None) -> StepResult:
        allowance = allowance or Allowance.for_limits(self._limits)
        return self._wait(self._vm.step, list(answers), allowance)

    def step_value(self, value: Any, allowance: Allowance | None = None) -> StepResult:
        allowance = allowance or Allowance.for_limits(self._limits)
        return self._wait(self._vm.step_value, value, allowance)

    def close(self) -> None:
        if self._abandoned is None:
            self._vm.close()

    def _wait(self, step: Callable[..., StepResult], arg: Any, allowance: Allowance) -> StepResult:
        if self._abandoned is not None:
            return self._abandoned
        control = current_control()
        if control is not None and control.cancelled:
            return cancelled_result()
        # the step's host calls see this thread's context (the control, the request's tenant)
        future: Future[StepResult] = self._pool.submit(
            contextvars.copy_context().run, step, arg, allowance
        )
        hard_deadline = allowance.deadline + self._grace
        while True:
            remaining = hard_deadline - time.monotonic()
            wait = remaining if control is None else min(remaining, CANCEL_POLL)
            try:
                return future.result(timeout=max(0.0, wait))
            except FutureTimeout:
                if control is not None and control.cancelled:
                    return self._abandon(cancelled_result())
                if time.monotonic() >= hard_deadline:
                    return self._abandon(
                        LimitHit(
                            "timeout",
                            "step exceeded the wall-time limit "
                            f"({self._limits.max_step_seconds:g} s) inside one long C call; "
                            "the inline executor stopped waiting for it",
                        )
                    )

    def _abandon(self, result: StepResult) -> StepResult:
        """Give up on the VM: its host refuses every further call and its step is stopped at
        its next limit check (a thread stuck in one long C call ends when the call returns)."""
        self._host.revoked = True
        self._abandoned = result
        self._vm.stop()  # its thread ends at the step's next limit check, not at the deadline
        return result
