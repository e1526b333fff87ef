"""The MCP session state fastmcp keeps per client, in a dict.

fastmcp reads each session's visibility rules from its state store on every tools/list. Its
default store is py-key-value's, whose package has beartype type-check its modules as they
are imported: 0.25 s and 6 MB, paid by the first tools/list of every server. This server
sets no visibility rules and keeps no state of its own there, so the reads find nothing; a
dict answers them (and keeps what fastmcp's own features would put, for as long as asked).
"""

from __future__ import annotations

import time
from typing import Any

from fastmcp import FastMCP


class _Entry:
    """A value, and when it expires (time.monotonic())."""

    __slots__ = ("expires", "value")

    def __init__(self, value: Any, expires: float | None) -> None:
        self.value = value
        self.expires = expires


class ProcessState:
    """The store's get/put/delete (PydanticAdapter's keyword API), in this process's memory."""

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}

    async def get(self, key: str) -> Any:
        """The value put under `key` (fastmcp's StateValue), or None."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires is not None and entry.expires < time.monotonic():
            del self._entries[key]
            return None
        return entry.value

    async def put(self, key: str, value: Any, ttl: float | None = None) -> None:
        expires = None if ttl is None else time.monotonic() + ttl
        self._entries[key] = _Entry(value, expires)

    async def delete(self, key: str) -> bool:
        return self._entries.pop(key, None) is not None


class KubeMCP(FastMCP[Any]):
    """FastMCP with its session state in a ProcessState.

    Private API: FastMCP's `_state_store` property (fastmcp 4.1, read by Context's state
    methods and the visibility transforms; tests/test_canaries.py checks it)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._process_state = ProcessState()

    @property
    def _state_store(self) -> Any:
        return self._process_state
