"""Several workers on one port (K8S_MCP_WORKERS): every worker answers, against the real
cluster; SIGTERM stops them all and leaves no process behind; a worker that cannot start
stops the server with its reason and a failing exit code."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from e2e import mcp_server

WORKERS = 3


def _workers_of(pid: int, within: float = 120) -> list[int]:
    """The worker processes uvicorn started (multiprocessing's spawn), once all are there."""
    deadline = time.monotonic() + within
    while True:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        workers = [int(c) for c in children if b"spawn_main" in _cmdline(int(c))]
        if len(workers) == WORKERS:
            return workers
        assert time.monotonic() < deadline, (
            f"{len(workers)} of {WORKERS} workers started: {children} "
            f"{[_cmdline(int(c)) for c in children]}"
        )
        time.sleep(0.2)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "Z" not in _state(pid)


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _started(log: Path, workers: list[int], within: float = 120) -> None:
    """Wait until uvicorn logged each worker's application as started."""
    deadline = time.monotonic() + within
    while True:
        text = log.read_text(errors="replace")
        started = text.count("Application startup complete")
        if started >= len(workers) and all(f"[{pid}]" in text for pid in workers):
            return
        assert time.monotonic() < deadline, f"{started} of {len(workers)} started:\n{text}"
        time.sleep(0.2)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "gone"


async def test_workers_answer_calls_at_once_and_stop_together(
    server_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**server_env, "K8S_MCP_WORKERS": str(WORKERS)}
    with mcp_server.http_server(env, tmp_path / "workers.log") as server:
        workers = await asyncio.to_thread(_workers_of, server.process.pid)

        async def call(command: str) -> dict[str, object]:
            async with server.client() as client:
                result = await client.call_tool("execute_kubectl", {"command": command})
                return result.structured_content or {}

        # Every worker built a server of its own and serves. Which one accepts a connection
        # is the kernel's and asyncio's choice (they share one socket), so no test can say
        # that each will get calls.
        await asyncio.to_thread(_started, server.log, workers)
        commands = ["kubectl get namespaces", "kubectl get pods -A", "kubectl version"] * 10
        results = await asyncio.gather(*(call(command) for command in commands))
        assert [r["status"] for r in results] == ["success"] * len(commands), results
        assert all("kube-system" in str(r["output"]) for r in results[::3])

        server.process.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(server.process.wait, 60) == 0
    for pid in workers:
        assert not _alive(pid), f"worker {pid} outlived the server"


def test_a_worker_that_cannot_start_stops_the_server_with_its_reason(
    server_env: dict[str, str], tmp_path: Path
) -> None:
    instances = tmp_path / "argocd.yaml"
    instances.write_text("- not: a mapping of instances\n")
    env = {
        **server_env,
        "K8S_MCP_TRANSPORT": "streamable-http",
        "K8S_MCP_PORT": str(mcp_server.free_port()),
        "K8S_MCP_WORKERS": "2",
        "K8S_MCP_ARGOCD_INSTANCES": str(instances),
    }
    stderr = _refused_start(env)
    assert f"kube-ai-proxy: {instances}" in stderr, stderr[-3000:]


def test_workers_refuse_a_transport_with_sessions(server_env: dict[str, str]) -> None:
    env = {**server_env, "K8S_MCP_TRANSPORT": "sse", "K8S_MCP_WORKERS": "2"}
    assert "workers (2) serve streamable-http only" in _refused_start(env)


def _refused_start(env: dict[str, str]) -> str:
    """The stderr of a server that exits at start with a failing code."""
    done = subprocess.run(
        [sys.executable, "-m", "kube_ai_proxy.main"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode != 0
    return done.stderr
