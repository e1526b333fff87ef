"""`python -m e2e.bench.heap COMMAND...`: where one server's memory goes, as JSON on stdout.

The server is built in this process (the entry point's `create_server`) and driven through
fastmcp's in-memory client against the cluster of $KUBECONFIG (the harness's by default).
Reported: the RSS once the server is built and once the Kubernetes client is loaded; then for
each command, after two warm-up calls, the peak of Python's heap (tracemalloc) over one call
(or N at once, --at-once N), the source lines that held most at that peak, and what the heap
and the RSS hold after it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tracemalloc
from pathlib import Path
from typing import Any

from e2e.harness import CacheLayout

TOP = 5


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def _measure(commands: list[str], at_once: int) -> dict[str, Any]:
    from fastmcp import Client

    from kube_ai_proxy.config import load_settings
    from kube_ai_proxy.mcp.server import create_server

    server = create_server(load_settings({}))
    found: dict[str, Any] = {"rss_built": _rss_mb(), "commands": {}}
    async with Client(server) as client:
        await client.list_tools()
        for command in commands:
            for _ in range(2):  # discovery, the RBAC decision, connections, lazy imports
                await client.call_tool_mcp("execute_kubectl", {"command": command})
            found.setdefault("rss_loaded", _rss_mb())
            tracemalloc.start(25)
            tracemalloc.reset_peak()
            peak_snapshot = _PeakSnapshot()
            watcher = asyncio.create_task(peak_snapshot.watch())
            await asyncio.gather(
                *(
                    client.call_tool_mcp("execute_kubectl", {"command": command})
                    for _ in range(at_once)
                )
            )
            watcher.cancel()
            held, peak = tracemalloc.get_traced_memory()
            snapshot = peak_snapshot.best
            tracemalloc.stop()
            lines = []
            if snapshot is not None:
                for stat in snapshot.statistics("lineno")[:TOP]:
                    frame = stat.traceback[0]
                    lines.append(
                        {
                            "where": f"{_short(frame.filename)}:{frame.lineno}",
                            "mb": stat.size / 1024 / 1024,
                        }
                    )
            found["commands"][command] = {
                "peak_mb": peak / 1024 / 1024,
                "held_after_mb": held / 1024 / 1024,
                "rss_after_mb": _rss_mb(),
                "top": lines,
            }
    found["rss_after"] = _rss_mb()
    return found


class _PeakSnapshot:
    """Snapshots taken while the call runs, keeping the one that held the most: the heap at
    (about) its peak, which a snapshot after the call no longer shows."""

    def __init__(self) -> None:
        self.best: tracemalloc.Snapshot | None = None
        self.most = 0

    async def watch(self) -> None:
        while True:
            current, _ = tracemalloc.get_traced_memory()
            if current > self.most:
                self.most = current
                self.best = tracemalloc.take_snapshot().filter_traces(
                    [tracemalloc.Filter(False, tracemalloc.__file__)]
                )
            await asyncio.sleep(0)


def _short(filename: str) -> str:
    for marker in ("site-packages/", "/kube_ai_proxy/", "/adapters/", "/lib/python3.11/"):
        if marker in filename:
            head = marker.strip("/") + "/" if marker in ("/kube_ai_proxy/", "/adapters/") else ""
            return head + filename.split(marker, 1)[1]
    return filename


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m e2e.bench.heap", description=__doc__)
    parser.add_argument("commands", nargs="+", help='e.g. "kubectl get pods -n bench"')
    parser.add_argument(
        "--at-once",
        type=int,
        default=1,
        metavar="N",
        help="the measured call made N times at once (a concurrent phase's heap)",
    )
    args = parser.parse_args()
    os.environ.setdefault("KUBECONFIG", str(CacheLayout.from_env().kubeconfig))
    print(json.dumps(asyncio.run(_measure(args.commands, args.at_once)), indent=1))


if __name__ == "__main__":
    main()
