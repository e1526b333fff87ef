"""The client snippets in docs/clients.md and from `kube-ai-proxy config` start a working
server: each is run the way the client would run it, and must answer `initialize`."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs" / "clients.md"
INITIALIZE = json.dumps(
    {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25",
            "clientInfo": {"name": "client-config-test", "version": "1"},
            "capabilities": {},
        },
    }
)


def json_blocks() -> list[dict[str, Any]]:
    text = DOCS.read_text()
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)```", text, re.DOTALL)]


def servers(block: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = block.get("mcpServers") or block["servers"]
    return found


def start(command: str, args: list[str], env: dict[str, str], tmp_path: Path) -> dict[str, Any]:
    """Run the server as the client would, with this checkout in place of /path/to."""
    command = command.replace("/path/to/kube-ai-proxy", str(REPO))
    here = {k: v.replace("/Users/you", str(tmp_path)) for k, v in env.items()}
    proc = subprocess.run(
        [command, *args],
        input=INITIALIZE + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path), **here},
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    answer: dict[str, Any] = json.loads(proc.stdout.splitlines()[0])
    return answer


def test_docs_snippets_are_valid_and_complete() -> None:
    entries = [servers(b)["kubernetes"] for b in json_blocks()]
    started = [entry for entry in entries if "command" in entry]
    assert len(started) == 4
    commands = {entry["command"] for entry in started}
    assert commands == {"/path/to/kube-ai-proxy/.venv/bin/kube-ai-proxy", "uvx", "docker"}
    remote = [entry for entry in entries if "command" not in entry]
    assert remote == [{"type": "http", "url": "https://mcp.example.internal/mcp"}]


def test_docs_checkout_snippets_start_the_server(tmp_path: Path) -> None:
    local = [
        servers(b)["kubernetes"]
        for b in json_blocks()
        if servers(b)["kubernetes"].get("command", "").startswith("/path/to")
    ]
    assert len(local) == 2  # Claude Desktop and VS Code
    for entry in local:
        answer = start(entry["command"], entry["args"], entry["env"], tmp_path)
        assert answer["result"]["serverInfo"]["name"] == "kube-ai-proxy"


def test_docs_claude_code_command_starts_the_server(tmp_path: Path) -> None:
    line = next(
        ln for ln in DOCS.read_text().splitlines() if ln.startswith("claude mcp add kubernetes -e")
    )
    words = shlex.split(line.replace("$HOME", str(tmp_path)))
    separator = words.index("--")
    env = dict(words[i + 1].split("=", 1) for i in range(4, separator) if words[i] == "-e")
    answer = start(words[separator + 1], words[separator + 2 :], env, tmp_path)
    assert answer["result"]["serverInfo"]["name"] == "kube-ai-proxy"


@pytest.mark.parametrize("client", ["claude-desktop", "vscode"])
def test_generated_config_starts_the_server(client: str, tmp_path: Path) -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "kube_ai_proxy.main", "config", client, "--access", "standard"],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    ).stdout
    entry = servers(json.loads(printed))["kubernetes"]
    assert entry["env"]["K8S_MCP_ACCESS"] == "standard"
    answer = start(entry["command"], entry["args"], entry["env"], tmp_path)
    assert answer["result"]["serverInfo"]["name"] == "kube-ai-proxy"


def test_generated_claude_code_command(tmp_path: Path) -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "kube_ai_proxy.main", "config", "claude-code"],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    ).stdout
    words = shlex.split(printed)
    assert words[:4] == ["claude", "mcp", "add", "kubernetes"]
    separator = words.index("--")
    env = dict(words[i + 1].split("=", 1) for i in range(4, separator) if words[i] == "-e")
    assert env["K8S_MCP_ACCESS"] == "read-only"
    answer = start(words[separator + 1], words[separator + 2 :], env, tmp_path)
    assert answer["result"]["serverInfo"]["name"] == "kube-ai-proxy"


def test_docker_config_mounts_the_kubeconfig_read_only() -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "kube_ai_proxy.main", "config", "claude-desktop", "--docker"],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    ).stdout
    entry = servers(json.loads(printed))["kubernetes"]
    assert entry["command"] == "docker"
    mount = entry["args"][entry["args"].index("-v") + 1]
    assert mount.endswith(":/home/appuser/.kube:ro")
    assert entry["args"][-1] == "kube-ai-proxy:dev"
