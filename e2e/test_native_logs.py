"""Native `kubectl logs` against the real kubectl, on kwok pods whose logs come from files."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from fastmcp import Client
from fastmcp.client.transports import StdioTransport

from e2e import mcp_server
from e2e.harness import Cluster, log_texts, logging_pods

NAMESPACE = "e2e-logs"


@pytest.fixture(scope="module")
def pods(cluster: Cluster) -> list[str]:
    return logging_pods(cluster, NAMESPACE, replicas=2)


@pytest.fixture
async def client(server_env: dict[str, str]) -> AsyncIterator[Client[StdioTransport]]:
    async with mcp_server.stdio_client(server_env) as connected:
        yield connected


async def run(client: Client[StdioTransport], command: str, **extra: Any) -> dict[str, Any]:
    raw = await client.call_tool(
        "execute_kubectl", {"command": command, **extra}, raise_on_error=False
    )
    return raw.structured_content or {}


@pytest.mark.parametrize(
    "template",
    [
        "kubectl logs {pod} -n {ns}",
        "kubectl logs {pod} -n {ns} --tail=3",
        "kubectl logs pod/{pod} -n {ns} --timestamps --tail=2",
        "kubectl logs {pod} -n {ns} --previous",
        "kubectl logs {pod} -n {ns} -c api --prefix",
        "kubectl logs {pod} api -n {ns} --limit-bytes=40",
        "kubectl logs {pod} -n {ns} --since-time=2026-11-25T00:00:40Z",
        "kubectl logs {pod} -n {ns} --all-containers",
        "kubectl logs -l app=api -n {ns}",
        "kubectl logs -l app=api -n {ns} --prefix --tail=1",
    ],
)
async def test_logs_match_kubectl(
    client: Client[StdioTransport], cluster: Cluster, pods: list[str], template: str
) -> None:
    command = template.format(pod=pods[0], ns=NAMESPACE)
    result = await run(client, command)
    real = cluster.kubectl(*command.split()[1:])
    assert result["backend"] == "native", result
    if " -l " in command:
        # One request per pod, which kubectl reads one after the other in the order of a Go
        # map (sequentialConsumeRequest ranges over map[ObjectReference]ResponseWrapper):
        # the order of the pods is random from run to run, each pod's lines stay together.
        assert _per_request(result["output"]) == _per_request(real.stdout)
    else:
        assert result["output"] == real.stdout.rstrip("\n") or result["output"] == real.stdout


def _per_request(output: str) -> list[list[str]]:
    """The output's lines grouped by the request they came from, in no order: with --prefix
    each line names its pod and container, and a pod's lines must stand together; without it
    nothing tells the pods apart, so only the lines themselves are compared."""
    lines = output.rstrip("\n").split("\n")
    if not all(line.startswith("[") for line in lines):
        return [sorted(lines)]
    blocks: list[list[str]] = []
    for line in lines:
        source = line.split("] ", 1)[0]
        if blocks and blocks[-1][0].split("] ", 1)[0] == source:
            blocks[-1].append(line)
        else:
            blocks.append([line])
    sources = [block[0].split("] ", 1)[0] for block in blocks]
    assert len(sources) == len(set(sources)), f"a pod's lines are not together: {sources}"
    return sorted(blocks)


async def test_log_data_holds_the_lines(client: Client[StdioTransport], pods: list[str]) -> None:
    result = await run(client, f"kubectl logs {pods[0]} -n {NAMESPACE}")
    assert result["data"]["pod"] == pods[0]
    assert result["data"]["container"] == "api"
    assert result["data"]["lines"] == log_texts()


@pytest.mark.parametrize(
    ("template", "code"),
    [
        ("kubectl logs missing -n {ns}", "not_found"),
        ("kubectl logs deploy/missing -n {ns}", "not_found"),
        ("kubectl logs {pod} -n {ns} -c nope", "invalid_command"),
    ],
)
async def test_log_errors_match_kubectl(
    client: Client[StdioTransport], cluster: Cluster, pods: list[str], template: str, code: str
) -> None:
    command = template.format(pod=pods[0], ns=NAMESPACE)
    result = await run(client, command)
    real = cluster.kubectl(*command.split()[1:], check=False)
    assert real.returncode == 1
    assert result["error"]["code"] == code
    assert result["error"]["message"] == real.stderr.strip()


async def test_follow_returns_what_arrived_by_the_timeout(
    client: Client[StdioTransport], pods: list[str]
) -> None:
    result = await run(client, f"kubectl logs -f {pods[0]} -n {NAMESPACE}", timeout=4)
    assert result["status"] == "success"
    assert result["backend"] == "native"
    assert result["data"]["lines"] == log_texts()
    assert "until the call's timeout" in result["output"]


async def test_workload_logs_pick_a_pod_as_kubectl_does(
    client: Client[StdioTransport], cluster: Cluster, pods: list[str]
) -> None:
    """Both pods tie in kubectl's order (same second, both ready): kubectl's own pick is not
    predictable, so the command goes to kubectl and its answer is returned."""
    result = await run(client, f"kubectl logs deploy/api -n {NAMESPACE} --tail=1")
    assert result["status"] == "success"
    assert result["output"].splitlines()[0] == log_texts()[-1]
    assert "Found 2 pods, using pod/" in result["output"]


async def test_without_kubectl_get_describe_and_logs_still_work(
    server_env: dict[str, str], tmp_path: Path, pods: list[str]
) -> None:
    """The native reads need no kubectl: with none on PATH, they answer as before, and what
    only kubectl can do says so and how to fix it."""
    bare = tmp_path / "bin"  # helm only: the server's PATH holds no kubectl anywhere
    bare.mkdir()
    (bare / "helm").symlink_to(Path(server_env["PATH"].split(os.pathsep)[0]) / "helm")
    env = {**server_env, "PATH": str(bare)}
    assert shutil.which("kubectl", path=env["PATH"]) is None
    async with mcp_server.stdio_client(env) as client:
        for command in (
            f"kubectl get pods -n {NAMESPACE}",
            f"kubectl get deploy/api -n {NAMESPACE} -o json",
            f"kubectl describe pod {pods[0]} -n {NAMESPACE}",
            f"kubectl logs {pods[0]} -n {NAMESPACE} --tail=2",
            f"kubectl logs -l app=api -n {NAMESPACE} --prefix --tail=1",
        ):
            result = await run(client, command)
            assert result["status"] == "success", (command, result)
            assert result["backend"] == "native", (command, result)
            assert result["output"], command
        only_kubectl = await run(client, "kubectl explain pods")
    assert only_kubectl["status"] == "error"
    assert only_kubectl["error"]["code"] == "unavailable", only_kubectl
    assert "kubectl" in only_kubectl["error"]["message"]
    assert "PATH" in only_kubectl["error"]["message"]
