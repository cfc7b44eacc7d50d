--- cot: iterative chain-of-thought, then synthesis.
---
--- Wei et al. (2022) showed that eliciting intermediate reasoning steps before the answer
--- improves multi-step reasoning. This strategy makes the chain explicit: `depth` sequential
--- calls each add one reasoning step on top of the chain so far, then one call synthesises the
--- chain into the final answer. Steps depend on each other, so nothing can be batched:
--- depth + 1 round trips (4 by default).
local U = require("_shared.util")

local M = {}

M.meta = {
  name = "cot",
  version = "1.0.0",
  description = "Iterative chain-of-thought: build a reasoning chain step by step, then synthesise the answer",
  category = "reasoning",
  paper = {
    authors = "Wei, Wang, Schuurmans, Bosma, Ichter, Xia, Chi, Le, Zhou",
    year = 2022,
    title = "Chain-of-Thought Prompting Elicits Reasoning in Large Language Models",
  },
  params = {
    { name = "task", type = "string", default = nil, description = "The question or task (required)" },
    { name = "depth", type = "integer", default = 3, description = "Number of reasoning steps before the synthesis" },
    { name = "step_tokens", type = "integer", default = 300, description = "max_tokens of each reasoning step" },
    { name = "answer_tokens", type = "integer", default = 800, description = "max_tokens of the synthesis" },
  },
  example = { task = "A bat and a ball cost $1.10 in total. The bat costs $1.00 more than the ball. How much does the ball cost?" },
  result = "answer (synthesis), final (extracted short answer), chain (list of steps)",
}

local SYSTEM = "You reason carefully, one step at a time. Each step states one new inference and why it follows."

function M.run(ctx)
  local task = U.task("cot", ctx)
  local depth = U.pos_int("cot", ctx, "depth", 3, 50)
  local step_tokens = U.pos_int("cot", ctx, "step_tokens", 300)
  local answer_tokens = U.pos_int("cot", ctx, "answer_tokens", 800)

  local chain = {}
  for i = 1, depth do
    alc.progress(i, depth + 1, "reasoning step " .. i)
    local prompt
    if i == 1 then
      prompt = string.format(
        "Task: %s\n\nLet's think step by step. Write only the first reasoning step (1-3 sentences).",
        task)
    else
      prompt = string.format(
        "Task: %s\n\nReasoning so far:\n%s\n\nWrite only the next reasoning step (1-3 sentences). "
          .. "Build on the steps above; do not repeat them.",
        task, U.numbered(chain, nil, "Step %d: %s"))
    end
    chain[i] = U.trim(alc.llm(prompt, { system = SYSTEM, max_tokens = step_tokens }))
  end

  alc.progress(depth + 1, depth + 1, "synthesis")
  local answer = alc.llm(
    string.format(
      "Task: %s\n\nReasoning chain:\n%s\n\nUsing this reasoning, give the complete answer to the task. "
        .. "End with a line 'Answer: <final answer>'.",
      task, U.numbered(chain, nil, "Step %d: %s")),
    { system = "You turn a chain of reasoning into a clear, correct answer.", max_tokens = answer_tokens })

  return U.finish(ctx, {
    answer = answer,
    final = U.final_answer(answer),
    chain = chain,
  })
end

return M
