"""Profile one command on the server's hot path: `python -m e2e.bench.profile "kubectl get pods
-n bench" [--calls N]`.

The server is built in this process (the same `create_server` the entry point uses) and driven
through fastmcp's in-memory client, so the profile holds the whole tool call (parsing, policy,
pre-flight, the native handler or the CLI, the result) without a transport's noise, under
pyinstrument (`pip install -r requirements-bench.lock`). It runs against the cluster of
$KUBECONFIG, the harness's by default.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time

from e2e.harness import CacheLayout


async def _profile(command: str, calls: int, interval: float) -> None:
    from fastmcp import Client
    from pyinstrument import Profiler

    from kube_ai_proxy.config import load_settings
    from kube_ai_proxy.mcp.server import create_server

    server = create_server(load_settings({}))
    async with Client(server) as client:
        for _ in range(3):  # warm: discovery, the RBAC decision, connections
            await client.call_tool_mcp("execute_kubectl", {"command": command})
        profiler = Profiler(interval=interval, async_mode="disabled")
        started = time.perf_counter()
        profiler.start()
        for _ in range(calls):
            await client.call_tool_mcp("execute_kubectl", {"command": command})
        profiler.stop()
        took = (time.perf_counter() - started) / calls
    print(profiler.output_text(unicode=True, color=False, show_all=False))
    print(f"{calls} calls, {took * 1000:.1f} ms each (with the profiler's own overhead)")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m e2e.bench.profile", description=__doc__)
    parser.add_argument("command", help='e.g. "kubectl get pods -n bench"')
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--interval", type=float, default=0.0005, help="sampling interval (s)")
    args = parser.parse_args()
    os.environ.setdefault("KUBECONFIG", str(CacheLayout.from_env().kubeconfig))
    asyncio.run(_profile(args.command, args.calls, args.interval))


if __name__ == "__main__":
    main()
