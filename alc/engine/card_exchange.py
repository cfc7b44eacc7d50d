"""Cards leaving and entering the store: collections, publishing, sinks, and sample traces.

A *card file* is one card as a JSON object (``<card_id>.json``; ``.toml`` is read too) with its
samples beside it as JSON lines (``<card_id>.samples.jsonl``). A *card collection* is a folder
(or a git repository) holding card files anywhere below it; :func:`install_cards` copies every
card it holds into the store (a card already there is skipped: cards are immutable).
:func:`publish_card` writes one card's files into a git repository under ``cards/<pkg>/``,
commits and pushes. A *sink* (``ALC_CARD_SINKS``, comma-separated URIs; ``file:///dir`` is the
one scheme) is a folder of card files: :func:`backfill_sink` copies every stored card into one,
never overwriting a file. :func:`trace_query` / :func:`trace_diff` read the ``trace`` objects
(``{calls, ms, completed, ...}``) strategies write into sample rows.

Errors: :class:`~alc.engine.errors.InvalidInput` for bad arguments, ``InstallFailed`` for a
source that cannot be fetched or a git step that fails, ``CardNotFound`` for unknown cards.
"""

from __future__ import annotations

import json
import os
import tempfile
import tomllib
from collections.abc import Iterator
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

_TRACE_FILTERS = ("min_calls", "max_calls", "min_ms", "max_ms")


def _number(trace: dict[str, Any], key: str) -> float | None:
    value = trace.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _trace_matches(trace: dict[str, Any], q: dict[str, Any]) -> bool:
    for name in _TRACE_FILTERS:
        bound = q.get(name)
        if bound is None:
            continue
        value = _number(trace, name[4:])
        if value is None or (value < bound if name.startswith("min") else value > bound):
            return False
    completed = q.get("completed")
    return completed is None or bool(trace.get("completed")) == completed


def trace_query(cards: Cards, query: dict[str, Any]) -> dict[str, Any]:
    """Sample rows that carry a ``trace`` object, over every card (of ``query["pkg"]``).

    ``query``: ``pkg``, ``min_calls``/``max_calls``, ``min_ms``/``max_ms`` (inclusive bounds
    on ``trace.calls`` / ``trace.ms``), ``completed`` (bool), ``offset``, ``limit`` (100).
    Returns ``{"rows": [{card_id, pkg, sample_index, trace}], "total"}`` (total before paging).
    """
    hits: list[dict[str, Any]] = []
    for summary in cards.list({"pkg": query.get("pkg"), "limit": LIST_MAX}):
        for index, row in enumerate(cards.read_samples(summary["card_id"])):
            trace = row.get("trace") if isinstance(row, dict) else None
            if isinstance(trace, dict) and _trace_matches(trace, query):
                hits.append(
                    {
                        "card_id": summary["card_id"],
                        "pkg": summary.get("pkg"),
                        "sample_index": index,
                        "trace": trace,
                    }
                )
    offset: int = query.get("offset") or 0
    limit: int = query.get("limit") or 100
    return {"rows": hits[offset : offset + limit], "total": len(hits)}


def _trace_row(cards: Cards, card_id: str, index: int) -> dict[str, Any]:
    rows = cards.read_samples(card_id, {"offset": index, "limit": 1})
    trace = rows[0].get("trace") if rows and isinstance(rows[0], dict) else None
    if not isinstance(trace, dict):
        if cards.get(card_id) is None:
            raise CardNotFound(f"No card {card_id!r} in this store.")
        raise InvalidInput(f"Sample {index} of card {card_id!r} has no trace object.")
    return trace


def trace_diff(cards: Cards, a: str, b: str, a_index: int = 0, b_index: int = 0) -> dict[str, Any]:
    """Compare two trace rows: ``{"a", "b", "delta": {calls, ms, ms_per_call}}`` (``b - a``;
    a delta is null when either side lacks the number, ``ms_per_call`` when calls is 0).

    Raises:
        CardNotFound: an unknown card. InvalidInput: the sample has no ``trace`` object.
    """
    ta, tb = _trace_row(cards, a, a_index), _trace_row(cards, b, b_index)

    def per_call(t: dict[str, Any]) -> float | None:
        calls, ms = _number(t, "calls"), _number(t, "ms")
        return ms / calls if calls and ms is not None else None

    def delta(x: float | None, y: float | None) -> float | None:
        return None if x is None or y is None else y - x

    return {
        "a": {"card_id": a, "sample_index": a_index, "trace": ta},
        "b": {"card_id": b, "sample_index": b_index, "trace": tb},
        "delta": {
            "calls": delta(_number(ta, "calls"), _number(tb, "calls")),
            "ms": delta(_number(ta, "ms"), _number(tb, "ms")),
            "ms_per_call": delta(per_call(ta), per_call(tb)),
        },
    }
