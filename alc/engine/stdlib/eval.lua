-- eval.lua: alc.eval(scenario, strategy, opts), algocline's in-session evaluation. Compiled on
-- the first read of alc.eval; the work is done by the `evalframe` module on the package search
-- path (alc ships one: alc/strategies/evalframe.lua; docs/evals.md).
local alc = ...

function alc.eval(scenario, strategy, opts)
  return require("evalframe").eval(scenario, strategy, opts)
end
