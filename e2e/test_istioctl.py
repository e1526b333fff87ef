"""istioctl through the CLI path against the local control plane: version, analyze and
precheck answer as the real istioctl does, and what must not run is refused before anything
runs.

No Istio control plane is installed (kwok runs no containers, so istiod could not serve xDS):
`version` reports the client and that no control plane answers, `analyze` checks the namespaces
as a cluster without Istio has them, `x precheck` says Istio may be installed. Istio's CRDs are
installed in one namespace's test (from the istio module the harness built istioctl from), so
that `analyze` finds what is wrong in a broken VirtualService.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio
from fastmcp import Client
from fastmcp.client.transports import StdioTransport

from e2e import mcp_server
from e2e.harness import Cluster
from e2e.harness.binaries import GOMOD_DIR

pytestmark = pytest.mark.asyncio(loop_scope="module")

NAMESPACE = "e2e-istio"
RELEASE = "1.31.0"


def istioctl(cluster: Cluster, *args: str) -> subprocess.CompletedProcess[str]:
    """The built istioctl as the cluster's admin, as the server runs it."""
    program = cluster.bin_dir / "istioctl"
    if not program.is_file():
        pytest.fail(
            f"{program} is missing: run `python -m e2e.harness binaries --full` (or `make e2e`)",
            pytrace=False,
        )
    return subprocess.run(
        [str(program), *args],
        env={**cluster.env(), "HOME": os.environ.get("HOME", "/tmp")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def mesh_namespace(cluster: Cluster) -> Iterator[str]:
    """A namespace with sidecar injection asked for, and a Deployment whose pod has no
    sidecar (no injector runs)."""
    cluster.kubectl("create", "namespace", NAMESPACE, check=False)
    cluster.kubectl("label", "namespace", NAMESPACE, "istio-injection=enabled", "--overwrite")
    cluster.kubectl(
        "create",
        "deployment",
        "web",
        "--image=registry.example.com/web:1",
        "-n",
        NAMESPACE,
        check=False,
    )
    cluster.kubectl("rollout", "status", "deployment/web", "-n", NAMESPACE, "--timeout=60s")
    yield NAMESPACE
    cluster.kubectl("delete", "namespace", NAMESPACE, "--wait=false", check=False)


def istio_crds_manifest() -> str:
    """Istio's CRDs as the release ships them (manifests/charts/base), from the istio module
    e2e/gomod/istioctl pins: in the module cache after the build, fetched again otherwise."""
    download = subprocess.run(
        ["go", "mod", "download", "-json", "istio.io/istio"],
        cwd=GOMOD_DIR / "istioctl",
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if download.returncode != 0:
        pytest.fail(
            "cannot find the istio module for its CRDs: `go mod download istio.io/istio` in "
            f"e2e/gomod/istioctl failed:\n{download.stdout}{download.stderr}",
            pytrace=False,
        )
    module = json.loads(download.stdout)["Dir"]
    return os.path.join(module, "manifests", "charts", "base", "files", "crd-all.gen.yaml")


BROKEN_ROUTE = """
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: broken
spec:
  hosts: [web.example.com]
  gateways: [no-such-gateway]
  http:
  - route:
    - destination:
        host: no-such-service
"""


@pytest.fixture(scope="module")
def broken_route_namespace(cluster: Cluster) -> Iterator[str]:
    """Istio's CRDs, and a namespace with a VirtualService that names a gateway and a
    destination host that do not exist."""
    namespace = "e2e-istio-routes"
    cluster.kubectl("apply", "--server-side", "-f", istio_crds_manifest(), timeout=300)
    cluster.kubectl(
        "wait", "--for=condition=Established", "crd/virtualservices.networking.istio.io"
    )
    cluster.kubectl("create", "namespace", namespace, check=False)
    cluster.kubectl("apply", "-n", namespace, "-f", "-", input=BROKEN_ROUTE)
    yield namespace
    cluster.kubectl("delete", "namespace", namespace, "--wait=false", check=False)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client(base_server_env: dict[str, str]) -> AsyncIterator[Client[StdioTransport]]:
    async with mcp_server.stdio_client(base_server_env) as connected:
        yield connected


async def call(client: Client[Any], command: str) -> dict[str, Any]:
    raw = await client.call_tool("execute_istioctl", {"command": command}, raise_on_error=False)
    result: dict[str, Any] = raw.structured_content or {}
    return result


async def test_client_version(client: Client[StdioTransport], cluster: Cluster) -> None:
    result = await call(client, "istioctl version --remote=false")
    assert result["status"] == "success", result
    assert result["backend"] == "cli"
    assert result["output"] == f"client version: {RELEASE}\n"
    assert result["output"] == istioctl(cluster, "version", "--remote=false").stdout

    as_json = await call(client, "istioctl version --remote=false -o json")
    assert as_json["data"]["clientVersion"]["version"] == RELEASE


async def test_version_against_the_cluster(
    client: Client[StdioTransport], cluster: Cluster
) -> None:
    """The control plane is asked for: none runs, which istioctl says on stderr."""
    result = await call(client, "istioctl version")
    real = istioctl(cluster, "version")
    assert result["status"] == "success", result
    assert result["output"].startswith(f"client version: {RELEASE}\n")
    assert real.stdout == f"client version: {RELEASE}\n"
    assert "no running Istio pods" in real.stderr
    assert "no running Istio pods" in result["output"]  # warnings go with the output


async def test_analyze(
    client: Client[StdioTransport],
    cluster: Cluster,
    mesh_namespace: str,
    broken_route_namespace: str,
) -> None:
    result = await call(client, f"istioctl analyze -n {mesh_namespace}")
    real = istioctl(cluster, "analyze", "-n", mesh_namespace)
    assert result["exit_code"] == real.returncode
    assert result["output"].strip() == (real.stdout + real.stderr).strip()
    # Injection is asked for, but no injector is installed to honour it.
    assert result["status"] == "success", result
    assert "Warning [IST0103]" in result["output"]
    assert f"The pod {mesh_namespace}/web-" in result["output"]

    # Every namespace: the broken route's namespace among them (it is there whichever of the
    # two tests runs first), so istioctl finds errors and exits non-zero. The server's answer
    # is a failed command's: what istioctl printed as the output, its stderr as the error.
    everywhere = await call(client, "istioctl analyze -A")
    real = istioctl(cluster, "analyze", "-A")
    assert real.returncode != 0, real
    assert everywhere["exit_code"] == real.returncode
    assert "IST0102" in everywhere["output"]  # namespaces not enabled for injection
    assert f"(VirtualService {broken_route_namespace}/broken)" in everywhere["output"]
    assert everywhere["output"] == real.stdout
    assert everywhere["error"] == {"code": "cli_error", "message": real.stderr.strip()}


async def test_analyze_finds_a_broken_route(
    client: Client[StdioTransport], cluster: Cluster, broken_route_namespace: str
) -> None:
    namespace = broken_route_namespace
    result = await call(client, f"istioctl analyze -n {namespace}")
    real = istioctl(cluster, "analyze", "-n", namespace)
    assert real.returncode != 0, real  # errors found: istioctl exits non-zero
    assert result["exit_code"] == real.returncode
    assert result["status"] == "error", result
    assert result["error"]["code"] == "cli_error"
    text = result["output"] + result["error"]["message"]
    # The missing gateway and the missing destination, each named with the route's name.
    assert (
        f"Error [IST0101] (VirtualService {namespace}/broken) Referenced gateway not found:" in text
    )
    assert 'Referenced host not found: "no-such-service"' in text
    for line in (real.stdout + real.stderr).splitlines():
        assert line in text


async def test_precheck(client: Client[StdioTransport], cluster: Cluster) -> None:
    result = await call(client, "istioctl x precheck")
    real = istioctl(cluster, "x", "precheck")
    assert result["status"] == "success", result
    assert "No issues found when checking the cluster" in result["output"]
    assert result["output"].strip() == (real.stdout + real.stderr).strip()


REFUSED = [
    ("istioctl dashboard kiali", "never run"),
    ("istioctl bug-report", "never run"),
    ("istioctl kube-inject -f /etc/passwd", "local file"),
    ("istioctl analyze /etc/passwd", "local file"),
    ("istioctl version --as system:admin", "--as"),
    ("istioctl x precheck --as-group system:masters", "--as-group"),
    ("istioctl proxy-status --xds-address 127.0.0.1:15012", "--xds-address"),
    ("istioctl version --kubeconfig /etc/kubernetes/admin.conf", "--kubeconfig"),
    ("istioctl manifest generate --output /tmp/istio-manifests", "writes local files"),
    ("istioctl analyze -A --vklog=9", "verbosity"),
    ("istioctl analyze --remote-contexts other", "other kube contexts"),
]


@pytest.mark.parametrize(("command", "why"), REFUSED)
async def test_refused(client: Client[StdioTransport], command: str, why: str) -> None:
    result = await call(client, command)
    assert result["status"] == "error", result
    assert result["error"]["code"] == "policy_denied", result
    assert result["backend"] is None
    assert why in result["error"]["message"]


async def test_installing_needs_admin(
    client: Client[StdioTransport], base_server_env: dict[str, str]
) -> None:
    """Installing, upgrading or tagging the mesh changes CRDs and webhooks: admin only. The
    default server (standard) refuses before anything runs; reads run in read-only mode."""
    for command in ("istioctl install -y", "istioctl uninstall --purge -y", "istioctl tag set x"):
        result = await call(client, command)
        assert result["error"]["code"] == "policy_denied", (command, result)
        assert "admin" in result["error"]["message"]
    env = {**base_server_env, "K8S_MCP_ACCESS": "read-only"}
    async with mcp_server.stdio_client(env) as read_only:
        result = await call(read_only, "istioctl x precheck")
        assert result["status"] == "success", result
        refused = await call(read_only, "istioctl waypoint apply -n default")
        assert refused["error"]["code"] == "policy_denied"
