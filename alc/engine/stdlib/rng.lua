-- rng.lua: seeded RNG objects and samplers for alc.math, and alc.math.permutations (here
-- rather than in Python so that its n! results are built under the session's instruction and
-- memory limits). Loaded on first use by prelude.lua.
--
-- An RNG is a plain table {seed = <integer>, state = <integer>}: it can be stored, copied,
-- JSON-encoded (alc.state, results) and restored, and the same seed gives the same stream on
-- every machine and on replay. The generator is SplitMix64 (64-bit integer arithmetic); every
-- draw advances rng.state in place.
local alc = ...
local M = alc.math

local floor, sqrt, log, exp, cos, abs, pi = math.floor, math.sqrt, math.log, math.exp, math.cos,
  math.abs, math.pi
local mtype, tointeger = math.type, math.tointeger

local function mix(z)
  z = (z ~ (z >> 30)) * 0xBF58476D1CE4E5B9
  z = (z ~ (z >> 27)) * 0x94D049BB133111EB
  return z ~ (z >> 31)
end

local function fail(fname, msg) error("alc.math." .. fname .. ": " .. msg, 0) end

local function check(fname, rng)
  if type(rng) ~= "table" or mtype(rng.state) ~= "integer" then
    fail(fname, "the first argument must be an RNG from alc.math.rng_create")
  end
  return rng
end

local function number(fname, what, v, default)
  if v == nil then v = default end
  if type(v) ~= "number" then fail(fname, what .. " must be a number") end
  return v
end

local function positive(fname, what, v, default)
  v = number(fname, what, v, default)
  if not (v > 0) then fail(fname, what .. " must be > 0") end
  return v
end

local function integer(fname, what, v)
  local i = type(v) == "number" and tointeger(v) or nil
  if i == nil then fail(fname, what .. " must be an integer") end
  return i
end

local function next64(rng)
  local s = rng.state + 0x9E3779B97F4A7C15
  rng.state = s
  return mix(s)
end

local function float(rng) return (next64(rng) >> 11) * 0x1.0p-53 end

-- uniform integer in [0, n) without modulo bias (n >= 1)
local function below(rng, n)
  while true do
    local r = next64(rng) >> 1
    local v = r % n
    if r - v + (n - 1) >= 0 then return v end
  end
end

local function std_normal(rng)
  local u1 = 1 - float(rng)
  return sqrt(-2 * log(u1)) * cos(2 * pi * float(rng))
end

local function gamma1(rng, a)
  if a < 1 then
    return gamma1(rng, a + 1) * (1 - float(rng)) ^ (1 / a)
  end
  local d = a - 1 / 3
  local c = 1 / sqrt(9 * d)
  while true do
    local x, v
    repeat
      x = std_normal(rng)
      v = 1 + c * x
    until v > 0
    v = v * v * v
    local u = float(rng)
    if u < 1 - 0.0331 * x * x * x * x or log(u) < 0.5 * x * x + d * (1 - v + log(v)) then
      return d * v
    end
  end
end

local function beta1(rng, a, b)
  local x, y = gamma1(rng, a), gamma1(rng, b)
  if x + y == 0 then return float(rng) < a / (a + b) and 1.0 or 0.0 end
  return x / (x + y)
end

local function ln_factorial(k)
  if k < 20 then
    local s = 0.0
    for i = 2, k do s = s + log(i) end
    return s
  end
  local x = k + 1
  local x2 = x * x
  return (x - 0.5) * log(x) - x + 0.5 * log(2 * pi)
    + 1 / (12 * x) - 1 / (360 * x * x2) + 1 / (1260 * x * x2 * x2)
end

local function poisson(rng, lam)
  if lam < 30 then
    local limit, k, p = exp(-lam), 0, 1.0
    repeat
      k = k + 1
      p = p * float(rng)
    until p <= limit
    return k - 1
  end
  -- PTRS, transformed rejection with squeeze (Hormann 1993)
  local slam, loglam = sqrt(lam), log(lam)
  local b = 0.931 + 2.53 * slam
  local a = -0.059 + 0.02483 * b
  local inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
  local vr = 0.9277 - 3.6224 / (b - 2)
  while true do
    local u = float(rng) - 0.5
    local v = float(rng)
    local us = 0.5 - abs(u)
    local k = floor((2 * a / us + b) * u + lam + 0.43)
    if us >= 0.07 and v <= vr then return k end
    if k >= 0 and not (us < 0.013 and v > us) then
      if log(v) + log(inv_alpha) - log(a / (us * us) + b)
        <= -lam + k * loglam - ln_factorial(k) then
        return k
      end
    end
  end
end

local function binomial(rng, n, p)
  if n == 0 or p <= 0 then return 0 end
  if p >= 1 then return n end
  if p > 0.5 then return n - binomial(rng, n, 1 - p) end
  if n * p < 30 then
    -- second waiting-time method: exponential spacings until their scaled sum passes -log(1-p)
    local q, x, s = -log(1 - p), 0, 0.0
    while x < n do
      s = s + (-log(1 - float(rng))) / (n - x)
      if s > q then return x end
      x = x + 1
    end
    return n
  end
  -- split on an order statistic of n uniforms (a Beta variate), halving n each time
  local i = n // 2 + 1
  local y = beta1(rng, i, n + 1 - i)
  if y >= p then return binomial(rng, i - 1, p / y) end
  return i + binomial(rng, n - i, (p - y) / (1 - y))
end

local function weights_of(fname, what, t, min_len)
  if type(t) ~= "table" or #t < min_len then
    fail(fname, what .. " must be an array of at least " .. min_len .. " numbers")
  end
  return t
end

--- alc.math.rng_create(seed) -> rng: a new RNG. seed: an integer (a float is floored); nil
--- draws one from the session's seeded math.random (still deterministic on replay).
function M.rng_create(seed)
  if seed == nil then
    seed = math.random(0)
  elseif type(seed) ~= "number" or seed ~= seed or seed == math.huge or seed == -math.huge then
    fail("rng_create", "seed must be a finite number")
  elseif mtype(seed) == "float" then
    seed = tointeger(floor(seed)) or floor(seed % 2 ^ 53)
  end
  return { seed = seed, state = mix(seed) }
end

--- alc.math.rng_float(rng) -> float in [0, 1)
function M.rng_float(rng)
  return float(check("rng_float", rng))
end

--- alc.math.rng_int(rng, min, max) -> integer in [min, max] (inclusive, unbiased)
function M.rng_int(rng, lo, hi)
  check("rng_int", rng)
  lo, hi = integer("rng_int", "min", lo), integer("rng_int", "max", hi)
  if lo > hi then fail("rng_int", "min must be <= max") end
  local span = hi - lo
  if span < 0 or span == math.maxinteger then fail("rng_int", "the range is too large") end
  return lo + below(rng, span + 1)
end

--- alc.math.shuffle(rng, t) -> t, shuffled in place (Fisher-Yates)
function M.shuffle(rng, t)
  check("shuffle", rng)
  if type(t) ~= "table" then fail("shuffle", "the second argument must be an array") end
  for i = #t, 2, -1 do
    local j = below(rng, i) + 1
    t[i], t[j] = t[j], t[i]
  end
  return t
end

--- alc.math.sample_with_replacement(rng, t, n) -> array of n elements of t
function M.sample_with_replacement(rng, t, n)
  check("sample_with_replacement", rng)
  if type(t) ~= "table" or #t == 0 then
    fail("sample_with_replacement", "the source must be a non-empty array")
  end
  n = integer("sample_with_replacement", "n", n)
  local out, len = mark_array({}), #t
  for i = 1, n do out[i] = t[below(rng, len) + 1] end
  return out
end

-- a draw of N(mu, sigma) (sigma >= 0), the arguments checked under fname's names
local function normal_draw(fname, rng, mu, sigma, mu_name, sigma_name)
  check(fname, rng)
  mu = number(fname, mu_name, mu, 0)
  sigma = number(fname, sigma_name, sigma, 1)
  if sigma < 0 then fail(fname, sigma_name .. " must be >= 0") end
  return mu + sigma * std_normal(rng)
end

--- alc.math.normal_sample(rng, mean=0, stddev=1) -> float
function M.normal_sample(rng, mean, sd)
  return normal_draw("normal_sample", rng, mean, sd, "mean", "stddev")
end

--- alc.math.uniform_sample(rng, low, high) -> float in [low, high)
function M.uniform_sample(rng, low, high)
  check("uniform_sample", rng)
  low = number("uniform_sample", "low", low, 0)
  high = number("uniform_sample", "high", high, 1)
  if high < low then fail("uniform_sample", "high must be >= low") end
  return low + (high - low) * float(rng)
end

--- alc.math.exp_sample(rng, lambda) -> float (exponential with rate lambda)
function M.exp_sample(rng, lambda)
  check("exp_sample", rng)
  lambda = positive("exp_sample", "lambda", lambda, 1)
  return -log(1 - float(rng)) / lambda
end

--- alc.math.lognormal_sample(rng, mu=0, sigma=1) -> float
function M.lognormal_sample(rng, mu, sigma)
  return exp(normal_draw("lognormal_sample", rng, mu, sigma, "mu", "sigma"))
end

--- alc.math.gamma_sample(rng, shape, scale=1) -> float (Marsaglia-Tsang)
function M.gamma_sample(rng, shape, scale)
  check("gamma_sample", rng)
  shape = positive("gamma_sample", "shape", shape)
  scale = positive("gamma_sample", "scale", scale, 1)
  return gamma1(rng, shape) * scale
end

--- alc.math.beta_sample(rng, alpha, beta) -> float in [0, 1]
function M.beta_sample(rng, a, b)
  check("beta_sample", rng)
  return beta1(rng, positive("beta_sample", "alpha", a), positive("beta_sample", "beta", b))
end

--- alc.math.chi_squared_sample(rng, df) -> float
function M.chi_squared_sample(rng, df)
  check("chi_squared_sample", rng)
  return 2 * gamma1(rng, positive("chi_squared_sample", "df", df) / 2)
end

--- alc.math.student_t_sample(rng, df) -> float
function M.student_t_sample(rng, df)
  check("student_t_sample", rng)
  df = positive("student_t_sample", "df", df)
  local z = std_normal(rng)
  return z / sqrt(2 * gamma1(rng, df / 2) / df)
end

--- alc.math.poisson_sample(rng, lambda) -> integer
function M.poisson_sample(rng, lambda)
  check("poisson_sample", rng)
  return poisson(rng, positive("poisson_sample", "lambda", lambda))
end

--- alc.math.binomial_sample(rng, n, p) -> integer in [0, n]
function M.binomial_sample(rng, n, p)
  check("binomial_sample", rng)
  n = integer("binomial_sample", "n", n)
  p = number("binomial_sample", "p", p)
  if n < 0 then fail("binomial_sample", "n must be >= 0") end
  if not (p >= 0 and p <= 1) then fail("binomial_sample", "p must be in [0, 1]") end
  return binomial(rng, n, p)
end

--- alc.math.categorical_sample(rng, weights) -> 1-based index, chosen with probability
--- proportional to its (non-negative) weight
function M.categorical_sample(rng, weights)
  check("categorical_sample", rng)
  weights_of("categorical_sample", "weights", weights, 1)
  local total = 0
  for i = 1, #weights do
    local w = weights[i]
    if type(w) ~= "number" or not (w >= 0) or w == math.huge then
      fail("categorical_sample", "weights must be finite numbers >= 0")
    end
    total = total + w
  end
  if total <= 0 then fail("categorical_sample", "at least one weight must be > 0") end
  local target, acc, last = float(rng) * total, 0, 1
  for i = 1, #weights do
    if weights[i] > 0 then
      acc = acc + weights[i]
      last = i
      if target < acc then return i end
    end
  end
  return last
end

--- alc.math.dirichlet_sample(rng, alphas) -> array of probabilities summing to 1
function M.dirichlet_sample(rng, alphas)
  check("dirichlet_sample", rng)
  weights_of("dirichlet_sample", "alphas", alphas, 1)
  local out, total = mark_array({}), 0
  for i = 1, #alphas do
    local a = alphas[i]
    if type(a) ~= "number" or not (a > 0) then
      fail("dirichlet_sample", "alphas must be numbers > 0")
    end
    out[i] = gamma1(rng, a)
    total = total + out[i]
  end
  if total == 0 then -- every draw underflowed: put all mass on one component
    local pick = M.categorical_sample(rng, alphas)
    for i = 1, #out do out[i] = i == pick and 1.0 or 0.0 end
    return out
  end
  for i = 1, #out do out[i] = out[i] / total end
  return out
end

--- alc.math.permutations(n) -> every permutation of 1..n in lexicographic order (n <= 10).
--- Built in Lua, so a result too large for the session fails with memory_limit or timeout.
function M.permutations(n)
  local k = type(n) == "number" and tointeger(n) or nil
  if k == nil or k < 0 then fail("permutations", "n must be an integer >= 0") end
  if k > 10 then fail("permutations", "n must be <= 10 (n! permutations)") end
  local p = {}
  for i = 1, k do p[i] = i end
  local out = mark_array({})
  while true do
    out[#out + 1] = mark_array(table.move(p, 1, k, 1, {}))
    local i = k - 1 -- the next permutation in lexicographic order (Narayana Pandita)
    while i >= 1 and p[i] > p[i + 1] do i = i - 1 end
    if i < 1 then return out end
    local j = k
    while p[j] < p[i] do j = j - 1 end
    p[i], p[j] = p[j], p[i]
    local lo, hi = i + 1, k
    while lo < hi do
      p[lo], p[hi] = p[hi], p[lo]
      lo, hi = lo + 1, hi - 1
    end
  end
end
