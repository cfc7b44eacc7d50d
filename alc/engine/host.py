"""The Lua-facing services of one session (the :class:`~alc.engine.lua.Host` it gives its VM)."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from alc.engine.errors import SourceChanged
from alc.engine.packages import source_hash

if TYPE_CHECKING:
    from alc.engine.session import Session

__all__ = [
    "ENV_PREFIX",
    "LOG_LINE_CHARS",
    "PROGRESS_CHARS",
    "STATS_KEYS",
    "STATS_VALUE_BYTES",
    "SessionHost",
]

ENV_PREFIX = "ALC_"
"""``os.getenv`` in a strategy sees only environment variables whose names start with this."""
LOG_LINE_CHARS = 4096
"""A session log line (``print``, ``alc.log``) keeps at most this many characters."""
PROGRESS_CHARS = 1024
"""An ``alc.progress`` message keeps at most this many characters."""
STATS_VALUE_BYTES = 64 * 1024
"""The JSON of one ``alc.stats.record`` value may be at most this long (it is journaled)."""
STATS_KEYS = 1000
"""At most this many distinct ``alc.stats`` keys per session."""


class SessionHost:
    """The :class:`~alc.engine.lua.Host` of one session: what its Lua code may call back into.

    Every outside read goes through the session's :class:`Effects`, so replay sees the same.
    """

    def __init__(self, session: Session) -> None:
        self._s = session

    def now(self) -> float:
        return self._s._now()

    def clock(self) -> float:
        s = self._s
        return float(s.effects.read("cpu", s.time_source.cpu))

    def log(self, level: str, message: str) -> None:
        self._s.log_lines.append(
            {"level": _clip(str(level), 32), "message": _clip(str(message), LOG_LINE_CHARS)}
        )

    def progress(self, step: Any, total: Any, message: Any) -> None:
        if isinstance(message, str):
            message = _clip(message, PROGRESS_CHARS)
        elif message is not None and not isinstance(message, int | float | bool):
            raise ValueError("alc.progress: the message must be a string")
        for value in (step, total):
            if value is not None and not isinstance(value, int | float):
                raise ValueError("alc.progress: step and total must be numbers")
        self._s.progress_info = {"step": step, "total": total, "message": message}

    def stats_record(self, key: str, value_json: str) -> None:
        stats = self._s.custom_stats
        if len(value_json) > STATS_VALUE_BYTES:
            raise ValueError(
                f"alc.stats.record: the value of {_clip(key, 64)!r} is {len(value_json):,} bytes "
                f"of JSON, over the bound of {STATS_VALUE_BYTES:,}; record a summary instead"
            )
        if key not in stats and len(stats) >= STATS_KEYS:
            raise ValueError(f"alc.stats.record: a session records at most {STATS_KEYS} keys")
        stats[key] = json.loads(value_json)

    def stats_get(self, key: str) -> Any:
        return self._s.custom_stats.get(key)

    def budget_remaining(self) -> dict[str, Any] | None:
        return self._s.budget_remaining()

    def getenv(self, name: str) -> str | None:
        if not isinstance(name, str) or not name.startswith(ENV_PREFIX):
            return None  # decided here, host-side: nothing in the VM can widen it
        value = self._s.effects.read("env", lambda: os.environ.get(name))
        return None if value is None else str(value)

    def load_source(self, name: str, kind: str) -> tuple[str, str]:
        s = self._s

        def live() -> list[str]:
            if kind == "file":
                root, path = s.resolver.find_file(name)
            else:
                root, path = s.resolver.find_module(name)
            text = path.read_text(encoding="utf-8")
            digest = source_hash(text)
            s.store.put_source(digest, text)
            return [str(path.relative_to(root)), digest]

        chunkname, digest = s.effects.read("source:" + name, live)
        text = s.store.get_source(digest)
        if text is None:
            s.source_error = SourceChanged(
                f"Session {s.session_id} pinned {name!r} (sha256 {digest[:12]}) but that "
                "source is not in the store any more; it cannot be replayed faithfully.",
                session_id=s.session_id,
            )
            raise LookupError(s.source_error.message)
        return chunkname, text

    def state(self, op: str, key: str | None = None, *args: Any) -> Any:
        s = self._s
        if op in ("set", "set_nx") and args and isinstance(args[0], str):
            bound = s.limits.max_output_bytes
            if len(args[0]) > bound:
                raise ValueError(
                    f"alc.state.{op}: the value is {len(args[0]):,} bytes of JSON, over "
                    f"Limits.max_output_bytes ({bound:,})"
                )
        value = s.effects.read("state", lambda: s.store.kv(op, s.namespace, key, *args))
        if op == "get" and value is not None:
            return json.loads(value)
        return value


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
