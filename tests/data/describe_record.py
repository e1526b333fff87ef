"""Record tests/data/describe-recorded.json: the API responses native `kubectl describe` reads
for a set of commands, and what kubectl printed for them, from the e2e cluster.

    .venv/bin/python -m tests.data.describe_record     # the cluster is started if it is down

The objects are e2e/test_native_describe.py's. For each command the server's handler runs
against the API (every request and response recorded, discovery aside: the fast tests serve it
from discovery-v1.35.4.json), then kubectl runs, between two clock readings. A case is kept
only once replaying it at some moment between those readings gives kubectl's text exactly;
otherwise (an event landed in between) it is recorded again. Times print in UTC.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from adapters.errors import BackendError
from adapters.kubernetes import KubeAPI, KubeClients
from e2e.harness import CacheLayout, Cluster, up
from e2e.harness.cluster import tool_environment
from e2e.test_native_describe import NAMESPACE, NODE, create_workload, delete_workload
from kube_ai_proxy.errors import Defer
from kube_ai_proxy.native.base import Handler, NativeAnswer, NativeContext
from kube_ai_proxy.native.kubectl import describe as kubectl_describe
from kube_ai_proxy.parse.clispec import CliSpecs
from kube_ai_proxy.parse.plan import plan
from tests.fakes.kube import kube_of
from tests.test_describe_recorded import replay

OUT = Path(__file__).parent / "describe-recorded.json"

COMMANDS = [
    "kubectl describe pod user -n {ns}",
    "kubectl describe pods -n {ns} -l app=web",
    "kubectl describe pods -n {ns} -l app=web --show-events=false",
    "kubectl describe pod pinned -n {ns}",
    "kubectl describe pod stuck -n {ns}",
    "kubectl describe deployment web -n {ns}",
    "kubectl describe rs -n {ns} --chunk-size=1",
    "kubectl describe statefulset db -n {ns}",
    "kubectl describe daemonset agent -n {ns}",
    "kubectl describe jobs -n {ns}",
    "kubectl describe cronjob nightly -n {ns}",
    "kubectl describe svc api headless external -n {ns}",
    "kubectl describe endpoints web -n {ns}",
    "kubectl describe ingress -n {ns}",
    "kubectl describe configmap settings -n {ns}",
    "kubectl describe secret db -n {ns}",
    "kubectl describe serviceaccount builder -n {ns}",
    "kubectl describe pvc claim -n {ns}",
    "kubectl describe pv e2e-describe-pv-d",
    "kubectl describe pv e2e-describe-pv e2e-describe-pv-local e2e-describe-pv-csi",
    "kubectl describe pv/e2e-describe-pv-nfs pv/e2e-describe-pv-db-0",
    "kubectl describe node " + NODE,
    "kubectl describe namespace {ns}",
    "kubectl describe clusterlogs e2e-describe-logs",
    "kubectl describe controllerrevisions -n {ns}",
    "kubectl describe sa missing -n {ns}",
    "kubectl describe pod user missing -n {ns}",
    "kubectl describe widgets",
    "kubectl describe pods -n {ns} -l app=no",
]


class RecordingAPI(KubeAPI):
    """The real API, with every request and its answer written down."""

    def __init__(self, real: KubeAPI) -> None:
        super().__init__(real.session, real.context)
        self.exchanges: list[dict[str, Any]] = []

    async def request(self, method: str, path: str, **kwargs: Any) -> Any:
        if path in ("/api", "/apis"):
            return await super().request(method, path, **kwargs)
        warnings: list[str] = []
        entry: dict[str, Any] = {
            "method": method,
            "path": path,
            "query": [[k, str(v)] for k, v in kwargs.get("query", ())],
        }
        try:
            body = await super().request(method, path, **{**kwargs, "warnings": warnings})
        except BackendError as exc:
            entry |= {"error": {"code": exc.code, "message": exc.message}, "warnings": warnings}
            self.exchanges.append(entry)
            _forward(kwargs, warnings)
            raise
        entry |= {"body": body, "warnings": warnings}
        self.exchanges.append(entry)
        _forward(kwargs, warnings)
        return body


def _forward(kwargs: dict[str, Any], warnings: list[str]) -> None:
    if kwargs.get("warnings") is not None:
        kwargs["warnings"].extend(warnings)


async def record_both(
    real: KubeAPI, cluster: Cluster, line: str, handler: Handler
) -> tuple[NativeAnswer | None, dict[str, Any]]:
    """The handler's answer to `line` (every API exchange recorded; None when it raised
    Defer), then kubectl's, between two clock readings: a case to keep once replaying it gives
    kubectl's text."""
    command = plan(CliSpecs(), "kubectl", line).command
    api = RecordingAPI(real)
    ctx = NativeContext(kube_of(api), command.value("namespace") or "default", 50_000, False, 60)
    answer: NativeAnswer | None
    try:
        answer = await handler(command, ctx)
    except Defer:
        answer = None
    env = tool_environment(
        {**os.environ, "KUBECONFIG": str(cluster.kubeconfig)}, cluster.tool_state
    )
    started = time.time()
    ran = subprocess.run(  # noqa: ASYNC221 (a script: nothing else runs meanwhile)
        [str(cluster.kubectl_path), *line.split()[1:]],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    finished = time.time()
    return answer, {
        "command": line,
        "exchanges": api.exchanges,
        "kubectl": {"stdout": ran.stdout, "stderr": ran.stderr, "exit_code": ran.returncode},
        "clock": [started, finished],
    }


async def record_case(real: KubeAPI, cluster: Cluster, line: str) -> dict[str, Any] | None:
    answer, case = await record_both(real, cluster, line, kubectl_describe.native_describe)
    assert answer is not None, line
    if await replay(case) is None:
        return None
    return case


async def main() -> None:
    os.environ["TZ"] = "UTC"
    time.tzset()
    cluster = up(CacheLayout.from_env())
    create_workload(cluster)
    clients = KubeClients(str(cluster.kubeconfig), None)
    try:
        real = await clients.get(None)
        lines = [template.format(ns=NAMESPACE) for template in COMMANDS]
        cases = await record_cases(real, cluster, lines, record_case)
    finally:
        await clients.aclose()
        delete_workload(cluster, wait=False)
    write_cases(OUT, cases)


Recorder = Callable[[KubeAPI, Cluster, str], Awaitable[dict[str, Any] | None]]


async def record_cases(
    real: KubeAPI, cluster: Cluster, lines: list[str], record: Recorder
) -> list[dict[str, Any]]:
    """A case per line, each recorded again (up to five times) until it replays exactly."""
    cases = []
    for line in lines:
        for _attempt in range(5):
            case = await record(real, cluster, line)
            if case is not None:
                cases.append(case)
                break
            await asyncio.sleep(2)
        else:
            sys.exit(f"{line}: the native text never matched kubectl's; see the e2e test")
    return cases


def write_cases(out: Path, cases: list[dict[str, Any]]) -> None:
    # One case a line: a re-recording shows which cases changed.
    lines = ",\n".join(json.dumps(case, sort_keys=True) for case in cases)
    out.write_text('{"cases": [\n' + lines + "\n]}\n")
    print(f"{len(cases)} cases in {out}")


if __name__ == "__main__":
    asyncio.run(main())
