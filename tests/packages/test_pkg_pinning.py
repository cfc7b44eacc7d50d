"""Pinned sources: a session started before its package was upgraded or removed replays the
code it started with (real installs, a durable store, a new engine for every call)."""

from __future__ import annotations

from pathlib import Path

import pytest

import alc
from alc.engine.errors import StrategyNotFound
from alc.engine.pkg import PackageManager


def write_version(folder: Path, version: str) -> Path:
    """Package ``pinned``: two alc.llm calls, a helper module, all marked with ``version``."""
    pkg = folder / version / "pinned"
    pkg.mkdir(parents=True)
    (pkg / "helper.lua").write_text(f"return {{ tag = function(s) return s .. '/{version}' end }}")
    (pkg / "init.lua").write_text(
        f"""local M = {{ meta = {{ name = 'pinned', version = '{version}' }} }}
function M.run(ctx)
  local h = require('pinned.helper')
  local a = alc.llm('first question of {version}')
  local b = alc.llm('second question of {version}')
  return h.tag(a .. '+' .. b)
end
return M
"""
    )
    return pkg


def test_a_session_replays_its_code_across_upgrade_and_remove(home: Path, tmp_path: Path) -> None:
    store = tmp_path / "sessions.db"
    v1, v2 = write_version(tmp_path, "v1"), write_version(tmp_path, "v2")
    PackageManager().install(str(v1))

    started = alc.Engine(store).start(strategy="pinned", ctx={})
    assert isinstance(started, alc.NeedsResponse)
    assert started.queries[0].prompt == "first question of v1"
    sid = started.session_id

    PackageManager().install(str(v2))  # upgrade: init.lua and helper.lua both change
    fresh = alc.Engine(store).start(strategy="pinned", ctx={})
    assert isinstance(fresh, alc.NeedsResponse)
    assert fresh.queries[0].prompt == "first question of v2"  # new sessions get the upgrade

    second = alc.Engine(store).feed(sid, "A")  # a new engine: restored by replay
    assert isinstance(second, alc.NeedsResponse)
    assert second.queries[0].prompt == "second question of v1"

    PackageManager().remove("pinned")
    with pytest.raises(StrategyNotFound):
        alc.Engine(store).start(strategy="pinned", ctx={})
    done = alc.Engine(store).feed(sid, "B")
    assert isinstance(done, alc.Completed) and done.result == "A+B/v1"

    # the session that started on v2 also finishes on v2 after the removal
    fin = alc.Engine(store).feed(fresh.session_id, "x")
    assert isinstance(fin, alc.NeedsResponse) and fin.queries[0].prompt == "second question of v2"
    end = alc.Engine(store).feed(fresh.session_id, "y")
    assert isinstance(end, alc.Completed) and end.result == "x+y/v2"
