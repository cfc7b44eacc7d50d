-- sandbox/coroutine.lua: the strategy's coroutine table. Coroutines a strategy creates run
-- under the step's limits (guard), and engine requests (alc.llm pauses) yielded inside them pass
-- through to the session. Built on the namespace's first use (see "lazy units" in boot.lua):
-- called with boot's internals and the namespace table, returns the members.
local I, coroutine = ...
local raw, guard, REQUEST = I.raw, I.guard, I.REQUEST

local function pass_through(co, ok, first, ...)
  if ok and first == REQUEST and raw.status(co) == "suspended" then
    return pass_through(co, raw.resume(co, raw.yield(REQUEST, ...)))
  end
  return ok, first, ...
end

local members = {
  create = function(f) return guard(raw.create(f)) end,
  resume = function(co, ...) return pass_through(co, raw.resume(co, ...)) end,
  yield = raw.yield,
  status = raw.status,
  running = raw.running,
  isyieldable = raw.isyieldable,
  close = raw.close,
}
members.wrap = function(f)
  local co = coroutine.create(f)
  return function(...)
    local r = raw.pack(coroutine.resume(co, ...))
    if not r[1] then raw.error(r[2], 0) end
    return raw.unpack(r, 2, r.n)
  end
end
return members
