--- cod: Chain of Density summarisation.
---
--- Adams et al. (2023): write an initial, entity-sparse summary, then repeatedly (1) identify
--- 1-3 informative entities from the article that the summary misses and (2) rewrite the
--- summary at the same length so it also covers them (fusion, compression, dropping filler).
--- The paper produces 5 summaries (initial + 4 densifications) with a JSON answer per step.
--- Each step depends on the previous summary. Round trips: 1 + rounds (5 by default).
local U = require("_shared.util")

local M = {}

M.meta = {
  name = "cod",
  version = "1.0.0",
  description = "Chain-of-density summarisation: initial sparse summary, then k rounds adding missing entities at equal length",
  category = "summarization",
  paper = {
    authors = "Adams, Fabbri, Ladhak, Lehman, Elhadad",
    year = 2023,
    title = "From Sparse to Dense: GPT-4 Summarization with Chain of Density Prompting",
  },
  params = {
    { name = "task", type = "string", default = nil, description = "The article or text to summarise (required)" },
    { name = "rounds", type = "integer", default = 4, description = "Densification rounds after the initial summary" },
    { name = "words", type = "integer", default = 80, description = "Target summary length in words" },
  },
  example = { task = "<paste an article here>", rounds = 4 },
  result = "answer (densest summary), summaries ({summary, missing_entities, words}), entities (all added)",
}

local function word_count(s)
  local n = 0
  for _ in tostring(s):gmatch("%S+") do n = n + 1 end
  return n
end

local function parse_step(raw)
  local data = alc.json_extract(raw)
  if type(data) == "table" and data[1] ~= nil and data.denser_summary == nil then
    data = data[#data]
  end
  if type(data) == "table" and type(data.denser_summary or data.summary) == "string" then
    local missing = data.missing_entities or data.entities or {}
    if type(missing) == "string" then
      local list = {}
      for e in missing:gmatch("[^;,]+") do list[#list + 1] = U.trim(e) end
      missing = list
    elseif type(missing) ~= "table" then
      missing = U.list()
    end
    return data.denser_summary or data.summary, missing, true
  end
  return U.trim(raw), U.list(), false
end

function M.run(ctx)
  local article = U.task("cod", ctx)
  local rounds = U.nonneg_int("cod", ctx, "rounds", 4, 20)
  local words = U.pos_int("cod", ctx, "words", 80, 1000)
  local total = rounds + 1
  local fmt = "Answer in JSON: {\"missing_entities\": [...], \"denser_summary\": \"...\"}."

  alc.progress(1, total, "initial summary")
  local raw = alc.llm(
    string.format(
      "Article:\n%s\n\nWrite an initial summary of about %d words. It should be long but highly "
        .. "non-specific, containing little information beyond 1-3 entities marked as missing; use "
        .. "verbose language and fillers (e.g. \"this article discusses\"). %s",
      article, words, fmt),
    { system = "You write increasingly entity-dense summaries.", max_tokens = 600 })
  local summary, missing, ok = parse_step(raw)
  if not ok then alc.log("warn", "cod: step 1 is not the requested JSON; using the raw text") end
  local summaries = { { summary = summary, missing_entities = missing, words = word_count(summary) } }
  local entities = U.list()
  for _, e in ipairs(missing) do entities[#entities + 1] = e end

  for r = 1, rounds do
    alc.progress(r + 1, total, "densify " .. r)
    raw = alc.llm(
      string.format(
        "Article:\n%s\n\nCurrent summary:\n%s\n\nStep 1: identify 1-3 informative entities from "
          .. "the article that are missing from the current summary (relevant, specific, at most 5 "
          .. "words each, faithful to the article).\nStep 2: write a new, denser summary of "
          .. "identical length (about %d words) that covers every entity of the current summary "
          .. "plus the missing ones. Make space with fusion, compression and removal of "
          .. "uninformative phrases; never drop an entity. %s",
        article, summary, words, fmt),
      { system = "You write increasingly entity-dense summaries.", max_tokens = 600 })
    local s, m, parsed = parse_step(raw)
    if not parsed then
      alc.log("warn", "cod: step " .. (r + 1) .. " is not the requested JSON; using the raw text")
    end
    if U.trim(s) == "" then
      alc.log("warn", "cod: step " .. (r + 1) .. " returned an empty summary; keeping the previous one")
      s = summary
    end
    summary = s
    summaries[#summaries + 1] = { summary = summary, missing_entities = m, words = word_count(summary) }
    for _, e in ipairs(m) do entities[#entities + 1] = e end
  end

  return U.finish(ctx, { answer = summary, summaries = summaries, entities = entities })
end

return M
