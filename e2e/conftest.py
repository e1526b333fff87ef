"""Fixtures for the end-to-end tests: a real cluster, and kube-ai-proxy started as a user starts it.

Environment:
  E2E_KUBECONFIG         use this cluster instead of starting one (nothing is started or deleted)
  E2E_VIEWER_KUBECONFIG  with E2E_KUBECONFIG: a kubeconfig that may only view one namespace
  E2E_VIEWER_NAMESPACE   with E2E_KUBECONFIG: that namespace (default e2e-viewer-ns)
  E2E_KEEP_CLUSTER=1     leave the cluster this session started running at the end
  E2E_CLUSTER=kind|kwok  the backend (default kwok); kind is set by `make e2e-kind`, which
                         makes the kind cluster, runs the tests marked kind on it, deletes it
  KAP_CACHE              cache root for binaries and cluster files (~/.cache/kube-ai-proxy)

A missing prerequisite fails the tests with the command that fixes it; nothing is skipped.
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from fastmcp import Client
from fastmcp.client.transports import StdioTransport, StreamableHttpTransport

from e2e import mcp_server
from e2e.harness import (
    VIEWER_NAMESPACE,
    CacheLayout,
    Cluster,
    HarnessError,
    down,
    ensure_binaries,
    up,
)
from e2e.harness.binaries import FULL_STEPS
from e2e.harness.lifecycle import answers
from e2e.inspector import INSPECTOR_BIN, Inspector, missing_prerequisite
from e2e.mcp_server import HttpServer, server_environment

# What the server runs against someone else's cluster: only the client tools.
CLIENT_STEPS = tuple(
    step for step in FULL_STEPS if step.name in ("kubernetes", "helm", "istioctl", "argocd")
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that need real containers (marked kind) are left out unless the cluster is kind or
    a marker expression chooses tests; a kind test run elsewhere fails and says what to run."""
    if os.environ.get("E2E_CLUSTER") == "kind" or config.getoption("markexpr"):
        return
    left_out = [item for item in items if item.get_closest_marker("kind")]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not item.get_closest_marker("kind")]


@pytest.fixture(scope="session")
def cache_layout() -> CacheLayout:
    return CacheLayout.from_env()


@pytest.fixture(scope="session")
def cluster(cache_layout: CacheLayout) -> Iterator[Cluster]:
    """The cluster under test, started by the harness unless E2E_KUBECONFIG names one."""
    external = os.environ.get("E2E_KUBECONFIG")
    if external:
        yield _external_cluster(cache_layout, Path(external))
        return
    # A cluster that was already up (`make cluster-up`) belongs to whoever started it.
    started_here = not answers(cache_layout)
    keep = os.environ.get("E2E_KEEP_CLUSTER") == "1"
    try:
        started = up(cache_layout)
    except HarnessError as error:
        if started_here and not keep:
            _down_quietly(cache_layout)  # leave no half-started control plane running
        pytest.fail(str(error), pytrace=False)
    yield started
    if started_here and not keep:
        down(cache_layout)


def _down_quietly(cache_layout: CacheLayout) -> None:
    try:
        down(cache_layout)
    except HarnessError as error:
        print(f"cleaning up after a failed start also failed: {error}", file=sys.stderr)


def _external_cluster(cache_layout: CacheLayout, kubeconfig: Path) -> Cluster:
    if not kubeconfig.expanduser().is_file():
        pytest.fail(f"E2E_KUBECONFIG={kubeconfig}: no such file", pytrace=False)
    try:
        bin_dir = ensure_binaries(cache_layout, CLIENT_STEPS)
    except HarnessError as error:
        pytest.fail(str(error), pytrace=False)
    viewer = os.environ.get("E2E_VIEWER_KUBECONFIG")
    return Cluster(
        name="external",
        backend="external",
        kubeconfig=kubeconfig.expanduser().resolve(),
        viewer_kubeconfig=Path(viewer).expanduser().resolve() if viewer else None,
        viewer_namespace=os.environ.get("E2E_VIEWER_NAMESPACE", VIEWER_NAMESPACE),
        bin_dir=bin_dir,
        tool_state=cache_layout.tool_state,
    )


@pytest.fixture(scope="session")
def kind_cluster(cluster: Cluster) -> Cluster:
    """The cluster, for tests that need real containers: it must be kind."""
    if cluster.backend != "kind":
        pytest.fail(
            f"this test needs real containers, and the cluster is {cluster.backend}: run it "
            "with `make e2e-kind`",
            pytrace=False,
        )
    return cluster


@pytest.fixture
def viewer_kubeconfig(cluster: Cluster) -> Path:
    """The restricted identity's kubeconfig; fails (never skips) when there is none."""
    if cluster.viewer_kubeconfig is None:
        pytest.fail(
            "E2E_KUBECONFIG is set but E2E_VIEWER_KUBECONFIG is not: the RBAC tests need a "
            "kubeconfig that may only view one namespace (E2E_VIEWER_NAMESPACE, default "
            f"{VIEWER_NAMESPACE}). Unset E2E_KUBECONFIG to let the harness make one.",
            pytrace=False,
        )
    return cluster.viewer_kubeconfig


@pytest.fixture(scope="session")
def base_server_env(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    # The journal of writes (K8S_MCP_JOURNAL's default) in the run's directory, not the user's.
    state = tmp_path_factory.mktemp("state")
    return {**server_environment(cluster), "XDG_STATE_HOME": str(state)}


@pytest.fixture
def server_env(base_server_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """The server's environment: PATH with the built tools first, KUBECONFIG = admin, and no
    K8S_MCP_* inherited from the shell; the journal of its writes in the test's directory. A
    fresh copy per test, so a test may change it."""
    return {**base_server_env, "K8S_MCP_JOURNAL": str(tmp_path / "journal.jsonl")}


@pytest.fixture
async def stdio_client(server_env: dict[str, str]) -> AsyncIterator[Client[StdioTransport]]:
    """A connected MCP client; the server is `python -m kube_ai_proxy.main` over stdio.
    For other settings: `async with mcp_server.stdio_client({**server_env, ...}) as client`."""
    async with mcp_server.stdio_client(server_env) as client:
        yield client


@pytest.fixture
def http_server(server_env: dict[str, str], tmp_path: Path) -> Iterator[HttpServer]:
    """The server as a streamable-HTTP subprocess on a free loopback port with a random bearer
    token (K8S_MCP_AUTH_TOKEN); terminated at teardown. Its output is in `http_server.log`."""
    with ExitStack() as stack:
        try:
            started = stack.enter_context(
                mcp_server.http_server(server_env, tmp_path / "http-server.log")
            )
        except RuntimeError as error:
            pytest.fail(str(error), pytrace=False)
        yield started


@pytest.fixture
async def http_client(http_server: HttpServer) -> AsyncIterator[Client[StreamableHttpTransport]]:
    """A connected MCP client on http://127.0.0.1:PORT/mcp sending Authorization: Bearer TOKEN."""
    async with http_server.client() as client:
        yield client


@pytest.fixture
def inspector(tmp_path: Path) -> Inspector:
    """The MCP Inspector CLI from e2e/node_modules; fails with the install command if missing."""
    problem = missing_prerequisite()
    if problem is not None:
        pytest.fail(problem, pytrace=False)
    return Inspector(INSPECTOR_BIN, home=tmp_path / "inspector-home")
