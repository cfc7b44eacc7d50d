-- sandbox/outcome.lua: what the strategy coroutine returns when the strategy ended, loaded
-- then (see "lazy units" in boot.lua). Called with boot's internals and its markers DONE,
-- FAILED, ERROR_INFO and clip_error; returns outcome(ok, value), ok and value from the
-- strategy's xpcall: DONE and the result's JSON text, or FAILED, message, error object (JSON
-- text or nil) and traceback (what finish_step in boot.lua turns into "done" / "error").
local I, DONE, FAILED, ERROR_INFO, clip_error = ...
local raw, encode, check_output = I.raw, I.encode, I.check_output

return function(ok, value)
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
end
