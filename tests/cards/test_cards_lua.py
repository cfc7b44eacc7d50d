"""``alc.card.*`` from Lua: every function, errors, nulls, and deterministic replay (restored in
another engine, the recorded card reads and writes are served back; nothing is written twice)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import alc
from alc.testing import FakeClock


def run(engine: alc.Engine, code: str, ctx: dict[str, Any] | None = None) -> Any:
    out = engine.start(code=code, ctx=ctx or {})
    assert isinstance(out, alc.Completed), out
    return out.result


EVERY_FUNCTION = """
local c = alc.card.create({pkg = {name = "demo"}, model = {id = "claude-opus-4-6"},
  scenario = {name = "gsm8k"}, params = {depth = 3}, stats = {pass_rate = 0.8}})
local w = alc.card.write_samples(c.card_id, {{case = "c0", passed = true},
  {case = "c1", passed = false, note = alc.NULL}})
local merged = alc.card.append(c.card_id, {caveats = {notes = "rescored"}})
local alias = alc.card.alias_set("best", c.card_id, {pkg = "demo", note = "top"})
local child = alc.card.create({pkg = {name = "demo"},
  metadata = {prior_card_id = c.card_id, prior_relation = "rerun_of"}})
local failures = alc.card.read_samples(c.card_id, {where = {passed = false}})
return {
  created = c, written = w, merged = merged, alias = alias,
  got = alc.card.get(c.card_id), missing = alc.card.get("nope") == nil,
  by_alias = alc.card.get_by_alias("best").card_id, no_alias = alc.card.get_by_alias("x") == nil,
  listed = alc.card.list({pkg = "demo"}),
  found = alc.card.find({where = {stats = {pass_rate = {gte = 0.5}}},
                         order_by = "-stats.pass_rate"}),
  samples = alc.card.read_samples(c.card_id, {offset = 1}),
  failures = #failures, note_is_nil = failures[1].note == nil,
  aliases = alc.card.alias_list({pkg = "demo"}),
  up = alc.card.lineage({card_id = child.card_id}),
  down = alc.card.lineage({card_id = c.card_id, direction = "down", include_stats = false}),
  no_lineage = alc.card.lineage({card_id = "nope"}) == nil,
}
"""


def test_every_function(engine: alc.Engine) -> None:
    r = run(engine, EVERY_FUNCTION)
    cid = r["created"]["card_id"]
    pkg, model, stamp, hash6 = cid.split("_")
    assert (pkg, model, len(stamp), stamp[8], len(hash6)) == ("demo", "opus46", 15, "T", 6)
    assert r["created"]["path"] == f"card:{cid}"
    assert r["written"]["count"] == 2
    assert r["merged"]["caveats"] == {"notes": "rescored"}
    got = r["got"]
    assert got["schema_version"] == "card/v0" and got["created_by"].startswith("alc@")
    assert got["param_fingerprint"] and got["stats"] == {"pass_rate": 0.8}
    assert got["created_at"].endswith("Z") and got["caveats"] == {"notes": "rescored"}
    assert r["missing"] and r["no_alias"] and r["no_lineage"] and r["by_alias"] == cid
    assert r["alias"]["name"] == "best" and r["alias"]["note"] == "top"
    assert [s["card_id"] for s in r["listed"]][0:2] and len(r["listed"]) == 2
    assert r["found"] == [
        {
            "card_id": cid,
            "created_at": got["created_at"],
            "model": "claude-opus-4-6",
            "pass_rate": 0.8,
            "pkg": "demo",
            "scenario": "gsm8k",
        }
    ]
    assert r["samples"] == [{"case": "c1", "passed": False}]  # the null read back as nil
    assert r["failures"] == 1 and r["note_is_nil"]
    assert [a["name"] for a in r["aliases"]] == ["best"]
    up = r["up"]
    assert [n["depth"] for n in up["nodes"]] == [0, -1] and up["truncated"] is False
    assert up["edges"] == [{"from": up["root"], "to": cid, "relation": "rerun_of"}]
    assert up["nodes"][1]["stats"] == {"pass_rate": 0.8}
    down = r["down"]
    assert [n["depth"] for n in down["nodes"]] == [0, 1]
    assert all("stats" not in n for n in down["nodes"])
    assert engine.cards.samples_count(cid) == 2


ERRORS = """
local c = alc.card.create({pkg = {name = "p"}, card_id = "fixed"})
local function err(f, ...) local ok, e = pcall(f, ...) assert(not ok) return e end
alc.card.write_samples(c.card_id, {})
return {
  dup = err(alc.card.create, {pkg = {name = "p"}, card_id = "fixed"}),
  nopkg = err(alc.card.create, {stats = {}}),
  badid = err(alc.card.get, "../etc"),
  key = err(alc.card.append, "fixed", {pkg = {name = "q"}}),
  again = err(alc.card.write_samples, "fixed", {{x = 1}}),
  ghost = err(alc.card.write_samples, "ghost", {{x = 1}}),
  alias = err(alc.card.alias_set, "a", "ghost"),
  where = err(alc.card.find, {where = {_or = 3}}),
  dir = err(alc.card.lineage, {card_id = "fixed", direction = "sideways"}),
  notlist = err(alc.card.write_samples, "fixed", "rows"),
}
"""


def test_errors_are_catchable_lua_errors_with_messages(engine: alc.Engine) -> None:
    r = run(engine, ERRORS)
    assert "already exists (immutable)" in r["dup"]
    assert "pkg.name is required" in r["nopkg"]
    assert "invalid card_id" in r["badid"]
    assert "key 'pkg' is already set" in r["key"]
    assert "has samples already" in r["again"]
    assert "'ghost'" in r["ghost"] and "'ghost'" in r["alias"]
    assert "where._or must be a list" in r["where"]
    assert "direction must be" in r["dir"]
    assert "samples must be an array" in r["notlist"]


def test_auto_ids_never_collide(engine: alc.Engine) -> None:
    ids = run(
        engine,
        "local ids = {} for i = 1, 20 do "
        "ids[i] = alc.card.create({pkg = {name = 'same'}}).card_id end return ids",
    )
    assert len(set(ids)) == 20


REPLAYED = """
local c = alc.card.create({pkg = {name = "r"}, stats = {pass_rate = 0.5}})
local ok, e = pcall(alc.card.write_samples, "ghost", {{x = 1}})
alc.card.write_samples(c.card_id, {{i = 1}})
local before = alc.card.get(c.card_id)
local answer = alc.llm("rate " .. before.stats.pass_rate .. " " .. #alc.card.list())
alc.card.append(c.card_id, {review = {answer = answer}})
return {id = c.card_id, err = e, answer = answer, after = alc.card.get(c.card_id).review,
        cards = #alc.card.list(), samples = #alc.card.read_samples(c.card_id)}
"""


def test_replay_in_another_engine_serves_recorded_reads_and_writes_once(db: Path) -> None:
    clock = FakeClock(start=1_800_000_000)
    first = alc.Engine(store=db, clock=clock)
    out = first.start(code=REPLAYED)
    assert isinstance(out, alc.NeedsResponse) and out.prompt == "rate 0.5 1"
    cid = first.cards.list()[0]["card_id"]
    # the world moves on before the session is restored: another card, a later clock
    first.cards.create({"pkg": {"name": "other"}})
    clock.advance(3600)
    second = alc.Engine(store=db, clock=clock)  # a fresh engine: restores by replay
    done = second.feed(out.session_id, "fine")
    assert isinstance(done, alc.Completed), done
    r = done.result
    assert r["id"] == cid and "'ghost'" in r["err"] and r["answer"] == "fine"
    assert r["after"] == {"answer": "fine"} and r["samples"] == 1
    assert r["cards"] == 2  # live after the pause: it sees the card created outside
    assert [c["pkg"] for c in second.cards.list()].count("r") == 1  # created once
    assert second.cards.samples_count(cid) == 1  # written once, not re-applied
    assert second.cards.get(cid)["review"] == {"answer": "fine"}  # type: ignore[index]


def test_replay_after_the_card_changed_outside_does_not_diverge(db: Path) -> None:
    code = "local c = alc.card.get('k') return alc.llm('keys ' .. (c.extra and 'extra' or 'plain'))"
    first = alc.Engine(store=db)
    first.cards.create({"pkg": {"name": "p"}, "card_id": "k"})
    out = first.start(code=code)
    assert isinstance(out, alc.NeedsResponse) and out.prompt == "keys plain"
    first.cards.append("k", {"extra": True})
    done = alc.Engine(store=db).feed(out.session_id, "ok")
    assert isinstance(done, alc.Completed) and done.result == "ok"


def test_cards_are_shared_by_sessions_and_processes(db: Path) -> None:
    run(alc.Engine(store=db), "alc.card.create({pkg = {name = 'p'}, card_id = 'shared'})")
    got = run(alc.Engine(store=db), "return alc.card.get('shared').pkg.name")
    assert got == "p"


@pytest.mark.slow
def test_cards_on_the_process_executor(db: Path) -> None:
    from alc.engine.executor import make_executor

    engine = alc.Engine(store=db, executor=make_executor(None, default="process"))
    try:
        r = run(engine, EVERY_FUNCTION)
        assert r["written"]["count"] == 2 and r["note_is_nil"]
    finally:
        engine.close()


def test_async_engine_cards(db: Path) -> None:
    import anyio

    async def main() -> tuple[Any, ...]:
        engine = alc.AsyncEngine(db)
        made = await engine.cards.create({"pkg": {"name": "a"}, "stats": {"pass_rate": 1}})
        await engine.cards.write_samples(made["card_id"], [{"ok": True}])
        await engine.cards.alias_set("top", made["card_id"])
        return (
            await engine.cards.find({"where": {"stats": {"pass_rate": 1}}}),
            await engine.cards.read_samples(made["card_id"]),
            await engine.cards.get_by_alias("top"),
            await engine.cards.lineage({"card_id": made["card_id"]}),
        )

    found, samples, by_alias, tree = anyio.run(main)
    assert len(found) == 1 and samples == [{"ok": True}]
    assert by_alias is not None and tree is not None and tree["root"] == by_alias["card_id"]


def test_type_definitions_declare_every_card_function(engine: alc.Engine) -> None:
    from importlib import resources

    types = resources.files("alc").joinpath("types", "alc.d.lua").read_text(encoding="utf-8")
    names = run(engine, "local n = {} for k in pairs(alc.card) do n[#n + 1] = k end return n")
    assert len(names) == 11
    for name in names:
        assert f"function card.{name}(" in types, name
    assert "---@field card alc.CardApi" in types


CHILD = """
local M = {}
M.meta = {name = "child", version = "1", description = "writes a card, then asks", category = "t"}
function M.run(ctx)
  local c = alc.card.create({pkg = {name = "forked"}, stats = {v = ctx.v}})
  return {id = c.card_id, a = alc.llm("q " .. ctx.v)}
end
return M
"""


def test_fork_children_write_cards_once_across_a_restore(packages: Path, db: Path) -> None:
    (packages / "child").mkdir()
    (packages / "child" / "init.lua").write_text(CHILD, encoding="utf-8")
    out = alc.Engine(store=db).start(code="return alc.fork({'child', 'child'}, {v = 2})")
    assert isinstance(out, alc.NeedsResponse) and len(out.queries) == 2
    other = alc.Engine(store=db)  # restores parent and children by replay
    done = other.feed(out.session_id, responses={q.id: "x" for q in out.queries})
    assert isinstance(done, alc.Completed), done
    ids = sorted(child["result"]["id"] for child in done.result)
    assert len(set(ids)) == 2  # same content, same second: distinct ids all the same
    assert sorted(c["card_id"] for c in other.cards.list({"pkg": "forked"})) == ids


def test_a_store_failure_caught_live_replays_the_same_way(db: Path) -> None:
    import sqlite3

    first = alc.Engine(store=db)
    first.cards.create({"pkg": {"name": "p"}, "card_id": "broken"})
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("UPDATE cards SET body = 'not json' WHERE card_id = 'broken'")
    con.close()
    code = (
        "local ok, e = pcall(alc.card.get, 'broken') "
        "local n = alc.state.incr('n') "
        "return {e = e, n = n, a = alc.llm('go')}"
    )
    out = first.start(code=code)
    assert isinstance(out, alc.NeedsResponse)
    done = alc.Engine(store=db).feed(out.session_id, "A")
    assert isinstance(done, alc.Completed), done
    assert "corrupted row for card 'broken'" in done.result["e"]
    assert done.result["n"] == 1 and done.result["a"] == "A"
