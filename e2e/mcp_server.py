"""Start kube-ai-proxy the way a user does, for e2e tests: over stdio, or as an HTTP server.

Both run `python -m kube_ai_proxy.main` as a child process with an environment the test controls,
so what is tested is the real entry point, configuration from environment variables, and the real
kubectl/helm found on PATH.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastmcp import Client
from fastmcp.client.transports import StdioTransport, StreamableHttpTransport

from e2e.harness import Cluster
from e2e.harness.cluster import tool_environment
from e2e.harness.processes import free_ports

REPO_ROOT = Path(__file__).resolve().parent.parent
SERVER_ARGS = ["-m", "kube_ai_proxy.main"]

# Settings a developer's shell may carry that would silently change what a test sees: the
# server's own (K8S_MCP_*), a kube context or an Argo CD the test did not ask for.
_INHERITED_SETTINGS = ("K8S_MCP_",)
_INHERITED_NAMES = ("K8S_CONTEXT", "ARGOCD_SERVER", "ARGOCD_AUTH_TOKEN", "ARGOCD_INSECURE")


def server_environment(cluster: Cluster, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for the server: the built tools first on PATH, the admin kubeconfig,
    kubectl's and helm's caches and settings under the harness cache instead of $HOME."""
    environment = {
        key: value
        for key, value in (os.environ if base is None else base).items()
        if not key.startswith(_INHERITED_SETTINGS) and key not in _INHERITED_NAMES
    }
    environment = tool_environment(environment, cluster.tool_state)
    environment["PATH"] = f"{cluster.bin_dir}{os.pathsep}{environment.get('PATH', '')}"
    environment["KUBECONFIG"] = str(cluster.kubeconfig)
    # Server logs reach the test report as they are written, not when a buffer fills.
    environment["PYTHONUNBUFFERED"] = "1"
    return environment


def stdio_client(
    env: Mapping[str, str], timeout: float = 120, **options: Any
) -> Client[StdioTransport]:
    """An MCP client that spawns the server over stdio. Its stderr goes to the test's stderr,
    which pytest captures and shows when the test fails. `options` go to the Client (an
    elicitation handler, a protocol mode)."""
    transport = StdioTransport(
        command=sys.executable,
        args=list(SERVER_ARGS),
        env=dict(env),
        cwd=str(REPO_ROOT),
        # One server per client: a test must not inherit the state of the previous one.
        keep_alive=False,
    )
    return Client(transport, timeout=timeout, init_timeout=60, **options)


def free_port() -> int:
    return free_ports(1)[0]


@dataclass(frozen=True)
class HttpServer:
    """A running streamable-HTTP server and what a client needs to reach it."""

    url: str
    token: str
    process: subprocess.Popen[bytes]
    log: Path

    def client(
        self, timeout: float = 120, token: str | None = None
    ) -> Client[StreamableHttpTransport]:
        """A client that sends the bearer token (or `token`, to test a wrong one)."""
        bearer = self.token if token is None else token
        transport = StreamableHttpTransport(self.url, headers={"Authorization": f"Bearer {bearer}"})
        return Client(transport, timeout=timeout)


@contextmanager
def http_server(
    env: Mapping[str, str],
    log: Path,
    startup_seconds: float = 60,
    token: str | None = None,
    oauth: bool = False,
    open_access: bool = False,
) -> Iterator[HttpServer]:
    """Run the server with K8S_MCP_TRANSPORT=streamable-http on a free loopback port until the
    block ends; its output goes to `log`, which a failed start quotes. `token`: the bearer
    token (replicas behind one address share one); default a fresh random one. With `oauth`,
    `env` configures an issuer instead, and clients bring their own tokens. With
    `open_access`, no token is asked for at all (loopback allows it), for clients that
    cannot send one."""
    port = free_port()
    token = token or secrets.token_urlsafe(32)
    environment = dict(env)
    environment.update(
        {
            "K8S_MCP_TRANSPORT": "streamable-http",
            "K8S_MCP_HOST": "127.0.0.1",
            "K8S_MCP_PORT": str(port),
        }
    )
    if not oauth and not open_access:
        environment["K8S_MCP_AUTH_TOKEN"] = token
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, *SERVER_ARGS],
            cwd=REPO_ROOT,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_port(process, port, log, startup_seconds)
        yield HttpServer(f"http://127.0.0.1:{port}/mcp", token, process, log)
    finally:
        _stop(process)


def _wait_for_port(
    process: subprocess.Popen[bytes], port: int, log: Path, startup_seconds: float
) -> None:
    deadline = time.monotonic() + startup_seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"the HTTP server exited with {process.returncode} before listening on "
                f"127.0.0.1:{port}; its output:\n{log.read_text(errors='replace')}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(
        f"the HTTP server did not listen on 127.0.0.1:{port} within {startup_seconds:.0f} s; "
        f"its output:\n{log.read_text(errors='replace')}"
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
