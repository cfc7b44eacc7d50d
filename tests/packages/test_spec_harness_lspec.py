"""The spec harness speaks mlua-lspec's additions to lust (what algocline's alc_pkg_test runs):
ordering and table-shape assertions and the ``test_doubles`` spy / stub / spy_on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alc.engine.pkg import PackageManager

PASSING = """
local describe, it, expect = lust.describe, lust.it, lust.expect
describe("lspec", function()
  it("orders", function()
    expect(10).to.be.gt(5)
    expect(10).to.be.gte(10)
    expect(3).to.be.lt(5)
    expect(3).to.be.lte(3)
    expect(3).to_not.be.gt(5)
  end)
  it("shapes", function()
    expect({ name = "x" }).to.have_key("name")
    expect({ name = "x" }).to_not.have_key("other")
    expect({ 1, 2, 3 }).to.have_length(3)
    expect("abc").to.have_length(3)
  end)
  it("spies", function()
    local s = test_doubles.spy(function(x) return x * 2 end)
    expect(s(5)).to.equal(10)
    expect(s:call_count()).to.equal(1)
    expect(s:was_called_with(5)).to.equal(true)
    expect(s:was_called_with(6)).to.equal(false)
  end)
  it("stubs", function()
    local st = test_doubles.stub()
    st:returns(42, "x")
    local a, b = st("ignored")
    expect(a).to.equal(42)
    expect(b).to.equal("x")
    expect(st:was_called_with("ignored")).to.equal(true)
  end)
  it("spies on a method and reverts", function()
    local obj = { greet = function(name) return "hello " .. name end }
    local s = test_doubles.spy_on(obj, "greet")
    expect(obj.greet("world")).to.equal("hello world")
    expect(s:call_count()).to.equal(1)
    s:revert()
    expect(type(obj.greet)).to.equal("function")
  end)
end)
"""

FAILING = """
local describe, it, expect = lust.describe, lust.it, lust.expect
describe("lspec", function()
  it("gt fails", function() expect(1).to.be.gt(2) end)
  it("a string is not ordered", function() expect("a").to.be.lt(2) end)
  it("length fails", function() expect({ 1 }).to.have_length(2) end)
  it("key of a non-table", function() expect(5).to.have_key("x") end)
end)
"""


def _package(root: Path, spec: str) -> Path:
    folder = root / "lspec_pkg"
    (folder / "spec").mkdir(parents=True)
    (folder / "init.lua").write_text("return { meta = { name = 'lspec_pkg' } }")
    (folder / "spec" / "lspec_pkg_spec.lua").write_text(spec)
    return folder


def _only_file(report: dict[str, Any]) -> dict[str, Any]:
    (result,) = report["files"]
    return dict(result)


def test_mlua_lspec_assertions_and_doubles_pass(manager: PackageManager, tmp_path: Path) -> None:
    result = _only_file(manager.test(str(_package(tmp_path, PASSING))))
    assert result["ok"] and result["passed"] == 5, result


def test_failed_assertions_name_the_values(manager: PackageManager, tmp_path: Path) -> None:
    result = _only_file(manager.test(str(_package(tmp_path, FAILING))))
    assert result["failed"] == 4 and result["passed"] == 0
    errors = [f["error"] for f in result["failures"]]
    assert "expected 1 to be greater than 2" in errors[0]
    assert "two numbers" in errors[1]
    assert "to have length 2" in errors[2]
    assert "to be a table" in errors[3]


MOCKS = """
local describe, it, expect = lust.describe, lust.it, lust.expect
describe("mocks", function()
  it("with_alc swaps for the body and restores", function()
    local original = alc.llm
    alc.flag = false
    local swaps = { llm = function(p) return "mocked " .. p end, extra = 1, flag = true }
    local got = with_alc(swaps, function()
      expect(alc.extra).to.equal(1)
      expect(alc.flag).to.equal(true)
      return alc.llm("q")
    end)
    expect(got).to.equal("mocked q")
    expect(alc.llm).to.be(original)
    expect(alc.extra).to_not.exist()
    expect(alc.flag).to.equal(false)
  end)
  it("with_alc restores when the body fails", function()
    local original = alc.llm
    local ok, err = pcall(with_alc, { llm = function() return "x" end }, function()
      error("boom", 0)
    end)
    expect(ok).to.equal(false)
    expect(err).to.equal("boom")
    expect(alc.llm).to.be(original)
  end)
  it("alc_mock installs until restored, nested", function()
    local original = alc.llm
    alc_mock.install({ llm = function() return "one" end })
    alc_mock.install({ llm = function() return "two" end })
    expect(alc.llm("q")).to.equal("two")
    alc_mock.restore()
    expect(alc.llm("q")).to.equal("one")
    alc_mock.restore_all()
    expect(alc.llm).to.be(original)
    alc_mock.restore()
  end)
  it("alc.spy records calls through to the implementation", function()
    local spy = alc.spy("llm", function(p) return "seen " .. p end)
    expect(alc.llm("a")).to.equal("seen a")
    alc.llm("b")
    expect(spy.call_count).to.equal(2)
    expect(spy.calls[2].args[1]).to.equal("b")
    spy:reset()
    expect(spy.call_count).to.equal(0)
    alc_mock.restore()
    expect(alc.llm("real")).to.be.a("string")
  end)
end)
"""


def test_algoclines_alc_mocks(manager: PackageManager, tmp_path: Path) -> None:
    folder = _package(tmp_path, MOCKS)
    report = manager.test(str(folder), answers=["the model"])
    result = _only_file(report)
    assert result["ok"] and result["passed"] == 4, result
    assert result["pauses"] == 1  # only the last alc.llm (after restore) reached the model
