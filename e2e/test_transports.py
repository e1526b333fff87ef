"""The server reached as a user reaches it: over stdio and over HTTP, by two different clients."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from fastmcp import Client
from fastmcp.client.transports import StdioTransport, StreamableHttpTransport

from e2e import mcp_server
from e2e.harness import Cluster
from e2e.inspector import Inspector, call_tool_args
from e2e.mcp_server import HttpServer


def _structured(result: Any) -> dict[str, Any]:
    data: dict[str, Any] = result.structured_content
    return data


async def test_stdio_lists_tools_and_runs_kubectl(
    stdio_client: Client[StdioTransport], cluster: Cluster
) -> None:
    names = {tool.name for tool in await stdio_client.list_tools()}
    assert "execute_kubectl" in names
    result = await stdio_client.call_tool(
        "execute_kubectl", {"command": "kubectl get nodes"}, raise_on_error=False
    )
    content = _structured(result)
    assert content["status"] == "success", content
    nodes = [node["metadata"]["name"] for node in cluster.kubectl_json("get", "nodes")["items"]]
    assert all(name in content["output"] for name in nodes), content["output"]


async def test_http_with_token(http_client: Client[StreamableHttpTransport]) -> None:
    names = {tool.name for tool in await http_client.list_tools()}
    assert "execute_kubectl" in names


def test_http_refuses_a_missing_token(http_server: HttpServer) -> None:
    response = httpx.post(
        http_server.url,
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        headers={"Accept": "application/json, text/event-stream"},
    )
    assert response.status_code == 401


def test_inspector_over_stdio_and_http(
    inspector: Inspector, server_env: dict[str, str], http_server: HttpServer
) -> None:
    listed = inspector.stdio(server_env, "tools/list")
    assert "execute_kubectl" in {tool["name"] for tool in listed.result["tools"]}
    called = inspector.stdio(
        server_env,
        "tools/call",
        *call_tool_args("execute_kubectl", {"command": "kubectl get nodes", "timeout": 30}),
    )
    assert called.result["structuredContent"]["status"] == "success", json.dumps(called.payload)
    over_http = inspector.http(
        http_server.url, "tools/list", headers=[f"Authorization: Bearer {http_server.token}"]
    )
    assert "execute_kubectl" in {tool["name"] for tool in over_http.result["tools"]}


@pytest.mark.parametrize("native", [True, False], ids=["native", "cli"])
async def test_stdio_client_pipes_real_kubectl_into_jq(
    server_env: dict[str, str], native: bool
) -> None:
    """The skeleton's acceptance: a real kubectl, a real jq, one structured result. `version`
    is native (its client part is still the real kubectl's own answer, asked once); with the
    native backend off, kubectl's output itself goes through jq."""
    env = {**server_env, "K8S_MCP_NATIVE": str(native).lower()}
    async with mcp_server.stdio_client(env) as client:
        result = await client.call_tool(
            "execute_kubectl",
            {"command": "kubectl version --client -o json | jq .clientVersion.major"},
        )
    content = _structured(result)
    assert content["status"] == "success"
    assert content["backend"] == ("native" if native else "cli")
    assert content["exit_code"] == 0
    assert content["output"] == '"1"\n'
    assert content["command"] == (
        "kubectl version --client --output=json | jq .clientVersion.major"
    )
