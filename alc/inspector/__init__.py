"""The session inspector: read-only pages over the engine, for people rather than programs.

:func:`inspector_app` builds a Starlette application (server-rendered Jinja2 templates, one
stylesheet and one small script shipped in the package, nothing from a CDN) with these pages,
relative to where it is mounted (``/ui`` under ``alc serve``, and under ``alc ui``):

=============================  ===============================================================
``/``                          sessions: filter by state, strategy, age; search id or text
``/sessions/<id>``             one session: its timeline (every prompt, system prompt, answer,
                               token usage), progress, log, stats and budget, the result or the
                               coded error, and the command that continues it
``/sessions/<id>/events``      server-sent events: ``update`` when the session moves, ``end``
                               once it has ended (the page swaps itself in place)
``/evals``, ``/evals/<id>``    eval runs; one run's report as bar charts (pass rate with its
                               interval, paired difference from the baseline, tokens per case)
``/cards``, ``/cards/<id>``    cards; one card with its lineage and first samples
``/login``                     where a browser exchanges a bearer token for a cookie
=============================  ===============================================================

Security: every page reads through :class:`~alc.AsyncEngine` under the request's tenant, so a
tenant sees only its own sessions, runs and cards (another tenant's id is "not found"). With
``authenticate`` given (``alc serve`` with tokens), a request needs a bearer token, in the
``Authorization`` header or in the ``alc_ui_token`` cookie that ``/login`` sets (HttpOnly,
SameSite=Strict, scoped to the mount path); without it (``alc ui``, and ``alc serve`` without
tokens, which binds to localhost only) the pages are open to whoever reaches the loopback port,
and answer only requests addressed to a loopback name (``Host`` 127.0.0.1 / localhost: a page of
another site cannot read them through DNS rebinding).
All strategy text is escaped by Jinja2's autoescaping: a prompt or answer cannot inject markup
or script. The pages only read; nothing here changes a session.
"""

from __future__ import annotations

import contextlib
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable
from importlib import resources
from typing import Any

import anyio
from jinja2 import Environment, PackageLoader, select_autoescape
from sse_starlette.sse import EventSourceResponse
from starlette.applications import Starlette
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from alc._api import AsyncEngine
from alc.engine.errors import AlcError, CardNotFound, SessionNotFound
from alc.engine.protocol import TERMINAL_STATES
from alc.engine.tenancy import current_tenant, tenant_scope
from alc.inspector import _views

__all__ = ["COOKIE", "POLL_SECONDS", "Authenticate", "inspector_app", "standalone_app"]

COOKIE = "alc_ui_token"
"""The cookie that carries a browser's bearer token."""
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")
"""The ``Host`` names the inspector answers without authentication."""
POLL_SECONDS = 0.5
"""How often the live-update stream reads a session's row (seconds)."""

Authenticate = Callable[[str], Awaitable[str | None]]
"""``token -> tenant`` (None: not a valid token)."""

_MAX_LOGIN_BYTES = 4096


def inspector_app(
    engine: AsyncEngine, *, authenticate: Authenticate | None = None, root: str = "/ui"
) -> Starlette:
    """The inspector as an ASGI app to mount at ``root`` (e.g. ``Mount("/ui", app)``).

    Args:
        engine: the engine whose store the pages read.
        authenticate: checks a bearer token and names its tenant; None serves without
            authentication (loopback only: the caller's responsibility).
        root: the mount path, used to build links.
    """
    pages = _Pages(engine, authenticate, root)
    static = resources.files("alc.inspector") / "static"
    routes = [
        Route("/", pages.sessions),
        Route("/sessions/{session_id}", pages.session),
        Route("/sessions/{session_id}/events", pages.events),
        Route("/evals", pages.evals),
        Route("/evals/{run_id}", pages.eval_run),
        Route("/cards", pages.cards),
        Route("/cards/{card_id}", pages.card),
        Route("/login", pages.login, methods=["GET", "POST"]),
        Mount("/static", StaticFiles(directory=str(static)), name="static"),
    ]
    app = Starlette(routes=routes)
    if authenticate is not None:
        return _Gate(app, authenticate, root)  # type: ignore[return-value]
    # no tokens: loopback only, and only under a loopback name, so a web page cannot read the
    # sessions through a hostile DNS name that resolves to 127.0.0.1 (DNS rebinding)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(LOOPBACK_HOSTS))
    return app


class _Pages:
    """The route handlers: each reads through the engine and renders one template."""

    def __init__(self, engine: AsyncEngine, authenticate: Authenticate | None, root: str) -> None:
        self.engine = engine
        self.authenticate = authenticate
        self.root = root
        self.env = Environment(
            loader=PackageLoader("alc.inspector", "templates"),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def page(self, name: str, request: Request, status: int = 200, **data: Any) -> HTMLResponse:
        html = self.env.get_template(name).render(
            root=self.root, tenant=request.scope.get("state", {}).get("alc_tenant"), **data
        )
        return HTMLResponse(html, status_code=status, headers=_HEADERS)

    def problem(self, request: Request, exc: AlcError, status: int) -> HTMLResponse:
        return self.page("error.html", request, status, code=exc.error_code, message=exc.message)

    async def sessions(self, request: Request) -> Response:
        q = request.query_params
        data = await _views.sessions_page(
            self.engine,
            state=q.get("state", ""),
            strategy=q.get("strategy", "")[:200],
            age=q.get("age", ""),
            q=q.get("q", "")[:500],
        )
        return self.page("sessions.html", request, nav="sessions", **data)

    async def session(self, request: Request) -> Response:
        try:
            data = await _views.session_page(self.engine, request.path_params["session_id"])
        except SessionNotFound as exc:
            return self.problem(request, exc, 404)
        except AlcError as exc:
            return self.problem(request, exc, 400)
        return self.page("session.html", request, nav="sessions", s=data)

    async def events(self, request: Request) -> Response:
        session_id = request.path_params["session_id"]
        try:
            version = await _views.session_version(self.engine, session_id)
        except AlcError as exc:
            return Response(exc.message, status_code=404, media_type="text/plain")
        engine = self.engine

        async def stream() -> AsyncIterator[dict[str, str]]:
            last = version
            while last[1] not in TERMINAL_STATES:
                await anyio.sleep(POLL_SECONDS)
                try:
                    now = await _views.session_version(engine, session_id)
                except AlcError:
                    break  # deleted meanwhile
                if now != last:
                    last = now
                    yield {"event": "update", "data": now[1]}
            yield {"event": "end", "data": last[1]}

        return EventSourceResponse(stream(), ping=15)

    async def evals(self, request: Request) -> Response:
        data = await _views.evals_page(self.engine)
        return self.page("evals.html", request, nav="evals", **data)

    async def eval_run(self, request: Request) -> Response:
        try:
            data = await _views.eval_page(self.engine, request.path_params["run_id"])
        except AlcError as exc:
            return self.problem(request, exc, 404)
        return self.page("eval.html", request, nav="evals", r=data)

    async def cards(self, request: Request) -> Response:
        data = await _views.cards_page(self.engine)
        return self.page("cards.html", request, nav="cards", **data)

    async def card(self, request: Request) -> Response:
        card_id = request.path_params["card_id"]
        try:
            data = await _views.card_page(self.engine, card_id)
        except AlcError as exc:
            return self.problem(request, exc, 400)
        if data is None:
            return self.problem(request, CardNotFound(f"No card {card_id!r}."), 404)
        return self.page("card.html", request, nav="cards", c=data)

    async def login(self, request: Request) -> Response:
        if request.method == "GET":
            return self.page("login.html", request)
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > _MAX_LOGIN_BYTES:
                return Response("Request body too large.", status_code=413)
        token = urllib.parse.parse_qs(body.decode("utf-8", "replace")).get("token", [""])[0]
        tenant = await self.authenticate(token) if self.authenticate and token else None
        if tenant is None:
            return self.page("login.html", request, 401, error="That token is not valid here.")
        response = RedirectResponse(f"{self.root}/", status_code=303)
        response.set_cookie(
            COOKIE,
            token,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path=self.root,
        )
        return response


_HEADERS = {
    # no script but our own file, no framing, no referrer leaking session ids
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "style-src-attr 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class _Gate:
    """Admit a request with a valid token (header already verified upstream, or the cookie) and
    serve it as that token's tenant; send a browser without one to ``/login``."""

    def __init__(self, app: Starlette, authenticate: Authenticate, root: str) -> None:
        self.app = app
        self.authenticate = authenticate
        self.root = root

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        relative = scope["path"][len(scope.get("root_path", "")) :]
        if scope["type"] != "http" or relative == "/login" or relative.startswith("/static/"):
            await self.app(scope, receive, send)
            return
        tenant = scope.get("state", {}).get("alc_tenant") or current_tenant()
        if tenant is None:
            request = Request(scope)
            token = request.cookies.get(COOKIE, "")
            tenant = await self.authenticate(token) if token else None
        if tenant is None:
            await RedirectResponse(f"{self.root}/login", status_code=303)(scope, receive, send)
            return
        scope.setdefault("state", {})["alc_tenant"] = tenant
        with tenant_scope(tenant):
            await self.app(scope, receive, send)


def standalone_app(engine: AsyncEngine, root: str = "/ui") -> Starlette:
    """The inspector alone (``alc ui``): mounted at ``root``, ``/`` redirects there."""

    async def home(request: Request) -> Response:
        return RedirectResponse(f"{root}/")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await engine.close()

    return Starlette(
        routes=[Route("/", home), Mount(root, inspector_app(engine, root=root))],
        lifespan=lifespan,
    )
