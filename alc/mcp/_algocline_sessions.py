"""algocline's session, log, project, pool and v2 tools, and its MCP prompts, completions and
resource templates (the ``algocline`` profile; see :mod:`alc.mcp._algocline` and
docs/compatibility.md for each tool's mapping).

The tools register themselves in :data:`~alc.mcp._tools.TABLE` when this module is imported;
:func:`install` adds the prompts, completions and resource templates to one server (only for
the ``algocline`` profile, so ``alc mcp``'s default surface is unchanged). Each handler
translates algocline's arguments and makes engine calls; the logs, notes and statistics are
composed by :mod:`alc._session_log`, the project files by :mod:`alc.engine.pkg`.
"""

from __future__ import annotations

import functools
import json
import os
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError
from mcp_types import (
    CallToolResult,
    Completion,
    CompletionArgument,
    CompletionContext,
    PromptReference,
    ResourceTemplateReference,
    TextContent,
)

from alc import _session_log as logs
from alc._feed import ResponseItem
from alc._requests_sessions import (
    LogViewRequest,
    NoteRequest,
    PoolRequest,
    ProjectRequest,
    SessionNewRequest,
    StatsRequest,
    V2CancelRequest,
    V2ResumeRequest,
    V2RunRequest,
    V2StateRequest,
)
from alc.engine.errors import AlcError, InvalidInput, SessionFinished
from alc.engine.pkg.project_init import init_project, migrate_project
from alc.engine.protocol import dumps
from alc.mcp._algocline import ALGOCLINE_PROFILE
from alc.mcp._hosts import json_argument, summary_v2
from alc.mcp._progress import progress_relay
from alc.mcp._tools import LOOP, TABLE, Wording

if TYPE_CHECKING:
    from alc._api import AsyncEngine, Engine


class AlcMCP(Protocol):
    """What these handlers use of the server (:class:`alc.mcp._server.AlcMCP`)."""

    engine: AsyncEngine
    server: MCPServer[Any]
    profile: str


__all__ = ["install", "pinned_root"]

_T = TypeVar("_T")


def _result(wire: dict[str, Any]) -> CallToolResult:
    return CallToolResult(
        content=[TextContent(type="text", text=dumps(wire))], structured_content=wire
    )


def _count(value: Any, name: str) -> int | None:
    """``value`` as a count (None when not given).

    Raises:
        InvalidInput: not a non-negative integer.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput(f"{name} must be a whole number >= 0, not {value!r}.")
    return value


def _text(value: Any, name: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise InvalidInput(f"{name} must be text, not {type(value).__name__}.")
    return None if value is None else str(value)


def _session_id(value: Any) -> str:
    """A session id argument.

    Raises:
        InvalidInput: not non-empty text.
    """
    if not isinstance(value, str) or not value:
        raise InvalidInput("session_id must be a session id ('s-' + 32 hex digits).")
    return value


def _folder(root: str) -> Path:
    """``root`` as an existing folder (``~`` expanded, made absolute).

    Raises:
        InvalidInput: not a folder, or not a usable path (NUL byte, too long).
    """
    try:
        path = Path(root).expanduser().resolve()
        if root.strip() and path.is_dir():
            return path
    except (OSError, ValueError, RuntimeError):
        pass
    raise InvalidInput(f"project_root {root[:200]!r} is not a folder.")


async def _blocking(app: AlcMCP, fn: Callable[..., _T], *args: Any) -> _T:
    """``fn(engine, *args)`` on a worker thread (the store calls block)."""
    engine: Engine = app.engine.blocking
    return await anyio.to_thread.run_sync(functools.partial(fn, engine, *args))


# ---------------------------------------------------------------------- session pin

_PINS: weakref.WeakKeyDictionary[AlcMCP, dict[str, Any]] = weakref.WeakKeyDictionary()
"""``alc_session_new``'s pin per server (one stdio server is one connection)."""


def pinned_root(app: AlcMCP, given: Any) -> str | None:
    """The project root a call uses: ``given``, else the one ``alc_session_new`` pinned, else
    ``ALC_PROJECT_ROOT``, else None (the server's working folder).

    Raises:
        InvalidInput: ``given`` that is not text, or not a folder.
    """
    root = _text(given, "project_root")
    if root is not None:
        return str(_folder(root))
    pin = _PINS.get(app)
    if pin is not None and pin["project_root"] is not None:
        return str(pin["project_root"])
    return os.environ.get("ALC_PROJECT_ROOT") or None


_SESSION_NEW = Wording(
    "Pin a project root for this connection",
    "Pin `project_root` (and `mode`: default | test) for this connection: later calls that "
    "take a project_root use it when they give none (a call's own project_root still wins). "
    "Calling again replaces the pin.",
    idempotent=False,
)


@TABLE.tool("alc_session_new", SessionNewRequest, _SESSION_NEW)
async def _session_new(app: AlcMCP, args: SessionNewRequest, ctx: Context) -> CallToolResult:
    mode = _text(args.mode, "mode") or "default"
    if mode not in ("default", "test"):
        raise InvalidInput(f'alc_session_new: unknown mode {mode!r} (allowed: "default" | "test").')
    root = _text(args.project_root, "project_root")
    if root is not None:
        root = str(_folder(root))
    pin = {
        "session_id": f"alc-sess-{int(time.time() * 1000)}-{os.urandom(4).hex()}",
        "project_root": root,
        "mode": mode,
    }
    _PINS[app] = pin
    return _result({**pin, "status": "ok"})


# ---------------------------------------------------------------------- logs, notes, stats

_NOTE = Wording(
    "Add a note to a session's log",
    "Add a note (`content`, optional `title`) to a session's log; alc_log_view shows it.",
)
_LOG_VIEW = Wording(
    "Session logs",
    "Without session_id: the most recent sessions (`limit`, default 50) with strategy, state, "
    "elapsed_ms, llm_calls and notes_count. With session_id: its full log (ctx, transcript of "
    "prompts and answers, stats, notes, outcome); over `max_chars` (default 100000) the "
    "oldest rounds are dropped and `truncated` says so.",
    read_only=True,
)
_STATS = Wording(
    "Usage statistics",
    "Usage across stored sessions by strategy: count, average elapsed_ms / llm_calls / "
    "rounds, prompt and response characters and tokens; `strategy` and `days` filter.",
    read_only=True,
)


_MAX_DAYS = 1_000_000
"""An ``alc_stats`` window longer than this many days counts every session."""


@TABLE.tool("alc_note", NoteRequest, _NOTE)
async def _note(app: AlcMCP, args: NoteRequest, ctx: Context) -> CallToolResult:
    title = _text(args.title, "title")
    return _result(await _blocking(app, logs.add_note, args.session_id, args.content, title))


@TABLE.tool("alc_log_view", LogViewRequest, _LOG_VIEW)
async def _log_view(app: AlcMCP, args: LogViewRequest, ctx: Context) -> CallToolResult:
    limit, max_chars = _count(args.limit, "limit"), _count(args.max_chars, "max_chars")
    if args.session_id is None:
        return _result(await _blocking(app, logs.log_list, limit))
    return _result(await _blocking(app, logs.session_log, args.session_id, max_chars))


@TABLE.tool("alc_stats", StatsRequest, _STATS)
async def _stats(app: AlcMCP, args: StatsRequest, ctx: Context) -> CallToolResult:
    strategy, days = _text(args.strategy, "strategy"), _count(args.days, "days")
    days = None if days is not None and days > _MAX_DAYS else days  # all of history
    return _result(await _blocking(app, logs.usage_stats, strategy, days))


# ---------------------------------------------------------------------- project files

_INIT = Wording(
    "Create alc.toml",
    "Create the project's alc.toml (if missing) and add alc.local.toml to .gitignore.",
    idempotent=True,
)
_UPDATE = Wording(
    "Re-resolve alc.toml into alc.lock",
    "Re-resolve every alc.toml entry (folders re-hashed, git refs re-fetched), install them "
    "into the project and rewrite alc.lock.",
)
_MIGRATE = Wording(
    "Convert a legacy alc.lock to alc.toml",
    "Write alc.toml from a legacy alc.lock (each entry's local_dir, path or source becomes a "
    "[packages] entry) and keep the old lock as alc.lock.bak; run alc_update next to write "
    "the new alc.lock.",
)


@TABLE.tool("alc_init", ProjectRequest, _INIT)
async def _init(app: AlcMCP, args: ProjectRequest, ctx: Context) -> CallToolResult:
    root = Path(pinned_root(app, args.project_root) or os.getcwd())
    return _result(await anyio.to_thread.run_sync(init_project, root))


@TABLE.tool("alc_update", ProjectRequest, _UPDATE)
async def _update(app: AlcMCP, args: ProjectRequest, ctx: Context) -> CallToolResult:
    root = pinned_root(app, args.project_root)
    done = await app.engine.package_action("install", {"update": True}, root)
    installed = done.get("installed") or []
    return _result({"resolved": len(installed), "errors": [], "alc_lock": done.get("lock"), **done})


@TABLE.tool("alc_migrate", ProjectRequest, _MIGRATE)
async def _migrate(app: AlcMCP, args: ProjectRequest, ctx: Context) -> CallToolResult:
    root = Path(pinned_root(app, args.project_root) or os.getcwd())
    return _result(await anyio.to_thread.run_sync(migrate_project, root))


# ---------------------------------------------------------------------- pool

_POOL_NOTE = (
    "alc has no per-session worker pool: every session is durable in the journal and runs on "
    "the engine's executor (inline, or a supervised pool of worker processes)."
)
_POOL_ENSURE = Wording(
    "Executor workers and live sessions",
    "The executor's worker statistics and the live (paused or running) sessions. " + _POOL_NOTE,
    idempotent=True,
)
_POOL_STATUS = Wording(
    "Executor worker status",
    "The executor's workers (live, started, lost, VMs held) and the sessions held in memory; "
    "with `sid`, that session's state too. " + _POOL_NOTE,
    idempotent=True,
)
_POOL_STOP = Wording(
    "Release idle session VMs",
    "Release every idle in-memory session VM (its worker memory); the sessions stay paused in "
    "the journal and resume by replay on their next call. With `sid`, only when that session "
    "is idle. " + _POOL_NOTE,
    destructive=True,
)


def _pool(engine: Engine) -> dict[str, Any]:
    registry = engine.registry
    executor = registry.executor
    stats = getattr(executor, "statistics", None)
    workers = stats().__dict__ if callable(stats) else {"workers": 0, "inline": True}
    return {
        "executor": type(executor).__name__,
        "workers": workers,
        "memory": registry.statistics().__dict__,
    }


@TABLE.tool("alc_pool_ensure", PoolRequest, _POOL_ENSURE)
async def _pool_ensure(app: AlcMCP, args: PoolRequest, ctx: Context) -> CallToolResult:
    pool = await _blocking(app, _pool)
    sessions = [summary_v2(s) for s in await app.engine.active()]
    return _result({**pool, "sessions": sessions, "status": "ok"})


@TABLE.tool("alc_pool_status", PoolRequest, _POOL_STATUS)
async def _pool_status(app: AlcMCP, args: PoolRequest, ctx: Context) -> CallToolResult:
    pool = await _blocking(app, _pool)
    if args.sid is not None:
        found = await app.engine.status(_session_id(args.sid))
        assert not isinstance(found, list)
        pool["session"] = summary_v2(found)
    return _result({**pool, "status": "ok"})


def _release(engine: Engine, sid: str | None) -> int:
    if sid is not None:
        engine.registry.status(sid)  # session_not_found for an unknown id
    return engine.registry.evict_idle(float("inf"))


@TABLE.tool("alc_pool_stop", PoolRequest, _POOL_STOP)
async def _pool_stop(app: AlcMCP, args: PoolRequest, ctx: Context) -> CallToolResult:
    released = await _blocking(app, _release, _text(args.sid, "sid"))
    return _result({"released": released, **await _blocking(app, _pool), "status": "ok"})


# ---------------------------------------------------------------------- v2 execution API

_V2_RUN = Wording(
    "Start a v2 execution session",
    "Start a session from Lua `code` (with `ctx`) and return {session_id, state}; "
    "alc_v2_state reads it, alc_v2_resume answers its pending queries." + LOOP,
)
_V2_STATE = Wording(
    "v2 execution state",
    "A session's execution state: `state` (running, awaiting_response, completed, failed, "
    "cancelled), its pending queries, and its outcome once ended.",
    read_only=True,
)
_V2_RESUME = Wording(
    "Resume a v2 session",
    'Answer a session: payload {"kind": "single", "query_id"?, "response", "usage"?} or '
    '{"kind": "batch", "responses": [{query_id, response, usage?}]} (or its JSON text).',
)
_V2_CANCEL = Wording(
    "Cancel a v2 session",
    "Cancel a session (idempotent: an ended session is reported as it is).",
    destructive=True,
    idempotent=True,
)


def _state(wire: dict[str, Any]) -> dict[str, Any]:
    """An outcome or snapshot wire with algocline's ``state`` name added."""
    status = wire.get("status") or wire.get("state")
    names = {"needs_response": "awaiting_response", "paused": "awaiting_response"}
    names.update(error="failed", accepted="awaiting_response")
    return {**wire, "state": names.get(str(status), status)}


@TABLE.tool("alc_v2_run", V2RunRequest, _V2_RUN)
async def _v2_run(app: AlcMCP, args: V2RunRequest, ctx: Context) -> CallToolResult:
    pinned_root(app, args.project_root)
    async with progress_relay(ctx) as on_progress:
        outcome = await app.engine.start(
            args.code, ctx=json_argument(args.ctx, "ctx"), on_progress=on_progress
        )
    return _result(_state(outcome.wire()))


@TABLE.tool("alc_v2_state", V2StateRequest, _V2_STATE)
async def _v2_state(app: AlcMCP, args: V2StateRequest, ctx: Context) -> CallToolResult:
    found = await app.engine.status(_session_id(args.session_id))
    assert not isinstance(found, list)
    return _result(_state(summary_v2(found)))


def _payload(value: Any) -> tuple[Any, Any, Any, Any]:
    """(response, query_id, responses, usage) of a ResumePayload.

    Raises:
        InvalidInput: not a single or batch payload.
    """
    payload = json_argument(value, "payload")
    if not isinstance(payload, dict):
        raise InvalidInput("payload must be an object (a single or batch ResumePayload).")
    for tag in ("Single", "Batch", "single", "batch"):  # serde's external tagging
        if set(payload) == {tag} and isinstance(payload[tag], dict):
            payload = {**payload[tag], "kind": tag.lower()}
    kind = payload.get("kind", payload.get("type"))
    if kind == "batch" or (kind is None and "responses" in payload):
        return None, None, payload.get("responses"), None
    if kind in ("single", None) and "response" in payload:
        return payload["response"], payload.get("query_id"), None, payload.get("usage")
    raise InvalidInput(
        'payload must be {"kind": "single", "response": ..., "query_id"?: ...} or '
        '{"kind": "batch", "responses": [{"query_id": ..., "response": ...}]}.'
    )


@TABLE.tool("alc_v2_resume", V2ResumeRequest, _V2_RESUME)
async def _v2_resume(app: AlcMCP, args: V2ResumeRequest, ctx: Context) -> CallToolResult:
    response, query_id, responses, usage = _payload(args.payload)
    if responses is not None and not isinstance(responses, list | dict):
        raise InvalidInput("payload.responses must be a list of {query_id, response}.")
    if isinstance(responses, list):
        for item in responses:
            ResponseItem.parse(item, "alc_v2_resume")  # one message for a bad item
    async with progress_relay(ctx) as on_progress:
        outcome = await app.engine.feed(
            args.session_id,
            response,
            query_id=query_id,
            responses=responses,
            usage=usage,
            on_progress=on_progress,
        )
    return _result(_state(outcome.wire()))


@TABLE.tool("alc_v2_cancel", V2CancelRequest, _V2_CANCEL)
async def _v2_cancel(app: AlcMCP, args: V2CancelRequest, ctx: Context) -> CallToolResult:
    reason = args.reason if args.reason is not None else {"code": "user"}
    session_id = _session_id(args.session_id)
    try:
        wire = (await app.engine.cancel(session_id)).wire()
    except SessionFinished:
        found = await app.engine.status(session_id)
        assert not isinstance(found, list)
        wire = summary_v2(found)
    return _result({**_state(wire), "reason": reason})


# ---------------------------------------------------------------------- prompts, resources

_ADVICE_PROMPT = (
    "User task: {task}\n\nUse the `alc_advice` MCP tool to choose the most appropriate "
    "installed algocline package for this task (alc_pkg_list lists them). State the chosen "
    "package and a one-sentence rationale, then run it with `alc_advice` on the task above, "
    "answering each needs_response with `alc_continue`. Summarise the result for the user."
)
_NEW_PACKAGE_PROMPT = (
    "User wants to scaffold a new algocline package named `{name}` (category hint: "
    "`{category}`).\n\nDrive `alc_pkg_scaffold` to create the initial package layout. Ask the "
    "user for any missing required fields (shape, source, dependencies) before finalising, "
    "and present the resulting `init.lua` summary for confirmation."
)
_CATEGORIES = ("aggregation", "reasoning", "selection", "generation", "eval", "planning")


def install(app: AlcMCP) -> None:
    """Add algocline's prompts, completions and resource templates to ``app``'s server (the
    ``algocline`` profile only)."""
    if app.profile != ALGOCLINE_PROFILE:
        return
    _prompts(app)
    _templates(app)
    _completions(app)


def _prompts(app: AlcMCP) -> None:
    server = app.server

    @server.prompt("advice", title="Advice", description="Pick a strategy for a task and run it.")
    def advice(task: str) -> str:
        return _ADVICE_PROMPT.format(task=task)

    @server.prompt(
        "new_package", title="New Package", description="Scaffold a new package interactively."
    )
    def new_package(name: str, category: str = "") -> str:
        return _NEW_PACKAGE_PROMPT.format(name=name, category=category)


async def _read(action: Callable[[], Any]) -> str:
    """A resource's text: the JSON of ``action()``'s value; a coded error becomes a
    :class:`ResourceError` with the message."""
    try:
        value = action()
        if hasattr(value, "__await__"):
            value = await value
    except AlcError as exc:
        raise ResourceError(exc.message) from None
    if value is None:
        raise ResourceError("resource not found")
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def _templates(app: AlcMCP) -> None:
    server, engine = app.server, app.engine
    json_type = "application/json"

    @server.resource("alc://packages/{name}/init.lua", mime_type="text/x-lua")
    async def package_source(name: str) -> str:
        """Lua source (init.lua) of an installed package."""
        return await _read(lambda: engine.strategy_source(name))

    @server.resource("alc://packages/{name}/meta", mime_type=json_type)
    async def package_meta(name: str) -> str:
        """A package's metadata (description, category, parameters)."""
        return await _read(lambda: _wire(engine.describe(name)))

    @server.resource("alc://cards/{card_id}", mime_type=json_type)
    async def card(card_id: str) -> str:
        """An immutable Card."""
        return await _read(lambda: engine.cards.get(card_id))

    @server.resource("alc://cards/{card_id}/samples", mime_type=json_type)
    async def card_samples(card_id: str) -> str:
        """A Card's per-case sample rows."""
        return await _read(lambda: engine.cards.read_samples(card_id, {}))

    @server.resource("alc://scenarios/{name}", mime_type=json_type)
    async def scenario(name: str) -> str:
        """A scenario's cases and graders."""
        return await _read(lambda: _scenario(name))

    @server.resource("alc://eval/{eval_id}", mime_type=json_type)
    async def eval_result(eval_id: str) -> str:
        """An eval run's report."""
        return await _read(lambda: _blocking(app, _eval_report, eval_id))

    @server.resource("alc://logs/{session_id}", mime_type=json_type)
    async def session_log(session_id: str) -> str:
        """A session's full log (as alc_log_view with session_id)."""
        return await _read(lambda: _blocking(app, logs.session_log, session_id, None))

    @server.resource("alc://types/alc_shapes.d.lua", mime_type="text/x-lua")
    async def shapes_d_lua() -> str:
        """LuaCATS classes of the alc_shapes result shapes (generated from the installed
        alc_shapes package)."""
        text = await _blocking(app, _shapes_types)
        if text is None:
            raise ResourceError(
                "alc_shapes is not installed: install algocline's collection "
                "(alc_pkg_install) to get its result-shape types."
            )
        return text


def _shapes_types(engine: Engine) -> str | None:
    return engine.catalog.shapes_types()


async def _wire(found: Any) -> dict[str, Any]:
    info = await found
    return dict(info.wire())


def _scenario(name: str) -> dict[str, Any] | None:
    from dataclasses import asdict

    from alc.eval import builtin_scenario

    found = builtin_scenario(name)
    return None if found is None else asdict(found)


def _eval_report(engine: Engine, eval_id: str) -> dict[str, Any]:
    from alc.eval import run_report

    return run_report(engine, eval_id)


def _completions(app: AlcMCP) -> None:
    engine = app.engine

    @app.server.completion()  # type: ignore[no-untyped-call, untyped-decorator]
    async def complete(
        ref: PromptReference | ResourceTemplateReference,
        argument: CompletionArgument,
        context: CompletionContext | None,
    ) -> Completion | None:
        prefix, name = argument.value or "", argument.name
        values: list[str] = []
        if name == "category":
            values = list(_CATEGORIES)
        elif name == "name" and "scenarios" in getattr(ref, "uri", ""):
            from alc.eval import BUILTIN_SETS

            values = sorted(BUILTIN_SETS)
        elif name == "name":
            values = [s.name for s in await engine.strategies()]
        elif name == "session_id":
            values = [s.session_id for s in await engine.sessions(limit=100)]
        elif name == "card_id":
            values = [c["card_id"] for c in await engine.cards.list({"limit": 100})]
        matches = [v for v in values if v.startswith(prefix)]
        return Completion(values=matches[:100], total=len(matches), has_more=len(matches) > 100)
