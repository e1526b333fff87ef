"""Native `kubectl events` against the real kubectl: the same text, plus the events as data.

The events are written by the test itself (core/v1 and events.k8s.io/v1, with chosen types,
reasons, counts, series and times three days back), in a namespace nothing else touches, so
every command's answer is fixed. Each command runs through the server (`backend: native`)
and with kubectl; the texts must be equal, LAST SEEN aside (ages tick between the two runs),
and `data` must hold the events kubectl prints with -o json. Commands over all namespaces
meet whatever else runs on the cluster, and are run again until both runs agree.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastmcp import Client
from fastmcp.client.transports import StdioTransport

from e2e import mcp_server
from e2e.harness import Cluster

NAMESPACE = "e2e-events"
EMPTY = "e2e-events-empty"
# Events whose messages hold a tab and a newline: kubectl's tabwriter splits those cells, so
# the command runs kubectl. Made only for the test that reads them, as they would send every
# `events -A` to kubectl too.
ODD = "e2e-events-odd"
_DAY = 86400


def _stamp(moment: float, micro: bool = False) -> str:
    text = datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
    return (text if micro else text[:-7]) + "Z"


def _core(
    name: str,
    kind_name: str,
    kind_type: str,
    reason: str,
    message: str,
    times: tuple[float, float] | None,
    count: int = 1,
    namespace: str = NAMESPACE,
    **extra: Any,
) -> dict[str, Any]:
    """A core/v1 Event about `Kind/name` (apiVersion v1 unless given)."""
    kind, _, involved = kind_name.partition("/")
    group = {"Deployment": "apps/v1", "ReplicaSet": "apps/v1"}.get(kind, "v1")
    event: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": namespace},
        "involvedObject": {
            "apiVersion": group,
            "kind": kind,
            "name": involved,
            "namespace": namespace,
        },
        "type": kind_type,
        "reason": reason,
        "message": message,
        "source": {"component": "kubelet", "host": "kwok-node-0"},
        **extra,
    }
    if times is not None:
        event |= {"firstTimestamp": _stamp(times[0]), "lastTimestamp": _stamp(times[1])}
        event["count"] = count
    return event


def manifest(now: float) -> str:
    """The events, as one List for `kubectl create -f -`. Several share a last-seen second
    and there are more than twelve, so Go's sort meets ties beyond its insertion sort."""
    base = float(int(now) - 3 * _DAY - 3600)  # ages of 3d to 3d1h

    def at(minutes: float) -> float:
        return base + minutes * 60

    scheduled = "Successfully assigned e2e-events/{} to kwok-node-0"
    items = [
        _core("web-0.scheduled", "Pod/web-0", "Normal", "Scheduled", scheduled.format("web-0"),
              (at(0), at(0)), source={"component": "default-scheduler"}),
        _core("web-1.scheduled", "Pod/web-1", "Normal", "Scheduled", scheduled.format("web-1"),
              (at(0), at(0)), source={"component": "default-scheduler"}),
        _core("web.scaled-up", "Deployment/web", "Normal", "ScalingReplicaSet",
              "Scaled up replica set web-7d4b9c to 2", (at(0), at(0)),
              source={"component": "deployment-controller"}),
        _core("web-7d4b9c.create-0", "ReplicaSet/web-7d4b9c", "Normal", "SuccessfulCreate",
              "Created pod: web-0", (at(0), at(0))),
        _core("web-7d4b9c.create-1", "ReplicaSet/web-7d4b9c", "Normal", "SuccessfulCreate",
              "Created pod: web-1", (at(0), at(0))),
        _core("web-0.pulled", "Pod/web-0", "Normal", "Pulled",
              'Container image "nginx:1.27" already present on machine', (at(1), at(1))),
        _core("web-0.created", "Pod/web-0", "Normal", "Created", "Created container: app",
              (at(1), at(1))),
        _core("web-0.started", "Pod/web-0", "Normal", "Started", "Started container app",
              (at(1), at(1))),
        _core("web-1.pulled", "Pod/web-1", "Normal", "Pulled",
              'Container image "nginx:1.27" already present on machine', (at(1), at(1))),
        _core("web-1.started", "Pod/web-1", "Normal", "Started", "Started container app",
              (at(1), at(1))),
        _core("web-0.unhealthy", "Pod/web-0", "Warning", "Unhealthy",
              "Readiness probe failed: HTTP probe failed with statuscode: 503",
              (at(2), at(45)), count=7,
              metadata={"name": "web-0.unhealthy", "namespace": NAMESPACE,
                        "labels": {"tier": "front", "app": "web"},
                        "annotations": {"note": "probe & <check>"}}),
        _core("web-0.backoff", "Pod/web-0", "Warning", "BackOff",
              "Back-off restarting failed container app in pod web-0_e2e-events",
              (at(3), at(45)), count=12),
        _core("web-1.killing", "Pod/web-1", "Normal", "Killing", "Stopping container app",
              (at(30), at(30))),
        _core("web.scaled-down", "Deployment/web", "Normal", "ScalingReplicaSet",
              "Scaled down replica set web-7d4b9c to 1 from 2", (at(30), at(30))),
        _core("web-1.glitch", "Pod/web-1", "Warning", "Glitch",
              "progress\r99% \x1b[1mbold\x1b[0m", (at(31), at(31))),
        # No time at all: kubectl sorts it first and prints <unknown>.
        _core("settings.noted", "ConfigMap/settings", "Normal", "Noted",
              "   padded on both sides   ", None),
        # events.k8s.io/v1: eventTime, a series, a related object, reporting fields.
        {
            "apiVersion": "events.k8s.io/v1",
            "kind": "Event",
            "metadata": {"name": "web.progress", "namespace": NAMESPACE},
            "regarding": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web",
                          "namespace": NAMESPACE},
            "related": {"apiVersion": "v1", "kind": "Pod", "name": "web-0",
                        "namespace": NAMESPACE},
            "type": "Warning",
            "reason": "ProgressDeadlineExceeded",
            "note": "ReplicaSet web-7d4b9c has timed out progressing.",
            "action": "Check",
            "eventTime": _stamp(at(5.5), micro=True),
            "series": {"count": 3, "lastObservedTime": _stamp(at(40.25), micro=True)},
            "reportingController": "deployment-controller",
            "reportingInstance": "kube-controller-manager-1",
        },
        {
            "apiVersion": "events.k8s.io/v1",
            "kind": "Event",
            "metadata": {"name": "web-1.resized", "namespace": NAMESPACE},
            "regarding": {"apiVersion": "v1", "kind": "Pod", "name": "web-1",
                          "namespace": NAMESPACE},
            "type": "Normal",
            "reason": "Resized",
            "note": "Pod resources resized",
            "action": "Resize",
            "eventTime": _stamp(at(20.123456), micro=True),
            "reportingController": "kubelet",
            "reportingInstance": "kwok-node-0",
        },
    ]  # fmt: skip
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": items})


def odd_manifest(now: float) -> str:
    moment = (now - _DAY, now - _DAY)
    items = [
        _core("odd.tabbed", "Pod/odd", "Warning", "Tabbed", "column\tsplit", moment, namespace=ODD),
        _core("odd.lines", "Pod/odd", "Normal", "Lines", "one\ntwo", moment, namespace=ODD),
    ]
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": items})


def delete_events(
    cluster: Cluster, wait: bool, namespaces: tuple[str, ...] = (NAMESPACE, EMPTY)
) -> None:
    for namespace in namespaces:
        cluster.kubectl(
            "delete", "namespace", namespace, "--ignore-not-found", f"--wait={str(wait).lower()}",
            timeout=180,
        )  # fmt: skip


def create_events(cluster: Cluster) -> None:
    """The namespaces and their events (tests/data/events_record.py records the fast tests'
    data from the same events)."""
    delete_events(cluster, wait=True)  # what an interrupted run left behind
    for namespace in (NAMESPACE, EMPTY):
        cluster.kubectl("create", "namespace", namespace)
    cluster.kubectl("create", "-f", "-", input=manifest(time.time()))


def create_odd_events(cluster: Cluster) -> None:
    delete_events(cluster, wait=True, namespaces=(ODD,))
    cluster.kubectl("create", "namespace", ODD)
    cluster.kubectl("create", "-f", "-", input=odd_manifest(time.time()))


@pytest.fixture(scope="module")
def events(cluster: Cluster) -> Iterator[str]:
    create_events(cluster)
    yield NAMESPACE
    delete_events(cluster, wait=False)


@pytest.fixture
async def client(server_env: dict[str, str]) -> AsyncIterator[Client[StdioTransport]]:
    async with mcp_server.stdio_client(server_env) as connected:
        yield connected


async def _both(
    client: Client[StdioTransport], cluster: Cluster, command: str, timeout: float | None = None
) -> tuple[dict[str, Any], Any]:
    arguments: dict[str, Any] = {"command": command}
    if timeout is not None:
        arguments["timeout"] = timeout
    raw = await client.call_tool("execute_kubectl", arguments, raise_on_error=False)
    result: dict[str, Any] = raw.structured_content or {}
    real = cluster.kubectl(*command.split()[1:], check=False, timeout=timeout or 120)
    return result, real


# Two-unit ages first: `2m3s` is one age (an age crossing from `119s` to `2m1s` between the
# two listings compared must not read as two).
_AGE = r"(\d+[mhdy]\d+[smhd]|\d+[smhdy]|<unknown>|<invalid>)"
_LAST_SEEN = re.compile(rf"{_AGE}( \(x\d+ over {_AGE}\))?")


def loose(text: str) -> list[list[str]]:
    """The table's cells, LAST SEEN's ages set aside: a line's cells are separated by three
    spaces or more (the tabwriter's padding), and an age changes the padding too when its
    width changes."""
    lines = []
    for line in text.rstrip("\n").split("\n"):
        cells = re.split(r" {3,}", line)
        lines.append([_ageless(cell) for cell in cells])
    return lines


def _ageless(cell: str) -> str:
    """A LAST SEEN cell (`5m`, `3d1h (x7 over 3d2h)`) with its ages as AGE; the count stays."""
    if _LAST_SEEN.fullmatch(cell) is None:
        return cell
    return re.sub(_AGE, "AGE", cell)


def _json_command(command: str) -> list[str]:
    """kubectl's -o json form of a table command: the events `data` must hold."""
    words = [w for w in command.split()[1:] if w != "--no-headers"]
    return [*words, "-o", "json"]


def _real_items(cluster: Cluster, command: str) -> list[Any]:
    real = cluster.kubectl(*_json_command(command), check=False)
    return json.loads(real.stdout)["items"] if real.stdout else []


TABLES = [
    "kubectl events -n {ns}",
    "kubectl events -n {ns} --for pod/web-0",
    "kubectl events -n {ns} --for deploy/web",
    "kubectl events -n {ns} --for deployment.v1.apps/web",
    "kubectl events -n {ns} --types Warning",
    "kubectl events -n {ns} --types Normal,Warning",
    "kubectl events -n {ns} --types=warning --types=NORMAL",
    "kubectl events -n {ns} --no-headers",
    "kubectl events -n {ns} --chunk-size=3",
]


@pytest.mark.parametrize("template", TABLES)
async def test_tables_match_kubectl(
    client: Client[StdioTransport], cluster: Cluster, events: str, template: str
) -> None:
    command = template.format(ns=events)
    result, real = await _both(client, cluster, command)
    assert result["backend"] == "native", result
    assert result["status"] == "success", result
    assert real.returncode == 0, real.stderr
    assert loose(result["output"]) == loose(real.stdout)
    assert result["data"]["events"] == _real_items(cluster, command)


async def test_the_table_is_sorted_and_printed_as_kubectl_prints_it(
    client: Client[StdioTransport], cluster: Cluster, events: str
) -> None:
    """What the loose comparison sets aside, checked once: the ages and counts."""
    result, _ = await _both(client, cluster, f"kubectl events -n {events}")
    lines = result["output"].splitlines()
    assert lines[0].split() == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert re.fullmatch(
        r"<unknown> +Normal +Noted +ConfigMap/settings +padded on both sides", lines[1]
    )
    assert re.search(
        r"\n3d\S* \(x3 over 3d\S*\) +Warning +ProgressDeadlineExceeded ", result["output"]
    )
    assert re.search(r"\n3d\S* \(x12 over 3d\S*\) +Warning +BackOff +Pod/web-0 ", result["output"])
    assert "progress\\r99% ^[[1mbold^[[0m" in result["output"]
    assert len(result["data"]["events"]) == 18


@pytest.mark.parametrize(
    "template",
    [
        "kubectl events -A",
        "kubectl events -A --for pod/web-0 --no-headers",
        "kubectl events -A --types Warning",
    ],
)
async def test_all_namespaces_match_kubectl(
    client: Client[StdioTransport], cluster: Cluster, events: str, template: str
) -> None:
    """Other tests' events come and go meanwhile: both run again until they saw the same."""
    for _attempt in range(5):
        result, real = await _both(client, cluster, template)
        assert result["backend"] == "native", result
        if loose(result["output"]) == loose(real.stdout):
            break
    else:
        assert loose(result["output"]) == loose(real.stdout)
    assert re.search(rf"^{events} ", result["output"], re.MULTILINE)
    if "--no-headers" not in template:
        assert result["output"].startswith("NAMESPACE   ")


@pytest.mark.parametrize(
    "template",
    [
        "kubectl events -n {ns} -o json",
        "kubectl events -n {ns} -o yaml",
        "kubectl events -n {ns} --for deploy/web -o yaml",
        "kubectl events -n {ns} --types Warning -o json",
    ],
)
async def test_objects_match_kubectl_byte_for_byte(
    client: Client[StdioTransport], cluster: Cluster, events: str, template: str
) -> None:
    command = template.format(ns=events)
    result, real = await _both(client, cluster, command)
    assert result["backend"] == "native", result
    assert result["output"] == real.stdout
    items = _real_items(cluster, command.removesuffix(" -o yaml").removesuffix(" -o json"))
    assert result["data"]["events"] == items


@pytest.mark.parametrize(
    ("template", "namespace"),
    [
        ("kubectl events -n {empty}", EMPTY),
        ("kubectl events -n {empty} -o json", EMPTY),
        ("kubectl events -n {ns} --for pod/missing", NAMESPACE),
        ("kubectl events -n {ns} --for configmap/settings --types Warning", NAMESPACE),
    ],
)
async def test_no_events_says_what_kubectl_says(
    client: Client[StdioTransport], cluster: Cluster, events: str, template: str, namespace: str
) -> None:
    command = template.format(ns=events, empty=EMPTY)
    result, real = await _both(client, cluster, command)
    assert result["backend"] == "native", result
    assert result["status"] == "success"
    assert real.stdout == ""
    assert result["output"] == real.stderr.strip()
    assert result["output"] == f"No events found in {namespace} namespace."
    assert result["data"] == {"events": []}


async def test_a_long_list_is_cut_to_the_budget(
    server_env: dict[str, str], cluster: Cluster, events: str
) -> None:
    env = {**server_env, "K8S_MCP_MAX_OUTPUT": "1000"}
    async with mcp_server.stdio_client(env) as small:
        raw = await small.call_tool("execute_kubectl", {"command": f"kubectl events -n {events}"})
        objects = await small.call_tool(
            "execute_kubectl", {"command": f"kubectl events -n {events} -o yaml"}
        )
    result = raw.structured_content or {}
    real = cluster.kubectl("events", "-n", events).stdout
    assert result["backend"] == "native"
    assert result["truncated"] is True
    assert 0 < len(result["output"]) <= 1000
    kept = result["output"].splitlines()
    assert loose("\n".join(kept)) == loose("\n".join(real.splitlines()[: len(kept)]))
    assert len(result["data"]["events"]) == len(kept) - 1
    assert "--for" in result["next"]
    yaml = objects.structured_content or {}
    assert yaml["truncated"] is True
    assert cluster.kubectl("events", "-n", events, "-o", "yaml").stdout.startswith(yaml["output"])


@pytest.mark.parametrize(
    "template",
    [
        "kubectl events -n {ns} -o wide",
        "kubectl events -n {ns} -o name",
        "kubectl events -n {ns} --show-managed-fields -o json",
        "kubectl events -n {ns} --for pod",
        "kubectl events -n {ns} --for widgets/x",
        "kubectl events -n {ns} --types=Bogus",
        "kubectl events -n {ns} extra-argument",
    ],
)
async def test_what_native_does_not_serve_runs_kubectl(
    client: Client[StdioTransport], cluster: Cluster, events: str, template: str
) -> None:
    command = template.format(ns=events)
    result, real = await _both(client, cluster, command)
    assert result["backend"] == "cli", result
    if real.returncode == 0:
        assert loose(result["output"]) == loose(real.stdout)
    else:
        assert result["error"]["message"] == real.stderr.strip()


async def test_watch_runs_kubectl(client: Client[StdioTransport], events: str) -> None:
    for command in (f"kubectl events -n {events} -w", f"kubectl events -n {events} --watch"):
        raw = await client.call_tool(
            "execute_kubectl", {"command": command, "timeout": 3}, raise_on_error=False
        )
        result = raw.structured_content or {}
        assert result["backend"] == "cli", result
        assert result["error"]["code"] == "timeout"


async def test_messages_the_tabwriter_would_split_run_kubectl(
    client: Client[StdioTransport], cluster: Cluster
) -> None:
    create_odd_events(cluster)
    try:
        result, real = await _both(client, cluster, f"kubectl events -n {ODD}")
    finally:
        delete_events(cluster, wait=True, namespaces=(ODD,))
    assert result["backend"] == "cli", result
    assert loose(result["output"]) == loose(real.stdout)
    assert "column\tsplit" not in real.stdout  # the tab became padding
