--- evalframe: alc's implementation of algocline's evaluation DSL, so scenario files written for
--- algocline (`local ef = require("evalframe")`) run unchanged. Written for alc (not a copy of
--- the upstream package); a user-installed `evalframe` package on the search path wins.
---
---   ef.case "name" { input = "...", expected = "..." | {...}, tags = {...}, context = {...} }
---   ef.bind { ef.graders.contains, weight = 0.6 }      -- a grader with its weight
---   ef.grader "name" { check = function(resp, case) return true end }
---   ef.suite "name" { provider = ef.providers.algocline { strategy = "cot" }, <binds>, cases = {...} }
---   suite:run() -> report (as alc.eval)
---   alc.eval(scenario, strategy, opts) -> report: every case through `strategy` in this session
---
--- A case scores the weighted mean of its graders and passes at 1.0 (every weighted grader
--- passed), as in evalframe. `alc eval run` (the CLI) reads the same files and grades the built-in
--- graders in Python, with intervals and paired tests; see docs/evals.md.
local M = {}

local CASE, BIND, GRADER = {}, {}, {}

local function trim(s) return (s:gsub("^%s+", ""):gsub("%s+$", "")) end

local function string_list(v, what)
  if v == nil then return {} end
  if type(v) == "string" then return { v } end
  if type(v) ~= "table" then error(what .. " must be a string or a list of strings", 3) end
  local out = {}
  for i, s in ipairs(v) do
    if type(s) ~= "string" then error(what .. "[" .. i .. "] must be a string", 3) end
    out[i] = s
  end
  return out
end

local function make_case(raw)
  if type(raw) ~= "table" then error("ef.case: the case must be a table", 3) end
  if type(raw.input) ~= "string" then
    error("ef.case: 'input' is required and must be a string (" .. tostring(raw.name) .. ")", 3)
  end
  local data = {
    _tag = CASE, name = raw.name or "", input = raw.input,
    expected = raw.expected ~= nil and string_list(raw.expected, "ef.case: expected") or nil,
    tags = string_list(raw.tags, "ef.case: tags"), context = {},
  }
  for k, v in pairs(raw.context or {}) do data.context[k] = v end
  return setmetatable({}, {
    __index = data,
    __newindex = function(_, k) error("ef.case: a case is immutable (cannot set " .. tostring(k) .. ")", 2) end,
    __pairs = function() return next, data, nil end,
    __len = function() return #data end,
  })
end

--- ef.case { ... } or ef.case "name" { ... }
M.case = setmetatable({ new = make_case }, {
  __call = function(_, first)
    if type(first) == "string" then
      return function(spec)
        local copy = {}
        for k, v in pairs(spec) do copy[k] = v end
        copy.name = first
        return make_case(copy)
      end
    end
    return make_case(first)
  end,
})

function M.is_case(v) return type(v) == "table" and v._tag == CASE end

local function make_grader(name, spec)
  if type(spec) ~= "table" or type(spec.check) ~= "function" then
    error("ef.grader '" .. tostring(name) .. "': needs { check = function(resp, case) ... end }", 3)
  end
  return { _tag = GRADER, name = name, check = spec.check, params = spec.params }
end

--- ef.grader "name" { check = function(resp, case) -> boolean | number end }
M.grader = setmetatable({}, {
  __call = function(_, name)
    return function(spec) return make_grader(name, spec) end
  end,
})

local function make_bind(spec, label)
  if type(spec) ~= "table" then error(label .. ": spec must be a table", 3) end
  local g
  for _, v in ipairs(spec) do
    if type(v) == "table" and v._tag == GRADER then
      if g then error(label .. ": more than one grader", 3) end
      g = v
    end
  end
  if not g then error(label .. ": a grader is required (e.g. ef.graders.contains)", 3) end
  local weight = spec.weight or 1.0
  if type(weight) ~= "number" or weight < 0 then
    error(label .. ": weight must be a non-negative number", 3)
  end
  return { _tag = BIND, grader = g, weight = weight }
end

--- ef.bind { grader, weight = w } or ef.bind "label" { ... }
M.bind = setmetatable({}, {
  __call = function(_, first)
    if type(first) == "string" then
      return function(spec) return make_bind(spec, "ef.bind '" .. first .. "'") end
    end
    return make_bind(first, "ef.bind")
  end,
})

function M.is_binding(v) return type(v) == "table" and v._tag == BIND end

-- ------------------------------------------------------------------ graders

local function any_expected(case, test)
  for _, e in ipairs(case.expected or {}) do
    if test(e) then return true end
  end
  return false
end

local function final_answer(text)
  local last
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    local a = line:match("[Aa]nswer%s*[:=]%s*(.+)") or line:match("[Aa]nswer is%s*(.+)")
    if a and trim(a) ~= "" then last = a end
  end
  if not last then
    for line in (text .. "\n"):gmatch("([^\n]*)\n") do
      if trim(line) ~= "" then last = line end
    end
  end
  return trim((last or ""):gsub("[%*_`]", "")):gsub("[%.!;,]+$", "")
end

local function last_number(text)
  local found
  for num in text:gsub(",", ""):gmatch("-?%d+%.?%d*") do found = num end
  return found and tonumber(found) or nil
end

M.graders = {
  exact_match = make_grader("exact_match", { check = function(resp, case)
    local text = trim(resp.text or "")
    return any_expected(case, function(e) return text == trim(e) end)
  end }),
  contains = make_grader("contains", { check = function(resp, case)
    local text = resp.text or ""
    return any_expected(case, function(e) return e ~= "" and text:find(e, 1, true) ~= nil end)
  end }),
  starts_with = make_grader("starts_with", { check = function(resp, case)
    local text = trim(resp.text or "")
    return any_expected(case, function(e) return e ~= "" and text:sub(1, #e) == e end)
  end }),
  regex = make_grader("regex", { check = function(resp, case)
    local pattern = (case.context and case.context.pattern) or (case.expected and case.expected[1])
    if type(pattern) ~= "string" then return false end
    return (resp.text or ""):match(pattern) ~= nil
  end }),
  json_valid = make_grader("json_valid", { check = function(resp)
    return (pcall(alc.json_decode, resp.text or ""))
  end }),
  not_empty = make_grader("not_empty", { check = function(resp)
    return trim(resp.text or "") ~= ""
  end }),
  numeric = make_grader("numeric", { check = function(resp, case)
    local got = last_number(final_answer(resp.text or "")) or last_number(resp.text or "")
    if got == nil then return false end
    local tol = (case.context and case.context.tolerance) or 1e-6
    return any_expected(case, function(e)
      local want = last_number(e)
      return want ~= nil and math.abs(got - want) <= tol
    end)
  end }),
  choice = make_grader("choice", { check = function(resp, case)
    local answer = final_answer(resp.text or ""):lower()
    local words = 0
    for _ in answer:gmatch("%S+") do words = words + 1 end
    if words > 12 then return false end -- a long line that mentions a name is not an answer
    local choices = (case.context and case.context.choices) or case.expected or {}
    local named
    for _, c in ipairs(choices) do
      local s = tostring(c):lower()
      if (" " .. answer:gsub("%W", " ") .. " "):find(" " .. s:gsub("%W", " ") .. " ", 1, true) then
        if named then return false end
        named = s
      end
    end
    return named ~= nil and any_expected(case, function(e) return e:lower() == named end)
  end }),
}

local function judge(resp, case, instruction)
  local expected = table.concat(case.expected or {}, " | ")
  return alc.llm(string.format(
    "You grade an answer.\n\nTask: %s\nReference answer: %s\nAnswer to grade: %s\n\n%s",
    case.input, expected ~= "" and expected or "(none given)", trim(resp.text or ""), instruction),
    { max_tokens = 64, temperature = 0 })
end

--- Model-judged graders: the session's own driver answers the judge's question.
M.graders.llm_rubric = make_grader("llm_rubric", { check = function(resp, case)
  local rubric = (case.context and case.context.rubric) or "Is the answer correct and complete?"
  local r = tonumber((judge(resp, case, "Rubric: " .. rubric
    .. "\nRate it from 1 (worst) to 5 (best). Reply with the number only.")):match("[1-5]"))
  return r and (r - 1) / 4 or 0
end })
M.graders.llm_yes_no = make_grader("llm_yes_no", { check = function(resp, case)
  local q = (case.context and case.context.question)
    or "Does the answer give the reference answer (in any wording)?"
  return trim(judge(resp, case, "Question: " .. q .. "\nReply Yes or No.")):lower():sub(1, 3) == "yes"
end })

M.llm_graders = { rubric = M.graders.llm_rubric, yes_no = M.graders.llm_yes_no }

-- ------------------------------------------------------------------ providers

local function result_text(result)
  if type(result) == "string" then return result end
  if type(result) ~= "table" then return tostring(result) end
  local r = result.result ~= nil and result.result or result
  if type(r) == "string" then return r end
  if type(r) == "table" then
    for _, key in ipairs({ "answer", "summary", "output", "text", "final" }) do
      if type(r[key]) == "string" and r[key] ~= "" then return r[key] end
    end
    return alc.json_encode(r)
  end
  return tostring(r)
end

M.providers = {}

--- ef.providers.algocline { strategy = "cot", opts = {...} }: runs the strategy in this session.
M.providers.algocline = setmetatable({}, {
  __call = function(_, spec)
    spec = spec or {}
    if type(spec.strategy) ~= "string" then
      error("ef.providers.algocline: 'strategy' must be a strategy name", 2)
    end
    return function(input)
      local strategy = require(spec.strategy)
      if type(strategy) ~= "table" or type(strategy.run) ~= "function" then
        error("ef.providers.algocline: package '" .. spec.strategy .. "' has no run()", 2)
      end
      local ctx = { task = input }
      for k, v in pairs(spec.opts or {}) do ctx[k] = v end
      local ok, result = pcall(strategy.run, ctx)
      if not ok then return { text = "", error = tostring(result) } end
      return { text = result_text(result), raw = result }
    end
  end,
})

-- ------------------------------------------------------------------ running

local GRADER_BY_NAME = M.graders

local function bindings_of(scenario)
  local out = {}
  for _, v in ipairs(scenario) do
    if M.is_binding(v) then out[#out + 1] = v end
  end
  if #out == 0 then
    for _, name in ipairs(scenario.graders or { "exact_match" }) do
      local g = type(name) == "table" and name or GRADER_BY_NAME[name]
      if g == nil then error("alc.eval: unknown grader '" .. tostring(name) .. "'", 3) end
      out[#out + 1] = { _tag = BIND, grader = g, weight = 1.0 }
    end
  end
  return out
end

local function as_case(c)
  if M.is_case(c) then return c end
  return make_case(c)
end

local function grade_case(bindings, response, case)
  local total, weight, grades = 0, 0, {}
  for _, b in ipairs(bindings) do
    local ok, raw = pcall(b.grader.check, response, case)
    local score = 0
    if ok then
      if raw == true then score = 1 elseif type(raw) == "number" then score = math.max(0, math.min(1, raw)) end
    end
    grades[#grades + 1] = { grader = b.grader.name, score = score, weight = b.weight,
                            error = (not ok) and tostring(raw) or nil }
    total, weight = total + score * b.weight, weight + b.weight
  end
  local score = weight > 0 and total / weight or 0
  return score, score >= 1 - 1e-6, grades
end

local function aggregate(results)
  local n, passed, sum, sq, min, max, by_tag = #results, 0, 0, 0, nil, nil, {}
  for _, r in ipairs(results) do
    if r.passed then passed = passed + 1 end
    sum, sq = sum + r.score, sq + r.score * r.score
    min = (min == nil or r.score < min) and r.score or min
    max = (max == nil or r.score > max) and r.score or max
    for _, tag in ipairs(r.tags) do
      local t = by_tag[tag] or { n = 0, passed = 0, sum = 0 }
      t.n, t.sum = t.n + 1, t.sum + r.score
      if r.passed then t.passed = t.passed + 1 end
      by_tag[tag] = t
    end
  end
  for _, t in pairs(by_tag) do
    t.pass_rate, t.mean, t.sum = t.passed / t.n, t.sum / t.n, nil
  end
  local mean = n > 0 and sum / n or 0
  local std = n > 1 and math.sqrt(math.max(0, (sq - n * mean * mean) / (n - 1))) or 0
  return {
    total = n, passed = passed, pass_rate = n > 0 and passed / n or 0,
    scores = { n = n, mean = mean, std = std, min = min or 0, max = max or 0 },
    by_tag = next(by_tag) and by_tag or nil,
  }
end

local function run_cases(name, bindings, cases, provider)
  local results, failures = {}, {}
  for i, raw in ipairs(cases) do
    local case = as_case(raw)
    alc.progress(i, #cases, "case " .. i .. " of " .. #cases)
    local response = provider(case.input)
    if type(response) == "string" then response = { text = response } end
    local score, passed, grades = grade_case(bindings, response, case)
    local r = { name = case.name, input = case.input, expected = case.expected,
                tags = case.tags, response = response.text, error = response.error,
                score = score, passed = passed, grades = grades }
    results[i] = r
    if not passed then failures[#failures + 1] = r end
  end
  local agg = aggregate(results)
  return {
    name = name, results = results, failures = failures, aggregated = agg,
    summary = string.format("%s: %d/%d passed (%.1f%%), mean score %.3f", name, agg.passed,
      agg.total, agg.pass_rate * 100, agg.scores.mean),
  }
end

--- ef.suite "name" { provider = fn, <ef.bind ...>, cases = {...} } -> suite with :run()
M.suite = setmetatable({}, {
  __call = function(_, name)
    return function(spec)
      if type(spec) ~= "table" or type(spec.provider) ~= "function" then
        error("ef.suite '" .. tostring(name) .. "': needs provider = function(input)", 2)
      end
      local bindings = bindings_of(spec)
      return { run = function() return run_cases(name, bindings, spec.cases or {}, spec.provider) end }
    end
  end,
})

local function resolve(scenario)
  if type(scenario) == "table" then return scenario, scenario.name or "inline" end
  if type(scenario) == "string" then
    local ok, loaded = pcall(require, scenario)
    if ok and type(loaded) == "table" then return loaded, scenario end
    error("alc.eval: cannot load scenario '" .. scenario .. "': " .. tostring(loaded), 3)
  end
  error("alc.eval: scenario must be a table or a module name, not " .. type(scenario), 3)
end

--- alc.eval(scenario, strategy, opts): run every case of `scenario` through `strategy` inside
--- this session (each alc.llm pauses it as usual) and grade it. opts: strategy_opts (ctx
--- parameters), auto_card (write a card with one sample per case when alc.card exists),
--- card_pkg (the card's pkg name). Returns { name, results, failures, aggregated, summary[, card_id] }.
function M.eval(scenario, strategy, opts)
  opts = opts or {}
  if type(strategy) ~= "string" then error("alc.eval: strategy must be a strategy name", 2) end
  local sc, sc_name = resolve(scenario)
  local provider = M.providers.algocline { strategy = strategy, opts = opts.strategy_opts }
  local report = run_cases(strategy .. ":" .. sc_name, bindings_of(sc), sc.cases or {}, provider)
  if opts.auto_card and type(alc.card) == "table" and type(alc.card.create) == "function" then
    local agg = report.aggregated
    local card = alc.card.create({
      pkg = { name = opts.card_pkg or strategy },
      scenario = { name = sc_name },
      stats = { pass_rate = agg.pass_rate, n = agg.total, mean = agg.scores.mean, by_bucket = agg.by_tag },
    })
    local samples = {}
    for i, r in ipairs(report.results) do
      samples[i] = { case = r.name, passed = r.passed, score = r.score, response = r.response }
    end
    alc.card.write_samples(card.card_id, samples)
    report.card_id = card.card_id
  end
  return report
end

return M
