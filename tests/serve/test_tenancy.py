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
from alc.engine.tenancy import check_scope_name, current_tenant, tenant_scope
from alc.eval._records import RunRecords

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
        made = reply(
            await a.call_tool(
                "alc_run", {"code": "return alc.card.create({pkg = {name = 'p'}}).card_id"}
            )
        )["result"]
        assert reply(await b.call_tool("alc_cards", {"action": "list"}))["cards"] == []
        missing = await b.call_tool("alc_cards", {"action": "get", "card_id": made})
        assert missing.is_error and reply(missing)["error_code"] == "card_not_found"
        listed = reply(await a.call_tool("alc_cards", {"action": "list"}))["cards"]
        assert [c["card_id"] for c in listed] == [made]
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
        assert engine.sessions() == [] and engine.active() == []
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
        state = engine.store
        assert state.state_get("default", "runs", tenant="acme") == "2"
        assert state.state_get("default", "runs", tenant="globex") == "1"
        assert state.state_get("default", "runs") == "1"
        # the tenant is a column, not a prefix: nothing was written under "<tenant>/<ns>"
        assert state.state_keys("acme/default") == [] and state.state_keys("globex/default") == []
    finally:
        engine.close()
        engine.store.close()


HOSTILE_NAMES = ("org/x", "org", "../", "..", "./org/x", "x" * 200, "租户/𝔘nicode", "a b")
"""Tenant names and namespaces a hostile client may choose: all valid, none collides."""


def test_no_choice_of_tenant_and_namespace_reaches_another_tenant(store: str) -> None:
    """Tenant ``org`` with ``ctx._ns = "x/default"`` used to be tenant ``org/x``'s
    ``default``; now every (tenant, namespace) pair is its own, for state and cards."""
    engine = alc.Engine(store)
    put = (
        "alc.state.set('secret', ctx.who) "
        "local c = alc.card.create({pkg = {name = 'p'}, who = ctx.who}) "
        "alc.card.alias_set('best', c.card_id) return c.card_id"
    )
    spy = (
        "return { own = alc.state.keys(), secret = alc.state.get('secret'),"
        " named = alc.state.list(ctx.peek), cards = #alc.card.list(),"
        " alias = alc.card.get_by_alias('best') }"
    )
    try:
        written = {}
        for tenant in HOSTILE_NAMES:
            with tenant_scope(tenant):
                out = engine.start(code=put, ctx={"who": tenant})
                assert out.status == "completed", out
                written[tenant] = out.result  # type: ignore[union-attr]
        for tenant in HOSTILE_NAMES:
            with tenant_scope(tenant):
                for ns, peek in (("x/default", "default"), ("../default", "x/default")):
                    seen = engine.start(code=spy, ctx={"_ns": ns, "who": tenant, "peek": peek})
                    assert seen.status == "completed", seen
                    # another namespace of the tenant's own: empty; its "default" is its own
                    assert seen.result["own"] == [] and "secret" not in seen.result  # type: ignore[union-attr]
                    assert seen.result["named"] == (["secret"] if peek == "default" else [])  # type: ignore[union-attr]
                    assert seen.result["cards"] == 1  # type: ignore[union-attr]
                    assert seen.result["alias"]["who"] == tenant  # type: ignore[union-attr]
                assert [c["card_id"] for c in engine.cards.list()] == [written[tenant]]
        for tenant in HOSTILE_NAMES:
            assert engine.store.state_get("default", "secret", tenant=tenant) == f'"{tenant}"'
        # without tenancy: its own scope, none of the tenants'
        assert engine.store.state_keys("default") == [] and engine.cards.list() == []
    finally:
        engine.close()
        engine.store.close()


@pytest.mark.parametrize("ns", ["", " x", "x\n", "\x1e", "x" * 201, 7, ["a"], {"a": 1}], ids=repr)
def test_a_bad_namespace_is_invalid_input(ns: object) -> None:
    engine = alc.Engine()
    with pytest.raises(InvalidInput, match="namespace"):
        engine.start(code="return 1", ctx={"_ns": ns})
    out = engine.start(
        code="local ok, e = pcall(alc.state.list, ctx.ns) return {ok = ok, e = tostring(e)}",
        ctx={"ns": ns if isinstance(ns, str) else "x\n"},
    )
    assert out.result["ok"] is False and "namespace" in out.result["e"]  # type: ignore[union-attr]


def test_a_tenant_name_and_a_namespace_pass_one_validator() -> None:
    for bad in ("", " acme", "a\nb", "x" * 201, "\ud800", "a\x1eb"):
        with pytest.raises(InvalidInput):
            check_scope_name(bad, "namespace")
        with pytest.raises(InvalidInput), tenant_scope(bad):
            pass
    for good in HOSTILE_NAMES:
        assert check_scope_name(good, "namespace") == good
        with tenant_scope(good):
            assert current_tenant() == good


def test_eval_runs_are_the_tenants_own(store: str) -> None:
    engine = alc.Engine(store)
    try:
        with tenant_scope("org"):
            mine = RunRecords(engine.store)
            mine.save_run({"run_id": "ev-000000000001", "status": "done"})
            card = mine.write_card({"pkg": {"name": "s"}, "stats": {"n": 1}}, [{"ok": True}])
        with tenant_scope("org/x"):
            theirs = RunRecords(engine.store)
            assert theirs.run_ids() == []
            with pytest.raises(InvalidInput):
                theirs.run("ev-000000000001")
            with pytest.raises(InvalidInput):
                theirs.card(card)
            assert engine.cards.list() == []
        assert RunRecords(engine.store).run_ids() == []  # no tenancy: none of the tenants'
        again = RunRecords(engine.store, tenant="org")
        assert again.run_ids() == ["ev-000000000001"] and again.samples(card) == [{"ok": True}]
    finally:
        engine.close()
        engine.store.close()


HOSTILE_TOKEN = "tok-h-" + "4" * 32
VICTIM_TOKEN = "tok-v-" + "5" * 32


async def test_two_tenants_named_to_collide_stay_apart_over_alc_serve(
    store: str, tmp_path: Path
) -> None:
    """``alc serve`` (SQLite and PostgreSQL) with two tokens: tenant ``org/x`` keeps state
    and cards; tenant ``org`` (hostile) aims at them with ``ctx._ns = "x/default"`` and named
    namespaces, and fills its own state past the quota: it sees nothing of ``org/x``'s, gets
    ``state_quota_exceeded``, and ``org/x`` is unaffected."""
    replica = Replica(
        store,
        tmp_path / "home",
        env={
            "ALC_TOKENS": json.dumps({HOSTILE_TOKEN: "org", VICTIM_TOKEN: "org/x"}),
            "ALC_STATE_NS_MAX_KEYS": "20",
        },
    )
    try:
        async with client(replica.url, VICTIM_TOKEN) as v, client(replica.url, HOSTILE_TOKEN) as h:
            kept = reply(
                await v.call_tool(
                    "alc_run",
                    {"code": "alc.state.set('secret', 'victim') "
                     "return alc.card.create({pkg = {name = 'p'}, who = 'victim'}).card_id"},
                )
            )  # fmt: skip
            assert kept["status"] == "completed", kept
            spy = (
                "return {own = alc.state.keys(), named = alc.state.list('x/default'),"
                " shown = select(2, pcall(alc.state.show, 'x/default', 'secret')),"
                " cards = #alc.card.list()}"
            )
            for ns in ("x/default", "default", "../org/x/default"):
                seen = reply(await h.call_tool("alc_run", {"code": spy, "ctx": {"_ns": ns}}))
                assert seen["status"] == "completed", seen
                assert seen["result"]["cards"] == 0 and "victim" not in json.dumps(seen)
            listed = reply(await h.call_tool("alc_cards", {"action": "list"}))
            assert listed["cards"] == []
            got = await h.call_tool("alc_cards", {"action": "get", "card_id": kept["result"]})
            assert got.is_error and reply(got)["error_code"] == "card_not_found"
            fill = "local n = 0 while true do alc.state.set('k' .. n, n) n = n + 1 end"
            hog = reply(await h.call_tool("alc_run", {"code": fill}))
            assert hog["status"] == "error" and hog["error_code"] == "state_quota_exceeded", hog
            after = reply(
                await v.call_tool(
                    "alc_run",
                    {"code": "alc.state.set('more', 1) return {alc.state.get('secret'), "
                     "#alc.state.keys(), #alc.card.list()}"},
                )
            )  # fmt: skip
            assert after["result"] == ["victim", 2, 1], after
    finally:
        replica.stop()
