"""Running it as a service against the local control plane (docs/operations.md): /readyz once
the API server answered, /metrics counting native reads, API server requests and the RBAC
pre-flight's cache, and SIGTERM during a real call that waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import secrets
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from e2e import mcp_server
from e2e.harness import Cluster


@pytest.fixture
def served(
    server_env: dict[str, str], tmp_path: Path
) -> Iterator[tuple[mcp_server.HttpServer, Path]]:
    audit = tmp_path / "audit.jsonl"
    env = {**server_env, "K8S_MCP_AUDIT_LOG": str(audit)}
    try:
        with mcp_server.http_server(env, tmp_path / "http-server.log") as server:
            yield server, audit
    except RuntimeError as error:
        pytest.fail(str(error), pytrace=False)


def _base(server: mcp_server.HttpServer) -> str:
    return server.url.removesuffix("/mcp")


def _value(text: str, name: str, **labels: str) -> float:
    """One sample's value; 0 when there is none."""
    for line in text.splitlines():
        match = re.fullmatch(rf"{name}(?:\{{(.*)\}})? (\S+)", line)
        if match and dict(re.findall(r'(\w+)="([^"]*)"', match[1] or "")) == labels:
            return float(match[2])
    return 0.0


async def test_ready_and_metrics_against_the_cluster(
    served: tuple[mcp_server.HttpServer, Path], cluster: Cluster
) -> None:
    server, _ = served
    async with httpx.AsyncClient(timeout=30) as http:
        ready = await http.get(f"{_base(server)}/readyz")
    assert (ready.status_code, ready.text) == (200, "ok\n")
    async with server.client() as client:
        for _ in range(2):  # the second pre-flight finds the first one's decision cached
            raw = await client.call_tool(
                "execute_kubectl", {"command": "kubectl get namespaces"}, raise_on_error=False
            )
            assert raw.structured_content is not None
            assert raw.structured_content["backend"] == "native", raw.structured_content
    async with httpx.AsyncClient(timeout=30) as http:
        scraped = await http.get(
            f"{_base(server)}/metrics", headers={"Authorization": f"Bearer {server.token}"}
        )
    text = scraped.text
    calls = _value(
        text,
        "kube_ai_proxy_calls_total",
        tool="kubectl",
        verb="get",
        backend="native",
        outcome="success",
    )
    assert calls == 2
    assert _value(text, "kube_ai_proxy_upstream_duration_seconds_count", upstream="apiserver") >= 2
    assert _value(text, "kube_ai_proxy_rbac_preflight_reviews_total", cache="miss") >= 1
    assert _value(text, "kube_ai_proxy_rbac_preflight_reviews_total", cache="hit") >= 1


# A PersistentVolumeClaim of a class no provisioner serves never binds: `helm install --wait`
# waits for it until its timeout.
PENDING_CHART = {
    "Chart.yaml": "apiVersion: v2\nname: pending\nversion: 0.1.0\n",
    "templates/claim.yaml": (
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\nspec:\n"
        "  storageClassName: nobody-provisions-this\n  accessModes: [ReadWriteOnce]\n"
        "  resources:\n    requests:\n      storage: 1Gi\n"
    ),
}


@pytest.mark.parametrize("tool", ["kubectl", "helm"])
async def test_sigterm_during_a_waiting_call_kills_it_at_the_grace(
    server_env: dict[str, str], cluster: Cluster, tmp_path: Path, tool: str
) -> None:
    """A call that waits for what never comes (`kubectl wait` on a condition, `helm install
    --wait` on a claim that never binds), SIGTERM with a grace of 2 s: the server stops, the
    CLI is killed, the audit log has the call."""
    namespace = f"ops-{secrets.token_hex(3)}"
    cluster.kubectl("create", "namespace", namespace)
    chart = tmp_path / "pending"
    for name, text in PENDING_CHART.items():
        (chart / name).parent.mkdir(parents=True, exist_ok=True)
        (chart / name).write_text(text)
    command = {
        "kubectl": f"kubectl wait --for=jsonpath={{.data.ready}}=yes configmap/never "
        f"-n {namespace} --timeout=300s",
        "helm": f"helm install pending {chart} -n {namespace} --wait --timeout 5m",
    }[tool]
    cluster.kubectl("create", "configmap", "never", "-n", namespace)
    audit = tmp_path / "audit.jsonl"
    env = {
        **server_env,
        "K8S_MCP_AUDIT_LOG": str(audit),
        "K8S_MCP_SHUTDOWN_GRACE": "2",
        "K8S_MCP_ALLOWED_PATHS": str(tmp_path),
    }
    try:
        # The client's session ends with the server: what it raises then is not the point.
        with (
            mcp_server.http_server(env, tmp_path / "http-server.log") as server,
            contextlib.suppress(Exception),
        ):
            async with server.client() as client:
                call = asyncio.create_task(
                    client.call_tool(
                        f"execute_{tool}",
                        {"command": command, "timeout": 300},
                        raise_on_error=False,
                    )
                )
                await _until_running(tool, namespace)
                server.process.send_signal(signal.SIGTERM)
                await asyncio.to_thread(server.process.wait, 60)
                call.cancel()
    finally:
        cluster.kubectl("delete", "namespace", namespace, "--wait=false", check=False)
    assert not _running(tool, namespace), f"{tool} outlived the server's stop"
    entries = [json.loads(line) for line in audit.read_text().splitlines()]
    (entry,) = [e for e in entries if e["tool"] == tool]
    assert entry["error_code"] == "timeout"
    assert "cancelled" in entry["reason"]


async def _until_running(tool: str, namespace: str) -> None:
    for _ in range(100):
        if _running(tool, namespace):
            return
        await asyncio.sleep(0.2)
    pytest.fail(f"the call's {tool} never started")


def _running(tool: str, namespace: str) -> bool:
    """A `tool` process working in `namespace` runs (read from /proc)."""
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue  # it ended while we looked
        if argv[0].endswith(tool.encode()) and namespace.encode() in b" ".join(argv):
            return True
    return False
