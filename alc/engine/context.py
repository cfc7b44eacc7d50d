"""The request context: who asks (tenant), what holds its steps (step control), and until when
(deadline), in one frozen object passed down from the Python API to the registry.

The front ends set the tenant of a request with :func:`alc.engine.tenancy.tenant_scope` (a
context variable: the carrier at the edge, so it follows a request into worker threads); the
Python API reads it once per call (:meth:`RequestContext.current`) and hands the context down
explicitly. Below the API nothing reads the carrier: the registry serves every call for
``context.tenant`` and decides who may see a session with one rule, :meth:`RequestContext.owns`.

Example::

    context = RequestContext(tenant="acme", deadline=time.monotonic() + 30)
    registry.start(code="return alc.llm('hi')", context=context)
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from alc.engine.errors import InvalidInput, SessionNotFound
from alc.engine.executor import StepControl
from alc.engine.tenancy import check_tenant, current_tenant

__all__ = ["RequestContext"]


@dataclass(frozen=True, slots=True)
class RequestContext:
    """One request's context. Frozen: a layer that needs another one makes a copy
    (:meth:`with_control`), so what the caller passed is what every layer below sees.

    Attributes:
        tenant: the tenant the request is served for (None: no tenancy, every session is
            visible; see :mod:`alc.engine.tenancy`). Checked by :func:`check_tenant`.
        control: the :class:`~alc.engine.executor.StepControl` holding the steps the request
            runs (progress reports out, cancellation in), or None.
        deadline: a :func:`time.monotonic` instant (seconds) after which the steps the request
            runs are stopped as if cancelled (the session ends ``cancelled``), or None.
    """

    tenant: str | None = None
    control: StepControl | None = None
    deadline: float | None = None

    def __post_init__(self) -> None:
        if self.tenant is not None:
            check_tenant(self.tenant)
        if self.deadline is not None and not isinstance(self.deadline, int | float):
            raise InvalidInput(f"deadline must be a number, not {type(self.deadline).__name__}.")

    @classmethod
    def current(
        cls, control: StepControl | None = None, deadline: float | None = None
    ) -> RequestContext:
        """The context of the request being served: its tenant read from the front end's
        carrier (:func:`alc.engine.tenancy.tenant_scope`; the only read of it in the API),
        with ``control`` and ``deadline``."""
        if control is None and deadline is None and cls is RequestContext:
            return _plain(current_tenant())  # the common case: one frozen context per tenant
        return cls(current_tenant(), control, deadline)

    def with_control(self, control: StepControl | None) -> RequestContext:
        """A copy of this context whose steps are held by ``control``."""
        return dataclasses.replace(self, control=control)

    # ------------------------------------------------------------------ the tenant policy

    def owns(self, owner: str | None) -> bool:
        """The one tenant rule: may this request see (and move) what ``owner`` owns? Always
        without tenancy; else only its own."""
        return self.tenant is None or owner == self.tenant

    def check_owner(self, session_id: str, owner: str | None) -> None:
        """Refuse another tenant's session, worded exactly as a missing one (nobody learns that
        someone else's session id is taken).

        Raises:
            SessionNotFound: :meth:`owns` says no.
        """
        if not self.owns(owner):
            raise SessionNotFound(session_id)

    # ------------------------------------------------------------------ the deadline

    @contextlib.contextmanager
    def steps(self) -> Iterator[StepControl | None]:
        """The step control to run this request's steps under, for the duration of the block:
        :attr:`control`, armed to cancel itself at :attr:`deadline` (a control is made when the
        context has a deadline but none). Without a deadline this is just :attr:`control`."""
        if self.deadline is None:
            yield self.control
            return
        control = self.control if self.control is not None else StepControl()
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            control.cancel()
            yield control
            return
        timer = threading.Timer(remaining, control.cancel)
        timer.daemon = True
        timer.start()
        try:
            yield control
        finally:
            timer.cancel()


@functools.lru_cache(maxsize=1024)
def _plain(tenant: str | None) -> RequestContext:
    """The context of a request for ``tenant`` without a control or deadline (immutable, so
    shared; the tenant was checked when the context was first made)."""
    return RequestContext(tenant)
