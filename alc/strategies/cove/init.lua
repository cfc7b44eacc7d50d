--- cove: Chain-of-Verification.
---
--- Dhuliawala et al. (2023): (1) draft a baseline response; (2) plan verification questions
--- that fact-check its claims; (3) answer each question independently, without the draft in
--- context, so the answers do not copy its mistakes ("factored" variant); (4) write the final
--- verified response from the draft and the question/answer pairs.
--- Step 3 is one llm_batch. Round trips: 4.
local U = require("_shared.util")

local M = {}

M.meta = {
  name = "cove",
  version = "1.0.0",
  description = "Chain-of-verification: draft, plan verification questions, answer them independently (batch), revise",
  category = "verification",
  paper = {
    authors = "Dhuliawala, Komeili, Xu, Raileanu, Li, Celikyilmaz, Weston",
    year = 2023,
    title = "Chain-of-Verification Reduces Hallucination in Large Language Models",
  },
  params = {
    { name = "task", type = "string", default = nil, description = "The question (required)" },
    { name = "max_questions", type = "integer", default = 5, description = "Most verification questions" },
    { name = "gen_tokens", type = "integer", default = 800, description = "max_tokens of the draft and the final response" },
  },
  example = { task = "Name some politicians who were born in New York City." },
  result = "answer (verified response), draft, verifications ({question, answer})",
}

function M.run(ctx)
  local task = U.task("cove", ctx)
  local max_q = U.pos_int("cove", ctx, "max_questions", 5, 30)
  local gen_tokens = U.pos_int("cove", ctx, "gen_tokens", 800)

  alc.progress(1, 4, "baseline response")
  local draft = alc.llm(string.format("%s", task),
    { system = "Answer the question.", max_tokens = gen_tokens })

  alc.progress(2, 4, "plan verifications")
  local plan = alc.llm(
    string.format(
      "Question: %s\n\nDraft answer:\n%s\n\nWrite up to %d short verification questions that "
        .. "check the facts stated in the draft, one per claim. Each question must be answerable "
        .. "on its own (repeat the names it refers to). Output a numbered list of questions only.",
      task, draft, max_q),
    { system = "You are a meticulous fact-checker.", max_tokens = 400 })
  local questions, recognised = U.parse_list(plan, max_q)
  if not recognised then
    alc.log("warn", "cove: the verification plan is not a list; using its lines as questions")
  end
  if #questions == 0 then
    alc.log("warn", "cove: no verification questions planned; returning the draft unverified")
    return U.finish(ctx, { answer = draft, draft = draft, verifications = U.list(), verified = false })
  end

  alc.progress(3, 4, "answer " .. #questions .. " verification questions")
  local answers = alc.parallel(questions, function(q) return q end, {
    system = "Answer the question accurately and concisely. If you are not sure, say so.",
    max_tokens = 200,
  })
  local verifications = {}
  for i, q in ipairs(questions) do verifications[i] = { question = q, answer = answers[i] } end

  alc.progress(4, 4, "final verified response")
  local answer = alc.llm(
    string.format(
      "Question: %s\n\nDraft answer:\n%s\n\nIndependent verification:\n%s\n\nWrite the final "
        .. "answer to the question. Keep what the verification confirms, correct or drop what it "
        .. "contradicts, and do not add unverified claims.",
      task, draft, U.numbered(verifications, function(v)
        return "Q: " .. v.question .. "\n   A: " .. v.answer
      end)),
    { system = "You revise answers to be factually correct.", max_tokens = gen_tokens })

  return U.finish(ctx, {
    answer = answer,
    draft = draft,
    verifications = verifications,
    verified = true,
  })
end

return M
