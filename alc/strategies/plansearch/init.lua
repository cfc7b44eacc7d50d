--- plansearch: PlanSearch.
---
--- Wang et al. (2024) search over natural-language plans instead of over code: generate
--- first-order observations about the problem, combine subsets of them into second-order
--- observations, turn each combination into a solution sketch (plan), and solve from the
--- plans. The paper then writes code for every plan and keeps what passes tests; without
--- tests, alc scores the plans with an LLM judge and solves from the best one.
--- Plan derivation and plan scoring are one batch each. Round trips: 4.
local U = require("_shared.util")

local M = {}

M.meta = {
  name = "plansearch",
  version = "1.0.0",
  description = "PlanSearch: observations, combined into diverse natural-language plans (batch), judged (batch), solve from the best plan",
  category = "search",
  paper = {
    authors = "Wang, Zhao, Gu, Zhang, Lin, Hendrycks, Zhao, Bi, Wu, Liu",
    year = 2024,
    title = "Planning In Natural Language Improves LLM Search For Code Generation",
  },
  params = {
    { name = "task", type = "string", default = nil, description = "The problem (required); code problems fit best" },
    { name = "n_observations", type = "integer", default = 5, description = "First-order observations requested" },
    { name = "n_plans", type = "integer", default = 3, description = "Plans, one per combination of two observations" },
    { name = "gen_tokens", type = "integer", default = 1200, description = "max_tokens of the final solution" },
  },
  example = { task = "Given an array of integers, return the length of the longest strictly increasing subsequence." },
  result = "answer (solution), best_plan, observations, plans ({observations, plan, score})",
}

--- Index pairs ordered by distance, so the first few pairs cover different observations:
--- (1,2) (2,3) ... (1,3) (2,4) ...
local function combinations(m, want)
  local out = {}
  if m < 2 then
    for i = 1, math.min(m, want) do out[#out + 1] = { i } end
    return out
  end
  for d = 1, m - 1 do
    for i = 1, m - d do
      if #out >= want then return out end
      out[#out + 1] = { i, i + d }
    end
  end
  return out
end

function M.run(ctx)
  local task = U.task("plansearch", ctx)
  local n_obs = U.pos_int("plansearch", ctx, "n_observations", 5, 20)
  local n_plans = U.pos_int("plansearch", ctx, "n_plans", 3, 20)
  local gen_tokens = U.pos_int("plansearch", ctx, "gen_tokens", 1200)

  alc.progress(1, 4, "first-order observations")
  local raw = alc.llm(
    string.format(
      "Problem:\n%s\n\nDo not solve the problem. List %d useful, non-obvious observations about "
        .. "it (properties, invariants, special cases, candidate techniques) as a numbered list.",
      task, n_obs),
    { system = "You are an expert problem solver who studies a problem before solving it.", max_tokens = 800 })
  local observations = U.parse_list(raw, n_obs)
  if #observations == 0 then
    alc.log("warn", "plansearch: no observations found; planning from the problem alone")
    observations = { "(no observations: reason from the problem statement)" }
  end

  local combos = combinations(#observations, n_plans)
  alc.progress(2, 4, "derive " .. #combos .. " plans")
  local plans_text = alc.parallel(combos, function(combo)
    local chosen = {}
    for k, i in ipairs(combo) do chosen[k] = observations[i] end
    return string.format(
      "Problem:\n%s\n\nObservations:\n%s\n\nCombine these observations into new, deeper "
        .. "observations about the problem, then use them to write a natural-language solution "
        .. "sketch (a plan: the algorithm and why it is correct). No code.",
      task, U.numbered(chosen))
  end, { system = "You derive solution plans from observations.", max_tokens = 700 })

  alc.progress(3, 4, "judge the plans")
  local scores = alc.parallel(plans_text, function(plan)
    return string.format(
      "Problem:\n%s\n\nPlan:\n%s\n\nHow likely is this plan to give a correct and efficient "
        .. "solution? Score 1-10; reply with the number only.",
      task, plan)
  end, { system = "You are a strict reviewer of solution plans. Reply with a single number.", max_tokens = 10 })

  local plans, best = {}, nil
  for k, combo in ipairs(combos) do
    local used = {}
    for j, i in ipairs(combo) do used[j] = observations[i] end
    plans[k] = { observations = used, plan = plans_text[k], score = alc.parse_score(scores[k]) }
    if best == nil or plans[k].score > best.score then best = plans[k] end
  end

  alc.progress(4, 4, "solve from the best plan")
  local answer = alc.llm(
    string.format(
      "Problem:\n%s\n\nPlan:\n%s\n\nImplement the solution following this plan. If the problem "
        .. "asks for code, give complete code; otherwise give the complete answer.",
      task, best.plan),
    { system = "You turn a solution plan into a correct, complete solution.", max_tokens = gen_tokens })

  return U.finish(ctx, {
    answer = answer,
    best_plan = best.plan,
    observations = observations,
    plans = plans,
  })
end

return M
