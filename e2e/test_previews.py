"""Writes previewed before they happen (docs/security.md, "Previews"), against the local control
plane: the server over stdio with K8S_MCP_CONFIRM=writes and a client whose user answers
elicitation. The question shows what changes; a server-side dry run returns the preview and
changes nothing; no Secret value appears in a question, a preview or the audit log."""

from __future__ import annotations

import base64
import json
import re
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from e2e import mcp_server
from e2e.harness import Cluster

CHART = Path(__file__).resolve().parent / "charts" / "gated"


class User:
    """Answers every question the same way, and keeps them."""

    def __init__(self, allow: bool) -> None:
        self.allow = allow
        self.questions: list[str] = []

    async def __call__(self, message: str, response_type: Any, params: Any, context: Any) -> Any:
        self.questions.append(message)
        return response_type(value=self.allow)


def _deployment(namespace: str, replicas: int, image: str = "nginx:1") -> dict[str, Any]:
    labels = {"app": "web"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": namespace},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "web", "image": image}]},
            },
        },
    }


@pytest.fixture
def namespace(cluster: Cluster) -> Iterator[str]:
    name = f"e2e-preview-{secrets.token_hex(3)}"
    cluster.kubectl("create", "namespace", name)
    cluster.kubectl("apply", "-f", "-", input=json.dumps(_deployment(name, 3)))
    yield name
    cluster.kubectl("delete", "namespace", name, "--wait=false", check=False)


def _replicas(cluster: Cluster, namespace: str) -> str:
    return cluster.kubectl(
        "get", "deployment", "web", "-n", namespace, "-o", "jsonpath={.spec.replicas}"
    ).stdout


async def _call(client: Any, command: str, stdin: str | None = None) -> dict[str, Any]:
    arguments = {"command": command, **({"stdin": stdin} if stdin is not None else {})}
    raw = await client.call_tool("execute_kubectl", arguments, raise_on_error=False)
    assert raw.structured_content is not None, raw
    result: dict[str, Any] = raw.structured_content
    return result


async def test_the_question_for_a_scale_shows_replicas_3_becoming_0(
    server_env: dict[str, str], cluster: Cluster, namespace: str
) -> None:
    user = User(allow=False)
    env = {**server_env, "K8S_MCP_CONFIRM": "writes"}
    async with mcp_server.stdio_client(env, elicitation_handler=user) as client:
        refused = await _call(client, f"kubectl scale deployment web --replicas=0 -n {namespace}")
    assert refused["error"]["code"] == "policy_denied", refused
    (asked,) = user.questions
    assert "What it would change: 1 changed, 0 created, 0 deleted." in asked
    assert f"--- live/Deployment/{namespace}/web" in asked
    assert "\n-  replicas: 3\n" in asked and "\n+  replicas: 0\n" in asked
    assert "resourceVersion" not in asked
    assert _replicas(cluster, namespace) == "3"


def _pods(cluster: Cluster, namespace: str) -> list[str]:
    """The Deployment's pods, once its controller made all three."""
    deadline = time.monotonic() + 60
    while True:
        listed = cluster.kubectl("get", "pods", "-n", namespace, "-o", "name").stdout.split()
        if len(listed) == 3 or time.monotonic() > deadline:
            return [name.removeprefix("pod/") for name in listed]
        time.sleep(0.5)


async def test_the_question_for_a_delete_shows_what_goes_with_it(
    server_env: dict[str, str], cluster: Cluster, namespace: str
) -> None:
    pods = _pods(cluster, namespace)
    assert len(pods) == 3
    user = User(allow=False)
    env = {**server_env, "K8S_MCP_CONFIRM": "destructive", "K8S_MCP_ACCESS": "admin"}
    async with mcp_server.stdio_client(env, elicitation_handler=user) as client:
        await _call(client, f"kubectl delete deployment web -n {namespace}")
        await _call(client, f"kubectl delete namespace {namespace}")
    deployment, whole = user.questions
    assert "What it would change: 0 changed, 0 created, 5 deleted." in deployment
    assert f"- Deployment {namespace}/web\n" in deployment
    assert (
        f"-   ReplicaSet {namespace}/web-" in deployment
        and "(owned by Deployment web)" in deployment
    )
    for pod in pods:
        assert f"-     Pod {namespace}/{pod} (owned by ReplicaSet web-" in deployment
    assert f"- Namespace {namespace}\n" in whole
    assert "-   1 Deployment (web)\n" in whole
    assert f"-   3 Pod ({', '.join(sorted(pods))})" in whole
    assert "-   1 ReplicaSet\n" in whole
    assert cluster.kubectl("get", "deployment", "web", "-n", namespace).returncode == 0


async def test_the_question_for_a_drain_shows_the_node_cordoned_and_its_pods_evicted(
    server_env: dict[str, str], cluster: Cluster, namespace: str
) -> None:
    pods = _pods(cluster, namespace)
    node = cluster.kubectl(
        "get", "pod", pods[0], "-n", namespace, "-o", "jsonpath={.spec.nodeName}"
    ).stdout
    mine = cluster.kubectl(
        "get", "pods", "-n", namespace, "--field-selector", f"spec.nodeName={node}", "-o", "name"
    )
    expected = [f"{namespace}/{name.removeprefix('pod/')}" for name in mine.stdout.split()]
    user = User(allow=False)
    env = {**server_env, "K8S_MCP_CONFIRM": "destructive", "K8S_MCP_ACCESS": "admin"}
    async with mcp_server.stdio_client(env, elicitation_handler=user) as client:
        refused = await _call(client, f"kubectl drain {node} --ignore-daemonsets")
    assert refused["error"]["code"] == "policy_denied", refused
    (asked,) = user.questions
    # Other tests' pods may share the node: this namespace's are counted among them.
    counted = re.search(r"What it would change: 1 changed, 0 created, (\d+) deleted\.", asked)
    assert counted is not None and int(counted[1]) >= len(expected) >= 1, asked
    assert "\n+  unschedulable: true\n" in asked
    for pod in expected:
        assert f"\n- Pod {pod}\n" in asked
    unschedulable = cluster.kubectl("get", "node", node, "-o", "jsonpath={.spec.unschedulable}")
    assert unschedulable.stdout == ""


async def test_the_question_for_a_helm_upgrade_shows_the_changed_line(
    server_env: dict[str, str], cluster: Cluster, namespace: str
) -> None:
    answers = iter([True, False])  # the install is allowed, the upgrade is not
    questions: list[str] = []

    async def user(message: str, response_type: Any, params: Any, context: Any) -> Any:
        questions.append(message)
        return response_type(value=next(answers))

    env = {**server_env, "K8S_MCP_CONFIRM": "writes", "K8S_MCP_ALLOWED_PATHS": str(CHART.parent)}
    async with mcp_server.stdio_client(env, elicitation_handler=user) as client:
        installed = await client.call_tool(
            "execute_helm",
            {"command": f"helm install shop {CHART} -n {namespace} --set image=shop:1"},
        )
        upgraded = await client.call_tool(
            "execute_helm",
            {"command": f"helm upgrade shop {CHART} -n {namespace} --set image=shop:2"},
            raise_on_error=False,
        )
    assert (installed.structured_content or {})["status"] == "success", installed
    assert (upgraded.structured_content or {})["error"]["code"] == "policy_denied", upgraded
    install, upgrade = questions
    assert "What it would change: 0 changed, 1 created, 0 deleted." in install
    assert f"+++ after/Deployment/{namespace}/shop" in install
    assert "What it would change: 1 changed, 0 created, 0 deleted." in upgrade
    assert re.search(r"\n-\s+- image: shop:1\n", upgrade), upgrade
    assert re.search(r"\n\+\s+- image: shop:2\n", upgrade), upgrade
    assert "\n-image: shop:1\n+image: shop:2\n" in upgrade  # the values
    history = cluster.helm("history", "shop", "-n", namespace, "-o", "json")
    assert len(json.loads(history.stdout)) == 1


async def test_an_approved_apply_carries_its_preview_and_the_audit_its_summary(
    server_env: dict[str, str], cluster: Cluster, namespace: str, tmp_path: Path
) -> None:
    user = User(allow=True)
    audit = tmp_path / "audit.jsonl"
    env = {**server_env, "K8S_MCP_CONFIRM": "writes", "K8S_MCP_AUDIT_LOG": str(audit)}
    manifest = yaml.safe_dump(_deployment(namespace, 3, image="nginx:2"))
    async with mcp_server.stdio_client(env, elicitation_handler=user) as client:
        applied = await _call(client, "kubectl apply -f -", stdin=manifest)
    assert applied["status"] == "success", applied
    assert applied["preview"]["summary"] == "1 changed, 0 created, 0 deleted"
    assert "+      - image: nginx:2" in applied["preview"]["diff"]
    assert "+      - image: nginx:2" in user.questions[0]
    (line,) = (json.loads(text) for text in audit.read_text().splitlines())
    assert line["preview"] == "1 changed, 0 created, 0 deleted"


async def test_a_server_dry_run_returns_the_preview_and_changes_nothing(
    server_env: dict[str, str], cluster: Cluster, namespace: str
) -> None:
    manifest = yaml.safe_dump_all(
        [
            _deployment(namespace, 5),
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "settings", "namespace": namespace},
                "data": {"mode": "fast"},
            },
        ]
    )
    async with mcp_server.stdio_client(server_env) as client:
        result = await _call(client, "kubectl apply -f - --dry-run=server", stdin=manifest)
    assert result["status"] == "success", result
    assert "(server dry run)" in result["output"]
    assert result["preview"]["summary"] == "1 changed, 1 created, 0 deleted"
    diff = result["preview"]["diff"]
    assert "\n-  replicas: 3\n" in diff and "\n+  replicas: 5\n" in diff
    assert f"+++ after/ConfigMap/{namespace}/settings" in diff and "+  mode: fast" in diff
    assert _replicas(cluster, namespace) == "3"
    missing = cluster.kubectl("get", "configmap", "settings", "-n", namespace, check=False)
    assert missing.returncode != 0


async def test_no_secret_value_in_a_question_a_preview_or_the_audit_log(
    server_env: dict[str, str], cluster: Cluster, namespace: str, tmp_path: Path
) -> None:
    old, new = "hunter2-" + secrets.token_hex(4), "s3cr3t-" + secrets.token_hex(4)
    # Applied, so that kubectl's last-applied copy of the object carries the values too.
    cluster.kubectl("apply", "-f", "-", input=_secret(namespace, old, "user-1"))
    audit = tmp_path / "audit.jsonl"
    user = User(allow=True)
    env = {**server_env, "K8S_MCP_CONFIRM": "writes", "K8S_MCP_AUDIT_LOG": str(audit)}
    async with mcp_server.stdio_client(env, elicitation_handler=user) as client:
        dry = await _call(
            client, "kubectl apply -f - --dry-run=server", stdin=_secret(namespace, new, "user-1")
        )
        applied = await _call(client, "kubectl apply -f -", stdin=_secret(namespace, new, "user-2"))
    assert dry["status"] == "success" and applied["status"] == "success", (dry, applied)
    assert "+  password: (hidden) changed" in dry["preview"]["diff"]
    assert "\n   user: (hidden)\n" in dry["preview"]["diff"]
    assert "+  user: (hidden) changed" in applied["preview"]["diff"]
    seen = json.dumps([dry, applied, user.questions]) + audit.read_text()
    for value in (old, new, "user-1", "user-2"):
        assert value not in seen
        assert base64.b64encode(value.encode()).decode() not in seen


def _secret(namespace: str, password: str, user: str) -> str:
    return yaml.safe_dump(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "db", "namespace": namespace},
            "stringData": {"password": password, "user": user},
        }
    )


async def test_a_change_is_journaled_and_its_revert_restores_the_spec(
    server_env: dict[str, str], cluster: Cluster, namespace: str
) -> None:
    def spec() -> Any:
        shown = cluster.kubectl("get", "deployment", "web", "-n", namespace, "-o", "json")
        return json.loads(shown.stdout)["spec"]

    before = spec()
    changed = yaml.safe_dump(_deployment(namespace, 2, image="nginx:2"))
    async with mcp_server.stdio_client(server_env) as client:
        applied = await _call(client, "kubectl apply -f -", stdin=changed)
        assert applied["status"] == "success", applied
        assert spec() != before
        (contents,) = await client.read_resource("kube://changes")
        (entry,) = json.loads(getattr(contents, "text", ""))["changes"]
        assert entry["command"] == applied["command"]
        assert entry["summary"] == "1 changed, 0 created, 0 deleted"
        (revert,) = entry["revert"]
        assert revert["command"] == "kubectl apply --server-side --force-conflicts -f -"
        # Someone else changes it meanwhile: the revert's preview says so.
        cluster.kubectl("label", "deployment", "web", "-n", namespace, "touched=yes")
        reverted = await _call(client, revert["command"], stdin=revert["stdin"])
        assert reverted["status"] == "success", reverted
        assert reverted["preview"]["summary"].startswith("1 changed, 0 created, 0 deleted; ")
        assert "changed again since the write this reverts" in reverted["preview"]["summary"]
        (contents,) = await client.read_resource("kube://changes")
        listed = json.loads(getattr(contents, "text", ""))["changes"]
    assert spec() == before
    assert [e["command"] for e in listed] == [reverted["command"], applied["command"]]
