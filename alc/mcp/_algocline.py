"""algocline's MCP surface: its 61 tool names, served by ``alc mcp --profile algocline`` and by
bare ``alc`` when stdin is not a terminal (algocline's ``{"command": "alc"}`` host config).

Each algocline tool is registered in :data:`alc.mcp._tools.TABLE` with algocline's argument names,
mapped onto the same engine calls as alc's own tools (an alias shares the model and handler; no
second code path). The tools are grouped in modules that register themselves when imported:
:mod:`alc.mcp._algocline_sessions` (run, sessions, status, logs, project files, prompts and
resources), :mod:`alc.mcp._algocline_pkg` (packages, hub, settings) and
:mod:`alc.mcp._algocline_data` (eval, scenarios, cards, state, traces). docs/compatibility.md has
one row per tool: alc's mapping and any deliberate difference.
"""

from __future__ import annotations

__all__ = ["ALGOCLINE_PROFILE", "ALGOCLINE_TOOLS"]

ALGOCLINE_PROFILE = "algocline"

ALGOCLINE_TOOLS: tuple[str, ...] = (
    "alc_run",
    "alc_advice",
    "alc_continue",
    "alc_eval",
    "alc_eval_history",
    "alc_eval_detail",
    "alc_eval_compare",
    "alc_scenario_list",
    "alc_scenario_show",
    "alc_scenario_install",
    "alc_pkg_link",
    "alc_pkg_list",
    "alc_pkg_install",
    "alc_pkg_remove",
    "alc_pkg_unlink",
    "alc_pkg_repair",
    "alc_pkg_doctor",
    "alc_pkg_test",
    "alc_pkg_scaffold",
    "alc_note",
    "alc_log_view",
    "alc_stats",
    "alc_status",
    "alc_init",
    "alc_update",
    "alc_migrate",
    "alc_session_new",
    "alc_card_list",
    "alc_card_get",
    "alc_card_find",
    "alc_card_alias_list",
    "alc_card_get_by_alias",
    "alc_card_alias_set",
    "alc_card_append",
    "alc_card_samples",
    "alc_card_analyze",
    "alc_card_lineage",
    "alc_card_sink_backfill",
    "alc_card_install",
    "alc_hub_info",
    "alc_hub_reindex",
    "alc_hub_gendoc",
    "alc_hub_dist",
    "alc_hub_search",
    "alc_pool_ensure",
    "alc_pool_status",
    "alc_pool_stop",
    "alc_info",
    "alc_v2_run",
    "alc_v2_state",
    "alc_v2_resume",
    "alc_v2_cancel",
    "alc_setting_resolve",
    "alc_card_publish",
    "alc_state_list",
    "alc_state_show",
    "alc_state_reset",
    "alc_state_set",
    "alc_state_delete",
    "alc_trace_query",
    "alc_trace_diff",
)
"""algocline 0.47.2's tool names, in its own order (:data:`alc.mcp._tools.PROFILES` lists them
as the ``algocline`` profile)."""
