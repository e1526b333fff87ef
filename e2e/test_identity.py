"""Each person acts as themselves (docs/security.md, "Identity"), against a real identity
provider and the local control plane.

ory/hydra, built by the harness and run on loopback with TLS (e2e/harness/hydra.py), signs
the users in through an authorization-code flow with PKCE and issues JWT access tokens with
their groups. The server runs on streamable HTTP with that issuer and
K8S_MCP_IDENTITY=impersonate: RoleBindings give group team-a one namespace and team-b the
other, and each user sees their own RBAC in the answers, on the native path and the CLI's,
their own name from `kubectl auth whoami`, and their own name in both audit logs: the
server's and the API server's (`impersonatedUser`). With K8S_MCP_IDENTITY=passthrough and an
API server that trusts the provider, the same holds with a server that has no rights of its
own to lend. With K8S_MCP_ARGOCD_IDENTITY=caller, a real argocd-server trusting the provider
applies its RBAC to each caller's groups.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastmcp_tasks import ToolTask, call_tool_task
from mcp.shared.exceptions import MCPError

from e2e import argocd, mcp_server
from e2e.harness import Cluster
from e2e.harness.cache import CacheLayout
from e2e.harness.cluster import run_kubectl
from e2e.harness.hydra import IdentityProvider, identity_provider

AUDIENCE = "kube-ai-proxy"
SCOPES = ["openid", "mcp"]


@dataclass(frozen=True)
class Team:
    user: str
    group: str
    namespace: str


@pytest.fixture(scope="module")
def provider(cache_layout: CacheLayout) -> Iterator[IdentityProvider]:
    with identity_provider(cache_layout) as running:
        yield running


@pytest.fixture(scope="module")
def teams(cluster: Cluster) -> Iterator[tuple[Team, Team]]:
    """alice in team-a, who may edit namespace ident-a-*, and bob in team-b, who may read
    ident-b-*; each namespace holds a ConfigMap to read."""
    suffix = secrets.token_hex(3)
    a = Team("alice", "team-a", f"ident-a-{suffix}")
    b = Team("bob", "team-b", f"ident-b-{suffix}")
    for team, role in ((a, "edit"), (b, "view")):
        cluster.kubectl("create", "namespace", team.namespace)
        cluster.kubectl(
            "create", "configmap", f"{team.user}-notes", "-n", team.namespace, "--from-literal=k=v"
        )
        cluster.kubectl(
            "create",
            "rolebinding",
            f"{team.group}-{role}",
            f"--clusterrole={role}",
            f"--group=oidc:{team.group}",
            "-n",
            team.namespace,
        )
    yield a, b
    for team in (a, b):
        cluster.kubectl("delete", "namespace", team.namespace, "--wait=false", check=False)


@pytest.fixture
def oauth_env(server_env: dict[str, str], provider: IdentityProvider) -> dict[str, str]:
    """The server's settings: the provider as issuer, each caller impersonated."""
    return {
        **server_env,
        "K8S_MCP_OAUTH_ISSUER": provider.issuer,
        "K8S_MCP_OAUTH_AUDIENCE": AUDIENCE,
        "K8S_MCP_OAUTH_REQUIRED_SCOPES": "mcp",
        "K8S_MCP_OAUTH_CA_FILE": str(provider.ca_file),
        "K8S_MCP_OAUTH_USER_PREFIX": "oidc:",
        "K8S_MCP_OAUTH_GROUPS_PREFIX": "oidc:",
        "K8S_MCP_IDENTITY": "impersonate",
    }


@contextmanager
def _serving(env: dict[str, str], tmp_path: Path) -> Iterator[mcp_server.HttpServer]:
    try:
        with mcp_server.http_server(env, tmp_path / "http-server.log", oauth=True) as server:
            yield server
    except RuntimeError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture
def oauth_server(
    oauth_env: dict[str, str], tmp_path: Path
) -> Iterator[tuple[mcp_server.HttpServer, Path]]:
    audit = tmp_path / "audit.jsonl"
    with _serving({**oauth_env, "K8S_MCP_AUDIT_LOG": str(audit)}, tmp_path) as server:
        yield server, audit


async def _call(server: mcp_server.HttpServer, token: str, tool: str, command: str) -> Any:
    async with server.client(token=token) as client:
        raw = await client.call_tool(tool, {"command": command}, raise_on_error=False)
    assert raw.structured_content is not None, raw
    return raw.structured_content


def _token(provider: IdentityProvider, team: Team) -> str:
    return provider.token(team.user, [team.group], AUDIENCE, SCOPES)


async def _each_reads_only_their_own(
    server: mcp_server.HttpServer,
    provider: IdentityProvider,
    teams: tuple[Team, Team],
    native: bool,
) -> None:
    """alice reads her namespace and is refused bob's (rbac_denied, naming her), and the
    reverse."""
    for me, other in (teams, teams[::-1]):
        token = _token(provider, me)
        mine = await _call(
            server, token, "execute_kubectl", f"kubectl get configmaps -n {me.namespace}"
        )
        theirs = await _call(
            server, token, "execute_kubectl", f"kubectl get configmaps -n {other.namespace}"
        )
        assert mine["status"] == "success", mine
        assert f"{me.user}-notes" in mine["output"]
        assert mine["backend"] == ("native" if native else "cli")
        assert theirs["status"] == "error"
        assert theirs["error"]["code"] == "rbac_denied", theirs
        assert f"oidc:{me.user}" in theirs["error"]["message"]


@pytest.mark.parametrize("native", [True, False], ids=["native", "cli"])
async def test_each_user_reads_their_own_namespace_and_is_refused_the_other(
    oauth_env: dict[str, str],
    provider: IdentityProvider,
    teams: tuple[Team, Team],
    tmp_path: Path,
    native: bool,
) -> None:
    with _serving({**oauth_env, "K8S_MCP_NATIVE": str(native).lower()}, tmp_path) as server:
        await _each_reads_only_their_own(server, provider, teams, native)


async def test_without_the_preflight_the_api_server_refuses_the_caller(
    oauth_env: dict[str, str],
    provider: IdentityProvider,
    teams: tuple[Team, Team],
    tmp_path: Path,
) -> None:
    """The CLI itself runs as the caller (--as), not only the pre-flight."""
    alice, bob = teams
    env = {**oauth_env, "K8S_MCP_RBAC_PREFLIGHT": "false", "K8S_MCP_NATIVE": "false"}
    with _serving(env, tmp_path) as server:
        refused = await _call(
            server,
            _token(provider, alice),
            "execute_kubectl",
            f"kubectl delete configmap bob-notes -n {bob.namespace}",
        )
    assert refused["status"] == "error"
    assert refused["backend"] == "cli"
    assert 'User "oidc:alice" cannot delete resource "configmaps"' in refused["error"]["message"]


async def test_whoami_helm_and_both_audit_logs_name_the_caller(
    oauth_server: tuple[mcp_server.HttpServer, Path],
    provider: IdentityProvider,
    teams: tuple[Team, Team],
    cluster: Cluster,
) -> None:
    server, audit = oauth_server
    alice, bob = teams
    assert cluster.audit_log is not None, "the kwok harness enables the API server's audit log"
    already = cluster.audit_log.stat().st_size  # what earlier tests and runs left there
    token = _token(provider, alice)
    whoami = await _call(server, token, "execute_kubectl", "kubectl auth whoami -o json")
    helm_mine = await _call(server, token, "execute_helm", f"helm list -n {alice.namespace}")
    helm_theirs = await _call(
        server, _token(provider, bob), "execute_helm", f"helm list -n {alice.namespace}"
    )
    assert whoami["status"] == "success", whoami
    user_info = whoami["data"]["status"]["userInfo"]
    assert user_info["username"] == "oidc:alice"
    assert "oidc:team-a" in user_info["groups"]
    assert helm_mine["status"] == "success", helm_mine
    assert helm_theirs["error"]["code"] == "rbac_denied", helm_theirs

    entries = [json.loads(line) for line in audit.read_text().splitlines()]
    callers = [(e["tool"], e["caller"]["user"], e["caller"]["groups"]) for e in entries]
    assert callers == [
        ("kubectl", "oidc:alice", ["oidc:team-a"]),
        ("helm", "oidc:alice", ["oidc:team-a"]),
        ("helm", "oidc:bob", ["oidc:team-b"]),
    ]
    assert all(e["caller"]["token_id"] for e in entries)
    assert token not in audit.read_text()

    seen = set()  # (impersonated user, what was asked for)
    with cluster.audit_log.open() as api_audit:
        api_audit.seek(already)
        lines = api_audit.read().splitlines()
    for line in lines:
        event = json.loads(line)
        as_user = (event.get("impersonatedUser") or {}).get("username")
        uri = event.get("requestURI", "")
        if as_user and (alice.namespace in uri or "selfsubjectreviews" in uri):
            seen.add((as_user, event["objectRef"]["resource"]))
    # helm read the release Secrets as alice; bob was refused before anything ran (the
    # refusal asked the API server only who he is, to name him).
    assert seen == {
        ("oidc:alice", "secrets"),
        ("oidc:alice", "selfsubjectreviews"),
        ("oidc:bob", "selfsubjectreviews"),
    }


async def test_a_token_for_another_audience_is_refused(
    oauth_server: tuple[mcp_server.HttpServer, Path], provider: IdentityProvider
) -> None:
    server, audit = oauth_server
    other = provider.token("alice", ["team-a"], "another-service", SCOPES)
    async with httpx.AsyncClient() as http:
        response = await http.post(
            server.url,
            json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
            headers={"Authorization": f"Bearer {other}", "Accept": "application/json"},
        )
    assert response.status_code == 401
    assert "invalid_token" in response.headers["www-authenticate"]
    (entry,) = [json.loads(line) for line in audit.read_text().splitlines()]
    assert entry["event"] == "auth_refused"
    assert "audience" in entry["reason"]


def _token_kubeconfig(cluster: Cluster, token: str, path: Path) -> Path:
    """A kubeconfig for the cluster's API server whose only credential is `token` (the admin
    kubeconfig's client certificate would be authenticated first)."""
    admin = yaml.safe_load(cluster.kubeconfig.read_text())
    path.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "c", "cluster": admin["clusters"][0]["cluster"]}],
                "users": [{"name": "u", "user": {"token": token}}],
                "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
                "current-context": "c",
            }
        )
    )
    return path


@pytest.fixture(scope="module")
def trusting_cluster(
    cluster: Cluster, provider: IdentityProvider, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    """The API server trusts the provider's tokens (structured authentication configuration,
    which it reloads when the file changes): usernames and groups prefixed oidc:, as the
    server's impersonation names them."""
    if cluster.authentication_config is None:
        pytest.fail("passthrough needs the local control plane, whose API server the harness runs")
    original = cluster.authentication_config.read_text()
    issuer = {
        "url": provider.issuer,
        "certificateAuthority": provider.ca_file.read_text(),
        "audiences": [AUDIENCE],
    }
    mappings = {
        "username": {"claim": "sub", "prefix": "oidc:"},
        "groups": {"claim": "groups", "prefix": "oidc:"},
    }
    config = {**json.loads(original), "jwt": [{"issuer": issuer, "claimMappings": mappings}]}
    cluster.authentication_config.write_text(json.dumps(config, indent=2))
    probe = _token_kubeconfig(
        cluster,
        provider.token("probe", ["team-a"], AUDIENCE, SCOPES),
        tmp_path_factory.mktemp("passthrough") / "kubeconfig",
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            answer = run_kubectl(
                cluster.kubectl_path, probe, ["auth", "whoami"], check=False, timeout=30
            )
            if "oidc:probe" in answer.stdout:
                break
            if time.monotonic() > deadline:
                pytest.fail(
                    "the API server did not start trusting the identity provider within 120 s: "
                    f"{answer.stdout}{answer.stderr}"
                )
            time.sleep(2)
        yield cluster
    finally:
        cluster.authentication_config.write_text(original)


@pytest.mark.parametrize("native", [True, False], ids=["native", "cli"])
async def test_passthrough_needs_no_rights_of_the_servers_own(
    trusting_cluster: Cluster,
    oauth_env: dict[str, str],
    viewer_kubeconfig: Path,
    provider: IdentityProvider,
    teams: tuple[Team, Team],
    tmp_path: Path,
    native: bool,
) -> None:
    """The server's own kubeconfig is the viewer's, which may read one other namespace and
    impersonate no one: everything alice and bob can do comes from their own tokens."""
    env = {
        **oauth_env,
        "KUBECONFIG": str(viewer_kubeconfig),
        "K8S_MCP_IDENTITY": "passthrough",
        "K8S_MCP_NATIVE": str(native).lower(),
    }
    with _serving(env, tmp_path) as server:
        await _each_reads_only_their_own(server, provider, teams, native)
        for me in teams:
            token = _token(provider, me)
            whoami = await _call(server, token, "execute_kubectl", "kubectl auth whoami -o json")
            assert whoami["data"]["status"]["userInfo"]["username"] == f"oidc:{me.user}"


@pytest.fixture(scope="module")
def argocd_trusting_provider(
    cluster: Cluster, provider: IdentityProvider, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[argocd.ArgoCD]:
    """A real argocd-server whose OIDC configuration trusts the provider (audience: ours),
    with the seed applications, and RBAC that lets group team-a read and team-b nothing."""
    oidc = {
        "name": "e2e",
        "issuer": provider.issuer,
        "clientID": AUDIENCE,
        "rootCA": provider.ca_file.read_text(),
        "requestedScopes": SCOPES,
    }
    settings = {
        "argocd-cm": {"oidc.config": yaml.safe_dump(oidc)},
        "argocd-rbac-cm": {"policy.csv": "g, team-a, role:readonly\n", "policy.default": ""},
    }
    workdir = tmp_path_factory.mktemp("argocd-idp")
    with argocd.argocd_server(cluster, workdir, "e2e-argocd-idp", settings) as server:
        argocd.seed(cluster, server)
        yield server


async def test_argocd_sees_each_caller_with_their_own_token(
    argocd_trusting_provider: argocd.ArgoCD,
    oauth_env: dict[str, str],
    provider: IdentityProvider,
    teams: tuple[Team, Team],
    tmp_path: Path,
) -> None:
    """K8S_MCP_ARGOCD_IDENTITY=caller, with no Argo CD credentials of the server's own: the
    caller's token reaches Argo CD, whose RBAC lets alice's group read and bob's not."""
    alice, bob = teams
    server = argocd_trusting_provider
    env = {
        **oauth_env,
        **server.server_env(),
        "K8S_MCP_ARGOCD_IDENTITY": "caller",
    }
    env.pop("ARGOCD_AUTH_TOKEN", None)
    with _serving(env, tmp_path) as mcp:
        listed = await _call(mcp, _token(provider, alice), "execute_argocd", "argocd app list")
        guestbook = await _call(
            mcp, _token(provider, alice), "execute_argocd", "argocd app get guestbook"
        )
        bobs = await _call(mcp, _token(provider, bob), "execute_argocd", "argocd app list")
        bobs_get = await _call(
            mcp, _token(provider, bob), "execute_argocd", "argocd app get guestbook"
        )
    assert listed["status"] == "success", listed
    assert listed["backend"] == "native"
    assert "guestbook" in listed["output"]
    assert guestbook["status"] == "success", guestbook
    # Argo CD lists only what its RBAC lets the caller see, and refuses the rest.
    assert "guestbook" not in bobs["output"], bobs
    assert bobs_get["status"] == "error", bobs_get
    assert bobs_get["error"]["code"] in ("rbac_denied", "not_found"), bobs_get


async def test_one_caller_cannot_read_or_cancel_anothers_task(
    oauth_server: tuple[mcp_server.HttpServer, Path],
    provider: IdentityProvider,
    teams: tuple[Team, Team],
) -> None:
    """Tasks belong to their caller (docs/tasks.md): bob, with alice's task id, is told it does
    not exist, for reading it and for cancelling it; alice still has it."""
    server, _ = oauth_server
    alice, bob = teams
    # Waits until the ConfigMap is deleted, so the task is still working while bob tries.
    waiting = {
        "command": f"kubectl wait --for=delete configmap/{alice.user}-notes "
        f"-n {alice.namespace} --timeout=90s",
        "timeout": 100,
    }
    async with (
        server.client(token=_token(provider, alice)) as as_alice,
        server.client(token=_token(provider, bob)) as as_bob,
    ):
        task = await call_tool_task(as_alice, "execute_kubectl", waiting)
        stolen = ToolTask(as_bob, "execute_kubectl", task.create_result)
        for attempt in (stolen.status, stolen.cancel):
            with pytest.raises(MCPError, match=f"Task {task.task_id} not found"):
                await attempt()
        assert (await task.status()).status == "working"
        await task.cancel()
        assert (await task.wait()).status == "cancelled"
