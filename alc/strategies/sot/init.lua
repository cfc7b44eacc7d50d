--- sot: Skeleton-of-Thought.
---
--- Ning et al. (2023): first ask for a short skeleton of the answer (a few points of 3-5
--- words), then expand every point in parallel (each expansion sees the question and the whole
--- skeleton but writes only its own point), and concatenate the expansions in skeleton order.
--- Expansion is one llm_batch; assembly is local as in the paper. Round trips: 2.
local U = require("_shared.util")

local M = {}

M.meta = {
  name = "sot",
  version = "1.0.0",
  description = "Skeleton-of-thought: outline the answer, expand every point in one batch, assemble",
  category = "generation",
  paper = {
    authors = "Ning, Lin, Zhou, Wang, Yang, Wang",
    year = 2023,
    title = "Skeleton-of-Thought: Prompting LLMs for Efficient Parallel Generation",
  },
  params = {
    { name = "task", type = "string", default = nil, description = "The question (required)" },
    { name = "max_points", type = "integer", default = 8, description = "Most skeleton points" },
    { name = "point_tokens", type = "integer", default = 200, description = "max_tokens of each point's expansion" },
  },
  example = { task = "What are the most effective ways to deal with stress?" },
  result = "answer (assembled text), skeleton (points), expansions",
}

function M.run(ctx)
  local task = U.task("sot", ctx)
  local max_points = U.pos_int("sot", ctx, "max_points", 8, 30)
  local point_tokens = U.pos_int("sot", ctx, "point_tokens", 200)

  alc.progress(1, 2, "skeleton")
  local raw = alc.llm(
    string.format(
      "Question: %s\n\nDo not answer the question yet. Write only the skeleton of a good answer: "
        .. "a numbered list of 3 to %d points, each point 3 to 5 words.",
      task, math.max(3, max_points)),
    { system = "You organise answers into a concise skeleton.", max_tokens = 200 })
  local points, recognised = U.parse_list(raw, max_points)
  if not recognised then
    alc.log("warn", "sot: the skeleton is not a numbered list; using its lines as points")
  end
  if #points == 0 then
    alc.log("warn", "sot: empty skeleton; answering in one piece")
    points = { task }
  end

  local skeleton = U.numbered(points)
  alc.progress(2, 2, "expand " .. #points .. " points")
  local expansions = alc.parallel(points, function(point, i)
    return string.format(
      "Question: %s\n\nSkeleton of the answer:\n%s\n\nContinue writing point %d (\"%s\") only, "
        .. "in 1-3 sentences. Do not repeat the other points.",
      task, skeleton, i, point)
  end, { system = "You expand one point of an answer skeleton.", max_tokens = point_tokens })

  local parts = {}
  for i, point in ipairs(points) do
    parts[i] = string.format("%d. %s: %s", i, point, U.trim(expansions[i]))
  end
  return U.finish(ctx, {
    answer = table.concat(parts, "\n"),
    skeleton = points,
    expansions = expansions,
  })
end

return M
