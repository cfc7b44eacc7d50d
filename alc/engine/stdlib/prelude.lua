-- prelude.lua: the alc.* standard library's stub, run once in every VM after boot.lua.
--
-- A session that never reads a stdlib name (a plain alc.llm strategy: most paused sessions)
-- keeps only this stub: the first read of a name alc or alc.math does not hold loads the real
-- loader (loader.lua, a stdlib unit), which replaces the stub's metatable on both tables and
-- answers the read. Everything the loader needs is captured here, at boot (one array), so a
-- strategy that reassigns globals (string, pairs, require, ...) cannot change how the library
-- behaves.
local alc, control = ...

local hidden = alc._stdlib
alc._stdlib = nil
local getmetatable = getmetatable

-- the globals the loader hands the units (loader.lua reads them by index), then the tables
-- and engine internals it works on; dropped once the loader ran
local boot = {
  assert, error, ipairs, next, pairs, pcall, select, tonumber, tostring, type, rawequal,
  rawget, rawset, rawlen, setmetatable, getmetatable, require, string, table, math, utf8,
  alc, alc.math, control, hidden,
}

local STUB = {}
function STUB.__index(t, key)
  local b = boot
  if b ~= nil then
    b[24].stdlib_unit("loader", {})(STUB, b)
    boot = nil
  end
  if getmetatable(t) == STUB then return nil end  -- not a table the loader took over
  return t[key]
end

setmetatable(alc, STUB)
setmetatable(alc.math, STUB)
