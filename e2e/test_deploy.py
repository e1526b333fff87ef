"""The Helm chart in deploy/helm: lint, golden renders, an install into the local control plane
with the RBAC it grants checked, and two server replicas serving one client in turn."""

from __future__ import annotations

import base64
import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from e2e import mcp_server
from e2e.harness import Cluster

REPO = Path(__file__).resolve().parent.parent
CHART = REPO / "deploy" / "helm" / "kube-ai-proxy"
GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE_GOLDEN = os.environ.get("E2E_UPDATE_GOLDEN") == "1"

RENDERS = {
    "default": [],
    "standard-scoped": [
        "--set",
        "server.access=standard",
        "--set",
        "server.allowedNamespaces={team-a,team-b}",
        "--set",
        "ingress.enabled=true",
        "--set",
        "autoscaling.enabled=true",
        "--set",
        "server.rateLimit=20",
    ],
    "oauth-impersonate": [
        "--set",
        "oauth.issuer=https://idp.example.internal",
        "--set",
        "oauth.audience=kube-ai-proxy",
        "--set",
        "identity.mode=impersonate",
        "--set",
        "identity.users={*}",
        "--set",
        "identity.groups={oidc:team-a,oidc:team-b}",
    ],
}


def masked(render: str) -> str:
    """The render with the random token replaced: everything else must be stable."""
    return re.sub(r"(?m)^(  token: ).*$", r"\1<random>", render)


def test_chart_lints(cluster: Cluster) -> None:
    result = cluster.helm("lint", str(CHART), "--strict")
    assert "1 chart(s) linted, 0 chart(s) failed" in result.stdout


@pytest.mark.parametrize("name", sorted(RENDERS))
def test_renders_match_the_golden_files(cluster: Cluster, name: str) -> None:
    render = cluster.helm(
        "template", "kap", str(CHART), "--namespace", "mcp", *RENDERS[name]
    ).stdout
    golden = GOLDEN / f"chart-{name}.yaml"
    if UPDATE_GOLDEN:
        golden.write_text(masked(render))
    assert masked(render) == golden.read_text(), (
        f"helm template differs from {golden}; if the change is intended, rerun with "
        "E2E_UPDATE_GOLDEN=1 and review the diff"
    )


def can_i(cluster: Cluster, verb: str, resource: str, namespace: str, user: str) -> bool:
    result = cluster.kubectl(
        "auth", "can-i", verb, resource, "-n", namespace, f"--as={user}", check=False
    )
    return result.stdout.strip() == "yes"


@pytest.fixture
def release_namespace(cluster: Cluster) -> Iterator[str]:
    """A fresh namespace for the release (a deleted one lingers while it terminates)."""
    namespace = f"mcp-e2e-{secrets.token_hex(3)}"
    cluster.kubectl("create", "namespace", namespace)
    for team in ("team-a", "team-b"):
        cluster.kubectl("create", "namespace", team, check=False)
    yield namespace
    for release in ("ro", "std", "imp"):
        cluster.helm("uninstall", release, "-n", namespace, check=False)
    cluster.kubectl("delete", "namespace", namespace, "--wait=false", check=False)


def test_install_creates_the_objects_and_grants_the_access_mode(
    cluster: Cluster, release_namespace: str
) -> None:
    ns = release_namespace
    sa = f"system:serviceaccount:{ns}:ro-kube-ai-proxy"
    cluster.helm("install", "ro", str(CHART), "-n", ns, "--set", "image.tag=test")
    deployment = cluster.kubectl_json("get", "deployment", "ro-kube-ai-proxy", "-n", ns)
    assert deployment["spec"]["replicas"] == 2
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    env = {e["name"]: e for e in container["env"]}
    assert env["K8S_MCP_TRANSPORT"]["value"] == "streamable-http"
    assert env["K8S_MCP_ACCESS"]["value"] == "read-only"
    assert env["K8S_MCP_AUTH_TOKEN"]["valueFrom"]["secretKeyRef"]["name"] == "ro-kube-ai-proxy-auth"
    secret = cluster.kubectl_json("get", "secret", "ro-kube-ai-proxy-auth", "-n", ns)
    token = base64.b64decode(secret["data"]["token"]).decode()
    assert len(token) == 48
    for kind in ("service", "serviceaccount", "poddisruptionbudget"):
        cluster.kubectl("get", kind, "ro-kube-ai-proxy", "-n", ns)
    # read-only -> ClusterRole view, cluster-wide
    assert can_i(cluster, "list", "pods", "team-a", sa)
    assert not can_i(cluster, "delete", "pods", "team-a", sa)
    assert not can_i(cluster, "list", "secrets", "team-a", sa)
    # An upgrade keeps the token clients already have.
    cluster.helm("upgrade", "ro", str(CHART), "-n", ns, "--set", "image.tag=test2")
    again = cluster.kubectl_json("get", "secret", "ro-kube-ai-proxy-auth", "-n", ns)
    assert again["data"]["token"] == secret["data"]["token"]


def test_scoped_standard_install_grants_edit_in_its_namespaces_only(
    cluster: Cluster, release_namespace: str
) -> None:
    ns = release_namespace
    cluster.helm(
        "install",
        "std",
        str(CHART),
        "-n",
        ns,
        "--set",
        "server.access=standard",
        "--set",
        "server.allowedNamespaces={team-a}",
    )
    sa = f"system:serviceaccount:{ns}:std-kube-ai-proxy"
    assert can_i(cluster, "delete", "pods", "team-a", sa)
    assert not can_i(cluster, "delete", "pods", "team-b", sa)
    assert not can_i(cluster, "list", "pods", "team-b", sa)
    assert not can_i(cluster, "delete", "namespaces", "team-a", sa)


def test_impersonate_install_grants_only_impersonation(
    cluster: Cluster, release_namespace: str
) -> None:
    ns = release_namespace
    cluster.helm(
        "install",
        "imp",
        str(CHART),
        "-n",
        ns,
        "--set",
        "oauth.issuer=https://idp.example.internal",
        "--set",
        "oauth.audience=kube-ai-proxy",
        "--set",
        "identity.mode=impersonate",
        "--set",
        "identity.users={oidc:alice}",
        "--set",
        "identity.groups={oidc:team-a}",
    )
    sa = f"system:serviceaccount:{ns}:imp-kube-ai-proxy"
    env = {
        e["name"]: e.get("value")
        for e in cluster.kubectl_json("get", "deployment", "imp-kube-ai-proxy", "-n", ns)["spec"][
            "template"
        ]["spec"]["containers"][0]["env"]
    }
    assert env["K8S_MCP_IDENTITY"] == "impersonate"
    assert env["K8S_MCP_OAUTH_ISSUER"] == "https://idp.example.internal"
    assert "K8S_MCP_AUTH_TOKEN" not in env
    assert cluster.kubectl(
        "get", "secret", "imp-kube-ai-proxy-auth", "-n", ns, check=False
    ).returncode
    assert can_i(cluster, "impersonate", "users/oidc:alice", "default", sa)
    assert can_i(cluster, "impersonate", "groups/oidc:team-a", "default", sa)
    assert not can_i(cluster, "impersonate", "users/oidc:mallory", "default", sa)
    assert not can_i(cluster, "impersonate", "groups/system:masters", "default", sa)
    assert not can_i(cluster, "list", "pods", "team-a", sa)  # its own reads: none


async def test_two_replicas_serve_one_client_in_turn(
    server_env: dict[str, str], cluster: Cluster, tmp_path: Path
) -> None:
    """Streamable HTTP keeps no session state: a client whose requests land on alternating
    replicas (as behind a Service) completes a list, describe, scale, verify workflow."""
    namespace = "e2e-replicas"
    cluster.kubectl("create", "namespace", namespace, check=False)
    cluster.kubectl("-n", namespace, "create", "deployment", "web", "--image=web:1", check=False)
    token = secrets.token_urlsafe(24)
    env = {**server_env, "K8S_MCP_ACCESS": "standard"}
    with (
        mcp_server.http_server(env, tmp_path / "a.log", token=token) as first,
        mcp_server.http_server(env, tmp_path / "b.log", token=token) as second,
    ):
        replicas = [first, second]
        steps = [
            f"kubectl get deploy -n {namespace}",
            f"kubectl describe deployment web -n {namespace}",
            f"kubectl scale deployment web -n {namespace} --replicas=3",
            f"kubectl rollout status deployment/web -n {namespace} --timeout=60s",
            f"kubectl get deployment web -n {namespace} -o json",
        ]
        results = []
        for index, command in enumerate(steps):
            async with replicas[index % 2].client() as client:
                raw = await client.call_tool(
                    "execute_kubectl", {"command": command, "timeout": 90}, raise_on_error=False
                )
            assert not raw.is_error, (command, raw.structured_content)
            results.append(raw.structured_content)
    assert "web" in results[0]["output"]
    assert "Replicas:" in results[1]["output"]
    assert results[2]["output"].strip() == "deployment.apps/web scaled"
    assert "successfully rolled out" in results[3]["output"]
    assert results[4]["data"]["status"]["readyReplicas"] == 3
    cluster.kubectl("delete", "namespace", namespace, "--wait=false", check=False)
