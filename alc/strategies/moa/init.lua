--- moa: Mixture-of-Agents.
---
--- Wang et al. (2024): a layered architecture. Layer 1's proposers answer the prompt
--- independently; each proposer of every later layer receives all responses of the previous
--- layer with an aggregate-and-synthesize instruction and writes an improved response; a final
--- aggregator synthesises the last layer into one answer. Proposers are different models in
--- the paper: pass `models` to tag each proposer's queries with a model name for the driver
--- (hosts that route by model use it; others get a distinct persona per proposer instead).
--- Every layer is one batch. Round trips: layers + 1 (4 by default).
local U = require("_shared.util")

local M = {}

local PERSONAS = {
  "a precise domain expert", "a creative generalist", "a careful analyst who checks edge cases",
  "a teacher who explains simply", "a critical reviewer",
}

M.meta = {
  name = "moa",
  version = "1.0.0",
  description = "Mixture-of-agents: layers of proposers that each see the previous layer's answers, then an aggregator",
  category = "aggregation",
  paper = {
    authors = "Wang, Wang, Athiwaratkun, Zhang, Zou",
    year = 2024,
    title = "Mixture-of-Agents Enhances Large Language Model Capabilities",
  },
  params = {
    { name = "task", type = "string", default = nil, description = "The prompt (required)" },
    { name = "layers", type = "integer", default = 3, description = "Proposer layers (the paper uses 3)" },
    { name = "agents", type = "integer", default = 3, description = "Proposers per layer (ignored when models is given)" },
    { name = "models", type = "string[]", default = nil, description = "Model name per proposer, passed to the driver as the query's `model`" },
    { name = "aggregator_model", type = "string", default = nil, description = "Model name for the final aggregator" },
    { name = "gen_tokens", type = "integer", default = 600, description = "max_tokens of each proposal" },
  },
  example = { task = "Explain the CAP theorem with a practical example.", layers = 3, agents = 3 },
  result = "answer (aggregated), layers (responses of each layer)",
}

local AGGREGATE = "You have been given responses from several assistants to the user's request. "
  .. "Critically evaluate them: some may be wrong or biased. Synthesise a single response that is "
  .. "more accurate, complete and well-structured than any of them; do not just copy one."

function M.run(ctx)
  local task = U.task("moa", ctx)
  local layers = U.pos_int("moa", ctx, "layers", 3, 10)
  local models = U.string_list("moa", ctx, "models", nil, 1)
  local agents = models and #models or U.pos_int("moa", ctx, "agents", 3, 20)
  local aggregator_model = U.string("moa", ctx, "aggregator_model", nil)
  local gen_tokens = U.pos_int("moa", ctx, "gen_tokens", 600)
  local total = layers + 1

  local function proposer(i, prompt, system)
    local item = { prompt = prompt, max_tokens = gen_tokens, system = system }
    if models then
      item.model = models[i]
    else
      item.system = system .. " You are " .. PERSONAS[(i - 1) % #PERSONAS + 1] .. "."
    end
    return item
  end

  local slots = {}
  for i = 1, agents do slots[i] = i end
  local history, previous = {}, nil
  for l = 1, layers do
    alc.progress(l, total, "layer " .. l)
    local current = alc.parallel(slots, function(i)
      if previous == nil then
        return proposer(i, task, "You are a helpful assistant.")
      end
      return proposer(i,
        string.format("Responses from the previous layer:\n%s\n\nUser request: %s",
          U.numbered(previous), task),
        AGGREGATE)
    end)
    history[l] = current
    previous = current
  end

  alc.progress(total, total, "aggregate")
  local answer = alc.llm(
    string.format("Responses:\n%s\n\nUser request: %s", U.numbered(previous), task),
    { system = AGGREGATE, max_tokens = 1000, model = aggregator_model })

  return U.finish(ctx, { answer = answer, layers = history })
end

return M
