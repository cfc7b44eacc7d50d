"""Every ```python block of README.md runs as written, in its own interpreter and ALC_HOME.

The blocks are extracted the way ``scripts/smoke_install.py`` (CI's fresh-venv smoke) extracts
them; here they run against this checkout, there against the installed wheel.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _smoke_module() -> Any:
    path = ROOT / "scripts" / "smoke_install.py"
    spec = importlib.util.spec_from_file_location("smoke_install", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BLOCKS = _smoke_module().readme_python_blocks((ROOT / "README.md").read_text(encoding="utf-8"))


def test_the_readme_has_python_blocks() -> None:
    assert len(BLOCKS) >= 2
    assert any("asyncio.run(" in block for block in BLOCKS)


def test_block_extraction_takes_only_python_fences() -> None:
    text = "x\n```python\nprint(1)\n```\n```bash\nls\n```\n```python\nprint(2)\n```\n"
    assert _smoke_module().readme_python_blocks(text) == ["print(1)\n", "print(2)\n"]


@pytest.mark.parametrize("number", range(1, len(BLOCKS) + 1))
def test_readme_python_block_runs_as_written(number: int, tmp_path: Path) -> None:
    script = tmp_path / f"block_{number}.py"
    script.write_text(BLOCKS[number - 1], encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALC_")}
    env["ALC_HOME"] = str(tmp_path / "home")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    proc = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    # a block that promises "completed 391" in a comment prints it
    if "# completed 391" in BLOCKS[number - 1]:
        assert "completed 391" in proc.stdout, proc.stdout
