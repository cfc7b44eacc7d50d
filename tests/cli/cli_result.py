"""The result type of the CLI fixtures (a module with a unique name, so test files can import
it whatever other conftest modules pytest has loaded first)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class Result:
    """One finished ``alc`` process."""

    code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> Any:
        """The single JSON object printed on stdout."""
        lines = self.stdout.strip().splitlines()
        assert len(lines) == 1, f"expected one JSON line, got: {self.stdout!r}"
        return json.loads(lines[0])


Alc = Callable[..., Result]
