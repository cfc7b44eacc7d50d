--- panel: multi-role deliberation with a moderator.
---
--- Du et al. (2023), "multiagent debate": several agents first answer independently; in each
--- debate round every agent reads the other agents' latest answers and updates its own; after
--- the rounds the answers are combined. Here the agents are roles (configurable) and a
--- moderator synthesises the final answer from the last round.
--- Every round's calls are independent of each other: one llm_batch per round.
--- Round trips: 1 (opening) + rounds + 1 (moderator) = 3 by default.
local U = require("_shared.util")

local M = {}

local DEFAULT_ROLES = {
  "a domain expert who focuses on correctness",
  "a skeptic who looks for flaws, hidden assumptions and counter-examples",
  "a pragmatist who focuses on what works in practice",
}

M.meta = {
  name = "panel",
  version = "1.0.0",
  description = "Multi-role debate: roles answer independently, read each other and revise for some rounds, a moderator synthesises",
  category = "deliberation",
  paper = {
    authors = "Du, Li, Torralba, Tenenbaum, Mordatch",
    year = 2023,
    title = "Improving Factuality and Reasoning in Language Models through Multiagent Debate",
  },
  params = {
    { name = "task", type = "string", default = nil, description = "The question or decision (required)" },
    { name = "roles", type = "string[]", default = DEFAULT_ROLES, description = "One panellist per role (at least 2)" },
    { name = "rounds", type = "integer", default = 1, description = "Debate rounds after the opening statements (0 = no debate)" },
    { name = "gen_tokens", type = "integer", default = 500, description = "max_tokens of each statement" },
  },
  example = { task = "Should a five-person startup adopt microservices from day one?", rounds = 1 },
  result = "answer (moderator synthesis), arguments ({role, text} of the last round), transcript (all rounds)",
}

function M.run(ctx)
  local task = U.task("panel", ctx)
  local roles = U.string_list("panel", ctx, "roles", DEFAULT_ROLES, 2)
  local rounds = U.nonneg_int("panel", ctx, "rounds", 1, 10)
  local gen_tokens = U.pos_int("panel", ctx, "gen_tokens", 500)
  local total = rounds + 2

  alc.progress(1, total, "opening statements")
  local current = alc.parallel(roles, function(role)
    return {
      prompt = string.format("Question: %s\n\nGive your answer and your main reasons.", task),
      system = "You are " .. role .. ". Argue from that perspective, concisely.",
      max_tokens = gen_tokens,
    }
  end)
  local transcript = { {} }
  for i, role in ipairs(roles) do transcript[1][i] = { role = role, text = current[i] } end

  for r = 1, rounds do
    alc.progress(r + 1, total, "debate round " .. r)
    local previous = current
    current = alc.parallel(roles, function(role, i)
      local others = {}
      for j, other in ipairs(roles) do
        if j ~= i then others[#others + 1] = string.format("[%s]\n%s", other, previous[j]) end
      end
      return {
        prompt = string.format(
          "Question: %s\n\nYour previous answer:\n%s\n\nThe other panellists answered:\n%s\n\n"
            .. "Using their answers as additional advice, give your updated answer. Say where you "
            .. "changed your mind and where you still disagree, and why.",
          task, previous[i], table.concat(others, "\n\n")),
        system = "You are " .. role .. ". Argue from that perspective, concisely.",
        max_tokens = gen_tokens,
      }
    end)
    transcript[r + 1] = {}
    for i, role in ipairs(roles) do transcript[r + 1][i] = { role = role, text = current[i] } end
  end

  alc.progress(total, total, "moderator synthesis")
  local final_args = transcript[#transcript]
  local answer = alc.llm(
    string.format(
      "Question: %s\n\nAfter %d round(s) of debate the panellists' final positions are:\n%s\n\n"
        .. "As moderator, synthesise the best answer: keep the points that survived the debate, "
        .. "resolve the disagreements where the arguments allow it, and state what remains open.",
      task, rounds, U.numbered(final_args, function(a) return "[" .. a.role .. "]\n" .. a.text end)),
    { system = "You are a fair, rigorous moderator.", max_tokens = 800 })

  return U.finish(ctx, {
    answer = answer,
    arguments = final_args,
    transcript = transcript,
    roles = roles,
  })
end

return M
