"""The process executor's scheduler: which worker a request's steps run on, and when.

The rule (docs/operations.md, "Scheduling"): **no session's step waits behind another
session's step.**

- A request (one ``start`` or ``feed``, a :class:`~alc.engine.executor.Hold`) leases the workers
  its steps use until it ends. A VM whose worker is leased by another request raises
  :class:`~alc.engine.executor.VMBusy` instead of waiting when another worker is free (or may
  be started), and the registry rebuilds its session by replay there. With none free at the
  cap, the request queues (as below) for the first worker freed, its VM's worker preferred:
  the step then runs on the hot VM instead of replaying the whole session.
- A request that needs a worker takes a free one; with none free the pool grows by one, up to
  ``max_workers``; at the cap the request queues, served round-robin between tenants (each
  tenant's requests in order), for at most ``queue_seconds``, then fails ``rate_limited``.
- Each named tenant has a share: at most ``tenant_steps`` requests in the executor at once, at
  most ``tenant_step_seconds`` seconds of worker time in any 60 s. Past it a request fails at
  once with ``rate_limited`` and a ``retry_after`` hint; it never waits silently. Requests
  without a tenant (embedded use, the CLI, ``alc mcp`` over stdio) have no share.
- A worker free for ``idle_seconds`` and holding no VM is retired, down to ``min_workers``.
"""

from __future__ import annotations

import collections
import math
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from alc.engine.errors import InvalidInput, RateLimited
from alc.engine.executor._base import Hold

__all__ = ["WINDOW_SECONDS", "Scheduler", "SchedulerConfig"]

WINDOW_SECONDS = 60.0
"""The window of ``tenant_step_seconds`` (seconds)."""


def _default_max_workers() -> int:
    return max(4, 2 * (os.cpu_count() or 1))


@dataclass(frozen=True)
class SchedulerConfig:
    """The process executor's scheduling knobs (docs/operations.md, "Scheduling").

    Attributes:
        max_workers: the most worker processes at once (the cap; default ``max(4, 2 x CPUs)``).
        min_workers: workers kept when idle (default 1).
        idle_seconds: a worker free this long and holding no VM is retired (default 60).
        queue_seconds: the longest a request waits for a worker at the cap before it fails
            ``rate_limited`` (default 30).
        tenant_steps: requests one named tenant may have in the executor at once (default
            ``max(1, max_workers // 2)``; 0: no bound).
        tenant_step_seconds: worker seconds one named tenant may use in any 60 s (default 0: no
            bound).
    """

    max_workers: int = 0
    min_workers: int = 1
    idle_seconds: float = 60.0
    queue_seconds: float = 30.0
    tenant_steps: int = -1
    tenant_step_seconds: float = 0.0

    def __post_init__(self) -> None:
        if self.max_workers == 0:
            object.__setattr__(self, "max_workers", _default_max_workers())
        if self.tenant_steps < 0:
            object.__setattr__(self, "tenant_steps", max(1, self.max_workers // 2))
        checks = {
            "max_workers": self.max_workers >= 1,
            "min_workers": 0 <= self.min_workers <= self.max_workers,
            "idle_seconds": self.idle_seconds > 0,
            "queue_seconds": self.queue_seconds >= 0,
            "tenant_step_seconds": self.tenant_step_seconds >= 0,
        }
        for name, ok in checks.items():
            value = getattr(self, name)
            if not ok or (isinstance(value, float) and not math.isfinite(value)):
                raise InvalidInput(f"Bad scheduler setting {name}={value!r} (docs/operations.md).")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **given: Any) -> SchedulerConfig:
        """The knobs from ``ALC_WORKERS``, ``ALC_MIN_WORKERS``, ``ALC_WORKER_IDLE_SECONDS``,
        ``ALC_QUEUE_SECONDS``, ``ALC_TENANT_STEPS``, ``ALC_TENANT_STEP_SECONDS``; a keyword in
        ``given`` that is not None wins over its variable.

        Raises:
            InvalidInput: a value that is not a number, or out of range.
        """
        env = os.environ if env is None else env
        names = {
            "max_workers": ("ALC_WORKERS", int),
            "min_workers": ("ALC_MIN_WORKERS", int),
            "idle_seconds": ("ALC_WORKER_IDLE_SECONDS", float),
            "queue_seconds": ("ALC_QUEUE_SECONDS", float),
            "tenant_steps": ("ALC_TENANT_STEPS", int),
            "tenant_step_seconds": ("ALC_TENANT_STEP_SECONDS", float),
        }
        values: dict[str, Any] = {}
        for field, (var, kind) in names.items():
            if given.get(field) is not None:
                values[field] = kind(given[field])
            elif env.get(var, "").strip():
                try:
                    values[field] = kind(env[var])
                except ValueError:
                    raise InvalidInput(f"{var}={env[var][:40]!r} is not a number.") from None
        if values.get("max_workers", 1) < 1:
            raise InvalidInput("ALC_WORKERS (the most worker processes) must be at least 1.")
        if "max_workers" in values and "min_workers" not in values:
            values["min_workers"] = min(1, values["max_workers"])
        return cls(**values)


class Waiter:
    """A request queued at the cap; granted a free worker, or the right to start one."""

    def __init__(self, hold: Hold, prefer: Any = None) -> None:
        self.hold = hold
        self.prefer = prefer  # the worker it would rather have (its VM's), if free at its turn
        self.event = threading.Event()
        self.worker: Any = None
        self.spawn = False


class Scheduler:
    """Leases, the fair queue and tenant shares over a list of workers.

    Workers are any objects with the attributes ``alive`` (bool), ``holder`` (a
    :class:`~alc.engine.executor.Hold` or None), ``vms`` (int) and ``free_since`` (monotonic
    seconds); ``spawn()`` starts one (it may raise), ``retire(worker)`` stops one.
    """

    def __init__(
        self,
        config: SchedulerConfig,
        spawn: Callable[[], Any],
        retire: Callable[[Any], None],
        on_release: Callable[[list[Any]], None] = lambda workers: None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self._on_release = on_release
        self.workers: list[Any] = []
        self.cond = threading.Condition(threading.RLock())
        self._spawn = spawn
        self._retire = retire
        self._clock = clock
        self._starting = 0  # workers being started (counted against the cap)
        self._queues: dict[str | None, collections.deque[Waiter]] = {}
        self._turns: collections.deque[str | None] = collections.deque()  # round-robin order
        self._admitted: dict[str | None, set[int]] = {}  # tenant -> ids of its live holds
        self._used: dict[str | None, collections.deque[tuple[float, float]]] = {}
        self._closed = False
        self._reaper: threading.Thread | None = None
        self._stop = threading.Event()

    # ------------------------------------------------------------------ leases

    def lease(self, worker: Any, hold: Hold) -> bool:
        """Lease ``worker`` to ``hold`` if it is free; whether ``hold`` holds it now."""
        with self.cond:
            if worker.holder is hold:
                return True
            if worker.holder is not None or not worker.alive:
                return False
            self._admit(hold)
            worker.holder = hold
            return True

    def wait_lease(self, worker: Any, hold: Hold, timeout: float) -> bool:
        """Lease ``worker`` to ``hold``, waiting for it to be free (requests without a hold:
        tools reading package metadata, not sessions); False if it died or the wait ran out."""
        end = self._clock() + timeout
        with self.cond:
            while worker.alive and worker.holder not in (None, hold):
                left = end - self._clock()
                if left <= 0:
                    return False
                self.cond.wait(min(left, 1.0))
            return self.lease(worker, hold)

    def lease_or_queue(self, worker: Any, hold: Hold) -> Any:
        """Lease ``worker`` (a VM's) to ``hold``; when another request holds it and a replay
        elsewhere could only queue too (``hold`` holds no worker, none is free, the pool is at
        its cap), queue fairly for the first worker freed, preferring ``worker``.

        The replay path (:class:`~alc.engine.executor.VMBusy`) would wait in the same queue and
        then rebuild the session; queuing here waits no longer, and when ``worker`` is the one
        freed the step runs on its hot VM instead of replaying the session's whole log.

        Returns:
            ``worker`` when it is leased to ``hold``; another worker now leased to ``hold``
            (the session is to be rebuilt there); None when ``worker`` is dead or busy while
            another worker is free, or there is room to start one (nothing is leased).

        Raises:
            RateLimited: past the tenant's share, or the queue's wait ran out.
            ExecutorUnavailable: a worker granted room to start could not be started.
        """
        with self.cond:
            if self.lease(worker, hold):
                return worker
            self._prune()
            if not worker.alive or self._closed:
                return None
            if any(w.holder is hold or w.holder is None for w in self.workers if w.alive):
                return None
            if len(self.workers) + self._starting < self.config.max_workers:
                return None
            self._admit(hold)
            waiter = self._enqueue(hold, worker)
        granted = self._await_grant(waiter)
        return granted if granted is not None else self._start_for(hold)

    def take(self, hold: Hold, fits: Callable[[Any], bool]) -> Any:
        """A worker for a new VM, leased to ``hold``: one it holds already, else a free one
        that ``fits`` (the fewest VMs first), else a new one below the cap, else any free one
        (at the cap), else the first granted through the fair queue.

        Raises:
            RateLimited: past the tenant's share, or the queue's wait ran out.
            ExecutorUnavailable: a new worker could not be started.
        """
        with self.cond:
            if self._closed:
                raise RuntimeError("the process executor is closed")
            self._prune()
            mine = [w for w in self.workers if w.holder is hold and w.alive]
            if mine:
                return mine[0]
            self._admit(hold)
            free = [w for w in self.workers if w.holder is None and w.alive]
            room = len(self.workers) + self._starting < self.config.max_workers
            roomy = [w for w in free if fits(w)]
            if roomy or (free and not room):  # at the cap: the step evicts to make room
                worker = min(roomy or free, key=lambda w: w.vms)
                worker.holder = hold
                return worker
            if room:
                self._starting += 1
                waiter = None
            else:
                waiter = self._enqueue(hold)
        if waiter is not None:
            worker = self._await_grant(waiter)
            if worker is not None:
                return worker
        return self._start_for(hold)

    def release(self, hold: Hold) -> list[Any]:
        """End ``hold``'s leases; the workers it held (to flush), each handed on if queued."""
        with self.cond:
            held = [w for w in self.workers if w.holder is hold]
            now = self._clock()
            for worker in held:
                worker.holder = None
                worker.free_since = now
            ids = self._admitted.get(hold.tenant)
            if ids is not None:
                ids.discard(id(hold))
                if not ids:
                    del self._admitted[hold.tenant]
            self._prune()
            self._grant()
            self.cond.notify_all()
        return held

    def record(self, tenant: str | None, seconds: float) -> None:
        """Count ``seconds`` of worker time against ``tenant``'s share."""
        if tenant is None or not self.config.tenant_step_seconds:
            return
        with self.cond:
            self._used.setdefault(tenant, collections.deque()).append((self._clock(), seconds))

    # ------------------------------------------------------------------ shares

    def _admit(self, hold: Hold) -> None:
        """Count ``hold`` as one of its tenant's requests, if its share allows (lock held)."""
        tenant = hold.tenant
        ids = self._admitted.setdefault(tenant, set())
        if id(hold) in ids:
            return
        if tenant is not None:
            try:
                self._check_share(tenant, len(ids))
            except RateLimited:
                if not ids:
                    del self._admitted[tenant]
                raise
        ids.add(id(hold))
        hold.releases.append(lambda: self._end(hold))

    def _end(self, hold: Hold) -> None:
        """The end of ``hold``: ``on_release`` with the workers it held, then free them."""
        with self.cond:
            held = [w for w in self.workers if w.holder is hold]
        try:
            self._on_release(held)
        finally:
            self.release(hold)

    def _check_share(self, tenant: str, running: int) -> None:
        config = self.config
        if config.tenant_steps and running >= config.tenant_steps:
            raise RateLimited(
                f"This tenant already has {running} requests running, its share of this "
                f"server's workers (at most {config.tenant_steps} at once); nothing was "
                "applied. Send the request again when one of them has ended.",
                retry_after=1.0,
            )
        if not config.tenant_step_seconds:
            return
        now = self._clock()
        used = self._used.get(tenant)
        if not used:
            return
        while used and used[0][0] <= now - WINDOW_SECONDS:
            used.popleft()
        total = sum(seconds for _, seconds in used)
        if total < config.tenant_step_seconds:
            return
        over, wait = total - config.tenant_step_seconds, 0.0
        for ended, seconds in used:  # the oldest steps leave the window first
            over -= seconds
            wait = ended + WINDOW_SECONDS - now
            if over < 0:
                break
        raise RateLimited(
            f"This tenant used {total:.1f} s of worker time in the last {WINDOW_SECONDS:g} s, "
            f"its share of this server (at most {config.tenant_step_seconds:g} s per "
            f"{WINDOW_SECONDS:g} s); nothing was applied. Send the request again in "
            f"{max(wait, 0.1):.1f} s.",
            retry_after=max(wait, 0.1),
        )

    # ------------------------------------------------------------------ the fair queue

    def _enqueue(self, hold: Hold, prefer: Any = None) -> Waiter:
        waiter = Waiter(hold, prefer)
        queue = self._queues.get(hold.tenant)
        if queue is None:
            queue = self._queues[hold.tenant] = collections.deque()
            self._turns.append(hold.tenant)
        queue.append(waiter)
        return waiter

    def _await_grant(self, waiter: Waiter) -> Any:
        """Wait for a grant: the worker, or None with the right to start one.

        Raises:
            RateLimited: nothing was granted within ``queue_seconds``.
        """
        granted = waiter.event.wait(self.config.queue_seconds)
        with self.cond:
            if not granted and not waiter.event.is_set():
                queue = self._queues.get(waiter.hold.tenant)
                if queue is not None and waiter in queue:
                    queue.remove(waiter)
                    if not queue:
                        del self._queues[waiter.hold.tenant]
                        self._turns.remove(waiter.hold.tenant)
                raise RateLimited(
                    f"All {self.config.max_workers} workers of this server stayed busy for "
                    f"{self.config.queue_seconds:g} s; nothing was applied. Send the request "
                    "again shortly.",
                    retry_after=1.0,
                )
            if waiter.worker is None and not waiter.spawn:
                raise RuntimeError("the process executor is closed")
        return None if waiter.spawn else waiter.worker

    def _grant(self) -> None:
        """Hand free workers (or free room under the cap) to queued requests, one tenant per
        turn (lock held)."""
        while self._turns:
            free = [w for w in self.workers if w.holder is None and w.alive]
            room = len(self.workers) + self._starting < self.config.max_workers
            if not free and not room:
                return
            tenant = self._turns.popleft()
            queue = self._queues[tenant]
            waiter = queue.popleft()
            if queue:
                self._turns.append(tenant)  # its next request waits for its next turn
            else:
                del self._queues[tenant]
            if free:
                worker = waiter.prefer if waiter.prefer in free else min(free, key=lambda w: w.vms)
                worker.holder = waiter.hold
                waiter.worker = worker
            else:
                self._starting += 1
                waiter.spawn = True
            waiter.event.set()

    # ------------------------------------------------------------------ growing and shrinking

    def _start_for(self, hold: Hold) -> Any:
        """Start a worker for ``hold`` (a start slot is reserved); leased to it."""
        try:
            worker = self._spawn()
        except BaseException:
            with self.cond:
                self._starting -= 1
                self._grant()
            raise
        with self.cond:
            self._starting -= 1
            worker.holder = hold
            worker.free_since = self._clock()
            self.workers.append(worker)
            self._ensure_reaper()
        return worker

    def _prune(self) -> None:
        """Forget dead workers, held or not (lock held); their room goes to the queue."""
        dead = [w for w in self.workers if not w.alive]
        if dead:
            self.workers = [w for w in self.workers if w not in dead]
            self._grant()

    def _ensure_reaper(self) -> None:
        if self._reaper is None:
            self._reaper = threading.Thread(target=self._reap, name="alc-pool-reaper", daemon=True)
            self._reaper.start()

    def _reap(self) -> None:
        period = min(self.config.idle_seconds / 2, 5.0)
        while not self._stop.wait(period):
            for worker in self.idle_workers():
                self._retire(worker)

    def idle_workers(self) -> list[Any]:
        """Take out of the pool the workers to retire now (free for ``idle_seconds``, no VM,
        beyond ``min_workers``), and return them."""
        with self.cond:
            now = self._clock()
            self._prune()
            spare = len(self.workers) - self.config.min_workers
            idle = [
                w
                for w in self.workers
                if w.holder is None
                and w.vms <= 0
                and now - w.free_since >= self.config.idle_seconds
            ][: max(0, spare)]
            self.workers = [w for w in self.workers if w not in idle]
            return idle

    def close(self) -> list[Any]:
        """Stop scheduling; every worker (to stop), queued requests fail."""
        with self.cond:
            self._closed = True
            self._stop.set()
            workers, self.workers = self.workers, []
            for queue in self._queues.values():
                for waiter in queue:
                    waiter.event.set()  # granted nothing: its start finds the pool closed
            self._queues.clear()
            self._turns.clear()
            self.cond.notify_all()
            return workers

    def alive(self) -> Iterator[Any]:
        """The live workers (a snapshot)."""
        with self.cond:
            return iter([w for w in self.workers if w.alive])
