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
    env = {**server_env, "K8S_MCP_AUDIT_LOG": str(audit), "K8S_MCP_SHUTDOWN_GRACE": "2"}
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


async def test_sigterm_during_a_waiting_call_kills_it_at_the_grace(
    served: tuple[mcp_server.HttpServer, Path], cluster: Cluster
) -> None:
    """`kubectl wait` for a condition that never comes, SIGTERM with a grace of 2 s: the
    server stops, kubectl is killed, the audit log has the call."""
    server, audit = served
    namespace = f"ops-{secrets.token_hex(3)}"
    cluster.kubectl("create", "namespace", namespace)
    cluster.kubectl("create", "configmap", "never", "-n", namespace)
    command = (
        f"kubectl wait --for=jsonpath={{.data.ready}}=yes configmap/never -n {namespace} "
        "--timeout=300s"
    )
    try:
        # The client's session ends with the server: what it raises then is not the point.
        with contextlib.suppress(Exception):
            async with server.client() as client:
                call = asyncio.create_task(
                    client.call_tool(
                        "execute_kubectl",
                        {"command": command, "timeout": 300},
                        raise_on_error=False,
                    )
                )
                await _until_running(cluster, namespace)
                server.process.send_signal(signal.SIGTERM)
                await asyncio.to_thread(server.process.wait, 60)
                call.cancel()
    finally:
        cluster.kubectl("delete", "namespace", namespace, "--wait=false", check=False)
    assert not _kubectl_waits_for(namespace), "kubectl outlived the server's stop"
    entries = [json.loads(line) for line in audit.read_text().splitlines()]
    (entry,) = [e for e in entries if e["tool"] == "kubectl" and "wait" in e["command"]]
    assert entry["error_code"] == "timeout"
    assert "cancelled" in entry["reason"]


async def _until_running(cluster: Cluster, namespace: str) -> None:
    for _ in range(100):
        if _kubectl_waits_for(namespace):
            return
        await asyncio.sleep(0.2)
    pytest.fail("the call's kubectl never started")


def _kubectl_waits_for(namespace: str) -> bool:
    """A `kubectl wait` on `namespace` runs (read from /proc)."""
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue  # it ended while we looked
        words = b" ".join(argv)
        if argv[0].endswith(b"kubectl") and b"wait" in argv and namespace.encode() in words:
            return True
    return False
