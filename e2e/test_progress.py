"""Progress notifications reach a real MCP client while a long command waits.

`helm install --wait` of e2e/charts/gated: its pod waits at a scheduling gate, so helm waits
for it; the test removes the gate after a few seconds, the pod is scheduled and becomes Ready
(kwok), and helm returns. Meanwhile the server (a subprocess over stdio, as a user runs it)
reports progress every two seconds: the client's progress handler sees increasing elapsed
times, the call's timeout as the total, and what runs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from e2e import mcp_server
from e2e.gates import release_gate_later
from e2e.harness import Cluster

CHART = Path(__file__).resolve().parent / "charts" / "gated"
NAMESPACE = "e2e-progress"
HOLD = 7.0  # seconds the pod is held at its gate


@pytest.fixture
def namespace(cluster: Cluster) -> Iterator[str]:
    cluster.kubectl("delete", "namespace", NAMESPACE, "--wait=true", check=False)
    cluster.kubectl("create", "namespace", NAMESPACE)
    yield NAMESPACE
    cluster.kubectl("delete", "namespace", NAMESPACE, "--wait=false", check=False)


async def test_progress_while_helm_install_waits(
    server_env: dict[str, str], cluster: Cluster, namespace: str
) -> None:
    events: list[tuple[float, float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        events.append((time.monotonic(), progress, total, message))

    env = {**server_env, "K8S_MCP_ALLOWED_PATHS": str(CHART.parent)}
    async with mcp_server.stdio_client(env) as client:
        started = time.monotonic()
        releaser = asyncio.create_task(release_gate_later(cluster, namespace, HOLD))
        raw = await client.call_tool(
            "execute_helm",
            {
                "command": f"helm install held {CHART} -n {namespace} --wait --timeout 2m",
                "timeout": 120,
            },
            progress_handler=on_progress,
            raise_on_error=False,
        )
        released = await releaser
        finished = time.monotonic()
    result = raw.structured_content or {}
    assert result["status"] == "success", result
    assert result["backend"] == "cli"
    assert "STATUS: deployed" in result["output"]
    assert finished - started >= HOLD
    # Notifications came while helm waited, before the result, not all at the end.
    during = [e for e in events if e[0] < released]
    assert len(during) >= 2, events
    progress = [e[1] for e in events]
    assert progress == sorted(progress)
    assert all(total == 120 for _, _, total, _ in events)
    assert {message for *_, message in events} == {"helm install running"}
    ready = cluster.kubectl(
        "get", "deployment", "held", "-n", namespace, "-o", "jsonpath={.status.readyReplicas}"
    )
    assert ready.stdout == "1"
