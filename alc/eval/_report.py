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
from collections.abc import Sequence
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


def markdown(
    report: dict[str, Any], chart: str | None = "pass_rates.png", more: Sequence[str] = ()
) -> str:
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
    lines += [f"![{name.removesuffix('.png')}]({name})" for name in more]
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


CHARTS = ("pass_rates.png", "differences.png", "cost.png")
"""The charts :func:`write_report` draws (the last two only when the run has a baseline /
token counts)."""

_BLUE, _GREY, _GREEN, _RED = "#3b75af", "#8c8c8c", "#2e8b57", "#c0392b"


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _title(report: dict[str, Any]) -> str:
    run = report["run"]
    return f"{run['scenario']['name']}, n={len(run['scenario']['cases'])}, {run.get('llm')}"


def _chart(report: dict[str, Any], path: Path) -> None:
    """Pass rate per strategy with its 95 % Wilson interval, a value label on every bar, and a
    visible stub for a 0 % bar (a bar of height 0 would show only its whisker)."""
    plt = _pyplot()
    names = list(report["strategies"])
    stats = [report["strategies"][n] for n in names]
    rates = [st["pass_rate"] for st in stats]
    lows = [r - st["pass_rate_ci"][0] for r, st in zip(rates, stats, strict=True)]
    highs = [st["pass_rate_ci"][1] - r for r, st in zip(rates, stats, strict=True)]
    fig, ax = plt.subplots(figsize=(max(5.5, 1.2 * len(names) + 2), 4.2))
    colors = [_GREY if n == report["baseline"] else _BLUE for n in names]
    shown = [max(r, 0.015) for r in rates]  # a 0 % bar stays visible as a stub
    ax.bar(
        names,
        shown,
        yerr=[lows, highs],
        capsize=4,
        color=colors,
        ecolor="#333333",
        edgecolor="#333333",
        linewidth=0.6,
    )
    for i, (rate, st) in enumerate(zip(rates, stats, strict=True)):
        ax.annotate(
            f"{rate:.0%} ({st['passed']}/{st['n']})",
            (i, max(rate, 0.015)),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=9,
            fontweight="bold",
            bbox={
                "boxstyle": "round,pad=0.15",
                "facecolor": "white",
                "edgecolor": "none",
                "alpha": 0.85,
            },
        )
    base = report["strategies"].get(report["baseline"] or "")
    if base is not None:
        ax.axhline(
            base["pass_rate"],
            color="#555555",
            linestyle="--",
            linewidth=1,
            label=f"{report['baseline']} (baseline)",
        )
        ax.legend(loc="upper right", fontsize=8)
    ax.set_ylim(0, 1.18)
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0], ["0%", "25%", "50%", "75%", "100%"])
    ax.set_ylabel("pass rate (95% Wilson CI)")
    ax.set_title(_title(report))
    ax.tick_params(axis="x", rotation=30)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _differences(report: dict[str, Any], path: Path) -> bool:
    """Each strategy minus the baseline (pass rate, paired on the same cases) with its 95 %
    bootstrap interval, labelled with the difference and the Holm-adjusted p-value."""
    comparisons = report["comparisons"]
    if not comparisons:
        return False
    plt = _pyplot()
    names = list(comparisons)
    deltas = [comparisons[n]["delta_pass_rate"] for n in names]
    cis = [comparisons[n]["delta_pass_rate_ci"] for n in names]
    fig, ax = plt.subplots(figsize=(7.5, 0.6 * len(names) + 1.8))
    ys = list(range(len(names)))[::-1]
    colors = [_GREEN if d > 0 else _RED if d < 0 else _GREY for d in deltas]
    ax.barh(ys, deltas, color=colors, height=0.55)
    ax.scatter(deltas, ys, marker="D", color=colors, edgecolor="#333333", zorder=3, s=30)
    ax.errorbar(
        deltas,
        ys,
        xerr=[
            [d - lo for d, (lo, _) in zip(deltas, cis, strict=True)],
            [hi - d for d, (_, hi) in zip(deltas, cis, strict=True)],
        ],
        fmt="none",
        ecolor="#333333",
        capsize=4,
    )
    for y, name, d in zip(ys, names, deltas, strict=True):
        p = comparisons[name].get("p_holm", comparisons[name]["p_mcnemar"])
        ax.annotate(
            f"{d:+.0%}  p={p:.2g}",
            (1.02, y),
            xycoords=("axes fraction", "data"),
            va="center",
            fontsize=9,
        )
    ax.axvline(0, color="#333333", linewidth=1)
    ax.set_yticks(ys, names)
    ax.set_xlim(-1.05, 1.05)
    ax.set_xticks([-1, -0.5, 0, 0.5, 1], ["-100", "-50", "0", "+50", "+100"])
    ax.set_xlabel(f"pass rate minus {report['baseline']} (points, paired 95% CI)")
    ax.set_title("Gain over the baseline: " + _title(report), fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def _cost(report: dict[str, Any], path: Path) -> bool:
    """Pass rate against tokens per case, one labelled point per strategy (with its interval):
    up and to the left is better."""
    names = list(report["strategies"])
    tokens = [float(report["strategies"][n].get("tokens_per_case") or 0) for n in names]
    if not any(tokens):
        return False
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for name, tok in zip(names, tokens, strict=True):
        st = report["strategies"][name]
        rate, (low, high) = st["pass_rate"], st["pass_rate_ci"]
        color = _GREY if name == report["baseline"] else _BLUE
        ax.errorbar(
            [tok],
            [rate],
            yerr=[[rate - low], [high - rate]],
            fmt="o",
            color=color,
            ecolor=color,
            capsize=3,
        )
        ax.annotate(
            f"{name} ({rate:.0%})",
            (tok, rate),
            xytext=(6, 4),
            textcoords="offset points",
            fontsize=9,
        )
    ax.set_xscale("log" if max(tokens) / max(min(t for t in tokens if t), 1) > 20 else "linear")
    ax.set_ylim(-0.05, 1.08)
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0], ["0%", "25%", "50%", "75%", "100%"])
    ax.set_xlabel("tokens per case")
    ax.set_ylabel("pass rate (95% CI)")
    ax.set_title("Accuracy against cost: " + _title(report), fontsize=10)
    ax.grid(alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def write_report(report: dict[str, Any], out: Path) -> list[str]:
    """Write ``report.md``, ``report.json`` and the charts of :data:`CHARTS` into ``out``
    (created); returns the paths written.

    Raises:
        InvalidInput: ``out`` cannot be created or written, or the run has no graded case yet.
    """
    if not report["strategies"]:
        raise InvalidInput(f"Run {report['run']['run_id']} has no graded case yet.")
    try:
        out.mkdir(parents=True, exist_ok=True)
        png = out / "pass_rates.png"
        _chart(report, png)
        charts = [png]
        if _differences(report, out / "differences.png"):
            charts.append(out / "differences.png")
        if _cost(report, out / "cost.png"):
            charts.append(out / "cost.png")
        md = out / "report.md"
        md.write_text(markdown(report, png.name, [c.name for c in charts[1:]]), encoding="utf-8")
        js = out / "report.json"
        js.write_text(
            json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
            encoding="utf-8",
        )
    except OSError as exc:
        raise InvalidInput(f"Cannot write the report to {out}: {exc.strerror or exc}.") from None
    return [str(md), str(js), *(str(c) for c in charts)]
