--- card_analysis: the dominant failure pattern of a past run and one change to try, from its card.
---
--- What `alc_card_analyze` runs by default, with algocline's contract: ctx is {card_id, card,
--- samples} (the full card as alc_card_get returns it and its sample rows); the result is
--- {pattern, suggested_change, confidence (0..1), failure_count, sample_count}. The card's record
--- (package, parameters, model, statistics) and its failing rows go to the model in one prompt.
--- `ctx.question` adds a question about the run. It takes no ctx.task.
local U = require("_shared.util")

local M = {}

M.meta = {
  name = "card_analysis",
  version = "1.0.0",
  description = "Analyze one card (a past run's record and samples): failure pattern and a change to try",
  category = "analysis",
  params = {
    { name = "card", type = "table", default = nil, description = "The card (required)" },
    { name = "samples", type = "array", default = nil, description = "The card's sample rows" },
    { name = "question", type = "string", default = nil, description = "An extra question" },
    { name = "max_failures", type = "integer", default = 8, description = "Failing rows shown" },
    { name = "max_tokens", type = "integer", default = 600, description = "max_tokens of the answer" },
  },
  result = "{pattern, suggested_change, confidence, failure_count, sample_count}",
}

local SECTIONS = { "pkg", "params", "model", "scenario", "stats", "metadata" }

local function failed(row)
  if type(row) ~= "table" then return false end
  return row.passed == false or (type(row.score) == "number" and row.score < 1)
end

local function failures(samples)
  local all, count = {}, 0
  if type(samples) ~= "table" then return all, 0, 0 end
  for _, row in ipairs(samples) do
    count = count + 1
    if failed(row) then all[#all + 1] = row end
  end
  return all, #all, count
end

local function first_line(text)
  return U.trim((tostring(text):match("[^\r\n]+") or ""))
end

local function parse(text)
  local data = alc.json_extract(text)
  if type(data) == "table" and type(data.pattern) == "string" then
    local confidence = tonumber(data.confidence) or 0.5
    return data.pattern, tostring(data.suggested_change or ""), confidence
  end
  -- free text: the first line is the pattern, the rest the change
  local rest = U.trim((tostring(text):gsub("^[^\r\n]*", "", 1)))
  return first_line(text), rest ~= "" and rest or U.trim(text), 0.5
end

function M.run(ctx)
  if type(ctx) ~= "table" or type(ctx.card) ~= "table" then
    U.fail("card_analysis", "ctx.card (the card to analyze) is required")
  end
  local card = ctx.card
  local max_failures = U.nonneg_int("card_analysis", ctx, "max_failures", 8, 100)
  local max_tokens = U.pos_int("card_analysis", ctx, "max_tokens", 600)
  local question = U.string("card_analysis", ctx, "question", nil)
  local record = {}
  for _, key in ipairs(SECTIONS) do record[key] = card[key] end
  local bad, failure_count, sample_count = failures(ctx.samples)
  local shown = {}
  for i = 1, math.min(#bad, max_failures) do shown[i] = U.excerpt(alc.json_encode(bad[i]), 600) end
  local parts = {
    "You are reviewing one recorded run of an LLM reasoning strategy (a card).",
    "Card " .. tostring(card.card_id) .. ":\n" .. U.excerpt(alc.json_encode(record), 4000),
    string.format("%d of %d sample rows failed.", failure_count, sample_count),
  }
  if #shown > 0 then parts[#parts + 1] = "Failing cases:\n" .. U.numbered(shown) end
  if question then parts[#parts + 1] = "Question: " .. question end
  parts[#parts + 1] = 'Answer with JSON only: {"pattern": the dominant failure pattern in one line,'
    .. ' "suggested_change": one concrete change to try next (parameters, prompt wording or'
    .. ' strategy), "confidence": 0 to 1}.'
  local text = alc.llm(table.concat(parts, "\n\n"), { max_tokens = max_tokens })
  local pattern, change, confidence = parse(text)
  return U.finish(ctx, {
    pattern = pattern,
    suggested_change = change,
    confidence = math.max(0, math.min(1, confidence)),
    failure_count = failure_count,
    sample_count = sample_count,
  })
end

return M
