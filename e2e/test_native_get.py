"""Native `kubectl get` against the real kubectl: the same text, plus structured data.

Every command runs twice on the same cluster, once through the server (which answers from the
API, `backend: native`) and once with the real kubectl; the printed text must match (ages
aside: they tick between the two calls), and JSON/YAML must match byte for byte.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from fastmcp import Client
from fastmcp.client.transports import StdioTransport

from e2e import mcp_server
from e2e.harness import Cluster

NAMESPACE = "e2e-native"


def _age_free(text: str) -> str:
    """Ages, and the padding after them and after the AGE header: an age column is as wide as
    its longest age, which may grow (9s, 10s) between the two runs compared."""
    ages = r"(\b\d+(s|m|h|d|m\d+s|h\d+m|d\d+h)\b|\bAGE\b) *"
    return re.sub(ages, "AGE ", text).rstrip("\n")


@pytest.fixture(scope="module")
def workload(cluster: Cluster) -> Iterator[str]:
    cluster.kubectl("create", "namespace", NAMESPACE, check=False)
    cluster.kubectl(
        "-n",
        NAMESPACE,
        "create",
        "deployment",
        "web",
        "--image=nginx:1.27",
        "--replicas=3",
        check=False,
    )
    cluster.kubectl(
        "-n",
        NAMESPACE,
        "create",
        "configmap",
        "settings",
        "--from-literal=description=a long description that go-yaml folds across "
        "lines because it is wider than eighty characters, as kubectl prints it",
        check=False,
    )
    # Strings go-yaml quotes in its own ways: single quotes, double quotes with escapes,
    # plain, and a folded double-quoted line.
    quoting = {
        "lead": "  leading spaces",
        "colon": "key: value",
        "indicator": "- dash",
        "hash": "#comment",
        "quote": "'single'",
        "dq": '"double"',
        "yes": "yes",
        "num": "0x1F",
        "tab": "tab\there",
        "trail": "trailing ",
        "q": "?q",
        "star": "*ref",
        "long": "word " * 30 + "\nsecond line",
    }
    manifest = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "quoting", "namespace": NAMESPACE},
        "data": quoting,
    }
    cluster.kubectl("apply", "-f", "-", input=json.dumps(manifest))
    cluster.kubectl("-n", NAMESPACE, "expose", "deployment", "web", "--port=80", check=False)
    cluster.kubectl(
        "-n",
        NAMESPACE,
        "wait",
        "--for=condition=Available",
        "deployment/web",
        "--timeout=60s",
        timeout=90,
    )
    yield NAMESPACE
    cluster.kubectl("delete", "namespace", NAMESPACE, "--wait=false", check=False)


@pytest.fixture
async def client(server_env: dict[str, str]) -> AsyncIterator[Client[StdioTransport]]:
    async with mcp_server.stdio_client(server_env) as connected:
        yield connected


async def _both(
    client: Client[StdioTransport], cluster: Cluster, command: str
) -> tuple[dict[str, Any], Any]:
    raw = await client.call_tool("execute_kubectl", {"command": command}, raise_on_error=False)
    result: dict[str, Any] = raw.structured_content or {}
    real = cluster.kubectl(*command.split()[1:], check=False)
    return result, real


TABLES = [
    "kubectl get pods -n {ns}",
    "kubectl get pods -n {ns} -o wide",
    "kubectl get pods -n {ns} --show-labels",
    "kubectl get pods -n {ns} -L app --no-headers",
    "kubectl get pods -n {ns} -l app=web --field-selector status.phase=Running",
    "kubectl get deploy,rs,svc -n {ns}",
    "kubectl get all -n {ns}",
    "kubectl get deploy/web svc/web -n {ns}",
    "kubectl get pods -A",
    "kubectl get nodes -o wide",
    "kubectl get ns",
    "kubectl get pods -n {ns} -o name",
    "kubectl get crd",
    "kubectl get pods -n {ns} --chunk-size=1",
]


@pytest.mark.parametrize("template", TABLES)
async def test_tables_match_kubectl(
    client: Client[StdioTransport], cluster: Cluster, workload: str, template: str
) -> None:
    command = template.format(ns=workload)
    result, real = await _both(client, cluster, command)
    assert result["backend"] == "native", result
    assert result["status"] == "success", result
    assert real.returncode == 0
    assert _age_free(result["output"]) == _age_free(real.stdout)
    assert result["data"] is not None


@pytest.mark.parametrize(
    "template",
    [
        "kubectl get deploy web -n {ns} -o json",
        "kubectl get deploy web -n {ns} -o yaml",
        "kubectl get cm settings -n {ns} -o yaml",
        "kubectl get cm quoting -n {ns} -o yaml",
        "kubectl get cm -n {ns} -o yaml",
        "kubectl get pods -n {ns} -o json",
        "kubectl get pods,svc -n {ns} -o yaml",
        "kubectl get nodes -o json",
    ],
)
async def test_objects_match_kubectl_byte_for_byte(
    client: Client[StdioTransport], cluster: Cluster, workload: str, template: str
) -> None:
    command = template.format(ns=workload)
    result, real = await _both(client, cluster, command)
    assert result["backend"] == "native"
    assert result["output"] == real.stdout
    if "-o json" in command:
        assert result["data"] == json.loads(real.stdout)


async def test_table_data_has_the_rows(
    client: Client[StdioTransport], cluster: Cluster, workload: str
) -> None:
    result, _ = await _both(client, cluster, f"kubectl get pods -n {workload}")
    (table,) = result["data"]["tables"]
    assert (table["kind"], table["apiVersion"], table["namespace"]) == ("Pod", "v1", workload)
    # The columns the text shows, as the API server's Table names them.
    assert table["columns"] == ["Name", "Ready", "Status", "Restarts", "Age"]
    rows = [dict(zip(table["columns"], row, strict=True)) for row in table["rows"]]
    assert len(rows) == 3
    assert {row["Status"] for row in rows} == {"Running"}
    assert all(row["Name"].startswith("web-") for row in rows)
    labelled, _ = await _both(client, cluster, f"kubectl get pods -n {workload} --show-labels")
    (table,) = labelled["data"]["tables"]
    assert table["columns"][-1] == "Labels"
    assert all(row[-1]["app"] == "web" for row in table["rows"])
    everywhere, _ = await _both(client, cluster, "kubectl get pods -A")
    (table,) = everywhere["data"]["tables"]
    assert "namespace" not in table and table["columns"][:2] == ["Namespace", "Name"]
    ours = [row[1] for row in table["rows"] if row[0] == workload]
    assert sorted(ours) == sorted(row["Name"] for row in rows)


@pytest.mark.parametrize(
    ("template", "code"),
    [
        ("kubectl get pod missing -n {ns}", "not_found"),
        ("kubectl get widgets", "not_found"),
    ],
)
async def test_errors_match_kubectl(
    client: Client[StdioTransport], cluster: Cluster, workload: str, template: str, code: str
) -> None:
    command = template.format(ns=workload)
    result, real = await _both(client, cluster, command)
    assert real.returncode == 1
    assert result["backend"] == "native"
    assert result["exit_code"] == 1
    assert result["error"]["code"] == code
    assert result["error"]["message"] == real.stderr.strip()


async def test_empty_list_says_what_kubectl_says(
    client: Client[StdioTransport], cluster: Cluster, workload: str
) -> None:
    result, real = await _both(client, cluster, f"kubectl get jobs -n {workload}")
    assert real.stdout == ""
    assert result["output"] == real.stderr.strip() == f"No resources found in {workload} namespace."


async def test_flags_native_does_not_render_go_to_kubectl(
    client: Client[StdioTransport], workload: str
) -> None:
    raw = await client.call_tool(
        "execute_kubectl",
        {"command": f"kubectl get pods -n {workload} --sort-by=.metadata.name -o name"},
    )
    result = raw.structured_content or {}
    assert result["backend"] == "cli"
    assert result["output"].count("pod/web-") == 3


async def test_pipes_read_the_native_output(client: Client[StdioTransport], workload: str) -> None:
    raw = await client.call_tool(
        "execute_kubectl",
        {"command": f"kubectl get pods -n {workload} --no-headers | wc -l"},
    )
    result = raw.structured_content or {}
    assert result["backend"] == "native"
    assert result["output"].strip() == "3"


async def test_a_large_list_is_cut_to_the_budget(
    server_env: dict[str, str], cluster: Cluster, workload: str
) -> None:
    for index in range(40):
        cluster.kubectl(
            "-n",
            workload,
            "create",
            "configmap",
            f"bulk-{index:02d}",
            "--from-literal=k=v",
            check=False,
        )
    env = {**server_env, "K8S_MCP_MAX_OUTPUT": "1000"}
    async with mcp_server.stdio_client(env) as small:
        raw = await small.call_tool(
            "execute_kubectl", {"command": f"kubectl get cm -n {workload} --chunk-size=5"}
        )
    result = raw.structured_content or {}
    assert result["backend"] == "native"
    assert result["truncated"] is True
    assert len(result["output"]) <= 1000
    assert result["output"].startswith("NAME")
    assert "sed -n" in result["next"]


async def test_pipes_see_the_whole_answer_not_the_budgets_cut(
    server_env: dict[str, str], cluster: Cluster, workload: str
) -> None:
    """The output budget applies to what comes out of the pipe, as on the CLI path: with a
    budget far smaller than the answer, `| jq` and `| tail` still read all of it."""
    env = {**server_env, "K8S_MCP_MAX_OUTPUT": "1000"}
    as_json = cluster.kubectl("get", "pods", "-n", workload, "-o", "json").stdout
    as_yaml = cluster.kubectl("get", "pods", "-n", workload, "-o", "yaml").stdout
    assert min(len(as_json), len(as_yaml)) > 1000  # the budget would cut the answer itself
    names = "".join(f"{pod['metadata']['name']}\n" for pod in json.loads(as_json)["items"])
    cases = {
        f"kubectl get pods -n {workload} -o json | jq -r .items[].metadata.name": names,
        f"kubectl get pods -n {workload} -o yaml | tail -n 3": "".join(
            as_yaml.splitlines(keepends=True)[-3:]
        ),
    }
    async with mcp_server.stdio_client(env) as client:
        for command, expected in cases.items():
            raw = await client.call_tool("execute_kubectl", {"command": command})
            result = raw.structured_content or {}
            assert result["backend"] == "native", result
            assert result["output"] == expected, command
            assert not result["truncated"]
