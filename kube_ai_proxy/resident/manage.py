"""`kube-ai-proxy resident [status|stop]`: what the user's resident servers are doing, and a
way to stop them (and the servers they run) that needs no `pkill`."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from kube_ai_proxy.resident import place

DESCRIPTION = """\
The resident servers of this user (docs/configuration.md, "The resident server"): each has the
MCP stack imported and forks a server for every stdio start of `kube-ai-proxy`.
  status  (the default) each resident's pid, the servers it runs and its log
  stop    stop every resident; each stops the servers it runs (their MCP clients see them end)
The directory is K8S_MCP_RESIDENT_DIR, else $XDG_RUNTIME_DIR/kube-ai-proxy, else
~/.cache/kube-ai-proxy/run."""


def main(argv: Sequence[str]) -> None:
    parser = argparse.ArgumentParser(
        prog="kube-ai-proxy resident",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("action", nargs="?", choices=("status", "stop"), default="status")
    args = parser.parse_args(argv)
    folder = place.directory(os.environ)
    if args.action == "stop":
        sys.exit(_stop(folder))
    print(_status(folder))


def _status(folder: str) -> str:
    residents = place.running(folder)
    lines = [f"resident servers in {folder}: {len(residents) or 'none'}"]
    for pid, socket_path in sorted(residents.items()):
        key = os.path.basename(socket_path).removesuffix(".sock")
        servers = place.servers(pid)
        lines.append(
            f"  pid {pid}: {len(servers)} server(s) running"
            + (f" (pid {', '.join(map(str, servers))})" if servers else "")
            + f"; log {place.log_path(folder, key)}"
        )
    failed = place.failed(folder)
    for key in failed:
        lines.append(
            f"  could not start for one environment: see {place.log_path(folder, key)}; "
            f"starts with that environment serve in their own process until "
            f"{place.failed_path(folder, key)} is removed"
        )
    if not residents and not failed:
        lines.append(
            "  (the next stdio start of kube-ai-proxy starts one; K8S_MCP_RESIDENT=off: never)"
        )
    return "\n".join(lines)


def _stop(folder: str) -> int:
    residents = place.running(folder)
    if not residents:
        print(f"no resident server runs in {folder}")
        return 0
    servers = sum(len(place.servers(pid)) for pid in residents)
    try:
        place.stop_all(folder)
    except TimeoutError as exc:
        left = ", ".join(map(str, place.running(folder)))
        print(f"kube-ai-proxy resident: {exc}; `kill -9 {left}` stops them now", file=sys.stderr)
        return 1
    print(f"stopped {len(residents)} resident server(s) and the {servers} server(s) they ran")
    return 0
