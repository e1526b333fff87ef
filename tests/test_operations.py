"""Running it as a service (docs/operations.md): /healthz, /readyz, /metrics and what SIGTERM
does to the calls in flight.

The server runs as a subprocess on loopback with the fake CLIs; its kubeconfig names an API
server that never answers (the fast suite has none), which /readyz must say.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastmcp import Client
from fastmcp.client.transports import StreamableHttpTransport

from tests.fakes.raw_mcp import tool_call
from tests.fakes.server_process import free_port, start

TOKEN = "ops-" + os.urandom(8).hex()


@dataclass
class Running:
    base: str
    process: subprocess.Popen[str]
    audit: Path

    def client(self) -> Client[StreamableHttpTransport]:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        return Client(StreamableHttpTransport(f"{self.base}/mcp", headers=headers), timeout=60)

    def audited(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.audit.read_text().splitlines()]


@pytest.fixture
def serve(fake_bin: Path, tmp_path: Path) -> Iterator[Any]:
    started: list[subprocess.Popen[str]] = []

    def serving(**settings: str) -> Running:
        port = free_port()
        audit = tmp_path / f"audit-{port}.jsonl"
        env = {
            **os.environ,
            "K8S_MCP_TRANSPORT": "streamable-http",
            "K8S_MCP_PORT": str(port),
            "K8S_MCP_AUTH_TOKEN": TOKEN,
            "K8S_MCP_NATIVE": "false",
            "K8S_MCP_RBAC_PREFLIGHT": "false",
            "K8S_MCP_AUDIT_LOG": str(audit),
            **settings,
        }
        proc = start(env, port)
        started.append(proc)
        return Running(f"http://127.0.0.1:{port}", proc, audit)

    yield serving
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


async def test_healthz_answers_without_a_token_and_readyz_says_why_not(serve: Any) -> None:
    server = serve()
    async with httpx.AsyncClient() as http:
        health = await http.get(f"{server.base}/healthz")
        ready = await http.get(f"{server.base}/readyz", timeout=30)
    assert (health.status_code, health.text) == (200, "ok\n")
    assert ready.status_code == 503
    assert ready.text.startswith("not ready: the cluster cannot be reached")
    assert "127.0.0.1:9" not in ready.text  # the details are for the log, not for anyone


def _samples(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """The samples of one metric: labels (sorted) -> value."""
    found = {}
    for line in text.splitlines():
        match = re.fullmatch(rf"{name}(?:\{{(.*)\}})? (\S+)", line)
        if match:
            labels = tuple(sorted(re.findall(r'(\w+)="([^"]*)"', match[1] or "")))
            found[labels] = float(match[2])
    return found


async def test_metrics_count_the_calls_with_bounded_labels(serve: Any) -> None:
    server = serve(K8S_MCP_ACCESS="read-only")
    async with server.client() as client:
        for command in ("kubectl get pods -n secret-team-ns", "kubectl get pods", "helm list"):
            await client.call_tool(
                "execute_kubectl" if command.startswith("kubectl") else "execute_helm",
                {"command": command},
            )
        await client.call_tool(
            "execute_kubectl", {"command": "kubectl delete pod db-0"}, raise_on_error=False
        )
        await client.call_tool(
            "execute_kubectl", {"command": "kubectl get pods; rm -rf /"}, raise_on_error=False
        )
    async with httpx.AsyncClient() as http:
        anonymous = await http.get(f"{server.base}/metrics")
        scraped = await http.get(
            f"{server.base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
        )
    assert anonymous.status_code == 401
    assert scraped.status_code == 200
    text = scraped.text
    calls = _samples(text, "kube_ai_proxy_calls_total")
    by_labels = {
        dict(labels)["verb"] + " " + dict(labels)["outcome"]: v for labels, v in calls.items()
    }
    assert by_labels == {
        "get success": 2,
        "list success": 1,
        "delete policy_denied": 1,
        "unparsed invalid_command": 1,
    }
    refusals = _samples(text, "kube_ai_proxy_refusals_total")
    assert refusals == {
        (("reason", "invalid_command"), ("tool", "kubectl")): 1,
        (("reason", "policy_denied"), ("tool", "kubectl")): 1,
    }
    runs = _samples(text, "kube_ai_proxy_upstream_duration_seconds_count")
    assert runs == {(("upstream", "helm"),): 1, (("upstream", "kubectl"),): 2}
    assert _samples(text, "kube_ai_proxy_calls_in_flight") == {(): 0}
    assert (
        _samples(text, "kube_ai_proxy_call_duration_seconds_count")[
            (("backend", "cli"), ("tool", "kubectl"))
        ]
        == 2
    )
    assert "process_resident_memory_bytes" in text
    for word in ("secret-team-ns", "db-0", "rm -rf"):
        assert word not in text, f"{word!r} leaked into a label"


async def test_metrics_can_be_public_or_on_a_port_of_their_own(serve: Any) -> None:
    public = serve(K8S_MCP_METRICS_PUBLIC="true")
    metrics_port = free_port()
    separate = serve(K8S_MCP_METRICS_PORT=str(metrics_port))
    async with httpx.AsyncClient() as http:
        open_scrape = await http.get(f"{public.base}/metrics")
        own_port = await http.get(f"http://127.0.0.1:{metrics_port}/metrics")
        main_port = await http.get(
            f"{separate.base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
        )
    assert open_scrape.status_code == 200 and "kube_ai_proxy_calls_in_flight" in open_scrape.text
    assert own_port.status_code == 200 and "kube_ai_proxy_calls_in_flight" in own_port.text
    assert main_port.status_code == 404


async def _call_then_sigterm(server: Running, after: float) -> dict[str, Any] | None:
    """The structured result of a call to which the server got SIGTERM `after` seconds in;
    None when no answer came (the connection closed, or the server, cancelling the call at
    the end of the grace, answered 500)."""
    call, headers = tool_call("execute_kubectl", "kubectl get pods", TOKEN)
    async with httpx.AsyncClient(timeout=60) as http:
        answer = asyncio.create_task(http.post(f"{server.base}/mcp", json=call, headers=headers))
        await asyncio.sleep(after)
        server.process.send_signal(signal.SIGTERM)
        try:
            response = await answer
        except httpx.HTTPError:
            return None
    if response.status_code == 500:
        return None
    structured: dict[str, Any] = response.json()["result"]["structuredContent"]
    return structured


async def test_sigterm_lets_a_call_in_flight_finish(serve: Any) -> None:
    server = serve(FAKE_CLI_MODE="slow", FAKE_CLI_SECONDS="3", K8S_MCP_SHUTDOWN_GRACE="20")
    result = await _call_then_sigterm(server, after=1)
    assert result is not None, "the call in flight got no answer"
    assert result["status"] == "success", result
    assert result["output"].strip() == "done"
    # Stopped, once the call was answered (uvicorn ends by the signal it was given).
    assert await asyncio.to_thread(server.process.wait, 30) in (0, -signal.SIGTERM)
    (entry,) = server.audited()
    assert entry["status"] == "success"


async def test_sigterm_cancels_what_outlives_the_grace_and_kills_its_processes(
    serve: Any, tmp_path: Path
) -> None:
    pidfile = tmp_path / "pids.json"
    server = serve(FAKE_CLI_MODE="sleep", FAKE_CLI_PIDFILE=str(pidfile), K8S_MCP_SHUTDOWN_GRACE="1")
    assert await _call_then_sigterm(server, after=1.5) is None
    # The fake CLI sleeps for 300 s: the server stopped without waiting for it.
    assert await asyncio.to_thread(server.process.wait, 30) in (0, -signal.SIGTERM)
    pids = json.loads(pidfile.read_text())
    for pid in pids.values():
        assert not _alive(pid), f"process {pid} of the cancelled call survived"
    (entry,) = server.audited()
    assert entry["error_code"] == "timeout"
    assert "cancelled" in entry["reason"]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie no one reaped yet is dead too.
    status = Path(f"/proc/{pid}/status")
    return not status.exists() or "zombie" not in status.read_text()


async def test_argocd_api_requests_are_timed_for_the_metrics() -> None:
    from adapters.argocd import ArgoCD, ArgoCDConfig
    from kube_ai_proxy.metrics import Metrics

    metrics = Metrics()
    answer = httpx.MockTransport(lambda request: httpx.Response(200, json={"items": []}))
    argocd = ArgoCD(ArgoCDConfig("https://argocd.example", token="t"), transport=answer)
    argocd.on_request = metrics.argocd_request
    try:
        await argocd.get("/api/v1/applications")
        await argocd.get("/api/v1/projects")
    finally:
        await argocd.aclose()
    text = metrics.exposition().decode()
    assert 'kube_ai_proxy_upstream_duration_seconds_count{upstream="argocd-api"} 2.0' in text
