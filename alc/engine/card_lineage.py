"""``alc.card.lineage``: walk a card's ancestors and descendants through
``metadata.prior_card_id`` (algocline's convention, with ``metadata.prior_relation`` naming the
kind of link). Breadth first, a visited set against cycles, bounded in depth and nodes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from alc.engine.errors import InvalidInput
from alc.engine.store._records import CardRecord

__all__ = ["DIRECTIONS", "LINEAGE_MAX_DEPTH", "LINEAGE_MAX_NODES", "Walk"]

DIRECTIONS = ("up", "down", "both")
"""``direction`` values: ancestors, descendants, both."""
_DEFAULT_DEPTH = 10
LINEAGE_MAX_DEPTH = 100
"""``lineage`` walks at most this many links in each direction (``depth`` default 10)."""
LINEAGE_MAX_NODES = 1_000
"""``lineage`` returns at most this many nodes (then ``truncated`` is true)."""


def _relation(card: CardRecord) -> str | None:
    metadata = card.body.get("metadata")
    rel = metadata.get("prior_relation") if isinstance(metadata, dict) else None
    return rel if isinstance(rel, str) else None


class CardLookup(Protocol):
    """What a walk reads: one tenant's cards (``Cards`` binds the tenant)."""

    def card_get(self, card_id: str) -> CardRecord | None: ...
    def card_children(self, card_id: str) -> list[CardRecord]: ...


@dataclass
class Walk:
    """One lineage walk (see :meth:`alc.engine.cards.Cards.lineage` for the shapes)."""

    store: CardLookup
    direction: str = "up"
    depth: int = _DEFAULT_DEPTH
    include_stats: bool = True
    relations: frozenset[str] | None = None
    nodes: list[dict[str, Any]] = field(default_factory=list)
    edges: list[dict[str, Any]] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    truncated: bool = False

    @classmethod
    def from_query(cls, store: CardLookup, q: dict[str, Any], where: str) -> Walk:
        """The walk ``q`` asks for (``q.card_id`` is read by the caller).

        Raises:
            InvalidInput: a bad direction, depth, include_stats or relation_filter.
        """
        direction = q.get("direction") or "up"
        if direction not in DIRECTIONS:
            raise InvalidInput(f"{where}: direction must be 'up', 'down' or 'both'")
        depth = q.get("depth", _DEFAULT_DEPTH)
        if isinstance(depth, bool) or not isinstance(depth, int | float) or depth < 0:
            raise InvalidInput(f"{where}: depth must be a whole number >= 0")
        stats = q.get("include_stats", True)
        if not isinstance(stats, bool):
            raise InvalidInput(f"{where}: include_stats must be true or false")
        relations = q.get("relation_filter")
        if relations is not None and not (
            isinstance(relations, list) and all(isinstance(r, str) for r in relations)
        ):
            raise InvalidInput(f"{where}: relation_filter must be a list of strings")
        return cls(
            store,
            direction,
            min(int(depth), LINEAGE_MAX_DEPTH),
            stats,
            None if relations is None else frozenset(relations),
        )

    def _follows(self, child: CardRecord) -> bool:
        return self.relations is None or _relation(child) in self.relations

    def _add(self, card: CardRecord, depth: int) -> bool:
        if card.card_id in self.seen:
            return False
        if len(self.nodes) >= LINEAGE_MAX_NODES:
            self.truncated = True
            return False
        self.seen.add(card.card_id)
        node: dict[str, Any] = {"card_id": card.card_id, "pkg": card.pkg, "depth": depth}
        if card.prior_card_id is not None:
            node["prior_card_id"] = card.prior_card_id
        if _relation(card) is not None:
            node["prior_relation"] = _relation(card)
        stats = card.body.get("stats")
        if self.include_stats and isinstance(stats, dict):
            node["stats"] = stats
        self.nodes.append(node)
        return True

    def _edge(self, child: CardRecord, parent_id: str) -> None:
        edge: dict[str, Any] = {"from": child.card_id, "to": parent_id}
        if _relation(child) is not None:
            edge["relation"] = _relation(child)
        self.edges.append(edge)

    def _up(self, root: CardRecord) -> None:
        card, level = root, 0
        while card.prior_card_id is not None and self._follows(card):
            if level >= self.depth:
                self.truncated = True
                return
            parent = self.store.card_get(card.prior_card_id)
            if parent is None or parent.card_id in self.seen:
                return  # a dangling link (the parent is gone) or a cycle ends the walk
            self._edge(card, parent.card_id)
            level += 1
            if not self._add(parent, -level):
                return
            card = parent

    def _down(self, root: CardRecord) -> None:
        frontier, level = [root], 0
        while frontier:
            children = [
                (parent, child)
                for parent in frontier
                for child in self.store.card_children(parent.card_id)
                if self._follows(child) and child.card_id not in self.seen
            ]
            if children and level >= self.depth:
                self.truncated = True
                return
            level += 1
            frontier = []
            for parent, child in children:
                if self._add(child, level):
                    self._edge(child, parent.card_id)
                    frontier.append(child)

    def run(self, root: CardRecord) -> dict[str, Any]:
        """Walk from ``root``: ``{root, nodes, edges, truncated}``."""
        self._add(root, 0)
        if self.direction in ("up", "both"):
            self._up(root)
        if self.direction in ("down", "both"):
            self._down(root)
        return {
            "root": root.card_id,
            "nodes": self.nodes,
            "edges": self.edges,
            "truncated": self.truncated,
        }
