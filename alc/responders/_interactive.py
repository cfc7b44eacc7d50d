"""``interactive``: a human answers each query at the terminal (human-in-the-loop mode)."""

from __future__ import annotations

import sys
import threading
from typing import TextIO

from rich.console import Console, Group
from rich.panel import Panel
from rich.text import Text

from alc._text import visible
from alc.engine.protocol import Query, Response
from alc.responders._base import BaseResponder
from alc.responders._errors import ResponderError

__all__ = ["END_OF_ANSWER", "InteractiveResponder"]

END_OF_ANSWER = "."
"""A line holding only this ends an answer (``..`` stands for a literal ``.`` line)."""

_HINT = (
    "Type the answer (several lines are fine). End it with a line containing only '.' "
    "or with Ctrl-D on a new line. A line '..' stands for a line '.'; Ctrl-C stops here."
)


class InteractiveResponder(BaseResponder):
    """Shows each query on the terminal and reads the answer a person types.

    Display (on stderr, with rich, so stdout stays free for the JSON replies): the query id and
    ``max_tokens``, the system prompt (when set), the prompt, and any flags/options. The text is
    the strategy's: control characters are shown as escapes (``\\x1b``), never sent raw.

    Input (from stdin): any number of lines, ended by

    - a line containing only ``.`` (SMTP style; type ``..`` for a literal ``.`` line), or
    - end of input after some text: Ctrl-D at the start of a line on Unix (after text on the
      same line press it twice, as in any terminal program), Ctrl-Z Enter on Windows.

    A lone ``.`` as the first line gives an empty answer on purpose. Ctrl-D with nothing typed
    (or stdin already closed) raises ``ResponderError``, because no answer was given; Ctrl-C
    raises ``KeyboardInterrupt`` untouched, so the driver can leave the session paused.

    Batches are asked one query after another, each announced as "i of n".
    """

    name = "interactive"

    def __init__(self, *, stdin: TextIO | None = None, console: Console | None = None) -> None:
        """Args:
        stdin: where answers are read (default ``sys.stdin`` at call time).
        console: where queries are shown (default a rich console on stderr).
        """
        self._stdin = stdin
        self._console = console
        self._lock = threading.Lock()

    @classmethod
    def from_arg(cls, arg: str | None) -> InteractiveResponder:
        """Factory of the spec ``interactive`` (takes no argument). Raises ``ResponderError``."""
        if arg is not None:
            raise ResponderError(
                f"The interactive responder takes no argument (got {arg!r}): --llm interactive",
                responder="interactive",
            )
        return cls()

    @property
    def console(self) -> Console:
        if self._console is None:
            self._console = Console(stderr=True, highlight=False)
        return self._console

    def respond(self, query: Query) -> Response:
        """Show ``query`` and read the typed answer.

        Raises:
            ResponderError: input ended before any answer text was typed.
            KeyboardInterrupt: the person pressed Ctrl-C.
        """
        return self._ask(query, None)

    def respond_many(self, queries: list[Query]) -> list[Response]:  # type: ignore[override]
        """Ask each query of a batch in turn ("query i of n"); answers in input order."""
        return [self._ask(q, (i + 1, len(queries))) for i, q in enumerate(queries)]

    def _ask(self, query: Query, position: tuple[int, int] | None) -> Response:
        with self._lock:
            self._show(query, position)
            return Response(text=self._read(query))

    def _show(self, query: Query, position: tuple[int, int] | None) -> None:
        title = f"query {query.id}"
        if position is not None:
            title += f" ({position[0]} of {position[1]})"
        facts = [f"max {query.max_tokens} tokens"]
        if query.grounded:
            facts.append("grounded")
        if query.underspecified:
            facts.append("underspecified")
        facts.extend(f"{k}={v}" for k, v in sorted(query.options.items()))
        parts: list[Panel | Text] = []
        if query.system:  # strategy text: shown inert (alc._text.visible), never as markup
            parts.append(
                Panel(
                    Text(visible(query.system)),
                    title="system",
                    title_align="left",
                    border_style="dim",
                )
            )
        parts.append(Panel(Text(visible(query.prompt)), title="prompt", title_align="left"))
        parts.append(Text(_HINT, style="dim"))
        self.console.print()
        self.console.print(
            Panel(
                Group(*parts),
                title=f"[bold]alc[/] · {title}",
                subtitle=Text(visible(" · ".join(facts))),
                border_style="cyan",
            )
        )

    def _read(self, query: Query) -> str:
        stream = self._stdin if self._stdin is not None else sys.stdin
        lines: list[str] = []
        while True:
            self.console.print("[cyan]>[/] ", end="")
            raw = stream.readline()
            if raw == "":  # end of input
                if not lines:
                    self.console.print()
                    raise ResponderError(
                        f"Input ended before an answer to {query.id} was typed. Type the answer "
                        "and end it with a line containing only '.'.",
                        responder=self.name,
                        query_id=query.id,
                    )
                self.console.print()
                break
            line = raw[:-1] if raw.endswith("\n") else raw
            line = line.removesuffix("\r")
            if line == END_OF_ANSWER:
                break
            lines.append(END_OF_ANSWER if line == END_OF_ANSWER * 2 else line)
            if not raw.endswith("\n"):  # end of input right after text on the same line
                self.console.print()
                break
        return "\n".join(lines)
