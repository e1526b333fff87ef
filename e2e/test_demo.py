"""The seed demo, as an assistant would run it: every step through the execute_* tools.

Install WordPress with Helm into a new namespace, watch its pods run, take MariaDB down and
troubleshoot what that does to the application, bring it back, and expose the site with an
Ingress. The server runs over stdio as Claude Desktop would start it, in admin mode (creating a
namespace is a cluster-scoped change) with the chart directory as its only readable path.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from e2e import mcp_server
from e2e.assistant import Assistant
from e2e.harness import Cluster

CHARTS = Path(__file__).resolve().parent / "charts"
NAMESPACE = "claude-demo"

INGRESS = f"""\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: wp
  namespace: {NAMESPACE}
spec:
  rules:
    - host: blog.example.test
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: wp-wordpress
                port:
                  number: 80
"""


@pytest.fixture
async def assistant(server_env: dict[str, str], cluster: Cluster) -> AsyncIterator[Assistant]:
    env = {**server_env, "K8S_MCP_ACCESS": "admin", "K8S_MCP_ALLOWED_PATHS": str(CHARTS)}
    # A namespace left by an interrupted run would make `create namespace` fail.
    cluster.kubectl(
        "delete",
        "namespace",
        NAMESPACE,
        "--ignore-not-found",
        "--wait=true",
        check=False,
        timeout=120,
    )
    async with mcp_server.stdio_client(env) as client:
        yield Assistant(client, NAMESPACE)
    cluster.kubectl(
        "delete", "namespace", NAMESPACE, "--ignore-not-found", "--wait=false", check=False
    )


async def test_wordpress_demo(assistant: Assistant) -> None:
    created = await assistant.kubectl(f"kubectl create namespace {NAMESPACE}")
    assert created["output"].strip() == f"namespace/{NAMESPACE} created"

    installed = await assistant.run(
        "execute_helm",
        f"helm install wp {CHARTS / 'wordpress'} --namespace {NAMESPACE} "
        "--set mariadb.architecture=standalone",
    )
    assert "STATUS: deployed" in installed["output"]
    assert f"NAMESPACE: {NAMESPACE}" in installed["output"]

    status = await assistant.run("execute_helm", f"helm status wp -n {NAMESPACE} -o json")
    assert status["data"]["info"]["status"] == "deployed"
    assert status["data"]["config"] == {"mariadb": {"architecture": "standalone"}}

    wordpress = "app.kubernetes.io/name=wordpress"
    mariadb = "app.kubernetes.io/name=mariadb"
    await assistant.wait_pods(wordpress, 1)
    [db_pod] = await assistant.wait_pods(mariadb, 1)
    assert db_pod["metadata"]["name"] == "wp-mariadb-0"

    scaled = await assistant.kubectl(
        f"kubectl scale statefulset wp-mariadb --namespace {NAMESPACE} --replicas=0"
    )
    assert scaled["output"].strip() == "statefulset.apps/wp-mariadb scaled"
    await assistant.wait_pods(mariadb, 0)

    # Troubleshooting, as an assistant would after "the blog is down".
    listing = await assistant.kubectl(f"kubectl get pods -n {NAMESPACE}")
    assert "wp-wordpress-" in listing["output"]
    assert "wp-mariadb-0" not in listing["output"]
    [wp_pod] = await assistant.pods(wordpress)
    name = wp_pod["metadata"]["name"]
    described = await assistant.kubectl(f"kubectl describe pod {name} -n {NAMESPACE}")
    assert f"Name:             {name}" in described["output"]
    assert "WORDPRESS_DATABASE_HOST:      wp-mariadb" in described["output"]
    logs = await assistant.kubectl(f"kubectl logs {name} -n {NAMESPACE} --tail=5")
    assert len(logs["output"].splitlines()) == 5
    sts = await assistant.kubectl(f"kubectl get statefulset wp-mariadb -n {NAMESPACE} -o json")
    assert sts["data"]["spec"]["replicas"] == 0
    # The StatefulSet controller's event may reach the API server after the pod is gone.
    await assistant.wait_output(
        f"kubectl get events -n {NAMESPACE} --field-selector involvedObject.name=wp-mariadb",
        "SuccessfulDelete",
    )

    await assistant.kubectl(
        f"kubectl scale statefulset wp-mariadb --namespace {NAMESPACE} --replicas=1"
    )
    [db_pod] = await assistant.wait_pods(mariadb, 1)
    assert db_pod["metadata"]["name"] == "wp-mariadb-0"

    applied = await assistant.kubectl("kubectl apply -f -", stdin=INGRESS)
    assert applied["output"].strip() == "ingress.networking.k8s.io/wp created"
    ingress = await assistant.kubectl(f"kubectl get ingress wp -n {NAMESPACE} -o json")
    rule = ingress["data"]["spec"]["rules"][0]
    assert rule["host"] == "blog.example.test"
    assert rule["http"]["paths"][0]["backend"]["service"]["name"] == "wp-wordpress"

    removed = await assistant.run("execute_helm", f"helm uninstall wp -n {NAMESPACE}")
    assert 'release "wp" uninstalled' in removed["output"]


async def test_nodes_are_ready_through_the_server(assistant: Assistant, cluster: Cluster) -> None:
    nodes = await assistant.kubectl("kubectl get nodes")
    lines = nodes["output"].splitlines()
    assert lines[0].split()[:2] == ["NAME", "STATUS"]
    expected = {n["metadata"]["name"] for n in cluster.kubectl_json("get", "nodes")["items"]}
    assert {line.split()[0] for line in lines[1:]} == expected
    assert all(line.split()[1] == "Ready" for line in lines[1:])
