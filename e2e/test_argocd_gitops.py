"""argocd through the MCP tools against the whole of Argo CD (e2e/argocd_gitops.py): a real
application controller and repo-server syncing, from a git server on loopback, into the local
cluster.

The repository holds three applications the way people write them: plain manifests, a Helm
chart and a kustomization. Through `execute_argocd` the tests create them, sync them (with the
progress a client sees while the controller works), wait, read them natively (compared with
the real CLI byte for byte), diff after a commit, roll back, change and delete them with
cascade; and check the refusals, the confirmation, a wrong token and an unreachable
repository.
"""

from __future__ import annotations

import asyncio
import json
import shlex
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import yaml
from fastmcp import Client

from e2e import mcp_server
from e2e.argocd import ArgoCD, argocd_server
from e2e.argocd_gitops import GitOps, argocd_gitops
from e2e.gates import release_gate_later
from e2e.harness import Cluster, HarnessError
from e2e.harness.gitserver import Repository

pytestmark = pytest.mark.asyncio(loop_scope="module")

IN_CLUSTER = "https://kubernetes.default.svc"
PLAIN_NS = "e2e-gitops-plain"
HELM_NS = "e2e-gitops-helm"
KUSTOMIZE_NS = "e2e-gitops-kustomize"
HOLD = 6.0  # seconds the plain app's pod is held at its gate during the first sync


def _deployment(name: str, gated: bool = False, replicas: str = "1") -> str:
    gate = "      schedulingGates:\n      - name: e2e.example.com/hold\n" if gated else ""
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  replicas: {replicas}
  selector:
    matchLabels:
      app: {name}
  template:
    metadata:
      labels:
        app: {name}
    spec:
{gate}      containers:
      - name: web
        image: registry.example.com/web:1.0
"""


def _settings(color: str) -> str:
    # Wave 1: the controller applies it only once wave 0 (the Deployment) is healthy.
    return f"""apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  annotations:
    argocd.argoproj.io/sync-wave: "1"
data:
  color: {color}
"""


FILES = {
    "plain/deployment.yaml": _deployment("web", gated=True),
    "plain/settings.yaml": _settings("blue"),
    "helm/Chart.yaml": "apiVersion: v2\nname: shop\nversion: 0.1.0\nappVersion: '1.0'\n",
    "helm/values.yaml": "replicaCount: 1\ngreeting: hello\n",
    "helm/templates/deployment.yaml": _deployment(
        "{{ .Release.Name }}-web", replicas="{{ .Values.replicaCount }}"
    ),
    "helm/templates/configmap.yaml": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-greeting\n"
        "data:\n  greeting: {{ .Values.greeting | quote }}\n"
    ),
    "kustomize/kustomization.yaml": (
        "namePrefix: kz-\nlabels:\n- pairs:\n    team: e2e\nresources:\n- deployment.yaml\n"
        "configMapGenerator:\n- name: settings\n  literals:\n  - color=red\n"
    ),
    "kustomize/deployment.yaml": _deployment("api"),
}


@pytest.fixture(scope="module")
def gitops(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GitOps]:
    for namespace in (PLAIN_NS, HELM_NS, KUSTOMIZE_NS):
        cluster.kubectl("delete", "namespace", namespace, "--wait=true", check=False)
    try:
        with argocd_gitops(cluster, tmp_path_factory.mktemp("gitops")) as platform:
            yield platform
    except HarnessError as error:
        pytest.fail(str(error), pytrace=False)
    finally:
        for namespace in (PLAIN_NS, HELM_NS, KUSTOMIZE_NS):
            cluster.kubectl("delete", "namespace", namespace, "--wait=false", check=False)


@pytest.fixture(scope="module")
def repository(gitops: GitOps) -> Repository:
    repository = gitops.git.repository("apps")
    repository.commit("three applications", FILES)
    return repository


@pytest.fixture(scope="module")
def server(gitops: GitOps) -> ArgoCD:
    return gitops.server


@pytest.fixture(scope="module")
def admin_env(base_server_env: dict[str, str], server: ArgoCD) -> dict[str, str]:
    """kube-ai-proxy with the admin's token (writes), admin access (repo add)."""
    return {
        **base_server_env,
        **server.server_env(server.admin_token),
        "HOME": str(server.log.parent),
        "K8S_MCP_ACCESS": "admin",
    }


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client(admin_env: dict[str, str]) -> AsyncIterator[Client[Any]]:
    async with mcp_server.stdio_client(admin_env) as connected:
        yield connected


async def call(
    client: Client[Any], command: str, progress: Any = None, **arguments: Any
) -> dict[str, Any]:
    raw = await client.call_tool(
        "execute_argocd",
        {"command": command, "timeout": 120, **arguments},
        progress_handler=progress,
        raise_on_error=False,
    )
    result: dict[str, Any] = raw.structured_content or {}
    return result


def cli(server: ArgoCD, command: str) -> str:
    """The real argocd CLI's output, as the admin."""
    done = server.cli(*shlex.split(command)[1:])
    assert done.returncode == 0, (command, done.stderr)
    return done.stdout


def create_line(name: str, repository: Repository, path: str, namespace: str) -> str:
    return (
        f"argocd app create {name} --repo {repository.url} --path {path} --dest-server "
        f"{IN_CLUSTER} --dest-namespace {namespace} --sync-option CreateNamespace=true"
    )


def live(cluster: Cluster, kind: str, name: str, namespace: str) -> dict[str, Any] | None:
    found = cluster.kubectl("get", kind, name, "-n", namespace, "-o", "json", check=False)
    return json.loads(found.stdout) if found.returncode == 0 else None


async def gone(server: ArgoCD, app: str, seconds: float = 60) -> bool:
    """Whether the application is gone (the controller removes its finalizer) within
    `seconds`."""
    deadline = time.monotonic() + seconds
    while server.cli("app", "get", app).returncode == 0:
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.5)
    return True


async def assert_native_reads_are_the_clis(client: Client[Any], server: ArgoCD, app: str) -> None:
    for command in (
        f"argocd app get {app}",
        f"argocd app resources {app}",
        f"argocd app manifests {app}",
        f"argocd app manifests {app} --source live",
        f"argocd app history {app}",
    ):
        result = await call(client, command)
        assert result["backend"] == "native", (command, result)
        assert result["status"] == "success", (command, result)
        assert result["output"] == cli(server, command), command


async def test_a_plain_application_from_create_to_cascading_delete(
    client: Client[Any], server: ArgoCD, repository: Repository, cluster: Cluster
) -> None:
    made = await call(client, create_line("plain", repository, "plain", PLAIN_NS))
    assert made["status"] == "success", made
    assert "application 'plain' created" in made["output"]

    # The sync waits for wave 0 (the Deployment, its pod held at a gate) to become healthy
    # before it applies wave 1; meanwhile the client hears what the controller reports.
    events: list[tuple[float, str]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        events.append((time.monotonic(), message or ""))

    releaser = asyncio.create_task(release_gate_later(cluster, PLAIN_NS, HOLD))
    synced = await call(client, "argocd app sync plain", progress=on_progress)
    released = await releaser
    assert synced["status"] == "success", synced
    assert synced["backend"] == "cli"
    assert "successfully synced" in synced["output"]
    held = [message for at, message in events if at < released]
    assert held, f"no progress while the sync waited: {events}"
    assert all(m.startswith("argocd app sync running: plain: ") for _, m in events), events
    assert any("operation Running" in m and "health Progressing" in m for m in held), held
    assert live(cluster, "configmap", "settings", PLAIN_NS) is not None

    waited = await call(client, "argocd app wait plain --health --sync --timeout 60")
    assert waited["status"] == "success", waited
    got = await call(client, "argocd app get plain -o json")
    assert got["backend"] == "native"
    assert got["data"]["status"]["sync"]["status"] == "Synced"
    assert got["data"]["status"]["health"]["status"] == "Healthy"
    first = got["data"]["status"]["sync"]["revision"]
    assert first == repository.head()
    await assert_native_reads_are_the_clis(client, server, "plain")

    # A commit: the diff shows it (exit code 1, a success with changes), a sync applies it.
    second = repository.commit("green", {"plain/settings.yaml": _settings("green")})
    diff = await call(client, "argocd app diff plain --refresh")
    assert diff["status"] == "success", diff
    assert diff["exit_code"] == 1
    assert "<   color: blue" in diff["output"] and ">   color: green" in diff["output"]
    resynced = await call(client, "argocd app sync plain")
    assert resynced["status"] == "success", resynced
    assert live(cluster, "configmap", "settings", PLAIN_NS)["data"] == {"color": "green"}  # type: ignore[index]
    history = await call(client, "argocd app history plain")
    assert history["backend"] == "native"
    assert [entry["revision"] for entry in history["data"]["history"]] == [first, second]

    rolled = await call(client, "argocd app rollback plain 0")
    assert rolled["status"] == "success", rolled
    # Previewed (for the journal): the first revision's manifests against what is live.
    assert rolled["preview"]["summary"].startswith("1 changed, 0 created, 0 deleted"), rolled
    assert "\n-  color: green\n+  color: blue\n" in rolled["preview"]["diff"], rolled
    assert live(cluster, "configmap", "settings", PLAIN_NS)["data"] == {"color": "blue"}  # type: ignore[index]
    after = await call(client, "argocd app get plain -o json")
    assert after["data"]["status"]["sync"]["status"] == "OutOfSync"  # git says green

    # (--wait could miss a deletion that completes first: see the confirmation test.)
    deleted = await call(client, "argocd app delete plain --cascade -y")
    assert deleted["status"] == "success", deleted
    assert await gone(server, "plain")  # the controller deletes what it deployed, then it
    assert live(cluster, "deployment", "web", PLAIN_NS) is None
    assert live(cluster, "configmap", "settings", PLAIN_NS) is None
    missing = await call(client, "argocd app get plain")
    assert missing["error"]["code"] == "rbac_denied"  # Argo CD's answer for a missing app


async def test_a_helm_chart_and_a_kustomization(
    client: Client[Any], server: ArgoCD, repository: Repository, cluster: Cluster
) -> None:
    for name, path, namespace in (("shop", "helm", HELM_NS), ("kz", "kustomize", KUSTOMIZE_NS)):
        made = await call(client, create_line(name, repository, path, namespace))
        assert made["status"] == "success", made
    synced = await call(client, "argocd app sync shop kz")
    assert synced["status"] == "success", synced
    waited = await call(client, "argocd app wait shop kz --health --sync --timeout 60")
    assert waited["status"] == "success", waited
    assert live(cluster, "configmap", "shop-greeting", HELM_NS)["data"] == {"greeting": "hello"}  # type: ignore[index]
    generated = json.loads(
        cluster.kubectl(
            "get", "configmaps", "-n", KUSTOMIZE_NS, "-l", "team=e2e", "-o", "json"
        ).stdout
    )["items"]
    assert [c["data"] for c in generated] == [{"color": "red"}]
    assert generated[0]["metadata"]["name"].startswith("kz-settings-")
    for app in ("shop", "kz"):
        await assert_native_reads_are_the_clis(client, server, app)

    # A Helm parameter set on the application, then synced.
    changed = await call(client, "argocd app set shop --helm-set replicaCount=2")
    assert changed["status"] == "success", changed
    resynced = await call(client, "argocd app sync shop")
    assert resynced["status"] == "success", resynced
    assert live(cluster, "deployment", "shop-web", HELM_NS)["spec"]["replicas"] == 2  # type: ignore[index]


async def test_project_and_repository_reads(
    client: Client[Any], server: ArgoCD, repository: Repository
) -> None:
    added = await call(client, f"argocd repo add {repository.url}")
    assert added["status"] == "success", added
    for command in ("argocd repo list", "argocd repo list -o json", "argocd proj list"):
        result = await call(client, command)
        assert result["backend"] == "native", (command, result)
        assert result["output"] == cli(server, command), command
    listed = await call(client, "argocd repo list -o json")
    assert [(r["repo"], r["connectionState"]["status"]) for r in listed["data"]["items"]] == [
        (repository.url, "Successful")
    ]
    project = await call(client, "argocd proj get default")
    assert project["backend"] == "native"
    assert project["output"] == cli(server, "argocd proj get default")


async def test_read_only_refuses_every_write(
    admin_env: dict[str, str], repository: Repository
) -> None:
    env = {**admin_env, "K8S_MCP_ACCESS": "read-only"}
    async with mcp_server.stdio_client(env) as client:
        for command in (
            "argocd app sync shop",
            "argocd app rollback shop 0",
            "argocd app delete shop --cascade -y",
            "argocd app set shop --helm-set replicaCount=3",
            create_line("other", repository, "plain", PLAIN_NS),
        ):
            refused = await call(client, command)
            assert refused["error"]["code"] == "policy_denied", (command, refused)
            assert refused["backend"] is None
        read = await call(client, "argocd app get shop")
        assert read["status"] == "success", read


async def test_destructive_confirmation_asks_before_rollback_and_delete(
    admin_env: dict[str, str], server: ArgoCD, repository: Repository
) -> None:
    made = server.cli(*shlex.split(create_line("doomed", repository, "helm", HELM_NS))[1:])
    assert made.returncode == 0, made.stderr
    answers = [False, False, True]
    asked: list[str] = []

    async def user(message: str, response_type: Any, params: Any, context: Any) -> Any:
        asked.append(message)
        return response_type(value=answers.pop(0))

    env = {**admin_env, "K8S_MCP_CONFIRM": "destructive"}
    async with mcp_server.stdio_client(env, elicitation_handler=user) as client:
        rollback = await call(client, "argocd app rollback doomed 0")
        assert rollback["error"]["code"] == "policy_denied", rollback
        declined = await call(client, "argocd app delete doomed -y")
        assert declined["error"]["code"] == "policy_denied", declined
        assert (await call(client, "argocd app get doomed"))["status"] == "success"
        # A read is not asked about.
        assert len(asked) == 2
        # Without --wait: the CLI starts watching for the deletion only after asking for it,
        # and an application with nothing deployed may be gone before that; it then waits for
        # an event that never comes (argocd 3.5's checkForDeleteEvent).
        deleted = await call(client, "argocd app delete doomed --cascade -y")
        assert deleted["status"] == "success", deleted
    assert "argocd app rollback doomed 0" in asked[0]
    assert "argocd app delete" in asked[1] and "doomed" in asked[1]
    assert await gone(server, "doomed")


async def test_the_question_for_a_sync_shows_argo_cds_diff(
    admin_env: dict[str, str], server: ArgoCD, repository: Repository, cluster: Cluster
) -> None:
    """docs/security.md, "Previews": the sync of an out-of-sync application is asked about with
    what it would change, from Argo CD's own comparison of the live and target states."""
    for command in (
        create_line("previewed", repository, "helm", HELM_NS),
        "argocd app sync previewed",
        "argocd app wait previewed --health --sync --timeout 60",
        "argocd app set previewed --helm-set greeting=bye",
    ):
        done = server.cli(*shlex.split(command)[1:])
        assert done.returncode == 0, (command, done.stderr)
    asked: list[str] = []

    async def user(message: str, response_type: Any, params: Any, context: Any) -> Any:
        asked.append(message)
        return response_type(value=False)

    env = {**admin_env, "K8S_MCP_CONFIRM": "destructive"}
    async with mcp_server.stdio_client(env, elicitation_handler=user) as client:
        declined = await call(client, "argocd app sync previewed")
    assert declined["error"]["code"] == "policy_denied", declined
    (question,) = asked
    assert "What it would change: 1 changed, 0 created, 0 deleted" in question, question
    assert f"--- live/ConfigMap/{HELM_NS}/previewed-greeting" in question
    assert "\n-  greeting: hello\n+  greeting: bye\n" in question, question
    greeting = live(cluster, "configmap", "previewed-greeting", HELM_NS)
    assert greeting is not None and greeting["data"] == {"greeting": "hello"}
    server.cli("app", "delete", "previewed", "--cascade", "-y")


async def test_a_wrong_token_is_rbac_denied_on_both_paths(admin_env: dict[str, str]) -> None:
    env = {**admin_env, "ARGOCD_AUTH_TOKEN": "not-a-token"}
    async with mcp_server.stdio_client(env) as client:
        native = await call(client, "argocd app get shop")
        assert native["backend"] == "native"
        assert native["error"]["code"] == "rbac_denied", native
        through_cli = await call(client, "argocd app sync shop")
        assert through_cli["backend"] == "cli"
        assert through_cli["error"]["code"] == "rbac_denied", through_cli
        assert "check ARGOCD_AUTH_TOKEN" in through_cli["error"]["message"]
        assert "not-a-token" not in json.dumps([native, through_cli])


async def test_an_unreachable_repository_says_what_to_check(client: Client[Any]) -> None:
    unreachable = "git://127.0.0.1:1/nowhere"
    result = await call(
        client,
        f"argocd app create lost --repo {unreachable} --path x --dest-server {IN_CLUSTER} "
        f"--dest-namespace {PLAIN_NS}",
    )
    assert result["status"] == "error"
    message = result["error"]["message"]
    assert "connection refused" in message
    assert f"could not read the repository {unreachable}" in message
    assert "argocd repo list" in message


async def test_two_instances_each_with_its_own_token(
    base_server_env: dict[str, str],
    cluster: Cluster,
    server: ArgoCD,
    repository: Repository,
    tmp_path: Path,
) -> None:
    """K8S_MCP_ARGOCD_INSTANCES: this Argo CD as `main` (the default) and a second
    argocd-server, with its own CA and admin, as `second`; a call picks one by name, natively
    and through the CLI, and each gets its own address, CA and token."""
    with argocd_server(cluster, tmp_path / "second", "e2e-argocd-second") as second:
        tokens = {"main": tmp_path / "main.token", "second": tmp_path / "second.token"}
        tokens["main"].write_text(server.admin_token)
        tokens["second"].write_text(second.admin_token)
        instances = tmp_path / "argocd.yaml"
        instances.write_text(
            yaml.safe_dump(
                {
                    "default": "main",
                    "instances": {
                        name: {
                            "server": target.address,
                            "tokenFile": str(tokens[name]),
                            "caFile": str(target.ca_file),
                        }
                        for name, target in (("main", server), ("second", second))
                    },
                }
            )
        )
        env = {
            **base_server_env,
            "HOME": str(tmp_path),
            "K8S_MCP_ARGOCD_INSTANCES": str(instances),
        }
        async with mcp_server.stdio_client(env) as client:
            made = await call(
                client,
                f"argocd app create elsewhere --argocd-context second --repo {repository.url} "
                f"--path plain --dest-server {IN_CLUSTER} --dest-namespace {PLAIN_NS} "
                "--validate=false",
            )
            assert made["backend"] == "cli" and made["status"] == "success", made
            on_main = await call(client, "argocd app list -o name")
            on_second = await call(client, "argocd app list -o name", context="second")
            unknown = await call(client, "argocd app list --argocd-context third")
        assert on_main["backend"] == on_second["backend"] == "native"
        assert "elsewhere" not in on_main["output"]
        assert on_main["output"] == cli(server, "argocd app list -o name")
        assert on_second["output"] == f"{second.namespace}/elsewhere\n"
        assert unknown["error"]["code"] == "invalid_command"
        assert "main, second" in unknown["error"]["message"]


@pytest.mark.parametrize("who", ["admin", "readonly"])
async def test_account_can_i_is_the_clis(
    admin_env: dict[str, str], server: ArgoCD, who: str
) -> None:
    token = server.admin_token if who == "admin" else server.readonly_token
    env = {**admin_env, **server.server_env(token)}
    answers = []
    async with mcp_server.stdio_client(env) as client:
        for question in (
            "sync applications */*",
            "get applications default/*",
            "delete projects default",
            "create clusters *",
        ):
            command = f"argocd account can-i {question}"
            result = await call(client, command)
            real = server.cli(*command.split()[1:], token=token)
            assert result["backend"] == "native", result
            assert result["output"] == real.stdout, command
            answers.append(result["output"].strip())
    assert answers == (["yes"] * 4 if who == "admin" else ["no", "yes", "no", "no"])
