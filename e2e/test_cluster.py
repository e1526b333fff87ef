"""Tests of the harness itself, no server involved: is the cluster what the server tests assume?"""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from e2e.harness import PREVIOUS_LOG_LINES, Cluster, log_texts
from e2e.harness.binaries import read_module
from e2e.harness.nodes import NODE_NAMES

KUBE_VERSION = read_module("kubernetes").version("k8s.io/kubernetes")
HELM_VERSION = read_module("helm").version("helm.sh/helm/v3")


@pytest.fixture
def namespace(cluster: Cluster) -> Iterator[str]:
    name = f"e2e-harness-{uuid.uuid4().hex[:8]}"
    cluster.kubectl("create", "namespace", name)
    yield name
    cluster.kubectl("delete", "namespace", name, "--wait=false")


def _deployment(name: str, replicas: int) -> str:
    # kwok never runs the container: any image name will do, and the log comes from the
    # ClusterLogs file. On kind the container really runs and prints the same lines, so one
    # assertion holds on both backends.
    script = "printf '%s\\n' " + " ".join(f"'{line}'" for line in log_texts()) + "; exec sleep 3600"
    return json.dumps(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name},
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": {"app": name}},
                "template": {
                    "metadata": {"labels": {"app": name}},
                    "spec": {
                        "containers": [
                            {
                                "name": "app",
                                "image": "busybox:1.36",
                                "command": ["sh", "-c", script],
                            }
                        ]
                    },
                },
            },
        }
    )


def test_nodes_are_ready(cluster: Cluster) -> None:
    nodes = cluster.kubectl_json("get", "nodes")["items"]
    ready = {
        node["metadata"]["name"]
        for node in nodes
        if any(c["type"] == "Ready" and c["status"] == "True" for c in node["status"]["conditions"])
    }
    assert ready, "no node is Ready"
    if cluster.backend == "kwok":
        assert ready == set(NODE_NAMES)


def test_deployment_pods_run_and_serve_logs(cluster: Cluster, namespace: str) -> None:
    cluster.kubectl("apply", "-n", namespace, "-f", "-", input=_deployment("orders-api", 3))
    cluster.kubectl(
        "rollout", "status", "deployment/orders-api", "-n", namespace, "--timeout=120s", timeout=150
    )
    pods = cluster.kubectl_json("get", "pods", "-n", namespace, "-l", "app=orders-api")["items"]
    assert [pod["status"]["phase"] for pod in pods] == ["Running"] * 3
    if cluster.backend == "kwok":
        # Spread over the simulated nodes by the real scheduler.
        assert {pod["spec"]["nodeName"] for pod in pods} <= set(NODE_NAMES)

    pod = pods[0]["metadata"]["name"]
    logs = cluster.kubectl("logs", "-n", namespace, pod)
    assert logs.stdout.splitlines() == log_texts()

    tail = cluster.kubectl("logs", "-n", namespace, "deployment/orders-api", "--tail=2")
    assert tail.stdout.splitlines() == log_texts()[-2:]

    if cluster.backend == "kwok":
        previous = cluster.kubectl("logs", "-n", namespace, pod, "--previous")
        assert previous.stdout.splitlines() == log_texts(PREVIOUS_LOG_LINES)


def test_viewer_reads_its_namespace_only(cluster: Cluster, viewer_kubeconfig: Path) -> None:
    own = cluster.viewer_namespace
    listed = cluster.kubectl_as_viewer("get", "pods", "-n", own, check=False)
    assert listed.returncode == 0, listed.stderr

    for args in (("get", "pods", "-n", "default"), ("get", "pods", "--all-namespaces")):
        refused = cluster.kubectl_as_viewer(*args, check=False)
        assert refused.returncode != 0
        assert "forbidden" in refused.stderr.lower(), refused.stderr

    def can_i(*args: str) -> str:
        result = cluster.kubectl_as_viewer("auth", "can-i", *args, check=False)
        return result.stdout.strip()

    assert can_i("list", "pods", "-n", own) == "yes"
    assert can_i("get", "pods/log", "-n", own) == "yes"
    assert can_i("create", "deployments", "-n", own) == "no"
    assert can_i("list", "secrets", "-n", own) == "no"  # ClusterRole view excludes Secrets
    assert can_i("list", "pods", "-n", "default") == "no"


def test_built_tools_report_their_release(cluster: Cluster) -> None:
    versions = json.loads(cluster.kubectl("version", "-o", "json").stdout)
    assert versions["clientVersion"]["gitVersion"] == KUBE_VERSION
    if cluster.backend != "external":
        assert versions["serverVersion"]["gitVersion"] == KUBE_VERSION

    helm = subprocess.run(
        [str(cluster.bin_dir / "helm"), "version", "--short"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert helm.stdout.strip() == HELM_VERSION


def test_control_plane_binaries_report_their_release(cluster: Cluster) -> None:
    if cluster.backend != "kwok":
        assert cluster.backend in ("kind", "external")
        return  # the control plane is kind's or someone else's, not built here
    expected = {
        "kube-apiserver": f"Kubernetes {KUBE_VERSION}",
        "kube-controller-manager": f"Kubernetes {KUBE_VERSION}",
        "kube-scheduler": f"Kubernetes {KUBE_VERSION}",
        "etcd": "etcd Version: " + read_module("etcd").version("go.etcd.io/etcd/server/v3")[1:],
        "kwok": read_module("kwok").version("sigs.k8s.io/kwok"),
    }
    for binary, text in expected.items():
        result = subprocess.run(
            [str(cluster.bin_dir / binary), "--version"], capture_output=True, text=True, check=True
        )
        assert text in result.stdout, f"{binary} --version said {result.stdout!r}"
