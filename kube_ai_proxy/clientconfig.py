"""`kube-ai-proxy config CLIENT`: print a ready-to-paste MCP client configuration for this
machine (the path of this installation, the kubeconfig in use, the chosen settings)."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

CLIENTS = ("claude-desktop", "claude-code", "vscode", "cursor")
IMAGE = "kube-ai-proxy:dev"


def _server_command() -> list[str]:
    """How to start this installation: its console script if on PATH, else this Python."""
    script = shutil.which("kube-ai-proxy")
    if script:
        return [str(Path(script).resolve())]
    return [sys.executable, "-m", "kube_ai_proxy.main"]


def _env(args: argparse.Namespace) -> dict[str, str]:
    env: dict[str, str] = {}
    kubeconfig = os.environ.get("KUBECONFIG") or str(Path.home() / ".kube" / "config")
    if not args.docker:
        env["KUBECONFIG"] = kubeconfig
    env["K8S_MCP_ACCESS"] = args.access
    if args.allowed_namespaces:
        env["K8S_MCP_ALLOWED_NAMESPACES"] = args.allowed_namespaces
    return env


def _server_entry(args: argparse.Namespace) -> dict[str, Any]:
    env = _env(args)
    if args.docker:
        kube_dir = Path(os.environ.get("KUBECONFIG", "~/.kube/config")).expanduser().parent
        docker = ["run", "--rm", "-i", "-v", f"{kube_dir}:/home/appuser/.kube:ro"]
        for key, value in env.items():
            docker += ["-e", f"{key}={value}"]
        return {"command": "docker", "args": [*docker, IMAGE]}
    command = _server_command()
    return {"command": command[0], "args": command[1:], "env": env}


def render(args: argparse.Namespace) -> str:
    entry = _server_entry(args)
    if args.client == "claude-code":
        env_flags = [w for k, v in entry.get("env", {}).items() for w in ("-e", f"{k}={v}")]
        words = ["claude", "mcp", "add", args.name, *env_flags, "--", entry["command"]]
        return shlex.join([*words, *entry["args"]]) + "\n"
    if args.client == "vscode":
        # .vscode/mcp.json
        body: dict[str, Any] = {"servers": {args.name: {"type": "stdio", **entry}}}
    else:
        # claude_desktop_config.json, and Cursor's ~/.cursor/mcp.json
        body = {"mcpServers": {args.name: entry}}
    return json.dumps(body, indent=2) + "\n"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="kube-ai-proxy config",
        description="Print an MCP client configuration that starts this kube-ai-proxy. "
        "claude-desktop and cursor: JSON for claude_desktop_config.json / ~/.cursor/mcp.json; "
        "vscode: .vscode/mcp.json; claude-code: the `claude mcp add` command.",
    )
    p.add_argument("client", choices=CLIENTS)
    p.add_argument("--name", default="kubernetes", help="the server's name in the client")
    p.add_argument(
        "--access",
        choices=("read-only", "standard", "admin"),
        default="read-only",
        help="K8S_MCP_ACCESS for this client (default read-only: start safe, widen later)",
    )
    p.add_argument("--allowed-namespaces", help="K8S_MCP_ALLOWED_NAMESPACES, a comma list")
    p.add_argument(
        "--docker",
        action="store_true",
        help=f"run the {IMAGE} image (make image) with ~/.kube mounted read-only",
    )
    return p


def main(argv: Sequence[str]) -> None:
    sys.stdout.write(render(parser().parse_args(argv)))
