"""The one error a responder raises, and the helper that turns a missing extra into it.

The tree (responders add one leaf under the alc root)::

    AlcError                      alc.engine.errors
    └── ResponderError            responder_failed   a responder could not produce an answer

Every responder translates its provider's errors (subprocess exit codes, ``openai`` exceptions,
``llama_cpp`` failures, malformed answer files) in exactly one place, chains the original with
``raise ... from`` and says what to do next. Misuse that is not the provider's fault (an unknown
spec) raises the same class, because to the user it is the same situation: ``--llm SPEC``
cannot answer, fix the spec. A missing optional extra is not a responder failure but a request
error, :class:`~alc.engine.errors.MissingExtra` (``missing_extra``), raised by
:func:`require_extra` before any work.
"""

from __future__ import annotations

from types import ModuleType
from typing import ClassVar

from alc._extras import import_module
from alc.engine.errors import AlcError, InvalidInput
from alc.engine.protocol import Usage

__all__ = ["ResponderError", "provider_usage", "require_extra"]


class ResponderError(AlcError):
    """A responder failed to answer a query, or could not be built from its spec.

    Attributes:
        error_code: always ``"responder_failed"``.
        responder: the responder spec or name concerned (``"cmd:llm -m x"``, ``"openai:gpt-4o"``).
        query_id: the query being answered when it failed, or None (construction errors).
    """

    error_code: ClassVar[str] = "responder_failed"

    def __init__(
        self,
        message: str,
        *,
        responder: str | None = None,
        query_id: str | None = None,
        session_id: str | None = None,
    ) -> None:
        super().__init__(message, session_id=session_id)
        self.responder = responder
        self.query_id = query_id


def require_extra(module: str, *, extra: str, responder: str) -> ModuleType:
    """Import ``module`` or raise :class:`~alc.engine.errors.MissingExtra` with the install
    command for this installation of alc (:mod:`alc._extras`).

    Args:
        module: the import name (``"openai"``, ``"llama_cpp"``).
        extra: the alc extra that provides it (``"openai"``, ``"local"``).
        responder: the responder name, for the message.

    Raises:
        MissingExtra: the module is not installed (``missing_extra``: a request error, exit 2,
            raised before the session is touched).
    """
    return import_module(module, extra=extra, needed_by=f"the {responder!r} responder")


def provider_usage(
    prompt_tokens: object, response_tokens: object, *, responder: str, query_id: str
) -> Usage:
    """The token usage a provider reported, checked like a driver's (:meth:`alc.Usage.parse`).

    Raises:
        ResponderError: a count that is not a whole number from 0 to 2**31 - 1 (a provider
            reporting negative or absurd usage is a provider failure, not a bad request).
    """
    try:
        usage = Usage.parse({"prompt_tokens": prompt_tokens, "response_tokens": response_tokens})
    except InvalidInput as exc:
        raise ResponderError(
            f"{responder} reported an unusable token usage for {query_id}: {exc.message} "
            "Check the provider (or its proxy); the session stays paused.",
            responder=responder,
            query_id=query_id,
        ) from exc
    assert usage is not None
    return usage
