"""Real containers on the kind cluster (`make e2e-kind`): what the simulated pods of the local
control plane never do. Through the MCP tools, as a client calls them: `exec` (refused in
`standard`, run in `admin`, its output without the pod's Secret values), `logs --previous` of
a container that really crashed, `logs -f` bounded by the call's timeout, `rollout status`
reporting progress while a rollout waits for a readiness probe, and `top` from metrics-server.

The pods run the Debian image made here, loaded into the node by the harness.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastmcp import Client
from fastmcp.client.transports import StdioTransport

from e2e import mcp_server
from e2e.harness import Cluster

pytestmark = pytest.mark.kind

NAMESPACE = "e2e-kind"
IMAGE = "local/debian:bookworm"


def _pod(name: str, script: str, restart: str = "Always", **extra: Any) -> dict[str, Any]:
    container = {
        "name": "main",
        "image": IMAGE,
        "imagePullPolicy": "Never",
        "command": ["sh", "-c", script],
        **extra,
    }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {
            "containers": [container],
            "restartPolicy": restart,
            "terminationGracePeriodSeconds": 1,
        },
    }


@pytest.fixture(scope="module")
def namespace(kind_cluster: Cluster) -> Iterator[str]:
    kind_cluster.kubectl("delete", "namespace", NAMESPACE, "--wait=true", check=False, timeout=180)
    kind_cluster.kubectl("create", "namespace", NAMESPACE)
    yield NAMESPACE
    kind_cluster.kubectl("delete", "namespace", NAMESPACE, "--wait=false", check=False)


def _wait_ready(cluster: Cluster, pod: str) -> None:
    cluster.kubectl(
        "wait", "--for=condition=Ready", f"pod/{pod}", "-n", NAMESPACE, "--timeout=120s"
    )


def _apply(cluster: Cluster, *objects: dict[str, Any]) -> None:
    cluster.kubectl(
        "apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List", "items": objects})
    )


async def _call(
    client: Client[StdioTransport], tool: str, command: str, **extra: Any
) -> dict[str, Any]:
    raw = await client.call_tool(tool, {"command": command, **extra}, raise_on_error=False)
    return raw.structured_content or {}


DB_PASSWORD = "kind-e2e-password-31337"


@pytest.fixture(scope="module")
def shell_pod(cluster: Cluster, namespace: str) -> str:
    """A pod given a Secret twice, as a variable and as a mounted file."""
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "db", "namespace": NAMESPACE},
        "stringData": {"password": DB_PASSWORD},
    }
    env = [
        {"name": "GREETING", "value": "hi"},
        {
            "name": "DB_PASSWORD",
            "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}},
        },
    ]
    pod = _pod(
        "shell", "sleep infinity", env=env, volumeMounts=[{"name": "db", "mountPath": "/etc/db"}]
    )
    pod["spec"]["volumes"] = [{"name": "db", "secret": {"secretName": "db"}}]
    _apply(cluster, secret, pod)
    _wait_ready(cluster, "shell")
    return "shell"


async def test_exec_is_refused_in_standard(
    server_env: dict[str, str], namespace: str, shell_pod: str
) -> None:
    env = {**server_env, "K8S_MCP_ACCESS": "standard"}
    async with mcp_server.stdio_client(env) as client:
        result = await _call(
            client, "execute_kubectl", f"kubectl exec {shell_pod} -n {namespace} -- printenv"
        )
    assert result["status"] == "error"
    assert result["error"]["code"] == "policy_denied"
    assert "admin" in result["error"]["message"]


async def test_exec_runs_in_the_container_in_admin(
    server_env: dict[str, str], namespace: str, shell_pod: str
) -> None:
    env = {**server_env, "K8S_MCP_ACCESS": "admin"}
    async with mcp_server.stdio_client(env) as client:
        hostname = await _call(
            client,
            "execute_kubectl",
            f"kubectl exec {shell_pod} -n {namespace} -- printenv HOSTNAME",
        )
        greeting = await _call(
            client,
            "execute_kubectl",
            f"kubectl exec {shell_pod} -n {namespace} -c main -- sh -c 'echo $GREETING; id -u'",
        )
    assert hostname["status"] == "success", hostname
    assert hostname["output"].strip() == shell_pod
    assert greeting["output"].split() == ["hi", "0"]


async def _exec(server_env: dict[str, str], pod: str, argv: str, **settings: str) -> Any:
    """`kubectl exec POD -- ARGV` through a server in admin mode (and `settings`)."""
    env = {**server_env, "K8S_MCP_ACCESS": "admin", **settings}
    async with mcp_server.stdio_client(env) as client:
        return await _call(
            client, "execute_kubectl", f"kubectl exec {pod} -n {NAMESPACE} -- {argv}"
        )


@pytest.mark.parametrize(
    "script",
    [
        "printenv DB_PASSWORD",
        "cat /etc/db/password; echo",
        "echo postgres://app:$DB_PASSWORD@db",
        "cat /var/run/secrets/kubernetes.io/serviceaccount/token; echo",
    ],
)
async def test_exec_output_holds_no_secret_value(
    server_env: dict[str, str], shell_pod: str, script: str
) -> None:
    result = await _exec(server_env, shell_pod, f"sh -c '{script}'")
    assert result["status"] == "success", result
    assert DB_PASSWORD not in result["output"]
    assert "eyJ" not in result["output"]
    assert "REDACTED" in result["output"]


async def test_exec_stderr_holds_no_secret_value(
    server_env: dict[str, str], shell_pod: str
) -> None:
    result = await _exec(server_env, shell_pod, "sh -c 'echo bad $DB_PASSWORD >&2; exit 4'")
    assert result["status"] == "error"
    assert result["exit_code"] == 4
    assert DB_PASSWORD not in json.dumps(result)
    assert "bad REDACTED" in result["error"]["message"]


async def test_exec_output_is_whole_when_secrets_are_allowed(
    server_env: dict[str, str], shell_pod: str
) -> None:
    result = await _exec(
        server_env, shell_pod, "printenv DB_PASSWORD", K8S_MCP_ALLOW_SECRETS="true"
    )
    assert result["output"].strip() == DB_PASSWORD


async def test_logs_previous_shows_the_crashed_container(
    server_env: dict[str, str], cluster: Cluster, namespace: str
) -> None:
    # The first run fails; the second finds its mark in the pod's emptyDir and keeps running,
    # so the kubelet keeps the crashed container (a pod crashing again and again keeps only
    # the last one, whose logs are the current ones).
    script = (
        "if [ -f /scratch/ran ]; then echo second run; exec sleep infinity; fi; "
        "touch /scratch/ran; echo first run; echo failing >&2; exit 3"
    )
    pod = _pod("crasher", script, volumeMounts=[{"name": "scratch", "mountPath": "/scratch"}])
    pod["spec"]["volumes"] = [{"name": "scratch", "emptyDir": {}}]
    _apply(cluster, pod)
    _wait_ready(cluster, "crasher")
    status = cluster.kubectl_json("get", "pod", "crasher", "-n", namespace)["status"]
    container = status["containerStatuses"][0]
    assert container["restartCount"] == 1
    assert container["lastState"]["terminated"]["exitCode"] == 3
    real = cluster.kubectl("logs", "crasher", "-n", namespace, "--previous").stdout
    async with mcp_server.stdio_client(server_env) as client:
        previous = await _call(
            client, "execute_kubectl", f"kubectl logs crasher -n {namespace} --previous"
        )
        current = await _call(client, "execute_kubectl", f"kubectl logs crasher -n {namespace}")
    assert previous["status"] == "success", previous
    assert previous["backend"] == "native"
    assert previous["output"].rstrip("\n") == real.rstrip("\n")
    # stdout and stderr are separate streams: the runtime may log either line first.
    assert sorted(previous["output"].splitlines()) == ["failing", "first run"]
    assert current["output"].splitlines() == ["second run"]


async def test_logs_follow_ends_at_the_calls_timeout(
    server_env: dict[str, str], cluster: Cluster, namespace: str
) -> None:
    _apply(cluster, _pod("ticker", "i=0; while true; do echo tick $i; i=$((i+1)); sleep 1; done"))
    _wait_ready(cluster, "ticker")
    async with mcp_server.stdio_client(server_env) as client:
        started = time.monotonic()
        result = await _call(
            client, "execute_kubectl", f"kubectl logs -f ticker -n {namespace}", timeout=5
        )
        elapsed = time.monotonic() - started
    ticks = [line for line in result["output"].splitlines() if line.startswith("tick ")]
    # The container keeps printing: what arrived before the timeout is returned, in order.
    assert len(ticks) >= 3, result
    numbers = [int(line.split()[1]) for line in ticks]
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))
    assert elapsed < 60, "the follow was not ended by the call's timeout"


def _deployment(name: str, delay: int) -> dict[str, Any]:
    """A Deployment whose container becomes ready `delay` seconds after it starts."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "terminationGracePeriodSeconds": 1,
                    "containers": [
                        {
                            "name": "main",
                            "image": IMAGE,
                            "imagePullPolicy": "Never",
                            "command": ["sh", "-c", f"sleep {delay}; touch /tmp/ready; sleep inf"],
                            "readinessProbe": {
                                "exec": {"command": ["test", "-f", "/tmp/ready"]},
                                "periodSeconds": 1,
                            },
                        }
                    ],
                },
            },
        },
    }


async def test_rollout_status_reports_progress_until_ready(
    server_env: dict[str, str], cluster: Cluster, namespace: str
) -> None:
    delay = 8
    _apply(cluster, _deployment("slow", delay))
    events: list[tuple[float, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        events.append((progress, message))

    async with mcp_server.stdio_client(server_env) as client:
        started = time.monotonic()
        raw = await client.call_tool(
            "execute_kubectl",
            {"command": f"kubectl rollout status deployment/slow -n {namespace}", "timeout": 120},
            progress_handler=on_progress,
            raise_on_error=False,
        )
        elapsed = time.monotonic() - started
    result = raw.structured_content or {}
    assert result["status"] == "success", result
    assert 'deployment "slow" successfully rolled out' in result["output"]
    # It really waited for the readiness probe, and said so while it did.
    assert elapsed >= delay - 2
    assert len(events) >= 2, events
    progress = [value for value, _ in events]
    assert progress == sorted(progress)
    assert all(message and "rollout status" in message for _, message in events)


def _wait_for_metrics(cluster: Cluster, namespace: str, pod: str) -> None:
    """metrics-server has scraped the kubelet since `pod` started (its first metrics come one
    resolution, 15 s, after it is ready)."""
    deadline = time.monotonic() + 180
    while cluster.kubectl("top", "pod", pod, "-n", namespace, check=False).returncode != 0:
        assert time.monotonic() < deadline, "metrics-server served no metrics within 180 s"
        time.sleep(2)


def _mebibytes(text: str) -> int:
    assert text.endswith("Mi"), text
    return int(text.removesuffix("Mi"))


async def test_top_reports_what_the_containers_use(
    server_env: dict[str, str], cluster: Cluster, namespace: str, shell_pod: str
) -> None:
    _wait_for_metrics(cluster, namespace, shell_pod)
    [node] = [n["metadata"]["name"] for n in cluster.kubectl_json("get", "nodes")["items"]]
    async with mcp_server.stdio_client(server_env) as client:
        nodes = await _call(client, "execute_kubectl", "kubectl top nodes")
        pods = await _call(client, "execute_kubectl", f"kubectl top pods -n {namespace}")
        system = await _call(
            client, "execute_kubectl", "kubectl top pods -n kube-system --sort-by=memory"
        )
    assert nodes["status"] == "success", nodes
    header, *rows = nodes["output"].splitlines()
    assert header.split() == ["NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)"]
    [row] = rows
    name, cpu, _, memory, _ = row.split()
    assert name == node
    assert cpu.endswith("m")
    assert _mebibytes(memory) > 100  # a node running a control plane
    assert pods["status"] == "success", pods
    by_pod = {line.split()[0]: line.split() for line in pods["output"].splitlines()[1:]}
    assert shell_pod in by_pod
    assert _mebibytes(by_pod[shell_pod][2]) < 50  # `sleep infinity`
    # The API server uses more memory than anything else there: sorted, it comes first.
    first = system["output"].splitlines()[1].split()[0]
    assert first.startswith(("kube-apiserver-", "etcd-")), system["output"]
