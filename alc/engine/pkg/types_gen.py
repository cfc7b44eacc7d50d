"""The ``alc_shapes.d.lua`` type file of algocline's ``alc://types/alc_shapes.d.lua`` resource,
generated from the installed ``alc_shapes`` package with its own LuaCATS projector
(``alc_shapes.LuaCats.gen``), in a throwaway sandbox (no session, no journal)."""

from __future__ import annotations

from alc.engine.executor import Executor
from alc.engine.lua import Done
from alc.engine.packages import PackageResolver
from alc.engine.pkg._sandbox import ToolHost, drive
from alc.engine.protocol import Limits

__all__ = ["shapes_types"]

_LIMITS = Limits(max_step_seconds=30, max_memory=256 * 1024 * 1024)

_GEN = """
local found, S = pcall(require, "alc_shapes")
if not found then return nil end
local shapes = {}
for name, value in pairs(S) do
  if type(value) == "table" and S.is_schema(value) then shapes[name] = value end
end
return S.LuaCats.gen(shapes)
"""


def shapes_types(resolver: PackageResolver, executor: Executor | None = None) -> str | None:
    """The LuaCATS classes of every result shape ``alc_shapes`` defines (``---@class
    AlcResult<Name>`` blocks), or None when no ``alc_shapes`` package is on the search path or
    its generator fails."""
    run = drive(
        _GEN,
        {},
        chunkname="=alc-shapes-types",
        host=ToolHost(resolver),
        answer=lambda query: "",
        limits=_LIMITS,
        executor=executor,
    )
    match run.last:
        case Done(str() as text):
            return text
        case _:
            return None
