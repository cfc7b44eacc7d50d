"""Cards leaving and entering the store: collections, publishing and sinks.

The file layout is algocline's: a *card file* is one card as TOML, ``<pkg>/<card_id>.toml``
(``.json`` is read too), its samples beside it as JSON lines, ``<card_id>.samples.jsonl``.

- :func:`install_cards`: a *card collection* (a folder or a git repository with
  ``alc_cards.toml`` at its root; each sub-folder not starting with ``_`` or ``.`` is a package
  whose card files are imported) goes into the store; a card the store holds already is
  skipped (cards are immutable). A tree without the manifest is read too when it holds card
  files under ``cards/<pkg>/`` (what :func:`publish_card` writes).
- :func:`publish_card`: clone a repository, add ``cards/<pkg>/<card_id>.toml`` (and samples),
  commit and push.
- Sinks: ``ALC_CARD_SINKS`` lists ``|``-separated ``file:///absolute/folder`` URIs;
  :func:`backfill_sink` copies every stored card (and samples) into one, never overwriting.

Errors: :class:`~alc.engine.errors.InvalidInput` for bad arguments, ``InstallFailed`` for a
source that cannot be fetched, a git step that fails or a folder that cannot be written,
``CardNotFound`` for unknown cards.
"""

from __future__ import annotations

import json
import tempfile
import tomllib
from pathlib import Path
from typing import Any

from alc.engine.card_sinks import (
    SAMPLES_SUFFIX,
    SINKS_ENV,
    configured_sinks,
    find_card_file,
    sink_folder,
    write_card_file,
)
from alc.engine.cards import LIST_MAX, Cards
from alc.engine.errors import CardImmutable, CardNotFound, InstallFailed, InvalidInput
from alc.engine.pkg._fetch import _git, fetch

__all__ = [
    "COLLECTION_MANIFEST",
    "backfill_sink",
    "install_cards",
    "publish_card",
]

COLLECTION_MANIFEST = "alc_cards.toml"
"""The file that marks a folder as a card collection (algocline's)."""

_MAX_FILE = 16 * 2**20
_PUBLISH_SCHEMES = ("http://", "https://", "file://", "git@", "ssh://")


def _card_files(folder: Path) -> list[Path]:
    """The card files directly in ``folder`` (no links, no samples)."""
    if not folder.is_dir() or folder.is_symlink():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if p.suffix in (".toml", ".json") and p.is_file() and not p.is_symlink()
    )


def _packages(tree: Path) -> list[tuple[str, Path]]:
    """``(pkg, folder)`` of a collection: its sub-folders (or those of ``cards/`` when there is
    no manifest), without ``_*`` and ``.*`` ones."""
    root = tree if (tree / COLLECTION_MANIFEST).is_file() else tree / "cards"
    if not root.is_dir() or root.is_symlink():
        return []
    return sorted(
        (d.name, d)
        for d in root.iterdir()
        if d.is_dir() and not d.is_symlink() and not d.name.startswith(("_", "."))
    )


def _read_card(path: Path, pkg: str) -> dict[str, Any] | None:
    """The card in ``path`` (``card_id`` defaults to the file's stem, ``pkg`` to the folder's
    name), or None for a file that is not a card object."""
    if path.stat().st_size > _MAX_FILE:
        return None
    try:
        text = path.read_text(encoding="utf-8")
        body = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(body, dict):
        return None
    body.setdefault("card_id", path.stem)
    if not isinstance(body.get("pkg"), dict):
        body["pkg"] = {"name": body["pkg"] if isinstance(body.get("pkg"), str) else pkg}
    return body


def _read_samples(path: Path) -> list[Any] | None:
    sidecar = path.with_name(path.stem + SAMPLES_SUFFIX)
    if not sidecar.is_file() or sidecar.is_symlink():
        return None
    try:
        lines = sidecar.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise InstallFailed(f"{sidecar}: not JSON lines ({exc}).") from None


def _import(cards: Cards, path: Path, body: dict[str, Any]) -> int | None:
    """Create the card and its samples; the rows written, or None when it existed."""
    try:
        cards.create(body)
    except CardImmutable:
        return None
    samples = _read_samples(path)
    if samples is None:
        return 0
    count: int = cards.write_samples(body["card_id"], samples)["count"]
    return count


def install_cards(cards: Cards, source: str) -> dict[str, Any]:
    """Copy every card of a card collection (a local folder or a git URL) into the store.

    Returns algocline's report ``{"installed_cards", "skipped_cards" (ids the store holds
    already: nothing is overwritten), "packages", "source", "mode"}`` plus ``"samples"`` (rows
    written). ``mode`` is ``card_collection`` (a manifest) or ``card_files`` (``cards/<pkg>/``).

    Raises:
        InstallFailed: the source cannot be fetched, or it holds no card file.
        InvalidInput / CardTooLarge: a card the store refuses (the message names it).
    """
    installed: list[str] = []
    skipped: list[str] = []
    packages: list[str] = []
    rows = 0
    with tempfile.TemporaryDirectory(prefix="alc-cards-") as work:
        tree = fetch(source, None, Path(work)).path
        mode = "card_collection" if (tree / COLLECTION_MANIFEST).is_file() else "card_files"
        for pkg, folder in _packages(tree):
            found = [(p, b) for p in _card_files(folder) if (b := _read_card(p, pkg)) is not None]
            packages += [pkg] if found else []
            for path, body in found:
                written = _import(cards, path, body)
                (skipped if written is None else installed).append(body["card_id"])
                rows += written or 0
    if not installed and not skipped:
        raise InstallFailed(
            f"{source!r} holds no card file: a card collection has {COLLECTION_MANIFEST} at its "
            "root and one folder per package holding <card_id>.toml files."
        )
    return {
        "installed_cards": installed,
        "skipped_cards": skipped,
        "packages": packages,
        "source": source,
        "mode": mode,
        "samples": rows,
    }


def _card_with_samples(cards: Cards, card_id: str) -> tuple[dict[str, Any], list[Any]]:
    card = cards.get(card_id)
    if card is None:
        raise CardNotFound(f"No card {card_id!r} in this store (alc_card_list shows them).")
    return card, cards.read_samples(card_id)


def publish_card(
    cards: Cards, card_id: str, target_repo: str, commit_message: str | None = None
) -> dict[str, Any]:
    """Clone ``target_repo`` (a URL: http(s)://, file://, git@, ssh://), add
    ``cards/<pkg>/<card_id>.toml`` and its samples, commit and push.

    Returns ``{"published_url", "commit_hash", "reindex_status": {"ok", "output"}, "paths"}``;
    publishing a card the repository holds already changes nothing and returns its current
    commit (``paths`` empty).

    Raises:
        InvalidInput: ``target_repo`` is not a URL. CardNotFound. InstallFailed: a git step
            failed (its own words are in the message).
    """
    if not target_repo.startswith(_PUBLISH_SCHEMES):
        raise InvalidInput(
            f"target_repo {target_repo!r} must be a git URL (http(s)://, file://, git@, ssh://)."
        )
    card, samples = _card_with_samples(cards, card_id)
    with tempfile.TemporaryDirectory(prefix="alc-publish-") as work:
        clone = Path(work) / "clone"
        _git("clone", "--quiet", "--", target_repo, str(clone), what=f"clone {target_repo}")
        written = write_card_file(clone / "cards", card, samples)
        paths = [p.relative_to(clone).as_posix() for p in written]
        if written:
            git = ("-C", str(clone), "-c", "user.name=alc", "-c", "user.email=alc@localhost")
            _git(*git, "add", "--", *paths, what="stage the card")
            message = commit_message or f"publish card {card_id}"
            _git(*git, "commit", "--quiet", "-m", message, what="commit the card")
            _git("-C", str(clone), "push", "--quiet", "origin", "HEAD", what="push the card")
        head = _git("-C", str(clone), "rev-parse", "HEAD", what="read the commit").strip()
    note = "pushed" if written else "unchanged: the repository holds this card already"
    return {
        "published_url": target_repo,
        "commit_hash": head,
        "paths": paths,
        "reindex_status": {"ok": True, "output": f"{note}; alc keeps no hub index of cards"},
    }


def backfill_sink(cards: Cards, sink: str, dry_run: bool = False) -> dict[str, Any]:
    """Copy every stored card (and its samples) to ``sink`` without overwriting a card file.

    ``sink`` is one of the ``ALC_CARD_SINKS`` URIs. Returns algocline's report ``{"sink",
    "pushed", "skipped" (in the sink already), "failed": [[card_id, error]], "pushed_samples",
    "dry_run"}``; with ``dry_run`` nothing is written.

    Raises:
        InvalidInput: ``sink`` is not a configured sink, or not a file:/// URI.
    """
    if sink not in configured_sinks():
        raise InvalidInput(
            f"unknown sink: {sink!r}; the configured sinks ({SINKS_ENV}) are "
            f"{configured_sinks() or 'none'}."
        )
    folder = sink_folder(sink)
    report: dict[str, Any] = {"sink": sink, "pushed": [], "skipped": [], "failed": []}
    report.update(pushed_samples=[], dry_run=dry_run)
    for summary in cards.list({"limit": LIST_MAX}):
        card_id = summary["card_id"]
        if find_card_file(folder, card_id) is not None:
            report["skipped"].append(card_id)
            continue
        card, samples = _card_with_samples(cards, card_id)
        try:
            if not dry_run:
                write_card_file(folder, card, samples)
        except InstallFailed as exc:
            report["failed"].append([card_id, exc.message])
            continue
        report["pushed"].append(card_id)
        if samples:
            report["pushed_samples"].append(card_id)
    return report
