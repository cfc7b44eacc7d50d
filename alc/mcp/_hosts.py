"""What algocline's host prompts send and expect, mapped onto alc (docs/mcp.md, "algocline hosts").

- :func:`json_argument`: ``ctx`` / ``opts`` / ``limits`` sent as a JSON *string* (some hosts
  serialise nested objects) are decoded here; a string that is not a JSON object is
  ``invalid_input`` naming the argument.
- :func:`host_flags`: algocline's ``project_root`` and ``host_mode`` are accepted and checked
  for shape; alc needs neither (see the docs for why).
- :func:`status_v2`: the ``alc_status`` fields of algocline's v2 snapshot (``phase``, token
  totals, ``last_activity_at``, the conversation on request), composed from the API's
  :class:`~alc.engine.registry.Transcript`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from alc.engine.accounting import estimate_tokens
from alc.engine.errors import InvalidInput
from alc.engine.protocol import SessionSnapshot, SessionState
from alc.engine.registry import Transcript

__all__ = [
    "CONVERSATION_LIMIT",
    "host_flags",
    "json_argument",
    "phase",
    "status_v2",
    "summary_v2",
]

CONVERSATION_LIMIT = 10
"""Entries of the conversation ``alc_status`` shows unless ``conversation_limit`` says otherwise
(the most recent ones; algocline's cap)."""

_PHASES = {
    SessionState.RUNNING: "running",
    SessionState.PAUSED: "awaiting_response",
}


def json_argument(value: Any, name: str) -> Any:
    """``value`` as given, or the JSON object a text ``value`` holds.

    Raises:
        InvalidInput: text that is not JSON, or JSON that is not an object.
    """
    if not isinstance(value, str):
        return value
    try:
        decoded = json.loads(value)
    except (ValueError, RecursionError) as exc:
        raise InvalidInput(
            f"{name} was sent as text that is not JSON ({exc}); send a JSON object, or its "
            'JSON text such as "{\\"task\\": \\"...\\"}".'
        ) from None
    if not isinstance(decoded, dict):
        raise InvalidInput(
            f"{name} was sent as JSON text holding {_json_kind(decoded)}, not an object; "
            f'send an object such as {{"task": "..."}}.'
        )
    return decoded


def _json_kind(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return "a number" if isinstance(value, int | float) else "a string"


def host_flags(project_root: Any, host_mode: Any) -> None:
    """Check algocline's ``project_root`` (a folder path) and ``host_mode`` (a boolean).

    alc uses neither: packages resolve from the server's own project scope, and every session
    already lives where ``host_mode`` puts algocline's (durable, stepped outside the server).

    Raises:
        InvalidInput: ``project_root`` that is not text, ``host_mode`` that is not a boolean.
    """
    if project_root is not None and not isinstance(project_root, str):
        raise InvalidInput(
            f"project_root must be a folder path (text), not {type(project_root).__name__}."
        )
    if host_mode is not None and not isinstance(host_mode, bool):
        raise InvalidInput(f"host_mode must be true or false, not {type(host_mode).__name__}.")


def phase(snapshot: SessionSnapshot) -> str:
    """``running``, ``awaiting_response`` (paused on queries), or the terminal state."""
    state = SessionState(snapshot.state)
    return _PHASES.get(state, state.value)


def summary_v2(snapshot: SessionSnapshot) -> dict[str, Any]:
    """One session of the ``alc_status`` listing: its snapshot plus ``phase`` and
    ``last_activity_at`` (epoch seconds of its last state change)."""
    wire = snapshot.wire()
    wire["phase"] = phase(snapshot)
    wire["last_activity_at"] = snapshot.updated_at
    return wire


def status_v2(
    transcript: Transcript, include_conversation: bool, limit: int = CONVERSATION_LIMIT
) -> dict[str, Any]:
    """One session's ``alc_status`` reply: its snapshot, ``phase``, ``last_activity_at``,
    ``idle_ms`` (milliseconds since then), ``tokens`` (``prompt_tokens`` / ``response_tokens``
    / ``total_tokens``, each ``{"source": "estimated"|"provided", "tokens": n}`` as in
    ``stats.auto``) and, with ``include_conversation``, ``conversation_history``: the last
    ``limit`` exchanges (all with ``limit`` 0), each ``{"query_id", "prompt", "system",
    "response"}`` (``response`` null while unanswered), oldest first, and
    ``conversation_total`` (how many there are in all)."""
    wire = summary_v2(transcript.summary)
    wire["idle_ms"] = max(0, round((time.time() - transcript.summary.updated_at) * 1000))
    wire["tokens"] = _tokens(transcript.entries)
    if include_conversation:
        entries = transcript.entries[-limit:] if limit else transcript.entries
        wire["conversation_history"] = [
            {
                "query_id": e["query"].get("id"),
                "prompt": e["query"].get("prompt"),
                "system": e["query"].get("system"),
                "response": e["answer"],
            }
            for e in entries
        ]
        wire["conversation_total"] = len(transcript.entries)
    return wire


def _tokens(entries: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Token totals of the journal's exchanges, counted as the session's ``stats`` counts them
    (4 characters a token, replaced by the usage a host reported with an answer)."""
    prompt = response = provided_prompt = provided_response = 0
    for entry in entries:
        query, usage = entry["query"], entry.get("usage") or {}
        if usage.get("prompt_tokens") is not None:
            prompt += int(usage["prompt_tokens"])
            provided_prompt += 1
        else:
            chars = len(query.get("prompt") or "") + len(query.get("system") or "")
            prompt += estimate_tokens(chars)
        if usage.get("response_tokens") is not None:
            response += int(usage["response_tokens"])
            provided_response += 1
        elif entry.get("answer") is not None:
            response += estimate_tokens(len(entry["answer"]))
    both = min(provided_prompt, provided_response)
    return {
        "prompt_tokens": _count(prompt, provided_prompt),
        "response_tokens": _count(response, provided_response),
        "total_tokens": _count(prompt + response, both),
    }


def _count(tokens: int, provided: int) -> dict[str, Any]:
    return {"source": "provided" if provided else "estimated", "tokens": tokens}
