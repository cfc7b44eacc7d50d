"""Issue 24, critical: nothing of the engine's own configuration is readable from Lua.

``os.getenv`` and ``alc.env`` read one allow-list (``alc.engine.host.lua_env``): ``ALC_ENV_<NAME>``
variables and the names in ``ALC_LUA_ENV_ALLOW``, never a name starting with ``ALC_``. A hostile
strategy asks for every engine setting by every route (``os.getenv`` in any letter case,
``alc.env``, a prompt, an error value) on both executors, through the Python API and the real CLI;
the secrets appear in no result, prompt, log or journal byte. The password of a store URL is
redacted wherever a store is named.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from _isolation import run_cli, store_bytes

import alc
from alc.engine.host import lua_env, lua_getenv
from alc.engine.store import redacted

TOKEN = "tok-SECRET-4b1d9e0c77aa51f2"
PASSWORD = "pw-SECRET-93c1a0d5"
STORE_URL = f"postgresql://alc:{PASSWORD}@db.internal:5432/alc"
SECRETS = (TOKEN, PASSWORD, "SECRET-home", "SECRET-granted-by-prefix")

ENGINE_SETTINGS = {
    "ALC_TOKENS": f"{TOKEN}=acme",
    "ALC_STORE": STORE_URL,
    "ALC_EXECUTOR_SECRET": TOKEN,
    "ALC_ENV_ALC_TOKENS": TOKEN,  # an operator's grant may not smuggle an ALC_ name in
    "alc_lower_secret": PASSWORD,  # environment names are case-sensitive; the rule is not
    "PGPASSWORD": PASSWORD,  # not allow-listed
    "GRANTED": "granted-value",
    "ALC_ENV_MODE": "fast",
    "ALC_LUA_ENV_ALLOW": "ALC_TOKENS, ALC_STORE,alc_lower_secret,GRANTED,ALC_ENV_ALC_TOKENS",
}
"""The environment of every test here: engine settings, listed or not, and two real grants."""

HOSTILE = """
local names = {"ALC_TOKENS", "ALC_STORE", "alc_tokens", "Alc_Store", "ALC_EXECUTOR_SECRET",
  "ALC_ENV_ALC_TOKENS", "ALC_LUA_ENV_ALLOW", "alc_lower_secret", "PGPASSWORD", "GRANTED",
  "MODE", "ALC_TOKENS\\0", "ALC_ENV_MODE"}
local seen = {}
for _, n in ipairs(names) do seen[n] = os.getenv(n) or false end
local env = {}
for k, v in pairs(alc.env) do env[k] = v end
print("log: " .. alc.json_encode(seen))
local answer = alc.llm("leak: " .. alc.json_encode({seen = seen, env = env}))
if ctx.fail then error("leak: " .. (os.getenv("ALC_TOKENS") or "nothing")) end
return {seen = seen, env = env, answer = answer}
"""

VISIBLE = {"GRANTED": "granted-value", "MODE": "fast"}
"""What the hostile strategy may see: the two grants, under their Lua names."""


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENGINE_SETTINGS.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def stored(executor: str, tmp_path: Path, settings: None) -> Iterator[alc.Engine]:
    engine = alc.Engine(store=tmp_path / "s.db", executor=executor)
    yield engine
    engine.close()


def assert_clean(data: bytes | str) -> None:
    raw = data.encode() if isinstance(data, str) else data
    for secret in SECRETS:
        assert secret.encode() not in raw, secret


# ------------------------------------------------------------------------------- the rule


def test_the_rule_grants_only_explicit_non_engine_names(settings: None) -> None:
    assert lua_env() == VISIBLE
    for name in ("ALC_TOKENS", "alc_tokens", "ALC_STORE", "ALC_LUA_ENV_ALLOW", "PGPASSWORD"):
        assert lua_getenv(name) is None
    assert lua_getenv("GRANTED") == "granted-value" and lua_getenv("MODE") == "fast"
    assert lua_env({"HOME": "/root", "ALC_HOME": "SECRET-home"}) == {}


def test_redaction_is_one_function_for_urls_and_messages() -> None:
    assert redacted(STORE_URL) == "postgresql://alc:***@db.internal:5432/alc"
    message = f"cannot connect to {STORE_URL}?sslmode=require password={PASSWORD}"
    assert_clean(redacted(message))
    assert redacted("/var/lib/alc/sessions.db") == "/var/lib/alc/sessions.db"


# ------------------------------------------------------------------------ the Python API


def test_a_hostile_strategy_sees_only_the_grants(stored: alc.Engine) -> None:
    out = stored.start(code=HOSTILE)
    assert isinstance(out, alc.NeedsResponse), out
    assert_clean(out.prompt)
    done = stored.feed(out.session_id, "fine")
    assert isinstance(done, alc.Completed), done
    seen = done.result["seen"]
    assert {k: v for k, v in seen.items() if v} == VISIBLE
    assert done.result["env"] == VISIBLE
    assert_clean(json.dumps(stored.status(out.session_id).wire()))
    assert_clean(store_bytes(Path(str(stored.store.path)).parent))  # type: ignore[attr-defined]


def test_an_error_value_carries_no_secret(stored: alc.Engine) -> None:
    out = stored.start(code=HOSTILE, ctx={"fail": True})
    assert isinstance(out, alc.NeedsResponse)
    failed = stored.feed(out.session_id, "fine")
    assert isinstance(failed, alc.Failed) and failed.error_code == "lua_error"
    assert failed.error.splitlines()[0].endswith("leak: nothing")
    assert_clean(store_bytes(Path(str(stored.store.path)).parent))  # type: ignore[attr-defined]


def test_a_replay_under_another_allow_list_serves_the_first_answers(
    stored: alc.Engine, monkeypatch: pytest.MonkeyPatch, executor: str, tmp_path: Path
) -> None:
    """The values are journaled as effects: a replica with another allow-list (or a leaked
    variable added later) rebuilds the session with the values of the first run."""
    out = stored.start(code=HOSTILE)
    assert isinstance(out, alc.NeedsResponse)
    monkeypatch.setenv("ALC_LUA_ENV_ALLOW", "PGPASSWORD")
    monkeypatch.setenv("ALC_ENV_MODE", "changed")
    other = alc.Engine(store=tmp_path / "s.db", executor=executor)
    try:
        done = other.feed(out.session_id, "fine")
    finally:
        other.close()
    assert isinstance(done, alc.Completed), done
    assert done.result["env"] == VISIBLE


def test_engine_info_redacts_the_store_password(settings: None) -> None:
    from alc.engine.catalog import engine_info

    info = engine_info(store_path=STORE_URL)
    assert info["store"] == "postgresql://alc:***@db.internal:5432/alc"


# --------------------------------------------------------------------------- the real CLI


@pytest.mark.slow
def test_cli_with_engine_settings_in_its_environment(home: Path, cli_env: dict) -> None:
    env = {**cli_env, **ENGINE_SETTINGS}
    env.pop("ALC_STORE")  # the CLI's own store must open: keep it in ALC_HOME
    run = run_cli(home, "run", "--code", HOSTILE, env=env)
    body = json.loads(run.stdout)
    assert body["status"] == "needs_response", run.stderr
    assert_clean(run.stdout + run.stderr)
    feed = run_cli(home, "continue", body["session_id"], "fine", env=env)
    done = json.loads(feed.stdout)
    assert done["status"] == "completed", feed.stderr
    assert {k: v for k, v in done["result"]["seen"].items() if v} == VISIBLE
    assert_clean(feed.stdout + feed.stderr)
    assert_clean(store_bytes(home))


@pytest.mark.slow
def test_cli_info_redacts_a_store_url(home: Path, cli_env: dict) -> None:
    run = run_cli(home, "info", env={**cli_env, "ALC_STORE": STORE_URL})
    assert run.code == 0, run.stderr
    assert json.loads(run.stdout)["store"] == "postgresql://alc:***@db.internal:5432/alc"
    assert_clean(run.stdout + run.stderr)


@pytest.mark.slow
def test_cli_unreachable_store_error_is_redacted(home: Path, cli_env: dict) -> None:
    unreachable = f"postgresql://alc:{PASSWORD}@127.0.0.1:9/alc?connect_timeout=2"
    run = run_cli(home, "run", "--code", "return 1", env={**cli_env, "ALC_STORE": unreachable})
    assert run.code != 0
    assert "store_unavailable" in run.stdout + run.stderr
    assert_clean(run.stdout + run.stderr)
