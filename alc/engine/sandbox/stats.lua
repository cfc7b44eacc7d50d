-- sandbox/stats.lua: alc.stats, built on the namespace's first use (see "lazy units" in
-- boot.lua): called with boot's internals, returns the members.
local I = ...
local stats = {}
local raw, encode, session_info = I.raw, I.encode, I.session_info
local stats_record = I.host_fn("stats_record")
local stats_get = I.host_fn("stats_get")
stats.record = function(key, value)
  if raw.type(key) ~= "string" then raw.error("alc.stats.record: key must be a string", 2) end
  return stats_record(key, encode(value))
end
stats.get = function(key) return stats_get(key) end
-- alc.stats.llm_calls(): queries this session issued so far (every alc.llm counts one, every
-- alc.llm_batch item one, fork children's included; a query refused by the budget does not)
stats.llm_calls = function() return session_info("llm_calls") end
return stats
