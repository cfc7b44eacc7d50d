"""The list of benchmark sections ``python -m benchmarks`` runs, and :func:`register`.

It lives here, not in ``benchmarks/__main__.py``: under ``python -m benchmarks`` that file is the
``__main__`` module, and an optional module importing ``benchmarks.__main__`` would load a second
copy of it with a second, unused list. Optional modules call::

    from benchmarks._registry import register
    register("mygroup", __name__, "my_section", {"runs": 5}, {"runs": 1})
"""

from __future__ import annotations

from typing import Any

Kwargs = dict[str, Any]

# (group, module, function, kwargs for a full run, kwargs for --quick)
SECTIONS: list[tuple[str, str, str, Kwargs, Kwargs]] = [
    ("core", "benchmarks.core", "round_trip", {"runs": 7}, {"runs": 2, "calls": 2000}),
    ("core", "benchmarks.core", "start_latency", {"runs": 7}, {"runs": 2, "calls": 200}),
    ("durability", "benchmarks.core", "durability", {"runs": 7}, {"runs": 2, "calls": 300}),
    ("scaling", "benchmarks.core", "scaling", {"runs": 3}, {"runs": 1}),
    ("capacity", "benchmarks.core", "capacity", {"runs": 1}, {"runs": 1, "sessions": 1000}),
    ("executors", "benchmarks.executors", "executor_overhead", {"runs": 5}, {"runs": 1}),
]
"""Other modules append their sections with :func:`register`."""


def register(group: str, module: str, function: str, full: Kwargs, quick: Kwargs) -> None:
    """Add a section to the suite (called by optional benchmark modules at import).

    Registering the same (module, function) twice is a no-op, so a module imported twice (for
    instance once by name and once as a script) does not run its sections twice.
    """
    if any(s[1] == module and s[2] == function for s in SECTIONS):
        return
    SECTIONS.append((group, module, function, full, quick))
