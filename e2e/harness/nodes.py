"""Simulated nodes: plain v1.Node objects that the kwok controller keeps Ready.

kwok runs with --manage-all-nodes, so any Node it sees becomes Ready and runs the pods scheduled
to it. The labels and the annotation are the ones kwok's documentation puts on its nodes.
"""

from __future__ import annotations

import json

from e2e.harness.cluster import Cluster

NODE_NAMES = ("kwok-node-0", "kwok-node-1", "kwok-node-2")


def _node(name: str) -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "annotations": {"node.alpha.kubernetes.io/ttl": "0", "kwok.x-k8s.io/node": "fake"},
            "labels": {
                "beta.kubernetes.io/arch": "amd64",
                "beta.kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/role": "agent",
                "node-role.kubernetes.io/agent": "",
                "type": "kwok",
            },
        },
        # kwok's docs also taint their nodes (kwok.x-k8s.io/node=fake:NoSchedule) to keep real
        # pods off fake nodes. This cluster has no real nodes, and without the taint ordinary
        # Deployments and Helm charts schedule as they would on a real cluster.
        "spec": {},
    }


def create_nodes(cluster: Cluster, timeout_seconds: int = 120) -> None:
    nodes = {"apiVersion": "v1", "kind": "List", "items": [_node(name) for name in NODE_NAMES]}
    cluster.kubectl("apply", "-f", "-", input=json.dumps(nodes))
    cluster.kubectl(
        "wait",
        "--for=condition=Ready",
        *(f"node/{name}" for name in NODE_NAMES),
        f"--timeout={timeout_seconds}s",
        timeout=timeout_seconds + 30,
    )
