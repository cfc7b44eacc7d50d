"""The lazy boot: parts of the sandbox built on first use look and behave like the eager ones.

boot.lua loads the JSON encoder, ``os``, ``io``, ``coroutine``, ``alc.state``, ``alc.card``,
``alc.stats`` and the rarely called functions (sandbox/functions.lua) on first use. These tests
pin what a strategy can observe: every name is there (``pairs``, ``rawget`` on ``alc``), a
namespace is complete whichever way it is first reached, nothing of the loader leaks, and
loading changes no random draw and no effect, so replay holds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import alc
from alc.engine.lua import SANDBOX_UNITS, LuaVM, Seeds
from alc.engine.protocol import Limits
from alc.engine.stdlib import LIBRARIES, PRIMITIVES

NAMESPACES: dict[str, set[str]] = {
    "os": {
        "time", "clock", "date", "difftime", "getenv", "execute", "exit", "remove", "rename",
        "tmpname",
    },
    "io": {
        "stdout", "stderr", "stdin", "open", "lines", "popen", "read", "close", "tmpfile", "type",
        "write", "output", "input",
    },
    "coroutine": {
        "create", "resume", "yield", "status", "running", "isyieldable", "close", "wrap",
    },
    "alc.state": {
        "get", "set", "keys", "delete", "has", "set_nx", "incr", "update", "list", "show",
        "reset",
    },
    "alc.card": {
        "create", "get", "list", "find", "append", "write_samples", "read_samples", "alias_set",
        "alias_list", "get_by_alias", "lineage",
    },
    "alc.stats": {"record", "get", "llm_calls"},
    "package": {"loaded", "preload", "path", "cpath", "config"},
}
"""Every lazily filled namespace and its members (as the eager boot had them)."""

ALC_NAMES = {
    "NULL", "llm", "llm_batch", "fork", "log", "json_encode", "json_decode", "time",
    "budget_remaining", "progress", "state", "stats", "card", "math", "match_enum", "match_bool",
    "chunk",
}  # fmt: skip
"""The names ``pairs(alc)`` lists in a fresh session (the stdlib's lazy combinators come later)."""


def result(out: alc.Outcome) -> Any:
    assert isinstance(out, alc.Completed), out
    return out.result


def names_of(engine: alc.Engine, namespace: str, first: str = "") -> list[str]:
    code = f"{first}\nlocal n = {{}} for k in pairs({namespace}) do n[#n + 1] = k end return n"
    return sorted(result(engine.start(code=code)))


@pytest.mark.parametrize("namespace", sorted(NAMESPACES))
def test_pairs_on_a_fresh_namespace_lists_every_member(engine: alc.Engine, namespace: str) -> None:
    assert names_of(engine, namespace) == sorted(NAMESPACES[namespace])


@pytest.mark.parametrize("namespace", sorted(NAMESPACES))
def test_first_index_fills_the_whole_namespace(engine: alc.Engine, namespace: str) -> None:
    member = sorted(NAMESPACES[namespace])[0]
    first = f"local _ = {namespace}.{member}"
    assert names_of(engine, namespace, first) == sorted(NAMESPACES[namespace])
    # filled: raw access sees every member, and no metatable is left behind
    code = (
        f"local _ = {namespace}.no_such_member\n"
        f"local n = 0 for k in next, {namespace} do n = n + 1 end\n"
        f"return {{n, getmetatable({namespace}) == nil, rawget({namespace}, '{member}') ~= nil}}"
    )
    assert result(engine.start(code=code)) == [len(NAMESPACES[namespace]), True, True]


def test_pairs_and_rawget_on_alc_show_every_name(engine: alc.Engine) -> None:
    code = "local n = {} for k in pairs(alc) do n[#n + 1] = k end return n"
    listed = result(engine.start(code=code))
    assert set(listed) == ALC_NAMES
    code = "local n = {} for k in next, alc do n[#n + 1] = type(rawget(alc, k)) end return n"
    kinds = result(engine.start(code=code))
    assert len(kinds) == len(ALC_NAMES) and "nil" not in kinds
    code = "local r = rawget return {type(r(alc, 'state')), type(r(alc, 'card')), " \
        "type(r(alc, 'stats'))}"
    assert result(engine.start(code=code)) == ["table", "table", "table"]


def test_getmetatable_and_setmetatable_see_the_eager_table(engine: alc.Engine) -> None:
    code = """
    local before = {getmetatable(os), getmetatable(alc.state), getmetatable(coroutine)}
    local mt = {__call = function() return 'called' end}
    setmetatable(io, mt)          -- the strategy's own metatable on a never indexed namespace
    return {#before, getmetatable(io) == mt, io() , type(io.write), type(io.stdout)}
    """
    assert result(engine.start(code=code)) == [0, True, "called", "function", "table"]


def test_next_sees_a_namespace_empty_until_its_first_use(engine: alc.Engine) -> None:
    # the one documented difference from the eager boot (boot.lua, "lazy units")
    code = "local a = next(os) local _ = os.time return {a == nil, next(os) ~= nil}"
    assert result(engine.start(code=code)) == [True, True]


def test_strategy_set_members_survive_the_fill(engine: alc.Engine) -> None:
    code = "os.time = function() return 42 end return {os.time(), type(os.clock)}"
    assert result(engine.start(code=code)) == [42, "function"]


def test_units_ignore_reassigned_globals(engine: alc.Engine) -> None:
    code = """
    raw, I, encode, NULL = {}, {}, function() error('boom') end, 1
    string, pairs, next, rawset, rawget, setmetatable, load, require, type, error, select =
      nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil
    io.write('x')
    return {os.date('!%Y', 0), alc.json_encode({b = 1, a = {2}}), coroutine.wrap(function()
      return 'co' end)(), alc.stats.llm_calls()}
    """
    assert result(engine.start(code=code)) == ["1970", '{"a":[2],"b":1}', "co", 0]


@pytest.mark.parametrize(
    "probe",
    [
        "getmetatable(os)",
        "getmetatable(alc.card)",
        "debug",
        "python",
        "alc._stdlib",
        "package.loaded.debug",
        "package.loaded.python",
        "rawget(_G, 'unit')",
        "rawget(_G, 'LAZY')",
    ],
)
def test_the_loader_leaks_nothing(engine: alc.Engine, probe: str) -> None:
    assert result(engine.start(code=f"local _ = os.time return {probe} == nil")) is True


def test_the_dropped_standard_libraries_cannot_be_required(engine: alc.Engine) -> None:
    code = """
    local out = {}
    for _, name in ipairs({'debug', 'package', 'python'}) do
      out[#out + 1] = pcall(require, name)
    end
    out[#out + 1] = require('io') == io and require('os') == os
    return out
    """
    assert result(engine.start(code=code)) == [False, False, False, True]


def test_binary_chunks_stay_refused_after_a_unit_loaded(engine: alc.Engine) -> None:
    code = "alc.json_encode({}) local f, err = load('\\27Lua', 'x', 'b') return {f == nil, err}"
    refused, message = result(engine.start(code=code))
    assert refused is True and "binary" in message


def test_forwarded_functions_keep_their_error_positions(engine: alc.Engine) -> None:
    out = engine.start(code="\n\nalc.llm_batch(42)")
    assert isinstance(out, alc.Failed)
    assert out.error.startswith("code:3: alc.llm_batch: expected a list")


def test_every_unit_file_is_listed() -> None:
    folder = Path(alc.__file__).parent / "engine" / "sandbox"
    assert sorted(SANDBOX_UNITS) == sorted(p.stem for p in folder.glob("*.lua"))


# -------------------------------------------------------------------------- determinism

TOUCH = {
    "none": "",
    "forward": "local _ = os.time, io.write, coroutine.wrap, alc.state.get, alc.card.get, "
    "alc.stats.get, alc.json_encode({1})",
    "backward": "alc.json_encode({1}) local _ = alc.stats.get, alc.card.get, alc.state.get, "
    "coroutine.wrap, io.write, os.time",
}


def draws(touch: str) -> list[Any]:
    """Random draws around loading every unit, in a VM with fixed seeds."""
    vm = LuaVM(object(), Limits(), Seeds(math_seed=7, hash_seed=11), PRIMITIVES, LIBRARIES)  # type: ignore[arg-type]
    code = (
        f"local a = math.random(1 << 40) {TOUCH[touch]} local b = math.random(1 << 40) "
        "local t = {} for k in pairs({x = 1, y = 2, z = 3, w = 4}) do t[#t + 1] = k end "
        "return {a, b, table.concat(t)}"
    )
    vm.start_code(code, {})
    done = vm.step()
    assert isinstance(done, alc.engine.lua.Done), done
    return done.result  # type: ignore[no-any-return]


def test_loading_units_changes_no_random_draw() -> None:
    assert draws("none") == draws("forward") == draws("backward")


@pytest.mark.parametrize("order", ["forward", "backward"])
def test_replay_after_lazy_loads_in_another_engine(tmp_path: Path, order: str) -> None:
    db = str(tmp_path / "alc.db")
    code = f"""
    local r1 = math.random(1e9)
    {TOUCH[order]}
    local stamp = os.time()
    alc.state.set('k', r1)
    local a = alc.llm('one')
    local r2 = math.random(1e9)
    return {{r1, r2, stamp, alc.state.get('k'), a, alc.llm('two')}}
    """
    first = alc.Engine(store=db)
    out = first.start(code=code)
    assert isinstance(out, alc.NeedsResponse)
    second = alc.Engine(store=db)  # replays the first step, loading the units again
    out = second.feed(out.session_id, "A")
    assert isinstance(out, alc.NeedsResponse) and out.prompt == "two"
    done = alc.Engine(store=db).feed(out.session_id, "B")
    r1, r2, stamp, stored, a, b = result(done)
    assert stored == r1 and (a, b) == ("A", "B") and isinstance(r2, int) and stamp > 0


def test_a_fresh_session_heap_stays_small(engine: alc.Engine) -> None:
    """A structural bound, not a timing: the eager boot left ~92 KB of Lua heap here."""
    code = "collectgarbage('collect') return collectgarbage('count')"
    assert result(engine.start(code=code)) < 72


def test_require_and_package_share_loaded_and_the_boot_libraries(engine: alc.Engine) -> None:
    # sandbox/package.lua: loaded by the first require (or use of package); package.loaded
    # lists the libraries captured at boot, even when the strategy reassigned the globals
    code = """
    local real_string, real_os = string, os
    string, os = nil, nil
    local s, o = require("string"), require("os")
    return {s == real_string, o == real_os, package.loaded.os == real_os,
            package.loaded.alc == alc, require("alc") == alc, package.path}
    """
    assert result(engine.start(code=code)) == [True, True, True, True, True, ""]


def test_require_keeps_its_error_positions(engine: alc.Engine) -> None:
    out = engine.start(code="\nrequire(42)")
    assert isinstance(out, alc.Failed)
    assert out.error.startswith("code:2: require: module name must be a string")


def test_host_call_arguments_keep_their_error_positions(engine: alc.Engine) -> None:
    # sandbox/args.lua runs as a tail call of boot's forwarder: level 3 is the strategy's line
    code = "local big = string.rep('x', 4096)\n\nalc.match_bool(big)"
    out = engine.start(code=code, limits={"max_output_bytes": 1024})
    assert isinstance(out, alc.Failed)
    assert out.error.startswith("code:3: an argument of an alc function is a string of")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ("alc.llm(42)", "code:2: alc.llm: prompt must be a string, got number"),
        ("alc.llm('q', 5)", "code:2: alc.llm: opts must be a table, got number"),
        ("alc.llm('q', {max_tokens = 0})", "code:2: alc.llm: opts.max_tokens must be a number"),
        ("alc.llm('q', {system = 1})", "code:2: alc.llm: opts.system must be a string"),
        ("alc.llm('q', {role = {}})", "code:2: alc.llm: opts.role must be a string"),
        (
            "alc.llm_batch({{prompt = 'q', max_tokens = 0.5}})",
            "code:2: alc.llm_batch item 1: opts.max_tokens must be a number",
        ),
    ],
)
def test_query_options_are_checked_at_the_callers_line(
    engine: alc.Engine, call: str, message: str
) -> None:
    # sandbox/opts.lua reads opts (loaded on the first call with any) as a tail call of boot's
    # llm_item, so its errors name the strategy's line as the eager boot did
    out = engine.start(code=f"\n{call}")
    assert isinstance(out, alc.Failed)
    assert out.error.startswith(message), out.error


def test_query_options_reach_the_driver(engine: alc.Engine) -> None:
    code = "return alc.llm('q', {system = 's', max_tokens = 7.9, grounded = true, role = 'r', " \
        "x = 1})"
    out = engine.start(code=code)
    assert isinstance(out, alc.NeedsResponse)
    query = out.queries[0]
    assert (query.prompt, query.system, query.max_tokens, query.grounded) == ("q", "s", 7, True)
    assert (query.role, query.options) == ("r", {"x": 1})
