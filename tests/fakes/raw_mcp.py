"""A tools/call as plain HTTP on the 2026-07-28 protocol, for tests that need the request
itself: its `_meta` (trace context), or a request that outlives the server (fastmcp's client
sends requests of its own beside a call)."""

from __future__ import annotations

from typing import Any

PROTOCOL = "2026-07-28"


def tool_call(
    tool: str, command: str, token: str, meta: dict[str, Any] | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """The JSON body and the headers of one tools/call."""
    envelope = {
        "io.modelcontextprotocol/protocolVersion": PROTOCOL,
        "io.modelcontextprotocol/clientCapabilities": {},
        **(meta or {}),
    }
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": tool, "arguments": {"command": command}, "_meta": envelope},
    }
    headers = {
        "Authorization": f"Bearer {token}",
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": PROTOCOL,
        "Mcp-Method": "tools/call",
        "Mcp-Name": tool,
    }
    return body, headers
