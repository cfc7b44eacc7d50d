-- sandbox/state.lua: alc.state, built on the namespace's first use (see "lazy units" in
-- boot.lua): called with boot's internals, returns the members.
local I = ...
local state = {}
local raw, alc, encode = I.raw, I.alc, I.encode
local state_op = I.host_fn("state")
local state_decode = I.host_fn("state_decode")

local function state_key(fname, key)
  if raw.type(key) ~= "string" then
    raw.error("alc.state." .. fname .. ": key must be a string, got " .. raw.type(key), 3)
  end
  return key
end
function state.get(key, default)
  -- the host answers the stored JSON text, decoded here in the VM's own process (a value
  -- nested up to the 500 levels json_encode allows never crosses a process boundary as objects)
  local v = state_op("get", state_key("get", key))
  if v == nil then return default end
  return state_decode(v)
end
function state.set(key, value) state_op("set", state_key("set", key), encode(value)) end
function state.keys() return state_op("keys") end
function state.delete(key) return state_op("delete", state_key("delete", key)) end
function state.has(key) return state_op("has", state_key("has", key)) end
function state.set_nx(key, value)
  return state_op("set_nx", state_key("set_nx", key), encode(value))
end
function state.incr(key, delta, default)
  return state_op("incr", state_key("incr", key), delta or 1, default or 0)
end
function state.update(key, fn, default)
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
function state.list(ns) return state_op("list", state_ns("list", ns)) end
function state.show(ns, key)
  return state_decode(state_op("show", state_ns("show", ns), state_key("show", key)))
end
function state.reset(ns, key, opts)
  if opts ~= nil and raw.type(opts) ~= "table" then
    raw.error("alc.state.reset: opts must be a table {steps = {...}, fields = {...}}", 2)
  end
  return state_op("reset", state_ns("reset", ns), state_key("reset", key), opts or {})
end
return state
