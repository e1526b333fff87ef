"""Several Argo CD instances (K8S_MCP_ARGOCD_INSTANCES): the file read at start with every
mistake refused, and each call given one instance's address, TLS and token together, on the
native path and in the CLI's environment, whatever the command tries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import certifi
import httpx
import pytest
from fastmcp import Client
from pydantic import ValidationError

from adapters.argocd import ArgoCD
from kube_ai_proxy.argocd_instances import load_instances
from kube_ai_proxy.backends import Backends, BackendsFactory
from kube_ai_proxy.config import Settings
from kube_ai_proxy.errors import StartupError
from kube_ai_proxy.mcp.server import create_server

INSTANCES = """\
default: prod
instances:
  prod:
    server: cd-prod.example.com
    tokenFile: {token_file}
  staging:
    server: https://cd-staging.example.com:8443
    tokenEnv: STAGING_ARGOCD_TOKEN
    caFile: {ca_file}
"""
PROD_TOKEN = "prod-token-0123"
STAGING_TOKEN = "staging-token-4567"


@pytest.fixture
def instances_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    token_file = tmp_path / "prod-token"
    token_file.write_text(PROD_TOKEN + "\n")
    monkeypatch.setenv("STAGING_ARGOCD_TOKEN", STAGING_TOKEN)
    path = tmp_path / "argocd.yaml"
    # Any PEM bundle will do: the answers are replayed.
    path.write_text(INSTANCES.format(token_file=token_file, ca_file=certifi.where()))
    return path


def test_the_file_is_read_with_its_tokens(instances_file: Path) -> None:
    instances = load_instances(str(instances_file), Settings())
    assert instances.named == ["prod", "staging"]
    assert instances.default == "prod"
    prod = instances.config(None)
    staging = instances.config("staging")
    assert prod is not None and staging is not None
    assert (prod.server, prod.token) == ("cd-prod.example.com", PROD_TOKEN)
    assert (staging.server, staging.token) == ("https://cd-staging.example.com:8443", STAGING_TOKEN)
    assert staging.ca_file == certifi.where()


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("instances: {}\n", "names no instances"),
        ("instances:\n  Prod:\n    server: a\n    tokenEnv: HOME\n", "not an instance name"),
        ("instances:\n  a:\n    server: a\n", "has no token"),
        ("instances:\n  a:\n    server: a\n    tokenEnv: NOT_SET_ANYWHERE\n", "is not set"),
        ("instances:\n  a:\n    server: a\n    tokenFile: /nonexistent/t\n", "cannot be read"),
        (
            "instances:\n  a:\n    server: a\n    tokenEnv: HOME\n    tokenFile: /x\n",
            "both tokenFile and tokenEnv",
        ),
        ("instances:\n  a:\n    server: a\n    token: inline\n", "instances.a.token"),
        ("default: b\ninstances:\n  a:\n    server: a\n    tokenEnv: HOME\n", "default 'b'"),
        ("instances: [a, b]\n", "not an Argo CD instances file"),
        ("instances: {a: [\n", "is not YAML"),
    ],
)
def test_a_file_that_cannot_serve_stops_the_start(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "argocd.yaml"
    path.write_text(text)
    with pytest.raises(StartupError) as caught:
        create_server(Settings(argocd_instances=str(path)))
    assert words in str(caught.value)


@pytest.mark.parametrize(
    ("setting", "value", "name"),
    [
        ("argocd_server", "cd.example.com", "ARGOCD_SERVER"),
        ("argocd_auth_token", "t", "ARGOCD_AUTH_TOKEN"),
        ("argocd_username", "admin", "ARGOCD_USERNAME"),
        ("argocd_ca_file", "/etc/ca.pem", "ARGOCD_CA_FILE"),
        ("argocd_insecure", True, "ARGOCD_INSECURE"),
    ],
)
def test_not_together_with_the_single_server_settings(
    instances_file: Path, setting: str, value: Any, name: str
) -> None:
    """They would apply to no instance, or be mistaken for one's."""
    with pytest.raises(ValidationError, match=f"K8S_MCP_ARGOCD_INSTANCES and {name} are one"):
        Settings(**{"argocd_instances": str(instances_file), setting: value})


def routed(asked: list[tuple[str, str]]) -> BackendsFactory:
    """Backends whose Argo CD clients record which server was asked with which token."""

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append((request.url.host, request.headers["authorization"]))
        return httpx.Response(200, json={"items": []})

    def backends(settings: Settings) -> Backends:
        return Backends(
            settings,
            connect_argocd=lambda config: ArgoCD(config, transport=httpx.MockTransport(answer)),
        )

    return backends


async def call(client: Client[Any], command: str, **arguments: Any) -> dict[str, Any]:
    raw = await client.call_tool(
        "execute_argocd", {"command": command, **arguments}, raise_on_error=False
    )
    return raw.structured_content or {}


async def test_each_call_goes_to_its_instance_with_its_token(instances_file: Path) -> None:
    asked: list[tuple[str, str]] = []
    settings = Settings(rbac_preflight=False, argocd_instances=str(instances_file))
    async with Client(create_server(settings, routed(asked))) as client:
        default = await call(client, "argocd app list")
        flagged = await call(client, "argocd app list --argocd-context staging")
        argument = await call(client, "argocd proj list", context="staging")
        unknown = await call(client, "argocd app list --argocd-context dev")
        clash = await call(client, "argocd app list --argocd-context prod", context="staging")
        tools = {tool.name: tool for tool in await client.list_tools()}
    for result in (default, flagged, argument):
        assert result["status"] == "success", result
        assert result["backend"] == "native"
    assert asked == [
        ("cd-prod.example.com", f"Bearer {PROD_TOKEN}"),
        ("cd-staging.example.com", f"Bearer {STAGING_TOKEN}"),
        ("cd-staging.example.com", f"Bearer {STAGING_TOKEN}"),
    ]
    assert unknown["error"]["code"] == "invalid_command"
    assert "the instances are prod, staging" in unknown["error"]["message"]
    assert clash["error"]["code"] == "invalid_command"
    context = tools["execute_argocd"].input_schema["properties"]["context"]
    assert "one of prod, staging; default: prod" in json.dumps(context)


async def test_the_cli_gets_the_instance_in_its_environment_only(
    instances_file: Path, fake_bin: Path, monkeypatch: pytest.MonkeyPatch, argocd_answers: None
) -> None:
    settings = Settings(rbac_preflight=False, native=False, argocd_instances=str(instances_file))
    # A token in the server's own environment (set after the settings were read, which refuse
    # it beside an instances file) must not reach a call to an instance.
    monkeypatch.setenv("ARGOCD_AUTH_TOKEN", "leaked-token")
    async with Client(create_server(settings)) as client:
        synced = await call(client, "argocd app sync shop --argocd-context staging")
        default = await call(client, "argocd app sync shop")
    staging = synced["data"]
    assert staging["argv"] == ["app", "sync", "shop"]  # the flag is not the CLI's
    assert staging["env"]["ARGOCD_SERVER"] == "cd-staging.example.com:8443"
    assert staging["env"]["ARGOCD_AUTH_TOKEN"] == STAGING_TOKEN
    assert f"--server-crt={certifi.where()}" in staging["env"]["ARGOCD_OPTS"]
    prod = default["data"]
    assert prod["env"]["ARGOCD_SERVER"] == "cd-prod.example.com"
    assert prod["env"]["ARGOCD_AUTH_TOKEN"] == PROD_TOKEN
    # The command as results and the audit show it names the instance.
    assert synced["command"] == "argocd app sync --argocd-context=staging shop"


async def test_a_server_or_token_in_the_command_stays_refused(instances_file: Path) -> None:
    settings = Settings(rbac_preflight=False, argocd_instances=str(instances_file))
    async with Client(create_server(settings, routed([]))) as client:
        for command in (
            "argocd app list --argocd-context staging --server cd-prod.example.com",
            "argocd app list --argocd-context staging --auth-token x",
        ):
            refused = await call(client, command)
            assert refused["error"]["code"] == "policy_denied", (command, refused)


async def test_the_confirmation_names_the_instance(instances_file: Path, fake_bin: Path) -> None:
    """The CLI's line does not carry the instance, so the question says which one."""
    asked: list[str] = []

    async def user(message: str, response_type: Any, params: Any, context: Any) -> Any:
        asked.append(message)
        return response_type(value=False)

    settings = Settings(
        rbac_preflight=False,
        native=False,
        confirm="destructive",
        argocd_instances=str(instances_file),
    )
    async with Client(create_server(settings), elicitation_handler=user) as client:
        named = await call(client, "argocd app delete shop --argocd-context staging -y")
        default = await call(client, "argocd app delete shop -y")
    assert named["error"]["code"] == default["error"]["code"] == "policy_denied"
    assert "argocd app delete --yes shop" in asked[0]
    assert "against Argo CD instance staging." in asked[0]
    assert "against Argo CD instance prod." in asked[1]
