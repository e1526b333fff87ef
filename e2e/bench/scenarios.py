"""What is measured: six kubectl commands, and for each the same work done by every subject.

Subjects: kube-ai-proxy (`execute_kubectl`), the floor (the API requests the native path
makes, sent by a plain warm HTTP client), kubectl run directly, and the two peer servers'
closest tools (checked against their tools/list at run time; `None` where a peer has no
equivalent).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from e2e.bench.kubeapi import JSON, TABLE, KubeHttp, list_pages
from e2e.bench.pods import FIRST_POD, NAMESPACE

Floor = Callable[[KubeHttp, int], Awaitable[int]]


@dataclass(frozen=True)
class PeerCall:
    tool: str
    arguments: dict[str, Any]
    # The same request as the kubectl command (True), or only the peer's closest tool.
    same: bool = True


@dataclass(frozen=True)
class Scenario:
    key: str
    command: str  # what the assistant sends to execute_kubectl
    floor: Floor | None
    # The kubectl argv for the "kubectl run directly" baseline (None: same as another row).
    kubectl: tuple[str, ...] | None
    peers: dict[str, PeerCall] = field(default_factory=dict)
    native: bool = True  # the path kube-ai-proxy is expected to take

    @property
    def title(self) -> str:
        return self.command.removeprefix("kubectl ")


async def _table(api: KubeHttp, budget: int) -> int:
    # No column needs the rows' objects (no -A, no labels): the native path asks without.
    path = f"/api/v1/namespaces/{NAMESPACE}/pods"
    return await list_pages(api, path, TABLE, budget, extra=[("includeObject", "None")])


async def _json(api: KubeHttp, budget: int) -> int:
    # As the native path pages -o json: 50 objects first, then 200, then 500.
    return await list_pages(api, f"/api/v1/namespaces/{NAMESPACE}/pods", JSON, budget, first=50)


async def _table_all(api: KubeHttp, budget: int) -> int:
    return await list_pages(api, "/api/v1/pods", TABLE, budget)


async def _describe(api: KubeHttp, budget: int) -> int:
    """The pod, then its events (kubectl's searchEvents field selector), as the native
    describer reads them."""
    pod = await api.get(f"/api/v1/namespaces/{NAMESPACE}/pods/{FIRST_POD}")
    uid = pod.json()["metadata"]["uid"]
    selector = (
        f"involvedObject.name={FIRST_POD},involvedObject.namespace={NAMESPACE},"
        f"involvedObject.kind=Pod,involvedObject.uid={uid}"
    )
    events = await api.get(
        f"/api/v1/namespaces/{NAMESPACE}/events", [("fieldSelector", selector), ("limit", 500)]
    )
    return len(pod.content) + len(events.content)


async def _logs(api: KubeHttp, budget: int) -> int:
    """The pod (to find its container), then the log's last 100 lines."""
    pod = await api.get(f"/api/v1/namespaces/{NAMESPACE}/pods/{FIRST_POD}")
    log = await api.get(
        f"/api/v1/namespaces/{NAMESPACE}/pods/{FIRST_POD}/log",
        [("tailLines", 100), ("limitBytes", 4 * budget + 1)],
        accept="*/*",
    )
    return len(pod.content) + len(log.content)


GET = f"kubectl get pods -n {NAMESPACE}"
# A flag the native path does not serve sends the same command to the real kubectl; the
# server, its settings and the RBAC pre-flight stay the same.
CLI_FLAG = "--request-timeout=30s"

SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "get",
        GET,
        _table,
        ("get", "pods", "-n", NAMESPACE),
        {
            "kms": PeerCall("pods_list_in_namespace", {"namespace": NAMESPACE}),
            "msk": PeerCall("kubectl_get", {"resourceType": "pods", "namespace": NAMESPACE}),
        },
    ),
    Scenario("get-cli", f"{GET} {CLI_FLAG}", None, None, native=False),
    Scenario(
        "json",
        f"{GET} -o json",
        _json,
        ("get", "pods", "-n", NAMESPACE, "-o", "json"),
        {
            "kms": PeerCall(
                "resources_list",
                {"apiVersion": "v1", "kind": "Pod", "namespace": NAMESPACE},
                same=False,
            ),
            "msk": PeerCall(
                "kubectl_get",
                {"resourceType": "pods", "namespace": NAMESPACE, "output": "json"},
                same=False,
            ),
        },
    ),
    Scenario(
        "describe",
        f"kubectl describe pod {FIRST_POD} -n {NAMESPACE}",
        _describe,
        ("describe", "pod", FIRST_POD, "-n", NAMESPACE),
        {
            "kms": PeerCall("pods_get", {"name": FIRST_POD, "namespace": NAMESPACE}, same=False),
            "msk": PeerCall(
                "kubectl_describe",
                {"resourceType": "pod", "name": FIRST_POD, "namespace": NAMESPACE},
            ),
        },
    ),
    Scenario(
        "logs",
        f"kubectl logs {FIRST_POD} -n {NAMESPACE} --tail=100",
        _logs,
        ("logs", FIRST_POD, "-n", NAMESPACE, "--tail=100"),
        {
            "kms": PeerCall("pods_log", {"name": FIRST_POD, "namespace": NAMESPACE, "tail": 100}),
            "msk": PeerCall(
                "kubectl_logs",
                {"resourceType": "pod", "name": FIRST_POD, "namespace": NAMESPACE, "tail": 100},
            ),
        },
    ),
    Scenario(
        "get-all",
        "kubectl get pods -A",
        _table_all,
        ("get", "pods", "-A"),
        {
            "kms": PeerCall("pods_list", {}),
            "msk": PeerCall("kubectl_get", {"resourceType": "pods", "allNamespaces": True}),
        },
    ),
)

PEER_NOTES = {
    "kms": "kubernetes-mcp-server lists print a table (or YAML with --list-output=yaml), never "
    "JSON: for `-o json` its `resources_list` (a table) stands in; for `describe` its "
    "`pods_get` (the pod as YAML) stands in. Both are marked as not the same call.",
    "msk": "mcp-server-kubernetes runs kubectl itself (synchronously, one call at a time): "
    "`kubectl_get` runs `kubectl get -o json` and, for lists, returns a summary of each item "
    "(name, namespace, kind, status, createdAt), which is also what it answers to "
    "output=json; so its rows for `get` and `-o json` are the same call, the latter marked "
    "as not the same. Its `kubectl_describe` and `kubectl_logs` run `kubectl describe` and "
    "`kubectl logs`.",
}
