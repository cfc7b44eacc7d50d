--- direct: ask the model the task directly, once (the baseline every strategy is compared with).
---
--- No prompt engineering beyond the task itself: one alc.llm call with the task as the prompt,
--- the answer returned as is. `alc eval run` adds it as the default baseline.
local U = require("_shared.util")

local M = {}

M.meta = {
  name = "direct",
  version = "1.0.0",
  description = "Baseline: ask the model the task directly, one call, no strategy",
  category = "baseline",
  params = {
    { name = "task", type = "string", default = nil, description = "The question or task (required)" },
    { name = "max_tokens", type = "integer", default = 400, description = "max_tokens of the answer" },
    { name = "system", type = "string", default = nil, description = "Optional system prompt" },
  },
  example = { task = "What is 17 * 23?" },
  result = "answer (the model's reply)",
}

function M.run(ctx)
  local task = U.task("direct", ctx)
  local max_tokens = U.pos_int("direct", ctx, "max_tokens", 400)
  local opts = { max_tokens = max_tokens }
  if type(ctx.system) == "string" and ctx.system ~= "" then opts.system = ctx.system end
  return U.finish(ctx, { answer = alc.llm(task, opts) })
end

return M
