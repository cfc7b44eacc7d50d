--- calibrate: confidence-gated escalation.
---
--- Answer once and state a calibrated confidence (verbalised confidence, as in Tian et al. 2023
--- and Xiong et al. 2024); when the confidence is below `threshold`, escalate to a heavier
--- strategy (`fallback`, self-consistency by default) by running that package on the same task:
--- `require(fallback).run(sub_ctx)`. The fallback's queries pause this session like its own.
--- Round trips: 1 when confident, otherwise 1 + the fallback's (sc default: 1 + 1 = 2).
local U = require("_shared.util")

local M = {}

M.meta = {
  name = "calibrate",
  version = "1.0.0",
  description = "Confidence-gated reasoning: answer with a confidence, escalate to a stronger strategy below a threshold",
  category = "meta",
  paper = {
    authors = "Xiong, Hu, Lu, Li, Fu, He, Hooi",
    year = 2024,
    title = "Can LLMs Express Their Uncertainty? An Empirical Evaluation of Confidence Elicitation in LLMs",
  },
  params = {
    { name = "task", type = "string", default = nil, description = "The question (required)" },
    { name = "threshold", type = "number", default = 0.7, description = "Confidence (0..1) at or above which the first answer is kept" },
    { name = "fallback", type = "string", default = "sc", description = "Strategy package run on low confidence (any installed strategy)" },
    { name = "fallback_opts", type = "table", default = {}, description = "Extra ctx keys for the fallback strategy" },
    { name = "gen_tokens", type = "integer", default = 600, description = "max_tokens of the first answer" },
  },
  example = { task = "What is the capital of Australia?", threshold = 0.8 },
  result = "answer, confidence (0..1), escalated, strategy (direct or the fallback's name), fallback_result",
}

function M.run(ctx)
  local task = U.task("calibrate", ctx)
  local threshold = U.number("calibrate", ctx, "threshold", 0.7, 0, 1)
  local fallback = U.string("calibrate", ctx, "fallback", "sc")
  local fallback_opts = ctx.fallback_opts
  if not U.present(fallback_opts) then fallback_opts = {} end
  if type(fallback_opts) ~= "table" then U.fail("calibrate", "fallback_opts must be a table") end
  local gen_tokens = U.pos_int("calibrate", ctx, "gen_tokens", 600)
  if fallback == "calibrate" then U.fail("calibrate", "fallback must not be calibrate itself") end

  alc.progress(1, 2, "answer with confidence")
  local raw = alc.llm(
    string.format(
      "Question: %s\n\nAnswer the question, then state how likely your answer is correct.\n"
        .. "Format:\nANSWER: <your answer>\nCONFIDENCE: <a number from 0.0 to 1.0>",
      task),
    { system = "You are an expert who is honest about uncertainty. Be well calibrated: a "
        .. "confidence of 0.8 should be right 80% of the time.", max_tokens = gen_tokens })

  local answer = U.after_label(raw, "ANSWER") or U.trim((raw:gsub("CONFIDENCE.*$", "")))
  local confidence = U.parse_confidence(U.after_label(raw, "CONFIDENCE") or "")
  if confidence == nil then
    alc.log("warn", "calibrate: no confidence found in the answer; assuming 0 (escalate)")
    confidence = 0
  end
  alc.stats.record("calibrate_confidence", confidence)

  if confidence >= threshold then
    return U.finish(ctx, {
      answer = answer, confidence = confidence, escalated = false, strategy = "direct",
      initial_answer = answer,
    })
  end

  alc.log("info", string.format("calibrate: confidence %.2f < %.2f, escalating to %s",
    confidence, threshold, fallback))
  alc.progress(2, 2, "escalate to " .. fallback)
  local ok, pkg = pcall(require, fallback)
  if not ok or type(pkg) ~= "table" or type(pkg.run) ~= "function" then
    U.fail("calibrate", "fallback strategy '" .. fallback .. "' cannot be loaded: " .. tostring(pkg))
  end
  local sub = { task = task }
  for k, v in pairs(fallback_opts) do sub[k] = v end
  local out = pkg.run(sub)
  if rawequal(out, sub) then out = sub.result end
  local final = answer
  if type(out) == "table" and out.answer ~= nil and out.answer ~= alc.NULL then
    final = out.answer
  elseif type(out) == "string" then
    final = out
  else
    alc.log("warn", "calibrate: fallback " .. fallback .. " returned no answer; keeping the first answer")
  end

  return U.finish(ctx, {
    answer = final,
    confidence = confidence,
    escalated = true,
    strategy = fallback,
    initial_answer = answer,
    fallback_result = out,
  })
end

return M
