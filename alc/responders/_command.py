"""``cmd:<shell command>``: one shell command per query, prompt on stdin, answer on stdout."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Mapping

from alc.engine.protocol import Query, Response
from alc.responders._base import BaseResponder
from alc.responders._errors import ResponderError

__all__ = ["CommandResponder"]

_STDERR_TAIL_CHARS = 2000


def _strip_one_newline(text: str) -> str:
    if text.endswith("\r\n"):
        return text[:-2]
    if text.endswith("\n"):
        return text[:-1]
    return text


def _tail(text: str, limit: int = _STDERR_TAIL_CHARS) -> str:
    text = text.strip()
    return text if len(text) <= limit else "…" + text[-limit:]


class CommandResponder(BaseResponder):
    """Runs ``command`` through the shell once per query; the answer is what it prints.

    Per query the command gets:

    - stdin: the prompt (UTF-8), then end of file;
    - env ``ALC_SYSTEM``: the system prompt (empty string when the query has none);
    - env ``ALC_MAX_TOKENS``: the answer length the strategy asked for, in tokens;
    - env ``ALC_QUERY_ID``: the query id (``q-<n>``);
    - env ``ALC_OPTIONS``: the extra ``alc.llm`` options as a JSON object (``{}`` when none);
    - the rest of the environment of this process, and its working directory.

    The answer is stdout decoded as UTF-8 with one trailing newline removed. Examples::

        cmd:llm -m gpt-4o-mini -s "$ALC_SYSTEM"
        cmd:claude -p
        cmd:ollama run llama3.2

    Differs from ``openai:``: no token usage is known (the engine estimates it) and batches
    run one command after another.
    """

    def __init__(
        self,
        command: str,
        *,
        timeout: float | None = None,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
    ) -> None:
        """Args:
            command: a shell command line (run with ``/bin/sh -c``).
            timeout: seconds one query may take; None waits forever.
            env: extra environment variables for the command (on top of this process's).
            cwd: working directory of the command (default: this process's).

        Raises:
            ResponderError: the command is empty.
        """
        if not command.strip():
            raise ResponderError(
                "The cmd responder needs a command: --llm 'cmd:llm -m gpt-4o-mini'",
                responder="cmd",
            )
        self.command = command
        self.name = f"cmd:{command}"
        self.timeout = timeout
        self.env = dict(env or {})
        self.cwd = cwd

    @classmethod
    def from_arg(cls, arg: str | None) -> CommandResponder:
        """Factory of the spec ``cmd:<shell command>``. Raises ``ResponderError``."""
        return cls(arg or "")

    def _environment(self, query: Query) -> dict[str, str]:
        env = {**os.environ, **self.env}
        env["ALC_SYSTEM"] = query.system or ""
        env["ALC_MAX_TOKENS"] = str(query.max_tokens)
        env["ALC_QUERY_ID"] = query.id
        env["ALC_OPTIONS"] = json.dumps(query.options, sort_keys=True, ensure_ascii=False)
        return env

    def respond(self, query: Query) -> Response:
        """Run the command for ``query``.

        Raises:
            ResponderError: the command could not start, timed out, was killed by a signal or
                exited non-zero (the message names the command, the exit code and the tail of
                its stderr), or printed something that is not UTF-8.
        """
        try:
            done = subprocess.run(
                self.command,
                shell=True,
                input=query.prompt.encode("utf-8"),
                capture_output=True,
                env=self._environment(query),
                cwd=self.cwd,
                timeout=self.timeout,
                check=False,
            )
            stderr = done.stderr.decode("utf-8", errors="replace")
            if done.returncode != 0:
                raise _ExitStatus(done.returncode, _tail(stderr))
            return Response(text=_strip_one_newline(done.stdout.decode("utf-8")))
        except (OSError, subprocess.SubprocessError, UnicodeDecodeError, _ExitStatus) as exc:
            raise self._translate(exc, query) from exc

    def _translate(self, exc: Exception, query: Query) -> ResponderError:
        """The one place command failures become ``ResponderError``."""
        if isinstance(exc, _ExitStatus):
            how = (
                f"was killed by signal {exc.signal_name}"
                if exc.returncode < 0
                else f"exited with code {exc.returncode}"
            )
            hint = (
                " The shell could not find the program: check it is installed and on PATH."
                if exc.returncode == 127
                else ""
            )
            tail = f" Its stderr ends with:\n{exc.stderr_tail}" if exc.stderr_tail else ""
            message = f"Command {self.command!r} {how} on query {query.id}.{hint}{tail}"
        elif isinstance(exc, subprocess.TimeoutExpired):
            message = (
                f"Command {self.command!r} took longer than {self.timeout:g} s on query "
                f"{query.id} and was killed."
            )
        elif isinstance(exc, UnicodeDecodeError):
            message = f"Command {self.command!r} printed an answer that is not UTF-8 ({exc})."
        else:
            message = f"Command {self.command!r} could not be run: {exc}."
        return ResponderError(message, responder=self.name, query_id=query.id)


class _ExitStatus(Exception):
    """Internal: a non-zero exit, carried to :meth:`CommandResponder._translate`."""

    def __init__(self, returncode: int, stderr_tail: str) -> None:
        super().__init__(returncode)
        self.returncode = returncode
        self.stderr_tail = stderr_tail

    @property
    def signal_name(self) -> str:
        try:
            return signal.Signals(-self.returncode).name
        except ValueError:
            return str(-self.returncode)
