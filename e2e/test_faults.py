"""Faults between the server and the API server, made by Toxiproxy (e2e/harness/toxiproxy.py):
the kubeconfig has a second context, `faulty`, that reaches the same API server through the
proxy, and each test switches one fault on (the `faults` fixture clears them before and after).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastmcp import Client

from e2e import mcp_server
from e2e.harness import CacheLayout, Cluster, HarnessError
from e2e.harness.toxiproxy import (
    FAULTY_CONTEXT,
    Proxy,
    api_server_address,
    faulty_kubeconfig,
    toxiproxy,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture(scope="module")
def proxy(
    cache_layout: CacheLayout, cluster: Cluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Proxy]:
    workdir = tmp_path_factory.mktemp("faults")
    try:
        with toxiproxy(cache_layout, workdir) as server:
            yield server.proxy("kube-apiserver", api_server_address(cluster))
    except HarnessError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture
def faults(proxy: Proxy) -> Iterator[Proxy]:
    proxy.clear()
    yield proxy
    proxy.clear()


@pytest.fixture
def fault_env(
    base_server_env: dict[str, str], cluster: Cluster, proxy: Proxy, tmp_path: Path
) -> dict[str, str]:
    kubeconfig = faulty_kubeconfig(cluster, proxy, tmp_path / "kubeconfig")
    return {**base_server_env, "KUBECONFIG": str(kubeconfig)}


async def call(client: Client[Any], command: str, **arguments: Any) -> tuple[dict[str, Any], float]:
    started = time.monotonic()
    raw = await client.call_tool(
        "execute_kubectl", {"command": command, **arguments}, raise_on_error=False
    )
    return raw.structured_content or {}, time.monotonic() - started


@pytest.mark.parametrize("native", [True, False], ids=["native", "cli"])
async def test_through_the_proxy_without_a_fault_everything_answers(
    fault_env: dict[str, str], faults: Proxy, native: bool
) -> None:
    env = {**fault_env, "K8S_MCP_NATIVE": str(native).lower()}
    async with mcp_server.stdio_client(env) as client:
        result, _ = await call(client, "kubectl get namespaces", context=FAULTY_CONTEXT)
    assert result["status"] == "success", result
    assert result["backend"] == ("native" if native else "cli")
    assert "default" in result["output"]
