"""The Docker image, run the way Claude Desktop runs it: `docker run -i --rm` with the kubeconfig
mounted read-only, MCP over the container's stdin and stdout; and over streamable HTTP with a
bearer token on a loopback port.

The image is built by `python -m e2e.harness image` (`make e2e` does it first, with progress);
here it is only looked up, in the running engine or one the session starts.
"""

from __future__ import annotations

import hashlib
import json
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastmcp import Client
from fastmcp.client.transports import StdioTransport

from e2e.harness import CacheLayout, Cluster, HarnessError
from e2e.harness.binaries import read_module
from e2e.harness.docker import Engine, docker_cli, engine
from e2e.harness.images import IMAGE

KUBE_VERSION = read_module("kubernetes").version("k8s.io/kubernetes")

in_module_loop = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture(scope="module")
def docker(cache_layout: CacheLayout) -> Iterator[Engine]:
    try:
        with engine(cache_layout) as running:
            done = subprocess.run(
                [docker_cli(), "image", "inspect", IMAGE], capture_output=True, env=running.env()
            )
            if done.returncode != 0:
                pytest.fail(
                    f"the image {IMAGE} is not built: run `python -m e2e.harness image` "
                    "(make e2e does)",
                    pytrace=False,
                )
            yield running
    except HarnessError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(scope="module")
def kubeconfig(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The cluster's admin kubeconfig with its certificates inline (the container sees only
    this file), readable by the image's non-root user."""
    path = tmp_path_factory.mktemp("image") / "config"
    path.write_text(cluster.kubectl("config", "view", "--flatten", "--minify").stdout)
    path.chmod(0o644)
    return path


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client(docker: Engine, kubeconfig: Path) -> AsyncIterator[Client[StdioTransport]]:
    # As the seed's Claude Desktop config runs it; the host network, because the local API
    # server listens on the host's loopback.
    args = [
        "run",
        "-i",
        "--rm",
        "--network=host",
        "-v",
        f"{kubeconfig}:/home/appuser/.kube/config:ro",
        "-e",
        "K8S_MCP_TRANSPORT=stdio",
        IMAGE,
    ]
    transport = StdioTransport(command=docker_cli(), args=args, env=docker.env(), keep_alive=False)
    async with Client(transport, timeout=120, init_timeout=120) as connected:
        yield connected


async def _call(client: Client[StdioTransport], tool: str, command: str) -> dict[str, Any]:
    raw = await client.call_tool(tool, {"command": command}, raise_on_error=False)
    assert raw.structured_content is not None, raw
    return raw.structured_content


@in_module_loop
async def test_lists_the_tools(client: Client[StdioTransport]) -> None:
    names = {tool.name for tool in await client.list_tools()}
    for cli in ("kubectl", "helm", "istioctl", "argocd"):
        assert {f"execute_{cli}", f"describe_{cli}"} <= names


@in_module_loop
async def test_reads_the_cluster_natively(client: Client[StdioTransport]) -> None:
    result = await _call(client, "execute_kubectl", "kubectl get pods -A")
    assert (result["status"], result["backend"]) == ("success", "native"), result


def _host(cache_layout: CacheLayout, cli: str, *args: str) -> str:
    """What the harness's own build of a CLI prints: the image's must say the same."""
    return subprocess.run(
        [str(cache_layout.binary(cli)), *args], capture_output=True, text=True, check=True
    ).stdout


@in_module_loop
async def test_runs_the_images_own_clis(
    client: Client[StdioTransport], cache_layout: CacheLayout
) -> None:
    piped = "kubectl version --client -o json | jq -r .clientVersion.gitVersion"
    version = await _call(client, "execute_kubectl", piped)
    assert version["output"] == f"{KUBE_VERSION}\n", version
    helm = await _call(client, "execute_helm", "helm list -A")
    assert (helm["status"], helm["output"].split()[:2]) == ("success", ["NAME", "NAMESPACE"])
    helm_version = await _call(client, "execute_helm", "helm version --short")
    assert helm_version["output"] == _host(cache_layout, "helm", "version", "--short")
    istio = await _call(client, "execute_istioctl", "istioctl version --remote=false")
    assert istio["output"] == _host(cache_layout, "istioctl", "version", "--remote=false")
    argocd = await _call(client, "execute_argocd", "argocd version --client --short")
    assert argocd["output"] == _host(cache_layout, "argocd", "version", "--client", "--short")


def _in_image(docker: Engine, *argv: str) -> subprocess.CompletedProcess[str]:
    """A command in a throwaway container of the image, instead of the server."""
    command = [docker_cli(), "run", "--rm", "--entrypoint", argv[0], IMAGE, *argv[1:]]
    return subprocess.run(command, capture_output=True, text=True, env=docker.env(), timeout=120)


def test_reports_its_version(docker: Engine) -> None:
    done = subprocess.run(
        [docker_cli(), "run", "--rm", IMAGE, "--version"],
        capture_output=True,
        text=True,
        env=docker.env(),
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("kube-ai-proxy "), done.stdout


def test_runs_as_appuser_without_compilers(docker: Engine) -> None:
    assert _in_image(docker, "id", "-un").stdout == "appuser\n"
    assert _in_image(docker, "id", "-u").stdout == "10001\n"
    # `command -v` prints the path of each one it finds: nothing, for none of them.
    found = _in_image(docker, "sh", "-c", "command -v go gcc cc c++ clang make")
    assert (found.stdout, found.stderr) == ("", ""), found


@in_module_loop
async def test_refuses_a_shell(client: Client[StdioTransport], kubeconfig: Path) -> None:
    before = _digest(kubeconfig)
    result = await _call(client, "execute_kubectl", "kubectl get pods; rm -rf /")
    assert result["error"]["code"] == "invalid_command", result
    assert _digest(kubeconfig) == before


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def http_server(docker: Engine, kubeconfig: Path) -> Iterator[tuple[str, str]]:
    """The image serving streamable HTTP, published on a loopback port only."""
    port, token = _free_port(), uuid.uuid4().hex
    name = f"kap-e2e-{uuid.uuid4().hex[:8]}"
    docker.docker(
        "run",
        "-d",
        "--rm",
        "--name",
        name,
        "-p",
        f"127.0.0.1:{port}:8000",
        "-v",
        f"{kubeconfig}:/home/appuser/.kube/config:ro",
        "-e",
        "K8S_MCP_TRANSPORT=streamable-http",
        "-e",
        f"K8S_MCP_AUTH_TOKEN={token}",
        IMAGE,
    )
    try:
        url = f"http://127.0.0.1:{port}/mcp"
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(url, timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, docker.docker("logs", name).stderr.decode()
                time.sleep(0.5)
        yield url, token
    finally:
        subprocess.run([docker_cli(), "stop", name], capture_output=True, env=docker.env())


INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "clientInfo": {"name": "e2e", "version": "1"},
        "capabilities": {},
    },
}
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def test_http_needs_the_token(http_server: tuple[str, str]) -> None:
    url, token = http_server
    body = json.dumps(INITIALIZE)
    refused = httpx.post(url, content=body, headers=HEADERS, timeout=30)
    assert refused.status_code == 401
    wrong = httpx.post(
        url, content=body, headers={**HEADERS, "Authorization": "Bearer nope"}, timeout=30
    )
    assert wrong.status_code == 401
    answered = httpx.post(
        url, content=body, headers={**HEADERS, "Authorization": f"Bearer {token}"}, timeout=30
    )
    assert answered.status_code == 200, answered.text
    assert "kube-ai-proxy" in answered.text
