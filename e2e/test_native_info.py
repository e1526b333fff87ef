"""Native api-resources, api-versions, cluster-info, auth can-i and version against the real
kubectl, and the list of commands that must go to kubectl itself."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from fastmcp import Client
from fastmcp.client.transports import StdioTransport

from e2e import mcp_server
from e2e.harness import Cluster


@pytest.fixture
async def client(server_env: dict[str, str]) -> AsyncIterator[Client[StdioTransport]]:
    async with mcp_server.stdio_client(server_env) as connected:
        yield connected


async def run(client: Client[StdioTransport], command: str) -> dict[str, Any]:
    raw = await client.call_tool("execute_kubectl", {"command": command}, raise_on_error=False)
    return raw.structured_content or {}


def kubectl_text(completed: Any) -> str:
    """What the server shows for a successful kubectl run: stdout, then stderr warnings."""
    out = completed.stdout.rstrip("\n")
    err = completed.stderr.strip()
    return f"{out}\n{err}" if out and err else out or err


@pytest.mark.parametrize(
    "command",
    [
        "kubectl api-resources",
        "kubectl api-resources -o wide",
        "kubectl api-resources -o name",
        "kubectl api-resources --namespaced=false",
        "kubectl api-resources --api-group=apps --no-headers",
        "kubectl api-resources --verbs=list,watch --sort-by=kind",
        "kubectl api-resources --categories=all",
        "kubectl api-versions",
        "kubectl cluster-info",
        "kubectl auth can-i list pods",
        "kubectl auth can-i get nodes",
        "kubectl auth can-i list widgets",
        "kubectl auth can-i get /healthz",
        "kubectl auth can-i create deployments.apps -A",
        "kubectl auth can-i get pods/x --subresource=log",
        "kubectl version",
        "kubectl version -o json",
        "kubectl version -o yaml",
        "kubectl version --client",
        "kubectl version --client -o json",
        "kubectl version --output=yaml --client=false",
    ],
)
async def test_info_commands_match_kubectl(
    client: Client[StdioTransport], cluster: Cluster, command: str
) -> None:
    result = await run(client, command)
    real = cluster.kubectl(*command.split()[1:])
    assert result["backend"] == "native", result
    assert result["output"].rstrip("\n") == kubectl_text(real)


async def test_version_data_is_kubectls_json(
    client: Client[StdioTransport], cluster: Cluster
) -> None:
    result = await run(client, "kubectl version")
    assert result["backend"] == "native", result
    assert result["data"] == cluster.kubectl_json("version")
    assert result["data"]["serverVersion"]["gitVersion"].startswith("v1.")


async def test_can_i_no_is_an_answer(
    server_env: dict[str, str], viewer_kubeconfig: Path, cluster: Cluster
) -> None:
    env = {**server_env, "KUBECONFIG": str(viewer_kubeconfig), "K8S_MCP_RBAC_PREFLIGHT": "false"}
    async with mcp_server.stdio_client(env) as viewer:
        result = await run(viewer, "kubectl auth can-i delete pods -n default")
    real = cluster.kubectl_as_viewer(
        "auth", "can-i", "delete", "pods", "-n", "default", check=False
    )
    assert real.returncode == 1
    assert result["status"] == "success"
    assert result["exit_code"] == 1
    assert result["output"] == real.stdout == "no\n"
    assert result["data"] == {"allowed": False, "reason": None}


@pytest.mark.parametrize(
    "command",
    [
        "kubectl get pods -A --sort-by=.metadata.name",
        "kubectl get pods -A -o jsonpath={.items[*].metadata.name}",
        "kubectl get pods -A -o custom-columns=NAME:.metadata.name",
        "kubectl get --raw /version",
        "kubectl version -o wide",
        "kubectl top pods -A",
        "kubectl explain pods",
        "kubectl auth can-i --list",
        "kubectl auth whoami",
        "kubectl api-resources --cached=false -o json",
    ],
)
async def test_commands_native_cannot_render_run_kubectl(
    client: Client[StdioTransport], command: str
) -> None:
    result = await run(client, command)
    assert result["backend"] == "cli", result


async def test_namespace_and_api_resource_resources(
    client: Client[StdioTransport], cluster: Cluster
) -> None:
    namespaces = await client.read_resource("kube://namespaces")
    listed = json.loads(namespaces[0].text)["namespaces"]  # type: ignore[union-attr]
    real = {n["metadata"]["name"] for n in cluster.kubectl_json("get", "namespaces")["items"]}
    assert set(listed) == real
    resources = await client.read_resource("kube://api-resources")
    kinds = {r["kind"] for r in json.loads(resources[0].text)["resources"]}  # type: ignore[union-attr]
    assert {"Pod", "Deployment", "ClusterLogs"} <= kinds
