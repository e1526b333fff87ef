"""Background tasks (mcp/tasks.py): which calls become one, and that a task is the same call
as the synchronous one: judged before it exists, confirmed through the task's input_required
status, cancelled with its processes killed, bounded, audited. The fake CLIs record every run
in a marker file, so each test sees whether anything ran."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import mcp_types
import pytest
from fastmcp import Client
from fastmcp.exceptions import ToolError
from fastmcp_tasks import call_tool_task
from fastmcp_tasks.settings import tasks_settings
from mcp.shared.exceptions import MCPError
from pydantic import SecretStr

from adapters.kubernetes import KubeClients
from kube_ai_proxy.config import Settings
from kube_ai_proxy.errors import StartupError
from kube_ai_proxy.mcp.server import create_server
from kube_ai_proxy.mcp.tasks import waits
from kube_ai_proxy.parse.clispec import CliSpecs
from kube_ai_proxy.parse.command import parse_command
from tests.fakes.asking import User, runs
from tests.fakes.processes import alive


class PlainClient(Client[Any]):
    """A client of the 2026-07-28 protocol that does not opt into tasks (fastmcp's Client
    opts in whenever fastmcp-tasks is imported)."""

    _auto_internal_extensions = False


def server(tmp_path: Path, **settings: Any) -> Any:
    defaults = {
        "rbac_preflight": False,
        "native": False,
        "tasks": "on",
        "audit_log": str(tmp_path / "audit.jsonl"),
    }
    return create_server(Settings(**{**defaults, **settings}))


def audited(tmp_path: Path) -> list[dict[str, Any]]:
    path = tmp_path / "audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.fixture
def marker(tmp_path: Path, fake_bin: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The fake CLIs record their runs here; the API server they would wait on answers the
    probe that stops a CLI whose server is gone (kube_ai_proxy/reachability.py)."""

    async def answers(_: KubeClients, context: str | None = None) -> None:
        return None

    monkeypatch.setattr(KubeClients, "unreachable", answers)
    path = tmp_path / "ran"
    monkeypatch.setenv("FAKE_CLI_MARKER", str(path))
    return path


async def until(found: Any, seconds: float = 10) -> None:
    """Wait for `found()`, which another process or a task's worker makes true."""
    async with asyncio.timeout(seconds):
        while not found():  # noqa: ASYNC110 - another process's doing: nothing to await
            await asyncio.sleep(0.05)


@pytest.fixture
def slow(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every CLI works for 3 seconds, then succeeds."""
    monkeypatch.setenv("FAKE_CLI_MODE", "slow")
    monkeypatch.setenv("FAKE_CLI_SECONDS", "3")


@pytest.mark.parametrize(
    ("line", "timeout", "expected"),
    [
        ("kubectl rollout status deploy/web", None, True),
        ("kubectl rollout status deploy/web --watch=false", None, False),
        ("kubectl wait --for=condition=Ready pod/web-1", None, True),
        ("kubectl get pods", None, False),
        ("kubectl get pods", 31, True),
        ("kubectl get pods", 30, False),
        ("helm install shop ./chart --wait", None, True),
        ("helm upgrade shop ./chart --wait=false", None, False),
        ("helm upgrade shop ./chart --atomic", None, True),
        ("helm rollback shop 2 --wait", None, True),
        ("helm uninstall shop --wait", None, True),
        ("helm install shop ./chart", None, False),
        ("argocd app sync shop", None, True),
        ("argocd app sync shop --async", None, False),
        ("argocd app wait shop --health", None, True),
        ("argocd app get shop", None, False),
        ("istioctl install -y", None, True),
        ("istioctl analyze", None, False),
    ],
)
def test_which_calls_wait(line: str, timeout: float | None, expected: bool) -> None:
    tool, *words = line.split()
    command = parse_command(CliSpecs()[tool], words)  # type: ignore[index]
    assert waits(command, timeout) is expected


async def test_a_call_that_waits_runs_as_a_task_with_the_same_result(
    tmp_path: Path, marker: Path, slow: None
) -> None:
    mcp = server(tmp_path)
    async with Client(mcp) as client:
        task = await call_tool_task(
            client, "execute_kubectl", {"command": "kubectl rollout status deploy/web -n shop"}
        )
        assert task.create_result.status == "working"
        as_task = await task.result()
    async with PlainClient(mcp) as plain:
        direct = await plain.call_tool(
            "execute_kubectl", {"command": "kubectl rollout status deploy/web -n shop"}
        )
    assert as_task.structured_content is not None and direct.structured_content is not None
    keep = ("status", "command", "output", "exit_code", "backend", "error")
    assert {k: as_task.structured_content[k] for k in keep} == {
        k: direct.structured_content[k] for k in keep
    }
    assert as_task.structured_content["output"] == "done\n"
    assert runs(marker) == 2
    lines = audited(tmp_path)
    assert lines[0]["task"] == task.task_id and lines[0]["status"] == "success"
    assert "task" not in lines[1]


async def test_a_client_that_does_not_opt_in_keeps_progress_notifications(
    tmp_path: Path, marker: Path, slow: None
) -> None:
    heard: list[str | None] = []

    async def progress(done: float, total: float | None, message: str | None) -> None:
        heard.append(message)

    async with PlainClient(server(tmp_path), progress_handler=progress) as client:
        result = await client.call_tool(
            "execute_kubectl", {"command": "kubectl rollout status deploy/web"}
        )
    assert result.structured_content is not None
    assert result.structured_content["status"] == "success"
    assert "kubectl rollout status running" in heard


async def test_tasks_get_shows_the_progress_message(
    tmp_path: Path, marker: Path, slow: None
) -> None:
    async with Client(server(tmp_path)) as client:
        task = await call_tool_task(
            client, "execute_kubectl", {"command": "kubectl rollout status deploy/web"}
        )
        seen = set()
        while (status := await task.status()).status == "working":
            seen.add(status.status_message)
            await asyncio.sleep(0.2)
    assert status.status == "completed"
    assert "kubectl rollout status running" in seen


async def test_a_call_that_does_not_wait_answers_at_once(tmp_path: Path, marker: Path) -> None:
    async with Client(server(tmp_path)) as client:
        with pytest.raises(ToolError, match="did not run as a task"):
            await call_tool_task(client, "execute_kubectl", {"command": "kubectl get pods"})
    assert runs(marker) == 1


async def test_a_refused_command_never_becomes_a_task(tmp_path: Path, marker: Path) -> None:
    async with Client(server(tmp_path, allowed_namespaces=["shop"])) as client:
        with pytest.raises(ToolError, match="did not run as a task"):
            await call_tool_task(
                client,
                "execute_kubectl",
                {"command": "kubectl rollout status deploy/x -n kube-system"},
            )
        refused = await client.call_tool(
            "execute_kubectl",
            {"command": "kubectl rollout status deploy/x -n kube-system"},
            raise_on_error=False,
        )
    assert refused.structured_content is not None
    assert refused.structured_content["error"]["code"] == "policy_denied"
    assert runs(marker) == 0
    lines = audited(tmp_path)
    assert [line["decision"] for line in lines] == ["refused", "refused"]
    assert all("task" not in line for line in lines)


async def test_cancel_kills_the_process_group_and_is_audited(
    tmp_path: Path, marker: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pidfile = tmp_path / "pids"
    monkeypatch.setenv("FAKE_CLI_MODE", "sleep")
    monkeypatch.setenv("FAKE_CLI_PIDFILE", str(pidfile))
    async with Client(server(tmp_path)) as client:
        task = await call_tool_task(
            client, "execute_kubectl", {"command": "kubectl rollout status deploy/web"}
        )
        await until(lambda: pidfile.exists() and pidfile.read_text())
        pids = json.loads(pidfile.read_text())
        assert alive(pids["self"]) and alive(pids["child"])
        await task.cancel()
        final = await task.wait()
        # tasks/get says cancelled at once; the worker then stops the call, and audits it.
        await until(lambda: audited(tmp_path))
    assert final.status == "cancelled"
    assert not alive(pids["self"]) and not alive(pids["child"])
    (line,) = audited(tmp_path)
    assert line["task"] == task.task_id
    assert "the task was cancelled (tasks/cancel" in line["reason"]


async def test_over_the_cap_a_call_is_refused_and_nothing_runs(
    tmp_path: Path, marker: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_CLI_MODE", "sleep")
    async with Client(server(tmp_path, max_tasks=1)) as client:
        first = await call_tool_task(
            client, "execute_kubectl", {"command": "kubectl rollout status deploy/web"}
        )
        await until(lambda: runs(marker))
        second = await client.call_tool(
            "execute_kubectl",
            {"command": "kubectl wait --for=condition=Ready pod/web-1"},
            raise_on_error=False,
        )
        await first.cancel()
        await first.wait()
    assert second.structured_content is not None
    error = second.structured_content["error"]
    assert error["code"] == "unavailable"
    assert "1 background tasks are running" in error["message"]
    assert "K8S_MCP_MAX_TASKS" in error["message"]
    assert runs(marker) == 1


@pytest.mark.parametrize("allow", [True, False])
async def test_a_task_is_confirmed_before_it_exists(
    tmp_path: Path, marker: Path, allow: bool
) -> None:
    user = User(allow)
    async with Client(server(tmp_path, confirm="destructive"), elicitation_handler=user) as client:
        # The question comes back on the tools/call; the client answers and calls again, and
        # only that call creates the task (fastmcp's client does both, then polls it).
        result = await client.call_tool(
            "execute_helm", {"command": "helm uninstall shop -n shop --wait"}, raise_on_error=False
        )
    assert result.structured_content is not None
    assert len(user.questions) == 1
    assert "helm uninstall" in user.questions[0] and "Allow it?" in user.questions[0]
    (line,) = audited(tmp_path)
    if allow:
        assert result.structured_content["status"] == "success"
        assert runs(marker) == 1
        assert line["status"] == "success" and "task" in line
    else:
        assert result.structured_content["error"]["code"] == "policy_denied"
        assert "did not allow" in result.structured_content["error"]["message"]
        assert runs(marker) == 0
        assert line["decision"] == "refused" and "task" not in line


async def test_each_task_needs_its_own_approval(tmp_path: Path, marker: Path) -> None:
    user = User(True)
    async with Client(server(tmp_path, confirm="destructive"), elicitation_handler=user) as client:
        for _ in range(2):
            await client.call_tool("execute_helm", {"command": "helm uninstall shop --wait"})
    assert len(user.questions) == 2
    assert runs(marker) == 2


async def test_a_task_without_its_approval_asks_through_input_required(
    tmp_path: Path, marker: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An approval lost on the way (it lapsed, or the backend lost it) does not run the
    command: the task asks again, through its input_required status, and runs on the answer."""

    async def lost(ctx: Any, bound: str) -> None:
        return None

    monkeypatch.setattr("kube_ai_proxy.mcp.approvals.grant", lost)
    user = User(True)
    async with Client(server(tmp_path, confirm="destructive"), elicitation_handler=user) as client:
        await client.call_tool("execute_helm", {"command": "helm uninstall shop --wait"})
    assert len(user.questions) == 2
    assert runs(marker) == 1
    (line,) = audited(tmp_path)
    assert line["status"] == "success" and "task" in line


async def test_a_client_that_cannot_confirm_gets_no_task(tmp_path: Path, marker: Path) -> None:
    async with Client(server(tmp_path, confirm="destructive")) as client:  # no elicitation
        with pytest.raises(ToolError, match="did not run as a task"):
            await call_tool_task(
                client, "execute_helm", {"command": "helm uninstall shop -n shop --wait"}
            )
    assert runs(marker) == 0
    (line,) = audited(tmp_path)
    assert line["error_code"] == "policy_denied"
    assert "cannot ask for it" in line["reason"]


def test_tasks_are_offered_on_http_and_not_on_stdio_by_default() -> None:
    assert Settings(transport="streamable-http").tasks_on
    assert not Settings(transport="stdio").tasks_on
    assert Settings(transport="stdio", tasks="on").tasks_on
    assert not Settings(transport="streamable-http", tasks="off").tasks_on


def test_a_backend_that_is_not_memory_or_redis_is_refused() -> None:
    with pytest.raises(ValueError, match="neither memory:// nor"):
        Settings(tasks_backend="postgres://db/tasks")


def test_redis_with_authenticated_callers_needs_the_encryption_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = Settings(
        transport="streamable-http",
        auth_token=SecretStr("a-token-long-enough-for-the-server-0123456789"),
        tasks_backend="redis://127.0.0.1:6379/0",
    )
    monkeypatch.setattr(tasks_settings, "encryption_key", None)
    with pytest.raises(StartupError, match="Set FASTMCP_TASKS_ENCRYPTION_KEY"):
        create_server(settings)
    create_server(settings.model_copy(update={"tasks_backend": "memory://"}))
    create_server(settings.model_copy(update={"tasks": "off"}))
    monkeypatch.setattr(tasks_settings, "encryption_key", SecretStr("k" * 32))
    create_server(settings)  # builds: Redis is first reached when the server starts


async def test_the_engine_starts_with_the_first_task_and_stops_with_the_server(
    tmp_path: Path, marker: Path, slow: None
) -> None:
    """A backend in memory holds no task before this process makes one, so its engine (about
    20 MB of imports) is started by the first, not at start."""
    mcp = server(tmp_path)
    async with Client(mcp) as client:
        await client.call_tool("execute_kubectl", {"command": "kubectl get pods"})
        assert mcp._docket is None
        first, second = await asyncio.gather(
            *(
                call_tool_task(client, "execute_kubectl", {"command": f"kubectl wait pod/{name}"})
                for name in ("a", "b")
            )
        )
        assert mcp._docket is not None
        for task in (first, second):
            assert (await task.result()).structured_content["status"] == "success"
    assert mcp._docket is None
    assert runs(marker) == 3


def test_a_server_whose_clients_use_no_task_never_loads_the_engine(tmp_path: Path) -> None:
    """Checked in a process of its own: this one has loaded fastmcp-tasks for its clients."""
    script = """
import asyncio, sys
from fastmcp import Client
from kube_ai_proxy.config import Settings
from kube_ai_proxy.mcp.server import create_server

class PlainClient(Client):
    _auto_internal_extensions = False

async def main():
    settings = Settings(transport="streamable-http", tasks="on", rbac_preflight=False)
    async with PlainClient(create_server(settings)) as client:
        await client.list_tools()
        await client.call_tool("describe_kubectl", {})
    print(sorted(name for name in ("docket", "fastmcp_tasks", "redis") if name in sys.modules))

asyncio.run(main())
"""
    env = {**os.environ, "K8S_MCP_AUDIT_LOG": str(tmp_path / "audit.jsonl")}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[]"


class _AnyRequest(mcp_types.Request):  # type: ignore[type-arg]
    method: str
    params: dict[str, Any] | None = None


async def test_a_task_asked_about_before_any_was_made(tmp_path: Path) -> None:
    """tasks/get before the engine started: it starts, and answers as for any unknown id;
    params the engine's models refuse are invalid params, naming the field."""
    mcp = server(tmp_path)
    async with Client(mcp) as client:
        with pytest.raises(MCPError, match="Task no-such-task not found"):
            await client.session.send_request(
                _AnyRequest(method="tasks/get", params={"taskId": "no-such-task"}),
                mcp_types.Result,
            )
        with pytest.raises(MCPError, match="invalid params of tasks/get: taskId: Field required"):
            await client.session.send_request(
                _AnyRequest(method="tasks/get", params={"task": "x"}), mcp_types.Result
            )
