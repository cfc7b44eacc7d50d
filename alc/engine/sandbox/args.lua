-- sandbox/args.lua: the arguments of a call into Python (an alc.* function of the host or a
-- Python primitive), loaded on the first such call with arguments (see "lazy units" in
-- boot.lua); called with boot's internals, returns pack_args. Tables travel as JSON text
-- (encoded here, under the limit hook, with raw access), so Python never calls back into the
-- VM to read a strategy value. pack_args(...) returns the kinds ("v" scalar, "j" JSON text,
-- "x" a value Python refuses), then the values; it runs as a tail call of boot's forwarder,
-- so error level 3 is the caller of the alc function.
local I = ...
local raw, encode, cfg = I.raw, I.encode, I.cfg

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


return pack_args
