"""``alc eval``: run, compare, list, show, report and re-grade evaluations (docs/evals.md).

Thin: each command parses its options, calls :mod:`alc.eval` once through the engine, and
prints the reply (JSON when stdout is not a terminal, rich tables otherwise). ``run`` shows a
progress bar on stderr; Ctrl-C stops it with every finished pair stored, and the same command
(or ``--resume RUN``) continues where it stopped.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from alc.cli._args import apply_output, open_engine
from alc.cli._options import OutputOpt
from alc.cli._output import EXIT_INTERRUPTED, EXIT_OK, emit, json_mode, note

if TYPE_CHECKING:
    from alc.eval import Progress

__all__ = ["register"]

eval_app = typer.Typer(
    name="eval",
    help="Evaluate strategies against a baseline on a scenario: run, compare, list, show, report.",
    no_args_is_help=True,
)


def _parse_sets(values: list[str] | None) -> dict[str, dict[str, Any]]:
    """``STRATEGY.KEY=VALUE`` options (VALUE as JSON when it parses, else text)."""
    from alc.engine.errors import InvalidInput

    out: dict[str, dict[str, Any]] = {}
    for item in values or []:
        target, eq, raw = item.partition("=")
        strategy, dot, key = target.partition(".")
        if not (eq and dot and strategy and key):
            raise InvalidInput(f"--set {item!r}: expected STRATEGY.KEY=VALUE, e.g. sc.n=3.")
        try:
            value: Any = json.loads(raw)
        except ValueError:
            value = raw
        out.setdefault(strategy, {})[key] = value
    return out


class _Bar:
    """The rich progress bar of a run (stderr): pairs done, pass rate so far, tokens, ETA. It
    moves with every finished pair; shown only when stderr is a terminal (nothing otherwise:
    logs and pipes get the JSON reply and the notes only)."""

    def __init__(self, enabled: bool) -> None:
        self.progress: Any = None
        self.task: Any = None
        if not enabled:
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("pass {task.fields[rate]}"),
            TextColumn("{task.fields[tokens]} tok"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=False,
        )

    def start(self, run_id: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress.start()
            self.task = self.progress.add_task(
                run_id, total=total, completed=done, rate="-", tokens=0
            )
        if done:
            note(f"alc: continuing run {run_id}: {done} of {total} pairs already done")

    def update(self, p: Progress) -> None:
        if self.progress is None:
            return
        rate = f"{p.pass_rate:.0%}" if p.pass_rate is not None else "-"
        self.progress.update(
            self.task, total=p.total, completed=p.done, rate=rate, tokens=f"{p.tokens:,}"
        )

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()


def run(
    strategy: Annotated[
        list[str],
        typer.Option("--strategy", "-s", help="A strategy to evaluate; repeatable."),
    ],
    scenario: Annotated[
        str,
        typer.Option(
            "--scenario",
            help="A built-in set (arith, logic, factual) or a scenario file (.lua evalframe, "
            ".jsonl, .toml, .json).",
        ),
    ],
    llm: Annotated[
        str,
        typer.Option(
            "--llm",
            metavar="SPEC",
            help="The responder: local, openai:<model>, 'cmd:<command>', scripted:<file.json>.",
        ),
    ],
    baseline: Annotated[
        str,
        typer.Option(
            "--baseline", help="The strategy the others are compared with; 'none' for no baseline."
        ),
    ] = "direct",
    n: Annotated[
        int | None,
        typer.Option(
            "-n", min=1, help="Cases (the first n of a file; n generated cases of a built-in set)."
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of generated sets.")] = 0,
    judge: Annotated[
        str | None,
        typer.Option(
            "--judge", metavar="SPEC", help="Responder of llm_rubric / llm_yes_no (default --llm)."
        ),
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            metavar="STRATEGY.KEY=VALUE",
            help="A strategy parameter, e.g. sc.n=3; repeatable.",
        ),
    ] = None,
    concurrency: Annotated[
        int, typer.Option("--concurrency", "-j", min=1, help="Pairs in flight at once.")
    ] = 2,
    resume: Annotated[
        str | None, typer.Option("--resume", metavar="RUN", help="Continue this run.")
    ] = None,
    output: OutputOpt = None,
) -> int:
    """Run every (strategy, case) pair as a session driven by --llm, grade and store it.

    Example:

        alc eval run -s cot -s sc --baseline direct --scenario arith --llm local -n 50

    Re-running the same command continues an interrupted run; `alc eval report RUN` reads it.
    """
    import alc.eval as ev

    apply_output(output)
    engine = open_engine(pool=True)
    bar = _Bar(sys.stderr.isatty())
    try:
        record = ev.evaluate(
            engine,
            scenario,
            strategy,
            llm=llm,
            baseline=None if baseline.lower() == "none" else baseline,
            n=n,
            seed=seed,
            judge=judge,
            strategy_opts=_parse_sets(set_),
            concurrency=1 if llm.lower().startswith("interactive") else concurrency,
            run_id=resume,
            on_start=bar.start,
            on_progress=bar.update,
        )
        report = ev.run_report(engine, record["run_id"])
    except KeyboardInterrupt:
        bar.stop()
        note(
            "alc: interrupted; finished pairs are stored. Run the same command again (or add "
            "--resume RUN) to continue."
        )
        return EXIT_INTERRUPTED
    finally:
        bar.stop()
        engine.close()
    _emit_report(report)
    return EXIT_OK


def _emit_report(report: dict[str, Any]) -> None:
    brief = _brief(report)
    if json_mode():
        emit(brief, "eval")
        return
    from alc.cli._eval_render import render_report

    render_report(brief)


def _brief(report: dict[str, Any]) -> dict[str, Any]:
    run = report["run"]
    return {
        "run_id": run["run_id"],
        "status": run["status"],
        "scenario": run["scenario"]["name"],
        "n": len(run["scenario"]["cases"]),
        "llm": run.get("llm"),
        "baseline": report["baseline"],
        "cards": run.get("cards", {}),
        "strategies": {
            s: {k: v for k, v in st.items() if k != "by_tag"}
            for s, st in report["strategies"].items()
        },
        "comparisons": report["comparisons"],
    }


def compare(
    run_a: Annotated[str, typer.Argument(help="RUN or RUN:STRATEGY (the baseline side).")],
    run_b: Annotated[
        str | None,
        typer.Argument(
            help="RUN or RUN:STRATEGY; omit to compare each strategy of RUN_A with its baseline."
        ),
    ] = None,
    output: OutputOpt = None,
) -> int:
    """Paired comparison on the same cases: McNemar's exact test, the pass-rate difference
    with its 95% interval, the score difference with Wilcoxon, Holm-adjusted p-values."""
    import alc.eval as ev

    apply_output(output)
    reply = ev.compare_runs(open_engine(), run_a, run_b)
    if json_mode():
        emit(reply, "eval")
    else:
        from alc.cli._eval_render import render_comparisons

        render_comparisons(reply["comparisons"])
    return EXIT_OK


def list_(
    count: Annotated[int, typer.Option("--count", "-n", min=1, help="At most this many.")] = 50,
    output: OutputOpt = None,
) -> int:
    """The eval runs of the store, newest first."""
    import alc.eval as ev

    apply_output(output)
    runs = ev.list_runs(open_engine(), count)
    if json_mode():
        emit({"runs": runs}, "eval")
    else:
        from alc.cli._eval_render import render_runs

        render_runs(runs)
    return EXIT_OK


def show(
    run_id: Annotated[str, typer.Argument(help="The run id (ev-...).")],
    strategy: Annotated[
        str | None, typer.Option("--strategy", "-s", help="Only this strategy.")
    ] = None,
    transcripts: Annotated[
        bool, typer.Option("--transcripts", "-t", help="Every prompt and answer of each case.")
    ] = False,
    output: OutputOpt = None,
) -> int:
    """Per-case results of a run (answer, score, pass, tokens, session); --transcripts adds
    each case's prompts and answers."""
    import alc.eval as ev

    apply_output(output)
    reply = ev.show_run(open_engine(), run_id, strategy=strategy, transcripts=transcripts)
    if json_mode():
        emit(reply, "eval")
    else:
        from alc.cli._eval_render import render_cases

        render_cases(reply)
    return EXIT_OK


def report(
    run_id: Annotated[str, typer.Argument(help="The run id (ev-...).")],
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", help="Directory for report.md, report.json and pass_rates.png."
        ),
    ] = Path("report"),
    output: OutputOpt = None,
) -> int:
    """Write a run's report: Markdown (tables, verdicts), a PNG chart and the JSON."""
    import alc.eval as ev
    from alc.eval._report import write_report

    apply_output(output)
    files = write_report(ev.run_report(open_engine(), run_id), out)
    emit({"run_id": run_id, "files": files}, "eval") if json_mode() else note(
        "alc: wrote " + ", ".join(files)
    )
    return EXIT_OK


def regrade(
    run_id: Annotated[str, typer.Argument(help="The run id (ev-...).")],
    grader: Annotated[
        list[str] | None,
        typer.Option(
            "--grader",
            "-g",
            metavar="NAME[:WEIGHT]",
            help="Grade with these graders instead of the scenario's; repeatable.",
        ),
    ] = None,
    judge: Annotated[
        str | None,
        typer.Option("--judge", metavar="SPEC", help="Responder of model-judged graders."),
    ] = None,
    output: OutputOpt = None,
) -> int:
    """Grade a finished run's stored answers again (no strategy model is asked); the results
    are new cards linked to the old ones."""
    import alc.eval as ev

    apply_output(output)
    specs = None
    if grader:
        specs = []
        for g in grader:
            name, _, weight = g.partition(":")
            try:
                value = float(weight or 1)
            except ValueError:
                value = -1.0  # refused below with the grader's own message
            specs.append(ev.GraderSpec.parse({"name": name, "weight": value}, "--grader"))
    judge_responder = None
    if judge is not None:
        from alc.responders import from_spec

        judge_responder = from_spec(judge)
    engine = open_engine(pool=True)
    ev.regrade(engine, run_id, specs, judge=judge_responder)
    _emit_report(ev.run_report(engine, run_id))
    return EXIT_OK


eval_app.command("run")(run)
eval_app.command("compare")(compare)
eval_app.command("list")(list_)
eval_app.command("show")(show)
eval_app.command("report")(report)
eval_app.command("regrade")(regrade)


def register(app: typer.Typer) -> None:
    """Add ``alc eval ...`` to the CLI."""
    app.add_typer(eval_app)
