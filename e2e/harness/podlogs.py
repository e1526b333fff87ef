"""Make `kubectl logs` work on simulated pods.

kwok serves the kubelet API (containerLogs, exec, port-forward) on its own port and answers a
log request from a file named by a ClusterLogs object. One ClusterLogs with an empty selector
gives every container of every pod the same log, so tests can assert exact lines. The files are
in the CRI log format kubelets read: `<RFC3339Nano time> <stream> <F|P> <text>`.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from e2e.harness.cluster import Cluster
from e2e.harness.errors import HarnessError

CLUSTER_LOGS_NAME = "e2e-all-pods"
PROBE_POD = "e2e-log-probe"

# What every container "printed", in order; tests compare `kubectl logs` output with these.
APP_LOG_LINES: tuple[tuple[str, str], ...] = (
    ("stdout", "2026-11-25 00:00:00 INFO  starting orders-api version=1.4.2 pid=1"),
    ("stdout", "2026-11-25 00:00:00 INFO  config loaded from /etc/orders/config.yaml"),
    ("stdout", "2026-11-25 00:00:01 INFO  connecting to postgres host=orders-db port=5432"),
    ("stdout", "2026-11-25 00:00:01 INFO  database migrations up to date (version 42)"),
    ("stdout", "2026-11-25 00:00:02 INFO  listening on :8080"),
    ("stdout", "2026-11-25 00:00:05 INFO  GET /healthz 200 0.4ms"),
    ("stdout", "2026-11-25 00:00:12 INFO  POST /v1/orders 201 12.8ms order_id=A-1001"),
    ("stdout", "2026-11-25 00:00:13 INFO  GET /v1/orders/A-1001 200 3.1ms"),
    ("stderr", "2026-11-25 00:00:20 WARN  slow query 812ms: SELECT * FROM orders WHERE status=$1"),
    ("stdout", "2026-11-25 00:00:31 INFO  POST /v1/orders 201 10.2ms order_id=A-1002"),
    ("stderr", "2026-11-25 00:00:42 ERROR payment gateway timeout order_id=A-1002 retry=1"),
    ("stdout", "2026-11-25 00:00:43 INFO  payment captured order_id=A-1002 retry=1"),
)

# The log of the container's previous run, served by `kubectl logs --previous`.
PREVIOUS_LOG_LINES: tuple[tuple[str, str], ...] = (
    ("stdout", "2026-11-24 23:59:50 INFO  starting orders-api version=1.4.1 pid=1"),
    ("stderr", "2026-11-24 23:59:58 ERROR out of memory: killing worker pool"),
)


def logging_pods(cluster: Cluster, namespace: str, replicas: int = 1) -> list[str]:
    """The pods, sorted by name, of a Deployment `api` in `namespace` (both made if missing),
    once it is available: their containers print APP_LOG_LINES."""
    cluster.kubectl("create", "namespace", namespace, check=False)
    cluster.kubectl(
        "-n",
        namespace,
        "create",
        "deployment",
        "api",
        "--image=api:1",
        f"--replicas={replicas}",
        check=False,
    )
    cluster.kubectl(
        "-n",
        namespace,
        "wait",
        "--for=condition=Available",
        "deployment/api",
        "--timeout=60s",
        timeout=90,
    )
    listed = cluster.kubectl_json("get", "pods", "-n", namespace, "-l", "app=api")
    return sorted(p["metadata"]["name"] for p in listed["items"])


def log_texts(lines: tuple[tuple[str, str], ...] = APP_LOG_LINES) -> list[str]:
    """The lines as `kubectl logs` prints them."""
    return [text for _stream, text in lines]


def _cri_file(lines: tuple[tuple[str, str], ...]) -> str:
    # The CRI timestamp is the time the app wrote in the line, so --timestamps, --since-time
    # and the text agree.
    return "".join(
        f"{text[:10]}T{text[11:19]}.000000000Z {stream} F {text}\n" for stream, text in lines
    )


def install_cluster_logs(cluster: Cluster, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    current = directory / "current.log"
    previous = directory / "previous.log"
    current.write_text(_cri_file(APP_LOG_LINES))
    previous.write_text(_cri_file(PREVIOUS_LOG_LINES))
    cluster.kubectl(
        "wait", "--for=condition=Established", "crd/clusterlogs.kwok.x-k8s.io", "--timeout=60s"
    )
    rule = {
        "apiVersion": "kwok.x-k8s.io/v1alpha1",
        "kind": "ClusterLogs",
        "metadata": {"name": CLUSTER_LOGS_NAME},
        "spec": {
            # No selector: every namespace, every pod.
            "logs": [
                # `kubectl logs -f` behaves as on a real cluster: it prints the file, then waits
                # for more until the client hangs up (kwok v0.8.0 reads `follow` from the
                # request, not from this object), so only a timeout ends it.
                {"logsFile": str(current), "previousLogsFile": str(previous)}
            ],
        },
    }
    cluster.kubectl("apply", "-f", "-", input=json.dumps(rule))


def wait_until_served(cluster: Cluster, timeout_seconds: float = 90) -> None:
    """Prove logs work before a test relies on them: run a pod and read its log.

    The kwok controller starts before the ClusterLogs CRD exists and picks up ClusterLogs
    objects only once its retrying watch gets through, so on a new cluster `kubectl logs`
    answers "no logs found" for a few seconds after the object is created.
    """
    # The ServiceAccount admission plugin refuses pods until the namespace's `default`
    # ServiceAccount exists, and on a new cluster its controller makes it a moment later.
    deadline = time.monotonic() + timeout_seconds
    while cluster.kubectl(
        "get", "serviceaccount", "default", "-n", "default", check=False
    ).returncode:
        if time.monotonic() > deadline:
            raise HarnessError("the `default` ServiceAccount never appeared in namespace default")
        time.sleep(0.25)
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": PROBE_POD, "namespace": "default"},
        "spec": {"containers": [{"name": "probe", "image": "e2e/log-probe:1"}]},
    }
    cluster.kubectl("apply", "-f", "-", input=json.dumps(pod))
    try:
        cluster.kubectl(
            "wait",
            "--for=condition=Ready",
            f"pod/{PROBE_POD}",
            "-n",
            "default",
            "--timeout=60s",
            timeout=90,
        )
        deadline = time.monotonic() + timeout_seconds
        while True:
            result = cluster.kubectl("logs", "-n", "default", PROBE_POD, check=False)
            if result.returncode == 0 and result.stdout.splitlines() == log_texts():
                return
            if time.monotonic() > deadline:
                raise HarnessError(
                    f"`kubectl logs` on a kwok pod still fails after {timeout_seconds:.0f} s: "
                    f"{result.stderr.strip() or result.stdout.strip()[:200]}"
                )
            time.sleep(0.5)
    finally:
        cluster.kubectl(
            "delete",
            "pod",
            PROBE_POD,
            "-n",
            "default",
            "--ignore-not-found",
            "--timeout=60s",
            check=False,
            timeout=90,
        )
