"""Progress while driving: it moves with every answer of a batch on a terminal, and nothing is
drawn when stderr is not a terminal (``alc run --llm``, ``alc eval run``)."""

from __future__ import annotations

import io
import json
import os
import pty
import re
import subprocess
import sys
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from cli_result import Alc
from rich.console import Console

from alc.cli._drive import _Display
from alc.engine.protocol import Query, Response
from alc.responders import BaseResponder

BATCH = 'return alc.llm_batch({"p1", "p2", "p3", "p4"})'


class _Watching(BaseResponder):
    """Records what the display shows each time it is asked, then answers."""

    name = "watching"

    def __init__(self, display: _Display, concurrent: bool = False) -> None:
        self.display = display
        self.concurrent = concurrent
        self.seen: list[tuple[float, float | None, str]] = []
        self.lock = threading.Lock()

    def respond(self, query: Query) -> Response:
        task = self.display._progress.tasks[0]
        with self.lock:
            self.seen.append((task.completed, task.total, task.description))
        return Response(text=query.prompt.upper())

    def respond_many(self, queries: Sequence[Query]) -> list[Response]:
        if not self.concurrent:
            return super().respond_many(queries)
        with ThreadPoolExecutor(max_workers=4) as pool:
            return list(pool.map(self.respond, queries))


def _display() -> _Display:
    console = Console(file=io.StringIO(), force_terminal=True, width=120)
    return _Display(True, console=console)


def _queries(n: int) -> list[Query]:
    return [Query(id=f"q-{i}", prompt=f"p{i}") for i in range(n)]


def test_the_display_moves_with_every_answer_of_a_batch() -> None:
    display = _display()
    responder = _Watching(display)
    with display:
        display.attach(responder)
        answers = responder.respond_many(_queries(4))
    assert [a.text for a in answers] == ["P0", "P1", "P2", "P3"]
    assert [(done, total) for done, total, _ in responder.seen] == [(i, 4) for i in range(4)]
    assert [text.split(" · ")[2] for _, _, text in responder.seen] == [
        f"batch {i}/4" for i in range(4)
    ]
    assert display.calls == 4 and display.batch == (4, 4)


def test_concurrent_answers_are_all_counted() -> None:
    display = _display()
    responder = _Watching(display, concurrent=True)
    with display:
        display.attach(responder)
        responder.respond_many(_queries(12))
    assert display.calls == 12 and display.batch == (12, 12)
    assert display._progress.tasks[0].completed == 12


def test_a_pause_resets_the_batch_and_the_strategys_progress_drives_the_bar() -> None:
    display = _display()
    with display:
        display.paused(calls=7, progress={"step": 2, "total": 5, "message": "scoring\x1b[2J"})
    task = display._progress.tasks[0]
    assert (task.completed, task.total) == (2, 5)
    assert task.description.startswith("round 2 · 7 LLM calls · scoring\\x1b[2J")


def test_a_disabled_display_draws_nothing_and_leaves_the_responder_alone() -> None:
    display = _Display(False)
    responder = _Watching(display)
    display.attach(responder)
    assert "respond" not in vars(responder)
    display.paused(calls=1, progress=None)  # no error, nothing drawn


def _env(home: Path) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ALC_")}
    return environ | {"ALC_HOME": str(home), "COLUMNS": "120"}


def test_run_llm_on_a_terminal_shows_each_answer_of_the_batch(home: Path) -> None:
    """stderr is a real pseudo-terminal: the batch count is drawn as each answer arrives."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "alc", "run", "--code", BATCH, "--llm", "cmd:cat"],
        stdout=subprocess.PIPE,
        stderr=slave,
        env=_env(home),
    )
    os.close(slave)
    drawn = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        drawn += chunk
    stdout = proc.stdout.read() if proc.stdout else b""
    assert proc.wait(timeout=120) == 0
    os.close(master)
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", drawn.decode("utf-8", "replace"))
    for done in range(1, 5):
        assert f"batch {done}/4" in text, text
    assert json.loads(stdout)["result"] == ["p1", "p2", "p3", "p4"]


def test_run_llm_off_a_terminal_draws_no_progress(alc: Alc) -> None:
    result = alc("run", "--code", BATCH, "--llm", "cmd:cat")
    assert result.code == 0
    assert result.stderr == ""
    assert result.json["result"] == ["p1", "p2", "p3", "p4"]


def test_eval_run_off_a_terminal_draws_no_progress_bar(alc: Alc, tmp_path: Path) -> None:
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({"": "42"}), encoding="utf-8")
    args = ["eval", "run", "-s", "direct", "--baseline", "none", "--scenario", "arith", "-n", "2"]
    result = alc(*args, "--llm", f"scripted:{answers}")
    assert result.code == 0, result
    assert "━" not in result.stderr and "ETA" not in result.stderr
    assert result.json["status"] == "complete"
