"""Where eval runs live: the store's internal records while a run is in progress, one card per
(run, strategy) with its samples once that strategy has finished.

A run id is ``ev-<12 hex>``. While it runs, each finished (strategy, case) pair is written at
once (internal space ``eval``, key ``case/<run>/<strategy>/<case>``), so Ctrl-C loses at most the
pairs in flight, whose sessions stay paused at their last answered query and are driven on by the
next ``alc eval run`` of the same run. When every case of a strategy is graded, its results are
written as a card (``pkg.name`` = the strategy, ``eval`` section, ``stats``) with one sample row
per case (docs/cards.md); cards are immutable, so a re-grade writes new cards whose
``metadata.prior_card_id`` is the graded one.

=======================  ==========================================================
``run/<run_id>``         the run record: config, scenario (every case), status, cards
``case/<run>/<s>/<c>``   one pair: ``{"session_id", "sample"}`` (``sample`` once graded)
``index``                run ids, oldest first
``open/<fingerprint>``   the unfinished run of a configuration (what a re-run continues)
=======================  ==========================================================
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from typing import Any

from alc.engine.cards import Cards
from alc.engine.errors import InvalidInput
from alc.engine.store import Store
from alc.engine.tenancy import check_tenant, current_tenant

__all__ = ["RunRecords", "new_run_id"]

SPACE = "eval"


class _Unset:
    pass


_UNSET = _Unset()


def new_run_id() -> str:
    """A fresh run id, ``ev-`` and 12 hex digits."""
    return "ev-" + secrets.token_hex(6)


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, allow_nan=False)


def tenant_space(tenant: str | None) -> str:
    """The internal space of a tenant's eval runs: ``eval`` without tenancy, else ``eval``, a
    record separator (U+001E, which no tenant name may hold) and the tenant, so no two tenants
    share a space whatever their names."""
    return SPACE if tenant is None else f"{SPACE}\x1e{check_tenant(tenant)}"


class RunRecords:
    """One tenant's eval runs in one store (every method reads or writes the store at once).

    Args:
        store: the engine's store.
        tenant: whose runs (and cards) these are; default: the tenant of the request being
            served when the records are made (None: no tenancy). A tenant sees only its own.
    """

    def __init__(self, store: Store, tenant: str | _Unset | None = _UNSET) -> None:
        self.store = store
        self.tenant = current_tenant() if isinstance(tenant, _Unset) else tenant
        self._space = tenant_space(self.tenant)

    # ------------------------------------------------------------------ runs
    def _get(self, key: str) -> Any:
        text = self.store.get_internal(self._space, key)
        return None if text is None else json.loads(text)

    def _set(self, key: str, value: Any) -> None:
        self.store.set_internal(self._space, key, _json(value))

    def run(self, run_id: str) -> dict[str, Any]:
        """The run record.

        Raises:
            InvalidInput: no such run (the message says how to list them).
        """
        record = self._get(f"run/{run_id}") if isinstance(run_id, str) else None
        if not isinstance(record, dict):
            raise InvalidInput(f"No eval run {run_id!r} in this store; `alc eval list` lists them.")
        return record

    def save_run(self, record: Mapping[str, Any]) -> None:
        """Write the run record (and add it to the index when new)."""
        run_id = record["run_id"]
        is_new = self._get(f"run/{run_id}") is None
        self._set(f"run/{run_id}", dict(record))
        if is_new:
            self._set("index", [*self.run_ids(), run_id])

    def run_ids(self) -> list[str]:
        """Every run id, oldest first."""
        ids = self._get("index")
        return [i for i in ids if isinstance(i, str)] if isinstance(ids, list) else []

    def open_run(self, fingerprint: str) -> str | None:
        """The unfinished run of this configuration, if any."""
        run_id = self._get(f"open/{fingerprint}")
        return run_id if isinstance(run_id, str) and run_id else None

    def set_open(self, fingerprint: str, run_id: str | None) -> None:
        self._set(f"open/{fingerprint}", run_id or "")

    # ------------------------------------------------------------------ pairs
    def pair(self, run_id: str, strategy: str, case_id: str) -> dict[str, Any]:
        """``{"session_id": ..., "sample": ...}`` of one pair (empty when not started)."""
        value = self._get(f"case/{run_id}/{strategy}/{case_id}")
        return value if isinstance(value, dict) else {}

    def save_pair(self, run_id: str, strategy: str, case_id: str, value: Mapping[str, Any]) -> None:
        self._set(f"case/{run_id}/{strategy}/{case_id}", dict(value))

    # ------------------------------------------------------------------ cards
    def write_card(
        self, body: dict[str, Any], samples: list[dict[str, Any]], prior: str | None = None
    ) -> str:
        """Write one strategy's results as a card with its samples; returns the card id.

        ``body`` carries ``pkg``, ``model``, ``eval`` and ``stats``; the id is
        ``{pkg}_{model}_{YYYYMMDDTHHMMSS}_{hash6}`` as for ``alc.card.create``.
        """
        full = dict(body)
        if prior is not None:
            full["metadata"] = {**full.get("metadata", {}), "prior_card_id": prior}
        cards = Cards(self.store, tenant=self.tenant)  # the checks and id rule of alc.card.create
        card_id = str(cards.create(full)["card_id"])
        cards.write_samples(card_id, samples)
        return card_id

    def card(self, card_id: str) -> dict[str, Any]:
        """A card's body.

        Raises:
            InvalidInput: no such card.
        """
        card = self.store.card_get(card_id, tenant=self.tenant)
        if card is None:
            raise InvalidInput(f"No card {card_id!r} in this store.")
        return dict(card.body)

    def samples(self, card_id: str) -> list[dict[str, Any]]:
        """A card's sample rows, in case order."""
        return [json.loads(row) for row in self.store.samples_read(card_id, tenant=self.tenant)]
