"""``alc pkg scaffold NAME``: a new package that runs, lists and passes its own spec file."""

from __future__ import annotations

from pathlib import Path

from alc.engine.errors import InstallFailed
from alc.engine.packages import is_module_name
from alc.engine.pkg._layout import Staging

__all__ = ["scaffold"]

_INIT = """--- {name}: answers ctx.task with one step-by-step alc.llm call.
---
--- Edit M.meta, M.spec and M.run; `alc pkg test {name}` runs spec/{name}_spec.lua.
local M = {{}}

M.meta = {{
  name = "{name}",
  version = "0.1.0",
  description = "Answers ctx.task with one step-by-step alc.llm call",
  category = "reasoning",
}}

-- What M.run takes and returns (documented for hosts and `alc strategies {name}`).
M.spec = {{
  entries = {{
    run = {{
      input = {{ task = "string: the question or task", max_tokens = "integer?: default 512" }},
      result = {{ answer = "string: the model's answer" }},
    }},
  }},
}}

function M.build_prompt(task)
  return "Think step by step, then state the final answer.\\n\\nTask: " .. task
end

function M.run(ctx)
  if type(ctx.task) ~= "string" or ctx.task == "" then
    error("{name}: ctx.task must be a non-empty string", 2)
  end
  local answer = alc.llm(M.build_prompt(ctx.task), {{ max_tokens = ctx.max_tokens or 512 }})
  return {{ answer = answer }}
end

return M
"""

_SPEC = """-- spec/{name}_spec.lua: `alc pkg test {name}` runs it (lust: describe / it / expect).
local describe, it, expect = lust.describe, lust.it, lust.expect

describe("{name}", function()
  lust.after(function() package.loaded["{name}"] = nil end)

  it("declares its meta and spec", function()
    local m = require("{name}")
    expect(m.meta.name).to.equal("{name}")
    expect(m.meta.version).to.be.a("string")
    expect(m.spec.entries.run).to.exist()
  end)

  it("puts the task into the prompt", function()
    expect(require("{name}").build_prompt("2+2?")).to.match("Task: 2%+2%?")
  end)

  it("returns the answer of alc.llm (scripted by alc pkg test)", function()
    local result = require("{name}").run({{ task = "2+2?" }})
    expect(result.answer).to.be.a("string")
  end)

  it("works with a stub alc of its own", function()
    local real, prompts = _G.alc, {{}}
    _G.alc = {{ llm = function(prompt) prompts[#prompts + 1] = prompt return "4" end }}
    local ok, result = pcall(require("{name}").run, {{ task = "2+2?" }})
    _G.alc = real
    expect(ok).to.equal(true)
    expect(result.answer).to.equal("4")
    expect(#prompts).to.equal(1)
  end)

  it("refuses a missing task", function()
    expect(function() require("{name}").run({{}}) end).to.fail()
  end)
end)
"""


def scaffold(name: str, directory: Path) -> Path:
    """Create ``directory / name`` with ``init.lua`` and ``spec/<name>_spec.lua``.

    Returns the new package folder.

    Raises:
        InstallFailed: an invalid name, or the folder already exists (nothing is overwritten).
    """
    if not is_module_name(name) or "." in name:
        raise InstallFailed(
            f"Package name {name!r} is not valid: use letters, digits, _ and - (no dots)."
        )
    target = directory / name
    if target.exists() or target.is_symlink():
        raise InstallFailed(f"{target} already exists; pick another name or folder.")
    with Staging(directory) as stage:
        folder = stage.dir / name
        (folder / "spec").mkdir(parents=True)
        (folder / "init.lua").write_text(_INIT.format(name=name), encoding="utf-8")
        spec = folder / "spec" / f"{name}_spec.lua"
        spec.write_text(_SPEC.format(name=name), encoding="utf-8")
        try:
            folder.rename(target)
        except OSError as exc:
            raise InstallFailed(f"Cannot create {target}: {exc}.") from None
    return target
