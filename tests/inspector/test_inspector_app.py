"""The inspector app without a browser: host checks, the sign-in gate, escaping, not-found pages."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

import alc
from alc.engine.tenancy import tenant_scope
from alc.inspector import COOKIE, inspector_app


@pytest.fixture()
def engine() -> Iterator[alc.AsyncEngine]:
    yield alc.AsyncEngine(executor="inline")


def _client(engine: alc.AsyncEngine, **kwargs: object) -> TestClient:
    app = Starlette(routes=[Mount("/ui", inspector_app(engine, **kwargs))])  # type: ignore[arg-type]
    return TestClient(app, base_url="http://127.0.0.1", follow_redirects=False)


def test_without_tokens_only_a_loopback_host_is_answered(engine: alc.AsyncEngine) -> None:
    client = _client(engine)
    assert client.get("/ui/").status_code == 200
    assert client.get("/ui/", headers={"host": "localhost:8766"}).status_code == 200
    # a page of another site reaching 127.0.0.1 through its own DNS name (rebinding)
    assert client.get("/ui/", headers={"host": "evil.example"}).status_code == 400


def test_hostile_text_is_escaped_and_headers_forbid_scripts(engine: alc.AsyncEngine) -> None:
    sync = engine.blocking
    out = sync.start(code="return alc.llm(ctx.p)", ctx={"p": "<script>alert(1)</script>"})
    page = _client(engine).get(f"/ui/sessions/{out.session_id}")
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp


def test_unknown_and_malformed_ids_are_coded_pages(engine: alc.AsyncEngine) -> None:
    client = _client(engine)
    missing = client.get("/ui/sessions/s-" + "0" * 32)
    assert missing.status_code == 404 and "session_not_found" in missing.text
    bad = client.get("/ui/sessions/..%2f..%2fetc")
    assert bad.status_code in (400, 404)
    assert client.get("/ui/cards/no-such-card").status_code == 404


def test_with_tokens_a_browser_signs_in_and_sees_only_its_tenant(engine: alc.AsyncEngine) -> None:
    tokens = {"tok-acme-0123456789": "acme", "tok-evil-0123456789": "evil"}

    async def authenticate(token: str) -> str | None:
        return tokens.get(token)

    sync = engine.blocking
    with tenant_scope("acme"):
        acme = sync.start(code="return alc.llm('acme plan')").session_id
    client = _client(engine, authenticate=authenticate)
    assert client.get("/ui/").headers["location"] == "/ui/login"
    assert client.get(f"/ui/sessions/{acme}/events").status_code == 303
    refused = client.post("/ui/login", data={"token": "nope"})
    assert refused.status_code == 401
    signed = client.post("/ui/login", data={"token": "tok-evil-0123456789"})
    assert signed.status_code == 303
    cookie = signed.headers["set-cookie"]
    assert COOKIE in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert acme not in client.get("/ui/").text
    assert client.get(f"/ui/sessions/{acme}").status_code == 404
    client.cookies.clear()
    client.post("/ui/login", data={"token": "tok-acme-0123456789"})
    assert "acme plan" in client.get(f"/ui/sessions/{acme}").text


def test_fork_children_are_shown_as_a_tree(engine: alc.AsyncEngine) -> None:
    out = engine.blocking.start(code="return alc.fork({'cot', 'direct'}, {task = '2+2?'})")
    page = _client(engine).get(f"/ui/sessions/{out.session_id}").text
    assert 'id="forks"' in page
    assert "child 0: <b>cot</b>" in page and "child 1: <b>direct</b>" in page
    assert "fork child 1 · direct" in page  # the badge on that child's query in the timeline
    assert "asked 20" in page  # each query's time, recorded with its pause in the journal
