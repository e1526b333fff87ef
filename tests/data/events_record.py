"""Record tests/data/events-recorded.json: the API responses native `kubectl events` reads for
a set of commands, and what kubectl printed for them, from the e2e cluster.

    .venv/bin/python -m tests.data.events_record     # the cluster is started if it is down

The events are e2e/test_native_events.py's. For each command the handler runs against the API
(every request and response recorded, discovery aside: the fast tests serve it from
discovery-v1.35.4.json), then kubectl runs, between two clock readings. A case is kept only
once replaying it at some moment between those readings gives kubectl's text exactly (or, for
a command the handler leaves to kubectl, once it does so again); otherwise it is recorded again.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from adapters.kubernetes import KubeAPI, KubeClients
from e2e.harness import CacheLayout, Cluster, up
from e2e.test_native_events import (
    EMPTY,
    NAMESPACE,
    ODD,
    create_events,
    create_odd_events,
    delete_events,
)
from kube_ai_proxy.native.kubectl import events as kubectl_events
from kube_ai_proxy.parse.clispec import CliSpecs
from kube_ai_proxy.parse.plan import plan
from tests.data.describe_record import record_both, record_cases, write_cases
from tests.test_kubectl_events import replay

OUT = Path(__file__).parent / "events-recorded.json"

COMMANDS = [
    "kubectl events -n {ns}",
    # pages of 5 (kubectl asks 500 at a time): the handler follows continue tokens
    "kubectl events -n {ns} --chunk-size=5",
    "kubectl events -n {ns} --for pod/web-0",
    "kubectl events -n {ns} --for deploy/web",
    "kubectl events -n {ns} --types Warning",
    "kubectl events -n {ns} --types=normal,WARNING --no-headers",
    "kubectl events -n {ns} -o json",
    "kubectl events -n {ns} -o yaml",
    "kubectl events -n {ns} --for deploy/web -o yaml",
    "kubectl events -A --for pod/web-0",
    "kubectl events -n {empty}",
    "kubectl events -n {empty} -o yaml",
    "kubectl events -n {odd}",
]


async def record_case(real: KubeAPI, cluster: Cluster, line: str) -> dict[str, Any] | None:
    assert kubectl_events.can_serve(plan(CliSpecs(), "kubectl", line).command), line
    answer, case = await record_both(real, cluster, line, kubectl_events.native_events)
    case["deferred"] = answer is None
    if answer is not None and await replay(case) is None:
        return None
    return case


async def main() -> None:
    cluster = up(CacheLayout.from_env())
    create_events(cluster)
    create_odd_events(cluster)
    clients = KubeClients(str(cluster.kubeconfig), None)
    try:
        real = await clients.get(None)
        lines = [t.format(ns=NAMESPACE, empty=EMPTY, odd=ODD) for t in COMMANDS]
        cases = await record_cases(real, cluster, lines, record_case)
    finally:
        await clients.aclose()
        delete_events(cluster, wait=False, namespaces=(NAMESPACE, EMPTY, ODD))
    write_cases(OUT, cases)


if __name__ == "__main__":
    asyncio.run(main())
