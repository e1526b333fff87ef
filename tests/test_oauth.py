"""The HTTP transports as an OAuth resource server, and calls made as the caller.

The server runs as a subprocess on a loopback port with the fake CLIs (which print the argv
they were given); the issuer is tests/fakes/issuer.py, also on loopback. Every way a token
can be wrong is tried, and each refusal must be audited without the token.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastmcp import Client
from fastmcp.client.transports import StreamableHttpTransport
from joserfc.jwk import RSAKey
from pydantic import ValidationError

from kube_ai_proxy.config import Settings
from tests.fakes.issuer import AUDIENCE, Issuer, serve_issuer
from tests.fakes.json_server import json_server
from tests.fakes.server_process import SERVER, free_port, start, stop

REPO = Path(__file__).resolve().parent.parent
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "t", "version": "1"},
    },
}
HEADERS = {"Accept": "application/json, text/event-stream"}


@dataclass
class OAuthServer:
    url: str  # the MCP endpoint
    base: str
    issuer: Issuer
    audit: Path

    def audited(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.audit.read_text().splitlines()]

    def client(self, token: str) -> Client[StreamableHttpTransport]:
        transport = StreamableHttpTransport(self.url, headers={"Authorization": f"Bearer {token}"})
        return Client(transport, timeout=60)


def _oauth_env(issuer: Issuer, port: int, audit: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "K8S_MCP_TRANSPORT": "streamable-http",
        "K8S_MCP_PORT": str(port),
        "K8S_MCP_OAUTH_ISSUER": issuer.url,
        "K8S_MCP_OAUTH_AUDIENCE": AUDIENCE,
        "K8S_MCP_OAUTH_REQUIRED_SCOPES": "mcp",
        "K8S_MCP_OAUTH_USER_PREFIX": "oidc:",
        "K8S_MCP_OAUTH_GROUPS_PREFIX": "oidc:",
        "K8S_MCP_IDENTITY": "impersonate",
        "K8S_MCP_AUDIT_LOG": str(audit),
        "K8S_MCP_RBAC_PREFLIGHT": "false",
        "K8S_MCP_NATIVE": "false",
        **extra,
    }


@pytest.fixture(scope="module")
def issuer() -> Iterator[Issuer]:
    with serve_issuer() as running:
        yield running


@contextmanager
def _serving(issuer: Issuer, tmp_path: Path, **settings: str) -> Iterator[OAuthServer]:
    """The server with the issuer's settings and `settings`, until the block ends."""
    port = free_port()
    audit = tmp_path / "audit.jsonl"
    proc = start(_oauth_env(issuer, port, audit, **settings), port)
    base = f"http://127.0.0.1:{port}"
    try:
        yield OAuthServer(f"{base}/mcp", base, issuer, audit)
    finally:
        stop(proc)


@pytest.fixture
def server(fake_bin: Path, issuer: Issuer, tmp_path: Path) -> Iterator[OAuthServer]:
    with _serving(issuer, tmp_path) as running:
        yield running


async def test_the_protected_resource_metadata_names_the_issuer(server: OAuthServer) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{server.base}/.well-known/oauth-protected-resource/mcp")
    assert response.status_code == 200
    metadata = response.json()
    assert metadata["resource"] == server.url
    assert [url.rstrip("/") for url in metadata["authorization_servers"]] == [server.issuer.url]
    assert metadata["scopes_supported"] == ["mcp"]


async def test_a_request_without_a_token_is_told_where_to_get_one(server: OAuthServer) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.post(server.url, json=INITIALIZE, headers=HEADERS)
    assert response.status_code == 401
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith("Bearer ")
    assert (
        f'resource_metadata="{server.base}/.well-known/oauth-protected-resource/mcp"' in challenge
    )


def _refused_tokens(issuer: Issuer) -> dict[str, tuple[str, str]]:
    """Each wrong token, and the reason the audit log must give."""
    now = int(time.time())
    stranger = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    return {
        "expired": (issuer.token(exp=now - 60, iat=now - 700), "expired"),
        "other audience": (issuer.token(aud="another-service"), "audience 'another-service'"),
        "other issuer": (issuer.token(iss="https://evil.example"), "'https://evil.example'"),
        "bad signature": (issuer.token(key=stranger), "bad signature"),
        "alg none": (issuer.unsigned(), "signed with 'none'"),
        "hmac with the public key": (issuer.hmac_with_public_key(), "signed with 'HS256'"),
        "missing scope": (issuer.token(scope="other"), "missing the scopes mcp"),
        "no user": (issuer.token(sub=None), "no 'sub' claim"),
        "not a jwt": ("opaque-token-value", "not a JWT"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "expired",
        "other audience",
        "other issuer",
        "bad signature",
        "alg none",
        "hmac with the public key",
        "missing scope",
        "no user",
        "not a jwt",
    ],
)
async def test_a_wrong_token_is_refused_and_audited_without_its_value(
    server: OAuthServer, case: str
) -> None:
    token, reason = _refused_tokens(server.issuer)[case]
    async with httpx.AsyncClient() as http:
        response = await http.post(
            server.url, json=INITIALIZE, headers={**HEADERS, "Authorization": f"Bearer {token}"}
        )
    assert response.status_code in (401, 403)
    assert "invalid_token" in response.headers["www-authenticate"]
    text = server.audit.read_text()
    assert token not in text
    (entry,) = server.audited()
    assert entry["event"] == "auth_refused"
    assert reason in entry["reason"]


async def test_each_call_runs_as_its_caller(server: OAuthServer) -> None:
    alice = server.issuer.token("alice", groups=["team-a", "oncall"])
    bob = server.issuer.token("bob", groups=["team-b"], jti="bob-token-1")
    async with server.client(alice) as client:
        as_alice = await client.call_tool("execute_kubectl", {"command": "kubectl get pods -n a"})
    async with server.client(bob) as client:
        as_bob = await client.call_tool("execute_helm", {"command": "helm list -n b"})
    assert as_alice.structured_content is not None and as_bob.structured_content is not None
    assert as_alice.structured_content["data"]["argv"] == [
        "get",
        "--as=oidc:alice",
        "--as-group=oidc:team-a",
        "--as-group=oidc:oncall",
        "--namespace=a",
        "pods",
    ]
    assert as_bob.structured_content["data"]["argv"][:3] == [
        "list",
        "--kube-as-user=oidc:bob",
        "--kube-as-group=oidc:team-b",
    ]
    calls = [entry for entry in server.audited() if "tool" in entry]
    assert [entry["caller"]["user"] for entry in calls] == ["oidc:alice", "oidc:bob"]
    assert calls[0]["caller"]["groups"] == ["oidc:team-a", "oidc:oncall"]
    assert calls[1]["caller"]["token_id"] == "bob-token-1"
    assert calls[1]["caller"]["client_id"] == "e2e-client"
    assert alice not in server.audit.read_text()


async def test_the_model_still_cannot_pass_as_itself(server: OAuthServer) -> None:
    async with server.client(server.issuer.token("alice")) as client:
        raw = await client.call_tool(
            "execute_kubectl",
            {"command": "kubectl get pods --as=system:admin"},
            raise_on_error=False,
        )
    assert raw.structured_content is not None
    assert raw.structured_content["error"]["code"] == "policy_denied"


async def test_in_server_mode_the_caller_is_only_recorded(
    fake_bin: Path, issuer: Issuer, tmp_path: Path
) -> None:
    with _serving(issuer, tmp_path, K8S_MCP_IDENTITY="server") as server:
        async with server.client(issuer.token("carol")) as client:
            raw = await client.call_tool("execute_kubectl", {"command": "kubectl get pods"})
    assert raw.structured_content is not None
    assert raw.structured_content["data"]["argv"] == ["get", "pods"]
    (entry,) = server.audited()
    assert entry["caller"]["user"] == "oidc:carol"


def test_an_unreachable_issuer_stops_the_start_with_what_to_check(tmp_path: Path) -> None:
    port = free_port()
    env = _oauth_env(Issuer(f"http://127.0.0.1:{free_port()}"), port, tmp_path / "audit.jsonl")
    done = subprocess.run(SERVER, env=env, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "discovery document" in done.stderr
    assert "K8S_MCP_OAUTH_CA_FILE" in done.stderr


@pytest.mark.parametrize(
    ("settings", "says"),
    [
        (
            {"oauth_issuer": "https://idp.example", "oauth_audience": "a", "auth_token": "t"},
            "one or the other",
        ),
        ({"oauth_issuer": "https://idp.example"}, "K8S_MCP_OAUTH_AUDIENCE is required"),
        ({"identity": "impersonate"}, "set K8S_MCP_OAUTH_ISSUER"),
        (
            {"oauth_issuer": "https://idp.example", "oauth_audience": "a", "transport": "stdio"},
            "protects the HTTP transports",
        ),
        (
            {"oauth_issuer": "http://idp.example", "oauth_audience": "a"},
            "must be an https:// URL",
        ),
    ],
)
def test_settings_that_cannot_work_are_refused(settings: dict[str, Any], says: str) -> None:
    given = {"transport": "streamable-http", **settings}
    with pytest.raises(ValidationError) as refused:
        Settings(**given)
    assert says in str(refused.value)


def test_an_issuer_is_enough_to_serve_beyond_loopback() -> None:
    settings = Settings(
        transport="streamable-http",
        host="0.0.0.0",
        oauth_issuer="https://idp.example",
        oauth_audience="kube-ai-proxy",
    )
    assert settings.resource_url() == "http://0.0.0.0:8000"


async def test_passthrough_gives_the_cli_the_callers_token_alone(
    fake_bin: Path, issuer: Issuer, tmp_path: Path
) -> None:
    port = free_port()
    audit = tmp_path / "audit.jsonl"
    env = _oauth_env(
        issuer, port, audit, K8S_MCP_IDENTITY="passthrough", FAKE_CLI_MODE="kubeconfig"
    )
    proc = start(env, port)
    token = issuer.token("dave")
    try:
        server = OAuthServer(f"http://127.0.0.1:{port}/mcp", "", issuer, audit)
        async with server.client(token) as client:
            raw = await client.call_tool("execute_kubectl", {"command": "kubectl get pods"})
    finally:
        stop(proc)
    assert raw.structured_content is not None
    printed = raw.structured_content["data"]
    assert printed["argv"] == ["get", "pods"]  # no --as: the token is the identity
    kubeconfig = json.loads(printed["kubeconfig"])
    (user,) = kubeconfig["users"]
    assert user["user"] == {"token": token}
    assert kubeconfig["clusters"][0]["cluster"]["server"] == "https://127.0.0.1:9"
    assert "fast-suite" not in printed["kubeconfig"]  # the server's own token stays
    assert not await asyncio.to_thread(os.path.exists, printed["path"])  # removed after
    assert token not in audit.read_text()


async def _refusal(server: OAuthServer, token: str, calls: int) -> str | None:
    """The rate-limit error of the first of `calls` calls (or of the handshake before them)
    that was refused; None: none was."""
    try:
        async with server.client(token) as client:
            for _ in range(calls):
                await client.call_tool("execute_kubectl", {"command": "kubectl get pods"})
    except Exception as exc:  # the client raises the server's rate-limit error
        return str(exc)
    return None


async def test_the_rate_limit_is_per_caller(fake_bin: Path, issuer: Issuer, tmp_path: Path) -> None:
    with _serving(issuer, tmp_path, K8S_MCP_RATE_LIMIT="2") as server:
        alice = await _refusal(server, issuer.token("alice"), calls=20)
        bob = await _refusal(server, issuer.token("bob"), calls=1)
    assert alice is not None and "rate limit exceeded for client: alice" in alice.lower()
    assert bob is None  # Alice's bucket is empty; Bob's is not


async def test_the_total_rate_limit_is_a_ceiling_over_all_callers(
    fake_bin: Path, issuer: Issuer, tmp_path: Path
) -> None:
    with _serving(issuer, tmp_path, K8S_MCP_RATE_LIMIT_TOTAL="2") as server:
        # Each caller makes one call (and the handshake): together they go over.
        crowd = [await _refusal(server, issuer.token(f"user{n}"), calls=1) for n in range(20)]
    refused = [message for message in crowd if message is not None]
    assert refused, crowd
    assert all("global rate limit exceeded" in message.lower() for message in refused)


@pytest.fixture
def argocd_api() -> Iterator[tuple[str, list[str]]]:
    """An Argo CD API stand-in on loopback that lists no applications and records the
    Authorization header of every request."""
    seen: list[str] = []

    def answer(path: str, headers: Message) -> tuple[int, Any]:
        seen.append(headers.get("Authorization", ""))
        return 200, {"items": [], "metadata": {}}

    with json_server(answer) as url:
        yield url, seen


@pytest.mark.parametrize("identity", ["caller", "server"])
async def test_argocd_sees_the_caller_when_told_to(
    fake_bin: Path,
    issuer: Issuer,
    tmp_path: Path,
    argocd_api: tuple[str, list[str]],
    identity: str,
) -> None:
    url, seen = argocd_api
    token = issuer.token("erin")
    expected = token if identity == "caller" else "the-servers-argocd-token"
    base = _oauth_env(issuer, free_port(), tmp_path / "audit.jsonl")
    settings = {
        "ARGOCD_SERVER": url,
        "ARGOCD_AUTH_TOKEN": "the-servers-argocd-token",
        "K8S_MCP_ARGOCD_IDENTITY": identity,
    }
    answers = {}
    for native in ("true", "false"):
        port = free_port()
        env = {**base, **settings, "K8S_MCP_PORT": str(port), "K8S_MCP_NATIVE": native}
        proc = start(env, port)
        try:
            server = OAuthServer(f"http://127.0.0.1:{port}/mcp", "", issuer, tmp_path / "a")
            async with server.client(token) as client:
                raw = await client.call_tool("execute_argocd", {"command": "argocd app list"})
            answers[native] = raw.structured_content
        finally:
            stop(proc)
    assert answers["true"] is not None and answers["true"]["backend"] == "native"
    # The API request of the native answer, then the CLI's run, during which Argo CD is
    # probed (reachability.py) with no token at all.
    assert seen == [f"Bearer {expected}", ""]
    cli = answers["false"]
    assert cli is not None and cli["backend"] == "cli"
    assert cli["data"]["env"]["ARGOCD_AUTH_TOKEN"] == expected
