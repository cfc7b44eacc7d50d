-- boot.lua: turns a fresh Lua state into one alc session sandbox.
--
-- Run once per VM by alc/engine/lua.py with two arguments:
--   host  the Python side, one function (one Python object per VM): host(op, ...) with op
--         CALL (name, kinds, ...) for Host methods, PRIMITIVE (path, kinds, ...) for installed
--         primitives, MONOTONIC, SETTLE, UNIT (name) for the bytecode of a lazily loaded part
--         of the sandbox (see "lazy units"); the codes below, LuaVM._host_op in lua.py; never
--         reachable by strategy code
--   cfg   {math_seed, hook_every, max_output_bytes, max_step_seconds, primitives, libraries}
-- and returns the control table the engine drives the session with (then its step and
-- mark_array, for the engine's hot path):
--   control.start(fn, ...)   create the strategy coroutine
--   control.step(deadline, max_ticks, lifted, ...)  resume it (see "The step protocol")
--   control.mark_array(t)    give t the array metatable (so it encodes as [] even when empty)
--   control.text_load(src, name, mode)  the sandbox's load (text chunks only)
-- and, for the libraries: control.NULL, control.session_info, control.stdlib_unit
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
  collectgarbage = collectgarbage, difftime = os.difftime, isyieldable = coroutine.isyieldable,
  close = coroutine.close,
}
local CALL <const>, PRIMITIVE <const>, MONOTONIC <const>, SETTLE <const>, UNIT <const> =
  1, 2, 3, 4, 5
local unit  -- unit(name, ...): run a lazily loaded part of the sandbox ("lazy units" below)

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

local encode  -- JSON text of a value (sorted keys, compact): sandbox/json.lua, loaded on first use

---------------------------------------------------------------------------------------------
-- instruction and wall-time limits: a count hook on every strategy coroutine, made sticky
---------------------------------------------------------------------------------------------
local ticks, max_ticks, deadline, tripped, tripped_message = 0, 0, 0, nil, nil

local function limit_hook()
  if tripped == nil then
    ticks = ticks + 1
    if ticks > max_ticks then
      tripped = "timeout"
      tripped_message = raw.format(
        "step exceeded the instruction limit (%d instructions)", max_ticks * cfg.hook_every)
    elseif host(MONOTONIC) > deadline then
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
  if not host(SETTLE) then return false end
  raw.collectgarbage("collect")
  return host(SETTLE)
end

local function check_output(bytes, what)
  if bytes > cfg.max_output_bytes then
    trip("memory_limit", raw.format(
      "%s carries %d bytes, more than Limits.max_output_bytes (%d)", what, bytes,
      cfg.max_output_bytes))
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

-- arguments for Python (kinds, values): pack_args in sandbox/args.lua, loaded on the first call
-- with arguments; the call is a tail call, so its error levels are the function's own
local packer
local function pack_args(...)
  if raw.select("#", ...) == 0 then return "" end
  local p = packer
  if p == nil then
    p = unit("args")
    packer = p
  end
  return p(...)
end


local function host_fn(name)
  return function(...) return checked(host(CALL, name, pack_args(...))) end
end

---------------------------------------------------------------------------------------------
-- the alc table: engine-owned primitives (the stdlib fills in the rest)
---------------------------------------------------------------------------------------------
local alc = { NULL = NULL, math = {} }
local now = host_fn("now")

-- a query's fields (prompt, system, max_tokens, flags, extra) from an alc.llm call's prompt
-- and opts: a string prompt without opts here, anything else by llm_item in sandbox/opts.lua
-- (loaded on the first such call), as a tail call, so its error levels are llm_item's own
local read_opts
local function llm_item(prompt, opts, where)
  if opts == nil and raw.type(prompt) == "string" then return prompt, nil, 1024, 0, nil end
  local r = read_opts
  if r == nil then
    r = unit("opts")
    read_opts = r
  end
  return r(prompt, opts, where)
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

-- alc.fork's request marker (sandbox/alc.lua yields it; finish_step reads it)
local FORK = {}
local log = host_fn("log")
alc.time = now
-- (alc.llm_batch, alc.fork, alc.log, alc.json_encode, alc.json_decode, alc.budget_remaining and
-- alc.progress are forwarding closures to sandbox/functions.lua, made in "lazy units" below)
local session_info = host_fn("session_info")

---------------------------------------------------------------------------------------------
-- sandboxed standard library
---------------------------------------------------------------------------------------------
raw.randomseed(cfg.math_seed)
string.dump = nil

local REFUSED = "file access is not permitted in an alc strategy (use alc.state to keep data)"

-- the Python primitives (cfg.primitives, dotted paths): alc.<path> as a Lua function calling
-- the one installed under path (run here, in boot's main chunk, so no installer outlives boot)
for i = 1, #cfg.primitives do
  local path = cfg.primitives[i]
  local target, name = alc, path
  local dot = raw.find(path, ".", 1, true)
  while dot do
    local part = raw.sub(name, 1, dot - 1)
    target[part] = target[part] or {}
    target = target[part]
    name = raw.sub(name, dot + 1)
    dot = raw.find(name, ".", 1, true)
  end
  target[name] = function(...) return checked(host(PRIMITIVE, path, pack_args(...))) end
end
cfg.primitives = nil

---------------------------------------------------------------------------------------------
-- lazy units: engine code a session may never run is compiled once per process (stripped
-- bytecode, see lua.py) and loaded into a VM on its first use, so a fresh or paused session
-- holds only what it ran: the JSON encoder (sandbox/json.lua), the packing of arguments for
-- Python (sandbox/args.lua), require with the namespace package, and the namespaces os, io,
-- coroutine, alc.state, alc.card and alc.stats (sandbox/<name>.lua).
--
-- A lazy namespace is an empty table with the LAZY metatable until its first index, pairs,
-- getmetatable or setmetatable: then its unit runs (inside the strategy coroutine, under the
-- step's limits, like any engine code it calls), its members are stored in the table (keys
-- the strategy set meanwhile are kept) and the metatable is removed, so from then on the table
-- is exactly the eager one. Only rawget / next / # on a namespace never indexed see it empty.
-- Loading is deterministic (no effect is recorded, no random draw made), so a replay loads
-- the same units at the same points.
---------------------------------------------------------------------------------------------
local I  -- boot's internals, handed to every unit (filled below)

-- unit(name, ...): run sandbox/<name>.lua with boot's internals and ..., return its result.
-- A unit sees no globals (its _ENV is an empty table of its own): everything it uses comes from
-- the internals, captured at boot, so strategy code reassigning globals cannot reach into it.
unit = function(name, ...)
  local fn = raw.load(checked(host(UNIT, name)), "=" .. name, "b", {})
  return fn(I, ...)
end

local encoder
encode = function(v)
  local e = encoder
  if e == nil then
    e = unit("json")
    encoder = e
  end
  return e(v)
end

-- the functions of sandbox/functions.lua: a forwarding closure each (one shared prototype); the
-- call is a tail call, so error levels and positions are the function's own
local alc_functions
local function deferred(name)
  return function(...)
    local fns = alc_functions
    if fns == nil then
      fns = unit("functions")
      alc_functions = fns
    end
    return fns[name](...)
  end
end
alc.llm_batch, alc.fork, alc.log = deferred("llm_batch"), deferred("fork"), deferred("log")
alc.json_encode, alc.json_decode = deferred("json_encode"), deferred("json_decode")
alc.budget_remaining, alc.progress = deferred("budget_remaining"), deferred("progress")

local LAZY_UNIT = {}  -- a namespace not yet filled -> the unit that fills it

local function fill(t)
  local name = LAZY_UNIT[t]
  if name == nil then return end
  local members = unit(name, t)
  for k, v in raw.next, members do
    if raw.rawget(t, k) == nil then raw.rawset(t, k, v) end
  end
  LAZY_UNIT[t] = nil
  raw.setmetatable(t, nil)
end

local LAZY = {
  __index = function(t, k)
    fill(t)
    return raw.rawget(t, k)
  end,
  __pairs = function(t)
    fill(t)
    return raw.next, t, nil
  end,
}

local function lazy(name)
  local t = raw.setmetatable({}, LAZY)
  LAZY_UNIT[t] = name
  return t
end

local sandbox_coroutine, sandbox_os, sandbox_io = lazy("coroutine"), lazy("os"), lazy("io")
alc.state, alc.card, alc.stats = lazy("state"), lazy("card"), lazy("stats")

I = {
  raw = raw, NULL = NULL, ARRAY_MT = ARRAY_MT, REQUEST = REQUEST, FORK = FORK, alc = alc,
  encode = encode, mark_array = mark_array, host_fn = host_fn, guard = guard, now = now,
  log = log, session_info = session_info, REFUSED = REFUSED,
  llm_item = llm_item, item_bytes = item_bytes, answered = answered,
  check_output = check_output,
}

local function text_load(chunk, name, mode, env)
  if mode ~= nil and mode ~= "t" and mode ~= "bt" then
    return nil, "loading binary chunks is not permitted in an alc strategy"
  end
  if env == nil then return raw.load(chunk, name, "t") end
  return raw.load(chunk, name, "t", env)
end

-- require and the package table: sandbox/package.lua, the lazy namespace package's unit, which
-- also puts the real require in I.require (they share package.loaded). The forwarder fills the
-- namespace on the first require; the call is a tail call, so error levels are require's own.
-- The libraries package.loaded lists are captured here, at boot (I.string, ...).
local sandbox_package = lazy("package")
local function sandbox_require(...)
  local require = I.require
  if require == nil then
    fill(sandbox_package)
    require = I.require
  end
  return require(...)
end

I.text_load, I.cfg = text_load, cfg
I.string, I.table, I.math, I.utf8 = string, table, math, utf8
I.coroutine, I.os, I.io = sandbox_coroutine, sandbox_os, sandbox_io

local keep = {
  "assert", "error", "ipairs", "next", "pairs", "pcall", "xpcall", "select", "tonumber",
  "tostring", "type", "rawequal", "rawget", "rawset", "rawlen", "setmetatable", "getmetatable",
  "collectgarbage", "string", "table", "math", "utf8", "_VERSION",
}
local GC_REFUSED = "setmetatable: __gc finalizers are not permitted in an alc strategy " ..
  "(they would run outside the step's limits); use a <close> variable or explicit cleanup"
local function sandbox_setmetatable(t, mt)
  if raw.type(mt) == "table" and raw.rawget(mt, "__gc") ~= nil then raw.error(GC_REFUSED, 2) end
  if LAZY_UNIT[t] ~= nil then fill(t) end
  return raw.setmetatable(t, mt)
end
-- getmetatable of a lazy namespace fills it first: it answers nil, as for the eager table
local function sandbox_getmetatable(...)
  local v = ...
  if LAZY_UNIT[v] ~= nil then fill(v) end
  return raw.getmetatable(...)
end

-- the standard libraries the sandbox replaced or removed are still held by the registry (as
-- loaded modules, io's default files, package's tables): drop them, a fresh VM keeps less
do
  local registry = debug.getregistry()
  local modules = registry._LOADED
  for _, name in raw.pairs({ "os", "io", "debug", "package", "coroutine", "python" }) do
    modules[name] = nil
  end
  registry._PRELOAD, registry._CLIBS, registry._IO_input, registry._IO_output = nil, nil, nil, nil
end

local env = {}
local G = _G
for _, name in raw.pairs(keep) do env[name] = G[name] end
for k in raw.pairs(G) do G[k] = nil end
for k, v in raw.pairs(env) do G[k] = v end
G._G = G
local _G = G
_G.setmetatable = sandbox_setmetatable
_G.getmetatable = sandbox_getmetatable
_G.coroutine = sandbox_coroutine
_G.os = sandbox_os
_G.io = sandbox_io
_G.print = deferred("print")
_G.load = text_load
_G.loadstring = deferred("loadstring")
_G.unpack = table.unpack
_G.require = sandbox_require
_G.package = sandbox_package
_G.dofile, _G.loadfile = deferred("dofile"), deferred("loadfile")
math.randomseed = deferred("randomseed")
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

-- the strategy's outcome from its xpcall: sandbox/outcome.lua, loaded when the strategy ended
-- (in its coroutine, under the limit hook, like the encoder it calls)
local outcome
local function ended(ok, value)
  local f = outcome
  if f == nil then
    f = unit("outcome", DONE, FAILED, ERROR_INFO, clip_error)
    outcome = f
  end
  return f(ok, value)
end

function control.start(fn, ...)
  local args = raw.pack(...)
  co = guard(raw.create(function()
    return ended(raw.xpcall(fn, on_error, raw.unpack(args, 1, args.n)))
  end))
  -- the collector was stopped for boot and the strategy's compilation (lua.py): one full
  -- collection frees their garbage, so a paused session keeps only what it holds
  raw.collectgarbage("restart")
  raw.collectgarbage("collect")
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

control.session_info = session_info
control.mark_array = mark_array
control.NULL = NULL
control.text_load = text_load
-- the prelude's loader of a stdlib unit (alc/engine/stdlib/<name>.lua): its function, compiled
-- once per process (with its debug info) and run in env
function control.stdlib_unit(name, env)
  return raw.load(checked(host(UNIT, "stdlib/" .. name)), "=stdlib", "b", env)
end

-- the libraries (cfg.libraries: {chunkname, bytecode} each, the stdlib's prelude), in order,
-- each called with (alc, control)
for i = 1, #cfg.libraries do
  local library = cfg.libraries[i]
  raw.load(library[2], library[1], "b")(alc, control)
end
cfg.libraries = nil
return control, control.step, control.mark_array
