-- llm.lua: combinators that call alc.llm / alc.llm_batch (and so pause the session).
-- Loaded on first use by prelude.lua.
local alc = ...

local function copy(t)
  local out = {}
  if t ~= nil then
    for k, v in pairs(t) do out[k] = v end
  end
  return out
end

-- session-scoped cache ---------------------------------------------------------------------

local MAX_ENTRIES = 256
local cache, order, hits, misses = {}, {}, 0, 0

-- the exact request: prompt, system, max_tokens and every pass-through option
local function cache_signature(prompt, opts)
  local extra = {}
  for k, v in pairs(opts) do
    if k ~= "system" and k ~= "max_tokens" and k ~= "cache_key" and k ~= "cache_skip" then
      extra[k] = v
    end
  end
  return table.concat({
    tostring(prompt), tostring(opts.system), tostring(opts.max_tokens), alc.json_encode(extra),
  }, "\0")
end

--- alc.cache(prompt, opts) -> string: alc.llm memoised for this session (256 entries, oldest
--- evicted first). opts.cache_key replaces the computed key; opts.cache_skip bypasses the cache.
function alc.cache(prompt, opts)
  opts = opts or {}
  if opts.cache_skip then return alc.llm(prompt, opts) end
  local key = opts.cache_key
  if key == nil then key = cache_signature(prompt, opts) end
  local hit = cache[key]
  if hit ~= nil then
    hits = hits + 1
    return hit
  end
  local response = alc.llm(prompt, opts)
  cache[key] = response
  order[#order + 1] = key
  misses = misses + 1
  while #order > MAX_ENTRIES do
    cache[table.remove(order, 1)] = nil
  end
  return response
end

--- alc.cache_info() -> {entries, hits, misses, max_entries}
function alc.cache_info()
  return { entries = #order, hits = hits, misses = misses, max_entries = MAX_ENTRIES }
end

--- alc.cache_clear(): forget every cached response and reset the counters.
function alc.cache_clear()
  cache, order, hits, misses = {}, {}, 0, 0
end

-- flagged calls ----------------------------------------------------------------------------

--- alc.ground(claim, opts) -> string: alc.llm with grounded = true.
function alc.ground(claim, opts)
  local merged = copy(opts)
  merged.grounded = true
  return alc.llm(claim, merged)
end

--- alc.specify(prompt, opts) -> string: alc.llm with underspecified = true.
function alc.specify(prompt, opts)
  local merged = copy(opts)
  merged.underspecified = true
  return alc.llm(prompt, merged)
end

--- alc.llm_safe(prompt, opts, default) -> string: alc.llm, or default (logged) if it errors.
function alc.llm_safe(prompt, opts, default)
  local ok, result = pcall(alc.llm, prompt, opts)
  if ok then return result end
  alc.log("warn", "alc.llm_safe: " .. tostring(result))
  return default
end

local JSON_SYSTEM = "Answer with one valid JSON value only: no markdown fences, no commentary."

--- alc.llm_json(prompt, opts) -> table|nil, raw: alc.llm + alc.json_extract; when no JSON is
--- found, asks once more with the previous output and a corrective instruction.
function alc.llm_json(prompt, opts)
  opts = opts or {}
  local raw = alc.llm(prompt, opts)
  local parsed = alc.json_extract(raw)
  if parsed then return parsed, raw end
  alc.log("warn", "alc.llm_json: no JSON in the response, asking once more")
  local retry = copy(opts)
  retry.system = JSON_SYSTEM
  raw = alc.llm(
    "Your previous response did not contain valid JSON.\n\n"
      .. "Previous response:\n" .. tostring(raw) .. "\n\n"
      .. "Reply again with ONLY the corrected JSON.\n\n"
      .. "Original request:\n" .. prompt,
    retry
  )
  parsed = alc.json_extract(raw)
  if not parsed then alc.log("warn", "alc.llm_json: still no JSON after the retry") end
  return parsed, raw
end

-- batches and pipelines --------------------------------------------------------------------

--- alc.parallel(items, prompt_fn, opts) -> array: one alc.llm_batch over prompt_fn(item, i)
--- (a prompt string, or a full {prompt=...} item); opts.system / opts.max_tokens apply to
--- string prompts; opts.post_fn(response, item, i) maps each response.
function alc.parallel(items, prompt_fn, opts)
  if type(items) ~= "table" or #items == 0 then
    error("alc.parallel: items must be a non-empty array", 2)
  end
  if type(prompt_fn) ~= "function" then
    error("alc.parallel: prompt_fn must be a function", 2)
  end
  opts = opts or {}
  local batch = {}
  for i, item in ipairs(items) do
    local p = prompt_fn(item, i)
    if type(p) == "string" then
      batch[i] = { prompt = p, system = opts.system, max_tokens = opts.max_tokens }
    elseif type(p) == "table" then
      if type(p.prompt) ~= "string" then
        error("alc.parallel: prompt_fn returned a table without .prompt at index " .. i, 2)
      end
      batch[i] = p
    else
      error("alc.parallel: prompt_fn must return a string or a table, got "
        .. type(p) .. " at index " .. i, 2)
    end
  end
  local responses = alc.llm_batch(batch)
  if not opts.post_fn then return responses end
  local out = mark_array({})
  for i, response in ipairs(responses) do out[i] = opts.post_fn(response, items[i], i) end
  return out
end

local function stage_ctx(pipe_ctx, returned)
  if returned == nil then return pipe_ctx end
  if type(returned) == "table" then return returned end
  pipe_ctx.result = returned
  return pipe_ctx
end

--- alc.pipe(strategies, ctx, opts) -> ctx: run stages in order (package names, run through
--- require(name).run(ctx), or functions of ctx); each stage's result becomes the next stage's
--- ctx.task (tables JSON-encoded). ctx.pipe_history lists {strategy, result} (or {strategy,
--- error}). opts.on_error = "abort" (default) re-raises; "skip"/"continue" log and go on.
--- opts.on_stage(i, name, ctx) runs after every successful stage.
function alc.pipe(strategies, ctx, opts)
  if type(strategies) ~= "table" or #strategies == 0 then
    error("alc.pipe: strategies must be a non-empty array", 2)
  end
  if type(ctx) ~= "table" then error("alc.pipe: ctx must be a table", 2) end
  opts = opts or {}
  local on_error = opts.on_error or "abort"
  local pipe_ctx = copy(ctx)
  local history = mark_array({})
  pipe_ctx.pipe_history = history
  for i, entry in ipairs(strategies) do
    local name, run
    if type(entry) == "string" then
      name = entry
      local ok, pkg = pcall(require, entry)
      if not ok then
        error("alc.pipe: failed to load strategy '" .. entry .. "': " .. tostring(pkg), 2)
      end
      if type(pkg) ~= "table" or type(pkg.run) ~= "function" then
        error("alc.pipe: strategy '" .. entry .. "' must export run(ctx)", 2)
      end
      run = pkg.run
    elseif type(entry) == "function" then
      name, run = "(inline-" .. i .. ")", entry
    else
      error("alc.pipe: strategy[" .. i .. "] must be a string or a function", 2)
    end
    local ok, returned = true, nil
    if on_error == "abort" then
      returned = run(pipe_ctx)
    else
      ok, returned = pcall(run, pipe_ctx)
    end
    if not ok then
      alc.log("warn", "alc.pipe: stage '" .. name .. "' failed: " .. tostring(returned))
      history[#history + 1] = { strategy = name, error = tostring(returned) }
    else
      pipe_ctx = stage_ctx(pipe_ctx, returned)
      if pipe_ctx.pipe_history == nil then pipe_ctx.pipe_history = history end
      history = pipe_ctx.pipe_history
      history[#history + 1] = { strategy = name, result = pipe_ctx.result }
      if pipe_ctx.result ~= nil and i < #strategies then
        if type(pipe_ctx.result) == "table" then
          pipe_ctx.task = alc.json_encode(pipe_ctx.result)
        else
          pipe_ctx.task = tostring(pipe_ctx.result)
        end
      end
      if opts.on_stage then opts.on_stage(i, name, pipe_ctx) end
    end
  end
  return pipe_ctx
end
