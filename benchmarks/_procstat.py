"""CPU time from ``/proc`` (Linux): of a process and its children, of a PostgreSQL server's
backends for one database, and of the whole machine. Every reading is in seconds; take one
before and one after a run and subtract.
"""

from __future__ import annotations

import os
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str]:
    """Fields of ``/proc/<pid>/stat`` after the command name (field 3, ``state``, is [0])."""
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2 :].split()


def cpu_seconds(pid: int, waited_children: bool = False) -> float:
    """User + system CPU seconds of ``pid`` (plus its reaped children's with
    ``waited_children``); 0 if it is gone."""
    try:
        fields = _stat(pid)
    except (OSError, ValueError):
        return 0.0
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    if waited_children:
        ticks += int(fields[13]) + int(fields[14])  # cutime, cstime
    return ticks / TICK


def children(pid: int) -> list[int]:
    """Direct children of ``pid`` (all its threads' children)."""
    out: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            out += [int(p) for p in (task / "children").read_text().split()]
    except OSError:
        pass
    return out


def tree_seconds(pid: int) -> float:
    """CPU seconds of ``pid`` and its live children (a replica and its worker processes)."""
    return cpu_seconds(pid) + sum(cpu_seconds(c) for c in children(pid))


def _cmdline(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace")


def postmaster(port: int | None) -> int | None:
    """The pid of the PostgreSQL server listening on ``port`` on this machine (its command line
    names the port, as ``.ci/postgres.sh`` starts it), else the only server running, else None."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            comm = (entry / "comm").read_text().strip()
        except OSError:
            continue
        if comm in ("postgres", "postmaster") and "-D" in _cmdline(int(entry.name)).split():
            found.append(int(entry.name))
    if port is not None:
        named = [p for p in found if f"-p {port}" in _cmdline(p) or f"port={port}" in _cmdline(p)]
        if named:
            return named[0]
    return found[0] if len(found) == 1 else None


def postgres_seconds(server: int, database: str) -> tuple[float, float]:
    """CPU seconds of the server's backends connected to ``database`` (live ones), and of the
    whole server (the postmaster, its live children, and its reaped children)."""
    mine = 0.0
    total = cpu_seconds(server, waited_children=True)
    for child in children(server):
        seconds = cpu_seconds(child)
        total += seconds
        if f" {database} " in _cmdline(child):  # "postgres: user database host(port) state"
            mine += seconds
    return mine, total


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent not idle (``/proc/stat``: total - idle - iowait)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / TICK
