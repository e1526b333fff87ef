"""K8S_MCP_CONFIRM: a destructive command runs only after the client's user allowed it, in both
protocol eras (a server-to-client elicitation, and the 2026-07-28 InputRequiredResult retry),
and a client that cannot ask is refused. The fake CLIs record every run in a marker file, so
each test sees whether anything ran."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastmcp import Client

from kube_ai_proxy.config import Settings, env_name
from kube_ai_proxy.judge.confirmation import binding, needs_confirmation
from kube_ai_proxy.judge.policy import policy_for
from kube_ai_proxy.mcp.server import create_server
from kube_ai_proxy.parse.clispec import CliSpecs
from kube_ai_proxy.parse.command import parse_command
from tests.fakes.asking import User, runs


@pytest.fixture
def marker(tmp_path: Path, fake_bin: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "ran"
    monkeypatch.setenv("FAKE_CLI_MARKER", str(path))
    return path


def server(**settings: Any) -> Any:
    return create_server(
        Settings(**{"rbac_preflight": False, "native": False, "confirm": "destructive", **settings})
    )


async def execute(client: Client[Any], command: str, **extra: Any) -> dict[str, Any]:
    raw = await client.call_tool(
        "execute_kubectl", {"command": command, **extra}, raise_on_error=False
    )
    result: dict[str, Any] = raw.structured_content or {}
    return result


@pytest.mark.parametrize("mode", ["auto", "legacy"])  # 2026-07-28 retry; handshake elicitation
async def test_runs_only_after_the_user_allowed_it(marker: Path, mode: Any) -> None:
    user = User(allow=True)
    async with Client(server(), elicitation_handler=user, mode=mode) as client:
        result = await execute(client, "kubectl delete pod web-1 -n shop")
    assert result["status"] == "success", result
    assert runs(marker) == 1
    assert len(user.questions) == 1
    assert "    kubectl delete --namespace=shop pod web-1\n" in user.questions[0]
    assert "Allow it?" in user.questions[0]


@pytest.mark.parametrize("mode", ["auto", "legacy"])
@pytest.mark.parametrize("allow", [False, None], ids=["declined", "dismissed"])
async def test_nothing_runs_when_the_user_says_no(
    marker: Path, mode: Any, allow: bool | None, tmp_path: Path
) -> None:
    audit = tmp_path / "audit.jsonl"
    user = User(allow=allow)
    async with Client(server(audit_log=str(audit)), elicitation_handler=user, mode=mode) as client:
        result = await execute(client, "kubectl delete pod web-1 -n shop")
    assert runs(marker) == 0
    assert result["status"] == "error"
    assert result["error"]["code"] == "policy_denied"
    assert "did not allow" in result["error"]["message"]
    assert "nothing was run" in result["error"]["message"]
    assert result["backend"] is None and result["exit_code"] is None
    # One audit line: the call as finally answered (the asking round is not a call's end).
    lines = [json.loads(line) for line in audit.read_text().splitlines()]
    assert [line["decision"] for line in lines] == ["refused"]


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_a_client_that_cannot_ask_is_refused(marker: Path, mode: Any) -> None:
    async with Client(server(), mode=mode) as client:  # no elicitation handler
        result = await execute(client, "kubectl delete pod web-1 -n shop")
    assert runs(marker) == 0
    assert result["error"]["code"] == "policy_denied"
    assert "cannot ask" in result["error"]["message"]
    assert "K8S_MCP_CONFIRM=destructive" in result["error"]["message"]


async def test_reads_and_dry_runs_are_not_asked_about(marker: Path) -> None:
    user = User(allow=False)
    async with Client(server(), elicitation_handler=user) as client:
        for command in (
            "kubectl get pods -n shop",
            "kubectl delete pod web-1 -n shop --dry-run=server",
            "kubectl scale deploy/web --replicas=2 -n shop",  # a change, not destructive
        ):
            result = await execute(client, command)
            assert result["status"] == "success", (command, result)
    assert user.questions == []
    assert runs(marker) == 3


async def test_writes_mode_asks_before_every_change(marker: Path) -> None:
    user = User(allow=False)
    async with Client(server(confirm="writes"), elicitation_handler=user) as client:
        scaled = await execute(client, "kubectl scale deploy/web --replicas=2 -n shop")
        listed = await execute(client, "kubectl get pods -n shop")
    assert scaled["error"]["code"] == "policy_denied"
    assert listed["status"] == "success"
    assert len(user.questions) == 1
    assert runs(marker) == 1


async def test_confirmation_is_off_by_default(marker: Path) -> None:
    async with Client(server(confirm="none")) as client:
        result = await execute(client, "kubectl delete pod web-1 -n shop")
    assert result["status"] == "success", result
    assert runs(marker) == 1


async def test_policy_refuses_before_anyone_is_asked(marker: Path) -> None:
    user = User(allow=True)
    async with Client(server(access="read-only"), elicitation_handler=user) as client:
        result = await execute(client, "kubectl delete pod web-1 -n shop")
    assert result["error"]["code"] == "policy_denied"
    assert user.questions == []
    assert runs(marker) == 0


def test_an_answer_binds_to_its_command() -> None:
    first = binding("kubectl", "delete pod a", None, None)
    assert first == binding("kubectl", "delete pod a", None, None)
    assert first != binding("kubectl", "delete pod b", None, None)
    assert first != binding("kubectl", "delete pod a", "apiVersion: v1", None)
    assert first != binding("kubectl", "delete pod a", None, "prod")
    assert first != binding("helm", "delete pod a", None, None)


@pytest.mark.parametrize(
    ("tool", "words", "asked"),
    [
        ("kubectl", "delete pod a", True),
        ("kubectl", "rollout undo deploy/web", True),
        ("kubectl", "rollout restart deploy/web", False),
        ("kubectl", "apply -f -", False),
        ("kubectl", "delete pod a --dry-run", False),
        ("kubectl", "delete pod a --dry-run=none", True),
        ("helm", "uninstall web", True),
        ("helm", "rollback web 1", True),
        ("helm", "uninstall web --dry-run", False),
        ("helm", "upgrade web ./chart", False),
        ("argocd", "app sync web", True),
        ("argocd", "app sync web --dry-run", False),
        ("argocd", "app delete web", True),
        ("argocd", "app set web --revision v2", False),
        ("istioctl", "uninstall --purge", True),
    ],
)
def test_what_destructive_mode_asks_about(tool: str, words: str, asked: bool) -> None:
    command = parse_command(CliSpecs()[tool], words.split())  # type: ignore[index]
    settings = Settings(access="admin")
    policy = policy_for(settings)
    level = policy.target(policy.scope(command), None).level
    assert needs_confirmation("destructive", command, level) is asked


def test_every_setting_is_documented() -> None:
    docs = (Path(__file__).parent.parent / "docs" / "configuration.md").read_text()
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    for field in Settings.model_fields:
        assert f"`{env_name(field)}`" in docs, f"{env_name(field)} is not in docs/configuration.md"
        assert env_name(field) in readme, f"{env_name(field)} is not in README.md"
