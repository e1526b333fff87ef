"""The benchmark namespace and its pods: created fast, without the scheduler, grown in steps.

Each pod names its kwok node in spec.nodeName, so the scheduler never sees it; kwok marks it
Running, and its log is the harness's (the same 12 lines for every pod: kwok picks among
several ClusterLogs in no fixed order, so the benchmark adds none). Pods are POSTed through
the API by a pool of concurrent requests (no kubectl, no apply); growing from 100 to 1,000 to
10,000 only adds the missing ones. Every wait is bounded.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from e2e.bench.kubeapi import KubeHttp, wait_for
from e2e.harness.nodes import NODE_NAMES
from e2e.harness.progress import say

NAMESPACE = "bench"
FIRST_POD = "bench-00000"


def pod_name(index: int) -> str:
    return f"bench-{index:05d}"


def pod_manifest(index: int) -> dict[str, Any]:
    """An ordinary pod: two labels, one container with requests, a port, an env var."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": pod_name(index),
            "namespace": NAMESPACE,
            "labels": {"app": "bench", "shard": f"s{index % 10}"},
        },
        "spec": {
            "nodeName": NODE_NAMES[index % len(NODE_NAMES)],
            "automountServiceAccountToken": False,
            "containers": [
                {
                    "name": "app",
                    "image": "registry.local/bench/app:1.0",
                    "ports": [{"containerPort": 8080, "name": "http"}],
                    "env": [{"name": "MODE", "value": "bench"}],
                    "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}},
                }
            ],
        },
    }


async def prepare_namespace(api: KubeHttp, timeout: float = 180) -> None:
    """A fresh, empty `bench` namespace (a leftover of an earlier run is emptied first), with
    its default ServiceAccount, which admission wants before it takes a pod."""
    existing = await api.client.get(f"/api/v1/namespaces/{NAMESPACE}")
    if existing.status_code == 200:
        await delete_pods(api, timeout)
    else:
        created = await api.post(
            "/api/v1/namespaces",
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}},
        )
        if created.status_code not in (201, 409):
            created.raise_for_status()

    async def account_exists() -> bool:
        response = await api.client.get(f"/api/v1/namespaces/{NAMESPACE}/serviceaccounts/default")
        return response.status_code == 200

    await wait_for(account_exists, "the default ServiceAccount of namespace bench", timeout)


async def count_pods(api: KubeHttp) -> int:
    total = 0
    token = ""
    while True:
        query: list[tuple[str, str | int]] = [("limit", 5000)]
        if token:
            query.append(("continue", token))
        # PartialObjectMetadataList: names only, the cheapest way to count.
        body = await api.get_json(
            f"/api/v1/namespaces/{NAMESPACE}/pods",
            query,
            accept="application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io",
        )
        total += len(body.get("items") or [])
        token = (body.get("metadata") or {}).get("continue") or ""
        if not token:
            return total


async def grow(api: KubeHttp, target: int, timeout: float, concurrency: int = 24) -> float:
    """Create pods until the namespace holds `target`, then wait until every one is Running.
    Returns the seconds it took."""
    started = time.monotonic()
    have = await count_pods(api)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(have, target):
        queue.put_nowait(index)
    failures: list[str] = []
    deadline = started + timeout

    async def worker() -> None:
        while not queue.empty() and time.monotonic() < deadline and len(failures) < 20:
            index = queue.get_nowait()
            response = await api.post(f"/api/v1/namespaces/{NAMESPACE}/pods", pod_manifest(index))
            if response.status_code == 429 or response.status_code >= 500:
                await asyncio.sleep(0.5)
                queue.put_nowait(index)
            elif response.status_code not in (201, 409):
                failures.append(f"{pod_name(index)}: {response.status_code} {response.text[:200]}")

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    if failures:
        raise RuntimeError("creating pods failed:\n" + "\n".join(failures))
    if not queue.empty():
        raise RuntimeError(f"{queue.qsize()} pods were still to be created after {timeout:.0f} s")
    created_in = time.monotonic() - started
    say(f"  {target - have} pods created in {created_in:.1f} s; waiting until all are Running")

    async def all_running() -> bool:
        body = await api.get_json(
            f"/api/v1/namespaces/{NAMESPACE}/pods",
            [("fieldSelector", "status.phase!=Running"), ("limit", 1)],
        )
        return not body.get("items")

    await wait_for(all_running, f"{target} pods Running", max(deadline - time.monotonic(), 5), 1)
    count = await count_pods(api)
    if count != target:
        raise RuntimeError(f"namespace {NAMESPACE} holds {count} pods, expected {target}")
    return time.monotonic() - started


async def delete_pods(api: KubeHttp, timeout: float = 300) -> None:
    """Remove every pod of the namespace (grace period 0: kwok need not confirm), a tenth at
    a time by their `shard` label: one DELETE of 10,000 pods outlasts the API server's own
    60-second limit on a request."""
    path = f"/api/v1/namespaces/{NAMESPACE}/pods"
    for selector in [f"shard=s{i}" for i in range(10)] + [""]:
        query: list[tuple[str, str | int]] = [("gracePeriodSeconds", 0)]
        if selector:
            query.append(("labelSelector", selector))
        try:
            response = await api.delete(path, query)
        except httpx.TransportError:
            continue  # it goes on on the server; the wait below sees it through
        if response.status_code not in (200, 404):
            response.raise_for_status()

    async def empty() -> bool:
        return await count_pods(api) == 0

    await wait_for(empty, f"emptying namespace {NAMESPACE}", timeout, 1)


async def delete_namespace(api: KubeHttp, timeout: float = 300) -> None:
    await delete_pods(api, timeout)
    await api.delete(f"/api/v1/namespaces/{NAMESPACE}")
