"""Loading a scenario from a name or a file.

=====================  ==============================================================
``arith`` ``logic``    the built-in sets (:mod:`alc.eval._builtin`), ``n`` cases from ``seed``
``factual``
``path.lua``           algocline's evalframe format, run unchanged in an alc sandbox:
                       ``ef.bind {grader, weight = w}`` entries and ``cases = {ef.case ...}``,
                       or the simple form ``{graders = {"contains"}, cases = {{input, expected}}}``
``path.jsonl``         one case per line (``{"id", "input", "expected", "tags", "context"}``);
                       a line without ``input`` sets ``name`` / ``graders`` / ``pass_threshold``
``path.toml``          ``name``, ``graders = [...]``, ``pass_threshold``, ``[[cases]]`` tables
``path.json``          the JSON form of :class:`~alc.eval.Scenario` (as run records keep it)
=====================  ==============================================================

Graders default to ``exact_match`` (evalframe's default) when a file names none.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from alc.engine._validate import MAX_DEPTH
from alc.engine.errors import InvalidInput
from alc.engine.protocol import Completed
from alc.eval._builtin import BUILTIN_SETS, builtin_scenario
from alc.eval._model import EngineLike, Scenario

__all__ = ["load_scenario"]

_MAX_FILE = 16 * 1024 * 1024

# Runs an evalframe scenario file (ctx.source) and returns it as plain JSON data: the graders of
# its ef.bind entries (or of its `graders` list) and its cases.
_LUA_LOADER = r"""
local fn, err = load(ctx.source, "=" .. ctx.name, "t")
if fn == nil then error("scenario " .. ctx.name .. ": " .. err, 0) end
local sc = fn()
if type(sc) ~= "table" then
  error("scenario " .. ctx.name .. " must return a table, not " .. type(sc), 0)
end
local graders = {}
for _, b in ipairs(sc) do
  if type(b) == "table" and type(b.grader) == "table" then
    local g = { name = b.grader.name, weight = b.weight or 1.0 }
    for k, v in pairs(b.grader.params or {}) do g[k] = v end
    graders[#graders + 1] = g
  end
end
if #graders == 0 and type(sc.graders) == "table" then
  for _, g in ipairs(sc.graders) do
    if type(g) == "table" and g.name then graders[#graders + 1] = { name = g.name, weight = 1.0 }
    else graders[#graders + 1] = g end
  end
end
local cases = {}
for i, c in ipairs(sc.cases or {}) do
  local name = c.name
  if name == nil or name == "" then name = string.format("case-%03d", i) end
  local expected = c.expected
  if type(expected) == "string" then expected = { expected } end
  cases[i] = { id = name, input = c.input, expected = expected,
               tags = c.tags, context = c.context }
end
return { name = sc.name, graders = graders, cases = cases,
         pass_threshold = sc.pass_threshold }
"""


def _lua(engine: EngineLike, path: Path, text: str) -> dict[str, Any]:
    out = engine.start(code=_LUA_LOADER, ctx={"source": text, "name": path.name})
    if not isinstance(out, Completed):
        detail = getattr(out, "error", None) or "it asked for an LLM answer while loading"
        raise InvalidInput(f"Scenario {path}: {detail}")
    data = out.result if isinstance(out.result, dict) else {}
    engine.delete(out.session_id)
    return {**data, "name": data.get("name") or path.stem}


def _jsonl(path: Path, text: str) -> dict[str, Any]:
    head: dict[str, Any] = {"name": path.stem}
    cases = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        item = _parse(json.loads, line, f"{path}:{number}", "JSON")
        if isinstance(item, dict) and "input" not in item:
            head.update(item)
        else:
            cases.append(item)
    return {**head, "cases": cases}


def _parse(loads: Callable[[str], Any], text: str, where: str, kind: str) -> Any:
    """``loads(text)``; malformed or too deeply nested text is ``invalid_input``, never a
    ``RecursionError`` (both parsers recurse; nesting past :data:`MAX_DEPTH` is refused anyway
    by :func:`check_json`)."""
    try:
        return loads(text)
    except (ValueError, RecursionError) as exc:  # TOMLDecodeError is a ValueError
        deep = isinstance(exc, RecursionError)
        detail = f"nested deeper than {MAX_DEPTH} levels" if deep else exc
        raise InvalidInput(f"{where}: not {kind} alc accepts ({detail}).") from None


def _file(path: Path, engine: EngineLike) -> Scenario:
    try:
        if path.stat().st_size > _MAX_FILE:
            raise InvalidInput(f"Scenario {path} is over {_MAX_FILE // 2**20} MiB.")
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"Cannot read scenario {path}: {exc.strerror or exc}.") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"Scenario {path} is not UTF-8 text.") from None
    suffix = path.suffix.lower()
    data: Any
    if suffix == ".lua":
        data = _lua(engine, path, text)
    elif suffix == ".jsonl":
        data = _jsonl(path, text)
    elif suffix == ".toml":
        data = {"name": path.stem, **_parse(tomllib.loads, text, str(path), "TOML")}
    elif suffix == ".json":
        data = _parse(json.loads, text, str(path), "JSON")
    else:
        raise InvalidInput(
            f"Scenario {path}: unknown format {suffix or '(none)'}; use .lua (evalframe), "
            ".jsonl, .toml or .json."
        )
    if not isinstance(data, dict):
        raise InvalidInput(f"Scenario {path} must be an object with cases.")
    data.setdefault("source", str(path))
    return Scenario.parse(data, str(path))


def load_scenario(
    spec: str, engine: EngineLike, *, n: int | None = None, seed: int = 0
) -> Scenario:
    """The scenario ``spec`` names: a built-in set, or a ``.lua`` / ``.jsonl`` / ``.toml`` /
    ``.json`` file; cut to its first ``n`` cases (generated sets: ``n`` cases from ``seed``).

    Raises:
        InvalidInput: no such set or file, a malformed file, a Lua scenario that fails to load.
    """
    if n is not None and n < 1:
        raise InvalidInput("The number of cases (-n) must be at least 1.")
    built = builtin_scenario(spec, n, seed)
    if built is not None:
        return built
    path = Path(spec).expanduser()
    if not path.is_file():
        raise InvalidInput(
            f"No scenario {spec!r}: not a built-in set ({', '.join(BUILTIN_SETS)}) and no such "
            "file."
        )
    return _file(path, engine).head(n)
