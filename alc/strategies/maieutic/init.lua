--- maieutic: Maieutic Prompting.
---
--- Jung et al. (2022), for true/false questions: abductively generate explanations for both
--- answers ("True, because ..." / "False, because ..."), and recursively explain those
--- explanations, building a maieutic tree. A proposition is *logically integral* when the model
--- answers it and its negation oppositely; explanation of non-integral propositions continues
--- until max_depth. The model's beliefs about integral propositions (unary clauses) and the
--- explanation links (E_true -> Q, E_false -> not Q) form a weighted MAX-SAT problem; the
--- assignment satisfying the most weight decides the answer. MAX-SAT is solved exactly here
--- (exhaustive search; trees have at most 2^(max_depth+1) - 1 nodes).
--- Each layer is two batches (explain, check). Round trips: 2 to 2 * max_depth (4 by default).
local U = require("_shared.util")

local M = {}

M.meta = {
  name = "maieutic",
  version = "1.0.0",
  description = "Maieutic prompting: recursive true/false explanation tree, logical-integrity checks, weighted MAX-SAT verdict",
  category = "reasoning",
  paper = {
    authors = "Jung, Qin, Welleck, Brahman, Bhagavatula, Le Bras, Choi",
    year = 2022,
    title = "Maieutic Prompting: Logically Consistent Reasoning with Recursive Explanations",
  },
  params = {
    { name = "task", type = "string", default = nil, description = "A true/false question or statement (required)" },
    { name = "max_depth", type = "integer", default = 2, description = "Depth of the explanation tree (1-3)" },
    { name = "gen_tokens", type = "integer", default = 150, description = "max_tokens of each explanation" },
  },
  example = { task = "Is a spider an insect?" },
  result = "answer (True or False), verdict (boolean), tree (nodes with belief, integral, kept), satisfied_weight, total_weight",
}

local W_BELIEF, W_LINK, W_ROOT = 1.0, 1.0, 0.5

local function explain_items(node, gen_tokens)
  local items = {}
  for _, side in ipairs({ "True", "False" }) do
    items[#items + 1] = {
      prompt = string.format("Q: %s True or false?\nA: %s, because", node.text, side),
      system = "Complete the explanation with one short, self-contained factual sentence.",
      max_tokens = gen_tokens,
    }
  end
  return items
end

local function check_items(node)
  local function ask(statement)
    return {
      prompt = string.format("Q: %s True or false?\nA:", statement),
      system = "Answer True or False.",
      max_tokens = 5,
    }
  end
  return { ask(node.text), ask("It is not true that " .. node.text:gsub("^%u", string.lower)) }
end

local function clean_explanation(text)
  text = U.trim(text):gsub("^[Bb]ecause%s+", "")
  text = text:match("^[^\r\n]*") or text
  if text ~= "" then text = text:gsub("^%l", string.upper) end
  if text ~= "" and not text:find("[%.!?]$") then text = text .. "." end
  return text
end

function M.run(ctx)
  local task = U.task("maieutic", ctx)
  local max_depth = U.pos_int("maieutic", ctx, "max_depth", 2, 3)
  local gen_tokens = U.pos_int("maieutic", ctx, "gen_tokens", 150)
  local total = 2 * max_depth

  local root = { id = 1, text = U.trim(task), depth = 0, parent = 0, side = alc.NULL }
  local nodes = { root }
  local frontier = { root }
  local root_belief = nil
  local step = 0

  for depth = 1, max_depth do
    if #frontier == 0 then break end
    step = step + 1
    alc.progress(step, total, "explain layer " .. depth)
    local items = {}
    for _, node in ipairs(frontier) do
      for _, it in ipairs(explain_items(node, gen_tokens)) do items[#items + 1] = it end
    end
    if depth == 1 then items[#items + 1] = check_items(root)[1] end
    local outs = alc.llm_batch(items)
    if depth == 1 then root_belief = U.leading_bool(outs[#outs]) end

    local layer = {}
    for k, node in ipairs(frontier) do
      for s, side in ipairs({ true, false }) do
        local text = clean_explanation(outs[2 * (k - 1) + s] or "")
        if text ~= "" then
          local child = { id = #nodes + 1, text = text, depth = depth, parent = node.id, side = side }
          nodes[#nodes + 1] = child
          layer[#layer + 1] = child
        else
          alc.log("warn", "maieutic: empty explanation under node " .. node.id .. "; dropped")
        end
      end
    end
    if #layer == 0 then break end

    step = step + 1
    alc.progress(step, total, "integrity check layer " .. depth)
    local checks = {}
    for _, node in ipairs(layer) do
      for _, it in ipairs(check_items(node)) do checks[#checks + 1] = it end
    end
    local answers = alc.llm_batch(checks)
    frontier = {}
    for k, node in ipairs(layer) do
      local b, nb = U.leading_bool(answers[2 * k - 1]), U.leading_bool(answers[2 * k])
      node.belief = b == nil and alc.NULL or b
      node.integral = b ~= nil and nb ~= nil and b ~= nb
      if b == nil or nb == nil then
        alc.log("warn", "maieutic: unreadable True/False for node " .. node.id .. "; not integral")
      end
      if not node.integral then frontier[#frontier + 1] = node end
    end
  end

  -- Keep integral nodes and every node on a path to one; the root always stays.
  for i = #nodes, 2, -1 do
    local node = nodes[i]
    node.kept = node.kept or node.integral == true
    if node.kept then nodes[node.parent].kept = true end
  end
  root.kept = true

  local vars, index = {}, {}
  for _, node in ipairs(nodes) do
    if node.kept then
      vars[#vars + 1] = node
      index[node.id] = #vars
    end
  end
  local clauses = {}
  if root_belief ~= nil then
    clauses[#clauses + 1] = { w = W_ROOT, unary = 1, value = root_belief }
  end
  for v, node in ipairs(vars) do
    if node.integral then
      clauses[#clauses + 1] = { w = W_BELIEF, unary = v, value = node.belief }
    end
    if node.depth > 0 then
      clauses[#clauses + 1] = { w = W_LINK, from = v, to = index[node.parent], side = node.side }
    end
  end

  local total_weight = 0
  for _, c in ipairs(clauses) do total_weight = total_weight + c.w end
  local best_value, best_weight = {}, -1
  local nvars = #vars
  for mask = 0, (1 << nvars) - 1 do
    local value = {}
    for v = 1, nvars do value[v] = (mask >> (v - 1)) & 1 == 1 end
    local weight = 0
    for _, c in ipairs(clauses) do
      local sat
      if c.unary then
        sat = value[c.unary] == c.value
      else
        sat = (not value[c.from]) or (value[c.to] == c.side)
      end
      if sat then weight = weight + c.w end
    end
    -- ties: prefer the assignment that agrees with the model's direct answer
    if weight > best_weight or (weight == best_weight and root_belief ~= nil
        and value[1] == root_belief and best_value[1] ~= root_belief) then
      best_weight, best_value = weight, value
    end
  end

  local tree = {}
  for _, node in ipairs(nodes) do
    tree[#tree + 1] = {
      id = node.id, parent = node.parent, depth = node.depth, text = node.text,
      side = node.side == nil and alc.NULL or node.side,
      belief = node.belief == nil and alc.NULL or node.belief,
      integral = node.integral == true, kept = node.kept == true,
      assigned = index[node.id] and best_value[index[node.id]] or alc.NULL,
    }
  end
  local verdict = best_value[1] == true
  return U.finish(ctx, {
    answer = verdict and "True" or "False",
    verdict = verdict,
    direct_belief = root_belief == nil and alc.NULL or root_belief,
    tree = tree,
    satisfied_weight = best_weight,
    total_weight = total_weight,
  })
end

return M
