"""The request-scoped tenant: whose sessions one request may create, see and move.

A tenant is the owner of sessions. :func:`tenant_scope` sets it for the code that runs inside
the ``with`` block (a :class:`~contextvars.ContextVar`, so it follows the request into
``AsyncEngine``'s worker threads and into the tasks it spawns, and never leaks into another
request). The :class:`~alc.engine.registry.SessionRegistry` reads it with :func:`current_tenant`
on every call:

- ``start`` records it as the new session's owner (``SessionRecord.tenant``);
- ``feed`` / ``cancel`` / ``status`` / ``transcript`` / ``delete`` of a session owned by another
  tenant raise ``session_not_found``, worded exactly as for a session that does not exist, so
  nobody learns that someone else's session id is taken;
- ``sessions`` (and ``status`` without an id) list only the tenant's own sessions.

Outside any scope the tenant is None: no tenancy (embedded use, the CLI, ``alc mcp`` over stdio,
``alc serve`` without tokens), every session is visible. ``alc serve`` with tokens sets the
scope of each HTTP request from its bearer token (:mod:`alc.mcp._http`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

from alc.engine.errors import InvalidInput

__all__ = ["MAX_TENANT_CHARS", "check_tenant", "current_tenant", "tenant_scope"]

MAX_TENANT_CHARS = 200
"""The longest tenant name (characters)."""

_CURRENT: ContextVar[str | None] = ContextVar("alc_tenant", default=None)


def check_tenant(tenant: object) -> str:
    """Return ``tenant`` if it is a usable tenant name.

    A tenant name is 1 to :data:`MAX_TENANT_CHARS` printable characters without surrounding
    whitespace.

    Raises:
        InvalidInput: anything else.
    """
    if (
        not isinstance(tenant, str)
        or not tenant
        or len(tenant) > MAX_TENANT_CHARS
        or tenant != tenant.strip()
        or not tenant.isprintable()
    ):
        raise InvalidInput(
            f"{str(tenant)[:40]!r} is not a tenant name (1 to {MAX_TENANT_CHARS} printable "
            "characters, no surrounding spaces)."
        )
    return tenant


def current_tenant() -> str | None:
    """The tenant of the request being served, or None outside any :func:`tenant_scope`."""
    return _CURRENT.get()


@contextlib.contextmanager
def tenant_scope(tenant: str | None) -> Iterator[None]:
    """Serve the calls made inside the block as ``tenant`` (None: without tenancy).

    Raises:
        InvalidInput: ``tenant`` is not a tenant name (see :func:`check_tenant`).
    """
    token = _CURRENT.set(None if tenant is None else check_tenant(tenant))
    try:
        yield
    finally:
        _CURRENT.reset(token)
