"""Trying to break the security promises against a real API server (DESIGN, invariants 3-7).

RBAC pre-flight with a real restricted identity, Secret redaction on every output path that
can carry one, and an audit log that never records a secret value.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from fastmcp import Client
from fastmcp.client.transports import StdioTransport

from e2e import mcp_server
from e2e.harness import Cluster

CHARTS = Path(__file__).resolve().parent / "charts"
NAMESPACE = "e2e-secrets"
SECRET_VALUE = "s3cr3t-Hunter2-value"
CHART_PASSWORD = "chart-password-5678"


async def call(client: Client[StdioTransport], tool: str, command: str, **extra: Any) -> Any:
    return await client.call_tool(tool, {"command": command, **extra}, raise_on_error=False)


def leaks(raw: Any, *values: str) -> list[str]:
    """Which of `values` (or their base64) appear anywhere in what the client received."""
    seen = json.dumps(raw.structured_content) + "".join(
        getattr(block, "text", "") for block in raw.content
    )
    found = []
    for value in values:
        encoded = base64.b64encode(value.encode()).decode()
        if value in seen or encoded in seen:
            found.append(value)
    return found


@pytest.fixture(scope="module")
def secrets_namespace(cluster: Cluster) -> str:
    cluster.kubectl("create", "namespace", NAMESPACE, check=False)
    cluster.kubectl(
        "create",
        "secret",
        "generic",
        "db",
        "-n",
        NAMESPACE,
        f"--from-literal=password={SECRET_VALUE}",
        check=False,
    )
    cluster.kubectl(
        "-n",
        NAMESPACE,
        "apply",
        "-f",
        "-",
        input=json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "applied", "namespace": NAMESPACE},
                "stringData": {"token": SECRET_VALUE},
            }
        ),
    )
    cluster.kubectl(
        "--namespace",
        NAMESPACE,
        "get",
        "secret",
        "db",
    )
    return NAMESPACE


@pytest.fixture
async def admin(
    server_env: dict[str, str], tmp_path: Path
) -> AsyncIterator[Client[StdioTransport]]:
    env = {
        **server_env,
        "K8S_MCP_ACCESS": "admin",
        "K8S_MCP_ALLOWED_PATHS": str(CHARTS),
        "K8S_MCP_AUDIT_LOG": str(tmp_path / "audit.jsonl"),
    }
    async with mcp_server.stdio_client(env) as client:
        yield client


@pytest.mark.parametrize(
    "command",
    [
        f"kubectl get secret db -n {NAMESPACE} -o yaml",
        f"kubectl get secret db -n {NAMESPACE} -o json",
        f"kubectl get secrets -n {NAMESPACE} -o yaml",
        f"kubectl get secret applied -n {NAMESPACE} -o json",  # last-applied annotation too
        f"kubectl get secret db -n {NAMESPACE} -o json | jq -r .data.password",
        f"kubectl get secret db -n {NAMESPACE} -o json | jq -r '.data.password' | base64 -d",
        f"kubectl get --raw /api/v1/namespaces/{NAMESPACE}/secrets/db",
        f"kubectl get --raw /api/v1/namespaces/{NAMESPACE}/secrets",
        f"kubectl describe secret db -n {NAMESPACE}",
        f"kubectl get all,secrets -n {NAMESPACE} -o yaml",
    ],
)
async def test_secret_values_never_reach_the_client(
    admin: Client[StdioTransport], secrets_namespace: str, command: str
) -> None:
    raw = await call(admin, "execute_kubectl", command)
    assert leaks(raw, SECRET_VALUE) == []
    result = raw.structured_content
    if "describe" not in command and "base64" not in command:
        assert "REDACTED" in result["output"], result


@pytest.mark.parametrize(
    "command",
    [
        f"kubectl get secret db -n {NAMESPACE} -o jsonpath={{.data.password}}",
        f"kubectl get secret db -n {NAMESPACE} -o go-template='{{{{.data.password}}}}'",
        f"kubectl get secrets -n {NAMESPACE} -o custom-columns=V:.data.password",
    ],
)
async def test_formats_that_cannot_be_redacted_are_refused(
    admin: Client[StdioTransport], secrets_namespace: str, command: str
) -> None:
    raw = await call(admin, "execute_kubectl", command)
    assert raw.is_error
    assert raw.structured_content["error"]["code"] == "policy_denied"
    assert "Secret values are never shown" in raw.structured_content["error"]["message"]
    assert leaks(raw, SECRET_VALUE) == []


async def test_allow_secrets_shows_them(server_env: dict[str, str], secrets_namespace: str) -> None:
    env = {**server_env, "K8S_MCP_ALLOW_SECRETS": "true"}
    async with mcp_server.stdio_client(env) as client:
        raw = await call(
            client,
            "execute_kubectl",
            f"kubectl get secret db -n {NAMESPACE} -o jsonpath={{.data.password}} | base64 -d",
        )
    assert raw.structured_content["output"] == SECRET_VALUE


async def test_helm_values_and_manifests_are_redacted(
    admin: Client[StdioTransport], secrets_namespace: str, tmp_path: Path
) -> None:
    install = await call(
        admin,
        "execute_helm",
        f"helm install vault-demo {CHARTS / 'wordpress'} -n {NAMESPACE} "
        f"--set mariadb.auth.password={CHART_PASSWORD} --set mariadb.architecture=standalone",
    )
    assert not install.is_error, install.structured_content
    try:
        for command in (
            f"helm get values vault-demo -n {NAMESPACE}",
            f"helm get values vault-demo -n {NAMESPACE} -o json",
            f"helm get values vault-demo -n {NAMESPACE} --all -o yaml",
            f"helm get manifest vault-demo -n {NAMESPACE}",
            f"helm get all vault-demo -n {NAMESPACE}",
            f"helm status vault-demo -n {NAMESPACE} -o json",
            f"helm status vault-demo -n {NAMESPACE} -o yaml",
            f"helm get manifest vault-demo -n {NAMESPACE} | grep -i password",
        ):
            raw = await call(admin, "execute_helm", command)
            assert not raw.is_error, (command, raw.structured_content)
            assert leaks(raw, CHART_PASSWORD, "demo-root-password") == [], command
        dry_run = await call(
            admin,
            "execute_helm",
            f"helm template x {CHARTS / 'wordpress'} --set mariadb.auth.password={CHART_PASSWORD}",
        )
        assert leaks(dry_run, CHART_PASSWORD) == []
    finally:
        await call(admin, "execute_helm", f"helm uninstall vault-demo -n {NAMESPACE}")
    audit = (tmp_path / "audit.jsonl").read_text()
    assert CHART_PASSWORD not in audit
    assert "mariadb.auth.password=REDACTED" in audit


async def test_audit_log_records_every_call_without_secret_values(
    admin: Client[StdioTransport], secrets_namespace: str, tmp_path: Path
) -> None:
    name = f"audited-{secrets.token_hex(3)}"
    created = await call(
        admin,
        "execute_kubectl",
        f"kubectl create secret generic {name} -n {NAMESPACE} --from-literal=pw={SECRET_VALUE}",
    )
    assert not created.is_error, created.structured_content
    refused = await call(admin, "execute_kubectl", "kubectl get pods --token=abc")
    assert refused.is_error
    lines = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert SECRET_VALUE not in json.dumps(lines)
    first, second = lines[-2:]
    assert first["decision"] == "allowed"
    assert first["command"].endswith(f"--from-literal=pw=REDACTED {name}")
    assert first["exit_code"] == 0
    assert first["backend"] == "cli"
    assert second["decision"] == "refused"
    assert second["error_code"] == "policy_denied"
    assert second["backend"] is None


@pytest.fixture
async def viewer(
    server_env: dict[str, str], viewer_kubeconfig: Path
) -> AsyncIterator[Client[StdioTransport]]:
    env = {**server_env, "KUBECONFIG": str(viewer_kubeconfig), "K8S_MCP_ACCESS": "admin"}
    async with mcp_server.stdio_client(env) as client:
        yield client


@pytest.mark.parametrize("native", [True, False], ids=["native", "cli"])
async def test_rbac_preflight_allows_what_the_identity_may_do(
    server_env: dict[str, str], viewer_kubeconfig: Path, cluster: Cluster, native: bool
) -> None:
    env = {
        **server_env,
        "KUBECONFIG": str(viewer_kubeconfig),
        "K8S_MCP_NATIVE": str(native).lower(),
    }
    async with mcp_server.stdio_client(env) as client:
        raw = await call(
            client, "execute_kubectl", f"kubectl get pods -n {cluster.viewer_namespace}"
        )
    assert not raw.is_error, raw.structured_content
    assert raw.structured_content["backend"] == ("native" if native else "cli")


@pytest.mark.parametrize(
    ("command", "missing"),
    [
        ("kubectl get pods -n default", "list pods in namespace 'default'"),
        ("kubectl get pods -A", "list pods cluster-wide"),
        ("kubectl delete pod anything -n {ns}", "delete pods in namespace '{ns}'"),
        ("kubectl scale deploy/web --replicas=2 -n {ns}", "patch deployments/scale.apps"),
        ("kubectl logs some-pod -n default", "get pods/log in namespace 'default'"),
        ("kubectl exec some-pod -n {ns} -- ls", "create pods/exec in namespace '{ns}'"),
        ("kubectl get secrets -n {ns}", "list secrets in namespace '{ns}'"),
        ("helm list -n default", "list secrets in namespace 'default'"),
    ],
)
async def test_rbac_preflight_refuses_before_anything_runs(
    viewer: Client[StdioTransport], cluster: Cluster, command: str, missing: str
) -> None:
    ns = cluster.viewer_namespace
    raw = await call(
        viewer,
        command.split()[0].replace("kubectl", "execute_kubectl").replace("helm", "execute_helm"),
        command.format(ns=ns),
    )
    assert raw.is_error
    result = raw.structured_content
    assert result["error"]["code"] == "rbac_denied", result
    assert result["backend"] is None and result["exit_code"] is None
    message = result["error"]["message"]
    assert missing.format(ns=ns) in message
    assert f"system:serviceaccount:{ns}:e2e-viewer" in message
    assert "nothing was run" in message


@pytest.mark.parametrize(
    ("native", "code"), [(True, "rbac_denied"), (False, "cli_error")], ids=["native", "cli"]
)
async def test_without_preflight_the_api_server_still_refuses(
    server_env: dict[str, str], viewer_kubeconfig: Path, native: bool, code: str
) -> None:
    env = {
        **server_env,
        "KUBECONFIG": str(viewer_kubeconfig),
        "K8S_MCP_RBAC_PREFLIGHT": "false",
        "K8S_MCP_NATIVE": str(native).lower(),
    }
    async with mcp_server.stdio_client(env) as client:
        raw = await call(client, "execute_kubectl", "kubectl get pods -n default")
    result = raw.structured_content
    # The API server's 403, as each backend reports it: after the request was made, not before
    assert result["error"]["code"] == code, result
    assert result["backend"] == ("native" if native else "cli")
    assert "forbidden" in result["error"]["message"]
    assert "nothing was run" not in result["error"]["message"]


@pytest.mark.parametrize("mode", ["auto", "legacy"], ids=["2026-07-28", "handshake"])
async def test_a_delete_waits_for_the_users_yes(
    server_env: dict[str, str], cluster: Cluster, secrets_namespace: str, mode: Any
) -> None:
    """K8S_MCP_CONFIRM=destructive over stdio against the cluster: the user's no leaves the
    object in place; their yes deletes it."""
    name = f"confirm-{secrets.token_hex(3)}"
    cluster.kubectl("create", "configmap", name, "-n", NAMESPACE, "--from-literal=a=b")
    answers: list[bool] = [False, True]
    asked: list[str] = []

    async def user(message: str, response_type: Any, params: Any, context: Any) -> Any:
        asked.append(message)
        return response_type(value=answers.pop(0))

    env = {**server_env, "K8S_MCP_CONFIRM": "destructive"}
    command = f"kubectl delete configmap {name} -n {NAMESPACE}"
    async with mcp_server.stdio_client(env, elicitation_handler=user, mode=mode) as client:
        refused = await call(client, "execute_kubectl", command)
        assert refused.structured_content["error"]["code"] == "policy_denied"
        assert (
            cluster.kubectl("get", "configmap", name, "-n", NAMESPACE, check=False).returncode == 0
        )
        deleted = await call(client, "execute_kubectl", command)
        assert deleted.structured_content["status"] == "success", deleted.structured_content
    gone = cluster.kubectl("get", "configmap", name, "-n", NAMESPACE, check=False)
    assert gone.returncode != 0 and "NotFound" in gone.stderr
    assert len(asked) == 2
    assert f"kubectl delete --namespace={NAMESPACE} configmap {name}" in asked[0]
