"""The async mirror is generated from the blocking API: regenerating it changes nothing."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "gen_async.py"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_async", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_async"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_regenerating_the_async_mirror_changes_nothing() -> None:
    gen = _generator()
    current = (ROOT / "alc" / "_generated_async.py").read_text(encoding="utf-8")
    assert gen.render() == current, "alc/_generated_async.py is stale: run scripts/gen_async.py"


def test_the_check_mode_agrees_in_a_real_process() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_generated_method_names_its_blocking_twin() -> None:
    import alc._generated_async as generated

    for name in generated.__all__:
        twin = getattr(generated, name)
        assert twin.__doc__ and "generated" in twin.__doc__, name
        methods = [m for m in vars(twin) if not m.startswith("_")]
        assert methods, name
        for method in methods:
            doc = getattr(twin, method).__doc__ or ""
            assert doc.startswith("See :meth:") and doc.rstrip("`.").endswith(method), (name, doc)


def test_the_blocking_api_never_loads_the_async_mirror() -> None:
    code = (
        "import sys, alc\n"
        "alc.Engine().start('return 1')\n"
        "assert 'alc._generated_async' not in sys.modules, 'loaded'\n"
        "assert alc.AsyncEngine.__name__ == 'AsyncEngine'\n"
        "assert 'alc._generated_async' in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
