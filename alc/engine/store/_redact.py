"""One redaction rule for store URLs: the password of a database URL is never printed.

Used wherever a store is named (the ``listening`` line of ``alc serve``, ``alc info``,
``Engine.info()``, ``PostgresStore.path`` and every store error message).
"""

from __future__ import annotations

import re

__all__ = ["redacted"]

_PASSWORD_IN_AUTHORITY = re.compile(r"(://[^/?#@:\s\"']*:)[^\s\"']*@")
_PASSWORD_PARAMETER = re.compile(r"(\bpassword\s*=\s*)[^&#\s\"']*", re.IGNORECASE)


def redacted(text: str) -> str:
    """``text`` (a URL, or a message quoting one) with every password shown as ``***``: in a
    URL's authority (``user:***@host``) and in ``password=`` parameters. Text without a
    password (a file path) comes back unchanged."""
    text = _PASSWORD_IN_AUTHORITY.sub(r"\1***@", text)
    return _PASSWORD_PARAMETER.sub(r"\1***", text)
