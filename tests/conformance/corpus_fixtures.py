"""Ctx fixtures for the conformance corpus, written from each package's ``M.spec`` / ``M.meta``.

Most packages need only ``task``: they are driven with :data:`DEFAULT_CTX`. A package whose spec
requires more inputs has an entry in :data:`CTX`. A package whose ctx holds Lua functions
(``sim_fn``, ``reward_fn``, ...) cannot receive it as JSON; it is driven by a small Lua wrapper in
:data:`WRAPPERS` that builds the ctx and calls ``M.run``.
"""

from __future__ import annotations

from typing import Any

TASK = "A farmer has 17 sheep and buys 25 more. How many sheep does he have?"

DEFAULT_CTX: dict[str, Any] = {"task": TASK}

_CANDIDATES = [
    "Count the sheep one by one.",
    "Add 17 and 25 to get 42.",
    "Guess a number near 40.",
    "Subtract 25 from 17.",
]

_CRITERION = "Which method answers the question correctly?"

CTX: dict[str, dict[str, Any]] = {
    # claim_trace: spec input {task, answer?, sources}
    "claim_trace": {"task": TASK, "sources": ["The farmer had 17 sheep.", "He bought 25 sheep."]},
    # cod: spec input {text, rounds?, target_length?} ("uses ctx.text, not ctx.task")
    "cod": {
        "text": "The farmer had seventeen sheep on the hill. At the market he bought twenty-five "
        "more, so the flock grew to forty-two, which he counted twice before nightfall.",
        "rounds": 2,
    },
    # conformal_vote: spec input {task, options, calibration {q_hat, tau, alpha, n, weights},
    # agents}
    "conformal_vote": {
        "task": TASK,
        "options": ["42", "8", "17"],
        "calibration": {"q_hat": 0.5, "tau": 0.5, "alpha": 0.1, "n": 20, "weights": [0.5, 0.5]},
        "agents": ["You are a careful mathematician.", {"prompt": "You check arithmetic."}],
    },
    # dissent: spec input {task, consensus (REQUIRED), perspectives?}
    "dissent": {"task": TASK, "consensus": "He has 42 sheep.", "perspectives": ["42", "42"]},
    # factscore: spec input {text, context?}
    "factscore": {"text": "The farmer has 42 sheep. Sheep are mammals."},
    # lineage: spec input {task, steps (>= 2 entries)}
    "lineage": {
        "task": TASK,
        "steps": [
            {"name": "read", "output": "He starts with 17 sheep and buys 25."},
            {"name": "add", "output": "17 + 25 = 42, so he has 42 sheep."},
        ],
    },
    "listwise_rank": {"task": _CRITERION, "candidates": _CANDIDATES},
    "pairwise_rank": {"task": _CRITERION, "candidates": _CANDIDATES},
    "setwise_rank": {"task": _CRITERION, "candidates": _CANDIDATES},
    "recipe_ranking_funnel": {
        "task": _CRITERION,
        "candidates": _CANDIDATES,
        "top_k": 2,
    },
    # optimize: spec input {target, space, scenario (inline table), rounds?}
    "optimize": {
        "target": "cot",
        "space": {"depth": {"type": "int", "min": 1, "max": 3, "step": 1}},
        "scenario": {
            "name": "sheep",
            "cases": [{"input": TASK, "expected": "42"}],
        },
        "rounds": 2,
    },
    # orch_fixpipe / orch_gatephase: spec input {task, phases [{name, prompt, gate?}]}
    "orch_fixpipe": {
        "task": TASK,
        "phases": [
            {"name": "plan", "prompt": "Plan how to solve: {task}"},
            {"name": "solve", "prompt": "Solve: {task}", "gate": "Is the answer a number?"},
        ],
    },
    "orch_gatephase": {
        "task": TASK,
        "task_type": "feature",
        "phases": [
            {"name": "plan", "prompt": "Plan how to solve: {task}"},
            {"name": "solve", "prompt": "Solve: {task}", "gate": "Is the answer a number?"},
        ],
    },
    # pre_mortem: spec input {task, proposals}
    "pre_mortem": {"task": TASK, "proposals": ["Add the two numbers.", "Count by hand."]},
    # prompt_breed: spec input {task, evaluator (required), population_size?, generations?}
    "prompt_breed": {
        "task": "Arithmetic word problems",
        "evaluator": "Does the prompt lead to a correct numeric answer?",
        "population_size": 3,
        "generations": 2,
    },
    # propose_verify: score_threshold is required (no default)
    "propose_verify": {"task": TASK, "score_threshold": 0.5},
    # qdaif: spec input {task, features [{name, bins}], iterations?, seed_count?}
    "qdaif": {
        "task": "Write a one-line explanation of addition.",
        "features": [{"name": "style", "bins": ["formal", "casual"]}],
        "iterations": 3,
        "seed_count": 2,
    },
    # recipes persisting flow state need a stable task_id; safe/deep panels need p_estimate
    "recipe_deep_panel": {"task": TASK, "task_id": "sheep-1", "p_estimate": 0.8},
    "recipe_safe_panel": {"task": TASK, "p_estimate": 0.8},
    "recipe_swarm_gate": {"task": TASK, "task_id": "sheep-2", "budget": 2, "max_depth": 2},
}

WRAPPERS: dict[str, str] = {
    # hybrid_abm: ctx.sim_fn(params, seed) -> table, ctx.extract = keys of that table
    "hybrid_abm": """
local M = require("hybrid_abm")
local out = M.run({
    task = ctx.task,
    params = { rate = 0.3 },
    extract = { "value" },
    runs = 20,
    sweep_params = {},
    sim_fn = function(params, seed)
        local rng = alc.math.rng_create(seed)
        return { value = params.rate + alc.math.rng_float(rng) }
    end,
})
return out.result
""",
    # smc_sample: ctx.reward_fn(answer, task) -> non-negative number
    "smc_sample": """
local M = require("smc_sample")
local out = M.run({
    task = ctx.task,
    n_particles = 3,
    n_iterations = 2,
    reward_fn = function(answer, task)
        return string.find(answer, "42", 1, true) and 1.0 or 0.1
    end,
})
return out.result
""",
}
