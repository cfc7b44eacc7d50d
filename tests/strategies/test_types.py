"""alc/types/alc.d.lua: LuaCATS definitions cover the alc.* API and declare nothing missing."""

from __future__ import annotations

import re
from importlib import resources

import alc

TYPES = resources.files("alc").joinpath("types", "alc.d.lua").read_text(encoding="utf-8")

API = [
    "llm",
    "llm_batch",
    "json_encode",
    "json_decode",
    "log",
    "match_enum",
    "match_bool",
    "chunk",
    "time",
    "budget_remaining",
    "progress",
    "fork",
    "cache",
    "cache_info",
    "cache_clear",
    "map",
    "reduce",
    "filter",
    "vote",
    "ground",
    "specify",
    "parse_score",
    "parse_number",
    "json_extract",
    "llm_safe",
    "llm_json",
    "fingerprint",
    "budget_check",
    "tuning",
    "parallel",
    "pipe",
    "fmt",
    "log_fmt",
]
STATE = ["get", "set", "keys", "delete", "has", "set_nx", "incr", "update", "list", "show", "reset"]
MATH = [
    "rng_create",
    "rng_float",
    "rng_int",
    "shuffle",
    "normal_sample",
    "beta_sample",
    "gamma_sample",
    "categorical_sample",
    "dirichlet_sample",
    "mean",
    "median",
    "variance",
    "stddev",
    "percentile",
    "iqr",
    "wilson_ci",
    "softmax",
    "logsumexp",
    "entropy",
    "normal_cdf",
    "normal_ppf",
    "welch_t_test",
]


def declared(prefix: str) -> set[str]:
    return set(re.findall(rf"^function {re.escape(prefix)}\.(\w+)\(", TYPES, re.M))


def test_header_is_luacats_meta() -> None:
    assert TYPES.startswith("---@meta")
    assert "---@class alc\n" in TYPES


def test_the_documented_api_is_declared() -> None:
    assert set(API) <= declared("alc")
    assert set(STATE) <= declared("state")
    assert set(MATH) <= declared("amath")
    assert "---@field stats alc.StatsApi" in TYPES


def test_every_declaration_exists_in_the_engine() -> None:
    names = {
        "alc": sorted(declared("alc")),
        "state": sorted(declared("state")),
        "stats": sorted(declared("stats")),
        "math": sorted(declared("amath")),
    }
    code = """
    local missing = {}
    local function check(tbl, prefix, list)
      for _, n in ipairs(list) do
        if type(tbl[n]) ~= 'function' then missing[#missing + 1] = prefix .. n end
      end
    end
    check(alc, 'alc.', ctx.alc) check(alc.state, 'alc.state.', ctx.state)
    check(alc.stats, 'alc.stats.', ctx.stats) check(alc.math, 'alc.math.', ctx.math)
    return {missing = missing}
    """
    out = alc.Engine().start(code, ctx=names)
    assert isinstance(out, alc.Completed), out
    assert out.result["missing"] in ([], {}), out.result


def test_every_function_documents_its_parameters() -> None:
    for m in re.finditer(r"((?:---.*\n)*)function [\w.]+\(([^)]*)\)", TYPES):
        doc, params = m.group(1), [p.strip() for p in m.group(2).split(",") if p.strip()]
        for p in params:
            name = "..." if p == "..." else p
            assert f"---@param {name}" in doc, (m.group(0), name)
