"""`make run` as a newcomer runs it: no kubeconfig anywhere, an MCP client on its stdio. It serves
the local cluster, says so on stderr, and its stdout carries JSON-RPC only."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from e2e.harness import CacheLayout, Cluster
from kube_ai_proxy.resident import place

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def pod(cluster: Cluster) -> Iterator[tuple[str, str]]:
    namespace = f"e2e-make-run-{uuid.uuid4().hex[:6]}"
    cluster.kubectl("create", "namespace", namespace)
    cluster.kubectl("run", "hello", "-n", namespace, "--image=busybox:1.36", "--", "sleep", "3600")
    cluster.kubectl("wait", "-n", namespace, "--for=condition=Ready", "pod/hello", "--timeout=90s")
    yield namespace, "hello"
    cluster.kubectl("delete", "namespace", namespace, "--wait=false")


def _newcomer_env(home: Path, cache: CacheLayout) -> dict[str, str]:
    """A shell with no kubeconfig (HOME has no .kube) and nothing of the server's set. The
    cache is where it is by default, ~/.cache/kube-ai-proxy, and holds what this run built,
    so nothing is built again (an MCP client passes only HOME, PATH and a few more to the
    server it starts: KAP_CACHE would not reach `make run`)."""
    (home / ".cache").mkdir(parents=True, exist_ok=True)
    (home / ".cache" / "kube-ai-proxy").symlink_to(cache.root)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("K8S_MCP_", "K8S_CONTEXT", "ARGOCD_", "MAKE", "MFLAGS", "KAP_"))
        and key != "KUBECONFIG"
    }
    env["HOME"] = str(home)
    # Where a desktop session keeps the user's sockets: `make run` leaves its resident server
    # (kube_ai_proxy/resident) there, and the `newcomer` fixture stops it.
    runtime = home / "run"
    runtime.mkdir(mode=0o700, exist_ok=True)
    env["XDG_RUNTIME_DIR"] = str(runtime)
    return env


@pytest.fixture
def newcomer(tmp_path: Path, cache_layout: CacheLayout) -> Iterator[dict[str, str]]:
    env = _newcomer_env(tmp_path, cache_layout)
    yield env
    place.stop_all(place.directory(env))


def _message(ident: int, method: str, params: dict[str, Any]) -> bytes:
    body = {"jsonrpc": "2.0", "id": ident, "method": method, "params": params}
    return json.dumps(body).encode() + b"\n"


async def _answer(stdout: asyncio.StreamReader, ident: int, seen: list[Any]) -> Any:
    while True:
        line = await asyncio.wait_for(stdout.readline(), timeout=300)
        assert line, f"make run closed stdout before answering request {ident}"
        message = json.loads(line)  # anything but JSON-RPC on stdout fails here
        seen.append(message)
        if message.get("id") == ident:
            return message


async def test_make_run_without_a_kubeconfig_serves_the_local_cluster(
    cluster: Cluster, pod: tuple[str, str], newcomer: dict[str, str]
) -> None:
    namespace, name = pod
    proc = await asyncio.create_subprocess_exec(
        "make",
        "run",
        cwd=REPO,
        env=newcomer,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,  # make, the harness and the server: stopped together
    )
    assert proc.stdin is not None and proc.stdout is not None
    seen: list[Any] = []
    try:
        init = {
            "protocolVersion": "2025-06-18",
            "clientInfo": {"name": "newcomer", "version": "1"},
            "capabilities": {},
        }
        proc.stdin.write(_message(1, "initialize", init))
        await _answer(proc.stdout, 1, seen)
        proc.stdin.write(b'{"jsonrpc": "2.0", "method": "notifications/initialized"}\n')
        call = {"name": "execute_kubectl", "arguments": {"command": "kubectl get pods -A"}}
        proc.stdin.write(_message(2, "tools/call", call))
        answer = await _answer(proc.stdout, 2, seen)
        proc.stdin.close()
        rest, stderr = await asyncio.wait_for(proc.communicate(), timeout=60)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        await proc.wait()
    assert all(json.loads(line)["jsonrpc"] == "2.0" for line in rest.splitlines())
    result = answer["result"]["structuredContent"]
    assert result["status"] == "success", result
    assert result["backend"] == "native"
    rows = [line.split() for line in result["output"].splitlines()]
    assert rows[0][:3] == ["NAMESPACE", "NAME", "READY"]
    assert [namespace, name, "1/1", "Running"] in [row[:4] for row in rows]
    # What make run deploys for a newcomer to look at.
    hello = [row for row in rows if row[0] == "hello"]
    assert [(row[1].startswith("web-"), row[2:4]) for row in hello] == [
        (True, ["1/1", "Running"])
    ] * 2
    said = stderr.decode()
    assert "no usable kubeconfig (KUBECONFIG is not set and there is no" in said, said
    assert f"serving the local cluster {cluster.name}" in said
    assert "make cluster-down" in said
    assert "KUBECONFIG=/path/to/kubeconfig make run" in said


def _readme_first_call() -> tuple[str, list[str]]:
    """The README's first call (the shell line of its first `console` block) and the output
    it shows."""
    text = (REPO / "README.md").read_text()
    block = text.split("```console\n", 1)[1].split("```", 1)[0]
    lines = block.splitlines()
    command_lines = []
    for line in lines:
        command_lines.append(line.removeprefix("$ ").rstrip("\\").strip())
        if not line.endswith("\\"):
            break
    return " ".join(command_lines), lines[len(command_lines) :]


def test_the_readme_first_call_answers_as_shown(cluster: Cluster, newcomer: dict[str, str]) -> None:
    command, shown = _readme_first_call()
    assert command.startswith(".venv/bin/fastmcp call --command 'make run'"), command
    with subprocess.Popen(
        ["bash", "-o", "pipefail", "-c", command],
        cwd=REPO,
        env=newcomer,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # on a timeout, fastmcp, make and the server go together
    ) as proc:
        try:
            stdout, stderr = proc.communicate(timeout=300)
        finally:
            # Whatever of the session is left (a server its client did not stop) goes too.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
    done = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
    assert done.returncode == 0, done.stderr
    # jq ends the output, which ends with a newline, with one more: a blank last line.
    assert done.stdout.endswith("\n\n"), done.stdout
    rows = [line.split() for line in done.stdout[:-1].splitlines()]
    assert rows[0] == shown[0].split()  # the header
    hello = [row for row in rows if row[0] == "hello"]
    # The pods' names and ages differ from run to run; the rest is as the README shows it.
    assert [row[2:5] for row in hello] == [line.split()[2:5] for line in shown[1:]]
