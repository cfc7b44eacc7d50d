"""Subprocess helper for the durability tests: one engine operation per process.

Usage: python _worker.py COMMAND DB [ARGS...]; prints one JSON line (the wire reply or error).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import sys

import alc

PAIRS_CODE = """
local keys = {}
for i = 1, 12 do keys['key_' .. i .. '_' .. string.char(96 + i)] = i end
local out = {}
for k, v in pairs(keys) do
  out[#out + 1] = k .. '=' .. alc.llm('value for ' .. k .. ' #' .. v .. ' r' .. math.random(1000))
end
return out
"""

SLOW_CODE = """
local a = alc.llm('first')
local x = 0 for i = 1, 4e7 do x = x + i end
return a .. x
"""

CRASH_CODE = """
local got = {}
for i = 1, 6 do
  local batch = alc.llm_batch({'b' .. i .. 'x', 'b' .. i .. 'y'})
  got[#got + 1] = alc.llm('single ' .. i) .. '|' .. table.concat(batch, ',')
  alc.state.incr('steps', 1)
end
return got
"""


def main() -> None:
    command, db, *args = sys.argv[1:]
    engine = alc.Engine(store=db)
    try:
        if command == "start":
            code = {"pairs": PAIRS_CODE, "slow": SLOW_CODE, "crash": CRASH_CODE}[args[0]]
            out = engine.start(code=code, ctx={"_ns": "crash"})
        elif command == "start-strategy":
            out = engine.start(strategy=args[0], ctx={"task": "t"})
        elif command == "feed":
            out = engine.feed(args[0], args[1])
        elif command == "status":
            print(engine.status(args[0]).to_json())  # type: ignore[union-attr]
            return
        elif command == "incr":
            for _ in range(int(args[0])):
                done = engine.start(code="return alc.state.incr('hits')", ctx={"_ns": "race"})
                assert isinstance(done, alc.Completed), done
            print(json.dumps({"ok": True}))
            return
        elif command == "crash-loop":
            # feed every paused session's pending queries forever (until killed)
            rng = random.Random(os.getpid())
            print(json.dumps({"ready": True}), flush=True)
            while True:
                active = engine.sessions(["paused"])
                if not active:
                    print(json.dumps({"idle": True}), flush=True)
                    return
                snap = rng.choice(active)
                todo = [q for q in snap.pending if q.id not in snap.answered]
                q = rng.choice(todo)
                with contextlib.suppress(alc.RequestError):  # conflict with a restarted worker
                    engine.feed(snap.session_id, "ans-" + q.id, query_id=q.id)
        else:
            raise SystemExit(f"unknown command {command}")
    except alc.AlcError as exc:
        print(json.dumps(exc.to_wire()))
        return
    print(out.to_json())


if __name__ == "__main__":
    main()
