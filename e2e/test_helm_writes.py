"""Helm's writes through the server (the helm CLI path): install, upgrade, rollback and uninstall
of a local chart, each checked with helm itself."""

from __future__ import annotations

import json
import secrets
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastmcp import Client
from fastmcp.client.transports import StdioTransport

from e2e import mcp_server
from e2e.harness import Cluster

CHART = Path(__file__).resolve().parent / "charts" / "wordpress"


@pytest.fixture
async def client(server_env: dict[str, str]) -> AsyncIterator[Client[StdioTransport]]:
    env = {**server_env, "K8S_MCP_ALLOWED_PATHS": str(CHART.parent)}
    async with mcp_server.stdio_client(env) as connected:
        yield connected


@pytest.fixture
def namespace(cluster: Cluster) -> Iterator[str]:
    name = f"e2e-helm-writes-{secrets.token_hex(3)}"
    cluster.kubectl("create", "namespace", name)
    yield name
    cluster.kubectl("delete", "namespace", name, "--wait=false", check=False)


async def helm(client: Client[StdioTransport], command: str) -> dict[str, Any]:
    raw = await client.call_tool("execute_helm", {"command": command}, raise_on_error=False)
    result: dict[str, Any] = raw.structured_content or {}
    assert not raw.is_error, (command, result.get("error"), result.get("output"))
    return result


def real_history(cluster: Cluster, namespace: str) -> list[dict[str, Any]]:
    """The release's history as the real helm reports it."""
    completed = subprocess.run(
        [str(cluster.bin_dir / "helm"), "history", "blog", "-n", namespace, "-o", "json"],
        capture_output=True,
        text=True,
        env=cluster.env(),
        check=True,
    )
    history: list[dict[str, Any]] = json.loads(completed.stdout)
    return history


async def test_install_upgrade_rollback_uninstall(
    client: Client[StdioTransport], cluster: Cluster, namespace: str
) -> None:
    installed = await helm(
        client,
        f"helm install blog {CHART} -n {namespace} --set mariadb.architecture=standalone "
        "--wait --timeout 60s",
    )
    assert installed["backend"] == "cli"
    assert "STATUS: deployed" in installed["output"]
    upgraded = await helm(
        client,
        f"helm upgrade blog {CHART} -n {namespace} --reuse-values --set wordpress.replicaCount=2",
    )
    assert "REVISION: 2" in upgraded["output"]
    deployment = cluster.kubectl_json("get", "deployment", "blog-wordpress", "-n", namespace)
    assert deployment["spec"]["replicas"] == 2
    rolled = await helm(client, f"helm rollback blog 1 -n {namespace}")
    assert "Rollback was a success" in rolled["output"]
    deployment = cluster.kubectl_json("get", "deployment", "blog-wordpress", "-n", namespace)
    assert deployment["spec"]["replicas"] == 1
    assert [h["status"] for h in real_history(cluster, namespace)] == [
        "superseded",
        "superseded",
        "deployed",
    ]
    history = await helm(client, f"helm history blog -n {namespace} -o json")
    assert history["data"]["history"] == real_history(cluster, namespace)
    removed = await helm(client, f"helm uninstall blog -n {namespace}")
    assert 'release "blog" uninstalled' in removed["output"]
    listed = await helm(client, f"helm list -n {namespace} -o json")
    assert listed["data"]["releases"] == []
