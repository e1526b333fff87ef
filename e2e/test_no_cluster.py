"""The real CLIs with no cluster: KUBECONFIG names a file that does not exist (and HOME has no
~/.kube/config), or a kubeconfig whose API server does not answer; RBAC pre-flight on, as by
default. What needs no cluster answers; what needs one says what is missing."""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from fastmcp import Client
from fastmcp.client.transports import StdioTransport

from e2e import mcp_server
from e2e.harness.binaries import read_module

KUBE_VERSION = read_module("kubernetes").version("k8s.io/kubernetes")
CHARTS = Path(__file__).resolve().parent / "charts"

pytestmark = pytest.mark.asyncio(loop_scope="module")


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _unreachable(directory: Path) -> Path:
    path = directory / "unreachable.kubeconfig"
    server = f"https://127.0.0.1:{_closed_port()}"
    path.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "gone", "cluster": {"server": server}}],
                "users": [{"name": "me", "user": {"token": "t"}}],
                "contexts": [{"name": "gone", "context": {"cluster": "gone", "user": "me"}}],
                "current-context": "gone",
            }
        )
    )
    return path


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=["missing", "unreachable"])
async def server(
    request: pytest.FixtureRequest,
    base_server_env: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[str, Client[StdioTransport]]]:
    """(which kind of missing cluster, a client of a server that has it)"""
    home = tmp_path_factory.mktemp("home")
    kubeconfig = home / "missing" if request.param == "missing" else _unreachable(home)
    env = {
        **base_server_env,
        "HOME": str(home),
        "KUBECONFIG": str(kubeconfig),
        "K8S_MCP_ALLOWED_PATHS": str(CHARTS),
    }
    async with mcp_server.stdio_client(env) as connected:
        yield request.param, connected


@pytest.fixture
def client(server: tuple[str, Client[StdioTransport]]) -> Client[StdioTransport]:
    return server[1]


async def _call(client: Client[StdioTransport], tool: str, command: str) -> dict[str, Any]:
    raw = await client.call_tool(tool, {"command": command}, raise_on_error=False)
    assert raw.structured_content is not None, raw
    return raw.structured_content


async def test_client_only_commands_answer(client: Client[StdioTransport]) -> None:
    major = await _call(
        client, "execute_kubectl", "kubectl version --client -o json | jq .clientVersion.major"
    )
    assert (major["status"], major["output"]) == ("success", '"1"\n'), major
    text = await _call(client, "execute_kubectl", "kubectl version --client")
    assert text["output"].startswith(f"Client Version: {KUBE_VERSION}\n"), text
    helm = await _call(client, "execute_helm", "helm version --short")
    assert (helm["status"], helm["output"][:4]) == ("success", "v3.2"), helm
    istio = await _call(client, "execute_istioctl", "istioctl version --remote=false")
    assert istio["output"].startswith("client version: 1."), istio
    argocd = await _call(client, "execute_argocd", "argocd version --client")
    assert argocd["output"].startswith("argocd: v3."), argocd


async def test_a_local_chart_renders(client: Client[StdioTransport]) -> None:
    rendered = await _call(client, "execute_helm", f"helm template wp {CHARTS / 'wordpress'}")
    assert rendered["status"] == "success", rendered
    assert "kind: Deployment" in rendered["output"]


async def test_help_answers(client: Client[StdioTransport]) -> None:
    raw = await client.call_tool("describe_kubectl", {"command": "get"})
    assert raw.structured_content is not None
    assert "Display one or many resources" in json.dumps(raw.structured_content)


async def test_commands_that_need_the_cluster_say_what_is_missing(
    server: tuple[str, Client[StdioTransport]],
) -> None:
    kind, client = server
    for tool, command in [
        ("execute_kubectl", "kubectl get pods"),
        ("execute_kubectl", "kubectl rollout status deployment/web"),
        ("execute_helm", "helm list"),
    ]:
        result = await _call(client, tool, command)
        assert result["error"]["code"] == "unavailable", result
        message = result["error"]["message"]
        assert "--kubeconfig" not in message  # refused in a command: never suggested
        if kind == "missing":
            assert "KUBECONFIG names" in message and "which does not exist" in message, message
            assert "make sandbox" in message
        else:
            assert "the API server of context 'gone' at https://127.0.0.1:" in message, message
            assert "cannot be reached" in message
