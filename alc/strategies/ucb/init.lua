--- ucb: UCB1 exploration over generated hypotheses.
---
--- Auer, Cesa-Bianchi & Fischer (2002), UCB1: play each arm once, then at every step t play the
--- arm maximising  mean_i + sqrt(2 ln t / n_i),  rewards in [0, 1].
--- Here an arm is a hypothesis (a candidate approach to the task). Pulling an arm = refining
--- that hypothesis once and scoring the refinement with an LLM judge (1-10, reward = score/10);
--- the arm keeps its refined text. Initial generation and the initial pull of every arm are
--- one batch each; every later pull is refine + score.
--- Round trips: 2 + 2 * rounds (8 by default).
local U = require("_shared.util")

local M = {}

M.meta = {
  name = "ucb",
  version = "1.0.0",
  description = "UCB1 bandit over hypotheses: score every arm, then repeatedly refine and re-score the arm with the best upper confidence bound",
  category = "exploration",
  paper = {
    authors = "Auer, Cesa-Bianchi, Fischer",
    year = 2002,
    title = "Finite-time Analysis of the Multiarmed Bandit Problem",
  },
  params = {
    { name = "task", type = "string", default = nil, description = "The problem (required)" },
    { name = "n", type = "integer", default = 3, description = "Number of hypotheses (arms)" },
    { name = "rounds", type = "integer", default = 3, description = "UCB1 pulls after the initial pull of every arm" },
    { name = "c", type = "number", default = 2, description = "Exploration constant in sqrt(c ln t / n_i) (UCB1: 2)" },
    { name = "gen_tokens", type = "integer", default = 300, description = "max_tokens of each hypothesis" },
  },
  example = { task = "Propose a way to reduce the cold-start latency of a Python CLI.", n = 3, rounds = 3 },
  result = "answer (hypothesis with the best mean reward), arms ({hypothesis, pulls, mean, rewards}), pulls (the sequence)",
}

local function score_prompt(task, hypothesis)
  return {
    prompt = string.format(
      "Task: %s\n\nHypothesis:\n%s\n\nRate this hypothesis from 1 to 10 for correctness, "
        .. "feasibility and insight. Reply with the number only.",
      task, hypothesis),
    system = "You are a critical evaluator. Reply with a single number.",
    max_tokens = 10,
  }
end

function M.run(ctx)
  local task = U.task("ucb", ctx)
  local n = U.pos_int("ucb", ctx, "n", 3, 20)
  local rounds = U.nonneg_int("ucb", ctx, "rounds", 3, 50)
  local c = U.number("ucb", ctx, "c", 2, 0, 100)
  local gen_tokens = U.pos_int("ucb", ctx, "gen_tokens", 300)
  local total = 2 + 2 * rounds

  alc.progress(1, total, "generate " .. n .. " hypotheses")
  local slots = {}
  for i = 1, n do slots[i] = i end
  local hyps = alc.parallel(slots, function(i)
    return {
      prompt = string.format(
        "Task: %s\n\nPropose hypothesis #%d of %d: one specific, distinct approach in 2-4 sentences.",
        task, i, n),
      system = "You are a creative problem solver. Make each hypothesis differ from the obvious one.",
      max_tokens = gen_tokens,
      temperature = 0.9,
    }
  end)

  local arms = {}
  for i = 1, n do arms[i] = { hypothesis = hyps[i], pulls = 0, total = 0, rewards = {} } end
  local sequence = {}
  local function record(i, raw, hypothesis)
    local s = alc.parse_score(raw)
    local reward = s / 10
    local arm = arms[i]
    arm.pulls = arm.pulls + 1
    arm.total = arm.total + reward
    arm.rewards[#arm.rewards + 1] = reward
    sequence[#sequence + 1] = { arm = i, score = s, reward = reward, hypothesis = hypothesis }
  end

  -- UCB1 initialisation: play every arm once (one batch).
  alc.progress(2, total, "initial pull of every arm")
  local first = alc.parallel(arms, function(arm) return score_prompt(task, arm.hypothesis) end)
  for i = 1, n do record(i, first[i], arms[i].hypothesis) end

  for r = 1, rounds do
    local t = #sequence
    local best, best_u = 1, -math.huge
    for i, arm in ipairs(arms) do
      local u = arm.total / arm.pulls + math.sqrt(c * math.log(t) / arm.pulls)
      if u > best_u then best, best_u = i, u end
    end
    alc.progress(1 + 2 * r, total, string.format("round %d: refine arm %d", r, best))
    local refined = alc.llm(
      string.format(
        "Task: %s\n\nHypothesis:\n%s\n\nRefine this hypothesis: fix its weaknesses and make it "
          .. "more specific and actionable. Output only the refined hypothesis (2-4 sentences).",
        task, arms[best].hypothesis),
      { system = "You sharpen ideas without changing their core.", max_tokens = gen_tokens })
    arms[best].hypothesis = refined
    alc.progress(2 + 2 * r, total, string.format("round %d: score arm %d", r, best))
    local raw = alc.llm(score_prompt(task, refined).prompt,
      { system = "You are a critical evaluator. Reply with a single number.", max_tokens = 10 })
    record(best, raw, refined)
  end

  local ranked = {}
  for i, arm in ipairs(arms) do
    ranked[i] = {
      index = i, hypothesis = arm.hypothesis, pulls = arm.pulls,
      mean = arm.total / arm.pulls, rewards = arm.rewards,
    }
  end
  table.sort(ranked, function(a, b)
    if a.mean ~= b.mean then return a.mean > b.mean end
    return a.index < b.index
  end)

  return U.finish(ctx, {
    answer = ranked[1].hypothesis,
    best_index = ranked[1].index,
    arms = ranked,
    pulls = sequence,
  })
end

return M
