"""The session state store kube-ai-proxy gives fastmcp (mcp/state.py)."""

from __future__ import annotations

import pytest

from kube_ai_proxy.mcp.state import ProcessState


async def test_values_are_kept_until_deleted_or_expired(monkeypatch: pytest.MonkeyPatch) -> None:
    store = ProcessState()
    assert await store.get(key="absent") is None
    await store.put(key="kept", value="a")
    await store.put(key="brief", value="b", ttl=10)
    assert await store.get(key="kept") == "a"
    assert await store.get(key="brief") == "b"
    clock = [1000.0]
    monkeypatch.setattr("kube_ai_proxy.mcp.state.time.monotonic", lambda: clock[0])
    await store.put(key="brief", value="b", ttl=10)
    clock[0] += 11
    assert await store.get(key="brief") is None
    assert await store.delete(key="kept") is True
    assert await store.delete(key="kept") is False
    assert await store.get(key="kept") is None
