"""Tokens/s of the local model under each llama.cpp binding, side by side on this machine.

The ``[local]`` extra used to compile ``llama-cpp-python`` (llama.cpp from source, ~13 min on two
cores); it now installs the prebuilt ``cyllama`` wheel. This script measures both on the same
model file (the packaged Gemma 3 270M Q4_K_M), the same prompt, greedy decoding, the same
``max_tokens`` and thread counts. Each binding lives in its own virtualenv, so every measurement
runs in a worker subprocess started with that venv's Python (this file is stdlib-only so any venv
can run it as a script). Workers alternate binding by binding, round after round, so a busy
machine slows both alike; the ratio is the figure to read, not the absolute tokens/s.

    python -m benchmarks.local_backends \\
        --backend llama-cpp-python=/path/to/venv-with-llama-cpp-python/bin/python \\
        --backend cyllama=/path/to/venv-with-cyllama/bin/python \\
        --model ~/.cache/alc/models/gemma-3-270m-q4_k_m.gguf --output benchmarks/local_backends.md

tokens/s = generated tokens / seconds for the whole call (prompt evaluation + generation), after
one warm-up generation per worker. Results are written as Markdown with the machine, the date,
the load average before and after, the versions and every run.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

PROMPT = "Question: Why is the sky blue?\nAnswer:"


def _llama_cpp_python(model: str, threads: int, runs: int, max_tokens: int) -> dict[str, Any]:
    import llama_cpp  # type: ignore[import-not-found]

    start = time.perf_counter()
    llm = llama_cpp.Llama(
        model_path=model, n_ctx=4096, n_threads=threads, n_threads_batch=threads, verbose=False
    )
    load = time.perf_counter() - start
    results = []
    for i in range(runs + 1):
        t0 = time.perf_counter()
        out = llm.create_completion(
            PROMPT, max_tokens=max_tokens, temperature=0.0, repeat_penalty=1.0
        )
        seconds = time.perf_counter() - t0
        if i:  # the first is the warm-up
            usage = out["usage"]
            results.append(
                {
                    "prompt_tokens": usage["prompt_tokens"],
                    "tokens": usage["completion_tokens"],
                    "seconds": seconds,
                    "text": out["choices"][0]["text"][:60],
                }
            )
    return {"version": f"llama-cpp-python {llama_cpp.__version__}", "load_s": load, "runs": results}


def _cyllama(model: str, threads: int, runs: int, max_tokens: int) -> dict[str, Any]:
    import cyllama  # type: ignore[import-not-found]
    from cyllama.llama import llama_cpp as cy  # type: ignore[import-not-found]

    cy.disable_logging()
    cy.ggml_backend_load_all()
    start = time.perf_counter()
    lm = cy.LlamaModel(model, cy.LlamaModelParams())
    params = cy.LlamaContextParams()
    params.n_ctx, params.n_batch = 4096, 512
    params.n_threads = params.n_threads_batch = threads
    ctx = cy.LlamaContext(lm, params)
    vocab = lm.get_vocab()
    load = time.perf_counter() - start
    results = []
    for i in range(runs + 1):
        t0 = time.perf_counter()
        ctx.kv_cache_clear()
        sampler = cy.LlamaSampler(cy.LlamaSamplerChainParams())
        sampler.add_greedy()
        tokens = vocab.tokenize(PROMPT, add_special=True, parse_special=False)
        ctx.decode(cy.llama_batch_get_one(tokens, 0))
        out: list[int] = []
        while len(out) < max_tokens:
            token = sampler.sample(ctx, -1)
            if vocab.is_eog(token):
                break
            out.append(token)
            ctx.decode(cy.llama_batch_get_one([token], len(tokens) + len(out) - 1))
        seconds = time.perf_counter() - t0
        if i:
            results.append(
                {
                    "prompt_tokens": len(tokens),
                    "tokens": len(out),
                    "seconds": seconds,
                    "text": vocab.detokenize(out)[:60],
                }
            )
    version = f"cyllama {cyllama.__version__}"
    return {"version": version, "load_s": load, "runs": results}


WORKERS = {"llama-cpp-python": _llama_cpp_python, "cyllama": _cyllama}


def _worker(args: argparse.Namespace) -> None:
    out = WORKERS[args.worker](args.model, args.threads[0], args.runs, args.max_tokens)
    print(json.dumps(out))


def _spawn(python: str, kind: str, args: argparse.Namespace, threads: int) -> dict[str, Any]:
    command = [python, __file__, "--worker", kind, "--model", args.model]
    command += ["--threads", str(threads), "--runs", str(args.runs)]
    command += ["--max-tokens", str(args.max_tokens)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=1800, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{kind} worker failed ({done.returncode}):\n{done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{platform.platform()}, {cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )


def _report(
    args: argparse.Namespace, data: dict[str, dict[int, list[dict[str, Any]]]], meta: dict[str, Any]
) -> str:
    lines = [
        "# Local model: tokens/s by llama.cpp binding",
        "",
        f"- date: {meta['date']}",
        f"- machine: {meta['machine']}",
        f"- load average before / after: {meta['load_before']} / {meta['load_after']}",
        f"- model: `{Path(args.model).name}`; prompt {PROMPT!r}; greedy; max_tokens "
        f"{args.max_tokens}; {args.rounds} rounds x {args.runs} runs per binding and thread "
        "count (plus one warm-up per worker), bindings alternating",
        f"- versions: {'; '.join(sorted(meta['versions']))}",
        f"- command: `{meta['command']}`",
        "",
        "| binding | threads | median tok/s | min | max | runs | tokens/run | load s (median) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    medians: dict[tuple[str, int], float] = {}
    for kind, by_threads in data.items():
        for threads, workers in sorted(by_threads.items()):
            runs = [r for w in workers for r in w["runs"]]
            rates = [r["tokens"] / r["seconds"] for r in runs]
            medians[kind, threads] = statistics.median(rates)
            tokens = sorted({r["tokens"] for r in runs})
            load = statistics.median(w["load_s"] for w in workers)
            lines.append(
                f"| {kind} | {threads} | {medians[kind, threads]:.1f} | {min(rates):.1f} | "
                f"{max(rates):.1f} | {len(rates)} | {'/'.join(map(str, tokens))} | {load:.2f} |"
            )
    kinds = list(data)
    if len(kinds) == 2:
        lines.append("")
        for threads in args.threads:
            a, b = (medians.get((k, threads)) for k in kinds)
            if a and b:
                lines.append(f"- {kinds[1]} / {kinds[0]} at {threads} thread(s): {b / a:.2f}x")
    lines.append("")
    lines.append("Texts generated (first 60 characters of the first run):")
    lines.append("")
    for kind, by_threads in data.items():
        first = next(iter(by_threads.values()))[0]["runs"][0]["text"]
        lines.append(f"- {kind}: {first!r}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", action="append", default=[], metavar="KIND=PYTHON")
    parser.add_argument(
        "--model", default=str(Path.home() / ".cache/alc/models/gemma-3-270m-q4_k_m.gguf")
    )
    parser.add_argument("--threads", type=int, action="append")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=96)
    parser.add_argument("--output", type=Path)
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.threads = args.threads or [1, 2]
    if args.worker:
        _worker(args)
        return
    backends = dict(item.split("=", 1) for item in args.backend)
    if not backends or set(backends) - set(WORKERS):
        parser.error(f"give --backend KIND=PYTHON with KIND among {sorted(WORKERS)}")
    meta: dict[str, Any] = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": _machine(),
        "load_before": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
        "versions": set(),
        "command": " ".join(["python -m benchmarks.local_backends", *(argv or sys.argv[1:])]),
    }
    data: dict[str, dict[int, list[dict[str, Any]]]] = {k: {} for k in backends}
    for round_ in range(args.rounds):
        for threads in args.threads:
            for kind, python in backends.items():
                result = _spawn(python, kind, args, threads)
                meta["versions"].add(result["version"])
                data[kind].setdefault(threads, []).append(result)
                rates = [f"{r['tokens'] / r['seconds']:.1f}" for r in result["runs"]]
                print(
                    f"round {round_ + 1} {kind} threads={threads}: {rates} tok/s", file=sys.stderr
                )
    meta["load_after"] = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    text = _report(args, data, meta)
    if args.output:
        args.output.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
