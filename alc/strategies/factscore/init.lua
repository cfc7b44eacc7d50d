--- factscore: FActScore, atomic-fact precision.
---
--- Min et al. (2023): break a generation into atomic facts (short statements that each carry
--- one piece of information), verify every fact independently against a knowledge source, and
--- report the fraction of supported facts. alc has no retrieval of its own: each verification
--- query is marked `grounded = true`, so a host that can search or read sources grounds it.
--- The text comes from ctx.text, or is generated for ctx.task first. Verification is one batch.
--- Round trips: 3 (2 when ctx.text is given).
local U = require("_shared.util")

local M = {}

M.meta = {
  name = "factscore",
  version = "1.0.0",
  description = "FActScore: split a text into atomic facts, verify each independently (one grounded batch), report the supported fraction",
  category = "verification",
  paper = {
    authors = "Min, Krishna, Lyu, Lewis, Yih, Koh, Iyyer, Zettlemoyer, Hajishirzi",
    year = 2023,
    title = "FActScore: Fine-grained Atomic Evaluation of Factual Precision in Long Form Text Generation",
  },
  params = {
    { name = "task", type = "string", default = nil, description = "The prompt the text answers (required; the topic for verification)" },
    { name = "text", type = "string", default = nil, description = "The text to score; generated from task when absent" },
    { name = "max_facts", type = "integer", default = 20, description = "Most atomic facts verified" },
    { name = "knowledge", type = "string", default = nil, description = "Optional reference text the facts are checked against" },
  },
  example = { task = "Tell me a bio of Ada Lovelace." },
  result = "answer (the text scored), score (supported / verified facts, 0..1), facts ({fact, supported, verdict}), supported, total",
}

function M.run(ctx)
  local task = U.task("factscore", ctx)
  local text = U.string("factscore", ctx, "text", nil)
  local max_facts = U.pos_int("factscore", ctx, "max_facts", 20, 100)
  local knowledge = U.string("factscore", ctx, "knowledge", nil)
  local steps = text and 2 or 3
  local step = 0
  local generated = false

  if text == nil then
    step = step + 1
    alc.progress(step, steps, "generate the text")
    text = alc.llm(task, { max_tokens = 800 })
    generated = true
  end

  step = step + 1
  alc.progress(step, steps, "split into atomic facts")
  local raw = alc.llm(
    string.format(
      "Text:\n%s\n\nBreak the text into independent atomic facts: short sentences that each "
        .. "state exactly one piece of information and are understandable on their own (replace "
        .. "pronouns with names). Output a numbered list, at most %d facts.",
      text, max_facts),
    { system = "You split text into atomic facts.", max_tokens = 1000 })
  local facts = U.parse_list(raw, max_facts)
  if #facts == 0 then
    alc.log("warn", "factscore: no atomic facts found; the score is undefined")
    return U.finish(ctx, {
      answer = text, score = alc.NULL, facts = U.list(), supported = 0, total = 0, generated = generated,
    })
  end

  step = step + 1
  alc.progress(step, steps, "verify " .. #facts .. " facts")
  local source = knowledge and ("Knowledge source:\n" .. knowledge .. "\n\n") or ""
  local verdicts = alc.parallel(facts, function(fact)
    return {
      prompt = string.format(
        "%sTopic: %s\n\nFact: %s\n\nIs this fact true%s? Answer True or False, then one sentence of evidence.",
        source, task, fact, knowledge and " according to the knowledge source" or ""),
      system = "You verify facts strictly; when you cannot confirm a fact, answer False.",
      max_tokens = 100,
      grounded = true,
    }
  end)

  local results, supported, unclear = {}, 0, 0
  for i, fact in ipairs(facts) do
    local verdict = verdicts[i]
    local ok = U.leading_bool(verdict)
    if ok == nil then
      unclear = unclear + 1
      ok = false
    end
    if ok then supported = supported + 1 end
    results[i] = { fact = fact, supported = ok, verdict = verdict }
  end
  if unclear > 0 then
    alc.log("warn", "factscore: " .. unclear .. " verdict(s) were neither True nor False; counted as not supported")
  end

  return U.finish(ctx, {
    answer = text,
    score = supported / #facts,
    facts = results,
    supported = supported,
    total = #facts,
    unclear = unclear,
    generated = generated,
  })
end

return M
