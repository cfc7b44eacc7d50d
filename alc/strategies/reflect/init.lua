--- reflect: Self-Refine.
---
--- Madaan et al. (2023): the same model drafts an output, gives actionable feedback on it,
--- and refines the output using that feedback (and the history of earlier attempts), until the
--- feedback says the output needs no more changes or a round limit is reached.
--- Round trips: 1 (draft) + 2 per round (feedback, refine); a passing critique stops early.
local U = require("_shared.util")

local M = {}

M.meta = {
  name = "reflect",
  version = "1.0.0",
  description = "Self-refine: draft, critique, revise until the critique passes or max_rounds is reached",
  category = "refinement",
  paper = {
    authors = "Madaan, Tandon, Gupta, Hallinan, Gao, Wiegreffe, Alon, Dziri, Prabhumoye, Yang, Gupta, Majumder, Hermann, Welleck, Yazdanbakhsh, Clark",
    year = 2023,
    title = "Self-Refine: Iterative Refinement with Self-Feedback",
  },
  params = {
    { name = "task", type = "string", default = nil, description = "The task (required)" },
    { name = "max_rounds", type = "integer", default = 3, description = "Most feedback + refine rounds" },
    { name = "criteria", type = "string", default = "correctness, completeness, clarity", description = "What the feedback judges" },
    { name = "gen_tokens", type = "integer", default = 800, description = "max_tokens of drafts and revisions" },
  },
  example = { task = "Write a one-paragraph explanation of why the sky is blue for a ten-year-old.", max_rounds = 2 },
  result = "answer (final output), draft, rounds ({feedback, revision}), stopped_early",
}

local STOP = "NO_CHANGES_NEEDED"

--- Does a feedback text say the output is done? Only the explicit stop marker counts;
--- anything else (including garbage) is treated as feedback to act on.
local function passes(feedback)
  local first = U.trim(feedback):upper()
  return first:find(STOP, 1, true) ~= nil and #first <= #STOP + 40
end

function M.run(ctx)
  local task = U.task("reflect", ctx)
  local max_rounds = U.pos_int("reflect", ctx, "max_rounds", 3, 20)
  local criteria = U.string("reflect", ctx, "criteria", "correctness, completeness, clarity")
  local gen_tokens = U.pos_int("reflect", ctx, "gen_tokens", 800)

  local total = 1 + 2 * max_rounds
  alc.progress(1, total, "draft")
  local draft = alc.llm(string.format("Task: %s\n\nWrite your best response.", task),
    { system = "You are a skilled expert.", max_tokens = gen_tokens })

  local current, rounds, stopped = draft, {}, false
  for r = 1, max_rounds do
    alc.progress(2 * r, total, "feedback round " .. r)
    local feedback = alc.llm(
      string.format(
        "Task: %s\n\nResponse:\n%s\n\nGive specific, actionable feedback on this response "
          .. "(criteria: %s): name each problem and how to fix it. If the response needs no "
          .. "further changes, reply with exactly %s.",
        task, current, criteria, STOP),
      { system = "You are a demanding, precise reviewer.", max_tokens = 500 })
    if passes(feedback) then
      rounds[r] = { feedback = feedback, revision = alc.NULL }
      stopped = true
      break
    end
    local history = {}
    for i, prev in ipairs(rounds) do
      history[i] = string.format("Attempt %d feedback:\n%s", i, prev.feedback)
    end
    alc.progress(2 * r + 1, total, "refine round " .. r)
    local revision = alc.llm(
      string.format(
        "Task: %s\n\n%sCurrent response:\n%s\n\nFeedback:\n%s\n\nRewrite the response so that it "
          .. "addresses every point of the feedback without losing what was already right. "
          .. "Output only the improved response.",
        task,
        #history > 0 and ("Earlier feedback:\n" .. table.concat(history, "\n\n") .. "\n\n") or "",
        current, feedback),
      { system = "You are a skilled expert improving your own work.", max_tokens = gen_tokens })
    rounds[r] = { feedback = feedback, revision = revision }
    current = revision
  end

  return U.finish(ctx, {
    answer = current,
    draft = draft,
    rounds = rounds,
    stopped_early = stopped,
  })
end

return M
