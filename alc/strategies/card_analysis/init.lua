--- card_analysis: improvement hints for a past run, from its card (what `alc_card_analyze` runs).
---
--- The card's record (package, parameters, model, statistics) and its failing sample rows go to
--- the model in one prompt; it answers with concrete changes to try next. The hints come back
--- as a list, with the analysis text. `ctx.card` is the full card (alc_card_get's "card");
--- `ctx.samples` its rows (optional); `ctx.question` an extra question about the run (optional).
--- It takes no ctx.task: `alc_card_analyze` (or alc.Engine.start with this ctx) runs it.
local U = require("_shared.util")

local M = {}

M.meta = {
  name = "card_analysis",
  version = "1.0.0",
  description = "Analyze one card (a past run's record and samples) for improvement hints",
  category = "analysis",
  params = {
    { name = "card", type = "table", default = nil, description = "The card (required)" },
    { name = "samples", type = "array", default = nil, description = "The card's sample rows" },
    { name = "question", type = "string", default = nil, description = "An extra question" },
    { name = "max_failures", type = "integer", default = 8, description = "Failing rows shown" },
    { name = "max_tokens", type = "integer", default = 600, description = "max_tokens of the answer" },
  },
  result = "{card_id, hints (list of strings), analysis (text), failures_shown}",
}

local SECTIONS = { "pkg", "params", "model", "scenario", "stats", "metadata" }

local function failing(samples, max)
  local out = U.list()
  if type(samples) ~= "table" then return out end
  for _, row in ipairs(samples) do
    if #out >= max then break end
    local failed = type(row) == "table" and (row.passed == false or (type(row.score) == "number"
      and row.score < 1))
    if failed then out[#out + 1] = U.excerpt(alc.json_encode(row), 600) end
  end
  return out
end

function M.run(ctx)
  if type(ctx) ~= "table" or type(ctx.card) ~= "table" then
    U.fail("card_analysis", "ctx.card (the card to analyze) is required")
  end
  local card = ctx.card
  local max_failures = U.nonneg_int("card_analysis", ctx, "max_failures", 8, 100)
  local max_tokens = U.pos_int("card_analysis", ctx, "max_tokens", 600)
  local record = {}
  for _, key in ipairs(SECTIONS) do record[key] = card[key] end
  local failures = failing(ctx.samples, max_failures)
  local parts = {
    "You are reviewing one recorded run of an LLM reasoning strategy (a card).",
    "Card " .. tostring(card.card_id) .. ":\n" .. U.excerpt(alc.json_encode(record), 4000),
  }
  if #failures > 0 then
    parts[#parts + 1] = "Failing cases:\n" .. U.numbered(failures)
  end
  local question = U.string("card_analysis", ctx, "question", nil)
  if question then parts[#parts + 1] = "Question: " .. question end
  parts[#parts + 1] = "List the most promising concrete changes to try next (parameters, prompts,"
    .. " strategy choice), one per numbered line, most valuable first."
  local text = alc.llm(table.concat(parts, "\n\n"), { max_tokens = max_tokens })
  local hints = U.parse_list(text, 20)
  return U.finish(ctx, {
    card_id = card.card_id, hints = hints, analysis = text, failures_shown = #failures,
  })
end

return M
