--- step_back: Step-Back prompting.
---
--- Zheng et al. (2023): two steps. Abstraction: ask a more generic "step-back question" about
--- the concept or principle behind the task and answer it (the paper retrieves or generates
--- the relevant principles/facts). Reasoning: solve the original task grounded in those
--- principles. Each call needs the previous one. Round trips: 3.
local U = require("_shared.util")

local M = {}

M.meta = {
  name = "step_back",
  version = "1.0.0",
  description = "Step-back prompting: ask and answer the higher-level principle question first, then reason from it",
  category = "reasoning",
  paper = {
    authors = "Zheng, Mishra, Chen, Cheng, Chi, Le, Zhou",
    year = 2023,
    title = "Take a Step Back: Evoking Reasoning via Abstraction in Large Language Models",
  },
  params = {
    { name = "task", type = "string", default = nil, description = "The question (required)" },
    { name = "gen_tokens", type = "integer", default = 700, description = "max_tokens of the final answer" },
  },
  example = { task = "What happens to the pressure of an ideal gas if the temperature is doubled and the volume is increased by a factor of 8?" },
  result = "answer, final (short answer), step_back_question, principles",
}

function M.run(ctx)
  local task = U.task("step_back", ctx)
  local gen_tokens = U.pos_int("step_back", ctx, "gen_tokens", 700)

  alc.progress(1, 3, "step-back question")
  local question = U.trim(alc.llm(
    string.format(
      "Original question: %s\n\nStep back from the specifics: write one more generic question "
        .. "about the underlying concept, principle or background that must be understood to "
        .. "answer it. Output only that question.",
      task),
    { system = "You are an expert at finding the principle behind a question.", max_tokens = 100 }))
  if question == "" then
    alc.log("warn", "step_back: empty step-back question; asking for the principles of the task itself")
    question = "What principles and facts are needed to answer: " .. task
  end

  alc.progress(2, 3, "principles")
  local principles = alc.llm(
    string.format("%s\n\nAnswer with the relevant principles, definitions and facts.", question),
    { system = "You are an expert. State principles precisely.", max_tokens = 500 })

  alc.progress(3, 3, "reason from the principles")
  local answer = alc.llm(
    string.format(
      "Question: %s\n\nStep-back question: %s\nPrinciples:\n%s\n\nUsing these principles, reason "
        .. "step by step to answer the question. End with a line 'Answer: <final answer>'.",
      task, question, principles),
    { system = "You apply general principles carefully to specific problems.", max_tokens = gen_tokens })

  return U.finish(ctx, {
    answer = answer,
    final = U.final_answer(answer),
    step_back_question = question,
    principles = principles,
  })
end

return M
