--- bon: best-of-N with an LLM judge (DSPy BestOfN semantics).
---
--- DSPy's `BestOfN(module, N, reward_fn, threshold)` runs the module up to N times at varied
--- temperatures, scores each prediction with reward_fn, returns the first prediction whose
--- reward reaches `threshold`, and otherwise the highest-reward one. Here the module is one
--- LLM answer and reward_fn an LLM judge's 1-10 score scaled to [0, 1].
--- Batch mode (default) generates the N candidates in one batch and judges them in another,
--- then applies the same rule in candidate order: 2 round trips. `sequential = true` follows
--- DSPy's loop literally (generate, judge, stop at the threshold): 2 round trips per attempt.
local U = require("_shared.util")

local M = {}

M.meta = {
  name = "bon",
  version = "1.0.0",
  description = "Best-of-N: N candidates judged by an LLM; the first reaching the threshold wins, else the best",
  category = "selection",
  paper = {
    authors = "Khattab, Singhvi, Maheshwari, Zhang, Santhanam, Vardhamanan, Haq, Sharma, Joshi, Moazam, Miller, Zaharia, Potts",
    year = 2023,
    title = "DSPy: Compiling Declarative Language Model Calls into Self-Improving Pipelines (BestOfN module)",
  },
  params = {
    { name = "task", type = "string", default = nil, description = "The task (required)" },
    { name = "N", type = "integer", default = 4, description = "Most candidates (alias: n)" },
    { name = "threshold", type = "number", default = 1.0, description = "Reward in [0, 1] (judge score / 10) that ends the search early" },
    { name = "criteria", type = "string", default = "correctness, completeness and clarity", description = "What the judge scores" },
    { name = "sequential", type = "boolean", default = false, description = "Generate and judge one candidate at a time, stopping at the threshold" },
    { name = "gen_tokens", type = "integer", default = 600, description = "max_tokens of each candidate" },
  },
  example = { task = "Write a haiku about version control.", N = 4, threshold = 0.9 },
  result = "answer (chosen candidate), reward, index, reached_threshold, candidates ({text, score, reward})",
}

local function temperature(i)
  -- DSPy: the first rollout at the module's own temperature, the rest at 1.0 with new seeds
  return i == 1 and 0.7 or 1.0
end

function M.run(ctx)
  local task = U.task("bon", ctx)
  if U.present(ctx.N) and U.present(ctx.n) and ctx.N ~= ctx.n then
    U.fail("bon", "give N or n, not both")
  end
  local n = U.pos_int("bon", ctx, U.present(ctx.N) and "N" or "n", 4, 50)
  local threshold = U.number("bon", ctx, "threshold", 1.0, 0, 1)
  local criteria = U.string("bon", ctx, "criteria", "correctness, completeness and clarity")
  local sequential = U.boolean("bon", ctx, "sequential", false)
  local gen_tokens = U.pos_int("bon", ctx, "gen_tokens", 600)

  local function gen_item(i)
    return {
      prompt = string.format("Task: %s\n\nGive your best response.", task),
      max_tokens = gen_tokens, temperature = temperature(i), rollout_id = i,
    }
  end
  local function judge_item(text)
    return {
      prompt = string.format(
        "Task: %s\n\nResponse:\n%s\n\nScore the response from 1 to 10 for %s. Reply with the number only.",
        task, text, criteria),
      system = "You are a strict, fair judge. Reply with a single number.",
      max_tokens = 10,
    }
  end

  local candidates = {}
  local function add(text, raw_score)
    local score = alc.parse_score(raw_score)
    candidates[#candidates + 1] = { index = #candidates + 1, text = text, score = score, reward = score / 10 }
    return candidates[#candidates]
  end

  local chosen
  if sequential then
    for i = 1, n do
      alc.progress(i, n, "candidate " .. i)
      local text = alc.llm_batch({ gen_item(i) })[1]
      local c = add(text, alc.llm_batch({ judge_item(text) })[1])
      if c.reward >= threshold then chosen = c break end
    end
  else
    local slots = {}
    for i = 1, n do slots[i] = i end
    alc.progress(1, 2, "generate " .. n .. " candidates")
    local texts = alc.parallel(slots, gen_item)
    alc.progress(2, 2, "judge " .. n .. " candidates")
    local scores = alc.parallel(texts, judge_item)
    for i = 1, n do
      local c = add(texts[i], scores[i])
      if chosen == nil and c.reward >= threshold then chosen = c end
    end
  end

  local reached = chosen ~= nil
  if not reached then
    for _, c in ipairs(candidates) do
      if chosen == nil or c.reward > chosen.reward then chosen = c end
    end
  end
  return U.finish(ctx, {
    answer = chosen.text,
    reward = chosen.reward,
    score = chosen.score,
    index = chosen.index,
    reached_threshold = reached,
    candidates = candidates,
  })
end

return M
