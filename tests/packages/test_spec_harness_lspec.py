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
