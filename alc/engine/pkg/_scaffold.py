"""``alc pkg scaffold NAME``: a new package that runs, lists and passes its own spec file."""

from __future__ import annotations

from pathlib import Path

from alc.engine.errors import InstallFailed, InvalidInput
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
  description = "{description}",
  category = "{category}",
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


def _lua_text(value: str, what: str) -> str:
    """``value`` as the body of a Lua ``"..."`` string (``\\`` and ``"`` escaped).

    Raises:
        InvalidInput: a control character, or more than 400 characters.
    """
    if len(value) > 400 or any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise InvalidInput(f"{what} must be one line of at most 400 characters.")
    return value.replace("\\", "\\\\").replace('"', '\\"')


def scaffold(
    name: str,
    directory: Path,
    *,
    category: str = "reasoning",
    description: str = "Answers ctx.task with one step-by-step alc.llm call",
) -> Path:
    """Create ``directory / name`` with ``init.lua`` (``M.meta`` holding ``category`` and
    ``description``) and ``spec/<name>_spec.lua``.

    Returns the new package folder.

    Raises:
        InstallFailed: an invalid name, or the folder already exists (nothing is overwritten).
        InvalidInput: ``category`` or ``description`` is not one line of at most 400 characters.
    """
    meta = {
        "category": _lua_text(category, "category"),
        "description": _lua_text(description, "description"),
    }
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
        (folder / "init.lua").write_text(_INIT.format(name=name, **meta), encoding="utf-8")
        spec = folder / "spec" / f"{name}_spec.lua"
        spec.write_text(_SPEC.format(name=name), encoding="utf-8")
        try:
            folder.rename(target)
        except OSError as exc:
            raise InstallFailed(f"Cannot create {target}: {exc}.") from None
    return target
