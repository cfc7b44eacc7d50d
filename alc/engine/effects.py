"""Effects: the values a session's code read from outside its VM, recorded live, replayed later.

Time, ``os.getenv``, ``alc.env``, loaded sources, ``alc.state`` and ``alc.card`` results all go
through :meth:`Effects.read`.
Live, it computes the value and records it for the step's journal entry; during replay it serves
the recorded values back in order, so the strategy re-issues exactly the prompts it issued before.
Replay and recording stay separate from the VM (``lua.py``) and from the journal (``journal.py``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["MAX_READS_PER_STEP", "EffectMismatch", "Effects"]

MAX_READS_PER_STEP = 100_000
"""Outside reads one step may make; past it the read fails with a Lua error (the journal entry of
a step holds every read, so this bounds its size)."""


_NOT_REPLAYING: deque[list[Any]] = deque(maxlen=0)
"""The replay queue of a session with nothing to replay (always empty; :meth:`Effects.load`
replaces it)."""


class Effects:
    """Values read from outside the VM, recorded live and replayed in order.

    During replay, :meth:`read` returns the next recorded value for the same kind and never calls
    ``compute``; when the recording runs out the session is live again and values are computed
    and recorded for the journal.
    """

    def __init__(self) -> None:
        self._replay: deque[list[Any]] = _NOT_REPLAYING  # shared: most sessions never replay
        self.recorded: list[list[Any]] = []

    def load(self, recorded: Sequence[list[Any]]) -> None:
        self._replay = deque(recorded)
        self.recorded = list(recorded)

    def read(self, kind: str, compute: Callable[[], Any], *, counted: bool = True) -> Any:
        """The value of one outside read: recorded live, served back in order on replay.

        ``counted`` reads (the strategy's own) are bounded by :data:`MAX_READS_PER_STEP`; the
        engine's reads (the clock for stats and budgets) are not, so a strategy that used up its
        reads still ends with a coded outcome.

        Raises:
            EffectMismatch: replaying, and the journal recorded another kind of read here.
            ValueError: a counted read past the bound (a Lua error in the strategy).
        """
        if self._replay:
            recorded_kind, value = self._replay.popleft()
            if recorded_kind != kind:
                raise EffectMismatch(
                    f"the journal recorded a {recorded_kind!r} read here, "
                    f"the code made a {kind!r} read"
                )
            return value
        if counted and len(self.recorded) >= MAX_READS_PER_STEP:
            raise ValueError(
                f"this step read the clock, the environment, sources or alc.state more than "
                f"{MAX_READS_PER_STEP:,} times (each read is journaled); read once and reuse "
                "the value"
            )
        value = compute()
        self.recorded.append([kind, value])
        return value

    def take(self) -> list[list[Any]]:
        """The effects of the step that just ended (and forget them)."""
        if self._replay:
            raise EffectMismatch(
                f"the step ended with {len(self._replay)} recorded reads left unused"
            )
        out, self.recorded = self.recorded, []
        return out


class EffectMismatch(Exception):
    pass
