-- sandbox/json.lua: the engine's JSON encoder (sorted keys, compact; decoding happens in
-- Python). Loaded by boot.lua on the first encode of a session (a result, a table argument of an
-- alc.* function, alc.json_encode), called with boot's internals; returns encode(v).
local I = ...
local raw, NULL, ARRAY_MT = I.raw, I.NULL, I.ARRAY_MT

local escapes = {
  ['"'] = '\\"', ['\\'] = '\\\\', ['\b'] = '\\b', ['\f'] = '\\f',
  ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t',
}
local function escape_char(c)
  return escapes[c] or raw.format("\\u%04x", raw.byte(c))
end
local function encode_string(s)
  return '"' .. (raw.gsub(s, '[%c"\\]', escape_char)) .. '"'
end

local MAX_DEPTH = 500
local encode_value
local path = {}  -- keys from the root to the value being encoded, for error messages

local function where(depth)
  local parts = { "$" }
  local first = 1
  if depth > 8 then parts[2], first = "...", depth - 7 end
  for i = first, depth do
    local k = path[i]
    if raw.mtype(k) == "integer" then
      parts[#parts + 1] = "[" .. k .. "]"
    else
      parts[#parts + 1] = "." .. raw.tostring(k)
    end
  end
  return raw.concat(parts)
end

local function encode_table(t, stack, depth)
  if depth >= MAX_DEPTH then
    raw.error("alc.json_encode: cannot encode a value nested deeper than " .. MAX_DEPTH ..
      " levels (at " .. where(depth) .. ")", 0)
  end
  if stack[t] then
    raw.error("alc.json_encode: cannot encode a cyclic table (at " .. where(depth) .. ")", 0)
  end
  stack[t] = true
  local n, count, max = raw.rawlen(t), 0, 0
  for k in raw.next, t do
    count = count + 1
    if raw.mtype(k) == "integer" and k > max then max = k end
  end
  local out = {}
  if raw.rawequal(raw.getmetatable(t), ARRAY_MT) or (count > 0 and count == n and max == n) then
    -- a decoded array keeps its length across null holes ([1,null,3] decodes to {1, nil, 3})
    if max > n then n = max end
    for i = 1, n do
      path[depth + 1] = i
      out[i] = encode_value(raw.rawget(t, i), stack, depth + 1)
    end
    stack[t] = nil
    return "[" .. raw.concat(out, ",") .. "]"
  end
  local keys, originals = {}, {}
  for k in raw.next, t do
    local kt = raw.type(k)
    if kt == "string" then
      keys[#keys + 1] = k
    elseif kt == "number" then
      local ks = raw.tostring(k)
      keys[#keys + 1] = ks
      originals[ks] = k
    else
      raw.error("alc.json_encode: cannot encode a " .. kt .. " key (at " .. where(depth) .. ")", 0)
    end
  end
  raw.sort(keys)
  for i = 1, #keys do
    local ks = keys[i]
    local v = raw.rawget(t, ks)
    if v == nil and originals[ks] ~= nil then v = raw.rawget(t, originals[ks]) end
    path[depth + 1] = ks
    out[i] = encode_string(ks) .. ":" .. encode_value(v, stack, depth + 1)
  end
  stack[t] = nil
  return "{" .. raw.concat(out, ",") .. "}"
end

encode_value = function(v, stack, depth)
  local vt = raw.type(v)
  if vt == "string" then
    return encode_string(v)
  elseif vt == "number" then
    if v ~= v or v == raw.huge or v == -raw.huge then return "null" end
    if raw.mtype(v) == "integer" then return raw.format("%d", v) end
    local s = raw.format("%.17g", v)
    if not raw.find(s, "[%.eEn]") then s = s .. ".0" end
    return s
  elseif vt == "boolean" then
    return v and "true" or "false"
  elseif vt == "nil" or raw.rawequal(v, NULL) then
    return "null"
  elseif vt == "table" then
    return encode_table(v, stack, depth)
  end
  raw.error("alc.json_encode: cannot encode a " .. vt .. " value (at " .. where(depth) .. ")", 0)
end

return function(v)
  return encode_value(v, {}, 0)
end
