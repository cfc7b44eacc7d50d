"""Cards: algocline's immutable run records, their samples, aliases and lineage, on the store.

:class:`Cards` is the one implementation of every ``alc.card.*`` operation; the Lua functions
(through the session host, with replay), the Python API (``Engine.cards``), the CLI (``alc
cards``) and MCP (``alc_cards``) all call it. It takes and returns plain JSON values (dicts and
lists, the shapes algocline's ``alc.card.*`` returns) and raises coded request errors:

- ``invalid_input``: a malformed argument (no ``pkg.name``, a bad id, a bad ``where``);
- ``card_not_found``: ``append``, ``write_samples``, ``read_samples``, ``alias_set`` on a card
  that does not exist (``get``, ``get_by_alias`` and ``lineage`` return None instead);
- ``card_immutable``: ``create`` with an id that exists, ``append`` of a key that exists, a
  second ``write_samples``;
- ``card_too_large``: a body over ``CARD_MAX_BYTES``, samples over their bounds.

Every write is mirrored to the ``ALC_CARD_SINKS`` folders (:mod:`alc.engine.card_sinks`).
Every deliberate difference from algocline is listed in docs/cards.md.
"""

from __future__ import annotations

import builtins
import json
import time
from collections.abc import Callable
from typing import Any

from alc.engine import __version__
from alc.engine._validate import VALUE_MAX_DEPTH, check_json
from alc.engine.card_lineage import LINEAGE_MAX_DEPTH, LINEAGE_MAX_NODES, Walk
from alc.engine.card_query import check_where, matches, order_keys, ordered
from alc.engine.card_sinks import mirror_card, mirror_samples
from alc.engine.errors import CardImmutable, CardNotFound, InvalidInput
from alc.engine.store import Store
from alc.engine.store._interfaces import check_card_size
from alc.engine.store._records import SAMPLES_MAX_ROWS, AliasRecord, CardRecord
from alc.engine.tenancy import current_tenant

__all__ = [
    "CARD_OPERATIONS",
    "LINEAGE_MAX_DEPTH",
    "LINEAGE_MAX_NODES",
    "LIST_MAX",
    "NAME_MAX_CHARS",
    "REQUEST_TENANT",
    "SCHEMA_VERSION",
    "Cards",
]

SCHEMA_VERSION = "card/v0"
"""``schema_version`` of every card alc creates (algocline's frozen v0 schema)."""
NAME_MAX_CHARS = 256
"""A card id, package name or alias name is at most this many characters."""
LIST_MAX = 10_000
"""``list`` / ``find`` / ``alias_list`` return at most this many rows per call."""


def _djb2_hex(text: str) -> str:
    h = 5381
    for byte in text.encode():
        h = (h * 33 + byte) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def _stable(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _short_model(model_id: str) -> str:
    """``claude-opus-4-6`` -> ``opus46``; empty -> ``model`` (algocline's rule)."""
    for prefix in ("claude-", "gpt-"):
        if model_id.startswith(prefix):
            model_id = model_id[len(prefix) :]
            break
    short = "".join(c for c in model_id if c.isascii() and c.isalnum())
    return short or "model"


def _without_nulls(value: Any) -> Any:
    """``value`` with every JSON null dropped (cards never hold null: algocline's TOML cannot).

    Iterative (an explicit stack), so a value as deep as the JSON bound costs no recursion.
    """
    if not isinstance(value, dict | list):
        return value
    out: Any = {} if isinstance(value, dict) else []
    stack: list[tuple[Any, Any]] = [(value, out)]
    while stack:
        source, target = stack.pop()
        pairs = source.items() if isinstance(source, dict) else enumerate(source)
        for key, item in pairs:
            if item is None:
                continue
            copy = {} if isinstance(item, dict) else [] if isinstance(item, list) else item
            if isinstance(target, dict):
                target[key] = copy
            else:
                target.append(copy)
            if isinstance(item, dict | list):
                stack.append((item, copy))
    return out


def _name(value: Any, what: str, where: str) -> str:
    """A card id, package or alias name: a non-empty string without ``/``, ``\\``, ``..``
    or control characters, at most :data:`NAME_MAX_CHARS` long."""
    if not isinstance(value, str) or not value:
        raise InvalidInput(f"{where}: {what} must be a non-empty string")
    if (
        len(value) > NAME_MAX_CHARS
        or "/" in value
        or "\\" in value
        or ".." in value
        or any(ord(c) < 32 or ord(c) == 127 for c in value)
    ):
        raise InvalidInput(
            f"{where}: invalid {what} {value[:80]!r} (at most {NAME_MAX_CHARS} characters, "
            "no '/', '\\', '..' or control characters)"
        )
    return value


def _table(value: Any, what: str, where: str, *, optional: bool = True) -> dict[str, Any]:
    """``value`` if it is a JSON object within the JSON bounds (``check_json`` at
    ``VALUE_MAX_DEPTH``: string keys, finite numbers, 64-bit integers, at most 500 levels);
    ``{}`` for None when ``optional``.

    Raises:
        InvalidInput: anything else.
    """
    if value is None and optional:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput(f"{where}: {what} must be a table")
    check_json(value, f"{where}: {what}", VALUE_MAX_DEPTH)
    return value


def _count(value: Any, what: str, where: str, default: int | None) -> int | None:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise InvalidInput(f"{where}: {what} must be a whole number >= 0")
    if isinstance(value, float) and not value.is_integer():
        raise InvalidInput(f"{where}: {what} must be a whole number >= 0")
    return int(value)


def _optional_text(value: Any, what: str, where: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise InvalidInput(f"{where}: {what} must be a string")


def summary(card: CardRecord) -> dict[str, Any]:
    """A card's summary row: ``{card_id, pkg, created_at[, model][, scenario][, pass_rate]}``."""
    body = card.body
    out: dict[str, Any] = {"card_id": card.card_id, "pkg": card.pkg, "created_at": card.created_at}
    for key, section, field in (("model", "model", "id"), ("scenario", "scenario", "name")):
        part = body.get(section)
        if isinstance(part, dict) and isinstance(part.get(field), str):
            out[key] = part[field]
    stats = body.get("stats")
    rate = stats.get("pass_rate") if isinstance(stats, dict) else None
    if isinstance(rate, int | float) and not isinstance(rate, bool):
        out["pass_rate"] = rate
    return out


class _RequestTenant:
    """The type of :data:`REQUEST_TENANT`."""

    def __repr__(self) -> str:
        return "REQUEST_TENANT"


REQUEST_TENANT = _RequestTenant()
"""``Cards(tenant=REQUEST_TENANT)``: each call is served for the tenant of the request being
served (:func:`alc.engine.tenancy.current_tenant`; None outside ``alc serve`` with tokens)."""


class Cards:
    """Every ``alc.card.*`` operation over one store, for one tenant.

    Args:
        store: where cards live (the engine's store).
        now: Unix seconds (``created_at``, ``set_at`` and card ids read it).
        tenant: whose cards these are: a tenant name, None (no tenancy), or
            :data:`REQUEST_TENANT` (the default: the request's tenant at each call). A tenant
            sees, writes, links and aliases only its own cards; another tenant's card is as
            absent as one that never existed (``card_not_found`` / None).
    """

    def __init__(
        self,
        store: Store,
        now: Callable[[], float] = time.time,
        *,
        tenant: str | _RequestTenant | None = REQUEST_TENANT,
    ) -> None:
        self.store = store
        self._now = now
        self._tenant = tenant

    @property
    def tenant(self) -> str | None:
        """The tenant the next call is served for (None: no tenancy)."""
        if isinstance(self._tenant, _RequestTenant):
            return current_tenant()
        return self._tenant

    def card_get(self, card_id: str) -> CardRecord | None:
        """The tenant's card record (what a lineage walk reads)."""
        return self.store.card_get(card_id, tenant=self.tenant)

    def card_children(self, card_id: str) -> builtins.list[CardRecord]:
        """The tenant's cards whose ``prior_card_id`` is ``card_id`` (what a walk reads)."""
        return self.store.card_children(card_id, tenant=self.tenant)

    def _stamp(self, compact: bool = False) -> str:
        fmt = "%Y%m%dT%H%M%S" if compact else "%Y-%m-%dT%H:%M:%SZ"
        return time.strftime(fmt, time.gmtime(self._now()))

    # ------------------------------------------------------------------ write

    def create(self, card: Any) -> dict[str, Any]:
        """Write a new card; ``{"card_id", "path"}`` (``path`` is ``card:<card_id>``).

        ``card`` must have ``pkg.name``; ``schema_version``, ``created_at``, ``created_by``
        are added when absent, ``param_fingerprint`` when ``params`` is a table, and the id
        ``{pkg}_{model}_{YYYYMMDDTHHMMSS}_{hash6}`` when ``card_id`` is absent.

        Raises:
            InvalidInput: not a table, no ``pkg.name``, bad id or ``created_at``.
            CardImmutable: ``card_id`` given and taken. CardTooLarge: over the bound.
        """
        where = "alc.card.create"
        body = _without_nulls(_table(card, "the card", where, optional=False))
        pkg = body.get("pkg")
        name = pkg.get("name") if isinstance(pkg, dict) else None
        if name is None:
            raise InvalidInput(f"{where}: pkg.name is required")
        _name(name, "pkg.name", where)
        body.setdefault("schema_version", SCHEMA_VERSION)
        body.setdefault("created_at", self._stamp())
        body.setdefault("created_by", f"alc@{__version__}")
        if not isinstance(body["created_at"], str):
            raise InvalidInput(f"{where}: created_at must be a string (RFC 3339)")
        if isinstance(body.get("params"), dict):
            body["param_fingerprint"] = _djb2_hex(_stable(body["params"]))
        explicit = body.get("card_id")
        if explicit is not None:
            body["card_id"] = _name(explicit, "card_id", where)
            if not self._put(body):
                raise CardImmutable(f"{where}: card {explicit!r} already exists (immutable)")
            return {"card_id": explicit, "path": f"card:{explicit}"}
        return self._create_with_id(body, name)

    def _put(self, body: dict[str, Any]) -> bool:
        record = CardRecord.from_body(body)
        check_card_size(record)
        if not self.store.card_put(record, tenant=self.tenant):
            return False
        if self.tenant is None:  # ALC_CARD_SINKS mirror the operator's own cards
            mirror_card(record.body)
        return True

    def _create_with_id(self, body: dict[str, Any], pkg: str) -> dict[str, Any]:
        model = body.get("model")
        model_id = model.get("id") if isinstance(model, dict) else None
        prefix = f"{pkg}_{_short_model(model_id if isinstance(model_id, str) else '')}"
        seed = _stable(body)
        for attempt in range(1000):
            salt = seed if attempt == 0 else f"{seed}#{attempt}"
            card_id = f"{prefix}_{self._stamp(compact=True)}_{_djb2_hex(salt)[-6:]}"
            _name(card_id, "card_id", "alc.card.create")
            if self._put({**body, "card_id": card_id}):
                return {"card_id": card_id, "path": f"card:{card_id}"}
        raise CardImmutable("alc.card.create: no free card id; pass card_id explicitly")

    def append(self, card_id: Any, fields: Any) -> dict[str, Any]:
        """Add new top-level keys to a card (null values are dropped); the merged card.

        Raises:
            InvalidInput, CardNotFound, CardImmutable (a key exists), CardTooLarge.
        """
        where = "alc.card.append"
        cid = _name(card_id, "card_id", where)
        table = _table(fields, "fields", where, optional=False)
        merged = self.store.card_append(cid, _without_nulls(table), tenant=self.tenant).body
        if self.tenant is None:
            mirror_card(merged)
        return merged

    def write_samples(self, card_id: Any, samples: Any) -> dict[str, Any]:
        """Write the card's per-case rows, once; ``{"path", "count"}``.

        ``samples`` is a list of JSON values (an empty table is an empty list); each row is
        kept as JSON text, nulls included.

        Raises:
            InvalidInput, CardNotFound, CardImmutable (samples exist), CardTooLarge.
        """
        where = "alc.card.write_samples"
        cid = _name(card_id, "card_id", where)
        if samples == {}:
            samples = []
        if not isinstance(samples, list):
            raise InvalidInput(f"{where}: samples must be an array (a list of rows)")
        check_json(samples, f"{where}: samples", VALUE_MAX_DEPTH)
        rows = [_stable(row) for row in samples]
        count = self.store.samples_put(cid, rows, tenant=self.tenant)
        if self.tenant is None:
            mirror_samples(cid, samples)
        return {"path": f"card:{cid}/samples", "count": count}

    def alias_set(self, name: Any, card_id: Any, opts: Any = None) -> dict[str, Any]:
        """Bind (or re-bind) alias ``name`` to a card; the alias ``{name, card_id, set_at[,
        pkg][, note]}``. ``opts`` is ``{pkg?, note?}`` (metadata only).

        Raises:
            InvalidInput, CardNotFound (no such card).
        """
        where = "alc.card.alias_set"
        options = _table(opts, "opts", where)
        record = AliasRecord(
            name=_name(name, "alias name", where),
            card_id=_name(card_id, "card_id", where),
            pkg=_optional_text(options.get("pkg"), "opts.pkg", where),
            note=_optional_text(options.get("note"), "opts.note", where),
            set_at=self._stamp(),
        )
        try:
            self.store.alias_set(record, tenant=self.tenant)
        except CardNotFound:
            raise CardNotFound(f"{where}: no card {record.card_id!r} in this store") from None
        return record.wire()

    # ------------------------------------------------------------------ read

    def get(self, card_id: Any) -> dict[str, Any] | None:
        """The whole card, or None when there is none."""
        card = self.store.card_get(_name(card_id, "card_id", "alc.card.get"), tenant=self.tenant)
        return None if card is None else card.body

    def get_by_alias(self, name: Any) -> dict[str, Any] | None:
        """The card an alias names, or None when there is no such alias.

        Raises:
            CardNotFound: the alias names a card that is gone.
        """
        alias = self.store.alias_get(
            _name(name, "alias name", "alc.card.get_by_alias"), tenant=self.tenant
        )
        if alias is None:
            return None
        card = self.store.card_get(alias.card_id, tenant=self.tenant)
        if card is None:
            raise CardNotFound(
                f"alc.card.get_by_alias: alias {alias.name!r} names card {alias.card_id!r}, "
                "which is not in this store"
            )
        return card.body

    def list(self, filter: Any = None) -> builtins.list[dict[str, Any]]:
        """Summaries (see :func:`summary`), newest first; ``filter`` is ``{pkg?, limit?}``."""
        where = "alc.card.list"
        options = _table(filter, "filter", where)
        pkg = options.get("pkg")
        limit = _count(options.get("limit"), "limit", where, LIST_MAX)
        cards = self.store.card_list(
            None if pkg is None else _name(pkg, "pkg", where),
            min(limit or 0, LIST_MAX),
            tenant=self.tenant,
        )
        return [summary(c) for c in cards]

    def find(self, query: Any = None) -> builtins.list[dict[str, Any]]:
        """Summaries of the cards matching ``query`` = ``{pkg?, where?, order_by?, limit?,
        offset?}`` (docs/cards.md); ``where`` tests the whole card, ``order_by`` defaults to
        newest first, ``offset`` applies after the filter.

        Raises:
            InvalidInput: a malformed query.
        """
        where = "alc.card.find"
        q = _table(query, "query", where)
        pkg = q.get("pkg")
        cards = [
            c.body
            for c in self.store.card_list(
                None if pkg is None else _name(pkg, "pkg", where), tenant=self.tenant
            )
        ]
        if q.get("where") is not None:
            test = check_where(q["where"], where)
            cards = [c for c in cards if matches(test, c)]
        if q.get("order_by") is not None:
            cards = ordered(cards, order_keys(q["order_by"], where))
        offset = _count(q.get("offset"), "offset", where, 0) or 0
        limit = min(_count(q.get("limit"), "limit", where, LIST_MAX) or 0, LIST_MAX)
        return [summary(CardRecord.from_body(c)) for c in cards[offset : offset + limit]]

    def read_samples(self, card_id: Any, opts: Any = None) -> builtins.list[Any]:
        """The card's rows in written order; ``opts`` is ``{offset?, limit?, where?}``
        (``where`` filters each row, ``offset`` applies after it).

        Raises:
            InvalidInput, CardNotFound (no such card; a card without samples gives ``[]``).
        """
        where = "alc.card.read_samples"
        cid = _name(card_id, "card_id", where)
        o = _table(opts, "opts", where)
        offset = _count(o.get("offset"), "offset", where, 0) or 0
        limit = _count(o.get("limit"), "limit", where, SAMPLES_MAX_ROWS)
        if o.get("where") is None:
            return [
                json.loads(r)
                for r in self.store.samples_read(cid, offset, limit, tenant=self.tenant)
            ]
        test = check_where(o["where"], where)
        rows = [json.loads(r) for r in self.store.samples_read(cid, tenant=self.tenant)]
        hits = [r for r in rows if matches(test, r)]
        return hits[offset : None if limit is None else offset + limit]

    def alias_list(self, filter: Any = None) -> builtins.list[dict[str, Any]]:
        """Aliases ``{name, card_id, set_at[, pkg][, note]}`` by name; ``filter`` is ``{pkg?}``."""
        options = _table(filter, "filter", "alc.card.alias_list")
        pkg = _optional_text(options.get("pkg"), "filter.pkg", "alc.card.alias_list")
        return [a.wire() for a in self.store.alias_list(pkg, tenant=self.tenant)[:LIST_MAX]]

    def samples_count(self, card_id: str) -> int:
        """How many sample rows the card has."""
        return self.store.samples_count(card_id, tenant=self.tenant)

    def lineage(self, query: Any) -> dict[str, Any] | None:
        """The card's family through ``metadata.prior_card_id``: ``{root, nodes, edges,
        truncated}``, or None when the card does not exist.

        ``query`` = ``{card_id, direction? ("up" | "down" | "both"; "up"), depth? (10, at most
        100), include_stats? (true), relation_filter? (list of prior_relation values)}``.
        ``nodes``: ``{card_id, pkg, depth[, prior_card_id][, prior_relation][, stats]}`` with
        depth 0 for the root, negative above, positive below; ``edges``: ``{from, to[,
        relation]}`` from child to parent.

        Raises:
            InvalidInput: a malformed query.
        """
        where = "alc.card.lineage"
        q = _table(query, "query", where, optional=False)
        root = self.card_get(_name(q.get("card_id"), "card_id", where))
        if root is None:
            return None
        return Walk.from_query(self, q, where).run(root)


CARD_OPERATIONS: dict[str, Callable[..., Any]] = {
    "create": Cards.create,
    "get": Cards.get,
    "list": Cards.list,
    "find": Cards.find,
    "append": Cards.append,
    "write_samples": Cards.write_samples,
    "read_samples": Cards.read_samples,
    "alias_set": Cards.alias_set,
    "alias_list": Cards.alias_list,
    "get_by_alias": Cards.get_by_alias,
    "lineage": Cards.lineage,
}
"""``alc.card.*`` by name, as boot.lua calls them (each takes the :class:`Cards` first)."""
