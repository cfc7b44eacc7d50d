"""The inspector in a real browser (Debian's Chromium via Playwright): what a person sees.

`alc ui` runs as a real subprocess over a SQLite store that the test fills through the Python
API; `alc serve` with two tenants' tokens checks that a tenant sees nothing of another's.
"""

from __future__ import annotations

import concurrent.futures
import json
import re
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _browser import start_server

import alc
from alc.engine.tenancy import tenant_scope
from alc.eval import builtin_scenario

pytestmark = pytest.mark.slow

HOSTILE_PROMPT = "<script>window.__pwned = 1</script> What is 2+2?"
HOSTILE_ANSWER = '4 </pre><img src=x onerror="window.__pwned = 2">'


@pytest.fixture()
def store(tmp_path: Path) -> Path:
    return tmp_path / "sessions.db"


@pytest.fixture()
def ui(store: Path, tmp_path: Path) -> Iterator[str]:
    env = {"ALC_STORE": str(store), "ALC_HOME": str(tmp_path / "home")}
    proc, line = start_server(["ui", "--port", "0"], env, "http://127.0.0.1:")
    url = re.search(r"http://127\.0\.0\.1:\d+/ui/", line)
    assert url is not None
    yield url.group(0)
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=20)


def fill(store: Path) -> dict[str, str]:
    """A completed session with hostile text, a failed one, a paused cot, an eval run."""
    ids = {}
    with alc.Engine(store, executor="inline") as engine:
        out = engine.start(
            code="local a = alc.llm(ctx.p, {system = 'Be <b>brief</b>.'}) "
            "alc.log('info', 'got ' .. a) alc.progress(1, 1, 'done') return {answer = a}",
            ctx={"p": HOSTILE_PROMPT},
        )
        ids["done"] = out.session_id
        engine.feed(out.session_id, HOSTILE_ANSWER)
        ids["failed"] = engine.start(code="error('strategy broke on purpose')").session_id
        ids["paused"] = engine.start(strategy="cot", task="Why is the sky blue?").session_id
        scenario = builtin_scenario("arith", 4, seed=0)
        assert scenario is not None
        answers = {c.input: f"Answer: {c.expected[0]}" for c in scenario.cases}
        run = engine.evaluate(
            "arith",
            ["cot"],
            llm=lambda q: answers.get(q.prompt, "Answer: -1"),
            n=4,
            strategy_opts={"cot": {"depth": 1}},
        )
        ids["run"] = run["run_id"]
    return ids


def test_a_person_reads_sessions_a_run_and_a_live_update(
    browser: Any, store: Path, ui: str, shots: Path
) -> None:
    # Playwright's sync API keeps an event loop on this thread; evaluate runs its own
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        ids = pool.submit(fill, store).result()
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    page.goto(ui)
    rows = page.locator("#sessions tbody tr")
    assert rows.count() >= 3
    assert page.locator(f"a[href$='{ids['paused']}']").is_visible()
    page.screenshot(path=str(shots / "sessions.png"), full_page=True)

    # filters: failed only
    page.select_option("select[name=state]", "failed")
    page.click("button[type=submit]")
    assert page.locator("#sessions tbody tr").count() == 1
    assert "lua_error" in page.inner_text("#sessions")

    # the completed session: the prompt and answer are shown as text, never run as markup
    page.goto(ui + "sessions/" + ids["done"])
    timeline = page.inner_text("#timeline")
    assert HOSTILE_PROMPT in timeline and HOSTILE_ANSWER in timeline
    assert "Be <b>brief</b>." in timeline
    assert page.locator("#timeline img").count() == 0
    assert page.evaluate("window.__pwned === undefined") and not dialogs
    assert "completed" in page.inner_text("#state")
    assert "got 4" in page.inner_text("#log")
    assert json.loads(page.inner_text("#result pre")) == {"answer": HOSTILE_ANSWER}
    page.screenshot(path=str(shots / "session-completed.png"), full_page=True)

    page.goto(ui + "sessions/" + ids["failed"])
    assert "lua_error" in page.inner_text("#error") and "broke on purpose" in page.inner_text(
        "#error"
    )

    # live: the paused session's page updates itself when the session moves on
    page.goto(ui + "sessions/" + ids["paused"])
    assert page.locator("#timeline li").count() == 1
    assert ids["paused"] in page.inner_text("#continue-cmd")
    with alc.Engine(store, executor="inline") as engine:
        engine.feed(ids["paused"], "Sunlight scatters off air molecules.")
    page.locator("#timeline li").nth(1).wait_for(timeout=20_000)
    assert "Sunlight scatters off air molecules." in page.inner_text("#timeline")
    page.screenshot(path=str(shots / "session-live.png"), full_page=True)

    # the eval run: value labels on every bar, a zero bar is still drawn
    page.goto(ui + "evals")
    page.click(f"a[href$='{ids['run']}']")
    charts = page.inner_text("#chart-pass")
    assert "direct" in charts and "cot" in charts and "%" in charts
    assert page.locator("#chart-pass .bar").count() == 2
    assert page.locator("#chart-diff").is_visible()
    assert page.locator("#chart-cost").is_visible()
    page.screenshot(path=str(shots / "eval-run.png"), full_page=True)

    page.goto(ui + "cards")
    assert page.locator("#cards tbody tr").count() >= 2  # one card per strategy of the run
    page.locator("#cards tbody a").first.click()
    assert page.locator("pre").first.is_visible()
    page.close()


def test_a_tenant_sees_nothing_of_another(browser: Any, tmp_path: Path, shots: Path) -> None:
    store = tmp_path / "shared.db"
    tokens = {"token-for-acme-0123456789": "acme", "token-for-evil-0123456789": "evil"}
    (tmp_path / "tokens.json").write_text(json.dumps(tokens), encoding="utf-8")
    with alc.Engine(store, executor="inline") as engine:
        with tenant_scope("acme"):
            acme = engine.start(code="return alc.llm('acme secret plan')").session_id
        with tenant_scope("evil"):
            evil = engine.start(code="return alc.llm('evil own prompt')").session_id
    env = {
        "ALC_STORE": str(store),
        "ALC_HOME": str(tmp_path / "home"),
        "ALC_EXECUTOR": "inline",
        "ALC_TOKENS": ",".join(f"{t}={n}" for t, n in tokens.items()),
    }
    proc, line = start_server(["serve", "--port", "0"], env, "listening")
    try:
        base = json.loads(line)["url"].removesuffix("/mcp")
        page = browser.new_page()
        page.goto(base + "/ui/")  # no token: sent to the sign-in form
        assert page.url.endswith("/ui/login")
        page.fill("#token", "not-a-token-at-all-xx")
        page.click("button[type=submit]")
        assert "not valid" in page.inner_text("#login-error")
        page.fill("#token", "token-for-evil-0123456789")
        page.click("button[type=submit]")
        listing = page.inner_text("main")
        assert evil in listing and acme not in listing
        page.goto(base + "/ui/sessions/" + acme)
        assert "session_not_found" in page.inner_text("#problem")
        assert "acme secret plan" not in page.content()
        page.screenshot(path=str(shots / "tenant-isolation.png"))
        page.goto(base + "/ui/sessions/" + evil)
        assert "evil own prompt" in page.inner_text("#timeline")
        page.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
