-- boot.lua: turns a fresh Lua state into one alc session sandbox.
--
-- Run once per VM by alc/engine/lua.py with two arguments:
--   host  the Python side: call(name, kinds, ...) for Host methods, primitive(path, kinds, ...)
--         for installed primitives, settle, monotonic (never reachable by strategy code)
--   cfg   {math_seed, hook_every, max_output_bytes, max_step_seconds}
-- and returns the control table the engine drives the session with:
--   control.start(fn, ...)   create the strategy coroutine
--   control.step(deadline, max_ticks, lifted, ...)  resume it (see "The step protocol")
--   control.encode(v)        JSON text of a Lua value (sorted keys, alc.NULL -> null)
--   control.mark_array(t)    give t the array metatable (so it encodes as [] even when empty)
--
-- The step protocol, stated once (read by LuaVM._result in lua.py into the step result classes
-- named on the right). control.step returns the ticks the step used (units of hook_every
-- instructions), then a kind string and a fixed shape for that kind:
--   "yield", then 5 values per query, n >= 1 queries:                               -> Yield
--            prompt (string), system (string or nil), max_tokens (integer),
--            flags (integer bitmask: 1 = opts.grounded, 2 = opts.underspecified),
--            extra (JSON text of the other opts, role and cache_breakpoint included, or nil)
--   "fork",  strategies (JSON array of names), ctx (JSON object),                   -> Forked
--            on_error ("skip" or "abort")
--   "done",  result (JSON text)                                                      -> Done
--   "error", message (string or nil), error object (JSON text or nil),               -> Errored
--            traceback (string, may be empty)
--   "limit", code ("timeout" or "memory_limit"), message (string)                    -> LimitHit
-- The strategy coroutine yields REQUEST followed by a yield's fields, or REQUEST, FORK and a
-- fork's fields; finish_step turns that into "yield" / "fork".
--
-- The pause rule, stated once: alc.llm and alc.llm_batch pause the session; nothing else does.
--
-- Isolation rules this file keeps (docs/operations.md, "Security"):
--   * engine code calls only functions captured in `raw` at boot, never through the string
--     metatable or globals a strategy can replace;
--   * every conversion of a strategy value (results, error objects, primitive arguments) runs
--     inside the strategy coroutine, under the limit hook, with raw table access (no __pairs,
--     __index, __len, __eq or __tostring of the engine's own accord);
--   * no strategy value gets a __gc finalizer (finalizers run with hooks off, even after the
--     session ended);
--   * Python pushes values into the VM only with the allocator cap lifted, and the cap is
--     restored (and checked) by `settle` right after, so a full heap is memory_limit, never a
--     PANIC.
local host, cfg = ...

local raw = {
  resume = coroutine.resume, yield = coroutine.yield, create = coroutine.create,
  status = coroutine.status, wrap = coroutine.wrap, running = coroutine.running,
  sethook = debug.sethook, traceback = debug.traceback, load = load,
  type = type, error = error, select = select, pack = table.pack, unpack = table.unpack,
  getmetatable = getmetatable, setmetatable = setmetatable, tostring = tostring,
  pairs = pairs, next = next, rawequal = rawequal, sort = table.sort, concat = table.concat,
  format = string.format, tonumber = tonumber, mtype = math.type, huge = math.huge, os_time = os.time,
  os_date = os.date, floor = math.floor, randomseed = math.randomseed,
  gsub = string.gsub, byte = string.byte, find = string.find, sub = string.sub,
  rawget = rawget, rawset = rawset, rawlen = rawlen, xpcall = xpcall, pcall = pcall,
  collectgarbage = collectgarbage,
}
local settle = host.settle

---------------------------------------------------------------------------------------------
-- values shared with Python
---------------------------------------------------------------------------------------------
local NULL = raw.setmetatable({}, {
  __name = "alc.NULL",
  __tostring = function() return "null" end,
  __newindex = function() raw.error("alc.NULL is read-only", 2) end,
  __metatable = "alc.NULL",
})
local ARRAY_MT = { __name = "alc.array" }
local REQUEST = {}

local function mark_array(t)
  if raw.getmetatable(t) == nil then raw.setmetatable(t, ARRAY_MT) end
  return t
end

---------------------------------------------------------------------------------------------
-- JSON encoding (sorted keys, compact); decoding happens in Python
---------------------------------------------------------------------------------------------
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

local function encode(v)
  return encode_value(v, {}, 0)
end

---------------------------------------------------------------------------------------------
-- instruction and wall-time limits: a count hook on every strategy coroutine, made sticky
---------------------------------------------------------------------------------------------
local monotonic = host.monotonic
local ticks, max_ticks, deadline, tripped, tripped_message = 0, 0, 0, nil, nil

local function limit_hook()
  if tripped == nil then
    ticks = ticks + 1
    if ticks > max_ticks then
      tripped = "timeout"
      tripped_message = raw.format(
        "step exceeded the instruction limit (%d instructions)", max_ticks * cfg.hook_every)
    elseif monotonic() > deadline then
      tripped = "timeout"
      tripped_message = raw.format(
        "step exceeded the wall-time limit (%.1f s)", cfg.max_step_seconds)
    else
      return
    end
  end
  -- sticky: from now on every instruction fails, so pcall cannot swallow the limit
  raw.sethook(limit_hook, "", 1)
  raw.error(tripped_message, 0)
end

-- trip(code, message): break a limit from engine code running in the strategy coroutine
local function trip(code, message)
  if tripped == nil then tripped, tripped_message = code, message end
  raw.sethook(limit_hook, "", 1)
  raw.error(tripped_message, 0)
end

local function guard(co)
  raw.sethook(co, limit_hook, "", cfg.hook_every)
  return co
end

local MEMORY_MESSAGE = "the strategy needed more than its memory limit"

-- after Python pushed values with the allocator cap lifted: restore the cap; a heap still over
-- it after a full collection breaks the memory limit
local function over_cap()
  if not settle() then return false end
  raw.collectgarbage("collect")
  return settle()
end

local function check_output(bytes, what)
  if bytes > cfg.max_output_bytes then
    trip("memory_limit", raw.format(
      "%s carries %d bytes, more than Limits.max_output_bytes (%d)", what, bytes,
      cfg.max_output_bytes))
  end
end

---------------------------------------------------------------------------------------------
-- coroutines: strategy code may use its own; engine requests yielded inside them pass through
---------------------------------------------------------------------------------------------
local function pass_through(co, ok, first, ...)
  if ok and first == REQUEST and raw.status(co) == "suspended" then
    return pass_through(co, raw.resume(co, raw.yield(REQUEST, ...)))
  end
  return ok, first, ...
end

local sandbox_coroutine = {
  create = function(f) return guard(raw.create(f)) end,
  resume = function(co, ...) return pass_through(co, raw.resume(co, ...)) end,
  yield = raw.yield,
  status = raw.status,
  running = raw.running,
  isyieldable = coroutine.isyieldable,
  close = coroutine.close,
}
sandbox_coroutine.wrap = function(f)
  local co = sandbox_coroutine.create(f)
  return function(...)
    local r = raw.pack(sandbox_coroutine.resume(co, ...))
    if not r[1] then raw.error(r[2], 0) end
    return raw.unpack(r, 2, r.n)
  end
end

---------------------------------------------------------------------------------------------
-- host calls: Python returns (true, value) or (false, message); failures become Lua errors
---------------------------------------------------------------------------------------------
local function checked(ok, ...)
  if over_cap() then trip("memory_limit", MEMORY_MESSAGE) end
  if not ok then raw.error((...), 3) end
  return ...
end

-- arguments for Python: tables travel as JSON text (encoded here, under the limit hook, with
-- raw access), so Python never calls back into the VM to read a strategy value
local function pack_args(...)
  local n = raw.select("#", ...)
  if n == 0 then return "" end
  local args, kinds = raw.pack(...), {}
  for i = 1, n do
    local v = args[i]
    local vt = raw.type(v)
    if vt == "table" then
      kinds[i] = "j"
      args[i] = encode(v)
      if #args[i] > cfg.max_output_bytes then
        raw.error(raw.format("an argument of an alc function is %d bytes of JSON, more than " ..
          "Limits.max_output_bytes (%d)", #args[i], cfg.max_output_bytes), 3)
      end
    elseif vt == "string" and #v > cfg.max_output_bytes then
      raw.error(raw.format("an argument of an alc function is a string of %d bytes, more than " ..
        "Limits.max_output_bytes (%d)", #v, cfg.max_output_bytes), 3)
    elseif vt == "function" or vt == "thread" or vt == "userdata" then
      kinds[i] = "x"
      args[i] = vt
    else
      kinds[i] = "v"
    end
  end
  return raw.concat(kinds), raw.unpack(args, 1, n)
end

local host_call, host_primitive = host.call, host.primitive

local function host_fn(name)
  return function(...) return checked(host_call(name, pack_args(...))) end
end

---------------------------------------------------------------------------------------------
-- the alc table: engine-owned primitives (the stdlib fills in the rest)
---------------------------------------------------------------------------------------------
local alc = { NULL = NULL, state = {}, stats = {}, math = {} }
local now = host_fn("now")

local MAX_TOKENS = 2147483647  -- opts.max_tokens range (a 32-bit count every host can take)
local MAX_BATCH = 10000        -- queries in one alc.llm_batch pause
local MAX_FORK = 64            -- child strategies in one alc.fork

local function llm_item(prompt, opts, where)
  if raw.type(prompt) ~= "string" then
    raw.error(where .. ": prompt must be a string, got " .. raw.type(prompt), 3)
  end
  local system, max_tokens, flags, extra = nil, 1024, 0, nil
  if opts ~= nil then
    if raw.type(opts) ~= "table" then
      raw.error(where .. ": opts must be a table, got " .. raw.type(opts), 3)
    end
    for k, v in raw.next, opts do
      if k == "system" then
        local null = raw.rawequal(v, NULL)
        if v ~= nil and not null and raw.type(v) ~= "string" then
          raw.error(where .. ": opts.system must be a string", 3)
        end
        if not null then system = v end
      elseif k == "max_tokens" then
        if raw.mtype(v) == nil or not (v >= 1 and v <= MAX_TOKENS) then
          raw.error(where .. ": opts.max_tokens must be a number from 1 to " .. MAX_TOKENS, 3)
        end
        max_tokens = raw.floor(v)
      elseif k == "grounded" then
        if v then flags = flags | 1 end
      elseif k == "underspecified" then
        if v then flags = flags | 2 end
      elseif k == "role" or k == "cache_breakpoint" then
        -- shown to the driver as top-level fields of the query (algocline), not under options
        if not raw.rawequal(v, NULL) then
          if raw.type(v) ~= "string" then
            raw.error(where .. ": opts." .. k .. " must be a string", 3)
          end
          extra = extra or {}
          extra[k] = v
        end
      else
        extra = extra or {}
        extra[k] = v
      end
    end
  end
  return prompt, system, max_tokens, flags, extra and encode(extra) or nil
end

local function item_bytes(p, s, x)
  return #p + (s and #s or 0) + (x and #x or 0)
end

-- the engine resumes a pause it refuses (ctx.budget would be exceeded) with a table
-- {budget_exceeded = message} instead of the answers: raise it as a catchable Lua error. The
-- refusal is sticky host-side (every later pause is refused too), so catching it never lets a
-- strategy spend past its budget.
local function answered(first, ...)
  if raw.type(first) == "table" then
    raw.error(raw.rawget(first, "budget_exceeded") or "budget exceeded", 0)
  end
  return first, ...
end

function alc.llm(prompt, opts)
  local p, s, m, f, x = llm_item(prompt, opts, "alc.llm")
  check_output(item_bytes(p, s, x), "this alc.llm pause")
  return (answered(raw.yield(REQUEST, p, s, m, f, x)))
end

function alc.llm_batch(items)
  if raw.type(items) ~= "table" then
    raw.error("alc.llm_batch: expected a list of {prompt=..., ...} items", 2)
  end
  local n = raw.rawlen(items)
  if n == 0 then return mark_array({}) end
  if n > MAX_BATCH then
    raw.error("alc.llm_batch: at most " .. MAX_BATCH .. " items per batch, got " .. n, 2)
  end
  local flat, j, bytes = {}, 0, 0
  for i = 1, n do
    local item = items[i]
    local prompt, opts
    if raw.type(item) == "string" then
      prompt = item
    elseif raw.type(item) == "table" then
      prompt = item.prompt
      opts = {}
      for k, v in raw.next, item do if k ~= "prompt" then opts[k] = v end end
    else
      raw.error("alc.llm_batch: item " .. i .. " must be a string or a table", 2)
    end
    local p, s, m, f, x = llm_item(prompt, opts, "alc.llm_batch item " .. i)
    bytes = bytes + item_bytes(p, s, x)
    check_output(bytes, "this alc.llm_batch pause")
    flat[j + 1], flat[j + 2], flat[j + 3], flat[j + 4], flat[j + 5] = p, s, m, f, x
    j = j + 5
  end
  return mark_array({ answered(raw.yield(REQUEST, raw.unpack(flat, 1, j))) })
end

-- alc.fork: child strategies in their own VMs; the engine surfaces their queries as this
-- session's pauses and resumes here with the results in input order.
local FORK = {}
function alc.fork(strategies, ctx, opts)
  if raw.type(strategies) ~= "table" or raw.rawlen(strategies) == 0 then
    raw.error("alc.fork: expected a non-empty list of strategy names", 2)
  end
  if raw.rawlen(strategies) > MAX_FORK then
    raw.error("alc.fork: at most " .. MAX_FORK .. " strategies per fork", 2)
  end
  for i = 1, #strategies do
    if raw.type(strategies[i]) ~= "string" then
      raw.error("alc.fork: strategy " .. i .. " must be a name (string)", 2)
    end
  end
  if ctx ~= nil and raw.type(ctx) ~= "table" then raw.error("alc.fork: ctx must be a table", 2) end
  if opts ~= nil and raw.type(opts) ~= "table" then raw.error("alc.fork: opts must be a table", 2) end
  -- algocline: "skip" (the default; also any unknown value) reports a failed child and goes
  -- on; "abort" / "fail" stop the parent at the first failed child
  local on_error = opts and raw.rawget(opts, "on_error")
  if on_error == "abort" or on_error == "fail" then on_error = "abort" else on_error = "skip" end
  return (raw.yield(REQUEST, FORK, encode(mark_array({raw.unpack(strategies)})),
                    encode(ctx or {}), on_error))
end

local log = host_fn("log")
function alc.log(level, ...)
  local n = raw.select("#", ...)
  if n == 0 then
    return log("info", raw.tostring(level))
  end
  local parts = {}
  for i = 1, n do parts[i] = raw.tostring((raw.select(i, ...))) end
  return log(raw.tostring(level), raw.concat(parts, " "))
end

alc.json_encode = function(v) return encode(v) end
local decode = host_fn("json_decode")
alc.json_decode = function(s)
  if raw.type(s) ~= "string" then
    raw.error("alc.json_decode: expected a string, got " .. raw.type(s), 2)
  end
  return decode(s)
end

alc.time = now
local budget_remaining = host_fn("budget_remaining")
alc.budget_remaining = function() return budget_remaining() end
local progress = host_fn("progress")
alc.progress = function(step, total, msg) return progress(step, total, msg) end
local stats_record = host_fn("stats_record")
local stats_get = host_fn("stats_get")
alc.stats.record = function(key, value)
  if raw.type(key) ~= "string" then raw.error("alc.stats.record: key must be a string", 2) end
  return stats_record(key, encode(value))
end
alc.stats.get = function(key) return stats_get(key) end
local session_info = host_fn("session_info")
-- alc.stats.llm_calls(): queries this session issued so far (every alc.llm counts one, every
-- alc.llm_batch item one, fork children's included; a query refused by the budget does not)
alc.stats.llm_calls = function() return session_info("llm_calls") end

local state_op = host_fn("state")
local state_decode = host_fn("state_decode")
local function state_key(fname, key)
  if raw.type(key) ~= "string" then
    raw.error("alc.state." .. fname .. ": key must be a string, got " .. raw.type(key), 3)
  end
  return key
end
function alc.state.get(key, default)
  -- the host answers the stored JSON text, decoded here in the VM's own process (a value
  -- nested up to the 500 levels json_encode allows never crosses a process boundary as objects)
  local v = state_op("get", state_key("get", key))
  if v == nil then return default end
  return state_decode(v)
end
function alc.state.set(key, value) state_op("set", state_key("set", key), encode(value)) end
function alc.state.keys() return state_op("keys") end
function alc.state.delete(key) return state_op("delete", state_key("delete", key)) end
function alc.state.has(key) return state_op("has", state_key("has", key)) end
function alc.state.set_nx(key, value)
  return state_op("set_nx", state_key("set_nx", key), encode(value))
end
function alc.state.incr(key, delta, default)
  return state_op("incr", state_key("incr", key), delta or 1, default or 0)
end
function alc.state.update(key, fn, default)
  local value = fn(alc.state.get(key, default))
  alc.state.set(key, value)
  return value
end

-- the namespace-addressed operations (algocline >= 0.47): ns names any namespace
local function state_ns(fname, ns)
  if ns == nil then return nil end  -- the session's own (ctx._ns)
  if raw.type(ns) ~= "string" or ns == "" then
    raw.error("alc.state." .. fname .. ": namespace must be a non-empty string, got " ..
      raw.type(ns), 3)
  end
  return ns
end
function alc.state.list(ns) return state_op("list", state_ns("list", ns)) end
function alc.state.show(ns, key)
  return state_decode(state_op("show", state_ns("show", ns), state_key("show", key)))
end
function alc.state.reset(ns, key, opts)
  if opts ~= nil and raw.type(opts) ~= "table" then
    raw.error("alc.state.reset: opts must be a table {steps = {...}, fields = {...}}", 2)
  end
  return state_op("reset", state_ns("reset", ns), state_key("reset", key), opts or {})
end

-- alc.card: immutable run records in the engine's store (alc/engine/cards.py, docs/cards.md);
-- every call is one recorded effect, so replay never writes a card twice
local card_op = host_fn("card")
alc.card = {}
local CARD_OPS = { "create", "get", "list", "find", "append", "write_samples", "read_samples",
  "alias_set", "alias_list", "get_by_alias", "lineage" }
for i = 1, #CARD_OPS do
  local op = CARD_OPS[i]
  alc.card[op] = function(...) return card_op(op, ...) end
end

---------------------------------------------------------------------------------------------
-- sandboxed standard library
---------------------------------------------------------------------------------------------
raw.randomseed(cfg.math_seed)
local math_seed_counter = 0
math.randomseed = function(...)
  if raw.select("#", ...) > 0 then return raw.randomseed(...) end
  -- no argument would mean "random seed": keep it a deterministic function of the session seed
  math_seed_counter = math_seed_counter + 1
  return raw.randomseed(cfg.math_seed, math_seed_counter)
end
string.dump = nil

local function write_log(level)
  return function(...)
    local parts = {}
    for i = 1, raw.select("#", ...) do parts[i] = raw.tostring((raw.select(i, ...))) end
    log(level, raw.concat(parts))
  end
end

local function log_file(level)
  local write = write_log(level)
  local file = {}
  function file:write(...) write(...) return self end
  function file:flush() return self end
  function file:close() return true end
  function file:lines() return function() return nil end end
  function file:read() return nil end
  function file:setvbuf() return true end
  return file
end
local REFUSED = "file access is not permitted in an alc strategy (use alc.state to keep data)"
local sandbox_io = {
  stdout = log_file("info"),
  stderr = log_file("warn"),
  stdin = log_file("info"),
  open = function() return nil, REFUSED, 13 end,
  lines = function() raw.error(REFUSED, 2) end,
  popen = function() return nil, "running programs is not permitted in an alc strategy", 13 end,
  read = function() return nil end,
  close = function() return true end,
  tmpfile = function() return nil, REFUSED, 13 end,
  type = function(f) return nil end,
}
sandbox_io.write = function(...) sandbox_io.stdout:write(...) return sandbox_io.stdout end
sandbox_io.output = function() return sandbox_io.stdout end
sandbox_io.input = function() return sandbox_io.stdin end

local getenv = host_fn("getenv")
local clock = host_fn("clock")

-- os.date and os.time(table) in UTC whatever the process's time zone (TZ is not journaled, so
-- local time would make a replay under another zone diverge): os.date formats as with a
-- leading "!", os.time(table) reads the table as UTC (timegm) and normalises its fields
local function date_field(t, k, default)
  local v = raw.rawget(t, k)
  if v == nil then
    if default == nil then raw.error("field '" .. k .. "' missing in date table", 3) end
    return default
  end
  local n = raw.tonumber(v)
  if n ~= nil and raw.mtype(n) == "float" and n == raw.floor(n) and n > -2^62 and n < 2^62 then
    n = raw.floor(n)
  end
  if n == nil or raw.mtype(n) ~= "integer" then
    raw.error("field '" .. k .. "' is not an integer", 3)
  end
  return n
end

local function days_from_civil(y, m, d)  -- days since 1970-01-01 (proleptic Gregorian)
  y = y + (m - 1) // 12
  m = (m - 1) % 12 + 1
  if m <= 2 then y = y - 1 end
  local era = y // 400
  local yoe = y - era * 400
  local doy = (153 * ((m + 9) % 12) + 2) // 5 + d - 1
  return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468
end

local function utc_time(t)
  if raw.type(t) ~= "table" then
    raw.error("bad argument #1 to 'time' (table expected, got " .. raw.type(t) .. ")", 3)
  end
  local days = days_from_civil(date_field(t, "year"), date_field(t, "month"), date_field(t, "day"))
  local stamp = days * 86400 + date_field(t, "hour", 12) * 3600 + date_field(t, "min", 0) * 60
    + date_field(t, "sec", 0)
  local ok, norm = raw.pcall(raw.os_date, "!*t", stamp)
  if not ok then raw.error("time result cannot be represented in this installation", 3) end
  for _, k in raw.pairs({"year", "month", "day", "hour", "min", "sec", "wday", "yday"}) do
    raw.rawset(t, k, norm[k])
  end
  raw.rawset(t, "isdst", false)
  return stamp
end

local sandbox_os = {
  time = function(t)
    if t ~= nil then return utc_time(t) end
    return raw.floor(now())
  end,
  clock = function() return clock() end,
  date = function(fmt, t)
    if t == nil then t = raw.floor(now()) end
    if fmt == nil then
      fmt = "!%c"
    elseif raw.type(fmt) == "string" and raw.sub(fmt, 1, 1) ~= "!" then
      fmt = "!" .. fmt
    end
    return raw.os_date(fmt, t)
  end,
  difftime = os.difftime,
  getenv = function(name)
    if raw.type(name) ~= "string" then return nil end
    return getenv(name)  -- the host decides what is visible (alc.engine.host.lua_env)
  end,
  execute = function() return nil, "exit", 1 end,
  exit = function() raw.error("os.exit is not permitted in an alc strategy; return a result", 2) end,
  remove = function() return nil, REFUSED, 13 end,
  rename = function() return nil, REFUSED, 13 end,
  tmpname = function() raw.error(REFUSED, 2) end,
}

local load_source = host_fn("load_source")
local loaded = {
  string = string, table = table, math = math, utf8 = utf8, coroutine = sandbox_coroutine,
  os = sandbox_os, io = sandbox_io, alc = alc,
}
local function text_load(chunk, name, mode, env)
  if mode ~= nil and mode ~= "t" and mode ~= "bt" then
    return nil, "loading binary chunks is not permitted in an alc strategy"
  end
  if env == nil then return raw.load(chunk, name, "t") end
  return raw.load(chunk, name, "t", env)
end

local function sandbox_require(name)
  if raw.type(name) ~= "string" then
    raw.error("require: module name must be a string", 2)
  end
  local mod = loaded[name]
  if mod ~= nil then return mod end
  local chunkname, source = load_source(name, "module")
  local fn, err = raw.load(source, "@" .. chunkname, "t")
  if fn == nil then raw.error("require " .. name .. ": " .. err, 2) end
  local result = fn(name, chunkname)
  if result == nil then result = true end
  if loaded[name] == nil then loaded[name] = result end
  return loaded[name]
end

local package_table = { loaded = loaded, preload = {}, path = "", cpath = "", config = "/\n;\n?\n!\n-\n" }

local keep = {
  "assert", "error", "ipairs", "next", "pairs", "pcall", "xpcall", "select", "tonumber",
  "tostring", "type", "rawequal", "rawget", "rawset", "rawlen", "setmetatable", "getmetatable",
  "collectgarbage", "string", "table", "math", "utf8", "_VERSION",
}
local GC_REFUSED = "setmetatable: __gc finalizers are not permitted in an alc strategy " ..
  "(they would run outside the step's limits); use a <close> variable or explicit cleanup"
local function sandbox_setmetatable(t, mt)
  if raw.type(mt) == "table" and raw.rawget(mt, "__gc") ~= nil then raw.error(GC_REFUSED, 2) end
  return raw.setmetatable(t, mt)
end

local env = {}
local G = _G
for _, name in raw.pairs(keep) do env[name] = G[name] end
for k in raw.pairs(G) do G[k] = nil end
for k, v in raw.pairs(env) do G[k] = v end
G._G = G
local _G = G
_G.setmetatable = sandbox_setmetatable
_G.coroutine = sandbox_coroutine
_G.os = sandbox_os
_G.io = sandbox_io
_G.print = function(...)
  local parts = {}
  for i = 1, raw.select("#", ...) do parts[i] = raw.tostring((raw.select(i, ...))) end
  log("info", raw.concat(parts, "\t"))
end
_G.load = text_load
_G.loadstring = function(s, name) return text_load(s, name) end
_G.unpack = table.unpack
_G.require = sandbox_require
_G.package = package_table
_G.dofile = function(path)
  local chunkname, source = load_source(path, "file")
  local fn, err = raw.load(source, "@" .. chunkname, "t")
  if fn == nil then raw.error(err, 2) end
  return fn()
end
_G.loadfile = function(path, mode, fenv)
  local ok, chunkname, source = raw.pcall(load_source, path, "file")
  if not ok then return nil, chunkname end
  return text_load(source, "@" .. chunkname, mode, fenv)
end
_G.alc = alc

---------------------------------------------------------------------------------------------
-- control surface for the engine
---------------------------------------------------------------------------------------------
local co = nil
local control = {}
local DONE, FAILED, ERROR_INFO = {}, {}, {}

-- the message handler of the strategy's xpcall: runs in the coroutine at the point of the
-- error (under the limit hook), turns the error value into text or JSON and takes a traceback
-- an error message longer than this (or than Limits.max_output_bytes) is cut: it is returned and
-- journaled, so its size must not follow the strategy's strings
local ERROR_TEXT_BYTES = 64 * 1024

local function clip_error(text)
  local bound = ERROR_TEXT_BYTES
  if cfg.max_output_bytes < bound then bound = cfg.max_output_bytes end
  if #text <= bound then return text end
  return raw.sub(text, 1, bound) ..
    raw.format(" [... %d more bytes of the error message cut]", #text - bound)
end

local function on_error(err)
  local text, json
  local et = raw.type(err)
  if et == "string" then
    text = clip_error(err)
  elseif et == "number" then
    text = raw.tostring(err)
  else
    if et == "table" then
      local ok, encoded = raw.pcall(encode, err)
      if ok then json = encoded end
    end
    if json == nil then
      local ok, shown = raw.pcall(raw.tostring, err)
      text = (ok and raw.type(shown) == "string") and clip_error(shown)
        or ("(a " .. et .. " error value)")
    end
  end
  return raw.setmetatable({ text, json, raw.traceback(nil, 2) }, ERROR_INFO)
end

function control.start(fn, ...)
  local args = raw.pack(...)
  co = guard(raw.create(function()
    local ok, value = raw.xpcall(fn, on_error, raw.unpack(args, 1, args.n))
    if ok then
      local encoded, text = raw.pcall(encode, value)
      if not encoded then
        return FAILED, "the strategy's result cannot be returned as JSON: " .. raw.tostring(text),
          nil, ""
      end
      check_output(#text, "the strategy's result")
      return DONE, text
    end
    if raw.type(value) == "table" and raw.rawequal(raw.getmetatable(value), ERROR_INFO) then
      if value[2] ~= nil then check_output(#value[2], "the strategy's error value") end
      return FAILED, value[1], value[2], value[3]
    end
    -- no handler ran: a memory error, or an error inside the handler
    return FAILED, raw.type(value) == "string" and clip_error(value) or "the strategy failed",
      nil, ""
  end))
end

local function finish_step(ok, first, ...)
  if tripped ~= nil then
    return ticks, "limit", tripped, tripped_message
  end
  if not ok then
    local message = raw.type(first) == "string" and clip_error(first) or "the strategy failed"
    return ticks, "error", message, nil, ""
  end
  if raw.status(co) == "dead" then
    if raw.rawequal(first, DONE) then return ticks, "done", ... end
    if raw.rawequal(first, FAILED) then return ticks, "error", ... end
    -- coroutine.close(coroutine.running()) in the strategy's own coroutine: it ended unreturned
    return ticks, "error", "the strategy closed its own coroutine (coroutine.close on " ..
      "coroutine.running()) before returning a result", nil, ""
  end
  if raw.rawequal(first, REQUEST) then
    if raw.rawequal((...), FORK) then return ticks, "fork", raw.select(2, ...) end
    return ticks, "yield", ...
  end
  return ticks, "error", "coroutine.yield was called outside a coroutine created by the strategy",
    nil, ""
end

-- step(deadline, step_ticks, lifted, ...): resume the strategy with the answers; deadline is
-- the monotonic time (Python's time.monotonic) at which the wall-time limit trips, step_ticks
-- the instruction allowance in units of hook_every; lifted says Python pushed the arguments
-- with the allocator cap lifted (then it is settled here first; see settle)
function control.step(step_deadline, step_ticks, lifted, ...)
  ticks = 0
  deadline = step_deadline
  max_ticks = step_ticks
  if lifted and over_cap() then
    tripped, tripped_message = "memory_limit", MEMORY_MESSAGE
    return ticks, "limit", tripped, tripped_message
  end
  return finish_step(raw.resume(co, ...))
end

-- alc.<path> (dotted) as a Lua function calling the Python primitive installed under path
function control.install(path)
  local target, name = alc, path
  local dot = raw.find(path, ".", 1, true)
  while dot do
    local part = raw.sub(name, 1, dot - 1)
    target[part] = target[part] or {}
    target = target[part]
    name = raw.sub(name, dot + 1)
    dot = raw.find(name, ".", 1, true)
  end
  target[name] = function(...) return checked(host_primitive(path, pack_args(...))) end
end

control.encode = encode
control.session_info = session_info
control.mark_array = mark_array
control.NULL = NULL
control.alc = alc
control.text_load = text_load
control.over_cap = over_cap
return control
