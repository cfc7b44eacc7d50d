"""strategies, info, --help, and the ways to launch the CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from cli_result import Alc


def test_strategies_lists_the_user_package(alc: Alc) -> None:
    result = alc("strategies")
    assert result.code == 0
    found = {s["name"]: s for s in result.json["strategies"]}
    echo = found["echo2"]
    assert echo["category"] == "test"
    assert echo["builtin"] is False
    assert echo["paper"]["year"] == 2024


def test_strategy_detail(alc: Alc) -> None:
    detail = alc("strategies", "echo2").json
    assert detail["params"]["n"]["default"] == 2
    assert detail["example"] == {"task": "hello"}
    pretty = alc("strategies", "echo2", "--pretty")
    assert "Doe et al. (2024) Echoes" in pretty.stdout
    assert "what to ask" in pretty.stdout
    listing = alc("strategies", "--pretty")
    assert "echo2" in listing.stdout and "Second line" not in listing.stdout
    missing = alc("strategies", "nope")
    assert missing.code == 2 and missing.json["error_code"] == "strategy_not_found"


def test_builtin_strategy_parameters_render_as_a_table(alc: Alc) -> None:
    detail = alc("strategies", "sc").json
    assert [p["name"] for p in detail["params"]][:2] == ["task", "n"]
    pretty = alc("strategies", "sc", "--pretty").stdout
    assert "parameters" in pretty and "Number of sampled reasoning paths" in pretty
    assert '"name"' not in pretty  # a table, not a JSON dump


def test_info(alc: Alc, home: Path) -> None:
    info = alc("info").json
    assert info["store"] == str(home / "sessions.db")
    assert info["alc_home"] == str(home)
    assert str((home / "packages").resolve()) in info["package_paths"]
    assert info["lua_version"].startswith("Lua 5.")
    assert "version" in info


def test_help_documents_exit_codes(alc: Alc) -> None:
    for args in (["--help"], ["run", "--help"], ["continue", "--help"]):
        result = alc(*args)
        assert result.code == 0
        text = " ".join(result.stdout.split())
        assert "Exit codes" in text and "130" in text


def test_python_m_alc_cli_and_console_script(home: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALC_")}
    env["ALC_HOME"] = str(home)
    commands = [[sys.executable, "-m", "alc.cli", "info"]]
    script = Path(sys.executable).with_name("alc")
    if script.exists() or shutil.which("alc"):
        commands.append([str(script) if script.exists() else "alc", "info"])
    for command in commands:
        proc = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
        assert proc.returncode == 0, proc.stderr
        assert '"store":' in proc.stdout
