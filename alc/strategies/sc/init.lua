--- sc: self-consistency.
---
--- Wang et al. (2022): sample several diverse chain-of-thought reasoning paths for the same
--- question (temperature sampling), extract each path's final answer, and return the answer
--- the most paths agree on (marginalising over reasoning paths by majority vote).
--- The n samples are independent: one llm_batch, one round trip. Answers are extracted
--- locally from the "Answer:" line (as the paper parses answers), normalised and voted.
local U = require("_shared.util")

local M = {}

M.meta = {
  name = "sc",
  version = "1.0.0",
  description = "Self-consistency: sample N reasoning paths in one batch, majority vote on the extracted answers",
  category = "aggregation",
  paper = {
    authors = "Wang, Wei, Schuurmans, Le, Chi, Narang, Chowdhery, Zhou",
    year = 2022,
    title = "Self-Consistency Improves Chain of Thought Reasoning in Language Models",
  },
  params = {
    { name = "task", type = "string", default = nil, description = "The question (required); works best when it has one short answer" },
    { name = "n", type = "integer", default = 5, description = "Number of sampled reasoning paths" },
    { name = "temperature", type = "number", default = 0.7, description = "Sampling temperature passed to the driver (ignored by hosts that do not sample)" },
    { name = "gen_tokens", type = "integer", default = 600, description = "max_tokens of each reasoning path" },
  },
  example = { task = "If there are 3 cars in the parking lot and 2 more arrive, how many cars are there?", n = 5 },
  result = "answer (majority answer), votes, vote_counts, agreement (winner share), paths",
}

function M.run(ctx)
  local task = U.task("sc", ctx)
  local n = U.pos_int("sc", ctx, "n", 5, 100)
  local temperature = U.number("sc", ctx, "temperature", 0.7, 0, 2)
  local gen_tokens = U.pos_int("sc", ctx, "gen_tokens", 600)

  local items = {}
  for i = 1, n do
    items[i] = {
      prompt = string.format(
        "Question: %s\n\nThink step by step, then give the final answer on the last line as "
          .. "'Answer: <answer>' (the answer only, as short as possible).",
        task),
      system = "You are a careful reasoner.",
      max_tokens = gen_tokens,
      temperature = temperature,
      sample = i,
    }
  end
  alc.progress(1, 1, "sampling " .. n .. " reasoning paths")
  local responses = alc.llm_batch(items)

  local paths, keys, display = {}, U.list(), {}
  for i = 1, n do
    local reasoning = responses[i] or ""
    local answer = U.final_answer(reasoning)
    if answer == "" then
      alc.log("warn", "sc: path " .. i .. " has no recognisable answer; it does not vote")
    else
      local key = U.normalize(answer)
      keys[#keys + 1] = key
      if display[key] == nil then display[key] = answer end
    end
    paths[i] = { reasoning = reasoning, answer = answer }
  end

  local counts = {}
  for _, k in ipairs(keys) do counts[k] = (counts[k] or 0) + 1 end
  local answer, count = nil, 0
  if #keys > 0 then
    local v = alc.vote(keys)
    answer, count = display[v.winner], v.count
  else
    alc.log("warn", "sc: no path produced an answer; returning the first reasoning as is")
    answer = paths[1] and paths[1].reasoning or ""
  end

  return U.finish(ctx, {
    answer = answer,
    votes = keys,
    vote_counts = counts,
    agreement = n > 0 and count / n or 0,
    n_sampled = n,
    paths = paths,
  })
end

return M
