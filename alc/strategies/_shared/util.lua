--- Shared helpers of the built-in strategies: ctx validation, list parsing, prompt building.
---
--- Not a strategy (no init.lua): built-ins load it with `require("_shared.util")`.
--- Everything here is plain Lua over the documented alc.* API; no helper calls alc.llm.
local U = {}

local function fail(name, msg)
  error(name .. ": " .. msg, 0)
end
U.fail = fail

--- Trim leading and trailing white space.
function U.trim(s)
  return (tostring(s):gsub("^%s+", ""):gsub("%s+$", ""))
end

--- ctx.task as a non-empty string, or a clear error.
function U.task(name, ctx)
  if type(ctx) ~= "table" then fail(name, "ctx must be a table") end
  local task = ctx.task
  if task == nil or task == alc.NULL then fail(name, "ctx.task is required") end
  if type(task) ~= "string" then fail(name, "ctx.task must be a string") end
  if U.trim(task) == "" then fail(name, "ctx.task must not be empty") end
  return task
end

local function present(v)
  return v ~= nil and v ~= alc.NULL
end
U.present = present

--- ctx[key] as an integer >= lo (1: "positive", 0: "non-negative"), at most `max` when given;
--- the default when absent.
local function integer(name, ctx, key, default, lo, max)
  local v = ctx[key]
  if not present(v) then return default end
  if type(v) ~= "number" or v ~= math.floor(v) or v < lo then
    fail(name, key .. (lo == 1 and " must be a positive integer" or " must be a non-negative integer"))
  end
  v = math.tointeger(v) or v
  if max and v > max then fail(name, key .. " must be at most " .. max) end
  return v
end

function U.pos_int(name, ctx, key, default, max) return integer(name, ctx, key, default, 1, max) end
function U.nonneg_int(name, ctx, key, default, max) return integer(name, ctx, key, default, 0, max) end

--- ctx[key] as a number in [lo, hi] (default when absent).
function U.number(name, ctx, key, default, lo, hi)
  local v = ctx[key]
  if not present(v) then return default end
  if type(v) ~= "number" or v ~= v then fail(name, key .. " must be a number") end
  if (lo and v < lo) or (hi and v > hi) then
    fail(name, string.format("%s must be between %s and %s", key, tostring(lo), tostring(hi)))
  end
  return v
end

--- ctx[key] as a non-empty string (default when absent).
function U.string(name, ctx, key, default)
  local v = ctx[key]
  if not present(v) then return default end
  if type(v) ~= "string" or U.trim(v) == "" then
    fail(name, key .. " must be a non-empty string")
  end
  return v
end

--- ctx[key] as a boolean (default when absent).
function U.boolean(name, ctx, key, default)
  local v = ctx[key]
  if not present(v) then return default end
  if type(v) ~= "boolean" then fail(name, key .. " must be a boolean") end
  return v
end

--- ctx[key] as one of `choices` (default when absent).
function U.choice(name, ctx, key, default, choices)
  local v = ctx[key]
  if not present(v) then return default end
  for _, c in ipairs(choices) do
    if v == c then return v end
  end
  fail(name, key .. " must be one of: " .. table.concat(choices, ", "))
end

--- ctx[key] as a list of non-empty strings (default when absent), at least `min` long.
function U.string_list(name, ctx, key, default, min)
  local v = ctx[key]
  if not present(v) then return default end
  min = min or 1
  if type(v) ~= "table" then fail(name, key .. " must be a list of strings") end
  local out = {}
  for i = 1, #v do
    if type(v[i]) ~= "string" or U.trim(v[i]) == "" then
      fail(name, key .. " must be a list of non-empty strings (item " .. i .. " is not)")
    end
    out[i] = v[i]
  end
  if #out < min then
    fail(name, key .. " must hold at least " .. min .. " item" .. (min == 1 and "" or "s"))
  end
  return out
end

--- A new empty list that stays a JSON array ([]) when it remains empty.
function U.list()
  return alc.json_decode("[]")
end

--- Store the result in ctx.result (algocline convention) and return it.
function U.finish(ctx, result)
  ctx.result = result
  return result
end

--- "1. a\n2. b" from a list of strings (or of tables via `fn(item) -> string`).
function U.numbered(items, fn, fmt)
  local out = {}
  fmt = fmt or "%d. %s"
  for i, item in ipairs(items) do
    out[i] = string.format(fmt, i, fn and fn(item, i) or tostring(item))
  end
  return table.concat(out, "\n")
end

--- Items of a list written by an LLM: a JSON array of strings (or of objects with a text-like
--- field), else numbered / bulleted lines, else (lenient) every non-empty line.
--- Returns at most `max` items (all when nil) and whether the list was recognised.
function U.parse_list(text, max, fields)
  local items = U.list()
  local function add(s)
    s = U.trim(s)
    if s ~= "" and (max == nil or #items < max) then items[#items + 1] = s end
  end
  if type(text) ~= "string" then return items, false end
  local data = alc.json_extract(text)
  if type(data) == "table" then
    local list = data
    if data[1] == nil then
      for _, k in ipairs({ "items", "questions", "subtasks", "subproblems", "points", "facts",
        "claims", "observations", "steps" }) do
        if type(data[k]) == "table" then list = data[k] break end
      end
    end
    for _, v in ipairs(list) do
      if type(v) == "string" then
        add(v)
      elseif type(v) == "table" then
        for _, f in ipairs(fields or { "text", "question", "subtask", "point", "fact", "claim",
          "observation", "step", "description" }) do
          if type(v[f]) == "string" then add(v[f]) break end
        end
      end
    end
    if #items > 0 then return items, true end
  end
  local marked = false
  for line in text:gmatch("[^\r\n]+") do
    local body = line:match("^%s*%d+[%.%):]%s+(.+)$")
      or line:match("^%s*[%-%*%+•]%s+(.+)$")
      or line:match("^%s*[Qq]%d+[%.%):]%s*(.+)$")
    if body then
      marked = true
      add((body:gsub("^%*%*(.-)%*%*", "%1")))
    end
  end
  if marked then return items, true end
  for line in text:gmatch("[^\r\n]+") do add(line) end
  return items, false
end

--- Which of two options ("A" / "B") an answer picks: the last stand-alone A or B wins
--- (so "A is weaker, so B" picks B); also reads "Passage A", "Response B", "first"/"second".
--- Returns "A", "B" or nil.
function U.pick_ab(text)
  if type(text) ~= "string" then return nil end
  local last, pos = nil, 0
  for start, letter in text:gmatch("()%f[%w]([AB])%f[%W]") do
    if start >= pos then last, pos = letter, start end
  end
  if last then return last end
  local lower = text:lower()
  local f, s = lower:find("first", 1, true), lower:find("second", 1, true)
  if f and not s then return "A" end
  if s and not f then return "B" end
  return nil
end

--- A yes/no verdict that leads its answer ("True. Because ... not ..."): the first word when
--- it is yes-like or no-like, else alc.match_bool over the first line. Returns true, false or nil.
local LEADING = {
  ["true"] = true, yes = true, supported = true, correct = true, pass = true,
  ["false"] = false, no = false, unsupported = false, incorrect = false, fail = false,
}
function U.leading_bool(text)
  if type(text) ~= "string" then return nil end
  local word = text:match("^[%s%p]*(%a+)")
  if word and LEADING[word:lower()] ~= nil then return LEADING[word:lower()] end
  return alc.match_bool(text:match("^%s*([^\r\n]*)") or text)
end

--- A confidence in [0, 1] from text: "0.85", "85%", "8/10", "CONFIDENCE: 9" (out of 10).
--- Returns nil when the text holds no number.
function U.parse_confidence(text)
  if type(text) ~= "string" then return nil end
  local tail = text:match("[Cc][Oo][Nn][Ff][Ii][Dd][Ee][Nn][Cc][Ee]%s*[:=%-]?%s*(.*)$") or text
  local num, den = tail:match("(%d+%.?%d*)%s*/%s*(%d+%.?%d*)")
  if num then
    local n, d = tonumber(num), tonumber(den)
    if d and d > 0 then return math.max(0, math.min(1, n / d)) end
  end
  local pct = tail:match("(%d+%.?%d*)%s*%%")
  if pct then return math.max(0, math.min(1, tonumber(pct) / 100)) end
  local n = alc.parse_number(tail)
  if n == nil then return nil end
  if n > 1 and n <= 10 then return n / 10 end
  if n > 10 then return math.min(1, n / 100) end
  return math.max(0, n)
end

--- Text after a "LABEL:" marker (the last one), up to the next line that starts another
--- upper-case label, or nil.
function U.after_label(text, label)
  if type(text) ~= "string" then return nil end
  local found
  local pattern = "%f[%w]" .. label .. "%s*:%s*"
  local init = 1
  while true do
    local _, e = text:find(pattern, init)
    if not e then break end
    found, init = e + 1, e + 1
  end
  if not found then return nil end
  local rest = text:sub(found)
  local cut = rest:find("\n%s*[A-Z][A-Z_ ]+:")
  if cut then rest = rest:sub(1, cut - 1) end
  rest = U.trim(rest)
  if rest == "" then return nil end
  return rest
end

--- The final answer of a reasoning text: after the last "Answer:" marker, else the last
--- non-empty line. Trailing punctuation and markdown emphasis are stripped.
function U.final_answer(text)
  if type(text) ~= "string" then return "" end
  local ans = U.after_label(text, "[Ff]inal [Aa]nswer") or U.after_label(text, "[Aa][Nn][Ss][Ww][Ee][Rr]")
  if ans == nil then
    local boxed = text:match("\\boxed{([^}]*)}")
    if boxed then ans = boxed end
  end
  if ans == nil then
    for line in text:gmatch("[^\r\n]+") do
      if U.trim(line) ~= "" then ans = line end
    end
  end
  ans = ans or ""
  ans = ans:match("^[^\r\n]*") or ans
  ans = U.trim(ans:gsub("%*%*", ""):gsub("^[\"']", ""):gsub("[\"']$", ""))
  ans = ans:gsub("[%.!;,]+$", "")
  return U.trim(ans)
end

--- Vote key of an answer: lower case, collapsed white space, no trailing punctuation,
--- numbers without thousands separators or trailing ".0".
function U.normalize(answer)
  local s = U.trim(tostring(answer)):lower():gsub("%s+", " "):gsub("[%.!?;,:]+$", "")
  s = s:gsub("^%$", ""):gsub("(%d),(%d%d%d)", "%1%2")
  local n = tonumber(s)
  if n then
    if n == math.floor(n) then return string.format("%d", n) end
    return tostring(n)
  end
  return s
end

--- Excerpt of a text for logs.
function U.excerpt(text, n)
  text = tostring(text):gsub("%s+", " ")
  n = n or 60
  if #text <= n then return text end
  return text:sub(1, n) .. "..."
end

return U
