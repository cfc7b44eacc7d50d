"""Rich renderings of ``alc eval`` replies (terminal output only; JSON mode never gets here)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

__all__ = ["render_cases", "render_comparisons", "render_report", "render_runs"]

_console = Console()


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.1%}"


def _ci(pair: list[float]) -> str:
    return f"[{pair[0]:.1%}, {pair[1]:.1%}]"


def _p(p: float | None) -> str:
    return "-" if p is None else f"{p:.3g}"


def render_report(brief: dict[str, Any]) -> None:
    """The per-strategy table of a run and the comparisons with its baseline."""
    table = Table(
        title=f"{brief['run_id']}  {brief['scenario']} (n={brief['n']})  llm={brief['llm']}"
    )
    for col in ("strategy", "pass rate", "95% CI", "mean score", "errors", "tokens/case", "s/case"):
        table.add_column(col, justify="left" if col == "strategy" else "right")
    for name, st in brief["strategies"].items():
        label = f"{name} (baseline)" if name == brief["baseline"] else name
        table.add_row(
            label,
            _pct(st["pass_rate"]),
            _ci(st["pass_rate_ci"]),
            f"{st['mean_score']:.3f}",
            str(st["errors"]),
            f"{st['tokens_per_case']:.0f}",
            f"{st['seconds_per_case']:.1f}",
        )
    _console.print(table)
    if brief["comparisons"]:
        render_comparisons(brief["comparisons"])


def render_comparisons(comparisons: dict[str, Any]) -> None:
    """One row per comparison (gain, its interval, p-values), then each verdict in full."""
    table = Table(title="paired comparisons (candidate - baseline, same cases)")
    for col in ("strategy", "n", "gain", "95% CI", "b/c", "p McNemar", "p Holm"):
        table.add_column(col)
    for name, c in comparisons.items():
        table.add_row(
            name,
            str(c["n"]),
            f"{c['delta_pass_rate']:+.1%}",
            _ci(c["delta_pass_rate_ci"]),
            f"{c['b']}/{c['c']}",
            _p(c["p_mcnemar"]),
            _p(c.get("p_holm")),
        )
    _console.print(table)
    for name, c in comparisons.items():
        _console.print(f"[bold]{name}[/bold]: {c['verdict']}", highlight=False)


def render_runs(runs: list[dict[str, Any]]) -> None:
    table = Table(title="eval runs (newest first)")
    for col in ("run", "created", "status", "scenario", "n", "llm", "pass rates"):
        table.add_column(col)
    for r in runs:
        rates = ", ".join(f"{s} {_pct(v)}" for s, v in r["pass_rates"].items())
        table.add_row(
            r["run_id"],
            r["created_at"],
            r["status"],
            r["scenario"],
            str(r["n"]),
            str(r["llm"]),
            rates,
        )
    _console.print(table)


def render_cases(reply: dict[str, Any]) -> None:
    table = Table(title=f"{reply['run']['run_id']}: per-case results")
    for col in ("strategy", "case", "pass", "score", "expected", "answer", "tokens", "session"):
        table.add_column(col, overflow="fold")
    for row in reply["cases"]:
        answer = (row.get("answer") or "").strip().replace("\n", " ")
        table.add_row(
            row["strategy"],
            row["case_id"],
            "yes" if row["passed"] else "no",
            f"{row['score']:.2f}",
            " | ".join(row.get("expected", [])),
            answer[:120],
            str(row["tokens"]),
            row["session_id"],
        )
    _console.print(table)
    for row in reply["cases"]:
        for turn in row.get("transcript") or []:
            _console.rule(f"{row['strategy']} {row['case_id']}")
            _console.print(f"[bold]prompt:[/bold] {turn['prompt']}", markup=True, highlight=False)
            _console.print(f"[bold]answer:[/bold] {turn['answer']}", markup=True, highlight=False)
