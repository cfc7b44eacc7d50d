"""``alc.state`` scopes and quotas: who owns a value, and how much one owner may keep.

A state value lives under ``(tenant, namespace, key)``. The tenant is its own column in every
store (``""`` for no tenancy, which no tenant name can be), never a prefix of the namespace, so
no choice of tenant name or namespace can reach another tenant's values. Tenant names and
namespaces pass one validator (:func:`alc.engine.tenancy.check_scope_name`).

Each write is checked against a :class:`StateQuota` by the store, inside the transaction that
writes (the usage counters are rows of their own, updated with the value), so concurrent writers
cannot race past it. A write that would go over raises :class:`StateQuotaExceeded`
(``state_quota_exceeded``); deleting and shrinking are always allowed. A value's size is the
UTF-8 bytes of its key plus those of its JSON text.

=================================  ==============  ====================================
setting (environment variable)     default         bounds
=================================  ==============  ====================================
``ALC_STATE_NS_MAX_BYTES``         64 MiB          bytes in one namespace of one tenant
``ALC_STATE_NS_MAX_KEYS``          100,000         keys in one namespace of one tenant
``ALC_STATE_TENANT_MAX_BYTES``     256 MiB         bytes in all namespaces of one tenant
``ALC_STATE_TENANT_MAX_KEYS``      1,000,000       keys in all namespaces of one tenant
=================================  ==============  ====================================

Without tenancy (embedded use, the CLI, ``alc mcp``) every session shares the one scope ``""``,
bounded as one tenant.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from alc.engine.errors import InvalidInput, StateQuotaExceeded

__all__ = [
    "NO_TENANT",
    "StateQuota",
    "Usage",
    "row_size",
    "tenant_column",
]

NO_TENANT = ""
"""The tenant column of values written without tenancy (never a tenant name: those are
non-empty)."""

_MIB = 1024 * 1024


def tenant_column(tenant: str | None) -> str:
    """The stored tenant column: the name, or :data:`NO_TENANT` without tenancy."""
    return NO_TENANT if tenant is None else tenant


def row_size(key: str, value: str) -> int:
    """The bytes a value counts against a quota: its key's and its JSON text's UTF-8 bytes."""
    return len(key.encode("utf-8", "surrogatepass")) + len(value.encode("utf-8", "surrogatepass"))


@dataclass(frozen=True, slots=True)
class Usage:
    """What one namespace or one tenant holds: ``size`` bytes (see :func:`row_size`) in
    ``keys`` values."""

    size: int = 0
    keys: int = 0


@dataclass(frozen=True, slots=True)
class StateQuota:
    """The bounds of ``alc.state`` per namespace and per tenant (see the module table).

    Every field is a whole number > 0. Build it with :meth:`from_env` (the operator's settings
    over the defaults) or directly (``Engine(state_quota=StateQuota(...))``).
    """

    ns_bytes: int = 64 * _MIB
    ns_keys: int = 100_000
    tenant_bytes: int = 256 * _MIB
    tenant_keys: int = 1_000_000

    def __post_init__(self) -> None:
        for name in ("ns_bytes", "ns_keys", "tenant_bytes", "tenant_keys"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise InvalidInput(f"StateQuota.{name} must be a whole number > 0, not {value!r}.")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> StateQuota:
        """The quota from ``ALC_STATE_NS_MAX_BYTES``, ``ALC_STATE_NS_MAX_KEYS``,
        ``ALC_STATE_TENANT_MAX_BYTES``, ``ALC_STATE_TENANT_MAX_KEYS`` (each optional).

        Raises:
            InvalidInput: a setting that is not a whole number > 0.
        """
        source = os.environ if env is None else env
        values: dict[str, int] = {}
        for field, var in _ENV.items():
            raw = source.get(var, "").strip()
            if not raw:
                continue
            try:
                values[field] = int(raw.replace("_", ""))
            except ValueError:
                values[field] = 0
            if values[field] <= 0:
                raise InvalidInput(f"{var} must be a whole number > 0, not {raw[:40]!r}.")
        return cls(**values)

    def check(
        self,
        ns: str,
        key: str,
        grow: Usage,
        in_ns: Usage,
        in_tenant: Usage,
        tenant: str | None,
    ) -> None:
        """Refuse a write that adds ``grow`` (bytes, keys; either may be negative) to a
        namespace holding ``in_ns`` of a tenant holding ``in_tenant``.

        A write that grows neither bytes nor keys always passes (so a full namespace can still
        be shrunk or cleared).

        Raises:
            StateQuotaExceeded: a bound would be passed; nothing is written.
        """
        if grow.size <= 0 and grow.keys <= 0:
            return
        owner = "this store" if tenant is None else f"tenant {tenant[:60]!r}"
        checks = (
            (in_ns.size + grow.size, self.ns_bytes, f"namespace {ns[:60]!r}", "bytes"),
            (in_ns.keys + grow.keys, self.ns_keys, f"namespace {ns[:60]!r}", "keys"),
            (in_tenant.size + grow.size, self.tenant_bytes, owner, "bytes"),
            (in_tenant.keys + grow.keys, self.tenant_keys, owner, "keys"),
        )
        for total, bound, scope, unit in checks:
            if total > bound and (grow.size > 0 if unit == "bytes" else grow.keys > 0):
                raise StateQuotaExceeded(
                    f"state_quota_exceeded: alc.state: writing {key[:60]!r} would make "
                    f"{scope} hold {total:,} {unit}, over its quota of {bound:,}; delete keys "
                    "you no longer need (alc.state.delete) or ask the operator for a larger "
                    "quota."
                )


_ENV = {
    "ns_bytes": "ALC_STATE_NS_MAX_BYTES",
    "ns_keys": "ALC_STATE_NS_MAX_KEYS",
    "tenant_bytes": "ALC_STATE_TENANT_MAX_BYTES",
    "tenant_keys": "ALC_STATE_TENANT_MAX_KEYS",
}
