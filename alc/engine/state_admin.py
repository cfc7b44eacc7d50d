"""``alc.state`` from outside a session: list, show, set, delete and reset keys of a namespace.

The operations algocline's ``alc_state_*`` tools offer, over the store's ``alc.state`` table
(:class:`~alc.engine.store.StateStore`). Every write keeps the value it replaces under
``<key>.bak`` (:data:`~alc.engine.host.STATE_BACKUP_SUFFIX`), as ``alc.state.reset`` does inside
a session (the same reset function); listings hide the backups.
Under a tenant (``alc serve`` with tokens) the keys are the tenant's own (the store keeps each
tenant's ``alc.state`` apart, :class:`~alc.engine.store.ScopedState`, as for its sessions).

Errors: :class:`~alc.engine.errors.InvalidInput` for a bad namespace, key or value, or a key
that does not exist (show, reset).
"""

from __future__ import annotations

import builtins
import json
from typing import Any

from alc.engine._validate import check_json, check_text
from alc.engine.errors import InvalidInput
from alc.engine.host import STATE_BACKUP_SUFFIX
from alc.engine.host import _state_reset as reset_state
from alc.engine.store import ScopedState, Store
from alc.engine.tenancy import current_tenant

__all__ = ["MAX_NAME_CHARS", "MAX_VALUE_BYTES", "StateAdmin"]

MAX_NAME_CHARS = 512
"""The longest namespace or key (characters)."""
MAX_VALUE_BYTES = 16 * 2**20
"""The largest value ``set`` writes (bytes of its JSON)."""

_HIDDEN = (STATE_BACKUP_SUFFIX, ".tmp")


def _name(value: str, what: str) -> str:
    check_text(value, what)
    if not value or len(value) > MAX_NAME_CHARS or any(ord(c) < 32 for c in value):
        raise InvalidInput(
            f"{what} must be 1 to {MAX_NAME_CHARS} printable characters, got {value[:40]!r}."
        )
    return value


class StateAdmin:
    """The ``alc.state`` keys of one store, addressed by (namespace, key).

    Args:
        store: the engine's store.
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    def _scoped(self) -> ScopedState:
        return ScopedState(self.store, current_tenant())

    def list(self, namespace: str) -> dict[str, Any]:
        """``{"namespace", "keys"}``: the keys, sorted, without ``.bak`` / ``.tmp`` ones."""
        keys = self._scoped().state_keys(_name(namespace, "namespace"))
        return {"namespace": namespace, "keys": [k for k in keys if not k.endswith(_HIDDEN)]}

    def show(self, namespace: str, key: str) -> dict[str, Any]:
        """``{"namespace", "key", "value"}``: the value as JSON.

        Raises:
            InvalidInput: no such key.
        """
        text = self._scoped().state_get(_name(namespace, "namespace"), _name(key, "key"))
        if text is None:
            raise InvalidInput(
                f"No state key {key!r} in namespace {namespace!r} (alc_state_list lists them)."
            )
        return {"namespace": namespace, "key": key, "value": json.loads(text)}

    def set(self, namespace: str, key: str, value: Any) -> dict[str, Any]:
        """Write ``value`` (any JSON); an overwritten value is kept under ``<key>.bak``.
        Returns ``{"ok": true, "backup_key"}`` (``backup_key`` null when nothing was replaced).

        Raises:
            InvalidInput: a value that is not JSON, or over :data:`MAX_VALUE_BYTES`.
        """
        state, ns, k = self._scoped(), _name(namespace, "namespace"), _name(key, "key")
        check_json(value, "value")
        text = json.dumps(value, sort_keys=True, ensure_ascii=False)
        if len(text.encode()) > MAX_VALUE_BYTES:
            raise InvalidInput(f"value is over {MAX_VALUE_BYTES // 2**20} MiB of JSON.")
        old = state.state_get(ns, k)
        if old is not None:
            state.state_set(ns, k + STATE_BACKUP_SUFFIX, old)
        state.state_set(ns, k, text)
        return {"ok": True, "backup_key": None if old is None else k + STATE_BACKUP_SUFFIX}

    def delete(self, namespace: str, key: str) -> dict[str, Any]:
        """Delete the key, keeping its value under ``<key>.bak``; ``{"ok": true, "existed"}``
        (deleting a missing key is not an error)."""
        state, ns, k = self._scoped(), _name(namespace, "namespace"), _name(key, "key")
        old = state.state_get(ns, k)
        if old is not None:
            state.state_set(ns, k + STATE_BACKUP_SUFFIX, old)
        return {"ok": True, "existed": state.state_delete(ns, k)}

    def reset(
        self, namespace: str, key: str, steps: builtins.list[str], fields: builtins.list[str]
    ) -> dict[str, Any]:
        """``alc.state.reset`` from outside: drop ``steps`` from ``data.completed_steps`` and
        ``fields`` from ``data``, keeping the previous value under ``<key>.bak``.

        Returns ``{"ok", "backup_key", "steps_removed", "fields_removed"}``.

        Raises:
            InvalidInput: no such key, or a value not shaped ``{data = {...}}``.
        """
        opts = {"steps": steps, "fields": fields}
        ns, k = _name(namespace, "namespace"), _name(key, "key")
        report = reset_state(self._scoped(), ns, k, opts)
        if isinstance(report, str):
            raise InvalidInput(report.replace("alc.state.reset", "alc_state_reset") + ".")
        return report
