"""The sandbox: each probe tries to break out and must fail the way Lua code expects."""

from __future__ import annotations

from pathlib import Path

import pytest

import alc


def run(engine: alc.Engine, code: str) -> alc.Outcome:
    return engine.start(code=code)


@pytest.mark.parametrize(
    "expr",
    [
        "python",
        "debug",
        "string.dump",
        "package.loadlib",
        "package.searchers",
        "os.remove and os.remove('x')",
        "setfenv",
    ],
)
def test_dangerous_globals_are_absent(engine: alc.Engine, expr: str) -> None:
    out = run(engine, f"return {expr} == nil")
    assert isinstance(out, alc.Completed) and out.result is True


def test_io_open_refuses_like_lua(engine: alc.Engine) -> None:
    out = run(engine, "local f, err = io.open('/etc/passwd') return {f == nil, err}")
    assert isinstance(out, alc.Completed)
    assert out.result[0] is True and "not permitted" in out.result[1]


def test_os_execute_and_popen_refused(engine: alc.Engine, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    out = run(engine, f"os.execute('touch {marker}') io.popen('touch {marker}') return 1")
    assert isinstance(out, alc.Completed)
    assert not marker.exists()


def test_bytecode_load_refused(engine: alc.Engine) -> None:
    out = run(engine, "local f, err = load('\\27Lua', 'x', 'b') return {f == nil, err}")
    assert isinstance(out, alc.Completed)
    assert out.result[0] is True and "binary" in out.result[1]
    out = run(engine, "return load('\\27LuaT\\0')")
    assert isinstance(out, alc.Completed)  # text mode: the binary header is a syntax error
    out = run(engine, "return load('return 1 + 1')()")
    assert isinstance(out, alc.Completed) and out.result == 2


def test_python_objects_unreachable(engine: alc.Engine) -> None:
    # primitives are Lua closures; their Python callbacks are upvalues without debug access
    out = run(engine, "return {type(alc.json_decode), pcall(string.dump, alc.llm)}")
    assert isinstance(out, alc.Completed)
    assert out.result[0] == "function" and out.result[1] is False


def test_require_only_inside_package_roots(engine: alc.Engine, packages: Path) -> None:
    (packages / "good.lua").write_text("return {value = 42}")
    secret = packages.parent / "secret.lua"
    secret.write_text("return 'leaked'")
    local = alc.Engine()
    out = local.start(code="return require('good').value")
    assert isinstance(out, alc.Completed) and out.result == 42
    for name in ("../secret", "..secret", "/etc/passwd", "good/../../secret"):
        out = local.start(code=f"return pcall(require, {name!r})")
        assert isinstance(out, alc.Completed), name
        assert out.result is False, name  # pcall returned false: the module was not loaded
    out = local.start(code="local ok, err = pcall(require, '../secret') return err")
    assert isinstance(out, alc.Completed) and "invalid name" in out.result
    out = local.start(code="return {pcall(dofile, '../secret.lua')}")
    assert isinstance(out, alc.Completed)
    assert out.result[0] is False
    assert "only relative paths inside the package roots" in out.result[1]


def test_require_dotted_names_and_init(engine: alc.Engine, packages: Path) -> None:
    (packages / "pkg").mkdir()
    (packages / "pkg" / "init.lua").write_text("return {name = 'pkg', sub = require('pkg.sub')}")
    (packages / "pkg" / "sub.lua").write_text("return 'sub!'")
    out = alc.Engine().start(code="return require('pkg')")
    assert isinstance(out, alc.Completed) and out.result == {"name": "pkg", "sub": "sub!"}


def test_user_packages_have_priority_over_builtins(packages: Path) -> None:
    # the search order is project, user, built-in, ALC_PACKAGES_PATH (docs/packages.md)
    user = packages.parent / "home" / "packages"
    (user / "cot").mkdir(parents=True)
    (user / "cot" / "init.lua").write_text(
        "return {meta = {name = 'mine'}, run = function(ctx) return 'overridden' end}"
    )
    out = alc.Engine().start(strategy="cot", ctx={"task": "x"})
    assert isinstance(out, alc.Completed) and out.result == "overridden"


def test_print_and_io_write_go_to_the_session_log(
    engine: alc.Engine, capfd: pytest.CaptureFixture[str]
) -> None:
    out = run(engine, "print('to', 'log') io.write('written') io.stderr:write('err') alc.llm('x')")
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""
    snap = engine.status(out.session_id)
    assert isinstance(snap, alc.SessionSnapshot)
    messages = [line["message"] for line in snap.log]
    assert messages == ["to\tlog", "written", "err"]


def test_math_random_is_seeded_per_session(engine: alc.Engine) -> None:
    out = run(engine, "math.randomseed() return {math.random(1, 1000000), math.random()}")
    assert isinstance(out, alc.Completed)


def test_strategy_coroutines_can_pause_inside(engine: alc.Engine) -> None:
    code = """
    local gen = coroutine.wrap(function()
      for i = 1, 2 do coroutine.yield(alc.llm('inner ' .. i)) end
    end)
    local co = coroutine.create(function(x) local y = coroutine.yield(x * 2) return y + 1 end)
    local _, doubled = coroutine.resume(co, 21)
    local _, plus = coroutine.resume(co, 1)
    return {gen(), gen(), doubled, plus}
    """
    out = run(engine, code)
    assert isinstance(out, alc.NeedsResponse) and out.prompt == "inner 1"
    out = engine.feed(out.session_id, "A")
    assert isinstance(out, alc.NeedsResponse) and out.prompt == "inner 2"
    done = engine.feed(out.session_id, "B")
    assert isinstance(done, alc.Completed) and done.result == ["A", "B", 42, 2]
