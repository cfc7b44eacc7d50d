"""``scripted:<file.json>``: canned answers, for tests and demos (no model involved)."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeAlias

from alc.engine.protocol import Query, Response, Usage
from alc.responders._base import BaseResponder
from alc.responders._errors import ResponderError

__all__ = ["ScriptedResponder"]

ScriptedAnswer: TypeAlias = str | Response | Mapping[str, Any]
"""One canned answer: text, a Response, or ``{"text": ..., "usage": {...}}`` (file form)."""


def _excerpt(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class ScriptedResponder(BaseResponder):
    """Answers from a script: a list (answers in order) or a mapping (prompt substring -> answer).

    - **list**: the n-th query gets the n-th answer; a query beyond the end is an error.
    - **mapping**: the first key (in insertion order) that occurs in the query's prompt wins;
      the same key may answer many queries; a prompt no key matches is an error.

    An answer is a string, a :class:`~alc.Response`, or (as in JSON files)
    ``{"text": "...", "usage": {"prompt_tokens": n, "response_tokens": m}}``.

    Every query answered is recorded in :attr:`queries` (thread-safe), so tests can assert on
    what the strategy asked.

    Unlike the other built-ins it never talks to a model: use it in tests
    (``alc.testing.ScriptedResponder``) and demos (``--llm scripted:answers.json``).
    """

    def __init__(
        self,
        answers: Sequence[ScriptedAnswer] | Mapping[str, ScriptedAnswer],
        *,
        name: str = "scripted",
    ) -> None:
        """Args:
            answers: a sequence (in order) or mapping (prompt substring -> answer).
            name: label used in error messages.

        Raises:
            ResponderError: an answer is not a string, Response or ``{"text": ...}`` object.
        """
        self.name = name
        self.queries: list[Query] = []
        self._lock = threading.Lock()
        self._ordered: list[Response] | None = None
        self._keyed: dict[str, Response] | None = None
        if isinstance(answers, Mapping):
            self._keyed = {str(k): self._coerce(v, f"key {k!r}") for k, v in answers.items()}
        elif isinstance(answers, Sequence) and not isinstance(answers, str):
            self._ordered = [self._coerce(v, f"item {i}") for i, v in enumerate(answers)]
        else:
            raise ResponderError(
                f"{self.name}: answers must be a list or an object, not {type(answers).__name__}.",
                responder=self.name,
            )

    @classmethod
    def from_file(cls, path: str | Path) -> ScriptedResponder:
        """Load a JSON file holding a list of answers or an object ``{substring: answer}``.

        Raises:
            ResponderError: the file is missing, not JSON, or not a list/object of answers.
        """
        spec = f"scripted:{path}"
        try:
            data = json.loads(Path(path).expanduser().read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ResponderError(
                f"{spec}: no such file. Give a JSON list of answers or an object mapping prompt "
                "substrings to answers.",
                responder=spec,
            ) from exc
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            message = f"{spec}: cannot read the answers: {exc}."
            raise ResponderError(message, responder=spec) from exc
        if not isinstance(data, list | dict):
            raise ResponderError(
                f"{spec}: the file holds a JSON {type(data).__name__}; it must hold a list of "
                "answers or an object mapping prompt substrings to answers.",
                responder=spec,
            )
        return cls(data, name=spec)

    @classmethod
    def from_arg(cls, arg: str | None) -> ScriptedResponder:
        """Factory of the spec ``scripted:<file.json>``. Raises ``ResponderError``."""
        if arg is None:
            raise ResponderError(
                "The scripted responder needs a file: --llm scripted:answers.json",
                responder="scripted",
            )
        return cls.from_file(arg.strip())

    def _coerce(self, value: object, where: str) -> Response:
        if isinstance(value, Response):
            return value
        if isinstance(value, str):
            return Response(text=value)
        if isinstance(value, Mapping) and isinstance(value.get("text"), str):
            usage = value.get("usage")
            return Response(text=value["text"], usage=Usage.parse(dict(usage)) if usage else None)
        raise ResponderError(
            f'{self.name}: {where} must be a string or {{"text": ...}}, not {value!r}.',
            responder=self.name,
        )

    @property
    def remaining(self) -> int | None:
        """Answers left in a list script; None for a mapping script."""
        with self._lock:
            if self._ordered is None:
                return None
            return len(self._ordered) - len(self.queries)

    def respond(self, query: Query) -> Response:
        """The next (list) or matching (mapping) answer.

        Raises:
            ResponderError: the list ran out, or no key of the mapping occurs in the prompt.
        """
        with self._lock:
            if self._ordered is not None:
                index = len(self.queries)
                if index >= len(self._ordered):
                    raise ResponderError(
                        f"{self.name}: ran out of answers after {len(self._ordered)}; query "
                        f"{query.id} ({_excerpt(query.prompt)!r}) has none. Add answers to the "
                        "script.",
                        responder=self.name,
                        query_id=query.id,
                    )
                self.queries.append(query)
                return self._ordered[index]
            assert self._keyed is not None
            for key, answer in self._keyed.items():
                if key in query.prompt:
                    self.queries.append(query)
                    return answer
            keys = ", ".join(repr(k) for k in self._keyed) or "(none)"
            raise ResponderError(
                f"{self.name}: no key matches query {query.id} ({_excerpt(query.prompt)!r}). "
                f"Keys tried: {keys}. Add a key that is a substring of this prompt.",
                responder=self.name,
                query_id=query.id,
            )
