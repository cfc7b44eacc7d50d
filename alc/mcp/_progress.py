"""``alc.progress`` as MCP progress notifications, for a request that carries a progress token.

A strategy's ``alc.progress(step, total, msg)`` runs inside a step, on the thread that serves the
step's host calls (an engine worker thread, never the event loop). The engine hands each report
to the request's ``on_progress`` callback (``alc.AsyncEngine.start`` / ``feed``);
:class:`ProgressRelay` is that callback for one tool call. It keeps the latest report and wakes
one forwarding task on the event loop, which sends it with ``Context.report_progress``
(``notifications/progress`` with the request's ``progressToken``). Reports that arrive while a
notification is being written are coalesced into the latest, so a strategy reporting in a tight
loop is never slowed by the wire, and the last report is always delivered before the tool's
reply. Transport-independent: anything with ``report_progress`` (stdio, HTTP) works.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeGuard

import anyio
import anyio.from_thread
import anyio.lowlevel
from mcp.server.mcpserver import Context

__all__ = ["ProgressRelay", "progress_relay", "progress_token"]

_log = logging.getLogger("alc.mcp")

Send = Callable[[float, float | None, str | None], Awaitable[None]]
"""``(progress, total, message)`` onto the wire: ``Context.report_progress``."""


def progress_token(ctx: Context) -> str | int | None:
    """The request's ``_meta.progressToken``, or None when the client asked for no progress."""
    try:
        meta = ctx.request_context.meta
    except ValueError:  # no request (a nested call)
        return None
    if not meta:
        return None
    token = meta.get("progress_token", meta.get("progressToken"))
    return token if isinstance(token, str | int) and not isinstance(token, bool) else None


class ProgressRelay:
    """Carries one request's progress reports from engine threads to the event loop.

    Create it on the event loop, run :meth:`run` in a task there, hand :meth:`report` to the
    engine, and :meth:`close` before replying: :meth:`run` then sends what is still waiting and
    returns (it is never cancelled halfway through a notification).
    """

    def __init__(self, send: Send) -> None:
        self._send = send
        self._lock = threading.Lock()
        self._latest: dict[str, Any] | None = None
        self._scheduled = False
        self._closed = False
        self._count = 0
        self._sending = anyio.Lock()  # notifications go out one at a time, in order
        self._wake = anyio.Event()
        self._token = anyio.lowlevel.current_token()
        self._loop_thread = threading.get_ident()

    def report(self, progress: dict[str, Any]) -> None:
        """Take one ``{"step", "total", "message"}`` report (any thread; never blocks long)."""
        with self._lock:
            if self._closed:
                return
            self._latest = progress
            if self._scheduled:
                return  # a wake-up is on its way: this report rides with it
            self._scheduled = True
        if threading.get_ident() == self._loop_thread:
            self._wake.set()
            return
        with contextlib.suppress(RuntimeError):  # the event loop stopped: nobody listens
            anyio.from_thread.run_sync(self._wake_up, token=self._token)

    def _wake_up(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Forward reports as they come, until :meth:`close` (after the last one is sent)."""
        while True:
            await self._wake.wait()
            self._wake = anyio.Event()
            report, closed = self._take()
            await self._forward(report)
            if closed:
                return

    def close(self) -> None:
        """Take no more reports; :meth:`run` sends the one still waiting, then returns (call
        it on the event loop)."""
        with self._lock:
            self._closed = True
        self._wake.set()

    def _take(self) -> tuple[dict[str, Any] | None, bool]:
        with self._lock:
            report, self._latest, self._scheduled = self._latest, None, False
            return report, self._closed

    async def _forward(self, report: dict[str, Any] | None) -> None:
        if report is None:
            return
        self._count += 1
        step, total, message = report.get("step"), report.get("total"), report.get("message")
        async with self._sending:
            try:
                await self._send(
                    float(step) if _number(step) else float(self._count),
                    float(total) if _number(total) else None,
                    None if message is None else str(message),
                )
            except Exception as exc:  # the client went away: progress is best effort
                _log.warning("progress notification not sent: %s: %s", type(exc).__name__, exc)


def _number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


@asynccontextmanager
async def progress_relay(ctx: Context) -> AsyncIterator[Callable[[dict[str, Any]], None]]:
    """The ``on_progress`` callback for one tool call: a running :class:`ProgressRelay`; the
    last report is sent on exit. Every request gets one: whether the caller asked for progress
    is the dispatcher's to know (a JSON-RPC request names a ``progressToken``, the SDK's
    in-process client passes a callback instead), and ``report_progress`` sends nothing when it
    did not, so :func:`progress_token` is for callers that want to know up front."""
    relay = ProgressRelay(ctx.report_progress)
    failure: Exception | None = None
    async with anyio.create_task_group() as tg:
        tg.start_soon(relay.run)
        try:
            yield relay.report
        except Exception as exc:  # raised after the group, so it is not an ExceptionGroup
            failure = exc
            tg.cancel_scope.cancel()
        except BaseException:  # cancelled: nobody waits for the reply, nor for its progress
            tg.cancel_scope.cancel()
            raise
        finally:
            relay.close()  # the group waits for run() to send the last report
    if failure is not None:
        raise failure
