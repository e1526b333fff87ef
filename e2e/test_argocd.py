"""argocd against a real Argo CD API server (e2e/argocd.py): native reads equal to the real
argocd CLI, writes through the CLI, credentials never returned, a large list bounded, TLS, and
the refusals.

The server runs with authentication on; kube-ai-proxy reaches it with the API key of a
read-only account (or the admin's session token where a test writes) and trusts its CA through
ARGOCD_CA_FILE. The reference is the built argocd CLI run directly against the same server.
What this server cannot serve without redis, a repo-server and an application controller
(resource trees, managed resources, hence `app resources` and `app manifests`) is tested for
what it does here: both paths fail the same way.

`python -m tests.data.argocd_record` records these commands for the fast tests.
"""

from __future__ import annotations

import asyncio
import json
import re
import shlex
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from fastmcp import Client
from fastmcp.client.transports import StdioTransport

from e2e import mcp_server
from e2e.argocd import REPO_URL, ArgoCD, argocd_server, seed
from e2e.harness import CacheLayout, Cluster, HarnessError
from e2e.harness.toxiproxy import toxiproxy
from kube_ai_proxy.native.argocd import app_summary

pytestmark = pytest.mark.asyncio(loop_scope="module")

# Native reads whose text must be the CLI's, byte for byte ({ns}: Argo CD's namespace).
COMMANDS = [
    "argocd app list",
    "argocd app list -o wide",
    "argocd app list --output=",
    "argocd app list -o json",
    "argocd app list -o yaml",
    "argocd app list -o name",
    "argocd app list -p team-a",
    "argocd app list -p team-a -p default -o name",
    "argocd app list -p nothing -o json",
    "argocd app list -l tier=backend",
    "argocd app list -l 'team in (a),tier!=backend'",
    f"argocd app list -r {REPO_URL}",
    "argocd app list -c in-cluster",
    "argocd app list -P billing -o yaml",
    "argocd app list -N {ns}",
    "argocd app get billing",
    "argocd app get billing -o json",
    "argocd app get billing -o yaml",
    "argocd app get {ns}/reports",
    "argocd app get reports -N {ns}",
    "argocd app get guestbook",
    "argocd app history billing",
    "argocd app history reports",
    "argocd app history billing -o id",
    "argocd app history guestbook",
    "argocd proj list",
    "argocd proj list -o json",
    "argocd proj list -o yaml",
    "argocd proj list -o name",
    "argocd proj get team-a",
    "argocd proj get default",
    "argocd proj get team-a -o json",
    "argocd proj get windows -o yaml",
    "argocd cluster list",
    "argocd cluster list -o server",
    "argocd cluster list -o json",
    "argocd cluster list -o yaml",
    "argocd repo list",
    "argocd repo list -o url",
    "argocd repo list -o json",
    "argocd repo list -o yaml",
    "argocd version",
    "argocd version --short",
    "argocd version -o short",
    "argocd version -o json",
    "argocd version -o yaml --short",
    "argocd version --client",
]

# Reads that fail on this server, natively as with the CLI: (command, error code, in message)
FAILURES = [
    ("argocd app get nope", "rbac_denied", "permission denied"),
    ("argocd app history nope", "rbac_denied", "permission denied"),
    ("argocd proj get nope", "not_found", 'appproject.argoproj.io "nope" not found'),
    # No redis: Argo CD cannot read the cached resource tree or managed resources.
    ("argocd app resources billing", "api_error", "error getting cached app resource tree"),
    ("argocd app manifests billing", "api_error", "error getting cached app managed resources"),
]

# Reads the native path leaves to the CLI: a project with sync windows, flags it does not print.
DEFERRED = [
    "argocd app get scheduled",
    "argocd app get billing --show-operation",
    "argocd app resources billing --output tree",
    "argocd app list --loglevel info",
]

# Connection state is tried again for each request: its time may differ between two reads.
_ATTEMPTED = re.compile(r'("attemptedAt": |attemptedAt: )"[^"]*"')


def normalized(text: str) -> str:
    return _ATTEMPTED.sub(r'\1"<time>"', text)


def words(command: str, namespace: str) -> list[str]:
    return shlex.split(command.format(ns=namespace))[1:]


@pytest.fixture(scope="module")
def argocd(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ArgoCD]:
    try:
        with argocd_server(cluster, tmp_path_factory.mktemp("argocd")) as server:
            seed(cluster, server)
            yield server
    except HarnessError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(scope="module")
def argocd_env(base_server_env: dict[str, str], argocd: ArgoCD) -> dict[str, str]:
    """kube-ai-proxy's environment for this Argo CD: the read-only API key, the CA file."""
    return {**base_server_env, **argocd.server_env(), "HOME": str(argocd.log.parent)}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def reader(argocd_env: dict[str, str]) -> AsyncIterator[Client[StdioTransport]]:
    async with mcp_server.stdio_client(argocd_env) as connected:
        yield connected


async def call(client: Client[Any], command: str, **arguments: Any) -> dict[str, Any]:
    raw = await client.call_tool(
        "execute_argocd", {"command": command, **arguments}, raise_on_error=False
    )
    result: dict[str, Any] = raw.structured_content or {}
    return result


def cli_json(argocd: ArgoCD, *args: str) -> Any:
    done = argocd.cli(*args, "-o", "json", token=argocd.readonly_token)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("template", COMMANDS)
async def test_native_text_is_the_clis(
    reader: Client[StdioTransport], argocd: ArgoCD, template: str
) -> None:
    command = template.format(ns=argocd.namespace)
    result = await call(reader, command)
    real = argocd.cli(*words(template, argocd.namespace), token=argocd.readonly_token)
    assert real.returncode == 0, real.stderr
    assert result["backend"] == "native", result
    assert result["status"] == "success", result
    assert normalized(result["output"]) == normalized(real.stdout)
    assert result["data"] is not None


async def test_data_is_what_the_cli_reads(reader: Client[StdioTransport], argocd: ArgoCD) -> None:
    """`data` holds the objects of `argocd ... -o json`; a list of applications, a summary of
    each."""
    apps = cli_json(argocd, "app", "list")
    listed = await call(reader, "argocd app list")
    assert listed["data"] == {"apps": [app_summary(app) for app in apps]}
    billing = next(app for app in apps if app["metadata"]["name"] == "billing")
    summary = listed["data"]["apps"][apps.index(billing)]
    assert summary["project"] == "team-a"
    assert summary["sync"] == "OutOfSync"
    assert summary["health"] == "Progressing"
    assert summary["repo"] == REPO_URL
    assert summary["path"] == "billing"
    assert summary["targetRevision"] == "main"
    assert summary["destination"]["namespace"] == "team-a"
    assert "spec" not in summary and "status" not in summary

    got = await call(reader, "argocd app get billing")
    assert got["data"] == cli_json(argocd, "app", "get", "billing")
    history = await call(reader, "argocd app history billing")
    assert history["data"] == {"history": billing["status"]["history"]}
    projects = await call(reader, "argocd proj list")
    assert projects["data"] == {"items": cli_json(argocd, "proj", "list")}
    project = await call(reader, "argocd proj get team-a -o json")
    assert project["data"] == cli_json(argocd, "proj", "get", "team-a")
    repos = await call(reader, "argocd repo list")
    clusters = await call(reader, "argocd cluster list")
    for result, real in (
        (repos, cli_json(argocd, "repo", "list")),
        (clusters, cli_json(argocd, "cluster", "list")),
    ):
        assert normalized(json.dumps(result["data"], indent=2)) == normalized(
            json.dumps({"items": real}, indent=2)
        )


@pytest.mark.parametrize(("command", "code", "message"), FAILURES)
async def test_failures_are_argo_cds(
    reader: Client[StdioTransport], argocd: ArgoCD, command: str, code: str, message: str
) -> None:
    result = await call(reader, command)
    real = argocd.cli(*words(command, argocd.namespace), token=argocd.readonly_token)
    assert real.returncode == 20
    # The CLI logs its fatal error as JSON: {"level": "fatal", "msg": ...}
    assert message in json.loads(real.stderr.splitlines()[-1])["msg"]
    assert result["backend"] == "native", result
    assert result["status"] == "error"
    assert result["exit_code"] == 20
    assert result["error"]["code"] == code
    assert message in result["error"]["message"]


@pytest.mark.parametrize("command", DEFERRED)
async def test_what_native_does_not_print_runs_the_cli(
    reader: Client[StdioTransport], argocd: ArgoCD, command: str
) -> None:
    result = await call(reader, command)
    real = argocd.cli(*words(command, argocd.namespace), token=argocd.readonly_token)
    assert result["backend"] == "cli", result
    assert result["exit_code"] == real.returncode
    if real.returncode == 0:
        assert result["output"] == real.stdout


async def test_writes_go_through_the_cli(argocd_env: dict[str, str], argocd: ArgoCD) -> None:
    """app create / set / delete run the real argocd with the server's token; the read-only
    key is refused by Argo CD itself, and read-only access refuses before anything runs."""
    create = (
        f"argocd app create e2e-write --repo {REPO_URL} --path write --dest-namespace default "
        "--dest-server https://kubernetes.default.svc --validate=false --label made-by=e2e"
    )
    async with mcp_server.stdio_client(argocd_env) as client:
        denied = await call(client, create)
    assert denied["backend"] == "cli"
    assert denied["status"] == "error"
    assert "permission denied" in denied["error"]["message"]

    admin_env = {**argocd_env, **argocd.server_env(argocd.admin_token)}
    async with mcp_server.stdio_client(admin_env) as client:
        made = await call(client, create)
        assert made["backend"] == "cli", made
        assert made["status"] == "success", made
        assert "application 'e2e-write' created" in made["output"]
        changed = await call(client, "argocd app set e2e-write --revision v2 --validate=false")
        assert changed["status"] == "success", changed
        got = await call(client, "argocd app get e2e-write -o json")
        assert got["backend"] == "native"
        assert got["data"]["spec"]["source"]["targetRevision"] == "v2"
        assert got["data"]["metadata"]["labels"] == {"made-by": "e2e"}
        # Without a controller a cascading delete would wait for it forever.
        deleted = await call(client, "argocd app delete e2e-write --cascade=false -y")
        assert deleted["status"] == "success", deleted
        gone = await call(client, "argocd app get e2e-write")
        assert gone["error"]["code"] == "rbac_denied"

    read_only = {**admin_env, "K8S_MCP_ACCESS": "read-only"}
    async with mcp_server.stdio_client(read_only) as client:
        refused = await call(client, create)
    assert refused["status"] == "error"
    assert refused["error"]["code"] == "policy_denied"
    assert refused["backend"] is None


REFUSALS = [
    "argocd login 127.0.0.1:1 --username admin --password x",
    "argocd logout 127.0.0.1:1",
    "argocd relogin",
    "argocd account generate-token",
    "argocd admin dashboard",
    "argocd admin settings rbac can admin get applications",
    "argocd cluster add kind-kind",
    "argocd app list --server 127.0.0.1:1",
    "argocd app list --auth-token abc",
    "argocd app list --config /tmp/argocd-config",
    "argocd app list --header Authorization:x",
    "argocd app list --core",
    "argocd app list --plaintext",
    "argocd app list --insecure",
    "argocd app list --argocd-context other",
    "argocd app list --port-forward",
    "argocd context",
    "argocd app edit billing",
]


async def test_refusals(argocd_env: dict[str, str], tmp_path: Path) -> None:
    env = {**argocd_env, "K8S_MCP_ACCESS": "admin"}
    async with mcp_server.stdio_client(env) as client:
        for command in REFUSALS:
            result = await call(client, command)
            assert result["status"] == "error", command
            assert result["error"]["code"] == "policy_denied", (command, result)
            assert result["backend"] is None, command


async def test_credentials_never_come_back(
    argocd_env: dict[str, str], argocd: ArgoCD, tmp_path: Path
) -> None:
    """Not in any result, the audit log or the server's own output, whichever path answers,
    whether the call succeeds or fails; the password of a username/password login neither."""
    password = argocd.admin_password
    audit = tmp_path / "audit.jsonl"
    env = {k: v for k, v in argocd_env.items() if k != "ARGOCD_AUTH_TOKEN"}
    env.update(
        {"ARGOCD_USERNAME": "admin", "ARGOCD_PASSWORD": password, "K8S_MCP_AUDIT_LOG": str(audit)}
    )
    commands = [
        "argocd app list",
        "argocd app get billing -o yaml",
        "argocd app get nope",
        "argocd version",
        "argocd account get-user-info",
        "argocd account get-user-info --loglevel debug",
        "argocd app list --loglevel debug --logformat text",
        "argocd app resources billing",
        "argocd proj get team-a",
        "argocd login x --password y",
    ]
    seen: list[str] = []
    with mcp_server.http_server(env, tmp_path / "server.log") as server:
        async with server.client() as client:
            for command in commands:
                seen.append(json.dumps(await call(client, command)))
            user = json.loads(seen[4])
            assert user["backend"] == "cli"
            assert "Logged In: true" in user["output"]
            assert "Username: admin" in user["output"]
            described = await client.call_tool("describe_argocd", {"command": "app list"})
            seen.append(json.dumps(described.structured_content))
    seen.append(audit.read_text())
    seen.append((tmp_path / "server.log").read_text(errors="replace"))
    everything = "\n".join(seen)
    for secret in (password, argocd.admin_token, argocd.readonly_token):
        assert secret not in everything
    # The session token the server obtained is a JWT: none appears either.
    assert not re.search(r"eyJ[A-Za-z0-9_-]{10,}\.eyJ", everything)


async def test_tls_is_verified(argocd_env: dict[str, str], argocd: ArgoCD) -> None:
    """Without the CA the certificate is refused (natively and by the CLI); ARGOCD_INSECURE
    turns verification off for both."""
    untrusted = {k: v for k, v in argocd_env.items() if k != "ARGOCD_CA_FILE"}
    async with mcp_server.stdio_client(untrusted) as client:
        native = await call(client, "argocd app list")
        cli = await call(client, "argocd app list --loglevel info")
    assert native["backend"] == "native"
    assert native["error"]["code"] == "unavailable"
    assert "ARGOCD_CA_FILE" in native["error"]["message"]
    assert cli["backend"] == "cli"
    assert cli["status"] == "error"
    assert "certificate" in cli["error"]["message"]

    insecure = {**untrusted, "ARGOCD_INSECURE": "true"}
    async with mcp_server.stdio_client(insecure) as client:
        native = await call(client, "argocd app list -o name")
        cli = await call(client, "argocd app list -o name --loglevel info")
    assert native["backend"] == "native" and cli["backend"] == "cli"
    assert native["status"] == cli["status"] == "success"
    assert native["output"] == cli["output"]
    assert f"{argocd.namespace}/billing" in native["output"].split()

    url = {**argocd_env, "ARGOCD_SERVER": f"https://{argocd.address}/"}
    async with mcp_server.stdio_client(url) as client:
        native = await call(client, "argocd app get billing")
    assert native["backend"] == "native"
    assert f"URL:                https://{argocd.address}/applications/billing" in native["output"]


async def test_an_unreachable_server_is_unavailable(argocd_env: dict[str, str]) -> None:
    env = {**argocd_env, "ARGOCD_SERVER": f"127.0.0.1:{mcp_server.free_port()}"}
    async with mcp_server.stdio_client(env) as client:
        result = await call(client, "argocd proj list")
    assert result["backend"] == "native"
    assert result["error"]["code"] == "unavailable"
    assert "could not be reached" in result["error"]["message"]


@pytest.mark.parametrize("native", [True, False], ids=["native", "cli"])
async def test_an_argocd_that_stops_answering_is_unavailable_then_used_again_when_back(
    argocd_env: dict[str, str],
    argocd: ArgoCD,
    cache_layout: CacheLayout,
    tmp_path: Path,
    native: bool,
) -> None:
    """Argo CD behind Toxiproxy: a black hole, then down (connections refused), then back."""
    with toxiproxy(cache_layout, tmp_path) as faults:
        proxy = faults.proxy("argocd-server", argocd.address)
        env = {
            **argocd_env,
            "ARGOCD_SERVER": proxy.listen,
            "K8S_MCP_REQUEST_TIMEOUT": "5",
            "K8S_MCP_NATIVE": str(native).lower(),
        }
        async with mcp_server.stdio_client(env) as client:
            before = await call(client, "argocd app list -o name")
            proxy.add("black-hole", "timeout", timeout=0)
            started = time.monotonic()
            silent = await call(client, "argocd app list -o name", timeout=120)
            took = time.monotonic() - started
            proxy.clear()
            proxy.enable(False)
            down = await call(client, "argocd app list -o name")
            proxy.enable(True)
            back = await call(client, "argocd app list -o name")
    assert before["status"] == "success" and before["output"], before
    assert silent["error"]["code"] == "unavailable", silent
    assert (
        f"Argo CD at https://{proxy.listen} did not answer within 5s"
        in (silent["error"]["message"])
    )
    assert took < 60, took  # the request timeout ended it, not the call's 120 s
    print(f"Argo CD black hole ({'native' if native else 'cli'}): unavailable after {took:.1f}s")
    assert down["error"]["code"] == "unavailable", down
    assert proxy.listen in down["error"]["message"], down
    assert back["status"] == "success" and back["output"] == before["output"], back


BULK = 300
BULK_LABEL = "e2e-bulk"


def bulk_applications(namespace: str) -> list[dict[str, Any]]:
    """300 applications with long specs (10 kB of Helm values each): about 3 MB as JSON."""
    values = "\n".join(f"key{i:04d}: {'v' * 80}" for i in range(110))
    return [
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Application",
            "metadata": {
                "name": f"bulk-{i:03d}",
                "namespace": namespace,
                "labels": {BULK_LABEL: "true"},
            },
            "spec": {
                "project": "default",
                "destination": {"server": "https://kubernetes.default.svc", "namespace": "bulk"},
                "source": {
                    "repoURL": REPO_URL,
                    "path": f"bulk/{i:03d}",
                    "targetRevision": "main",
                    "helm": {"values": values},
                },
            },
        }
        for i in range(BULK)
    ]


async def test_a_large_app_list_is_a_bounded_summary(
    reader: Client[StdioTransport], cluster: Cluster, argocd: ArgoCD
) -> None:
    before = len(argocd.api("GET", "/api/v1/applications")["items"] or [])
    manifest = {"apiVersion": "v1", "kind": "List", "items": bulk_applications(argocd.namespace)}
    cluster.kubectl("create", "-f", "-", input=json.dumps(manifest), timeout=300)
    try:
        # argocd-server lists from its informer, which sees the new applications shortly after.
        deadline = time.monotonic() + 60
        everything = argocd.api("GET", "/api/v1/applications")
        while len(everything["items"]) < before + BULK:
            assert time.monotonic() < deadline, "argocd-server did not list the applications"
            await asyncio.sleep(0.5)
            everything = argocd.api("GET", "/api/v1/applications")
        assert len(everything["items"]) == before + BULK
        assert len(json.dumps(everything)) > 3_000_000
        result = await call(reader, "argocd app list")
        assert result["backend"] == "native"
        assert result["status"] == "success"
        assert result["truncated"] is True
        assert len(result["output"]) <= 50_000
        shown = result["data"]["apps"]
        assert 0 < len(shown) < len(everything["items"])
        # The text's rows are the summaries' applications, in the same order.
        rows = result["output"].splitlines()[1:]
        assert [row.split()[0] for row in rows] == [
            f"{app['namespace']}/{app['name']}" for app in shown
        ]
        assert f"{len(shown)} of {len(everything['items'])} applications" in result["next"]
        assert "-p PROJECT" in result["next"]
        assert len(json.dumps(result)) < 200_000

        full = await call(reader, "argocd app list -o json")
        assert full["truncated"] is True
        assert full["data"] is None
        assert len(full["output"]) <= 50_000

        narrowed = await call(reader, "argocd app list -p team-a")
        assert narrowed["truncated"] is False
        assert [a["name"] for a in narrowed["data"]["apps"]] == ["billing", "reports"]
    finally:
        cluster.kubectl(
            "delete",
            "applications.argoproj.io",
            "-n",
            argocd.namespace,
            "-l",
            BULK_LABEL,
            "--wait=true",
            timeout=300,
        )
