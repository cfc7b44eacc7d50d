-- core.lua: pure combinators and parsers (no LLM calls). Loaded on first use by prelude.lua.
local alc = ...

local find, sub, byte, format, gsub, gmatch, match, lower =
  string.find, string.sub, string.byte, string.format, string.gsub, string.gmatch,
  string.match, string.lower

local ARRAY_MT = getmetatable(mark_array({}))

--- alc.map(items, fn) -> array: fn(item, index) for every item of the array part.
function alc.map(items, fn)
  local out = mark_array({})
  for i, item in ipairs(items) do out[i] = fn(item, i) end
  return out
end

--- alc.reduce(items, fn, init) -> value: fold with fn(acc, item, index); no init = items[1].
function alc.reduce(items, fn, init)
  local acc, start = init, 1
  if acc == nil then acc, start = items[1], 2 end
  for i = start, #items do acc = fn(acc, items[i], i) end
  return acc
end

--- alc.filter(items, fn) -> array of the items for which fn(item, index) is truthy.
function alc.filter(items, fn)
  local out = mark_array({})
  for i, item in ipairs(items) do
    if fn(item, i) then out[#out + 1] = item end
  end
  return out
end

--- alc.vote(answers) -> {winner, count, total}: majority over tostring(answer) with surrounding
--- whitespace trimmed; ties go to the answer seen first; winner is nil for no answers.
function alc.vote(answers)
  local counts, order = {}, {}
  for _, a in ipairs(answers) do
    local key = gsub(gsub(tostring(a), "^%s+", ""), "%s+$", "")
    if counts[key] == nil then
      counts[key] = 0
      order[#order + 1] = key
    end
    counts[key] = counts[key] + 1
  end
  local winner, best = nil, 0
  for _, key in ipairs(order) do
    if counts[key] > best then winner, best = key, counts[key] end
  end
  return { winner = winner, count = best, total = #answers }
end

--- alc.parse_score(text, default=5) -> integer: the first run of digits, clamped to 1..10.
function alc.parse_score(text, default)
  if default == nil then default = 5 end
  local n = tonumber(match(tostring(text), "%d+"))
  if n == nil then return default end
  if n < 1 then return 1 end
  if n > 10 then return 10 end
  return n
end

--- alc.parse_number(text, pattern) -> number|nil: the first (optionally negative, decimal)
--- number, or tonumber of pattern's first capture.
function alc.parse_number(text, pattern)
  if type(text) ~= "string" then return nil end
  if pattern then return tonumber((match(text, pattern))) end
  return tonumber((match(text, "%-?%d+%.?%d*")))
end

-- JSON extraction --------------------------------------------------------------------------

local json_decode = alc.json_decode
local MAX_SCAN = 64 -- string-aware fallback: at most this many opening brackets are tried

local function decode_table(text)
  local ok, value = pcall(json_decode, text)
  if ok and type(value) == "table" then return value end
  return nil
end

-- the end of the balanced {...} or [...] opening at i, skipping brackets inside JSON strings
local function balanced_end(s, i)
  local depth, in_string, escaped = 0, false, false
  for j = i, #s do
    local c = byte(s, j)
    if in_string then
      if escaped then escaped = false
      elseif c == 92 then escaped = true -- backslash
      elseif c == 34 then in_string = false end
    elseif c == 34 then in_string = true
    elseif c == 123 or c == 91 then depth = depth + 1
    elseif c == 125 or c == 93 then
      depth = depth - 1
      if depth == 0 then return j end
    end
  end
  return nil
end

--- alc.json_extract(raw) -> table|nil: JSON object or array found in LLM output. Tries, in
--- order: the whole text; a ```json fenced block (then any ``` block); every balanced {...}
--- (Lua %b); every balanced [...]; then each opening bracket with a string-aware scan.
function alc.json_extract(raw)
  if type(raw) ~= "string" then return nil end
  local found = decode_table(raw)
  if found then return found end
  local fenced = match(raw, "```json%s*(.-)%s*```") or match(raw, "```%s*(.-)%s*```")
  if fenced then
    found = decode_table(fenced)
    if found then return found end
  end
  for candidate in gmatch(raw, "%b{}") do
    found = decode_table(candidate)
    if found then return found end
  end
  for candidate in gmatch(raw, "%b[]") do
    found = decode_table(candidate)
    if found then return found end
  end
  local pos, tries = 1, 0
  while tries < MAX_SCAN do
    local start = find(raw, "[%[{]", pos)
    if start == nil then break end
    tries = tries + 1
    local stop = balanced_end(raw, start)
    if stop then
      found = decode_table(sub(raw, start, stop))
      if found then return found end
    end
    pos = start + 1
  end
  return nil
end

--- alc.fingerprint(text) -> 8 hex chars: DJB2 (32 bit) of the text lowercased, with runs of
--- whitespace collapsed to one space and the ends trimmed. fingerprint("hello") == "0f923099".
function alc.fingerprint(text)
  local s = gsub(gsub(gsub(lower(tostring(text)), "%s+", " "), "^ ", ""), " $", "")
  local h = 5381
  for i = 1, #s do h = (h * 33 + byte(s, i)) & 0xffffffff end
  return format("%08x", h)
end

--- alc.budget_check() -> boolean: false once any budget dimension is used up, or once the
--- budget refused a call (refusals are sticky).
function alc.budget_check()
  local r = alc.budget_remaining()
  if r == nil then return true end
  if r.exceeded then return false end
  for _, k in ipairs({ "llm_calls", "elapsed_ms", "tokens" }) do
    local v = r[k]
    if type(v) == "number" and v <= 0 then return false end
  end
  return true
end

--- alc.tuning(defaults, ctx, opts) -> table: defaults overridden by ctx (or by ctx[opts.prefix]
--- when that is a table; a missing one falls back to ctx itself, as in algocline);
--- dict-like tables merge recursively, arrays and scalars are replaced, _schema is dropped.
local function is_dict(t)
  return type(t) == "table" and t[1] == nil and not rawequal(getmetatable(t), ARRAY_MT)
end

local function tuning(defaults, source)
  local out = {}
  for k, v in pairs(defaults) do
    if k ~= "_schema" then
      local override = source[k]
      if override == nil then
        out[k] = v
      elseif is_dict(v) and is_dict(override) then
        out[k] = tuning(v, override)
      else
        out[k] = override
      end
    end
  end
  return out
end

function alc.tuning(defaults, ctx, opts)
  if type(defaults) ~= "table" then return defaults end
  local source = ctx
  if type(source) ~= "table" then source = {} end
  local prefix = opts and opts.prefix
  if prefix ~= nil then
    local ns = source[prefix]
    if type(ns) == "table" then
      source = ns
    elseif ns ~= nil then
      alc.log("warn", "alc.tuning: ctx." .. tostring(prefix) .. " is not a table, ignoring it")
      source = {}
    end
  end
  return tuning(defaults, source)
end

-- safe formatting ----------------------------------------------------------------------------

local FMT_MAX_BYTES = 16 * 1024 * 1024 -- the most alc.fmt returns
local INTEGER_CONVERSIONS = { d = true, i = true, u = true, o = true, x = true, X = true, c = true }
local CONVERSIONS = "^[aAcdeEfgGiopqsuxX]$"
local floor, mtype, tointeger, huge, concat = math.floor, math.type, math.tointeger, math.huge,
  table.concat

-- what an integer conversion shows for v: an integer (a float rounded half away from zero, a
-- numeric string converted), or "NaN" / "Inf" / "-Inf" (then shown with %s)
local function integer_value(v, n, spec)
  if type(v) == "string" then
    local parsed = tonumber(v)
    if parsed == nil then
      error(format("alc.fmt: bad argument #%d to '%s' (a number expected, got the string %q)",
        n, spec, sub(v, 1, 40)), 0)
    end
    v = parsed
  elseif type(v) ~= "number" then
    error(format("alc.fmt: bad argument #%d to '%s' (a number expected, got %s)", n, spec,
      type(v)), 0)
  end
  if v ~= v then return "NaN" end
  if v == huge then return "Inf" end
  if v == -huge then return "-Inf" end
  if mtype(v) == "integer" then return v end
  local rounded = tointeger(v >= 0 and floor(v + 0.5) or -floor(-v + 0.5))
  if rounded == nil then
    error(format("alc.fmt: bad argument #%d to '%s' (%s is out of the integer range)", n, spec,
      tostring(v)), 0)
  end
  return rounded
end

-- one conversion: flags, width and precision as parsed, conversion letter, its argument
local function convert(flags, width, precision, conv, v, n)
  local spec = "%" .. flags .. width .. precision .. conv
  if conv == "s" and v == nil then
    v = "<nil>"
  elseif INTEGER_CONVERSIONS[conv] then
    v = integer_value(v, n, spec)
    if type(v) == "string" then -- NaN / Inf: keep the width and the '-' flag, show as text
      spec = "%" .. (find(flags, "-", 1, true) and "-" or "") .. width .. "s"
    end
  end
  local ok, out = pcall(format, spec, v)
  if not ok then
    local why = match(tostring(out), "%((.*)%)$") or tostring(out)
    error(format("alc.fmt: bad argument #%d to '%s' (%s)", n, spec, why), 0)
  end
  return out
end

--- alc.fmt(fmt, ...) -> string: string.format that never fails on LLM-derived numbers. Integer
--- conversions (%d %i %u %o %x %X %c) round floats half away from zero, convert numeric
--- strings, and show NaN / Inf / -Inf as text; %s shows nil as "<nil>"; every other
--- conversion is string.format's. A bad format or argument is an error naming both.
function alc.fmt(fmt, ...)
  if type(fmt) ~= "string" then
    error("alc.fmt: the format must be a string, got " .. type(fmt), 2)
  end
  local n, args = select("#", ...), { ... }
  local out, total, argi, pos = {}, 0, 0, 1
  local function push(piece)
    total = total + #piece
    if total > FMT_MAX_BYTES then
      error(format("alc.fmt: the result would be more than %d bytes", FMT_MAX_BYTES), 0)
    end
    out[#out + 1] = piece
  end
  while true do
    local at = find(fmt, "%", pos, true)
    push(sub(fmt, pos, at and at - 1 or #fmt))
    if at == nil then break end
    if sub(fmt, at + 1, at + 1) == "%" then
      push("%")
      pos = at + 2
    else
      local flags, width, precision, conv = match(fmt, "^%%([-+ #0]*)(%d*)(%.?%d*)(.?)", at)
      if not find(conv, CONVERSIONS) then
        error(format("alc.fmt: invalid conversion '%s' in the format",
          sub(fmt, at, at + #flags + #width + #precision + 1)), 2)
      end
      argi = argi + 1
      if argi > n and conv ~= "s" then
        error(format("alc.fmt: bad argument #%d to '%%%s' (no value)", argi + 1, conv), 2)
      end
      push(convert(flags, width, precision, conv, args[argi], argi + 1))
      pos = at + 1 + #flags + #width + #precision + #conv
    end
  end
  return concat(out)
end

--- alc.log_fmt(level, fmt, ...): alc.log(level, alc.fmt(fmt, ...)).
function alc.log_fmt(level, fmt, ...)
  return alc.log(level, alc.fmt(fmt, ...))
end
