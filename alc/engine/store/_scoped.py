"""``ScopedState``: one tenant's ``alc.state``, the store's state methods with the tenant bound.

The session host hands this to its ``alc.state`` operations, so no operation can name another
tenant: the tenant is fixed when the view is made, from the session's record.
"""

from __future__ import annotations

from typing import Any

from alc.engine.store._interfaces import StateStore

__all__ = ["ScopedState"]


class ScopedState:
    """The ``alc.state`` methods of ``store`` for ``tenant`` (None: no tenancy); each one is the
    store's method of the same name (see :class:`StateStore`), with the same errors."""

    def __init__(self, store: StateStore, tenant: str | None) -> None:
        self.store = store
        self.tenant = tenant

    def state_get(self, ns: str, key: str) -> str | None:
        return self.store.state_get(ns, key, tenant=self.tenant)

    def state_set(self, ns: str, key: str, value: str) -> None:
        self.store.state_set(ns, key, value, tenant=self.tenant)

    def state_keys(self, ns: str) -> list[str]:
        return self.store.state_keys(ns, tenant=self.tenant)

    def state_delete(self, ns: str, key: str) -> bool:
        return self.store.state_delete(ns, key, tenant=self.tenant)

    def state_has(self, ns: str, key: str) -> bool:
        return self.store.state_has(ns, key, tenant=self.tenant)

    def state_set_nx(self, ns: str, key: str, value: str) -> bool:
        return self.store.state_set_nx(ns, key, value, tenant=self.tenant)

    def state_incr(self, ns: str, key: str, delta: Any, default: Any) -> int | float:
        return self.store.state_incr(ns, key, delta, default, tenant=self.tenant)
