--- tot: Tree of Thoughts, breadth-first search.
---
--- Yao et al. (2023), ToT-BFS: a state is the partial chain of thoughts so far. At each of
--- `depth` steps, a thought generator proposes `breadth` candidate next thoughts for every state
--- in the frontier, a state evaluator values every new state (here a 1-10 score, averaged over
--- `n_evaluate` samples), and the best `beam` states are kept. The final answer is written from
--- the best state. Generation of a layer is one batch, evaluation of a layer another.
--- Round trips: 2 * depth + 1 (7 by default).
local U = require("_shared.util")

local M = {}

M.meta = {
  name = "tot",
  version = "1.0.0",
  description = "Tree-of-thoughts BFS: propose thoughts per state (batch), value them (batch), keep the best beam, answer from the best path",
  category = "search",
  paper = {
    authors = "Yao, Yu, Zhao, Shafran, Griffiths, Cao, Narasimhan",
    year = 2023,
    title = "Tree of Thoughts: Deliberate Problem Solving with Large Language Models",
  },
  params = {
    { name = "task", type = "string", default = nil, description = "The problem (required)" },
    { name = "depth", type = "integer", default = 3, description = "Thought steps (tree depth)" },
    { name = "breadth", type = "integer", default = 3, description = "Candidate thoughts proposed per state" },
    { name = "beam", type = "integer", default = 2, description = "States kept per layer (b in the paper)" },
    { name = "n_evaluate", type = "integer", default = 1, description = "Value samples per state (averaged)" },
    { name = "gen_tokens", type = "integer", default = 200, description = "max_tokens of each thought" },
  },
  example = { task = "Use 4, 9, 10 and 13 with + - * / to make 24.", depth = 3, breadth = 3, beam = 2 },
  result = "answer, final (short answer), best_path (thoughts), best_score, layers ({thoughts, score, kept})",
}

local function render(path)
  if #path == 0 then return "(no steps yet)" end
  return U.numbered(path, nil, "Step %d: %s")
end

function M.run(ctx)
  local task = U.task("tot", ctx)
  local depth = U.pos_int("tot", ctx, "depth", 3, 10)
  local breadth = U.pos_int("tot", ctx, "breadth", 3, 10)
  local beam = U.pos_int("tot", ctx, "beam", 2, 10)
  local n_eval = U.pos_int("tot", ctx, "n_evaluate", 1, 5)
  local gen_tokens = U.pos_int("tot", ctx, "gen_tokens", 200)
  local total = 2 * depth + 1

  local frontier = { { path = {}, score = 0 } }
  local layers = {}
  for d = 1, depth do
    alc.progress(2 * d - 1, total, string.format("layer %d: propose", d))
    local gen, parents = {}, {}
    for _, state in ipairs(frontier) do
      for k = 1, breadth do
        gen[#gen + 1] = {
          prompt = string.format(
            "Problem: %s\n\nSteps so far:\n%s\n\nPropose the next step (candidate %d of %d: "
              .. "explore a different option from the other candidates). Write only that one step.",
            task, render(state.path), k, breadth),
          system = "You solve problems one deliberate step at a time.",
          max_tokens = gen_tokens,
          temperature = 0.8,
        }
        parents[#gen] = state
      end
    end
    local thoughts = alc.llm_batch(gen)

    local children = {}
    for i, thought in ipairs(thoughts) do
      local path = {}
      for j, s in ipairs(parents[i].path) do path[j] = s end
      path[#path + 1] = U.trim(thought)
      children[i] = { path = path }
    end

    alc.progress(2 * d, total, string.format("layer %d: evaluate %d states", d, #children))
    local evals = {}
    for _, child in ipairs(children) do
      for _ = 1, n_eval do
        evals[#evals + 1] = {
          prompt = string.format(
            "Problem: %s\n\nPartial solution:\n%s\n\nEvaluate how likely this partial solution "
              .. "leads to a correct, complete solution (1 = impossible, 10 = sure). Reply with "
              .. "the number only.",
            task, render(child.path)),
          system = "You are a strict evaluator of partial solutions. Reply with a single number.",
          max_tokens = 10,
        }
      end
    end
    local values = alc.llm_batch(evals)
    for i, child in ipairs(children) do
      local sum = 0
      for s = 1, n_eval do sum = sum + alc.parse_score(values[(i - 1) * n_eval + s]) end
      child.score = sum / n_eval
      child.order = i
    end
    table.sort(children, function(a, b)
      if a.score ~= b.score then return a.score > b.score end
      return a.order < b.order
    end)
    frontier = {}
    local record = {}
    for i, child in ipairs(children) do
      local kept = i <= beam
      if kept then frontier[#frontier + 1] = child end
      record[i] = { thoughts = child.path, score = child.score, kept = kept }
    end
    layers[d] = record
  end

  local best = frontier[1]
  alc.progress(total, total, "answer from the best path")
  local answer = alc.llm(
    string.format(
      "Problem: %s\n\nSolution steps:\n%s\n\nUsing these steps, write the complete solution. "
        .. "End with a line 'Answer: <final answer>'.",
      task, render(best.path)),
    { system = "You write clear, correct final solutions.", max_tokens = 600 })

  return U.finish(ctx, {
    answer = answer,
    final = U.final_answer(answer),
    best_path = best.path,
    best_score = best.score,
    layers = layers,
  })
end

return M
