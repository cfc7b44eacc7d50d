-- loader.lua: the alc.* standard library's lazy loader, a stdlib unit the prelude (prelude.lua)
-- loads on the first read of a name alc or alc.math does not hold. A session that never reads
-- one (a plain alc.llm strategy) keeps only the prelude's stub in its VM.
--
-- To keep a fresh session cheap (start time and memory of thousands of paused sessions), the
-- combinators, the RNG and the alc.math bindings are not compiled here either: the first read
-- of a missing alc.<name> or alc.math.<name> loads the unit that defines it (core.lua, llm.lua,
-- rng.lua), or binds a Python-side alc.math function. Strategies see no difference, except
-- that pairs(alc) lists a lazily loaded name only after its first use.
--
-- Run with an empty environment and (STUB, g): STUB the prelude's metatable (replaced here on
-- alc and alc.math where the strategy has not set its own), g what the prelude captured at
-- boot: the globals the units use (in the order below), so a strategy that reassigns globals
-- (string, pairs, require, ...) cannot change how the library behaves, then alc, the original
-- alc.math, the engine's control table and the private _stdlib primitives.
local STUB, g = ...
local alc, alc_math, control, hidden = g[22], g[23], g[24], g[25]

local env = {  -- the units' environment, captured at boot
  alc = alc, NULL = control.NULL, mark_array = control.mark_array,
  assert = g[1], error = g[2], ipairs = g[3], next = g[4], pairs = g[5], pcall = g[6],
  select = g[7], tonumber = g[8], tostring = g[9], type = g[10], rawequal = g[11],
  rawget = g[12], rawset = g[13], rawlen = g[14], setmetatable = g[15], getmetatable = g[16],
  require = g[17], string = g[18], table = g[19], math = g[20], utf8 = g[21],
}
local math_call, math_has = hidden.math, hidden.math_has
local stdlib_unit = control.stdlib_unit
local session_info = control.session_info
local rawget, rawset, type, error, ipairs = env.rawget, env.rawset, env.type, env.error, env.ipairs
local setmetatable, getmetatable = env.setmetatable, env.getmetatable

-- the lazily loaded names, "name=unit" per alc.<name> (one string, not a table of strings);
-- RNG_NAMES lists the alc.math names rng.lua defines (permutations is not random, but built
-- in Lua under the session limits like these)
local ALC_NAMES = [[
 map=core reduce=core filter=core vote=core parse_score=core parse_number=core
 json_extract=core fingerprint=core budget_check=core tuning=core fmt=core log_fmt=core
 cache=llm cache_info=llm cache_clear=llm ground=llm specify=llm llm_safe=llm llm_json=llm
 parallel=llm pipe=llm eval=eval
]]
local RNG_NAMES = [[
 rng_create rng_float rng_int shuffle sample_with_replacement normal_sample uniform_sample
 exp_sample lognormal_sample gamma_sample beta_sample chi_squared_sample student_t_sample
 poisson_sample binomial_sample categorical_sample dirichlet_sample permutations
]]
local find, match = env.string.find, env.string.match

local function name_of(key)  -- key when it can be one of the names above
  if type(key) == "string" and find(key, "^[%a_][%w_]*$") then return key end
end

-- the unit defining alc.<key> ("core", "llm", "eval"), or nil
local function unit_of(key)
  key = name_of(key)
  return key and match(ALC_NAMES, "%s" .. key .. "=(%a+)%s")
end

local function is_rng(key)
  key = name_of(key)
  return key ~= nil and find(RNG_NAMES, "%s" .. key .. "%s") ~= nil
end

local loaded = {}

local function load_unit(unit)
  if loaded[unit] then return end
  loaded[unit] = true
  stdlib_unit(unit, env)(alc)
end

-- algocline's accessors on alc.env (in its metatable, so pairs(alc.env) lists values only):
-- alc.env:get(name[, default]) is the value or default; alc.env:use{name, ...} declares the
-- names a strategy reads and returns a table holding only those of them that are provided.
local ENV_METHODS = {
  get = function(self, name, default)
    local value = rawget(self, name)
    if value == nil then return default end
    return value
  end,
  use = function(self, names)
    if type(names) ~= "table" then error("alc.env:use: expected a list of names", 2) end
    local declared = {}
    for _, name in ipairs(names) do declared[name] = rawget(self, name) end
    return declared
  end,
}

local ALC_MT = {
  __index = function(t, key)
    if key == "env" then
      -- alc.env: what the driver (ctx._env) and the configuration (ALC_ENV_<NAME>) inject,
      -- read once per VM (a recorded effect, so replay sees the same values)
      local values = setmetatable(session_info("env"), { __index = ENV_METHODS })
      rawset(t, "env", values)
      return values
    end
    local unit = unit_of(key)
    if unit == nil then return nil end
    load_unit(unit)
    return rawget(t, key)
  end,
}

local MATH_MT = {
  __index = function(t, key)
    if is_rng(key) then
      load_unit("rng")
      return rawget(t, key)
    end
    if type(key) ~= "string" or not math_has(key) then return nil end
    local fn = function(...) return math_call(key, ...) end
    rawset(t, key, fn)
    return fn
  end,
}

-- in place of the prelude's stub, unless the strategy set a metatable of its own meanwhile
if getmetatable(alc) == STUB then setmetatable(alc, ALC_MT) end
if getmetatable(alc_math) == STUB then setmetatable(alc_math, MATH_MT) end
