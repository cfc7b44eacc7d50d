"""``alc eval report``: a run's report as Markdown, a PNG chart and JSON, readable at a glance.

``report.md``: the headline (best strategy against the baseline, or "no significant gain"), one
table of every strategy (pass rate, Wilson interval, gain over the baseline with its interval,
McNemar and Holm-adjusted p-values, tokens and seconds per case), the per-tag breakdown, and
how to reproduce the run. ``pass_rates.png``: pass rate per strategy with its interval, the
baseline drawn as a line. ``report.json``: every number (:func:`alc.eval.run_report`).
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

from alc.engine.errors import InvalidInput

__all__ = ["markdown", "write_report"]


def _pct(x: float) -> str:
    return f"{x:.1%}"


def _row(name: str, st: dict[str, Any], cmp: dict[str, Any] | None, baseline: str | None) -> str:
    low, high = st["pass_rate_ci"]
    if cmp is None:
        gain = "(baseline)" if name == baseline else "-"
        pvals = "- | -"
    else:
        dlow, dhigh = cmp["delta_pass_rate_ci"]
        gain = f"{cmp['delta_pass_rate']:+.1%} [{dlow:+.1%}, {dhigh:+.1%}]"
        pvals = f"{cmp['p_mcnemar']:.3g} | {cmp.get('p_holm', cmp['p_mcnemar']):.3g}"
    return (
        f"| {name} | {st['passed']}/{st['n']} = {_pct(st['pass_rate'])} | "
        f"[{_pct(low)}, {_pct(high)}] | {gain} | {pvals} | {st['mean_score']:.3f} | "
        f"{st['tokens_per_case']:.0f} | {st['llm_calls_per_case']:.1f} | "
        f"{st['seconds_per_case']:.1f} | {st['errors']} |"
    )


def _headline(report: dict[str, Any]) -> str:
    comparisons = report["comparisons"]
    baseline = report["baseline"]
    if not comparisons:
        return "No baseline comparison in this run."
    significant = {n: c for n, c in comparisons.items() if c.get("p_holm", 1.0) < 0.05}
    if not significant:
        return (
            f"**No strategy is significantly better or worse than `{baseline}`** after Holm "
            f"correction over {len(comparisons)} comparisons. {_extremes(comparisons)}"
        )
    parts = [f"`{n}`: {c['verdict']}" for n, c in significant.items()]
    return "**Significant after Holm correction** — " + " ".join(parts)


def _extremes(comparisons: dict[str, Any]) -> str:
    """The largest gain and the largest loss against the baseline, with their verdicts."""

    def one(label: str, name: str) -> str:
        c = comparisons[name]
        return f"{label}: `{name}` {c['delta_pass_rate']:+.1%} — {c['verdict']}"

    best = max(comparisons, key=lambda n: comparisons[n]["delta_pass_rate"])
    worst = min(comparisons, key=lambda n: comparisons[n]["delta_pass_rate"])
    parts = []
    if comparisons[best]["delta_pass_rate"] > 0:
        parts.append(one("Largest gain", best))
    if comparisons[worst]["delta_pass_rate"] < 0:
        parts.append(one("Largest loss", worst))
    return " ".join(parts) or "Every strategy passed as many cases as the baseline."


def _reproduce(run: dict[str, Any]) -> str:
    scenario = run["scenario"]
    args = ["alc", "eval", "run"]
    for s in run["strategies"]:
        if s != run.get("baseline"):
            args += ["--strategy", s]
    args += ["--baseline", str(run.get("baseline") or "none")]
    source = scenario["source"]
    args += ["--scenario", source.removeprefix("builtin:")]
    args += ["--llm", str(run.get("llm")), "-n", str(len(scenario["cases"]))]
    if scenario.get("seed"):
        args += ["--seed", str(scenario["seed"])]
    for strategy, opts in sorted(run.get("strategy_opts", {}).items()):
        for key, value in sorted(opts.items()):
            args += ["--set", f"{strategy}.{key}={json.dumps(value)}"]
    return " ".join(shlex.quote(a) for a in args)


def markdown(report: dict[str, Any], chart: str | None = "pass_rates.png") -> str:
    """The Markdown report of :func:`alc.eval.run_report`'s data."""
    run = report["run"]
    baseline = report["baseline"]
    lines = [
        f"# Eval run {run['run_id']}",
        "",
        f"Scenario **{run['scenario']['name']}** ({len(run['scenario']['cases'])} cases, "
        f"source `{run['scenario']['source']}`), responder `{run.get('llm')}`, "
        f"status {run['status']}.",
        "",
        _headline(report),
        "",
        "| strategy | pass rate | 95% CI (Wilson) | gain over baseline [95% CI] | p (McNemar) | "
        "p (Holm) | mean score | tokens/case | calls/case | s/case | errors |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, st in report["strategies"].items():
        lines.append(_row(name, st, report["comparisons"].get(name), baseline))
    lines += ["", "Verdicts (paired on the same cases, exact McNemar, Holm-adjusted):", ""]
    lines += [f"- `{n}`: {c['verdict']}" for n, c in report["comparisons"].items()]
    if chart:
        lines += ["", f"![pass rates]({chart})"]
    lines += [
        "",
        "## By tag",
        "",
        "| strategy | tag | n | pass rate | 95% CI |",
        "|---|---|---|---|---|",
    ]
    for name, st in report["strategies"].items():
        for tag, t in st["by_tag"].items():
            low, high = t["pass_rate_ci"]
            lines.append(
                f"| {name} | {tag} | {t['n']} | {_pct(t['pass_rate'])} | "
                f"[{_pct(low)}, {_pct(high)}] |"
            )
    lines += ["", "## Reproduce", "", "```sh", _reproduce(run), "```", ""]
    return "\n".join(lines)


def _chart(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(report["strategies"])
    rates = [report["strategies"][n]["pass_rate"] for n in names]
    lows = [
        r - report["strategies"][n]["pass_rate_ci"][0] for n, r in zip(names, rates, strict=True)
    ]
    highs = [
        report["strategies"][n]["pass_rate_ci"][1] - r for n, r in zip(names, rates, strict=True)
    ]
    fig, ax = plt.subplots(figsize=(max(5.0, 1.1 * len(names) + 2), 4))
    colors = ["#999999" if n == report["baseline"] else "#3b75af" for n in names]
    ax.bar(names, rates, yerr=[lows, highs], capsize=4, color=colors)
    base = report["strategies"].get(report["baseline"] or "")
    if base is not None:
        ax.axhline(
            base["pass_rate"],
            color="#555555",
            linestyle="--",
            linewidth=1,
            label=f"{report['baseline']} (baseline)",
        )
        ax.legend(loc="upper right")
    ax.set_ylim(0, 1)
    ax.set_ylabel("pass rate (95% Wilson CI)")
    run = report["run"]
    ax.set_title(f"{run['scenario']['name']}, n={len(run['scenario']['cases'])}, {run.get('llm')}")
    ax.tick_params(axis="x", rotation=30)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_report(report: dict[str, Any], out: Path) -> list[str]:
    """Write ``report.md``, ``report.json`` and ``pass_rates.png`` into ``out`` (created);
    returns the paths written.

    Raises:
        InvalidInput: ``out`` cannot be created or written, or the run has no graded case yet.
    """
    if not report["strategies"]:
        raise InvalidInput(f"Run {report['run']['run_id']} has no graded case yet.")
    try:
        out.mkdir(parents=True, exist_ok=True)
        png = out / "pass_rates.png"
        _chart(report, png)
        md = out / "report.md"
        md.write_text(markdown(report, png.name), encoding="utf-8")
        js = out / "report.json"
        js.write_text(
            json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
            encoding="utf-8",
        )
    except OSError as exc:
        raise InvalidInput(f"Cannot write the report to {out}: {exc.strerror or exc}.") from None
    return [str(md), str(js), str(png)]
