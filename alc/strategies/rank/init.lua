--- rank: pairwise ranking prompting (PRP-Allpair).
---
--- Qin et al. (2024): rank candidates by asking the model which of two is better, for every
--- pair and in both orders (A,B) and (B,A) to cancel position bias. A candidate earns 1 point
--- for each comparison it wins; when the two orders disagree (or an answer is unreadable) each
--- side gets half a point. Candidates are ranked by total points.
--- Candidates come from ctx.candidates or are generated (one batch); all n*(n-1) comparisons
--- are one batch. Round trips: 2 (1 when candidates are given).
local U = require("_shared.util")

local M = {}

M.meta = {
  name = "rank",
  version = "1.0.0",
  description = "Pairwise tournament ranking: every pair compared in both orders (one batch) to cancel position bias",
  category = "selection",
  paper = {
    authors = "Qin, Jagerman, Hui, Zhuang, Wu, Yan, Shen, Liu, Liu, Wang, Metzler, Wang, Bendersky",
    year = 2024,
    title = "Large Language Models are Effective Text Rankers with Pairwise Ranking Prompting",
  },
  params = {
    { name = "task", type = "string", default = nil, description = "The question the candidates answer (required)" },
    { name = "candidates", type = "string[]", default = nil, description = "Candidates to rank; generated when absent" },
    { name = "n", type = "integer", default = 4, description = "Candidates to generate when none are given" },
    { name = "criteria", type = "string", default = "more correct, relevant and helpful", description = "What 'better' means" },
    { name = "gen_tokens", type = "integer", default = 500, description = "max_tokens of each generated candidate" },
  },
  example = { task = "Suggest a name for a Lua library of LLM reasoning strategies.", n = 4 },
  result = "answer (top candidate), ranking ({rank, index, text, score}), comparisons",
}

function M.run(ctx)
  local task = U.task("rank", ctx)
  local candidates = U.string_list("rank", ctx, "candidates", nil, 2)
  local n = U.pos_int("rank", ctx, "n", 4, 12)
  local criteria = U.string("rank", ctx, "criteria", "more correct, relevant and helpful")
  local gen_tokens = U.pos_int("rank", ctx, "gen_tokens", 500)
  local generated = false

  if candidates == nil then
    if n < 2 then U.fail("rank", "n must be at least 2 to rank") end
    generated = true
    local slots = {}
    for i = 1, n do slots[i] = i end
    candidates = alc.parallel(slots, function(i)
      return {
        prompt = string.format("Task: %s\n\nGive one complete, distinct answer (candidate #%d).", task, i),
        max_tokens = gen_tokens,
        temperature = 0.9,
      }
    end)
  end
  n = #candidates

  local pairs_list, items = {}, {}
  for i = 1, n do
    for j = 1, n do
      if i ~= j then
        pairs_list[#pairs_list + 1] = { a = i, b = j }
        items[#items + 1] = {
          prompt = string.format(
            "Task: %s\n\nWhich response is %s?\n\nResponse A:\n%s\n\nResponse B:\n%s\n\n"
              .. "Answer with exactly one letter: A or B.",
            task, criteria, candidates[i], candidates[j]),
          system = "You are an impartial judge. Compare the two responses on their merits.",
          max_tokens = 10,
        }
      end
    end
  end
  alc.progress(1, 1, #items .. " pairwise comparisons")
  local verdicts = alc.llm_batch(items)

  local score, wins = {}, {}
  for i = 1, n do score[i], wins[i] = 0, 0 end
  local comparisons, unreadable = {}, 0
  local by_pair = {}
  for k, p in ipairs(pairs_list) do
    local choice = U.pick_ab(verdicts[k])
    if choice == nil then unreadable = unreadable + 1 end
    local winner = choice == "A" and p.a or choice == "B" and p.b or nil
    comparisons[k] = { first = p.a, second = p.b, verdict = verdicts[k], winner = winner or alc.NULL }
    local lo, hi = math.min(p.a, p.b), math.max(p.a, p.b)
    local key = lo .. ":" .. hi
    by_pair[key] = by_pair[key] or { lo = lo, hi = hi, winners = {} }
    table.insert(by_pair[key].winners, winner or false)
  end
  if unreadable > 0 then
    alc.log("warn", "rank: " .. unreadable .. " comparison(s) gave no A/B choice; counted as ties")
  end
  -- PRP scoring: each of the two orders is one comparison; a winner gets 1, a tie 0.5 each.
  for _, pr in pairs(by_pair) do
    for _, w in ipairs(pr.winners) do
      if w then
        score[w] = score[w] + 1
        wins[w] = wins[w] + 1
      else
        score[pr.lo] = score[pr.lo] + 0.5
        score[pr.hi] = score[pr.hi] + 0.5
      end
    end
  end

  local order = {}
  for i = 1, n do order[i] = i end
  table.sort(order, function(x, y)
    if score[x] ~= score[y] then return score[x] > score[y] end
    return x < y
  end)
  local ranking = {}
  for r, i in ipairs(order) do
    ranking[r] = { rank = r, index = i, text = candidates[i], score = score[i], wins = wins[i] }
  end

  return U.finish(ctx, {
    answer = candidates[order[1]],
    best_index = order[1],
    ranking = ranking,
    candidates = candidates,
    generated = generated,
    comparisons = comparisons,
  })
end

return M
