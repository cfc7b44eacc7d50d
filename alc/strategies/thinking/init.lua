--- thinking: durable sequential thinking (numbered thoughts, revisions, branches).
---
--- The "sequential thinking" pattern popularised by the reference MCP server
--- (modelcontextprotocol/servers, src/sequentialthinking): the model writes one numbered thought
--- at a time, may revise an earlier thought, branch off an earlier thought under a `branchId`, and
--- raise its estimate of how many thoughts it needs. Here each pause asks the driver for the next
--- thought, so the driver's own LLM does the thinking and the engine keeps the chain: durable,
--- restorable, bounded, readable afterwards.
---
--- An answer is a JSON object with the reference fields
---   thought (string), thoughtNumber, totalThoughts (integers >= 1), nextThoughtNeeded (boolean),
---   isRevision, revisesThought, branchFromThought, branchId, needsMoreThoughts (optional)
--- (snake_case aliases and numbers/booleans written as strings are accepted), or plain text, which
--- counts as the next thought with defaults (next number, same total, more thoughts needed).
--- Invalid references (a revision or branch pointing at a thought that does not exist, ...) are
--- reported back as warnings, never as errors. The chain completes when a thought says
--- nextThoughtNeeded = false, or when ctx.max_thoughts thoughts have been recorded.
---
--- Each pause carries the chain's current view in its query options (`options.chain`): the
--- reference reply fields plus the branch tree, the warnings of the last thought and the last few
--- thoughts. `alc.thinking` (the `sequentialthinking` MCP tool) reads it from there.
local M = {}

M.meta = {
  name = "thinking",
  version = "1.0.0",
  description = "Sequential thinking: the driver supplies numbered thoughts one at a time (with revisions and branches); the engine keeps the chain durable and returns it whole",
  category = "reasoning",
  paper = {
    authors = "Anthropic / Model Context Protocol contributors",
    year = 2024,
    title = "Sequential Thinking MCP server (modelcontextprotocol/servers, src/sequentialthinking)",
  },
  params = {
    { name = "task", type = "string", default = nil, description = "What the chain is about (optional; shown in every prompt)" },
    { name = "max_thoughts", type = "integer", default = 200, description = "The chain completes after this many thoughts (at most 10000)" },
    { name = "recent", type = "integer", default = 3, description = "How many recent thoughts each pause (and the result) echoes back" },
    { name = "first", type = "object", default = nil, description = "The first thought, already given (as an answer would be); the session then pauses for the second" },
    { name = "thought_tokens", type = "integer", default = 1024, description = "max_tokens asked for each thought" },
  },
  example = { task = "Plan the migration of a monolith's session store to Redis", max_thoughts = 20 },
  result = "thoughts (history), main (numbers on the main line), branches ({id: {from, thoughts}}), revisions, final_thought, counts, warnings, stopped ('complete' | 'max_thoughts')",
}

local MAX_LIMIT = 10000
local EXCERPT = 500

-- the metatable alc gives JSON arrays, taken once (a host call per empty array cost more than the
-- rest of a thought's Lua)
local ARRAY_MT = getmetatable(alc.json_decode("[]"))

local function array()
  return setmetatable({}, ARRAY_MT) -- an empty table that encodes as [] (not {})
end

local function present(v)
  return v ~= nil and v ~= alc.NULL
end

local function trim(s)
  return (tostring(s):gsub("^%s+", ""):gsub("%s+$", ""))
end

local function fail(msg)
  error("thinking: " .. msg, 0)
end

local function int_param(ctx, key, default, lo, hi)
  local v = ctx[key]
  if not present(v) then return default end
  if type(v) == "string" then v = tonumber(v) end
  if type(v) ~= "number" or v ~= math.floor(v) or v < lo or v > hi then
    fail(string.format("ctx.%s must be an integer between %d and %d", key, lo, hi))
  end
  return math.tointeger(v)
end

-- field aliases: reference camelCase first, then snake_case
local ALIASES = {
  thought = { "thought" },
  thoughtNumber = { "thoughtNumber", "thought_number" },
  totalThoughts = { "totalThoughts", "total_thoughts" },
  nextThoughtNeeded = { "nextThoughtNeeded", "next_thought_needed" },
  isRevision = { "isRevision", "is_revision" },
  revisesThought = { "revisesThought", "revises_thought" },
  branchFromThought = { "branchFromThought", "branch_from_thought" },
  branchId = { "branchId", "branch_id" },
  needsMoreThoughts = { "needsMoreThoughts", "needs_more_thoughts" },
}

local function field(obj, name)
  for _, key in ipairs(ALIASES[name]) do
    local v = obj[key]
    if present(v) then return v end
  end
  return nil
end

-- integer >= 1 from a number or a numeric string; nil + warning otherwise
local function as_int(v, name, warnings)
  if v == nil then return nil end
  local n = v
  if type(n) == "string" then n = tonumber(trim(n)) end
  if type(n) ~= "number" or n ~= math.floor(n) or n < 1 then
    warnings[#warnings + 1] = string.format("%s must be an integer >= 1 (got %s); ignored", name, tostring(v))
    return nil
  end
  return math.tointeger(n)
end

local TRUE = { ["true"] = true, yes = true, ["1"] = true, y = true }
local FALSE = { ["false"] = false, no = false, ["0"] = false, n = false }

local function as_bool(v, name, warnings)
  if v == nil then return nil end
  if type(v) == "boolean" then return v end
  if type(v) == "string" then
    local s = trim(v):lower()
    if TRUE[s] ~= nil then return true end
    if FALSE[s] ~= nil then return false end
  end
  if type(v) == "number" and (v == 0 or v == 1) then return v == 1 end
  warnings[#warnings + 1] = string.format("%s must be a boolean (got %s); ignored", name, tostring(v))
  return nil
end

-- Decode an answer into a table with a `thought`, or nil (plain text).
local function decode(text)
  if type(text) ~= "string" then return nil end
  local s = trim(text)
  if s:sub(1, 1) ~= "{" and s:find("{", 1, true) == nil then return nil end
  -- a well-formed JSON object (the usual case) decodes directly; prose around it or a fenced
  -- block goes through json_extract
  local ok, data = pcall(alc.json_decode, s)
  if not ok or type(data) ~= "table" then
    data = nil
    if alc.json_extract then
      local extracted, v = pcall(alc.json_extract, s)
      if extracted then data = v end
    end
  end
  if type(data) == "table" and type(field(data, "thought")) == "string" then return data end
  return nil
end

--------------------------------------------------------------------------------------------
-- the chain
--------------------------------------------------------------------------------------------

local Chain = {}
Chain.__index = Chain

local function new_chain(recent)
  return setmetatable({
    history = array(), -- every thought record, in arrival order
    main = array(), -- thoughtNumbers on the main line (no branchId), in arrival order
    branches = {}, -- branchId -> { from = n, thoughts = {numbers} }
    branch_order = array(), -- branch ids in creation order
    revisions = array(), -- { thought = n, revises = m, branchId = id? }
    warnings = array(), -- every warning ever raised, { thought = n, message = s }
    last_warnings = array(),
    total = 1,
    last_number = 0,
    next_needed = true,
    recent = recent,
  }, Chain)
end

-- does thought number n exist on the main line or on the given branch (or its root line)?
function Chain:exists(n, branch_id)
  for _, rec in ipairs(self.history) do
    if rec.thoughtNumber == n then
      if branch_id == nil or rec.branchId == nil or rec.branchId == branch_id then return true end
    end
  end
  return false
end

-- Normalise one answer into a thought record (+ warnings); nil when it holds no thought.
function Chain:parse(answer, warnings)
  local obj = type(answer) == "table" and answer or decode(answer)
  if obj == nil then
    local text = trim(answer or "")
    if text == "" then
      warnings[#warnings + 1] = "empty answer ignored; send the next thought as text or as a JSON object"
      return nil
    end
    obj = { thought = text }
  end
  local thought = field(obj, "thought")
  if type(thought) ~= "string" or trim(thought) == "" then
    warnings[#warnings + 1] = "the answer has no 'thought' text; ignored"
    return nil
  end
  local rec = { thought = thought }
  rec.thoughtNumber = as_int(field(obj, "thoughtNumber"), "thoughtNumber", warnings) or (self.last_number + 1)
  rec.totalThoughts = as_int(field(obj, "totalThoughts"), "totalThoughts", warnings) or self.total
  local nxt = as_bool(field(obj, "nextThoughtNeeded"), "nextThoughtNeeded", warnings)
  if nxt == nil then nxt = true end
  rec.nextThoughtNeeded = nxt
  rec.isRevision = as_bool(field(obj, "isRevision"), "isRevision", warnings)
  rec.revisesThought = as_int(field(obj, "revisesThought"), "revisesThought", warnings)
  rec.branchFromThought = as_int(field(obj, "branchFromThought"), "branchFromThought", warnings)
  rec.needsMoreThoughts = as_bool(field(obj, "needsMoreThoughts"), "needsMoreThoughts", warnings)
  local bid = field(obj, "branchId")
  if bid ~= nil then
    if type(bid) == "number" then bid = tostring(math.tointeger(bid) or bid) end
    if type(bid) ~= "string" or trim(bid) == "" then
      warnings[#warnings + 1] = "branchId must be a non-empty string; ignored"
      bid = nil
    end
  end
  rec.branchId = bid
  return rec
end

-- Validate references and record the thought.
function Chain:add(rec, warnings)
  local n = rec.thoughtNumber
  -- revisions
  if rec.revisesThought ~= nil and not rec.isRevision then
    rec.isRevision = true
  end
  if rec.isRevision then
    local target = rec.revisesThought
    if target == nil then
      warnings[#warnings + 1] = string.format("thought %d is marked as a revision but names no revisesThought", n)
    elseif target >= n then
      warnings[#warnings + 1] = string.format(
        "thought %d revises thought %d, which does not come before it", n, target)
    elseif not self:exists(target, rec.branchId) then
      warnings[#warnings + 1] = string.format(
        "thought %d revises thought %d, which does not exist in this chain", n, target)
    end
    if target ~= nil then
      self.revisions[#self.revisions + 1] = { thought = n, revises = target, branchId = rec.branchId }
    end
  end
  -- branches
  if rec.branchFromThought ~= nil and rec.branchId == nil then
    rec.branchId = "branch-" .. rec.branchFromThought
    warnings[#warnings + 1] = string.format(
      "thought %d branches from thought %d without a branchId; filed under %q",
      n, rec.branchFromThought, rec.branchId)
  end
  if rec.branchId ~= nil then
    local branch = self.branches[rec.branchId]
    if branch == nil then
      local from = rec.branchFromThought
      if from == nil then
        warnings[#warnings + 1] = string.format(
          "branch %q starts without branchFromThought; rooted at thought %d", rec.branchId, self.last_number)
        from = self.last_number
      elseif from >= n then
        warnings[#warnings + 1] = string.format(
          "branch %q starts at thought %d but branches from thought %d, which does not come before it",
          rec.branchId, n, from)
      elseif not self:exists(from, nil) then
        warnings[#warnings + 1] = string.format(
          "branch %q branches from thought %d, which does not exist in this chain", rec.branchId, from)
      end
      branch = { from = from, thoughts = array() }
      self.branches[rec.branchId] = branch
      self.branch_order[#self.branch_order + 1] = rec.branchId
    elseif rec.branchFromThought ~= nil and rec.branchFromThought ~= branch.from then
      warnings[#warnings + 1] = string.format(
        "branch %q is rooted at thought %d; branchFromThought %d ignored",
        rec.branchId, branch.from, rec.branchFromThought)
    end
    branch.thoughts[#branch.thoughts + 1] = n
  else
    self.main[#self.main + 1] = n
  end
  -- numbering
  if n > self.last_number + 1 and rec.branchId == nil and not rec.isRevision then
    warnings[#warnings + 1] = string.format(
      "thought %d follows thought %d; thoughts %d-%d are missing", n, self.last_number,
      self.last_number + 1, n - 1)
  end
  if n > rec.totalThoughts then
    rec.totalThoughts = n -- the reference server's rule: the total grows to the current number
  end
  self.total = rec.totalThoughts
  if n > self.last_number then self.last_number = n end
  self.next_needed = rec.nextThoughtNeeded
  rec.index = #self.history + 1
  self.history[#self.history + 1] = rec
  self.last_warnings = warnings
  for _, w in ipairs(warnings) do
    self.warnings[#self.warnings + 1] = { thought = n, message = w }
  end
end

local function excerpt(text)
  if #text <= EXCERPT then return text end
  return text:sub(1, EXCERPT) .. "..."
end

function Chain:branch_ids()
  local ids = array()
  for i, id in ipairs(self.branch_order) do ids[i] = id end
  return ids
end

-- the last `limit` entries of a list (all of it when limit is nil): pause views stay small, so a
-- long chain costs the same per thought at its end as at its start
local function tail(list, limit)
  local out = array()
  local first = limit and math.max(1, #list - limit + 1) or 1
  for i = first, #list do out[#out + 1] = list[i] end
  return out
end

local VIEW_LIMIT = 64

-- the chain's structure; `limit` keeps only the most recent numbers of each line (pause views),
-- with `main_length` / `length` saying how long each line really is
function Chain:branch_tree(limit)
  local tree = array()
  for i, id in ipairs(self.branch_order) do
    local b = self.branches[id]
    tree[i] = { branchId = id, from = b.from, thoughts = tail(b.thoughts, limit) }
    if limit and #b.thoughts > limit then tree[i].length = #b.thoughts end
  end
  local out = { main = tail(self.main, limit), branches = tree }
  if limit and #self.main > limit then out.main_length = #self.main end
  return out
end

function Chain:recent_thoughts()
  local out = array()
  local first = math.max(1, #self.history - self.recent + 1)
  for i = first, #self.history do
    local rec = self.history[i]
    out[#out + 1] = {
      thoughtNumber = rec.thoughtNumber,
      thought = excerpt(rec.thought),
      branchId = rec.branchId,
      isRevision = rec.isRevision,
      revisesThought = rec.revisesThought,
    }
  end
  return out
end

-- The reply fields of the reference server plus the structure (what each pause carries).
function Chain:view()
  local warnings = array()
  for i, w in ipairs(self.last_warnings) do warnings[i] = w end
  return {
    thoughtNumber = self.history[#self.history] and self.history[#self.history].thoughtNumber or 0,
    totalThoughts = self.total,
    nextThoughtNeeded = self.next_needed,
    branches = self:branch_ids(),
    thoughtHistoryLength = #self.history,
    branch_tree = self:branch_tree(VIEW_LIMIT),
    warnings = warnings,
    recent_thoughts = self:recent_thoughts(),
  }
end

function Chain:prompt(task, extra)
  local lines = {}
  if task then lines[#lines + 1] = "Task: " .. task .. "\n" end
  if #self.history == 0 then
    lines[#lines + 1] = "Start a chain of thoughts about the task. Write thought 1."
  else
    local last = self.history[#self.history]
    lines[#lines + 1] = string.format(
      "Thought chain so far: %d thought%s (main line: %d; branches: %s). Estimated total: %d.",
      #self.history, #self.history == 1 and "" or "s", #self.main,
      #self.branch_order > 0 and table.concat(self.branch_order, ", ") or "none", self.total)
    lines[#lines + 1] = "\nRecent thoughts:"
    for _, r in ipairs(self:recent_thoughts()) do
      local tag = ""
      if r.branchId then tag = tag .. " [branch " .. r.branchId .. "]" end
      if r.isRevision then tag = tag .. " [revises " .. tostring(r.revisesThought) .. "]" end
      lines[#lines + 1] = string.format("%d.%s %s", r.thoughtNumber, tag, r.thought)
    end
    lines[#lines + 1] = string.format("\nWrite thought %d.", last.thoughtNumber + 1)
  end
  if extra and #extra > 0 then
    lines[#lines + 1] = "\nWarnings about your last answer:\n- " .. table.concat(extra, "\n- ")
  end
  lines[#lines + 1] = "\nAnswer with a JSON object {\"thought\": \"...\", \"thoughtNumber\": n, "
    .. "\"totalThoughts\": n, \"nextThoughtNeeded\": true|false} (optional: isRevision, revisesThought, "
    .. "branchFromThought, branchId, needsMoreThoughts), or with plain text for the next thought. "
    .. "Set nextThoughtNeeded to false on your final thought."
  return table.concat(lines, "\n")
end

function Chain:result(task, stopped)
  local branches = {}
  for _, id in ipairs(self.branch_order) do
    local b = self.branches[id]
    branches[id] = { from = b.from, thoughts = b.thoughts }
  end
  local last = self.history[#self.history]
  local view = self:view()
  local all_warnings = array()
  for i, w in ipairs(self.warnings) do all_warnings[i] = w end
  return {
    task = task,
    thoughts = self.history,
    main = self.main,
    branches = branches,
    branch_ids = view.branches,
    branch_tree = self:branch_tree(),
    revisions = self.revisions,
    final_thought = last and last.thought or alc.NULL,
    counts = {
      thoughts = #self.history,
      main = #self.main,
      branches = #self.branch_order,
      revisions = #self.revisions,
      warnings = #self.warnings,
    },
    warnings = all_warnings,
    stopped = stopped,
    -- the reference reply fields, as in every pause
    thoughtNumber = view.thoughtNumber,
    totalThoughts = view.totalThoughts,
    nextThoughtNeeded = false,
    thoughtHistoryLength = view.thoughtHistoryLength,
    last_warnings = view.warnings,
    recent_thoughts = view.recent_thoughts,
  }
end

function M.run(ctx)
  if type(ctx) ~= "table" then fail("ctx must be a table") end
  local task = ctx.task
  if not present(task) then
    task = nil
  elseif type(task) ~= "string" then
    fail("ctx.task must be a string")
  elseif trim(task) == "" then
    task = nil
  end
  local max_thoughts = int_param(ctx, "max_thoughts", 200, 1, MAX_LIMIT)
  local recent = int_param(ctx, "recent", 3, 0, 50)
  local tokens = int_param(ctx, "thought_tokens", 1024, 1, 1000000)
  local chain = new_chain(recent)

  local pending_warnings = {}
  local answer = ctx.first
  local have_answer = present(answer)
  if have_answer and type(answer) ~= "table" and type(answer) ~= "string" then
    fail("ctx.first must be a thought object or text")
  end

  while true do
    if have_answer then
      local warnings = {}
      local rec = chain:parse(answer, warnings)
      if rec then
        chain:add(rec, warnings)
        pending_warnings = warnings
        alc.progress(#chain.history, math.max(chain.total, #chain.history), "thought " .. rec.thoughtNumber)
        if not rec.nextThoughtNeeded then
          return chain:result(task, "complete")
        end
        if #chain.history >= max_thoughts then
          chain.warnings[#chain.warnings + 1] = {
            thought = rec.thoughtNumber,
            message = string.format("the chain reached max_thoughts (%d) and was closed", max_thoughts),
          }
          chain.last_warnings = { string.format("the chain reached max_thoughts (%d) and was closed; start a new chain to go on", max_thoughts) }
          return chain:result(task, "max_thoughts")
        end
      else
        pending_warnings = warnings
        chain.last_warnings = warnings
      end
    end
    answer = alc.llm(chain:prompt(task, pending_warnings), {
      system = "You think step by step, one numbered thought per answer. You may revise an earlier thought or branch off from one.",
      max_tokens = tokens,
      chain = chain:view(),
    })
    have_answer = true
  end
end

return M
