-- sandbox/functions.lua: the functions of the sandbox a session may never call: alc.llm_batch,
-- alc.fork, alc.log, alc.json_encode, alc.json_decode, alc.budget_remaining, alc.progress, and
-- the globals print, loadstring, dofile, loadfile and math.randomseed. boot.lua puts a
-- forwarding closure under each name; the first call of any of them loads this unit (see "lazy
-- units" in boot.lua), called with boot's internals; returns the functions by name.
local I = ...
local raw, REQUEST, FORK = I.raw, I.REQUEST, I.FORK
local encode, mark_array, log = I.encode, I.mark_array, I.log
local text_load, load_source, cfg = I.text_load, I.host_fn("load_source"), I.cfg
local llm_item, item_bytes, answered, check_output = I.llm_item, I.item_bytes, I.answered,
  I.check_output
local MAX_BATCH = 10000        -- queries in one alc.llm_batch pause
local MAX_FORK = 64            -- child strategies in one alc.fork
local members = {}

function members.llm_batch(items)
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
function members.fork(strategies, ctx, opts)
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

function members.log(level, ...)
  local n = raw.select("#", ...)
  if n == 0 then
    return log("info", raw.tostring(level))
  end
  local parts = {}
  for i = 1, n do parts[i] = raw.tostring((raw.select(i, ...))) end
  return log(raw.tostring(level), raw.concat(parts, " "))
end

members.json_encode = function(v) return encode(v) end
local decode = I.host_fn("json_decode")
members.json_decode = function(s)
  if raw.type(s) ~= "string" then
    raw.error("alc.json_decode: expected a string, got " .. raw.type(s), 2)
  end
  return decode(s)
end

local budget_remaining = I.host_fn("budget_remaining")
members.budget_remaining = function() return budget_remaining() end
local progress = I.host_fn("progress")
members.progress = function(step, total, msg) return progress(step, total, msg) end

-- math.randomseed() without an argument would mean "random seed": keep it a deterministic
-- function of the session seed (boot.lua seeded the generator with cfg.math_seed)
local math_seed_counter = 0
function members.randomseed(...)
  if raw.select("#", ...) > 0 then return raw.randomseed(...) end
  math_seed_counter = math_seed_counter + 1
  return raw.randomseed(cfg.math_seed, math_seed_counter)
end

function members.print(...)
  local parts = {}
  for i = 1, raw.select("#", ...) do parts[i] = raw.tostring((raw.select(i, ...))) end
  log("info", raw.concat(parts, "\t"))
end
function members.loadstring(s, name) return text_load(s, name) end
function members.dofile(path)
  local chunkname, source = load_source(path, "file")
  local fn, err = raw.load(source, "@" .. chunkname, "t")
  if fn == nil then raw.error(err, 2) end
  return fn()
end
function members.loadfile(path, mode, fenv)
  local ok, chunkname, source = raw.pcall(load_source, path, "file")
  if not ok then return nil, chunkname end
  return text_load(source, "@" .. chunkname, mode, fenv)
end

return members
