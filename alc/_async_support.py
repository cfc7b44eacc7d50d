"""The two ways the async API runs blocking engine work on a worker thread (anyio: asyncio or
trio), used by the generated async mirror (``alc/_generated_async.py``) and ``AsyncEngine``.

- :func:`in_thread`: run a call on a worker thread; a paused session holds no thread.
- :func:`in_thread_cancellable`: the same for a call that runs a step under a
  :class:`~alc.engine.executor.StepControl`: cancelling the awaiting task cancels the control
  (the step stops, the session ends ``cancelled``), waits for the thread, then goes on.

Under asyncio both hop through :data:`THREADS` worker threads of their own
(``loop.run_in_executor``: one future per call, no task group or limiter, issue 28); under
trio through ``anyio.to_thread``. Either way the call runs in a copy of the caller's context
(``contextvars``), as anyio's does. anyio is imported on first use under trio only, so the
blocking API and the CLI never load it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from alc.engine.executor import StepControl

__all__ = ["THREADS", "in_thread", "in_thread_cancellable"]

_T = TypeVar("_T")

THREADS = 40
"""Worker threads the async API runs blocking calls on under asyncio (anyio's default limit of
concurrent ``to_thread`` calls, which trio uses); calls beyond it queue for a free thread."""

_pool: concurrent.futures.ThreadPoolExecutor | None = None
_pool_guard = threading.Lock()


def _threads() -> concurrent.futures.ThreadPoolExecutor:
    global _pool
    if _pool is None:
        with _pool_guard:
            if _pool is None:
                _pool = concurrent.futures.ThreadPoolExecutor(THREADS, "alc-async")
    return _pool


def _asyncio_loop() -> asyncio.AbstractEventLoop | None:
    """The running asyncio loop, or None (trio, or no loop in this thread)."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _submit(loop: asyncio.AbstractEventLoop, fn: Callable[[], _T]) -> asyncio.Future[_T]:
    """``fn`` on one of the threads, in a copy of the caller's context that (as anyio's worker
    threads do) no longer says an async library runs there: code on the thread may start an
    event loop of its own (``anyio.run``, as ``evaluate`` does)."""
    context = contextvars.copy_context()
    if (library := _library_var()) is not None:
        context.run(library.set, None)
    return loop.run_in_executor(_threads(), context.run, fn)


@functools.cache
def _library_var() -> contextvars.ContextVar[str | None] | None:
    """sniffio's "current async library" variable (anyio and others read it), if installed."""
    try:
        from sniffio import current_async_library_cvar
    except ImportError:  # anyio then asks asyncio, which runs no loop on these threads
        return None
    return current_async_library_cvar


async def _finish(future: asyncio.Future[Any]) -> None:
    """Wait for ``future`` to be done whatever cancellations arrive meanwhile (its thread ends
    promptly: the step it runs was cancelled); what it returned or raised is dropped."""
    while not future.done():
        try:
            await asyncio.wait((future,))
        except asyncio.CancelledError:
            continue
    if not future.cancelled():
        future.exception()  # retrieved: no "exception never retrieved" warning


async def in_thread(fn: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
    """``fn(*args, **kwargs)`` on a worker thread; its result, or what it raised. A cancelled
    caller waits for the thread to end, then the cancellation goes on."""
    call = functools.partial(fn, *args, **kwargs)
    loop = _asyncio_loop()
    if loop is None:
        from anyio import to_thread

        return await to_thread.run_sync(call)
    future = _submit(loop, call)
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        await _finish(future)
        raise


async def in_thread_cancellable(fn: Callable[[], _T], control: StepControl) -> _T:
    """``fn()`` on a worker thread, its steps held by ``control`` (which ``fn`` passes down).
    If the awaiting task is cancelled meanwhile, the control is cancelled, the thread is waited
    for (it ends promptly) and the cancellation goes on."""
    loop = _asyncio_loop()
    if loop is None:
        return await _anyio_cancellable(fn, control)
    future = _submit(loop, fn)
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        control.cancel()
        await _finish(future)
        raise


async def _anyio_cancellable(fn: Callable[[], _T], control: StepControl) -> _T:
    """:func:`in_thread_cancellable` under trio (anyio's thread and task group)."""
    import anyio
    from anyio import to_thread

    result: list[_T] = []
    failure: list[BaseException] = []
    finished = anyio.Event()

    async def work() -> None:
        try:  # to_thread waits shielded: a cancelled scope still lets the thread end
            result.append(await to_thread.run_sync(fn))
        except Exception as exc:
            failure.append(exc)
        finally:
            finished.set()

    async with anyio.create_task_group() as tg:
        tg.start_soon(work)
        try:
            await finished.wait()
        except anyio.get_cancelled_exc_class():
            control.cancel()
            raise
    if failure:
        raise failure[0]
    return result[0]
