"""With no cluster at all (no kubeconfig, a broken one, an API server that does not answer):
what needs no cluster answers, what needs one says what is missing and how to fix it, and on
stdio nothing but JSON-RPC ever reaches stdout."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastmcp import Client

REPO = Path(__file__).resolve().parent.parent

CLIENT_VERSION = {
    "clientVersion": {"major": "1", "minor": "35", "gitVersion": "v1.35.4"},
    "kustomizeVersion": "v5.7.1",
}

MISSING = "/nonexistent/kube/config"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _kubeconfig(tmp_path: Path, kind: str) -> str:
    """A kubeconfig of the given kind: missing, broken (not YAML a loader accepts), or
    pointing at an API server that does not answer."""
    if kind == "missing":
        return MISSING
    path = tmp_path / "kubeconfig"
    if kind == "broken":
        path.write_text("apiVersion: v1\nclusters: [ {name: a, cluster: \n")
    else:
        server = f"https://127.0.0.1:{_closed_port()}"
        path.write_text(
            json.dumps(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "clusters": [{"name": "gone", "cluster": {"server": server}}],
                    "users": [{"name": "me", "user": {"token": "abc"}}],
                    "contexts": [{"name": "gone", "context": {"cluster": "gone", "user": "me"}}],
                    "current-context": "gone",
                }
            )
        )
    return str(path)


@pytest.fixture
def fake_kubectl_version(fake_bin: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fake CLIs answer as `kubectl version --client -o json` does."""
    monkeypatch.setenv("FAKE_CLI_MODE", "payload")
    monkeypatch.setenv("FAKE_CLI_PAYLOAD", json.dumps(CLIENT_VERSION))


async def _call(client: Client[Any], tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    raw = await client.call_tool(tool, arguments, raise_on_error=False)
    assert raw.structured_content is not None, raw
    return raw.structured_content


@pytest.mark.parametrize("kind", ["missing", "broken", "unreachable"])
async def test_commands_that_need_no_cluster_answer(
    kind: str,
    tmp_path: Path,
    fake_kubectl_version: None,
    make_client: Callable[..., Client[Any]],
) -> None:
    kubeconfig = _kubeconfig(tmp_path, kind)
    async with make_client(kubeconfig=kubeconfig, rbac_preflight=True, native=True) as client:
        piped = await _call(
            client,
            "execute_kubectl",
            {"command": "kubectl version --client -o json | jq .clientVersion.major"},
        )
        assert (piped["status"], piped["output"]) == ("success", '"1"\n'), piped
        text = await _call(client, "execute_kubectl", {"command": "kubectl version --client"})
        assert text["output"] == "Client Version: v1.35.4\nKustomize Version: v5.7.1\n", text
        helm = await _call(client, "execute_helm", {"command": "helm version"})
        assert helm["status"] == "success", helm
        helped = await client.call_tool("describe_kubectl", {"command": "get"})
        assert "Usage: kubectl get" in helped.content[0].text


@pytest.mark.parametrize("kind", ["missing", "broken"])
@pytest.mark.parametrize(
    ("tool", "command"),
    [("execute_kubectl", "kubectl get pods"), ("execute_helm", "helm list")],
)
async def test_commands_that_need_a_cluster_say_how_to_get_one(
    kind: str,
    tool: str,
    command: str,
    tmp_path: Path,
    fake_kubectl_version: None,
    make_client: Callable[..., Client[Any]],
) -> None:
    kubeconfig = _kubeconfig(tmp_path, kind)
    async with make_client(kubeconfig=kubeconfig, rbac_preflight=True, native=True) as client:
        result = await _call(client, tool, {"command": command})
    assert result["status"] == "error"
    error = result["error"]
    assert error["code"] == "unavailable"
    message = error["message"]
    assert kubeconfig in message
    assert "KUBECONFIG=" in message and "make sandbox" in message
    # The server refuses --kubeconfig in a command: the message must not suggest it.
    assert "--kubeconfig" not in message
    assert ("does not exist" in message) == (kind == "missing")


async def test_an_api_server_that_does_not_answer_is_named(
    tmp_path: Path, fake_kubectl_version: None, make_client: Callable[..., Client[Any]]
) -> None:
    kubeconfig = _kubeconfig(tmp_path, "unreachable")
    async with make_client(kubeconfig=kubeconfig, rbac_preflight=True, native=True) as client:
        result = await _call(client, "execute_kubectl", {"command": "kubectl get pods"})
    assert result["error"]["code"] == "unavailable", result
    message = result["error"]["message"]
    assert "the API server of context 'gone' at https://127.0.0.1:" in message
    assert "cannot be reached" in message
    # Nothing answered: nothing was sent, so the request was tried again, then given up.
    assert "(tried 5 times)" in message


def _request(ident: int, method: str, params: dict[str, Any]) -> str:
    return json.dumps({"jsonrpc": "2.0", "id": ident, "method": method, "params": params})


def _tool_call(ident: int, name: str, arguments: dict[str, Any]) -> str:
    return _request(ident, "tools/call", {"name": name, "arguments": arguments})


# Lines a confused or hostile client may send, then a session that makes the server load (and
# fail to load) the kubeconfig and run a CLI.
GARBAGE = ["not json at all", "{", "[]", '{"jsonrpc": "2.0"}', '{"id": 7, "method": 3}', "\x00\x01"]
SESSION = [
    (
        1,
        _request(
            1,
            "initialize",
            {
                "protocolVersion": "2025-06-18",
                "clientInfo": {"name": "probe", "version": "1"},
                "capabilities": {},
            },
        ),
    ),
    (None, json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"})),
    (2, _request(2, "tools/list", {})),
    (3, _tool_call(3, "execute_kubectl", {"command": "kubectl get pods -A"})),
    (4, _tool_call(4, "execute_kubectl", {"command": "kubectl version --client"})),
    (5, _tool_call(5, "describe_helm", {"command": "list"})),
    (6, _tool_call(6, "execute_helm", {"command": "helm list -A"})),
]


async def _read_until(stdout: asyncio.StreamReader, ident: int, lines: list[bytes]) -> None:
    while True:
        line = await asyncio.wait_for(stdout.readline(), timeout=60)
        assert line, f"the server closed stdout before answering request {ident}"
        lines.append(line)
        message = json.loads(line)
        if message.get("id") == ident:
            return


@pytest.mark.parametrize("kind", ["missing", "broken", "unreachable"])
async def test_stdout_carries_json_rpc_only(kind: str, tmp_path: Path, fake_bin: Path) -> None:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path / "home"),
        "KUBECONFIG": _kubeconfig(tmp_path, kind),
        "K8S_MCP_AUDIT_LOG": "-",  # the audit log goes to stderr, never stdout
        "FAKE_CLI_MODE": "payload",
        "FAKE_CLI_PAYLOAD": json.dumps(CLIENT_VERSION),
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "kube_ai_proxy.main",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
        cwd=REPO,
    )
    assert proc.stdin is not None and proc.stdout is not None
    lines: list[bytes] = []
    try:
        for line in GARBAGE:
            proc.stdin.write(line.encode() + b"\n")
        for ident, line in SESSION:
            proc.stdin.write(line.encode() + b"\n")
            await proc.stdin.drain()
            if ident is not None:
                await _read_until(proc.stdout, ident, lines)
        proc.stdin.close()
        rest, stderr = await asyncio.wait_for(proc.communicate(), timeout=30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    lines += rest.splitlines(keepends=True)
    messages = [json.loads(line) for line in lines]
    assert all(message.get("jsonrpc") == "2.0" for message in messages), lines
    answers = {m["id"]: m for m in messages if "id" in m and ("result" in m or "error" in m)}
    assert {1, 2, 3, 4, 5, 6} <= set(answers), answers
    pods = answers[3]["result"]["structuredContent"]
    assert pods["error"]["code"] == "unavailable", pods
    version = answers[4]["result"]["structuredContent"]
    assert version["output"].startswith("Client Version: v1.35.4"), version
    assert b'"command"' in stderr  # the audit lines went where they were sent


async def test_a_failed_cli_says_that_no_cluster_is_configured(
    fake_bin: Path, monkeypatch: pytest.MonkeyPatch, make_client: Callable[..., Client[Any]]
) -> None:
    monkeypatch.setenv("FAKE_CLI_MODE", "fail")
    async with make_client(kubeconfig=MISSING) as client:
        result = await _call(client, "execute_kubectl", {"command": "kubectl rollout status x"})
    assert result["error"]["code"] == "unavailable", result
    message = result["error"]["message"]
    # The CLI's own error first, then what is missing.
    assert message.startswith("error: the server doesn't have a resource type")
    assert "KUBECONFIG names /nonexistent/kube/config" in message


async def test_a_failed_cli_with_a_cluster_keeps_its_own_error(
    tmp_path: Path,
    fake_bin: Path,
    monkeypatch: pytest.MonkeyPatch,
    make_client: Callable[..., Client[Any]],
) -> None:
    monkeypatch.setenv("FAKE_CLI_MODE", "fail")
    async with make_client(kubeconfig=_kubeconfig(tmp_path, "unreachable")) as client:
        result = await _call(client, "execute_kubectl", {"command": "kubectl rollout status x"})
    assert result["error"] == {
        "code": "cli_error",
        "message": 'error: the server doesn\'t have a resource type "podz"',
    }


async def test_a_warm_up_without_a_kubeconfig_logs_why_quietly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from adapters.kubernetes import KubeClients

    caplog.set_level(logging.DEBUG, logger="adapters.kubernetes")
    await KubeClients(MISSING, None).warm_up()  # does not raise
    records = [r for r in caplog.records if r.name == "adapters.kubernetes"]
    assert [r.levelno for r in records] == [logging.INFO]
    assert "there is no kubeconfig" in records[0].getMessage()


async def test_a_warm_up_that_fails_unexpectedly_logs_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from adapters.kubernetes import ActAs, KubeAPI, KubeClients

    class Broken(KubeClients):
        async def get(self, context: str | None = None, acting_as: ActAs | None = None) -> KubeAPI:
            raise RuntimeError("the loader broke")

    caplog.set_level(logging.DEBUG, logger="adapters.kubernetes")
    await Broken(MISSING, None).warm_up()  # does not raise
    records = [r for r in caplog.records if r.name == "adapters.kubernetes"]
    assert [r.levelno for r in records] == [logging.WARNING]
    assert records[0].exc_info is not None
    assert "the loader broke" in str(records[0].exc_info[1])
