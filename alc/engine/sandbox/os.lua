-- sandbox/os.lua: the strategy's os table (time, clock and dates from the journaled host
-- clock, getenv through the host's allow-list, everything touching files or processes refused),
-- built on the namespace's first use (see "lazy units" in boot.lua): returns its members.
local I = ...
local raw, now, REFUSED = I.raw, I.now, I.REFUSED

local getenv = I.host_fn("getenv")
local clock = I.host_fn("clock")

-- os.date and os.time(table) in UTC whatever the process's time zone (TZ is not journaled, so
-- local time would make a replay under another zone diverge): os.date formats as with a
-- leading "!", os.time(table) reads the table as UTC (timegm) and normalises its fields
local function date_field(t, k, default)
  local v = raw.rawget(t, k)
  if v == nil then
    if default == nil then raw.error("field '" .. k .. "' missing in date table", 3) end
    return default
  end
  local n = raw.tonumber(v)
  if n ~= nil and raw.mtype(n) == "float" and n == raw.floor(n) and n > -2^62 and n < 2^62 then
    n = raw.floor(n)
  end
  if n == nil or raw.mtype(n) ~= "integer" then
    raw.error("field '" .. k .. "' is not an integer", 3)
  end
  return n
end

local function days_from_civil(y, m, d)  -- days since 1970-01-01 (proleptic Gregorian)
  y = y + (m - 1) // 12
  m = (m - 1) % 12 + 1
  if m <= 2 then y = y - 1 end
  local era = y // 400
  local yoe = y - era * 400
  local doy = (153 * ((m + 9) % 12) + 2) // 5 + d - 1
  return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468
end

local function utc_time(t)
  if raw.type(t) ~= "table" then
    raw.error("bad argument #1 to 'time' (table expected, got " .. raw.type(t) .. ")", 3)
  end
  local days = days_from_civil(date_field(t, "year"), date_field(t, "month"), date_field(t, "day"))
  local stamp = days * 86400 + date_field(t, "hour", 12) * 3600 + date_field(t, "min", 0) * 60
    + date_field(t, "sec", 0)
  local ok, norm = raw.pcall(raw.os_date, "!*t", stamp)
  if not ok then raw.error("time result cannot be represented in this installation", 3) end
  for _, k in raw.pairs({"year", "month", "day", "hour", "min", "sec", "wday", "yday"}) do
    raw.rawset(t, k, norm[k])
  end
  raw.rawset(t, "isdst", false)
  return stamp
end

return {
  time = function(t)
    if t ~= nil then return utc_time(t) end
    return raw.floor(now())
  end,
  clock = function() return clock() end,
  date = function(fmt, t)
    if t == nil then t = raw.floor(now()) end
    if fmt == nil then
      fmt = "!%c"
    elseif raw.type(fmt) == "string" and raw.sub(fmt, 1, 1) ~= "!" then
      fmt = "!" .. fmt
    end
    return raw.os_date(fmt, t)
  end,
  difftime = raw.difftime,
  getenv = function(name)
    if raw.type(name) ~= "string" then return nil end
    return getenv(name)  -- the host decides what is visible (alc.engine.host.lua_env)
  end,
  execute = function() return nil, "exit", 1 end,
  exit = function() raw.error("os.exit is not permitted in an alc strategy; return a result", 2) end,
  remove = function() return nil, REFUSED, 13 end,
  rename = function() return nil, REFUSED, 13 end,
  tmpname = function() raw.error(REFUSED, 2) end,
}
