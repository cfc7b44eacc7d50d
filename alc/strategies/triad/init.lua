--- triad: proponent / opponent / judge.
---
--- A two-sided debate with a separate judge (the adversarial-debate family: Irving et al.
--- 2018, "AI safety via debate"; Du et al. 2023; Liang et al. 2023). The proponent answers and
--- defends, the opponent attacks the answer and proposes a better one, they alternate for
--- `rounds` exchanges, and a judge who took no side decides which position holds up and gives
--- the final answer. Every turn reads the previous one, so calls are sequential.
--- Round trips: 2 * rounds + 1 (3 by default).
local U = require("_shared.util")

local M = {}

M.meta = {
  name = "triad",
  version = "1.0.0",
  description = "Proponent / opponent / judge: a defended answer, an attack, alternating rounds, an impartial verdict",
  category = "deliberation",
  paper = {
    authors = "Irving, Christiano, Amodei",
    year = 2018,
    title = "AI safety via debate",
  },
  params = {
    { name = "task", type = "string", default = nil, description = "The question (required)" },
    { name = "rounds", type = "integer", default = 1, description = "Proponent/opponent exchanges before the verdict" },
    { name = "gen_tokens", type = "integer", default = 500, description = "max_tokens of each turn" },
  },
  example = { task = "Is it better to write tests before or after the code?" },
  result = "answer (the judge's final answer), winner (proponent|opponent|draw), verdict, transcript ({role, text})",
}

local function render(transcript)
  return U.numbered(transcript, function(t) return "[" .. t.role .. "] " .. t.text end, "%d %s")
end

function M.run(ctx)
  local task = U.task("triad", ctx)
  local rounds = U.pos_int("triad", ctx, "rounds", 1, 10)
  local gen_tokens = U.pos_int("triad", ctx, "gen_tokens", 500)
  local total = 2 * rounds + 1
  local transcript = {}

  for r = 1, rounds do
    alc.progress(2 * r - 1, total, "proponent, round " .. r)
    local pro
    if r == 1 then
      pro = alc.llm(
        string.format("Question: %s\n\nGive your answer and argue for it with your strongest reasons.", task),
        { system = "You are the proponent: you commit to an answer and defend it.", max_tokens = gen_tokens })
    else
      pro = alc.llm(
        string.format("Question: %s\n\nDebate so far:\n%s\n\nRebut the opponent's last objections "
          .. "and defend (or, if they are right, amend) your answer.", task, render(transcript)),
        { system = "You are the proponent: you commit to an answer and defend it.", max_tokens = gen_tokens })
    end
    transcript[#transcript + 1] = { role = "proponent", text = pro }

    alc.progress(2 * r, total, "opponent, round " .. r)
    local con = alc.llm(
      string.format("Question: %s\n\nDebate so far:\n%s\n\nAttack the proponent's answer: find its "
        .. "errors, weak reasons and missing cases, and give the answer you think is better.",
        task, render(transcript)),
      { system = "You are the opponent: you look for every flaw in the proponent's answer.", max_tokens = gen_tokens })
    transcript[#transcript + 1] = { role = "opponent", text = con }
  end

  alc.progress(total, total, "judge")
  local verdict = alc.llm(
    string.format("Question: %s\n\nDebate:\n%s\n\nYou are the judge. Weigh the arguments on their "
      .. "merits, not their length. Reply in this format:\nWINNER: proponent, opponent or draw\n"
      .. "REASON: <one paragraph>\nANSWER: <the final answer to the question>", task, render(transcript)),
    { system = "You are an impartial judge who took no side in the debate.", max_tokens = 800 })

  local winner_text = U.after_label(verdict, "WINNER") or verdict
  local winner = alc.match_enum(winner_text:match("^[^\r\n]*") or winner_text, { "proponent", "opponent", "draw" })
  if winner == nil then
    alc.log("warn", "triad: the verdict names no winner; reporting a draw")
    winner = "draw"
  end
  local answer = U.after_label(verdict, "ANSWER")
  if answer == nil then
    alc.log("warn", "triad: the verdict has no ANSWER line; using the whole verdict")
    answer = U.trim(verdict)
  end

  return U.finish(ctx, {
    answer = answer,
    winner = winner:lower(),
    reason = U.after_label(verdict, "REASON") or alc.NULL,
    verdict = verdict,
    transcript = transcript,
  })
end

return M
