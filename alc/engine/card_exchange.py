"""Cards leaving and entering the store: collections, publishing, sinks, and sample traces.

A *card file* is one card as a JSON object (``<card_id>.json``; ``.toml`` is read too) with its
samples beside it as JSON lines (``<card_id>.samples.jsonl``). A *card collection* is a folder
(or a git repository) holding card files anywhere below it; :func:`install_cards` copies every
card it holds into the store (a card already there is skipped: cards are immutable).
:func:`publish_card` writes one card's files into a git repository under ``cards/<pkg>/``,
commits and pushes. A *sink* (``ALC_CARD_SINKS``, comma-separated URIs; ``file:///dir`` is the
one scheme) is a folder of card files: :func:`backfill_sink` copies every stored card into one,
never overwriting a file. :func:`trace_query` / :func:`trace_diff` read the ``trace`` objects
(``{total_calls, total_trace_ms, completed}``, as algocline's recipe_trace writes them) of
sample rows.

Errors: :class:`~alc.engine.errors.InvalidInput` for bad arguments, ``InstallFailed`` for a
source that cannot be fetched or a git step that fails, ``CardNotFound`` for unknown cards.
"""

from __future__ import annotations

import json
import os
import tempfile
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from alc.engine.cards import LIST_MAX, Cards
from alc.engine.errors import CardImmutable, CardNotFound, InstallFailed, InvalidInput
from alc.engine.pkg._fetch import _git, fetch

__all__ = [
    "SINKS_ENV",
    "backfill_sink",
    "configured_sinks",
    "install_cards",
    "publish_card",
    "sink_folder",
    "trace_diff",
    "trace_query",
]

SINKS_ENV = "ALC_CARD_SINKS"
"""The environment variable listing the card sinks (comma-separated ``file://`` URIs)."""

_SAMPLES_SUFFIX = ".samples.jsonl"
_MAX_FILE = 16 * 2**20


def _card_files(tree: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(tree):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith((".json", ".toml")) and name != "hub_index.json":
                yield Path(dirpath) / name


def _read_card(path: Path) -> dict[str, Any] | None:
    """The card in ``path``, or None for a file that is not a card (no ``card_id``/``pkg``)."""
    if path.is_symlink() or path.stat().st_size > _MAX_FILE:
        return None
    try:
        text = path.read_text(encoding="utf-8")
        body = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    ok = isinstance(body, dict) and isinstance(body.get("card_id"), str)
    return body if ok and isinstance(body.get("pkg"), dict) else None


def _read_samples(path: Path) -> list[Any] | None:
    sidecar = path.with_name(path.name.rsplit(".", 1)[0] + _SAMPLES_SUFFIX)
    if not sidecar.is_file() or sidecar.is_symlink():
        return None
    try:
        lines = sidecar.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise InstallFailed(f"{sidecar}: not JSON lines ({exc}).") from None


def install_cards(cards: Cards, source: str) -> dict[str, Any]:
    """Copy every card of a collection (a local folder or a git URL) into the store.

    Returns ``{"source", "installed": [card_id], "skipped": [card_id], "samples": rows}``:
    ``skipped`` are ids the store holds already (cards are immutable, nothing is overwritten).

    Raises:
        InstallFailed: the source cannot be fetched, or it holds no card file.
        InvalidInput / CardTooLarge: a card the store refuses (the message names it).
    """
    installed: list[str] = []
    skipped: list[str] = []
    rows = 0
    with tempfile.TemporaryDirectory(prefix="alc-cards-") as work:
        tree = fetch(source, None, Path(work)).path
        found = [(p, c) for p in _card_files(tree) if (c := _read_card(p)) is not None]
        if not found:
            raise InstallFailed(
                f"{source!r} holds no card file (a JSON or TOML object with card_id and pkg)."
            )
        for path, body in found:
            try:
                cards.create(body)
            except CardImmutable:
                skipped.append(body["card_id"])
                continue
            installed.append(body["card_id"])
            samples = _read_samples(path)
            if samples is not None:
                rows += cards.write_samples(body["card_id"], samples)["count"]
    return {"source": source, "installed": installed, "skipped": skipped, "samples": rows}


def _card_with_samples(cards: Cards, card_id: str) -> tuple[dict[str, Any], list[Any]]:
    card = cards.get(card_id)
    if card is None:
        raise CardNotFound(f"No card {card_id!r} in this store (alc_card_list shows them).")
    return card, cards.read_samples(card_id)


def _write_card(folder: Path, card: dict[str, Any], samples: list[Any]) -> list[Path]:
    """Write ``<folder>/<pkg>/<card_id>.json`` (and its samples) unless it exists; the paths
    written (empty when the card file was there already)."""
    target = folder / card["pkg"]["name"] / f"{card['card_id']}.json"
    if target.exists():
        return []
    sidecar = target.with_name(card["card_id"] + _SAMPLES_SUFFIX)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(card, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        target.write_text(text, encoding="utf-8")
        if not samples:
            return [target]
        lines = (json.dumps(r, sort_keys=True, ensure_ascii=False) for r in samples)
        sidecar.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    except OSError as exc:
        raise InstallFailed(f"Cannot write card {card['card_id']!r} to {folder}: {exc}.") from None
    return [target, sidecar]


def publish_card(
    cards: Cards, card_id: str, target_repo: str, commit_message: str | None = None
) -> dict[str, Any]:
    """Clone ``target_repo``, add the card under ``cards/<pkg>/``, commit and push.

    Returns ``{"published_url", "commit_hash", "reindex_status", "paths"}``; publishing a card
    the repository holds already changes nothing and returns its current commit.

    Raises:
        CardNotFound, InstallFailed (a git step failed: its own words are in the message).
    """
    card, samples = _card_with_samples(cards, card_id)
    with tempfile.TemporaryDirectory(prefix="alc-publish-") as work:
        clone = Path(work) / "clone"
        _git("clone", "--quiet", "--", target_repo, str(clone), what=f"clone {target_repo}")
        written = _write_card(clone / "cards", card, samples)
        paths = [p.relative_to(clone).as_posix() for p in written]
        if written:
            git = ("-C", str(clone), "-c", "user.name=alc", "-c", "user.email=alc@localhost")
            _git(*git, "add", "--", *paths, what="stage the card")
            message = commit_message or f"Publish card {card_id}"
            _git(*git, "commit", "--quiet", "-m", message, what="commit the card")
            _git("-C", str(clone), "push", "--quiet", "origin", "HEAD", what="push the card")
        head = _git("-C", str(clone), "rev-parse", "HEAD", what="read the commit").strip()
    return {
        "published_url": f"{target_repo}#cards/{card['pkg']['name']}/{card_id}.json",
        "commit_hash": head,
        "paths": paths,
        "reindex_status": "skipped: alc has no hub index of cards (alc_hub_reindex indexes "
        "packages)"
        if written
        else "unchanged: the repository holds this card already",
    }


def configured_sinks() -> list[str]:
    """The sink URIs of ``ALC_CARD_SINKS`` (empty when unset)."""
    return [s.strip() for s in os.environ.get(SINKS_ENV, "").split(",") if s.strip()]


def sink_folder(uri: str) -> Path:
    """The folder a ``file://`` sink URI names.

    Raises:
        InvalidInput: another scheme, or a URI with a host.
    """
    parsed = urlparse(uri)
    local = parsed.scheme == "file" and parsed.netloc in ("", "localhost")
    if not local or not parsed.path.startswith("/"):
        raise InvalidInput(
            f"Card sink {uri!r} is not supported: alc writes file:///absolute/folder sinks "
            f"({SINKS_ENV} lists them, comma-separated)."
        )
    return Path(unquote(parsed.path))


def backfill_sink(cards: Cards, sink: str, dry_run: bool = False) -> dict[str, Any]:
    """Copy every stored card (and its samples) to ``sink`` without overwriting a card file.

    ``sink`` is a URI of ``ALC_CARD_SINKS`` or any ``file://`` URI. Returns ``{"sink",
    "dry_run", "copied": [card_id], "skipped": [card_id] (already in the sink)}``.

    Raises:
        InvalidInput: an unsupported sink URI. InstallFailed: the folder cannot be written.
    """
    folder = sink_folder(sink)
    copied: list[str] = []
    skipped: list[str] = []
    for summary in cards.list({"limit": LIST_MAX}):
        card_id = summary["card_id"]
        card, samples = _card_with_samples(cards, card_id)
        if (folder / card["pkg"]["name"] / f"{card_id}.json").exists():
            skipped.append(card_id)
            continue
        if not dry_run:
            _write_card(folder, card, samples)
        copied.append(card_id)
    return {"sink": sink, "dry_run": dry_run, "copied": copied, "skipped": skipped}


# ---------------------------------------------------------------------- traces


@dataclass(frozen=True)
class _Trace:
    """A sample's ``trace`` object as recipe_trace writes it: ``total_calls`` (an integer >= 0;
    a row without it is untraced), ``total_trace_ms`` (0 when absent), ``completed``."""

    calls: int
    ms: float
    completed: bool

    @classmethod
    def of(cls, row: Any) -> _Trace | None:
        trace = row.get("trace") if isinstance(row, dict) else None
        calls = trace.get("total_calls") if isinstance(trace, dict) else None
        if isinstance(calls, bool) or not isinstance(calls, int) or calls < 0:
            return None
        assert isinstance(trace, dict)
        ms = trace.get("total_trace_ms")
        if isinstance(ms, bool) or not isinstance(ms, int | float):
            ms = 0.0
        return cls(calls, float(ms), trace.get("completed") is True)

    def wire(self) -> dict[str, Any]:
        return {"total_calls": self.calls, "total_trace_ms": self.ms, "completed": self.completed}

    def per_call(self) -> float:
        return self.ms / self.calls if self.calls else 0.0


def _in_range(value: float, low: Any, high: Any) -> bool:
    return (low is None or value >= low) and (high is None or value <= high)


def trace_query(cards: Cards, query: dict[str, Any]) -> dict[str, Any]:
    """Sample rows that carry a ``trace`` object, over every card (of ``query["pkg"]``), in
    card order then row order (algocline's ``alc_trace_query``).

    ``query``: ``pkg``, ``min_calls``/``max_calls`` (inclusive bounds on ``trace.total_calls``),
    ``min_ms``/``max_ms`` (on ``trace.total_trace_ms``), ``completed`` (bool), ``offset``,
    ``limit`` (None: all). Returns ``{"rows": [{card_id, pkg, sample_index, trace:
    {total_calls, total_trace_ms, completed}, case?}], "total"}`` (``total`` before paging).
    """
    hits: list[dict[str, Any]] = []
    for summary in cards.list({"pkg": query.get("pkg"), "limit": LIST_MAX}):
        for index, row in enumerate(cards.read_samples(summary["card_id"])):
            trace = _Trace.of(row)
            if trace is None or not _in_range(
                trace.calls, query.get("min_calls"), query.get("max_calls")
            ):
                continue
            if not _in_range(trace.ms, query.get("min_ms"), query.get("max_ms")):
                continue
            if query.get("completed") is not None and trace.completed != query["completed"]:
                continue
            hit = {"card_id": summary["card_id"], "pkg": summary.get("pkg")}
            hit.update(sample_index=index, trace=trace.wire())
            if "case" in row:
                hit["case"] = row["case"]
            hits.append(hit)
    offset: int = query.get("offset") or 0
    limit = query.get("limit")
    return {"rows": hits[offset : None if limit is None else offset + limit], "total": len(hits)}


def _trace_row(cards: Cards, card_id: str, index: int) -> _Trace:
    if cards.get(card_id) is None:
        raise CardNotFound(f"No card {card_id!r} in this store (alc_card_list shows them).")
    rows = cards.read_samples(card_id)
    if index >= len(rows):
        raise InvalidInput(
            f"Card {card_id!r}: sample index {index} is out of range ({len(rows)} rows)."
        )
    trace = _Trace.of(rows[index])
    if trace is None:
        raise InvalidInput(
            f"Card {card_id!r}: sample {index} has no trace (a trace object with total_calls)."
        )
    return trace


def trace_diff(cards: Cards, a: str, b: str, a_index: int = 0, b_index: int = 0) -> dict[str, Any]:
    """Compare two trace rows as algocline's ``alc_trace_diff`` does: ``{"a_ref", "b_ref",
    "a_trace", "b_trace", "delta": {calls_delta, ms_delta, ms_per_call_delta (the average
    ms per call, 0 for no calls), completed_a, completed_b}}``, every delta ``b - a``.

    Raises:
        CardNotFound: an unknown card. InvalidInput: an index past the rows, or a row
            without a trace.
    """
    ta, tb = _trace_row(cards, a, a_index), _trace_row(cards, b, b_index)
    return {
        "a_ref": {"card_id": a, "sample_index": a_index},
        "b_ref": {"card_id": b, "sample_index": b_index},
        "a_trace": ta.wire(),
        "b_trace": tb.wire(),
        "delta": {
            "calls_delta": tb.calls - ta.calls,
            "ms_delta": tb.ms - ta.ms,
            "ms_per_call_delta": tb.per_call() - ta.per_call(),
            "completed_a": ta.completed,
            "completed_b": tb.completed,
        },
    }
