"""The seed demo for real, on the kind cluster (`make e2e-kind`): "Deploy WordPress & Break
MariaDB" with WordPress and MariaDB from Debian's packages (e2e/kind/images), every step through
the execute_* tools as an assistant runs it.

Helm installs the demo chart (e2e/charts/wordpress) with MariaDB's data on a volume; a Job
inside the cluster asks the site for its front page (200). MariaDB is scaled to zero: the same
question gets WordPress's own 500, and the assistant finds why in the pod's logs (PHP's
warning that the database host does not resolve), in `describe` and in the events. Scaled back,
the site answers 200 again, with the data it had.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from e2e import mcp_server
from e2e.assistant import Assistant
from e2e.harness import Cluster

pytestmark = pytest.mark.kind

CHART = Path(__file__).resolve().parent / "charts" / "wordpress"
NAMESPACE = "claude-demo-kind"
WORDPRESS = "app.kubernetes.io/name=wordpress"
MARIADB = "app.kubernetes.io/name=mariadb"


@pytest.fixture
async def assistant(server_env: dict[str, str], kind_cluster: Cluster) -> AsyncIterator[Assistant]:
    env = {**server_env, "K8S_MCP_ACCESS": "admin", "K8S_MCP_ALLOWED_PATHS": str(CHART.parent)}
    kind_cluster.kubectl(
        "delete", "namespace", NAMESPACE, "--ignore-not-found", "--wait=true", timeout=180
    )
    async with mcp_server.stdio_client(env) as client:
        yield Assistant(client, NAMESPACE)
    kind_cluster.kubectl(
        "delete", "namespace", NAMESPACE, "--ignore-not-found", "--wait=false", check=False
    )


async def front_page_status(assistant: Assistant, job: str) -> str:
    """The HTTP status of the site's front page, asked by a Job inside the cluster through the
    WordPress Service; '000' when nothing answers."""
    await assistant.kubectl(
        f"kubectl create job {job} -n {NAMESPACE} --image=local/wordpress:bookworm -- "
        "curl -sS -o /dev/null -w '%{http_code}' --max-time 60 http://wp-wordpress/"
    )
    await assistant.kubectl(
        f"kubectl wait --for=condition=complete job/{job} -n {NAMESPACE} --timeout=120s",
        timeout=150,
    )
    logs = await assistant.kubectl(f"kubectl logs job/{job} -n {NAMESPACE}")
    return str(logs["output"]).strip()


async def test_wordpress_demo_with_real_containers(assistant: Assistant) -> None:
    installed = await assistant.run(
        "execute_helm",
        f"helm install wp {CHART} --namespace {NAMESPACE} --create-namespace "
        "--set mariadb.architecture=standalone --set mariadb.persistence.enabled=true "
        "--set mariadb.image=local/mariadb:bookworm --set wordpress.image=local/wordpress:bookworm "
        "--wait --timeout 5m",
        timeout=330,
    )
    assert "STATUS: deployed" in installed["output"]
    await assistant.wait_pods(WORDPRESS, 1, timeout=180)
    [db_pod] = await assistant.wait_pods(MARIADB, 1, timeout=180)
    assert db_pod["metadata"]["name"] == "wp-mariadb-0"
    claims = await assistant.kubectl(f"kubectl get pvc -n {NAMESPACE} -o json")
    [claim] = claims["data"]["items"]
    assert claim["metadata"]["name"] == "data-wp-mariadb-0"
    assert claim["status"]["phase"] == "Bound"
    assert await front_page_status(assistant, "probe-before") == "200"

    scaled = await assistant.kubectl(
        f"kubectl scale statefulset wp-mariadb --namespace {NAMESPACE} --replicas=0"
    )
    assert scaled["output"].strip() == "statefulset.apps/wp-mariadb scaled"
    await assistant.wait_pods(MARIADB, 0)
    assert await front_page_status(assistant, "probe-broken") == "500"

    # Troubleshooting, as an assistant would after "the blog is down".
    listing = await assistant.kubectl(f"kubectl get pods -n {NAMESPACE}")
    assert "wp-mariadb-0" not in listing["output"]
    [wp_pod] = await assistant.pods(WORDPRESS)
    name = wp_pod["metadata"]["name"]
    assert wp_pod["status"]["phase"] == "Running"
    described = await assistant.kubectl(f"kubectl describe pod {name} -n {NAMESPACE}")
    assert "WORDPRESS_DATABASE_HOST:      wp-mariadb" in described["output"]
    assert "Image:          local/wordpress:bookworm" in described["output"]
    logs = await assistant.kubectl(f"kubectl logs {name} -n {NAMESPACE} --tail=50")
    # WordPress's real error: PHP could not resolve the database's Service (it has no pods),
    # and Apache logged the 500 it answered the probe with.
    assert (
        "mysqli_real_connect(): php_network_getaddresses: getaddrinfo for wp-mariadb"
        in (logs["output"])
    ), logs["output"]
    assert '"GET / HTTP/1.1" 500' in logs["output"]
    events = await assistant.kubectl(
        f"kubectl get events -n {NAMESPACE} --field-selector involvedObject.name=wp-mariadb"
    )
    assert "SuccessfulDelete" in events["output"]

    await assistant.kubectl(
        f"kubectl scale statefulset wp-mariadb --namespace {NAMESPACE} --replicas=1"
    )
    rolled = await assistant.kubectl(
        f"kubectl rollout status statefulset/wp-mariadb -n {NAMESPACE} --timeout=120s",
        timeout=150,
    )
    assert "partitioned roll out complete" in rolled["output"] or "ready" in rolled["output"]
    # The same volume came back with the database: WordPress is still installed.
    assert await front_page_status(assistant, "probe-after") == "200"

    removed = await assistant.run("execute_helm", f"helm uninstall wp -n {NAMESPACE}")
    assert 'release "wp" uninstalled' in removed["output"]
