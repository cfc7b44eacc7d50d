--- decompose: Decomposed Prompting.
---
--- Khot et al. (2022): a decomposer prompt breaks the task into sub-tasks, each handled by a
--- sub-task handler, and the results are combined into the answer. Here the sub-tasks are
--- independent by construction (the decomposer is asked for self-contained sub-tasks), so the
--- handlers run as one llm_batch; a merge call combines their results.
--- Round trips: 3 (decompose, solve batch, merge).
local U = require("_shared.util")

local M = {}

M.meta = {
  name = "decompose",
  version = "1.0.0",
  description = "Decomposed prompting: split the task into independent subtasks, solve them in one batch, merge",
  category = "decomposition",
  paper = {
    authors = "Khot, Trivedi, Finlayson, Fu, Richardson, Clark, Sabharwal",
    year = 2022,
    title = "Decomposed Prompting: A Modular Approach for Solving Complex Tasks",
  },
  params = {
    { name = "task", type = "string", default = nil, description = "The task (required)" },
    { name = "max_subtasks", type = "integer", default = 5, description = "Most subtasks" },
    { name = "gen_tokens", type = "integer", default = 500, description = "max_tokens of each subtask solution" },
  },
  example = { task = "Compare PostgreSQL and SQLite for a desktop app: storage, concurrency, deployment." },
  result = "answer (merged), subtasks ({subtask, result})",
}

function M.run(ctx)
  local task = U.task("decompose", ctx)
  local max_subtasks = U.pos_int("decompose", ctx, "max_subtasks", 5, 20)
  local gen_tokens = U.pos_int("decompose", ctx, "gen_tokens", 500)

  alc.progress(1, 3, "decompose")
  local plan = alc.llm(
    string.format(
      "Task: %s\n\nBreak this task into at most %d sub-tasks that can each be solved on its own "
        .. "(each one self-contained: repeat whatever context it needs). Return a JSON array of "
        .. "strings.",
      task, max_subtasks),
    { system = "You decompose problems into independent, well-scoped sub-tasks.", max_tokens = 500 })
  local subtasks = U.parse_list(plan, max_subtasks)
  if #subtasks == 0 then
    alc.log("warn", "decompose: no sub-tasks found in the decomposition; solving the task whole")
    subtasks = { task }
  end

  alc.progress(2, 3, "solve " .. #subtasks .. " subtasks")
  local results = alc.parallel(subtasks, function(sub)
    return string.format("Overall task (for context): %s\n\nSub-task: %s\n\nSolve the sub-task.", task, sub)
  end, { system = "You solve one well-scoped sub-task thoroughly.", max_tokens = gen_tokens })

  local solved = {}
  for i, sub in ipairs(subtasks) do solved[i] = { subtask = sub, result = results[i] } end

  alc.progress(3, 3, "merge")
  local answer = alc.llm(
    string.format(
      "Task: %s\n\nSub-task results:\n%s\n\nCombine these results into one coherent, complete "
        .. "answer to the task. Resolve any inconsistencies between them.",
      task, U.numbered(solved, function(s) return s.subtask .. "\n   " .. s.result end)),
    { system = "You integrate partial results into one answer.", max_tokens = 1000 })

  return U.finish(ctx, { answer = answer, subtasks = solved })
end

return M
