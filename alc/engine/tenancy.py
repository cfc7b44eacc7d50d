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

__all__ = ["MAX_TENANT_CHARS", "check_scope_name", "check_tenant", "current_tenant", "tenant_scope"]

MAX_TENANT_CHARS = 200
"""The longest tenant name or ``alc.state`` namespace (characters)."""

_CURRENT: ContextVar[str | None] = ContextVar("alc_tenant", default=None)


def check_scope_name(name: object, what: str) -> str:
    """Return ``name`` if it is a usable tenant name or ``alc.state`` namespace: the one rule of
    both (``what`` names which, for the message). 1 to :data:`MAX_TENANT_CHARS` printable
    characters (any script; ``/`` and ``.`` mean nothing: a tenant is its own store column,
    never a prefix) without surrounding whitespace.

    Raises:
        InvalidInput: anything else (not a string, empty, too long, control characters, lone
            surrogates, surrounding spaces).
    """
    if (
        not isinstance(name, str)
        or not name
        or len(name) > MAX_TENANT_CHARS
        or name != name.strip()
        or not name.isprintable()
    ):
        shown = repr(name)[:60] if isinstance(name, str) else type(name).__name__
        raise InvalidInput(
            f"{shown} is not a {what} (1 to {MAX_TENANT_CHARS} printable characters, no "
            "surrounding spaces)."
        )
    return name


def check_tenant(tenant: object) -> str:
    """Return ``tenant`` if it is a usable tenant name (see :func:`check_scope_name`).

    Raises:
        InvalidInput: anything else.
    """
    return check_scope_name(tenant, "tenant name")


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
