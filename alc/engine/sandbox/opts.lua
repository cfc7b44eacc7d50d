-- sandbox/opts.lua: the fields of one query from the prompt and opts of an alc.llm or
-- alc.llm_batch item (boot.lua's header lists them), loaded on the first call with opts or a
-- prompt that is not a string (see "lazy units" in boot.lua); called with boot's internals,
-- returns llm_item. It runs as a tail call of boot's llm_item: error level 3 is the caller of
-- the alc function.
local I = ...
local raw, NULL, encode = I.raw, I.NULL, I.encode

local MAX_TOKENS = 2147483647  -- opts.max_tokens range (a 32-bit count every host can take)

local function llm_item(prompt, opts, where)
  if raw.type(prompt) ~= "string" then
    raw.error(where .. ": prompt must be a string, got " .. raw.type(prompt), 3)
  end
  local system, max_tokens, flags, extra = nil, 1024, 0, nil
  if opts ~= nil then
    if raw.type(opts) ~= "table" then
      raw.error(where .. ": opts must be a table, got " .. raw.type(opts), 3)
    end
    for k, v in raw.next, opts do
      if k == "system" then
        local null = raw.rawequal(v, NULL)
        if v ~= nil and not null and raw.type(v) ~= "string" then
          raw.error(where .. ": opts.system must be a string", 3)
        end
        if not null then system = v end
      elseif k == "max_tokens" then
        if raw.mtype(v) == nil or not (v >= 1 and v <= MAX_TOKENS) then
          raw.error(where .. ": opts.max_tokens must be a number from 1 to " .. MAX_TOKENS, 3)
        end
        max_tokens = raw.floor(v)
      elseif k == "grounded" then
        if v then flags = flags | 1 end
      elseif k == "underspecified" then
        if v then flags = flags | 2 end
      elseif k == "role" or k == "cache_breakpoint" then
        -- shown to the driver as top-level fields of the query (algocline), not under options
        if not raw.rawequal(v, NULL) then
          if raw.type(v) ~= "string" then
            raw.error(where .. ": opts." .. k .. " must be a string", 3)
          end
          extra = extra or {}
          extra[k] = v
        end
      else
        extra = extra or {}
        extra[k] = v
      end
    end
  end
  return prompt, system, max_tokens, flags, extra and encode(extra) or nil
end

return llm_item
