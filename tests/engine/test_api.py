"""The engine's public surface: start / feed / status / cancel / drive and the wire shapes."""

from __future__ import annotations

import json

import anyio
import pytest

import alc


def test_issue_example(engine: alc.Engine) -> None:
    out = engine.start(code="local a = alc.llm('2+2?') return {answer=a}")
    assert isinstance(out, alc.NeedsResponse)
    assert out.status == "needs_response" and out.query_id == "q-0"
    assert out.prompt == "2+2?" and out.system is None
    wire = json.loads(out.to_json())
    assert wire == {
        "max_tokens": 1024,
        "prompt": "2+2?",
        "query_id": "q-0",
        "session_id": out.session_id,
        "status": "needs_response",
        "system": None,
    }
    assert list(wire) == sorted(wire)
    done = engine.feed(out.session_id, "4")
    assert isinstance(done, alc.Completed)
    assert done.result == {"answer": "4"}
    wire = json.loads(done.to_json())
    assert set(wire) == {"result", "session_id", "stats", "status"}
    auto = wire["stats"]["auto"]
    assert auto["llm_calls"] == 1 and auto["pauses"] == 1 and auto["rounds"] == 1
    assert auto["prompt_tokens"] == {"source": "estimated", "tokens": 1}
    assert wire["stats"]["custom"] == {}


def test_session_ids_are_unguessable(engine: alc.Engine) -> None:
    ids = {engine.start(code="alc.llm('x')").session_id for _ in range(20)}
    assert len(ids) == 20
    assert all(i.startswith("s-") and len(i) == 34 for i in ids)


def test_batch_partial_feed_and_query_numbering(engine: alc.Engine) -> None:
    code = """
    local first = alc.llm('one')
    local many = alc.llm_batch({'a', {prompt='b', system='sys', max_tokens=7}, 'c'})
    return {first=first, many=many}
    """
    out = engine.start(code=code)
    sid = out.session_id
    out = engine.feed(sid, "1")
    assert isinstance(out, alc.NeedsResponse)
    assert [q.id for q in out.queries] == ["q-1", "q-2", "q-3"]
    wire = json.loads(out.to_json())
    assert set(wire) == {"queries", "session_id", "status"}
    assert wire["queries"][1] == {"id": "q-2", "max_tokens": 7, "prompt": "b", "system": "sys"}
    with pytest.raises(ValueError):
        _ = out.query_id
    partial = engine.feed(sid, responses={"q-3": "C"})
    assert isinstance(partial, alc.Accepted) and partial.remaining == 2
    assert json.loads(partial.to_json()) == {
        "remaining": 2,
        "session_id": sid,
        "status": "accepted",
    }
    done = engine.feed(sid, responses={"q-1": "A", "q-2": "B"})
    assert isinstance(done, alc.Completed)
    assert done.result == {"first": "1", "many": ["A", "B", "C"]}


def test_llm_options_pass_through(engine: alc.Engine) -> None:
    out = engine.start(
        code="return alc.llm('p', {system='s', temperature=0.3, model='m', grounded=true})"
    )
    assert isinstance(out, alc.NeedsResponse)
    q = out.queries[0]
    assert q.system == "s" and q.grounded and not q.underspecified
    assert q.options == {"model": "m", "temperature": 0.3}
    wire = json.loads(out.to_json())
    assert wire["grounded"] is True and wire["options"] == {"model": "m", "temperature": 0.3}
    assert "underspecified" not in wire


def test_completes_without_pausing(engine: alc.Engine) -> None:
    out = engine.start(code="return ctx.task .. '!'", ctx={"task": "hi"})
    assert isinstance(out, alc.Completed) and out.result == "hi!"


def test_usage_reported_by_driver_replaces_estimate(engine: alc.Engine) -> None:
    out = engine.start(code="return alc.llm('hello there')")
    done = engine.feed(out.session_id, "ok", usage={"prompt_tokens": 11, "completion_tokens": 5})
    assert isinstance(done, alc.Completed)
    auto = done.stats["auto"]
    assert auto["prompt_tokens"] == {"source": "provided", "tokens": 11}
    assert auto["response_tokens"] == {"source": "provided", "tokens": 5}
    assert auto["total_tokens"] == {"source": "provided", "tokens": 16}


def test_custom_stats_and_progress(engine: alc.Engine) -> None:
    out = engine.start(
        code="alc.progress(1, 3, 'drafting') alc.stats.record('k', {1, 2}) "
        "alc.llm('x') return alc.stats.get('k')"
    )
    snap = engine.status(out.session_id)
    assert isinstance(snap, alc.SessionSnapshot)
    assert snap.state == "paused" and snap.progress == {
        "step": 1,
        "total": 3,
        "message": "drafting",
    }
    assert [q.id for q in snap.pending] == ["q-0"]
    done = engine.feed(out.session_id, "y")
    assert isinstance(done, alc.Completed)
    assert done.result == [1, 2] and done.stats["custom"] == {"k": [1, 2]}


def test_status_lists_active_sessions_and_cancel(engine: alc.Engine) -> None:
    a = engine.start(code="alc.llm('a')")
    b = engine.start(code="alc.llm('b')")
    active = engine.active()
    assert isinstance(active, list)
    assert {s.session_id for s in active} == {a.session_id, b.session_id}
    cancelled = engine.cancel(a.session_id)
    assert json.loads(cancelled.to_json())["status"] == "cancelled"
    assert engine.status(a.session_id).state == "cancelled"  # type: ignore[union-attr]
    with pytest.raises(alc.SessionFinished):
        engine.cancel(a.session_id)
    with pytest.raises(alc.SessionFinished):
        engine.feed(a.session_id, "late")


def test_drive_with_function_and_strategy(engine: alc.Engine, packages) -> None:  # type: ignore[no-untyped-def]
    (packages / "echo").mkdir()
    (packages / "echo" / "init.lua").write_text(
        "local M = {meta = {name = 'echo'}}\n"
        "function M.run(ctx)\n"
        "  local parts = alc.llm_batch({ctx.task .. ' 1', ctx.task .. ' 2'})\n"
        "  ctx.result = {joined = table.concat(parts, '+')}\n"
        "  return ctx\n"
        "end\nreturn M\n"
    )
    local = alc.Engine()
    result = local.drive(strategy="echo", ctx={"task": "t"}, llm=lambda q: q.prompt.upper())
    assert isinstance(result, alc.Completed)
    assert result.result == {"joined": "T 1+T 2"}


def test_async_drive_answers_batches_concurrently() -> None:
    engine = alc.AsyncEngine()
    in_flight = 0
    peak = 0

    async def llm(query: alc.Query) -> str:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await anyio.sleep(0.02)
        in_flight -= 1
        return query.prompt[::-1]

    async def main() -> alc.Completed | alc.Failed | alc.Cancelled:
        return await engine.drive(
            code="return alc.llm_batch({'ab', 'cd', 'ef', 'gh', 'ij', 'kl'})",
            llm=llm,
            concurrency=3,
        )

    result = anyio.run(main)
    assert isinstance(result, alc.Completed)
    assert result.result == ["ba", "dc", "fe", "hg", "ji", "lk"]
    assert peak == 3


def test_async_engine_runs_sessions_in_parallel() -> None:
    engine = alc.AsyncEngine()
    code = "local x = 0 for i = 1, 3e7 do x = x + i end return alc.llm(tostring(x))"

    async def main() -> list[alc.Outcome]:
        outs: list[alc.Outcome] = []

        async def one() -> None:
            outs.append(await engine.start(code=code))

        async with anyio.create_task_group() as tg:
            for _ in range(4):
                tg.start_soon(one)
        return outs

    outs = anyio.run(main)
    assert all(isinstance(o, alc.NeedsResponse) for o in outs)


def test_pending_and_drive_on_from_a_partial_batch(engine: alc.Engine) -> None:
    out = engine.start(
        code="local r = alc.llm_batch({'a', 'b', 'c'}) return alc.llm(table.concat(r))"
    )
    engine.feed(out.session_id, responses={"q-1": "B"})
    pending = engine.pending(out.session_id)
    assert [q.id for q in pending.queries] == ["q-0", "q-2"]
    seen: list[str] = []
    result = engine.drive(
        session_id=out.session_id,
        llm=lambda q: q.prompt.upper(),
        on_pause=lambda reply: seen.append(reply.status),
    )
    assert isinstance(result, alc.Completed) and result.result == "ABC"
    assert seen == ["needs_response", "completed"]
    with pytest.raises(alc.SessionFinished):
        engine.pending(out.session_id)
