"""Card sinks: folders that mirror the card store, as algocline's ``ALC_CARD_SINKS`` subscribers.

``ALC_CARD_SINKS`` lists ``|``-separated ``file:///absolute/folder`` URIs. Every card the store
gains (:meth:`~alc.engine.cards.Cards.create`), every append and every samples write is mirrored
to each sink as algocline lays cards out: ``<folder>/<pkg>/<card_id>.toml`` with
``<card_id>.samples.jsonl`` beside it. A sink that cannot be written is logged and skipped: the
store's write has happened and stands (a sink is a copy, never the record). A sink created
after cards were written is filled with ``alc_card_sink_backfill``
(:func:`alc.engine.card_exchange.backfill_sink`).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from alc.engine.errors import InstallFailed, InvalidInput

__all__ = [
    "SAMPLES_SUFFIX",
    "SINKS_ENV",
    "card_file",
    "configured_sinks",
    "find_card_file",
    "mirror_card",
    "mirror_samples",
    "sink_folder",
    "write_card_file",
]

SINKS_ENV = "ALC_CARD_SINKS"
"""The environment variable listing the card sinks (``|``-separated ``file:///`` URIs)."""
SAMPLES_SUFFIX = ".samples.jsonl"

_log = logging.getLogger("alc.cards")


def configured_sinks() -> list[str]:
    """The sink URIs of ``ALC_CARD_SINKS`` (empty when unset)."""
    return [s.strip() for s in os.environ.get(SINKS_ENV, "").split("|") if s.strip()]


def sink_folder(uri: str) -> Path:
    """The folder a ``file:///absolute/path`` sink URI names (percent-decoded).

    Raises:
        InvalidInput: another scheme, a host, or a relative path.
    """
    parsed = urlparse(uri)
    if parsed.scheme != "file" or parsed.netloc or not parsed.path.startswith("/"):
        raise InvalidInput(
            f"Card sink {uri!r} is not supported: a sink is file:///absolute/folder "
            f"({SINKS_ENV} lists them, |-separated)."
        )
    return Path(unquote(parsed.path))


def card_file(folder: Path, card: dict[str, Any]) -> Path:
    """``<folder>/<pkg>/<card_id>.toml``."""
    return folder / str(card["pkg"]["name"]) / f"{card['card_id']}.toml"


def find_card_file(folder: Path, card_id: str) -> Path | None:
    """The card file of ``card_id`` in a sink or collection folder (any package), or None."""
    if not folder.is_dir():
        return None
    return next(iter(sorted(folder.glob(f"*/{card_id}.toml"))), None)


def _samples_text(rows: Sequence[Any]) -> str:
    return "".join(json.dumps(r, sort_keys=True, ensure_ascii=False) + "\n" for r in rows)


def write_card_file(
    folder: Path, card: dict[str, Any], samples: Sequence[Any], *, replace: bool = False
) -> list[Path]:
    """Write ``card`` (and ``samples`` when any) under ``folder``; the paths written (empty when
    the card file exists and ``replace`` is false).

    Raises:
        InstallFailed: the folder cannot be written.
    """
    target = card_file(folder, card)
    if target.exists() and not replace:
        return []
    import tomli_w  # only when a card is mirrored (not on a cold `alc continue`)

    written = [target]
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(tomli_w.dumps(card), encoding="utf-8")
        if samples:
            sidecar = target.with_name(card["card_id"] + SAMPLES_SUFFIX)
            sidecar.write_text(_samples_text(samples), encoding="utf-8")
            written.append(sidecar)
    except (OSError, ValueError) as exc:  # ValueError: a value TOML cannot hold
        raise InstallFailed(f"Cannot write card {card['card_id']!r} to {folder}: {exc}.") from None
    return written


def _each_sink() -> list[tuple[str, Path]]:
    out = []
    for uri in configured_sinks():
        try:
            out.append((uri, sink_folder(uri)))
        except InvalidInput as exc:
            _log.warning("card sink skipped: %s", exc.message)
    return out


def mirror_card(card: dict[str, Any]) -> None:
    """Write a created or appended card to every configured sink (replacing its file)."""
    for uri, folder in _each_sink():
        try:
            write_card_file(folder, card, (), replace=True)
        except InstallFailed as exc:
            _log.warning("card sink %s: %s", uri, exc.message)


def mirror_samples(card_id: str, rows: Sequence[Any]) -> None:
    """Write a card's samples beside its file in every configured sink that holds the card."""
    for uri, folder in _each_sink():
        found = find_card_file(folder, card_id)
        if found is None:
            continue
        try:
            found.with_name(card_id + SAMPLES_SUFFIX).write_text(
                _samples_text(rows), encoding="utf-8"
            )
        except OSError as exc:
            _log.warning("card sink %s: cannot write samples of %r: %s", uri, card_id, exc)
