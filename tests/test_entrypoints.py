"""The server as a user starts it: the console entry point, stdio, SSE and streamable HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastmcp import Client
from fastmcp.client.transports import SSETransport, StdioTransport, StreamableHttpTransport

from kube_ai_proxy import __version__
from tests.fakes.server_process import free_port, start, stop

REPO = Path(__file__).resolve().parent.parent
SERVER = [sys.executable, "-m", "kube_ai_proxy.main"]
README_INITIALIZE = (
    '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"1.0",'
    '"clientInfo":{"name":"cli","version":"1.0"},"capabilities":{}}}'
)


def run_main(
    *args: str, env: dict[str, str] | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SERVER, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=REPO,
        check=False,
    )


def test_help_lists_every_setting_with_its_environment_variable() -> None:
    proc = run_main("--help")
    assert proc.returncode == 0
    for flag, env in [
        ("--transport", "K8S_MCP_TRANSPORT"),
        ("--allowed-namespaces", "K8S_MCP_ALLOWED_NAMESPACES"),
        ("--rbac-preflight", "K8S_MCP_RBAC_PREFLIGHT"),
        ("--max-output", "K8S_MCP_MAX_OUTPUT"),
        ("--allowed-paths", "K8S_MCP_ALLOWED_PATHS"),
        ("--kubeconfig", "KUBECONFIG"),
        ("--context", "K8S_CONTEXT"),
        ("--argocd-server", "ARGOCD_SERVER"),
        ("--argocd-insecure", "ARGOCD_INSECURE"),
    ]:
        assert flag in proc.stdout
        assert f"env {env}" in " ".join(proc.stdout.split())


def test_version() -> None:
    proc = run_main("--version")
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"kube-ai-proxy {__version__}"


def test_bad_configuration_is_a_clear_error() -> None:
    env = {**os.environ, "K8S_MCP_TRANSPORT": "sse", "K8S_MCP_HOST": "0.0.0.0"}
    proc = run_main(env=env)
    assert proc.returncode == 1
    assert "without authentication" in proc.stderr
    assert "Traceback" not in proc.stderr
    proc = run_main("--access", "root")
    assert proc.returncode == 2
    assert "invalid choice: 'root'" in proc.stderr


def test_initialize_on_stdin_is_answered() -> None:
    proc = run_main(stdin=README_INITIALIZE + "\n")
    assert proc.returncode == 0, proc.stderr
    answer = json.loads(proc.stdout.splitlines()[0])
    assert answer["id"] == 1
    result = answer["result"]
    assert result["serverInfo"]["name"] == "kube-ai-proxy"
    # "1.0" is not a protocol version; the server answers with one it supports.
    assert result["protocolVersion"][:4].isdigit()
    assert "tools" in result["capabilities"]


def test_tools_are_listed_without_loading_what_only_some_calls_need(tmp_path: Path) -> None:
    """What a new server's first tools/list waits for (its start-up, paid by every Claude
    Desktop conversation) holds none of the libraries that only some calls use, nor any
    that fastmcp would load for features this server does not use."""
    env = {
        **os.environ,
        "KUBECONFIG": str(tmp_path / "none"),
        "PYTHONPROFILEIMPORTTIME": "1",  # every import, on stderr
    }
    stderr = tmp_path / "stderr"
    with stderr.open("w") as errors:
        server = subprocess.Popen(
            SERVER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors, env=env, cwd=REPO
        )
    # A server that never answers is killed, and the test fails below rather than hangs.
    watchdog = threading.Timer(60, server.kill)
    watchdog.start()
    try:
        assert server.stdin is not None and server.stdout is not None
        messages = [
            README_INITIALIZE,
            '{"jsonrpc":"2.0","method":"notifications/initialized"}',
            '{"jsonrpc":"2.0","id":2,"method":"tools/list"}',
        ]
        server.stdin.write("".join(m + "\n" for m in messages).encode())
        server.stdin.flush()
        # stdin stays open until the listing is answered: at its end the server stops.
        listed = None
        for line in iter(server.stdout.readline, b""):
            if json.loads(line).get("id") == 2:
                listed = json.loads(line)
                break
        server.stdin.close()
        server.wait(30)
    finally:
        watchdog.cancel()
        server.kill()
    assert listed is not None and listed["result"]["tools"], stderr.read_text()[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in stderr.read_text().splitlines()}
    # httpx: Argo CD's first request; kubernetes_asyncio: none (the client is our own);
    # key_value and beartype: fastmcp's default session state (mcp/state.py); jsonref and
    # requests: fastmcp's schema inliner (mcp/tools.py inline_refs).
    for name in ("httpx", "kubernetes_asyncio", "key_value", "beartype", "jsonref", "requests"):
        assert name not in imported, f"{name} is imported before the tools are listed"
    assert "fastmcp" in imported  # the imports were seen


async def test_stdio_client_lists_tools_and_runs_a_command(fake_bin: Path) -> None:
    transport = StdioTransport(
        command=sys.executable,
        args=["-m", "kube_ai_proxy.main"],
        env={
            "PATH": os.environ["PATH"],
            "KUBECONFIG": "/nonexistent/kubeconfig",
            "K8S_MCP_RBAC_PREFLIGHT": "false",
            "K8S_MCP_NATIVE": "false",
        },
        cwd=str(REPO),
        keep_alive=False,
    )
    async with Client(transport, timeout=60) as client:
        names = {t.name for t in await client.list_tools()}
        assert "execute_kubectl" in names
        raw = await client.call_tool(
            "execute_kubectl", {"command": "kubectl get ns -o json"}, raise_on_error=False
        )
    assert raw.structured_content is not None
    assert raw.structured_content["status"] == "success"
    data = raw.structured_content["data"]
    assert data["argv"] == ["get", "--output=json", "ns"]
    assert data["env"]["KUBECONFIG"] == "/nonexistent/kubeconfig"


@pytest.fixture
def http_server(fake_bin: Path, request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    transport: str = request.param
    port = free_port()
    token = "t0ken-" + os.urandom(8).hex()
    env = {
        **os.environ,
        "K8S_MCP_TRANSPORT": transport,
        "K8S_MCP_PORT": str(port),
        "K8S_MCP_AUTH_TOKEN": token,
        "K8S_MCP_RBAC_PREFLIGHT": "false",
        "K8S_MCP_NATIVE": "false",
    }
    proc = start(env, port)
    try:
        path = "/mcp" if transport == "streamable-http" else "/sse"
        yield f"http://127.0.0.1:{port}{path}", token
    finally:
        stop(proc)


@pytest.mark.parametrize("http_server", ["streamable-http"], indirect=True)
async def test_streamable_http_requires_the_bearer_token(http_server: tuple[str, str]) -> None:
    url, token = http_server
    initialize: dict[str, Any] = json.loads(README_INITIALIZE)
    headers = {"Accept": "application/json, text/event-stream"}
    async with httpx.AsyncClient() as http:
        missing = await http.post(url, json=initialize, headers=headers)
        wrong = await http.post(
            url, json=initialize, headers={**headers, "Authorization": "Bearer nope"}
        )
    assert missing.status_code == 401
    assert wrong.status_code == 401

    transport = StreamableHttpTransport(url, headers={"Authorization": f"Bearer {token}"})
    async with Client(transport, timeout=60) as client:
        raw = await client.call_tool("execute_kubectl", {"command": "get pods -A"})
    assert raw.structured_content is not None
    assert raw.structured_content["data"]["argv"] == ["get", "--all-namespaces", "pods"]


@pytest.mark.parametrize("http_server", ["sse"], indirect=True)
async def test_sse_transport_serves_a_legacy_client(http_server: tuple[str, str]) -> None:
    url, token = http_server
    async with httpx.AsyncClient() as http:
        response = await http.get(url, timeout=5)
    assert response.status_code == 401
    transport = SSETransport(url, headers={"Authorization": f"Bearer {token}"})
    async with Client(transport, timeout=60) as client:
        tools = await client.list_tools()
        raw = await client.call_tool("execute_helm", {"command": "helm ls -n demo"})
    assert len(tools) == 8
    assert raw.structured_content is not None
    assert raw.structured_content["data"]["argv"] == ["list", "--namespace=demo"]


@pytest.mark.parametrize("http_server", ["streamable-http"], indirect=True)
async def test_dns_rebinding_is_refused(http_server: tuple[str, str]) -> None:
    """A page on evil.example resolving to 127.0.0.1 cannot talk to the server, even with the
    token: the Host and Origin headers must be the server's own."""
    url, token = http_server
    initialize: dict[str, Any] = json.loads(README_INITIALIZE)
    headers = {
        "Accept": "application/json, text/event-stream",
        "Authorization": f"Bearer {token}",
    }
    async with httpx.AsyncClient() as http:
        foreign_host = await http.post(
            url, json=initialize, headers={**headers, "Host": "evil.example:8000"}
        )
        foreign_origin = await http.post(
            url, json=initialize, headers={**headers, "Origin": "http://evil.example"}
        )
        own = await http.post(url, json=initialize, headers=headers)
    assert foreign_host.status_code in (400, 403, 421)
    assert foreign_origin.status_code in (400, 403)
    assert own.status_code == 200
