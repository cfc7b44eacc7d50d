-- spec_harness.lua: runs one package spec file (`*_spec.lua`) inside an alc sandbox.
--
-- Spec files in algocline's collection are written for lust (bjornbytes/lust, injected as the
-- global `lust` by their test launcher). This harness provides a lust-compatible global written
-- for alc: describe / it / test / before / after / expect / spy, with the assertion chains
-- to / to_not / be / a / an / truthy / exist / equal (deep, optional epsilon) / have / fail /
-- match, plus mlua-lspec's gt / gte / lt / lte / have_key / have_length and its `test_doubles`
-- (spy, stub, spy_on), and algocline's with_alc / alc_mock / alc.spy. Instead of printing, it records every case and returns the report as the session
-- result:
--   { cases = { {name, ok, error?}, ... }, passed = n, failed = n, error = <load error>? }
-- The global `alc` is alc's own: alc.llm pauses, and `alc pkg test` answers from its script.
-- A spec may replace `_G.alc` with its own stub, as the collection's specs do.
--
-- Differences from lust, on purpose: an error in a describe body, a before or an after hook
-- fails that case (or a "(describe)" case) instead of aborting the whole file. `require` also
-- honours relative `package.path` templates a spec adds (see below).
local args = ...
local source, chunkname = args.source, args.chunkname
ctx = nil

local cases = {}
local names = {}
local lust = { level = 0, passes = 0, errors = 0, befores = {}, afters = {} }

local function message_of(err)
  if type(err) == "string" then return err end
  local ok, text = pcall(tostring, err)
  return ok and text or "(an error value that cannot be shown)"
end

local function record(ok, name, err)
  local path = {}
  for i = 1, #names do path[i] = names[i] end
  path[#path + 1] = name
  local case = { name = table.concat(path, " > "), ok = ok }
  if ok then
    lust.passes = lust.passes + 1
  else
    lust.errors = lust.errors + 1
    case.error = message_of(err)
  end
  cases[#cases + 1] = case
end

function lust.describe(name, fn)
  names[#names + 1] = tostring(name)
  lust.level = lust.level + 1
  local ok, err = pcall(fn)
  if not ok then record(false, "(describe)", err) end
  lust.befores[lust.level] = {}
  lust.afters[lust.level] = {}
  lust.level = lust.level - 1
  names[#names] = nil
end

local function run_hooks(hooks, name)
  for level = 1, lust.level do
    local list = hooks[level]
    if list then
      for i = 1, #list do list[i](name) end
    end
  end
end

function lust.it(name, fn)
  local ok, err = pcall(run_hooks, lust.befores, name)
  if ok then ok, err = pcall(fn) end
  local after_ok, after_err = pcall(run_hooks, lust.afters, name)
  if ok and not after_ok then ok, err = false, after_err end
  record(ok, tostring(name), err)
end
lust.test = lust.it

local function add_hook(hooks, fn)
  local list = hooks[lust.level] or {}
  hooks[lust.level] = list
  list[#list + 1] = fn
end
function lust.before(fn) add_hook(lust.befores, fn) end
function lust.after(fn) add_hook(lust.afters, fn) end
function lust.nocolor() return lust end

-- assertions ------------------------------------------------------------------------------
local function deep_equal(a, b, eps, seen)
  if type(a) ~= type(b) then return false end
  if type(a) == "number" then return a == b or math.abs(a - b) <= (eps or 0) end
  if type(a) ~= "table" then return a == b end
  if rawequal(a, b) then return true end
  seen = seen or {}
  if seen[a] == b then return true end
  seen[a] = b
  for k, v in pairs(a) do
    if not deep_equal(v, b[k], eps, seen) then return false end
  end
  for k, v in pairs(b) do
    if a[k] == nil and v ~= nil then return false end
  end
  return true
end

local function show(v, depth)
  depth = depth or 0
  if type(v) == "string" then return string.format("%q", v) end
  if type(v) ~= "table" or depth > 2 then return tostring(v) end
  local parts, n = {}, 0
  for k, item in pairs(v) do
    n = n + 1
    if n > 8 then parts[#parts + 1] = "..." break end
    parts[#parts + 1] = "[" .. show(k, depth + 1) .. "]=" .. show(item, depth + 1)
  end
  return "{" .. table.concat(parts, ", ") .. "}"
end

local function is_a(v, kind)
  if type(kind) == "string" then return type(v) == kind, "a " .. kind end
  if type(kind) ~= "table" then error("expect(...).to.be.a: expected a type name or a class", 3) end
  local seen, class = {}, v
  while type(class) == "table" and not seen[class] do
    if rawequal(class, kind) then return true, "an instance of " .. tostring(kind) end
    seen[class] = true
    local mt = getmetatable(class)
    class = type(mt) == "table" and rawget(mt, "__index") or nil
  end
  return false, "an instance of " .. tostring(kind)
end

local tests = {
  equal = function(v, x, eps)
    return deep_equal(v, x, eps), "expected " .. show(v) .. " and " .. show(x) .. " to %sbe equal"
  end,
  be = function(v, x)
    return rawequal(v, x) or v == x, "expected " .. show(v) .. " and " .. show(x) .. " to %sbe the same"
  end,
  a = function(v, kind)
    local ok, what = is_a(v, kind)
    return ok, "expected " .. show(v) .. " to %sbe " .. what
  end,
  truthy = function(v) return not not v, "expected " .. show(v) .. " to %sbe truthy" end,
  exist = function(v) return v ~= nil, "expected " .. show(v) .. " to %sexist" end,
  have = function(v, x)
    if type(v) ~= "table" then error("expected " .. show(v) .. " to be a table", 3) end
    for _, item in pairs(v) do
      if item == x then return true, "" end
    end
    return false, "expected " .. show(v) .. " to %scontain " .. show(x)
  end,
  fail = function(v, ...)
    return not pcall(v, ...), "expected " .. tostring(v) .. " to %sfail"
  end,
  match = function(v, pattern)
    local text = type(v) == "string" and v or tostring(v)
    return string.find(text, pattern) ~= nil,
      "expected " .. show(text) .. " to %smatch pattern [[" .. tostring(pattern) .. "]]"
  end,
}
tests.an = tests.a

-- mlua-lspec's additions (what algocline's alc_pkg_test runs): ordering and table shape
local function ordered(op, word)
  return function(v, x)
    if type(v) ~= "number" or type(x) ~= "number" then
      error("expected two numbers to compare, got " .. show(v) .. " and " .. show(x), 3)
    end
    return op(v, x), "expected " .. show(v) .. " to %sbe " .. word .. " " .. show(x)
  end
end
tests.gt = ordered(function(a, b) return a > b end, "greater than")
tests.gte = ordered(function(a, b) return a >= b end, "at least")
tests.lt = ordered(function(a, b) return a < b end, "less than")
tests.lte = ordered(function(a, b) return a <= b end, "at most")
tests.have_key = function(v, key)
  if type(v) ~= "table" then error("expected " .. show(v) .. " to be a table", 3) end
  return v[key] ~= nil, "expected " .. show(v) .. " to %shave key " .. show(key)
end
tests.have_length = function(v, n)
  if type(v) ~= "table" and type(v) ~= "string" then
    error("expected " .. show(v) .. " to be a table or a string", 3)
  end
  return #v == n, "expected " .. show(v) .. " (length " .. #v .. ") to %shave length " .. show(n)
end

local ASSERT_WORDS = {
  have = true, equal = true, be = true, exist = true, fail = true, match = true,
  have_key = true, have_length = true,
}
local chains = {
  [""] = { to = true, to_not = true },
  to = ASSERT_WORDS,
  to_not = ASSERT_WORDS,
  be = { a = true, an = true, truthy = true, gt = true, gte = true, lt = true, lte = true },
}

function lust.expect(value)
  local state = { word = "", negate = false }
  local assertion = {}
  setmetatable(assertion, {
    __index = function(self, key)
      local allowed = chains[state.word]
      if allowed and allowed[key] then
        state.word = key
        if key == "to_not" then state.negate = not state.negate end
        return self
      end
      if key == "val" then return value end
      return nil
    end,
    __call = function(_, ...)
      local test = tests[state.word]
      if test == nil then
        error("expect(...)." .. state.word .. " is not an assertion", 2)
      end
      local ok, message = test(value, ...)
      if state.negate then ok = not ok end
      if not ok then
        error(string.format(message, state.negate and "not " or ""), 2)
      end
    end,
  })
  return assertion
end

function lust.spy(target, name, run)
  local calls = {}
  local subject
  local function capture(...)
    calls[#calls + 1] = table.pack(...)
    return subject(...)
  end
  if type(target) == "table" then
    subject = target[name]
    target[name] = capture
  else
    run = name
    subject = target or function() end
  end
  setmetatable(calls, { __call = function(_, ...) return capture(...) end })
  if run then run() end
  return calls
end

lust.paths = chains
_G.lust = lust

-- test_doubles (mlua-lspec's spy / stub / spy_on): callable tables recording their calls.
-- A double answers call_count() and was_called_with(...); a stub returns(...) fixed values; a
-- spy_on double replaces obj[name] until revert().
local Double = {}
Double.__index = Double
function Double.__call(self, ...)
  local n = select("#", ...)
  self._calls[#self._calls + 1] = { n = n, ... }
  if self._target then return self._target(...) end
  return table.unpack(self._returns, 1, self._returns.n)
end
function Double:call_count() return #self._calls end
function Double:was_called_with(...)
  local want = table.pack(...)
  for _, call in ipairs(self._calls) do
    local same = call.n == want.n
    for i = 1, want.n do
      if not same then break end
      same = deep_equal(call[i], want[i])
    end
    if same then return true end
  end
  return false
end
function Double:returns(...)
  self._returns = table.pack(...)
  return self
end
function Double:revert()
  if self._owner then self._owner[self._name] = self._target end
  return self
end
local function double(target)
  return setmetatable({ _calls = {}, _returns = { n = 0 }, _target = target }, Double)
end
_G.test_doubles = {
  spy = function(fn) return double(fn or function() end) end,
  stub = function() return double(nil) end,
  spy_on = function(obj, name)
    if type(obj) ~= "table" then error("test_doubles.spy_on: expected a table", 2) end
    local d = double(obj[name])
    d._owner, d._name = obj, name
    obj[name] = d
    return d
  end,
}

-- algocline's pkg_test mocks of alc.* (its bridge/mock.lua API): with_alc(overrides, fn) swaps
-- alc.<name> entries for fn's duration (restored on return or error), alc_mock.install /
-- restore / restore_all push and pop the same swaps for before/after hooks, and
-- alc.spy(name[, fn]) wraps alc.<name> (or fn) in a recorder: {call_count, calls = {{args}},
-- reset()}. Every swap remembers whether the entry existed, so a restore removes an added one.
local mock_frames = {}

local function swap(overrides, where)
  if type(overrides) ~= "table" then error(where .. ": overrides must be a table", 3) end
  local target = _G.alc
  local frame = { target = target }
  for name, value in pairs(overrides) do
    frame[#frame + 1] = { name = name, had = target[name] ~= nil, prev = target[name] }
    target[name] = value
  end
  return frame
end

local function unswap(frame)
  for i = #frame, 1, -1 do
    local entry = frame[i]
    if entry.had then frame.target[entry.name] = entry.prev else frame.target[entry.name] = nil end
  end
end

function with_alc(overrides, fn)
  if type(fn) ~= "function" then error("with_alc: fn must be a function", 2) end
  local frame = swap(overrides, "with_alc")
  local ok, result = pcall(fn)
  unswap(frame)
  if not ok then error(result, 0) end
  return result
end

alc_mock = {
  install = function(overrides)
    mock_frames[#mock_frames + 1] = swap(overrides, "alc_mock.install")
  end,
  restore = function()
    local frame = table.remove(mock_frames)
    if frame then unswap(frame) end
  end,
  restore_all = function()
    while #mock_frames > 0 do unswap(table.remove(mock_frames)) end
  end,
}

if type(alc) == "table" then
  alc.spy = function(name, fn)
    if type(name) ~= "string" then error("alc.spy: name must be a string", 2) end
    local impl = fn
    if impl == nil then impl = _G.alc[name] end
    local handle = { call_count = 0, calls = {} }
    function handle.reset(self)
      self = self or handle
      self.call_count, self.calls = 0, {}
    end
    local function recorder(...)
      handle.call_count = handle.call_count + 1
      handle.calls[#handle.calls + 1] = { args = { ... } }
      if type(impl) == "function" then return impl(...) end
    end
    mock_frames[#mock_frames + 1] = swap({ [name] = recorder }, "alc.spy")
    return handle
  end
end

-- require with package.path: specs prepend templates such as "./flow/doc/?.lua" to reach
-- modules outside a package's own folder. Relative templates are tried through loadfile (so
-- the files still come from the package roots only) when the ordinary require finds nothing.
local base_require = require
local function load_by_path(name)
  local rel = (string.gsub(name, "%.", "/"))
  for template in string.gmatch(package.path or "", "[^;]+") do
    local relative = string.match(template, "^%./(.+)$")
    if relative == nil and string.sub(template, 1, 1) ~= "/" then relative = template end
    if relative ~= nil then
      local candidate = (string.gsub(relative, "%?", rel))
      local fn = loadfile(candidate)
      if fn ~= nil then return fn, candidate end
    end
  end
  return nil
end
function require(name)
  local ok, mod = pcall(base_require, name)
  if ok then return mod end
  if type(name) == "string" and type(mod) == "string" and string.find(mod, "not found", 1, true) then
    local fn, file = load_by_path(name)
    if fn ~= nil then
      local result = fn(name, file)
      if result == nil then result = true end
      if package.loaded[name] == nil then package.loaded[name] = result end
      return package.loaded[name]
    end
  end
  error(mod, 2)
end

local chunk, err = load(source, "@" .. chunkname, "t")
local report = { cases = cases }
if chunk == nil then
  report.error = message_of(err)
else
  local ok, run_err = pcall(chunk)
  if not ok then report.error = message_of(run_err) end
end
report.passed, report.failed = lust.passes, lust.errors
return report
