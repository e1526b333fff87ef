"""The `kube-ai-proxy` command against the real cluster: after the first start, each start is
served by a fork of the resident server (kube_ai_proxy/resident), which must read the
cluster as its own start says (KUBECONFIG is not part of a resident's key) and run the CLIs
with that start's environment, not the resident's."""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastmcp import Client
from fastmcp.client.transports import StdioTransport

from kube_ai_proxy.resident import place

COMMAND = Path(sys.executable).with_name("kube-ai-proxy")


@pytest.fixture
def folder() -> Iterator[Path]:
    if not COMMAND.exists():
        pytest.fail(f"{COMMAND} is missing: run `make install`")
    # Short: a socket's path has at most 107 bytes.
    path = Path(tempfile.mkdtemp(prefix="kap-e2e-", dir="/tmp"))
    yield path
    place.stop_all(str(path))
    shutil.rmtree(path)


def _client(env: dict[str, str]) -> Client[StdioTransport]:
    return Client(
        StdioTransport(command=str(COMMAND), args=[], env=env, keep_alive=False), timeout=60
    )


async def _call(env: dict[str, str], command: str) -> tuple[dict[str, Any], list[int]]:
    """The structured result of one call, and the resident's children while it was served."""
    async with _client(env) as client:
        result = await client.call_tool_mcp("execute_kubectl", {"command": command})
        children = _children(env[place.DIRECTORY])
    assert result.structured_content is not None
    return result.structured_content, children


def _children(folder: str) -> list[int]:
    (resident,) = place.running(folder)
    return [int(p) for p in Path(f"/proc/{resident}/task/{resident}/children").read_text().split()]


async def test_each_start_reads_the_cluster_as_its_own_kubeconfig_says(
    folder: Path, server_env: dict[str, str], viewer_kubeconfig: Path
) -> None:
    admin = {**server_env, place.DIRECTORY: str(folder)}
    # The first start serves in its own process and starts the resident.
    async with _client(admin) as client:
        assert "execute_kubectl" in {tool.name for tool in await client.list_tools()}
    deadline = time.monotonic() + 120
    while not place.ready(str(folder)):
        assert time.monotonic() < deadline, f"no resident started; see the log in {folder}"
        await asyncio.sleep(0.1)

    viewer = {**admin, "KUBECONFIG": str(viewer_kubeconfig)}
    # Native reads: the viewer may not list kube-system's pods; the admin may.
    refused, served_by = await _call(viewer, "kubectl get pods -n kube-system")
    assert len(served_by) == 1
    assert refused["status"] == "error", refused
    assert "e2e-viewer may not list pods in namespace 'kube-system'" in refused["error"]["message"]
    allowed, _ = await _call(admin, "kubectl get pods -n kube-system")
    assert allowed["status"] == "success", allowed
    # The CLI path: kubectl, run by the forked server, reads the start's KUBECONFIG.
    contexts = []
    for env in (viewer, admin):
        answer, _ = await _call(env, "kubectl config current-context")
        assert answer["status"] == "success", answer
        contexts.append(answer["output"].strip())
    assert contexts[0].startswith("e2e-viewer@"), contexts
    assert "viewer" not in contexts[1], contexts
