"""The Helm chart in deploy/helm for real, on the kind cluster (`make e2e-kind`): the image built
here (`make image`, kube-ai-proxy:dev) loaded into the node, two replicas running, each server
acting with the release's in-cluster ServiceAccount, and a client reaching them through the
Service (a port-forward from here, as a person would before an Ingress exists).

The install is the chart's default, read-only with ClusterRole view: reads work, reading
Secrets (which view does not grant) is refused by the server's RBAC pre-flight, which asks
the API server as the release's ServiceAccount (rbac_denied, naming it), and a delete is
refused by the access policy (policy_denied).
"""

from __future__ import annotations

import base64
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastmcp import Client
from fastmcp.client.transports import StreamableHttpTransport

from e2e.harness import Cluster
from e2e.mcp_server import free_port

pytestmark = pytest.mark.kind

CHART = Path(__file__).resolve().parent.parent / "deploy" / "helm" / "kube-ai-proxy"
NAMESPACE = "e2e-kap-chart"
TEAM = "team-a"
SERVICE = "kap-kube-ai-proxy"


@pytest.fixture(scope="module")
def release(kind_cluster: Cluster) -> Iterator[str]:
    cluster = kind_cluster
    for namespace in (NAMESPACE, TEAM):
        cluster.kubectl("delete", "namespace", namespace, "--ignore-not-found", timeout=180)
        cluster.kubectl("create", "namespace", namespace)
    cluster.kubectl("create", "configmap", "settings", "-n", TEAM, "--from-literal=a=1")
    cluster.helm(
        *("install", "kap", str(CHART), "-n", NAMESPACE),
        *("--set", "image.repository=kube-ai-proxy", "--set", "image.tag=dev"),
        *("--wait", "--timeout", "4m"),
    )
    yield "kap"
    cluster.helm("uninstall", "kap", "-n", NAMESPACE)
    for namespace in (NAMESPACE, TEAM):
        cluster.kubectl("delete", "namespace", namespace, "--wait=false", check=False)


@pytest.fixture(scope="module")
def service_url(cluster: Cluster, release: str) -> Iterator[str]:
    """The Service on a free loopback port, through `kubectl port-forward`."""
    port = free_port()
    forward = subprocess.Popen(
        [
            str(cluster.kubectl_path),
            "--kubeconfig",
            str(cluster.kubeconfig),
            "port-forward",
            "-n",
            NAMESPACE,
            f"service/{SERVICE}",
            f"{port}:80",
            "--address",
            "127.0.0.1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert forward.stdout is not None
        first = forward.stdout.readline()
        assert first.startswith("Forwarding from 127.0.0.1"), first
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        forward.terminate()
        forward.wait(timeout=10)


def _token(cluster: Cluster) -> str:
    secret = cluster.kubectl_json("get", "secret", f"{SERVICE}-auth", "-n", NAMESPACE)
    return base64.b64decode(secret["data"]["token"]).decode()


def _client(url: str, token: str) -> Client[StreamableHttpTransport]:
    headers = {"Authorization": f"Bearer {token}"}
    return Client(StreamableHttpTransport(url, headers=headers), timeout=120)


async def _call(url: str, token: str, command: str) -> dict[str, Any]:
    async with _client(url, token) as client:
        raw = await client.call_tool("execute_kubectl", {"command": command}, raise_on_error=False)
    return raw.structured_content or {}


def test_two_replicas_of_the_image_built_here_run(cluster: Cluster, release: str) -> None:
    deployment = cluster.kubectl_json("get", "deployment", SERVICE, "-n", NAMESPACE)
    assert deployment["status"]["readyReplicas"] == 2
    pods = cluster.kubectl_json(
        "get", "pods", "-n", NAMESPACE, "-l", f"app.kubernetes.io/instance={release}"
    )["items"]
    assert len(pods) == 2
    for pod in pods:
        [container] = pod["status"]["containerStatuses"]
        assert container["ready"] is True
        assert container["image"].endswith("kube-ai-proxy:dev")
        assert pod["spec"]["serviceAccountName"] == SERVICE
    logs = cluster.kubectl("logs", pods[0]["metadata"]["name"], "-n", NAMESPACE).stdout
    assert "streamable-http" in logs or "Uvicorn running" in logs, logs


async def test_a_client_reaches_the_servers_through_the_service(
    cluster: Cluster, service_url: str
) -> None:
    token = _token(cluster)
    async with _client(service_url, token) as client:
        tools = {tool.name for tool in await client.list_tools()}
    assert {"execute_kubectl", "describe_kubectl", "execute_helm"} <= tools
    listed = await _call(service_url, token, f"kubectl get configmap settings -n {TEAM} -o json")
    assert listed["status"] == "success", listed
    assert listed["data"]["data"] == {"a": "1"}
    async with httpx.AsyncClient(timeout=30) as http:
        for bearer in ("not-the-token", None):
            headers = {"Accept": "application/json, text/event-stream"}
            if bearer:
                headers["Authorization"] = f"Bearer {bearer}"
            refused = await http.post(
                service_url,
                json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                headers=headers,
            )
            assert refused.status_code == 401, (bearer, refused.text)


async def test_the_servers_act_as_the_releases_service_account(
    cluster: Cluster, service_url: str
) -> None:
    token = _token(cluster)
    account = f"system:serviceaccount:{NAMESPACE}:{SERVICE}"
    secrets = await _call(service_url, token, f"kubectl get secrets -n {TEAM}")
    assert secrets["status"] == "error", secrets
    assert secrets["error"]["code"] == "rbac_denied", secrets
    assert secrets["error"]["message"].startswith(f"{account} may not list secrets"), secrets
    # The same read as cluster admin works: the refusal was the ServiceAccount's RBAC.
    cluster.kubectl("get", "secrets", "-n", TEAM)
    refused = await _call(service_url, token, f"kubectl delete configmap settings -n {TEAM}")
    assert refused["status"] == "error"
    assert refused["error"]["code"] == "policy_denied", refused
    assert cluster.kubectl_json("get", "configmap", "settings", "-n", TEAM)["data"] == {"a": "1"}
