"""Typed requests of algocline's session, log, project, pool and v2 tools (the ``algocline``
MCP profile, :mod:`alc.mcp._algocline_sessions`), with algocline's argument names.

Values the API layer checks itself are declared with their JSON type for the schema and taken
as given here (as in :mod:`alc._requests`), so every bad value gets one coded message.
"""

from typing import Annotated, Any

from pydantic import Field, WithJsonSchema

from alc._feed import Request, Text

__all__ = [
    "LogViewRequest",
    "NoteRequest",
    "PoolRequest",
    "ProjectRequest",
    "SessionNewRequest",
    "StatsRequest",
    "V2CancelRequest",
    "V2ResumeRequest",
    "V2RunRequest",
    "V2StateRequest",
]

Count = Annotated[Any, WithJsonSchema({"type": "integer", "minimum": 0})]
JsonValue = Annotated[Any, WithJsonSchema({})]

_SESSION_ID = "A session id from a reply ('s-' + 32 hex digits)."
_PROJECT_ROOT = "The project folder (holds alc.toml); default: the pinned one, or the cwd."


class NoteRequest(Request):
    """Add a note to a session's log."""

    session_id: Text = Field(description=_SESSION_ID)
    content: Text = Field(description="The note's text.")
    title: Text = Field(None, description="An optional title.")


class LogViewRequest(Request):
    """List session logs, or one session's full log."""

    session_id: Text = Field(None, description="Show this session's full log.")
    limit: Count = Field(None, description="List at most this many sessions (default 50; 0: all).")
    max_chars: Count = Field(
        None, description="Cap of one log's JSON size (default 100000; 0: none)."
    )


class StatsRequest(Request):
    """Usage statistics across the stored sessions."""

    strategy: Text = Field(None, description="Only this strategy's sessions.")
    days: Count = Field(None, description="Only sessions active in the last N days.")


class SessionNewRequest(Request):
    """Pin a project root and mode for this connection's later calls."""

    project_root: Text = Field(None, description=_PROJECT_ROOT)
    mode: Text = Field(None, description='"default" or "test".')


class ProjectRequest(Request):
    """A project-file operation (alc_init, alc_update, alc_migrate)."""

    project_root: Text = Field(None, description=_PROJECT_ROOT)


class PoolRequest(Request):
    """Executor worker status or release (algocline's pool; ``sid`` is a session id)."""

    sid: Text = Field(None, description="One session's id (default: all).")


class V2RunRequest(Request):
    """Start a v2 execution session."""

    code: Text = Field(description="Lua source; `ctx` is a global, `return` the result.")
    ctx: Annotated[Any, WithJsonSchema({"type": ["object", "string"]})] = Field(
        None, description="The JSON object given as `ctx`, or its text."
    )
    project_root: Text = Field(None, description=_PROJECT_ROOT)


class V2StateRequest(Request):
    """A v2 session's execution state."""

    session_id: Text = Field(description=_SESSION_ID)


class V2ResumeRequest(Request):
    """Resume a v2 session with a payload."""

    session_id: Text = Field(description=_SESSION_ID)
    payload: Annotated[Any, WithJsonSchema({"type": ["object", "string"]})] = Field(
        description='{"kind": "single", "query_id"?, "response", "usage"?} or {"kind": "batch", '
        '"responses": [{query_id, response, usage?}]}; its JSON text is accepted too.'
    )


class V2CancelRequest(Request):
    """Cancel a v2 session (idempotent)."""

    session_id: Text = Field(description=_SESSION_ID)
    reason: JsonValue = Field(None, description="Why (a CancelReason object or text).")
