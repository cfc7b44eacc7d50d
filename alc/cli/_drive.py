"""Auto-driving a session with ``--llm SPEC``: answer every pause until the session ends.

The loop is a driver like any other: it reads the pending queries, asks the responder
(``respond_many``, so concurrent responders answer a batch at once) and feeds the answers back
through the public :class:`~alc.Engine` API. While it runs, a rich progress line on stderr shows
the LLM calls made, the round (pauses answered by this call), the answers of a batch so far (it
moves with every answer), the strategy's own ``alc.progress(step, total, msg)`` and the elapsed
time. It is shown only when stderr is a
terminal, and never with the ``interactive`` responder (which owns the terminal).

Ctrl-C leaves the session at its last journaled pause; :class:`Interrupted` tells the caller
where, so it can print how to continue.
"""

from __future__ import annotations

import sys
import threading
from contextlib import AbstractContextManager
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alc._api import Engine
    from alc.engine.protocol import Outcome
    from alc.responders import Responder

__all__ = ["Interrupted", "build_responder", "drive"]


class Interrupted(Exception):
    """Ctrl-C while driving; ``session_id`` is the session left paused, ``spec`` the ``--llm``."""

    def __init__(self, session_id: str, spec: str) -> None:
        super().__init__("interrupted")
        self.session_id = session_id
        self.spec = spec


def build_responder(spec: str) -> Responder:
    """The responder of ``--llm SPEC``. Raises ``ResponderError`` (exit 3)."""
    from alc.responders import from_spec

    return from_spec(spec)


class _Display(AbstractContextManager["_Display"]):
    """The progress line on stderr (a no-op when disabled).

    It moves with every answer, not only between pauses: :meth:`attach` wraps the responder's
    ``respond`` on the instance, so each answer of a batch (``alc.llm_batch``, answered one
    after another or concurrently by the responder's own ``respond_many``) ticks it. The line
    shows the round, the batch's answers so far, the LLM calls made, the strategy's own
    ``alc.progress`` message; the bar is the strategy's ``alc.progress(step, total)`` when it
    reports one, else the batch.
    """

    def __init__(self, enabled: bool, console: Any = None) -> None:
        self._progress: Any = None
        self._task: Any = None
        self._lock = threading.Lock()
        self.calls = self.rounds = 0
        self.batch = (0, 0)  # answers given, queries asked in the current pause
        self.strategy: dict[str, Any] | None = None
        if not enabled:
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console or Console(stderr=True),
            transient=True,
        )
        self._task = self._progress.add_task("starting", total=None)

    def __enter__(self) -> _Display:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def attach(self, responder: Any) -> None:
        """Tick on every answer ``responder`` gives (its ``respond``, wrapped on the instance;
        a batch's size is learnt from ``respond_many``). A responder whose attributes cannot be
        set (slots) keeps the per-pause updates only."""
        if self._progress is None:
            return
        one, many = getattr(responder, "respond", None), getattr(responder, "respond_many", None)

        def respond(query: Any) -> Any:
            answer = one(query)  # type: ignore[misc]
            with self._lock:
                self.calls += 1
                self.batch = (self.batch[0] + 1, max(self.batch[1], self.batch[0] + 1))
            self.show()
            return answer

        def respond_many(queries: Any) -> Any:
            self.asked(len(queries))
            return many(queries)  # type: ignore[misc]

        try:
            if callable(one):
                responder.respond = respond
            if callable(many):
                responder.respond_many = respond_many
        except (AttributeError, TypeError):
            pass

    def asked(self, count: int) -> None:
        """A pause with ``count`` queries is being answered."""
        with self._lock:
            self.batch = (0, count)
        self.show()

    def paused(self, *, calls: int, progress: dict[str, Any] | None) -> None:
        """A pause was answered: the session's own count of LLM calls and ``alc.progress``."""
        with self._lock:
            self.rounds += 1
            self.calls, self.strategy, self.batch = calls, progress, (0, 0)
        self.show()

    def show(self) -> None:
        """Redraw the line from the counts (thread-safe: answers of a batch may come from
        several threads)."""
        if self._progress is None:
            return
        with self._lock:
            done, asked = self.batch
            parts = [f"round {self.rounds + 1}", f"{self.calls} LLM calls"]
            if asked > 1:
                parts.append(f"batch {done}/{asked}")
            completed: float = done if asked > 1 else 0
            total: float | None = asked if asked > 1 else None
            message = (self.strategy or {}).get("message")
            if message:
                parts.append(str(message))
            step, goal = (self.strategy or {}).get("step"), (self.strategy or {}).get("total")
            if isinstance(step, int | float) and isinstance(goal, int | float) and goal > 0:
                completed, total = step, goal
        from rich.markup import escape

        from alc._text import visible

        description = escape(visible(" · ".join(parts)))  # the strategy's text, shown inert
        self._progress.update(
            self._task, description=description, completed=completed, total=total, refresh=True
        )


def drive(engine: Engine, outcome: Outcome, responder: Responder, spec: str) -> Outcome:
    """Answer every pause of ``outcome``'s session with ``responder`` until it ends.

    The loop itself is :meth:`alc.Engine.drive`; this adds the progress line, the responder
    error's session id, and Ctrl-C handling.

    Args:
        engine: the engine over the CLI store.
        outcome: the reply to continue from (``NeedsResponse``, ``Accepted`` or terminal).
        responder: built from ``spec`` by :func:`build_responder`.
        spec: the ``--llm`` text (shown in hints).

    Returns:
        The terminal outcome (``Completed``, ``Failed`` or ``Cancelled``).

    Raises:
        ResponderError: the responder could not answer (the session stays paused; the error
            carries its ``session_id``).
        Interrupted: Ctrl-C (the session stays paused).
        RequestError: e.g. ``Conflict`` when another process advanced the session.
    """
    from alc.engine.protocol import Accepted, NeedsResponse
    from alc.responders import ResponderError

    if not isinstance(outcome, NeedsResponse | Accepted):
        return outcome
    show = sys.stderr.isatty() and getattr(responder, "name", "") != "interactive"
    session_id = outcome.session_id
    try:
        with _Display(show) as display:
            display.attach(responder)

            def on_pause(_: Outcome) -> None:
                if show:
                    snapshot = engine.status(session_id)
                    assert not isinstance(snapshot, list)
                    display.paused(calls=snapshot.llm_calls, progress=snapshot.progress)

            try:
                return engine.drive(session_id=session_id, llm=responder, on_pause=on_pause)
            except ResponderError as exc:
                if exc.session_id is None:
                    exc.session_id = session_id
                raise
    except KeyboardInterrupt:
        raise Interrupted(session_id, spec) from None
    finally:
        close = getattr(responder, "close", None)
        if callable(close):
            close()
