"""Rich renderings of the CLI's replies, for humans at a terminal (``--pretty``).

Every renderer takes the same JSON-ready dict that JSON mode prints, so both modes show the same
facts. Imported only in pretty mode (rich is not free to import).

Nothing is ever cropped: text wraps at the terminal's width and a long unbroken token (a URL, a
hash) folds onto the next line. A completed session's result is shown for reading: its answer
(the ``answer`` field, or a result that is text) as wrapped text, the other fields as a
two-column table, nested values as indented JSON that wraps.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from rich import box
from rich.console import Console, Group, RenderableType
from rich.json import JSON
from rich.markup import escape
from rich.panel import Panel
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from alc._text import visible_tree

__all__ = ["render", "renderable"]

_console = Console()

_STATE_STYLE = {
    "paused": "yellow",
    "running": "cyan",
    "completed": "green",
    "failed": "red",
    "error": "red",
    "cancelled": "dim",
    "needs_response": "yellow",
    "accepted": "cyan",
}


def render(kind: str, reply: dict[str, Any]) -> None:
    """Print ``reply`` with the renderer for ``kind`` (falls back to pretty JSON).

    Every string of ``reply`` is passed through :func:`~alc._text.visible` first, so a
    strategy's text cannot move the cursor, retitle or clear the terminal.
    """
    _console.print(renderable(kind, reply))


def renderable(kind: str, reply: dict[str, Any]) -> RenderableType:
    """The rich renderable :func:`render` prints (for a console of any width, e.g. in tests)."""
    renderer: Callable[[dict[str, Any]], RenderableType] = _RENDERERS.get(kind, _json)
    return renderer(visible_tree(reply))  # strategy text: no raw control characters


def _json(value: Any, compact: int = 0) -> RenderableType:
    """Highlighted JSON that wraps (rich's own JSON never wraps: it crops); on one line when
    that is at most ``compact`` characters, else indented."""
    flat = json.dumps(value, ensure_ascii=False, default=str)
    rendered = JSON(flat, indent=None) if len(flat) <= compact else JSON(flat)
    rendered.text.no_wrap = False
    rendered.text.overflow = "fold"
    return rendered


ANSWER_KEYS = ("answer", "final_answer", "response", "text", "output")
"""Result fields shown as *the* answer (the first present that is text); strategies return
``{answer = ..., ...}`` by convention."""


def _result(result: Any) -> RenderableType:
    """A completed session's result, readable: the answer as wrapped text under a rule, the
    other fields as a table (text wraps, nested values as JSON), a bare value as itself."""
    if isinstance(result, str):
        return Group(Rule("answer", align="left", style="green"), Text(result, overflow="fold"))
    if not isinstance(result, dict) or not result:
        return Group(Rule("result", align="left", style="green"), _json(result))
    key = next((k for k in ANSWER_KEYS if isinstance(result.get(k), str)), None)
    parts: list[RenderableType] = []
    if key is not None:
        parts += [Rule(key, align="left", style="green"), Text(result[key], overflow="fold")]
    rest = {k: v for k, v in result.items() if k != key}
    if rest:
        table = Table(box=box.SIMPLE_HEAD, show_header=False, expand=True, padding=(0, 1))
        table.add_column(style="bold", overflow="fold", max_width=min(20, max(map(len, rest))))
        table.add_column(overflow="fold", ratio=1)
        for name, value in rest.items():
            cell = Text(value, overflow="fold") if isinstance(value, str) else _json(value, 60)
            table.add_row(Text(str(name), overflow="fold"), cell)
        parts += [Rule("result" if key is None else "fields", align="left", style="dim"), table]
    return Group(*parts)


def _state(state: str) -> Text:
    return Text(state, style=_STATE_STYLE.get(state, ""))


def _query_panel(query: dict[str, Any], title: str) -> Panel:
    parts: list[RenderableType] = []
    if query.get("system"):
        parts.append(Text.assemble(("system: ", "bold magenta"), str(query["system"])))
    parts.append(Text(str(query.get("prompt", ""))))
    flags = [k for k in ("grounded", "underspecified") if query.get(k)]
    extra = [f"max_tokens={query.get('max_tokens')}", *flags]
    if query.get("options"):
        extra.append(f"options={json.dumps(query['options'], ensure_ascii=False)}")
    return Panel(
        Group(*parts),
        title=title,
        subtitle=escape(", ".join(extra)),
        title_align="left",
        subtitle_align="right",
        border_style="yellow",
    )


def _outcome(reply: dict[str, Any]) -> RenderableType:
    status = reply.get("status", "")
    sid = reply.get("session_id", "")
    head = Text.assemble(_state(status), "  ", (sid, "bold"))
    if status == "needs_response":
        queries = reply.get("queries") or [dict(reply, id=reply.get("query_id"))]
        panels = [_query_panel(q, f"[bold]{escape(str(q.get('id')))}[/]") for q in queries]
        if len(queries) == 1:
            hint = f"answer with: alc continue {sid} 'ANSWER'   (or - to read stdin)"
        else:
            ids = ", ".join(f'"{q.get("id")}": "..."' for q in queries)
            hint = f"answer with: alc continue {sid} --responses '{{{ids}}}'"
        return Group(head, *panels, Text(hint, style="dim"))
    if status == "accepted":
        return Group(head, Text(f"{reply.get('remaining')} answer(s) still needed to resume."))
    if status == "error":
        return Group(
            head,
            Text.assemble((f"[{reply.get('error_code')}] ", "bold red"), str(reply.get("error"))),
        )
    parts: list[RenderableType] = [head]
    if status == "completed":
        parts.append(_result(reply.get("result")))
    auto = (reply.get("stats") or {}).get("auto") or {}
    if auto:
        parts.append(
            Text(
                f"{auto.get('llm_calls', 0)} LLM calls, {auto.get('rounds', 0)} rounds, "
                f"{auto.get('elapsed_ms', 0)} ms",
                style="dim",
            )
        )
    return Group(*parts)


def _ago(epoch: Any) -> str:
    if not isinstance(epoch, int | float):
        return ""
    seconds = max(0, int(time.time() - epoch))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return f"{seconds}s ago"


def _progress(progress: Any) -> str:
    if not isinstance(progress, dict):
        return ""
    step, total, message = progress.get("step"), progress.get("total"), progress.get("message")
    text = f"{step}/{total}" if total else str(step or "")
    return f"{text} {message}".strip() if message else text


def _snapshot(reply: dict[str, Any]) -> RenderableType:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    table.add_row("session", reply.get("session_id", ""))
    table.add_row("state", _state(str(reply.get("state", ""))))
    table.add_row("strategy", Text(str(reply.get("strategy") or "(inline code)")))
    table.add_row("updated", _ago(reply.get("updated_at")))
    table.add_row("LLM calls", str(reply.get("llm_calls", 0)))
    if reply.get("progress"):
        table.add_row("progress", Text(_progress(reply["progress"])))
    parts: list[RenderableType] = [table]
    answered = set(reply.get("answered") or ())
    for query in reply.get("pending") or ():
        mark = " (answered)" if query.get("id") in answered else ""
        parts.append(_query_panel(query, f"pending {escape(str(query.get('id')))}{mark}"))
    for line in reply.get("log") or ():
        parts.append(Text(f"[{line.get('level')}] {line.get('message')}", style="dim"))
    if reply.get("outcome"):
        parts.append(_outcome(reply["outcome"]))
    return Group(*parts)


def _sessions(reply: dict[str, Any]) -> RenderableType:
    rows = reply.get("sessions") or []
    if not rows:
        return Text("No sessions. Use --all to include ended ones.", style="dim")
    with_progress = any(row.get("progress") for row in rows)
    table = Table(show_edge=False, header_style="bold")
    table.add_column("session", no_wrap=True, min_width=34)
    table.add_column("state", no_wrap=True)
    table.add_column("strategy", overflow="fold", min_width=8)
    table.add_column("calls", no_wrap=True, justify="right")
    table.add_column("pending", overflow="fold", min_width=7)
    if with_progress:
        table.add_column("progress", overflow="fold")
    table.add_column("updated", no_wrap=True)
    for row in rows:
        cells: list[RenderableType] = [
            row.get("session_id", ""),
            _state(str(row.get("state", ""))),
            Text(str(row.get("strategy") or "(code)")),
            str(row.get("llm_calls", 0)),
            Text(", ".join(str(q.get("id")) for q in row.get("pending") or ())),
        ]
        if with_progress:
            cells.append(Text(_progress(row.get("progress"))))
        cells.append(_ago(row.get("updated_at")))
        table.add_row(*cells)
    return table


def _transcript(reply: dict[str, Any]) -> RenderableType:
    parts: list[RenderableType] = [_snapshot({**reply, "pending": [], "log": [], "outcome": None})]
    if reply.get("ctx"):
        parts.append(Panel(_json(reply["ctx"]), title="ctx", title_align="left"))
    for entry in reply.get("entries") or ():
        query = entry.get("query") or {}
        parts.append(_query_panel(query, f"[bold]{escape(str(query.get('id')))}[/] prompt"))
        answer = entry.get("answer")
        parts.append(
            Panel(
                Text(answer) if answer is not None else Text("(not answered yet)", style="dim"),
                title="answer",
                title_align="left",
                border_style="green" if answer is not None else "dim",
            )
        )
    if reply.get("outcome"):
        parts.append(_outcome(reply["outcome"]))
    return Group(*parts)


def _strategies(reply: dict[str, Any]) -> RenderableType:
    rows = reply.get("strategies") or []
    if not rows:
        return Text("No strategies found. See `alc info` for the search paths.", style="dim")
    runnable = [r for r in rows if r.get("kind") != "library"]
    libraries = [r for r in rows if r.get("kind") == "library"]
    parts: list[RenderableType] = [_catalog_table("strategies (alc run NAME)", runnable)]
    if libraries:
        parts.append(_catalog_table("libraries (no M.run: required by other packages)", libraries))
    return Group(*parts)


def _catalog_table(title: str, rows: list[dict[str, Any]]) -> Table:
    """``alc strategies`` rows; ``from`` is where each comes from (builtin, user, project...)."""
    table = Table(title=title, title_justify="left", show_edge=False, header_style="bold")
    for column in ("name", "from", "category", "description", "paper"):
        table.add_column(column, overflow="fold")
    for row in rows:
        description = f"(error: {row['error']})" if row.get("error") else row.get("description", "")
        table.add_row(
            Text(str(row.get("name"))),
            Text(str(row.get("scope") or "")),
            Text(str(row.get("category") or "")),
            Text(str(description or "").split("\n")[0]),
            Text(_paper(row.get("paper"))),
        )
    return table


def _paper(paper: Any) -> str:
    if isinstance(paper, dict):
        year = f"({paper['year']})" if paper.get("year") else ""
        bits = [str(paper.get("authors") or ""), year, str(paper.get("title") or "")]
        return " ".join(b for b in bits if b)
    return str(paper or "")


def _strategy(reply: dict[str, Any]) -> RenderableType:
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column()
    for key in ("name", "version", "category", "description", "path"):
        if reply.get(key) is not None:
            head.add_row(key, Text(str(reply[key])))
    if reply.get("paper"):
        head.add_row("paper", Text(_paper(reply["paper"])))
    if reply.get("error"):
        head.add_row("error", Text(str(reply["error"]), style="red"))
    parts: list[RenderableType] = [head]
    params = reply.get("params")
    if isinstance(params, list) and all(isinstance(p, dict) and "name" in p for p in params):
        params = {str(p["name"]): p for p in params}  # the built-ins' list form, in order
    if isinstance(params, dict) and params:
        table = Table(title="parameters", title_justify="left", show_edge=False)
        for column in ("name", "type", "default", "description"):
            table.add_column(column, overflow="fold")
        for pname, spec in params.items():
            spec = spec if isinstance(spec, dict) else {"description": spec}
            default = spec.get("default")
            table.add_row(
                Text(str(pname)),
                Text(str(spec.get("type") or "")),
                Text("" if default is None else json.dumps(default, ensure_ascii=False)),
                Text(str(spec.get("description") or "")),
            )
        parts.append(table)
    elif params:
        parts.append(Panel(_json(params), title="parameters", title_align="left"))
    if reply.get("example") is not None:
        parts.append(Panel(_json(reply["example"]), title="example ctx", title_align="left"))
    return Group(*parts)


def _info(reply: dict[str, Any]) -> RenderableType:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    for key, value in reply.items():
        if isinstance(value, list):
            value = "\n".join(str(v) for v in value)
        elif isinstance(value, dict):
            value = ", ".join(f"{k}: {v}" for k, v in value.items())
        table.add_row(key, Text(str(value)))
    return table


_RENDERERS: dict[str, Callable[[dict[str, Any]], RenderableType]] = {
    "outcome": _outcome,
    "snapshot": _snapshot,
    "sessions": _sessions,
    "transcript": _transcript,
    "strategies": _strategies,
    "strategy": _strategy,
    "info": _info,
}
