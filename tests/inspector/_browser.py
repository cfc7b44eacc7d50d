"""Start a real `alc` server subprocess and wait until it listens."""

from __future__ import annotations

import os
import subprocess
import sys
import time


def start_server(
    args: list[str], env: dict[str, str], marker: str
) -> tuple[subprocess.Popen[str], str]:
    """Start ``alc <args>`` and wait for the line containing ``marker`` on stdout/stderr."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "alc", *args],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    seen = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line)
        if marker in line:
            return proc, line
    proc.kill()
    raise AssertionError("the server did not start:\n" + "".join(seen))
