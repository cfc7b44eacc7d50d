"""interactive: driven through a real pseudo-terminal, as a person at a keyboard would."""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import signal
import struct
import sys
import textwrap
import time
from pathlib import Path

import pytest

pty = pytest.importorskip("pty")
fcntl = pytest.importorskip("fcntl")
termios = pytest.importorskip("termios")

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")

SCRIPT = textwrap.dedent(
    """
    import json, sys
    from alc.engine.protocol import Query
    from alc.responders import ResponderError, from_spec

    llm = from_spec("interactive")
    results = []

    def ask(query):
        try:
            results.append({"text": llm.respond(query).text})
        except ResponderError as exc:
            results.append({"error": exc.error_code, "message": str(exc)})

    ask(Query(id="q-0", prompt="Why is the sky blue?", system="You are terse.", max_tokens=99))
    ask(Query(id="q-1", prompt="Second question", options={"temperature": 0.5}))
    ask(Query(id="q-2", prompt="Third question"))
    batch = llm.respond_many([Query(id="q-3", prompt="batch A"), Query(id="q-4", prompt="batch B")])
    results.append({"batch": [r.text for r in batch]})
    try:
        llm.respond(Query(id="q-5", prompt="Interrupt me"))
    except KeyboardInterrupt:
        results.append({"interrupted": True})
    with open(sys.argv[1], "w") as f:
        json.dump(results, f)
    """
)


class Terminal:
    """The parent's side of a pty: read what the child shows, type keys into it."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.screen = ""

    def expect(self, text: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while text not in ANSI.sub("", self.screen):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"{text!r} never appeared; screen:\n{self.screen[-2000:]}")
            ready, _, _ = select.select([self.fd], [], [], remaining)
            if ready:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:  # EIO: the child closed the terminal
                    chunk = b""
                if not chunk:
                    raise AssertionError(f"child exited before {text!r}:\n{self.screen[-2000:]}")
                self.screen += chunk.decode("utf-8", "replace")
        plain = ANSI.sub("", self.screen)
        self.screen = plain[plain.index(text) + len(text) :]  # the next expect looks further on

    def type(self, keys: str) -> None:
        os.write(self.fd, keys.encode())


def _wait(pid: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.05)
    raise AssertionError(f"the child did not exit within {timeout} s")


def test_a_person_answers_through_a_real_terminal(tmp_path: Path) -> None:
    script = tmp_path / "drive.py"
    script.write_text(SCRIPT)
    out = tmp_path / "out.json"
    pid, fd = pty.fork()
    if pid == 0:  # the child: a session leader whose controlling terminal is the pty
        # a CI runner may start us with SIGINT ignored (background jobs); Ctrl-C must reach it
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.execv(sys.executable, [sys.executable, str(script), str(out)])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
    term = Terminal(fd)
    try:
        # q-0: system and prompt shown, multi-line answer, '..' escapes a literal '.', '.' ends
        term.expect("You are terse.")
        term.expect("Why is the sky blue?")
        term.expect("max 99 tokens")
        term.expect("> ")
        term.type("Rayleigh scattering.\r")
        term.expect("> ")
        term.type("..\r")
        term.expect("> ")
        term.type("Short waves scatter more.\r.\r")
        # q-1: Ctrl-D ends the answer (twice when typed after text, as in any Unix program)
        term.expect("temperature=0.5")
        term.expect("> ")
        term.type("first\r")
        term.expect("> ")
        term.type("second\x04\x04")
        # q-2: Ctrl-D with nothing typed is an error, not a silent empty answer
        term.expect("Third question")
        term.expect("> ")
        term.type("\x04")
        # a batch: each query announced as i of n
        term.expect("(1 of 2)")
        term.expect("> ")
        term.type("answer A\r.\r")
        term.expect("(2 of 2)")
        term.expect("> ")
        term.type("answer B\r.\r")
        # Ctrl-C passes through as KeyboardInterrupt
        term.expect("Interrupt me")
        term.expect("> ")
        term.type("\x03")
        status = _wait(pid, timeout=30)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0
    results = json.loads(out.read_text())
    assert results[0] == {"text": "Rayleigh scattering.\n.\nShort waves scatter more."}
    assert results[1] == {"text": "first\nsecond"}
    assert results[2]["error"] == "responder_failed"
    assert "Input ended before an answer to q-2" in results[2]["message"]
    assert results[3] == {"batch": ["answer A", "answer B"]}
    assert results[4] == {"interrupted": True}


def test_the_display_shows_system_prompt_and_facts(tmp_path: Path) -> None:
    import io

    from rich.console import Console

    from alc.engine.protocol import Query
    from alc.responders import InteractiveResponder

    shown = io.StringIO()
    llm = InteractiveResponder(
        stdin=io.StringIO("line 1\n\nline 3\n.\n"),
        console=Console(file=shown, width=80, color_system=None),
    )
    query = Query(id="q-9", prompt="The [bold]prompt[/]", system="System text", grounded=True)
    assert llm.respond(query).text == "line 1\n\nline 3"
    screen = shown.getvalue()
    for text in ("query q-9", "max 1024 tokens", "grounded", "System text", "[bold]prompt[/]"):
        assert text in screen, text
    assert json.dumps(screen)  # plain text, printable
