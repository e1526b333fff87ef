"""The resident server: a per-user process that has already imported the MCP stack and forks a
ready server for each stdio start (docs/architecture.md, "Why stdio starts go through a
resident server").

Only the standard library is imported here and in `place`, `wire` and `launcher`: they run
at every start, before anything is known to be needed.
"""
