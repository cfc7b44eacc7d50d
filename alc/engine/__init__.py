"""The engine: sessions, the Lua sandbox, executors, the journal. Knows nothing of CLI or MCP."""

__version__ = "0.1.0"
"""The alc release (the distribution's version in pyproject.toml)."""
