"""The two ways the async API runs blocking engine work on a worker thread (anyio: asyncio or
trio), used by the generated async mirror (``alc/_generated_async.py``) and ``AsyncEngine``.

- :func:`in_thread`: run a call on a worker thread; a paused session holds no thread.
- :func:`in_thread_cancellable`: the same for a call that runs a step under a
  :class:`~alc.engine.executor.StepControl`: cancelling the awaiting task cancels the control
  (the step stops, the session ends ``cancelled``), waits for the thread, then goes on.

anyio is imported on first async use, so the blocking API and the CLI never load it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from alc.engine.executor import StepControl

__all__ = ["in_thread", "in_thread_cancellable"]

_T = TypeVar("_T")


async def in_thread(fn: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
    """``fn(*args, **kwargs)`` on a worker thread; its result, or what it raised."""
    from anyio import to_thread

    return await to_thread.run_sync(functools.partial(fn, *args, **kwargs))


async def in_thread_cancellable(fn: Callable[[], _T], control: StepControl) -> _T:
    """``fn()`` on a worker thread, its steps held by ``control`` (which ``fn`` passes down).
    If the awaiting task is cancelled meanwhile, the control is cancelled, the thread is waited
    for (it ends promptly) and the cancellation goes on."""
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
