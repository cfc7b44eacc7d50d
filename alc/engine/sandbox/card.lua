-- sandbox/card.lua: alc.card, immutable run records in the engine's store
-- (alc/engine/cards.py, docs/cards.md), built on the namespace's first use (see "lazy units" in
-- boot.lua): called with boot's internals, returns the members. Every call is one recorded
-- effect, so replay never writes a card twice.
local I = ...
local card = {}
local card_op = I.host_fn("card")
local OPS = { "create", "get", "list", "find", "append", "write_samples", "read_samples",
  "alias_set", "alias_list", "get_by_alias", "lineage" }
for i = 1, #OPS do
  local op = OPS[i]
  card[op] = function(...) return card_op(op, ...) end
end
return card
