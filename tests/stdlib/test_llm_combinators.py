"""Combinators that call the LLM (llm.lua): cache, ground/specify, llm_safe, llm_json,
parallel, pipe. Driven end to end through alc.Engine with scripted answers."""

from __future__ import annotations

from pathlib import Path

import alc
from alc.testing import ScriptedResponder


def test_cache_memoises_per_exact_request(run) -> None:  # type: ignore[no-untyped-def]
    result = run(
        """
        local a = alc.cache("Summarise X")
        local b = alc.cache("Summarise X")
        local c = alc.cache("summarise x")          -- a different prompt
        local d = alc.cache("Summarise X", {temperature = 0.9})
        local e = alc.cache("other", {cache_key = "k"})
        local f = alc.cache("another", {cache_key = "k"})
        local g = alc.cache("Summarise X", {cache_skip = true})
        local info = alc.cache_info()
        alc.cache_clear()
        return {a, b, c, d, e, f, g, info, alc.cache_info()}
        """,
        ["one", "two", "three", "four", "five"],
    )
    assert result[:7] == ["one", "one", "two", "three", "four", "four", "five"]
    assert result[7] == {"entries": 4, "hits": 2, "misses": 4, "max_entries": 256}
    assert result[8] == {"entries": 0, "hits": 0, "misses": 0, "max_entries": 256}
    assert run.queries[2].options == {"temperature": 0.9}


def test_ground_and_specify_set_flags(run) -> None:  # type: ignore[no-untyped-def]
    result = run("return {alc.ground('claim', {system = 's'}), alc.specify('which?')}", ["g", "s"])
    assert result == ["g", "s"]
    first, second = run.queries
    assert first.grounded and not first.underspecified and first.system == "s"
    assert second.underspecified and not second.grounded


def test_llm_safe_returns_default_on_error(run) -> None:  # type: ignore[no-untyped-def]
    result = run("return {alc.llm_safe(42, nil, 'fallback'), alc.llm_safe('ok?', nil, 'x')}",
                 ["fine"])  # fmt: skip
    assert result == ["fallback", "fine"]


def test_llm_json_first_try(run) -> None:  # type: ignore[no-untyped-def]
    result = run("local d, raw = alc.llm_json('give') return {d = d, raw = raw}", ['{"a": 1}'])
    assert result == {"d": {"a": 1}, "raw": '{"a": 1}'}
    assert len(run.queries) == 1


def test_llm_json_retries_exactly_once(run) -> None:  # type: ignore[no-untyped-def]
    result = run(
        "local d, raw = alc.llm_json('give json', {max_tokens = 50}) return {d = d, raw = raw}",
        ["sorry, no json", 'Sure: ```json\n{"fixed": true}\n```'],
    )
    assert result == {"d": {"fixed": True}, "raw": 'Sure: ```json\n{"fixed": true}\n```'}
    assert len(run.queries) == 2
    retry = run.queries[1]
    assert "sorry, no json" in retry.prompt and "give json" in retry.prompt
    assert retry.system is not None and "JSON" in retry.system
    assert retry.max_tokens == 50


def test_llm_json_gives_up_after_one_retry(run) -> None:  # type: ignore[no-untyped-def]
    result = run(
        "local d, raw = alc.llm_json('give') return {missing = d == nil, raw = raw}",
        ["nope", "still nope"],
    )
    assert result == {"missing": True, "raw": "still nope"}
    assert len(run.queries) == 2


def test_parallel_is_one_batch(run) -> None:  # type: ignore[no-untyped-def]
    engine = run.engine
    out = engine.start(
        code="""
        return alc.parallel({"a", "b", "c"}, function(x, i)
          if i == 3 then return {prompt = "custom " .. x, max_tokens = 5} end
          return "Rate " .. x
        end, {system = "judge", max_tokens = 9, post_fn = function(r, item, i)
          return item .. i .. "=" .. alc.parse_score(r)
        end})
        """
    )
    assert isinstance(out, alc.NeedsResponse)
    assert [q.prompt for q in out.queries] == ["Rate a", "Rate b", "custom c"]
    assert [q.system for q in out.queries] == ["judge", "judge", None]
    assert [q.max_tokens for q in out.queries] == [9, 9, 5]
    scores = zip(out.queries, (7, 12, 0), strict=True)
    done = engine.feed(out.session_id, responses={q.id: f"{n} points" for q, n in scores})
    assert isinstance(done, alc.Completed)
    assert done.result == ["a1=7", "b2=10", "c3=1"]


def test_parallel_errors(run) -> None:  # type: ignore[no-untyped-def]
    assert "items must be a non-empty array" in run.error("alc.parallel({}, tostring)")
    assert "must return a string or a table" in run.error(
        "alc.parallel({1}, function() return 5 end)"
    )


def test_pipe_with_packages_and_functions(packages: Path) -> None:
    (packages / "upper").mkdir()
    (packages / "upper" / "init.lua").write_text(
        "local M = {meta = {name = 'upper'}}\n"
        "function M.run(ctx) ctx.result = alc.llm('upper: ' .. ctx.task) return ctx end\n"
        "return M\n"
    )
    engine = alc.Engine()
    llm = ScriptedResponder(["HELLO", "HELLO!"])
    code = """
    local stages = {}
    local out = alc.pipe({
      "upper",
      function(c) error("boom") end,
      function(c) c.result = alc.llm("exclaim: " .. c.task) end,
      function(c) return #c.task end,
    }, ctx, {on_error = "skip", on_stage = function(i, name) stages[#stages + 1] = name end})
    return {task = out.task, result = out.result, history = out.pipe_history, stages = stages,
            original = ctx.task}
    """
    done = engine.drive(code=code, ctx={"task": "hello"}, llm=llm)
    assert isinstance(done, alc.Completed), done
    r = done.result
    assert [q.prompt for q in llm.queries] == ["upper: hello", "exclaim: HELLO"]
    assert r["original"] == "hello"
    assert r["result"] == 6
    assert r["task"] == "HELLO!"
    assert r["stages"] == ["upper", "(inline-3)", "(inline-4)"]
    hist = r["history"]
    assert hist[0] == {"strategy": "upper", "result": "HELLO"}
    assert hist[1]["strategy"] == "(inline-2)" and "boom" in hist[1]["error"]
    assert hist[2] == {"strategy": "(inline-3)", "result": "HELLO!"}


def test_pipe_abort_propagates(run) -> None:  # type: ignore[no-untyped-def]
    message = run.error("alc.pipe({function() error('stage broke') end}, {task = 't'})")
    assert "stage broke" in message
    assert "failed to load strategy 'no_such_pkg'" in run.error(
        "alc.pipe({'no_such_pkg'}, {task = 't'})"
    )
