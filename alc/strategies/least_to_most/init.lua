--- least_to_most: Least-to-Most prompting.
---
--- Zhou et al. (2022): stage 1 reduces the problem to a list of simpler sub-problems, ordered
--- from the simplest; stage 2 solves them in order, each prompt carrying the previous
--- sub-problems and their answers, the last question being the original problem itself.
--- Each answer feeds the next, so stage 2 is sequential.
--- Round trips: 1 + k + 1 for k sub-problems (k <= max_subproblems, default 5).
local U = require("_shared.util")

local M = {}

M.meta = {
  name = "least_to_most",
  version = "1.0.0",
  description = "Least-to-most: decompose into ordered sub-problems, solve simplest first, feeding each answer forward",
  category = "decomposition",
  paper = {
    authors = "Zhou, Schärli, Hou, Wei, Scales, Wang, Schuurmans, Cui, Bousquet, Le, Chi",
    year = 2022,
    title = "Least-to-Most Prompting Enables Complex Reasoning in Large Language Models",
  },
  params = {
    { name = "task", type = "string", default = nil, description = "The problem (required)" },
    { name = "max_subproblems", type = "integer", default = 5, description = "Most sub-problems before the original problem" },
    { name = "gen_tokens", type = "integer", default = 400, description = "max_tokens of each answer" },
  },
  example = { task = "Amy takes 4 minutes to climb to the top of a slide and 1 minute to slide down. The slide closes in 15 minutes. How many times can she slide before it closes?" },
  result = "answer (answer to the original problem), final (short answer), steps ({question, answer})",
}

function M.run(ctx)
  local task = U.task("least_to_most", ctx)
  local max_sub = U.pos_int("least_to_most", ctx, "max_subproblems", 5, 20)
  local gen_tokens = U.pos_int("least_to_most", ctx, "gen_tokens", 400)

  alc.progress(1, 2, "decompose")
  local raw = alc.llm(
    string.format(
      "Problem: %s\n\nTo solve this problem, which simpler questions must be answered first? "
        .. "List at most %d sub-questions, ordered from the simplest to the one closest to the "
        .. "problem, as a numbered list. Do not answer them, and do not repeat the problem itself.",
      task, max_sub),
    { system = "You reduce hard problems to a sequence of easier ones.", max_tokens = 400 })
  local subs = U.parse_list(raw, max_sub)
  if #subs == 0 then
    alc.log("warn", "least_to_most: no sub-problems found; solving the problem directly")
  end

  local questions = {}
  for i, q in ipairs(subs) do questions[i] = q end
  questions[#questions + 1] = task

  local steps = {}
  for i, q in ipairs(questions) do
    alc.progress(i, #questions, "solve sub-problem " .. i)
    local solved = {}
    for j, s in ipairs(steps) do
      solved[j] = string.format("Q: %s\nA: %s", s.question, s.answer)
    end
    local prompt = string.format("Problem: %s\n\n%sQ: %s\nA:", task,
      #solved > 0 and (table.concat(solved, "\n\n") .. "\n\n") or "", q)
    local a = alc.llm(prompt, {
      system = "Answer the last question, using the answers above. Be concise and exact.",
      max_tokens = gen_tokens,
    })
    steps[i] = { question = q, answer = U.trim(a) }
  end

  local answer = steps[#steps].answer
  return U.finish(ctx, {
    answer = answer,
    final = U.final_answer(answer),
    subproblems = subs,
    steps = steps,
  })
end

return M
