-- sandbox/io.lua: the strategy's io table: io.write and the standard files write to the session
-- log, every file or process access is refused. Called with boot's internals and the namespace
-- table on its first use; returns its members (see "lazy units" in boot.lua).
local I, io = ...
local raw, REFUSED, log = I.raw, I.REFUSED, I.log

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
return {
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
  write = function(...) io.stdout:write(...) return io.stdout end,
  output = function() return io.stdout end,
  input = function() return io.stdin end,
}
