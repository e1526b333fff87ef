"""Pods held at a scheduling gate, so that a command waiting for them (helm --wait, an Argo CD
sync wave) waits as long as the test says: the pod stays Pending until the gate is removed,
then kwok (or kind's kubelet) runs it."""

from __future__ import annotations

import asyncio
import json
import time

from e2e.harness import Cluster


async def release_gate_later(cluster: Cluster, namespace: str, hold: float) -> float:
    """Wait until a pod exists in `namespace`, hold it `hold` seconds, remove its gate; when it
    was removed (time.monotonic())."""
    deadline = time.monotonic() + 60
    while True:
        listed = await asyncio.to_thread(
            cluster.kubectl, "get", "pods", "-n", namespace, "-o", "json"
        )
        pods = json.loads(listed.stdout)["items"]
        if pods:
            break
        assert time.monotonic() < deadline, f"no pod in {namespace} within 60 s"
        await asyncio.sleep(0.3)
    assert pods[0]["status"]["phase"] == "Pending"
    await asyncio.sleep(hold)
    patch = json.dumps([{"op": "remove", "path": "/spec/schedulingGates"}])
    name = pods[0]["metadata"]["name"]
    await asyncio.to_thread(
        cluster.kubectl, "patch", "pod", name, "-n", namespace, "--type=json", "-p", patch
    )
    return time.monotonic()
