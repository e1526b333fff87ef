"""Background tasks (docs/tasks.md) through the MCP tools, against the local control plane: the
server on streamable HTTP (where tasks are on by default), real helm and kubectl, and a real
redis-server shared by two servers.

The calls wait on e2e/charts/gated: its pod waits at a scheduling gate until the test removes
it, so helm --wait and kubectl rollout status wait as long as the test says.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastmcp_tasks import ToolTask, call_tool_task

from e2e import mcp_server
from e2e.gates import release_gate_later
from e2e.harness import Cluster
from e2e.harness.redis import redis_server

CHART = Path(__file__).resolve().parent / "charts" / "gated"
HOLD = 6.0  # seconds the pod is held at its gate


@pytest.fixture
def namespace(cluster: Cluster) -> Iterator[str]:
    name = f"e2e-tasks-{secrets.token_hex(3)}"
    cluster.kubectl("create", "namespace", name)
    yield name
    cluster.kubectl("delete", "namespace", name, "--wait=false", check=False)


@pytest.fixture
def env(server_env: dict[str, str]) -> dict[str, str]:
    return {**server_env, "K8S_MCP_ALLOWED_PATHS": str(CHART.parent)}


def _install(namespace: str, release: str = "held") -> dict[str, Any]:
    return {
        "command": f"helm install {release} {CHART} -n {namespace} --wait --timeout 2m",
        "timeout": 120,
    }


def _descendants(pid: int) -> dict[int, str]:
    """The processes under `pid`, with their command lines."""
    parents: dict[int, int] = {}
    lines: dict[int, str] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            child = int(stat.parent.name)
            lines[child] = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError):
            continue
        parents[child] = int(fields[1])
    found: dict[int, str] = {}
    for child in parents:
        up = child
        while up in parents and up != pid:
            up = parents[up]
        if up == pid and child != pid:
            found[child] = lines[child]
    return found


async def test_helm_install_wait_as_a_task_shows_progress_and_its_result(
    env: dict[str, str], cluster: Cluster, namespace: str, tmp_path: Path
) -> None:
    with mcp_server.http_server(env, tmp_path / "server.log") as server:
        async with server.client() as client:
            releaser = asyncio.create_task(release_gate_later(cluster, namespace, HOLD))
            task = await call_tool_task(client, "execute_helm", _install(namespace))
            assert task.create_result.status == "working"
            messages = set()
            while (status := await task.status()).status == "working":
                messages.add(status.status_message)
                await asyncio.sleep(0.5)
            await releaser
            result = await task.result()
    assert status.status == "completed"
    assert "helm install running" in messages, messages
    content = result.structured_content or {}
    assert content["status"] == "success", content
    assert "STATUS: deployed" in content["output"]
    ready = cluster.kubectl(
        "get", "deployment", "held", "-n", namespace, "-o", "jsonpath={.status.readyReplicas}"
    )
    assert ready.stdout == "1"


async def test_cancelling_a_rollout_status_task_stops_kubectl(
    env: dict[str, str], cluster: Cluster, namespace: str, tmp_path: Path
) -> None:
    audit = tmp_path / "audit.jsonl"
    env = {**env, "K8S_MCP_AUDIT_LOG": str(audit)}
    with mcp_server.http_server(env, tmp_path / "server.log") as server:
        async with server.client() as client:
            # Installed without --wait: its pod stays at the gate, so its rollout never ends.
            installed = await client.call_tool(
                "execute_helm", {"command": f"helm install stuck {CHART} -n {namespace}"}
            )
            assert (installed.structured_content or {})["status"] == "success"
            task = await call_tool_task(
                client,
                "execute_kubectl",
                {"command": f"kubectl rollout status deployment/stuck -n {namespace}"},
            )

            def kubectl_waiting() -> list[int]:
                return [
                    pid
                    for pid, line in _descendants(server.process.pid).items()
                    if "rollout status" in line
                ]

            async with asyncio.timeout(30):
                while not (waiting := kubectl_waiting()):  # noqa: ASYNC110 - another process
                    await asyncio.sleep(0.2)
            assert (await task.status()).status == "working"
            await task.cancel()
            assert (await task.wait()).status == "cancelled"
            async with asyncio.timeout(10):
                while kubectl_waiting():  # noqa: ASYNC110 - another process's end
                    await asyncio.sleep(0.1)
    assert waiting
    cancelled = [line for line in audit.read_text().splitlines() if task.task_id in line]
    assert len(cancelled) == 1
    assert "the task was cancelled (tasks/cancel" in cancelled[0]


async def test_a_client_that_dropped_its_connection_fetches_the_result_later(
    env: dict[str, str], cluster: Cluster, namespace: str, tmp_path: Path
) -> None:
    with mcp_server.http_server(env, tmp_path / "server.log") as server:
        releaser = asyncio.create_task(release_gate_later(cluster, namespace, HOLD))
        async with server.client() as first:
            task = await call_tool_task(first, "execute_helm", _install(namespace))
        # The connection is gone; helm still waits for the pod.
        await releaser
        async with server.client() as second:
            again = ToolTask(second, "execute_helm", task.create_result)
            result = await again.result()
    content = result.structured_content or {}
    assert content["status"] == "success", content
    assert "STATUS: deployed" in content["output"]


async def test_two_servers_sharing_redis_share_their_tasks(
    env: dict[str, str], cluster: Cluster, namespace: str, tmp_path: Path
) -> None:
    token = secrets.token_urlsafe(32)
    with redis_server(tmp_path / "redis") as redis:
        shared = {
            **env,
            "K8S_MCP_TASKS_BACKEND": f"redis://{redis.address}/0",
            "FASTMCP_TASKS_ENCRYPTION_KEY": secrets.token_urlsafe(32),
        }
        with (
            mcp_server.http_server(shared, tmp_path / "one.log", token=token) as one,
            mcp_server.http_server(shared, tmp_path / "two.log", token=token) as two,
        ):
            releaser = asyncio.create_task(release_gate_later(cluster, namespace, HOLD))
            async with one.client() as on_one:
                task = await call_tool_task(on_one, "execute_helm", _install(namespace))
            async with two.client() as on_two:
                seen = ToolTask(on_two, "execute_helm", task.create_result)
                assert (await seen.status()).status == "working"
                await releaser
                result = await seen.result()
    content = result.structured_content or {}
    assert content["status"] == "success", content
    assert "STATUS: deployed" in content["output"]
