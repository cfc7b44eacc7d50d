"""The algocline 0.47 Lua API deltas (issue 15): JSON null, fork on_error, catchable sticky
budgets, fmt / log_fmt, stats.llm_calls, state.list / show / reset, alc.env, and the role /
cache_breakpoint query fields. Each also replays: restored in a new engine over the same store,
a session sees what it saw live."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

import alc
from alc.engine.protocol import Limits


def run(engine: alc.Engine, code: str, answers: list[str] | None = None, **kw: Any) -> Any:
    """Start ``code``, answer each pause's queries from ``answers`` in order, return the end."""
    answers = list(answers or [])
    out = engine.start(code=code, **kw)
    while isinstance(out, alc.NeedsResponse):
        out = engine.feed(out.session_id, responses={q.id: answers.pop(0) for q in out.queries})
    return out


def completed(out: Any) -> Any:
    assert isinstance(out, alc.Completed), out
    return out.result


# ---------------------------------------------------------------------------- JSON null


def test_json_null_decodes_to_nil_and_alc_null_encodes_it(engine: alc.Engine) -> None:
    code = r"""
    local v = alc.json_decode('{"a":null,"b":[],"c":[1,null,3],"d":{"e":null},"n":7}')
    return {
      a_is_nil = v.a == nil, e_is_nil = v.d.e == nil, top = alc.json_decode("null") == nil,
      c3 = v.c[3], c2_is_nil = v.c[2] == nil, n_type = math.type(v.n),
      reencoded = alc.json_encode(v),
      explicit = alc.json_encode({x = alc.NULL, list = {1, alc.NULL}}),
    }
    """
    assert completed(run(engine, code)) == {
        "a_is_nil": True,
        "e_is_nil": True,
        "top": True,
        "c3": 3,
        "c2_is_nil": True,
        "n_type": "integer",
        # an array keeps its length across a null hole; [] stays an array
        "reencoded": '{"b":[],"c":[1,null,3],"d":{},"n":7}',
        "explicit": '{"list":[1,null],"x":null}',
    }


def test_values_read_back_decode_null_to_nil(engine: alc.Engine) -> None:
    code = """
    alc.state.set("k", {keep = 1, gone = alc.NULL, list = alc.json_decode("[]")})
    alc.stats.record("s", {gone = alc.NULL, keep = true})
    local st, sv = alc.state.get("k"), alc.stats.get("s")
    return {state_gone = st.gone == nil, list = alc.json_encode(st.list), keep = st.keep,
            stats_gone = sv.gone == nil, ctx_gone = ctx.opt == nil,
            shown_gone = alc.state.show(nil, "k").gone == nil}
    """
    result = completed(run(engine, code, ctx={"opt": None}))
    assert result == {
        "state_gone": True,
        "list": "[]",
        "keep": 1,
        "stats_gone": True,
        "ctx_gone": True,
        "shown_gone": True,
    }


# ---------------------------------------------------------------------------- alc.fork


CHILDREN = {
    "ok_child": "return {run = function(ctx) return 'ok:' .. alc.llm('ok ' .. ctx.task) end}",
    "bad_child": "return {run = function(ctx) error('bad child') end}",
}


@pytest.fixture
def children(packages: Path) -> Path:
    for name, code in CHILDREN.items():
        (packages / name).mkdir()
        (packages / name / "init.lua").write_text(code)
    return packages


@pytest.mark.parametrize(
    "opts", ["", ", {on_error = 'skip'}", ", {on_error = 'bogus'}", ", {on_error = 42}", ", {}"]
)
def test_fork_skip_is_the_default_and_unknown_values_skip(children: Path, opts: str) -> None:
    code = f"return alc.fork({{'bad_child', 'ok_child'}}, {{task = 't'}}{opts})"
    bad, good = completed(run(alc.Engine(), code, ["A"]))
    assert bad["ok"] is False and "bad child" in bad["error"]
    assert good == {"strategy": "ok_child", "ok": True, "result": "ok:A"}


@pytest.mark.parametrize("mode", ["abort", "fail"])
def test_fork_abort_and_fail_stop_the_parent(children: Path, mode: str) -> None:
    code = f"return alc.fork({{'bad_child', 'ok_child'}}, {{task = 't'}}, {{on_error = '{mode}'}})"
    out = alc.Engine().start(code=code)
    assert isinstance(out, alc.Failed) and out.error_code == "lua_error"
    assert "child 'bad_child' failed" in out.error


# ---------------------------------------------------------------------------- budgets


def test_budget_refusal_is_catchable_and_stats_show_it(engine: alc.Engine) -> None:
    """An anytime strategy returns its best answer so far when the budget runs out."""
    code = """
    local best = nil
    for i = 1, 10 do
      local ok, answer = pcall(alc.llm, 'try ' .. i)
      if not ok then return {best = best, why = answer, calls = alc.stats.llm_calls()} end
      best = answer
    end
    """
    out = run(engine, code, ["a1", "a2"], ctx={"budget": {"max_llm_calls": 2}})
    result = completed(out)
    assert result["best"] == "a2" and result["calls"] == 2
    assert result["why"].startswith("budget exceeded: max_llm_calls is 2")
    budget = out.stats["auto"]["budget"]
    assert budget["exceeded"] is True and budget["remaining"] == {"llm_calls": 0}


def test_budget_refusal_is_sticky(engine: alc.Engine) -> None:
    """After a refused batch of 3, even a single call that would fit is refused: no strategy
    spends past its budget by catching the error and asking for less."""
    code = """
    local first = {pcall(alc.llm_batch, {'a', 'b', 'c'})}
    local second = {pcall(alc.llm, 'one more')}
    local safe = alc.llm_safe('and another', nil, 'fallback')
    return {first[1], second[1], second[2], safe, alc.stats.llm_calls()}
    """
    out = run(engine, code, ctx={"budget": {"max_llm_calls": 2}})
    first_ok, second_ok, why, safe, calls = completed(out)
    assert (first_ok, second_ok, safe, calls) == (False, False, "fallback", 0)
    assert why.startswith("budget exceeded")


def test_budget_check_turns_false_after_a_refusal(engine: alc.Engine) -> None:
    """A token refusal leaves tokens over, but nothing more can be spent: a loop on
    alc.budget_check() ends instead of failing on its next call."""
    code = """
    local answers = {}
    while alc.budget_check() do
      local ok, answer = pcall(alc.llm, string.rep('x', 120))
      if ok then answers[#answers + 1] = answer end
    end
    return {answers, alc.budget_remaining()}
    """
    answers, remaining = completed(
        run(engine, code, ["a", "b"], ctx={"budget": {"max_tokens": 80}})
    )
    assert answers == ["a", "b"]
    assert remaining["exceeded"] is True and remaining["tokens"] > 0


def test_uncaught_budget_refusal_fails_with_budget_exceeded(engine: alc.Engine) -> None:
    code = "local ok = pcall(alc.llm, 'caught') return alc.llm('not caught')"
    out = run(engine, code, ctx={"budget": {"max_llm_calls": 0}})
    assert isinstance(out, alc.Failed) and out.error_code == "budget_exceeded"
    assert out.error.startswith("budget exceeded: max_llm_calls is 0")


@pytest.mark.parametrize("budget", [18, "lots", [1, 2], True])
def test_a_budget_that_is_not_an_object_is_the_strategys(engine: alc.Engine, budget: Any) -> None:
    """Packages such as ab_select use ctx.budget for a number of their own."""
    code = "return {alc.budget_remaining() == nil, ctx.budget, alc.llm('x')}"
    assert completed(run(engine, code, ["y"], ctx={"budget": budget})) == [True, budget, "y"]


def test_fork_budget_refusal_replays(children: Path, db: Path) -> None:
    """ok_child's query fits the budget of 1, the second ok_child's is refused in the same step;
    a new engine restores the pause by replay and the session ends as it would have live."""
    code = "return alc.fork({'ok_child', 'ok_child'}, {task = 't'})"
    out = alc.Engine(store=db).start(code=code, ctx={"budget": {"max_llm_calls": 1}})
    assert isinstance(out, alc.NeedsResponse) and [q.prompt for q in out.queries] == ["ok t"]
    done = alc.Engine(store=db).feed(out.session_id, "A")
    first, second = completed(done)
    assert first == {"strategy": "ok_child", "ok": True, "result": "ok:A"}
    assert second["ok"] is False and second["error"].startswith("budget exceeded")
    assert done.stats["auto"]["budget"]["exceeded"] is True


# ---------------------------------------------------------------------------- alc.fmt


def test_fmt_is_a_safe_string_format(engine: alc.Engine) -> None:
    code = r"""
    return {
      alc.fmt("%d", 1.5), alc.fmt("%d", -1.5), alc.fmt("%d", 2.4),
      alc.fmt("revenue=$%d users=%d", 1234.5, 10), alc.fmt("%x|%5d|%-5d|", "255", 0/0, -1/0),
      alc.fmt("%d", 1/0), alc.fmt("%s and %s", nil), alc.fmt("%.2f", 3.14159),
      alc.fmt("100%% of %q", "a\nb"), alc.fmt("%5.1s|%c", "xyz", 65.2), alc.fmt("no specs", 1, 2),
    }
    """
    assert completed(run(engine, code)) == [
        "2",
        "-2",
        "2",
        "revenue=$1235 users=10",
        "ff|  NaN|-Inf |",
        "Inf",
        "<nil> and <nil>",
        "3.14",
        '100% of "a\\\nb"',
        "    x|A",
        "no specs",
    ]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ('alc.fmt("%d", {})', "alc.fmt: bad argument #2 to '%d' (a number expected, got table)"),
        ('alc.fmt("%d", "abc")', "alc.fmt: bad argument #2 to '%d' (a number expected, got the"),
        ('alc.fmt("%d")', "alc.fmt: bad argument #2 to '%d' (no value)"),
        ('alc.fmt("%y", 1)', "alc.fmt: invalid conversion '%y' in the format"),
        ('alc.fmt("%", 1)', "alc.fmt: invalid conversion '%' in the format"),
        ('alc.fmt("%123d", 1)', "alc.fmt: bad argument #2 to '%123d' (invalid conversion"),
        ('alc.fmt("%d", 1e300)', "alc.fmt: bad argument #2 to '%d' (1e+300 is out of the integer"),
        ('alc.fmt("%q", {})', "alc.fmt: bad argument #2 to '%q' (value has no literal form)"),
        ("alc.fmt(nil)", "alc.fmt: the format must be a string, got nil"),
        (
            'alc.fmt("%s%s", string.rep("x", 9 * 2^20), string.rep("y", 9 * 2^20))',
            "alc.fmt: the result would be more than 16777216 bytes",
        ),
    ],
)
def test_fmt_errors_are_clear_lua_errors(engine: alc.Engine, call: str, message: str) -> None:
    code = f"local ok, err = pcall(function() return {call} end) return {{ok, err}}"
    ok, err = completed(run(engine, code))
    assert ok is False and message in err


def test_log_fmt_logs_the_formatted_line(engine: alc.Engine) -> None:
    out = engine.start(code="alc.log_fmt('warn', 'score=%d users=%d', 7.5, 10) return alc.llm('x')")
    snapshot = engine.status(out.session_id)
    assert isinstance(snapshot, alc.SessionSnapshot)
    assert {"level": "warn", "message": "score=8 users=10"} in snapshot.log


# ---------------------------------------------------------------------------- stats.llm_calls


def test_llm_calls_counts_every_query_of_the_session(children: Path) -> None:
    code = """
    local counts = {alc.stats.llm_calls()}
    alc.llm('one')
    counts[#counts + 1] = alc.stats.llm_calls()
    alc.llm_batch({'two', 'three'})
    counts[#counts + 1] = alc.stats.llm_calls()
    alc.fork({'ok_child', 'ok_child'}, {task = 'x'})
    counts[#counts + 1] = alc.stats.llm_calls()
    return counts
    """
    assert completed(run(alc.Engine(), code, list("abcde"))) == [0, 1, 3, 5]


# ---------------------------------------------------------------------------- state.list/show/reset

TASK = {"data": {"completed_steps": ["1a", "1b", "2"], "report": "r", "keep": 1}}


def test_state_list_show_reset(engine: alc.Engine) -> None:
    code = """
    alc.state.set("task_42", ctx.task_state)
    alc.state.set("alpha", 1)
    local before = alc.state.list("app")
    local report = alc.state.reset("app", "task_42", {steps = {"1b", "9"}, fields = {"report"}})
    return {before = before, report = report, after = alc.state.show("app", "task_42"),
            backup = alc.state.show("app", "task_42.bak"), listed = alc.state.list("app"),
            own = alc.state.list(), keys = alc.state.keys(), other = alc.state.list("nobody")}
    """
    result = completed(run(engine, code, ctx={"_ns": "app", "task_state": TASK}))
    assert result["before"] == ["alpha", "task_42"]
    assert result["report"] == {
        "ok": True,
        "backup_key": "task_42.bak",
        "steps_removed": 1,
        "fields_removed": 1,
    }
    assert result["after"] == {"data": {"completed_steps": ["1a", "2"], "keep": 1}}
    assert result["backup"] == TASK
    assert result["listed"] == result["own"] == ["alpha", "task_42"]  # the backup is hidden
    assert "task_42.bak" in result["keys"]
    assert result["other"] == []


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ('alc.state.show("app", "missing")', "key 'missing' not found in namespace 'app'"),
        ('alc.state.reset("app", "missing")', "'missing' in namespace 'app' not found"),
        ('alc.state.reset("app", "flat")', "shape invalid"),
        ('alc.state.reset("app", "task", {steps = "1a"})', "must be arrays of strings"),
        ('alc.state.reset("app", "task", 5)', "opts must be a table"),
        ("alc.state.list(42)", "alc.state.list: namespace must be a non-empty string"),
        ('alc.state.show("", "k")', "alc.state.show: namespace must be a non-empty string"),
        ('alc.state.show("app", 1)', "alc.state.show: key must be a string"),
    ],
)
def test_state_namespace_operation_errors(engine: alc.Engine, call: str, message: str) -> None:
    code = f"""
    alc.state.set("flat", {{1, 2}}) alc.state.set("task", ctx.task_state)
    local ok, err = pcall(function() return {call} end)
    return {{ok, err, alc.json_encode(alc.state.get("task"))}}
    """
    ok, err, task = completed(run(engine, code, ctx={"_ns": "app", "task_state": TASK}))
    assert ok is False and message in err
    assert json.loads(task) == TASK  # a failed reset changes nothing


def test_state_reset_is_not_applied_again_on_replay(db: Path) -> None:
    """The reset ran live before the pause; restoring the session in a new engine replays the
    recorded result instead of resetting the already-reset value a second time."""
    code = """
    alc.state.set("t", ctx.task_state)
    local r = alc.state.reset(nil, "t", {steps = {"1a"}})
    return {r, alc.llm("go")}
    """
    out = alc.Engine(store=db).start(code=code, ctx={"task_state": TASK})
    assert isinstance(out, alc.NeedsResponse)
    done = alc.Engine(store=db).feed(out.session_id, "A")
    report, answer = completed(done)
    assert report["steps_removed"] == 1 and answer == "A"
    check = alc.Engine(store=db).start(code="return {alc.state.get('t.bak'), alc.state.get('t')}")
    backup, value = completed(check)
    assert backup == TASK  # a second reset would have backed up the reset value
    assert value["data"]["completed_steps"] == ["1b", "2"]


# ---------------------------------------------------------------------------- alc.env


def test_env_holds_configuration_and_driver_values_only(
    engine: alc.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALC_ENV_MODE", "fast")
    monkeypatch.setenv("ALC_ENV_REGION", "eu")
    monkeypatch.setenv("ALC_ENV_", "no name")
    monkeypatch.setenv("SECRET_TOKEN", "s3cr3t")
    code = (
        "local names = {} for k in pairs(alc.env) do names[#names + 1] = k end "
        "table.sort(names) return {names, alc.env.MODE, alc.env.REGION, alc.env.N}"
    )
    ctx = {"_env": {"REGION": "us", "N": 3, "FLAG": True, "NESTED": {"x": 1}}}
    names, mode, region, n = completed(run(engine, code, ctx=ctx))
    assert names == ["FLAG", "MODE", "N", "REGION"]  # no host variable, no nested value
    assert (mode, region, n) == ("fast", "us", "3")  # the driver's value wins


def test_env_replays_the_values_of_the_first_run(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALC_ENV_MODE", "first")
    code = "local a = alc.llm('mode ' .. alc.env.MODE) return {a, alc.env.MODE}"
    out = alc.Engine(store=db).start(code=code)
    assert isinstance(out, alc.NeedsResponse) and out.prompt == "mode first"
    monkeypatch.setenv("ALC_ENV_MODE", "changed")
    done = alc.Engine(store=db).feed(out.session_id, "A")  # restored by replay: no divergence
    assert completed(done) == ["A", "first"]


def test_env_is_empty_without_configuration(
    engine: alc.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [n for n in os.environ if n.startswith("ALC_ENV_")]:
        monkeypatch.delenv(name)
    assert completed(run(engine, "return next(alc.env) == nil")) is True


# ---------------------------------------------------------------------------- query fields


def test_role_and_cache_breakpoint_are_top_level_query_fields(engine: alc.Engine) -> None:
    code = """
    local a = alc.llm('p', {role = 'nn', cache_breakpoint = 'context', temperature = 0.2})
    local b = alc.llm_batch({{prompt = 'q1', cache_breakpoint = 'prompt'}, 'q2'})
    return {a, b[1], b[2]}
    """
    out = engine.start(code=code)
    assert isinstance(out, alc.NeedsResponse)
    query = out.queries[0]
    assert (query.role, query.cache_breakpoint, query.options) == (
        "nn",
        "context",
        {"temperature": 0.2},
    )
    wire = out.wire()
    assert wire["role"] == "nn" and wire["cache_breakpoint"] == "context"
    assert wire["options"] == {"temperature": 0.2}
    snapshot = engine.status(out.session_id)  # pending queries read back from the store
    assert isinstance(snapshot, alc.SessionSnapshot)
    assert snapshot.pending[0].role == "nn" and snapshot.pending[0].cache_breakpoint == "context"
    out = engine.feed(out.session_id, "A")
    assert isinstance(out, alc.NeedsResponse)
    first, second = out.wire()["queries"]
    assert first["cache_breakpoint"] == "prompt" and "options" not in first
    assert "cache_breakpoint" not in second and "role" not in second


def test_role_must_be_a_string(engine: alc.Engine) -> None:
    out = engine.start(code="return alc.llm('p', {role = 5})")
    assert isinstance(out, alc.Failed) and "opts.role must be a string" in out.error
    out = engine.start(code="return alc.llm('p', {cache_breakpoint = alc.NULL})")
    assert isinstance(out, alc.NeedsResponse) and out.queries[0].cache_breakpoint is None


# ---------------------------------------------------------------------------- default limits


def test_default_instruction_limit_outlasts_the_default_wall_time() -> None:
    """docs/operations.md: a tight Lua loop runs about 2e8 instructions a second on the
    reference machine; the instruction default leaves the wall-time limit as the one a heavy
    simulation meets, with room for a machine twice as fast."""
    limits = Limits()
    assert limits.max_instructions >= limits.max_step_seconds * 2e8 * 2


# ---------------------------------------------------------------------------- process executor


def test_the_deltas_on_the_process_executor(monkeypatch: pytest.MonkeyPatch) -> None:
    """Budget refusals, alc.env, llm_calls and the namespace state operations are answered by
    the supervisor when the VM lives in a worker process."""
    monkeypatch.setenv("ALC_ENV_WHERE", "supervisor")
    code = """
    local ok, why = pcall(alc.llm_batch, {'a', 'b'})
    alc.state.set('t', ctx.task_state)
    local report = alc.state.reset(nil, 't', {fields = {'report'}})
    return {ok, why, alc.stats.llm_calls(), alc.env.WHERE, report.fields_removed,
            alc.state.list()}
    """
    engine = alc.Engine(executor="process")
    try:
        out = run(engine, code, ctx={"budget": {"max_llm_calls": 1}, "task_state": TASK})
    finally:
        engine.close()
    ok, why, calls, where, removed, listed = completed(out)
    assert (ok, calls, where, removed, listed) == (False, 0, "supervisor", 1, ["t"])
    assert why.startswith("budget exceeded: max_llm_calls is 1")
