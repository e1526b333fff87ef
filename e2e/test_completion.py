"""Argument completion for the prompt `troubleshoot-workload` against the real cluster: a
person filling it in a client's menu is offered contexts, namespaces, kinds and names, and
only what the server's identity may list."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import mcp_types
import pytest
from fastmcp import Client

from e2e import mcp_server
from e2e.harness import Cluster

pytestmark = pytest.mark.asyncio(loop_scope="module")

NAMESPACE = "e2e-complete"
PROMPT = mcp_types.PromptReference(type="ref/prompt", name="troubleshoot-workload")


@pytest.fixture(scope="module")
def workloads(cluster: Cluster) -> Iterator[list[str]]:
    cluster.kubectl("create", "namespace", NAMESPACE, check=False)
    names = ["web", "worker", "api"]
    for name in names:
        cluster.kubectl("-n", NAMESPACE, "create", "deployment", name, "--image=api:1", check=False)
    yield names
    cluster.kubectl("delete", "namespace", NAMESPACE, "--wait=false", check=False)


async def complete(client: Client[Any], argument: str, typed: str, **given: str) -> list[str]:
    answer = await client.complete(PROMPT, {"name": argument, "value": typed}, given or None)
    return list(answer.values)


async def test_each_argument_is_completed_from_the_cluster(
    server_env: dict[str, str], workloads: list[str]
) -> None:
    async with mcp_server.stdio_client(server_env) as client:
        namespaces = await complete(client, "namespace", "e2e-comp")
        kinds = await complete(client, "kind", "")
        deployment_kinds = await complete(client, "kind", "dep")
        names = await complete(client, "name", "w", namespace=NAMESPACE, kind="deployment")
        every_name = await complete(client, "name", "", namespace=NAMESPACE, kind="deploy")
        contexts = await complete(client, "context", "")
    assert namespaces == [NAMESPACE]
    assert kinds[:5] == ["deployment", "statefulset", "daemonset", "job", "pod"]
    assert deployment_kinds == ["deployment"]
    assert names == ["web", "worker"]
    assert every_name == sorted(workloads)  # short names resolve as kubectl's do
    assert len(contexts) == 1 and contexts[0]


async def test_what_the_identity_may_not_list_is_not_suggested(
    server_env: dict[str, str], viewer_kubeconfig: Path, cluster: Cluster, workloads: list[str]
) -> None:
    env = {**server_env, "KUBECONFIG": str(viewer_kubeconfig)}
    async with mcp_server.stdio_client(env) as client:
        namespaces = await complete(client, "namespace", "")
        others = await complete(client, "name", "", namespace=NAMESPACE, kind="deployment")
        own = await complete(
            client, "name", "", namespace=cluster.viewer_namespace, kind="serviceaccount"
        )
    assert namespaces == []  # the viewer may not list namespaces
    assert others == []  # nor deployments outside its namespace
    assert "default" in own  # its own namespace's objects it may list


@pytest.fixture(scope="module")
def releases(cluster: Cluster, workloads: list[str]) -> list[str]:
    """Two helm releases of the e2e chart in the namespace, one at its second revision."""
    chart = Path(__file__).resolve().parent / "charts" / "wordpress"
    for release in ("shop", "search"):
        cluster.helm("install", release, str(chart), "-n", NAMESPACE, check=False)
    cluster.helm("upgrade", "shop", str(chart), "-n", NAMESPACE)
    return ["search", "shop"]


async def test_a_deployment_and_helm_releases_are_completed_for_their_prompts(
    server_env: dict[str, str], releases: list[str]
) -> None:
    rollout = mcp_types.PromptReference(type="ref/prompt", name="rollout-stuck")
    upgrade = mcp_types.PromptReference(type="ref/prompt", name="helm-upgrade-preview")
    async with mcp_server.stdio_client(server_env) as client:
        names = await client.complete(
            rollout, {"name": "name", "value": "w"}, {"namespace": NAMESPACE}
        )
        found = await client.complete(
            upgrade, {"name": "release", "value": "s"}, {"namespace": NAMESPACE}
        )
    assert list(names.values) == ["web", "worker"]
    assert list(found.values) == releases  # one per release, not per revision
