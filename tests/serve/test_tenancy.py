"""Tenancy: each session belongs to the tenant whose token created it.

Through real ``alc serve`` processes (tokens from a TOML file and from ``ALC_TOKENS``) and
through the Python API (:func:`alc.engine.tenancy.tenant_scope` on a real SQLite store).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from _replicas import Replica, client, reply, wait_until

import alc
from alc.engine.errors import InvalidInput, SessionNotFound
from alc.engine.tenancy import current_tenant, tenant_scope

pytestmark = pytest.mark.anyio

TOKEN_A = "tok-a-" + "1" * 32
TOKEN_B = "tok-b-" + "2" * 32
TOKEN_C = "tok-c-" + "3" * 32


@pytest.fixture
def replica(tmp_path: Path) -> Iterator[Replica]:
    tokens = tmp_path / "tokens.toml"
    tokens.write_text(f'[tokens]\n"{TOKEN_A}" = "acme"\n"{TOKEN_B}" = "globex"\n', "utf-8")
    one = Replica(
        str(tmp_path / "sessions.db"),
        tmp_path / "home",
        "--tokens",
        str(tokens),
        env={"ALC_TOKENS": json.dumps({TOKEN_C: "initech"})},
    )
    try:
        yield one
    finally:
        one.stop()


def _not_found(result: object, sid: str) -> None:
    assert result.is_error  # type: ignore[attr-defined]
    error = reply(result)  # type: ignore[arg-type]
    assert error["error_code"] == "session_not_found", error
    # worded exactly as for an id that was never issued: nothing tells that it exists
    assert error["error"] == SessionNotFound(sid).message


async def test_no_token_or_a_wrong_token_is_401(replica: Replica) -> None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    headers = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
    async with httpx2.AsyncClient(base_url=replica.base) as http:
        for extra in ({}, {"authorization": "Bearer not-a-token-of-this-server"}):
            response = await http.post("/mcp", json=body, headers={**headers, **extra})
            assert response.status_code == 401
            assert response.json()["error"] == "invalid_token"
            assert response.headers["www-authenticate"].startswith("Bearer")
        assert (await http.get("/healthz")).status_code == 200  # probes need no token
        assert (await http.get("/readyz")).status_code == 200
    assert replica.events("listening")[0]["auth"] == "bearer"


async def test_tenant_b_cannot_read_feed_cancel_or_list_tenant_a_sessions(
    replica: Replica,
) -> None:
    async with client(replica.url, TOKEN_A) as a, client(replica.url, TOKEN_B) as b:
        started = reply(await a.call_tool("alc_run", {"code": "return alc.llm('secret of A')"}))
        sid = started["session_id"]
        chain = reply(
            await a.call_tool(
                "sequentialthinking",
                {"thought": "A thinks", "thoughtNumber": 1, "totalThoughts": 3,
                 "nextThoughtNeeded": True},
            )
        )  # fmt: skip
        for tool, args in (
            ("alc_status", {"session_id": sid}),
            ("alc_continue", {"session_id": sid, "response": "B's answer"}),
            ("alc_continue", {"session_id": sid, "query_id": "q-0", "response": "x"}),
            ("alc_cancel", {"session_id": sid}),
            ("alc_status", {"session_id": chain["session_id"]}),
        ):
            _not_found(await b.call_tool(tool, args), args["session_id"])
        thought = await b.call_tool(
            "sequentialthinking",
            {"thought": "B into A's chain", "thoughtNumber": 2, "totalThoughts": 3,
             "nextThoughtNeeded": True, "session_id": chain["session_id"]},
        )  # fmt: skip
        _not_found(thought, chain["session_id"])
        listing = reply(await b.call_tool("alc_status", {}))
        assert listing["sessions"] == []
        cards = await b.call_tool("alc_cards", {"action": "list"})
        assert cards.is_error and "not separated by tenant" in reply(cards)["error"]
        # B's own default chain is B's, not A's
        own = reply(
            await b.call_tool(
                "sequentialthinking",
                {"thought": "B thinks", "thoughtNumber": 1, "totalThoughts": 1,
                 "nextThoughtNeeded": False},
            )
        )  # fmt: skip
        assert own["session_id"] != chain["session_id"]
        # A still owns and moves its session: nothing of B's reached it
        mine = reply(await a.call_tool("alc_status", {}))
        assert sid in {s["session_id"] for s in mine["sessions"]}
        assert own["session_id"] not in {s["session_id"] for s in mine["sessions"]}
        done = reply(await a.call_tool("alc_continue", {"session_id": sid, "response": "A"}))
        assert done["status"] == "completed" and done["result"] == "A"
    async with client(replica.url, TOKEN_C) as c:  # the ALC_TOKENS tenant
        assert reply(await c.call_tool("alc_status", {}))["sessions"] == []
        r = reply(await c.call_tool("alc_run", {"code": "return 7"}))
        assert r["status"] == "completed"

    def tenants() -> set[str]:
        return {e["tenant"] for e in replica.events("request") if e["path"] == "/mcp"}

    wait_until(lambda: "initech" in tenants())  # the log is read from a pipe
    assert tenants() == {"acme", "globex", "initech"}


def test_tenant_scope_through_the_python_api(store: str) -> None:
    engine = alc.Engine(store)
    with tenant_scope("acme"):
        assert current_tenant() == "acme"
        mine = engine.start(code="return alc.llm('a')").session_id
    assert current_tenant() is None
    with tenant_scope("globex"):
        for call in (
            lambda: engine.status(mine),
            lambda: engine.feed(mine, "x"),
            lambda: engine.cancel(mine),
            lambda: engine.transcript(mine),
            lambda: engine.pending(mine),
        ):
            with pytest.raises(SessionNotFound):
                call()
        assert engine.delete(mine) is False
        assert engine.sessions() == [] and engine.status() == []
    with tenant_scope("acme"):
        assert [s.session_id for s in engine.sessions()] == [mine]
        assert engine.feed(mine, "ok").result == "ok"  # type: ignore[union-attr]
    # without a tenant (embedded, single user) every session is visible
    assert engine.status(mine).state == "completed"  # type: ignore[union-attr]
    assert engine.store.summary(mine).tenant == "acme"
    engine.store.close()
    reopened = alc.Engine(store)  # the owner is durable
    try:
        with tenant_scope("globex"), pytest.raises(SessionNotFound):
            reopened.status(mine)
    finally:
        reopened.store.close()


def test_a_tenant_name_is_checked() -> None:
    for bad in ("", " acme", "a\nb", "x" * 201):
        with pytest.raises(InvalidInput), tenant_scope(bad):
            pass


SIGNED_VERIFIER = '''
import hashlib
import hmac
import os

from mcp.server.auth.provider import AccessToken


class SignedTokens:
    """Tokens "<tenant>.<HMAC-SHA256 of tenant>", the tenant as the token's subject (the way an
    OAuth verifier reports the resource owner)."""

    def __init__(self) -> None:
        self.secret = os.environ["SIGNED_TOKENS_SECRET"].encode()

    async def verify_token(self, token: str) -> AccessToken | None:
        tenant, _, signature = token.rpartition(".")
        good = hmac.new(self.secret, tenant.encode(), hashlib.sha256).hexdigest()
        if not tenant or not hmac.compare_digest(signature, good):
            return None
        return AccessToken(token=token, client_id="oauth-client", subject=tenant, scopes=[])
'''


def _signed(tenant: str, secret: str) -> str:
    import hashlib
    import hmac

    return tenant + "." + hmac.new(secret.encode(), tenant.encode(), hashlib.sha256).hexdigest()


async def test_a_verifier_of_your_own_plugs_in(tmp_path: Path) -> None:
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "signed_tokens.py").write_text(SIGNED_VERIFIER, "utf-8")
    secret = "s3cret-" + "9" * 20
    replica = Replica(
        str(tmp_path / "s.db"),
        tmp_path / "home",
        "--verifier",
        "signed_tokens:SignedTokens",
        env={"PYTHONPATH": str(tmp_path / "plugins"), "SIGNED_TOKENS_SECRET": secret},
    )
    try:
        async with client(replica.url, _signed("umbrella", secret)) as u:
            sid = reply(await u.call_tool("alc_run", {"code": "return alc.llm('u?')"}))[
                "session_id"
            ]
        async with client(replica.url, _signed("wayne", secret)) as w:
            _not_found(await w.call_tool("alc_status", {"session_id": sid}), sid)
        async with httpx2.AsyncClient(base_url=replica.base) as http:
            forged = await http.post(
                "/mcp",
                json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                headers={
                    "authorization": "Bearer umbrella.0000",
                    "accept": "application/json, text/event-stream",
                },
            )
            assert forged.status_code == 401
    finally:
        replica.stop()
    wait_until(lambda: any(e["tenant"] == "wayne" for e in replica.events("request")))


def test_each_tenant_has_its_own_state_namespace(store: str) -> None:
    engine = alc.Engine(store)
    code = "alc.state.incr('runs', 1) return alc.state.get('runs')"
    try:
        with tenant_scope("acme"):
            assert [engine.start(code=code).result for _ in range(2)] == [1, 2]  # type: ignore[union-attr]
        with tenant_scope("globex"):
            assert engine.start(code=code, ctx={"_ns": "default"}).result == 1  # type: ignore[union-attr]
        assert engine.start(code=code).result == 1  # type: ignore[union-attr]  (no tenant)
        assert engine.store.state_get("acme/default", "runs") == "2"
        assert engine.store.state_get("globex/default", "runs") == "1"
        assert engine.store.state_get("default", "runs") == "1"
    finally:
        engine.store.close()


def test_a_tenant_session_keeps_to_its_own_state_and_has_no_cards(store: str) -> None:
    """Named namespaces stay inside the tenant's own; cards (store-wide) are refused."""
    engine = alc.Engine(store)
    try:
        with tenant_scope("acme"):
            put = "alc.state.set('secret', 'acme-only') return alc.state.list()"
            assert engine.start(code=put).result == ["secret"]  # type: ignore[union-attr]
        with tenant_scope("globex"):
            spy = (
                "return { own = alc.state.list(), named = alc.state.list('acme/default'),"
                " plain = alc.state.list('default'),"
                " shown = select(2, pcall(alc.state.show, 'acme/default', 'secret')) }"
            )
            seen = engine.start(code=spy).result  # type: ignore[union-attr]
            assert seen["own"] == [] and seen["named"] == [] and seen["plain"] == []
            assert "acme-only" not in str(seen["shown"])
            card = engine.start(code="return alc.card.list()")
            assert card.status == "error" and "tenant" in str(card.error)  # type: ignore[union-attr]
        # without tenancy the embedded user sees every namespace
        got = engine.start(code="return alc.state.show('acme/default', 'secret')")
        assert got.result == "acme-only"  # type: ignore[union-attr]
    finally:
        engine.close()
