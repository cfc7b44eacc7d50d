"""Run every benchmark side by side and record the results.

    python -m benchmarks                 # everything, writes benchmarks/RESULTS.md (+ chart)
    python -m benchmarks --quick         # fewer repetitions, for a smoke run
    python -m benchmarks --only core     # one group: core, capacity, durability, scaling, ...

Each comparison is measured in the same run as its reference (ratios, not lone absolute times).
Sections whose optional dependencies are missing are reported as skipped, with the install hint.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from benchmarks._registry import SECTIONS, register
from benchmarks._util import Section, machine

HERE = Path(__file__).parent

__all__ = ["OPTIONAL", "SECTIONS", "main", "register", "render"]

OPTIONAL = ["benchmarks.langgraph_compare", "benchmarks.thinking_compare",
            "benchmarks.cli_cold", "benchmarks.local_model", "benchmarks.serve",
            "benchmarks.serve_floor", "benchmarks.growth", "benchmarks.serve_replicas",
            "benchmarks.memory_sessions"]


def _fmt(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def _mark(met: bool | None) -> str:
    return {True: "met", False: "**missed**", None: ""}[met]


def render(sections: list[Section], info: dict[str, object], skipped: list[str]) -> str:
    lines = ["# alc benchmark results", "",
             "Produced by `python -m benchmarks` (rerun it to reproduce). Medians over repeated "
             "runs, with min and max; every ratio compares two figures measured in the same run.",
             "", "## Machine", ""]
    for key, value in info.items():
        lines.append(f"- **{key}**: {value}")
    for section in sections:
        lines += ["", f"## {section.title}", "",
                  "| measure | median | min | max | unit | target | |",
                  "|---|---:|---:|---:|---|---|---|"]
        for f in section.figures:
            lines.append(f"| {f.name} | {_fmt(f.median)} | {_fmt(f.low)} | {_fmt(f.high)} | "
                         f"{f.unit} | {f.target} | {_mark(f.met)} |")
        if section.ratios:
            lines += ["", "| ratio | value | target | |", "|---|---:|---|---|"]
            for name, value, target, met in section.ratios:
                lines.append(f"| {name} | {_fmt(value)} | {target} | {_mark(met)} |")
        for note in section.notes:
            lines += ["", note]
    if skipped:
        lines += ["", "## Skipped", ""] + [f"- {s}" for s in skipped]
    return "\n".join(lines) + "\n"


def chart(sections: list[Section], path: Path) -> bool:
    """Bar chart of the main ratios (needs matplotlib: pip install 'alc-engine[bench]')."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    ratios = [(name, value) for s in sections for name, value, _, _ in s.ratios]
    if not ratios:
        return False
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(ratios) + 1.2))
    ax.barh([r[0] for r in ratios], [r[1] for r in ratios], color="#3b6ea5")
    ax.set_xscale("log")
    ax.axvline(1.0, color="#999", linewidth=1)
    ax.set_xlabel("ratio (log scale)")
    ax.set_title("alc benchmark ratios (same-run comparisons)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (smoke run)")
    parser.add_argument("--only", action="append", help="run only these groups")
    parser.add_argument("--output", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args(argv)

    skipped: list[str] = []
    for name in OPTIONAL:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            skipped.append(f"{name}: {exc}")
    sections: list[Section] = []
    for group, module, function, full, quick in SECTIONS:
        if args.only and group not in args.only:
            continue
        fn: Callable[..., Section] = getattr(importlib.import_module(module), function)
        print(f"[{group}] {module}.{function} ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        try:
            section = fn(**(quick if args.quick else full))
        except Exception as exc:  # one broken comparison must not hide the rest
            traceback.print_exc()
            skipped.append(f"{module}.{function}: failed: {exc}")
            continue
        print(f"[{group}] done in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        sections.append(section)
        for f in section.figures:
            print(f"    {f.name}: {_fmt(f.median)} {f.unit} {_mark(f.met)}", file=sys.stderr)
        for name, value, target, met in section.ratios:
            print(f"    {name}: {_fmt(value)} {target} {_mark(met)}", file=sys.stderr)
    info = machine()
    text = render(sections, info, skipped)
    args.output.write_text(text)
    if chart(sections, args.output.with_name("ratios.png")):
        print(f"chart: {args.output.with_name('ratios.png')}", file=sys.stderr)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
