-- sandbox/package.lua: the strategy's require and package table, loaded on the first require
-- or the first use of package (see "lazy units" in boot.lua). Called with boot's internals and
-- the namespace table; puts require in I.require and returns the namespace's members.
-- package.loaded starts with the libraries boot captured (a strategy reassigning the globals
-- string, os, ... first still gets the real ones from require).
local I = ...
local raw = I.raw
local load_source = I.host_fn("load_source")
local loaded = {
  string = I.string, table = I.table, math = I.math, utf8 = I.utf8, coroutine = I.coroutine,
  os = I.os, io = I.io, alc = I.alc,
}

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

I.require = sandbox_require
return { loaded = loaded, preload = {}, path = "", cpath = "", config = "/\n;\n?\n!\n-\n" }
