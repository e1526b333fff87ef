"""A real Argo CD API server for the e2e tests, on loopback, against the local cluster.

`argocd_server(cluster, workdir)` installs what argocd-server reads into a namespace of its own
(the Application, AppProject and ApplicationSet CRDs and the objects of `manifests/base/config/`,
all from the argo-cd module the argocd binary was built from), gives it a TLS certificate signed
by a CA made here, runs the built `argocd` as argocd-server (`ARGOCD_BINARY_NAME`) with
authentication on, and hands back:

- the admin's session token (`POST /api/v1/session` with the password argocd-server wrote to
  the `argocd-initial-admin-secret` Secret),
- an API key of a read-only account (`accounts.e2e: apiKey` in argocd-cm, `g, e2e, role:readonly`
  in argocd-rbac-cm, the key from `POST /api/v1/account/e2e/token`),
- the CA file that verifies the server's certificate.

What it does not run: redis, the repo-server and the application controller (e2e/argocd_gitops.py
runs them, and hands their addresses in as `backends`). Without them the API server still
serves applications, projects, clusters, repositories, accounts and versions, but resource
trees and managed resources (`app resources`, `app manifests`, `app get`'s tree views) fail
with 500, manifests generated from a repository with 503, and no application ever syncs or
reports health: applications are created with `validate=false` and stay Unknown.

At the end the process is stopped and waited for, and the namespace and the CRDs (when this
run created them) are deleted: nothing is left behind.
"""

from __future__ import annotations

import base64
import json
import os
import shlex
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import yaml

from e2e.harness import Cluster, HarnessError
from e2e.harness.binaries import GOMOD_DIR
from e2e.harness.processes import free_ports, start, stop, wait_until
from e2e.harness.tls import write_tls_files

NAMESPACE = "e2e-argocd"
READONLY_ACCOUNT = "e2e"
CRDS = ("application-crd.yaml", "appproject-crd.yaml", "applicationset-crd.yaml")
CRD_NAMES = (
    "applications.argoproj.io",
    "appprojects.argoproj.io",
    "applicationsets.argoproj.io",
)
_CONFIG = (
    "argocd-cm.yaml",
    "argocd-cmd-params-cm.yaml",
    "argocd-gpg-keys-cm.yaml",
    "argocd-rbac-cm.yaml",
    "argocd-secret.yaml",
    "argocd-ssh-known-hosts-cm.yaml",
    "argocd-tls-certs-cm.yaml",
)
# Nothing listens there: argocd-server only dials redis and the repo-server on demand.
_UNUSED_PORTS_HINT = "nothing listens on the redis and repo-server ports"


def argocd_module_dir() -> Path:
    """The argo-cd module source the argocd binary was built from (its manifests/ directory
    holds the CRDs and the base configuration). Building argocd downloads it."""
    try:
        result = subprocess.run(
            ["go", "list", "-m", "-f", "{{.Dir}}", "github.com/argoproj/argo-cd/v3"],
            cwd=GOMOD_DIR / "argocd",
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
    except FileNotFoundError:
        raise HarnessError(
            "`go` is not on PATH; the Argo CD e2e tests read the CRDs from the argo-cd module: "
            "install Go and run `python -m e2e.harness binaries --full`"
        ) from None
    directory = Path(result.stdout.strip())
    if result.returncode != 0 or not (directory / "manifests" / "crds").is_dir():
        raise HarnessError(
            "the argo-cd module source is not in Go's module cache "
            f"({result.stderr.strip() or 'no directory'}); run "
            "`python -m e2e.harness binaries --full`, which downloads it to build argocd"
        )
    return directory


@dataclass(frozen=True)
class Tls:
    ca_file: Path
    cert_pem: bytes
    key_pem: bytes


def make_tls(directory: Path) -> Tls:
    """A CA, and a certificate it signs for 127.0.0.1 and localhost (the Secret argocd-server
    reads holds the certificate and key themselves)."""
    files = write_tls_files(directory / "argocd-tls")
    return Tls(files.ca, files.cert.read_bytes(), files.key.read_bytes())


def _config_objects(
    source: Path, namespace: str, tls: Tls, settings: Mapping[str, Mapping[str, str]]
) -> list[dict[str, Any]]:
    """manifests/base/config/ with the read-only API-key account added, `settings` (data by
    ConfigMap name) merged in, and the server's TLS Secret."""
    objects: list[dict[str, Any]] = []
    for name in _CONFIG:
        for document in yaml.safe_load_all((source / "manifests/base/config" / name).read_text()):
            if not document:
                continue
            document.setdefault("metadata", {})["namespace"] = namespace
            data = document.setdefault("data", None) or {}
            if document["metadata"]["name"] == "argocd-cm":
                data[f"accounts.{READONLY_ACCOUNT}"] = "apiKey"
            elif document["metadata"]["name"] == "argocd-rbac-cm":
                data["policy.csv"] = f"g, {READONLY_ACCOUNT}, role:readonly\n"
            data.update(settings.get(document["metadata"]["name"], {}))
            document["data"] = data or None
            if document["data"] is None:
                del document["data"]
            objects.append(document)
    objects.append(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "kubernetes.io/tls",
            "metadata": {
                "name": "argocd-server-tls",
                "namespace": namespace,
                "labels": {"app.kubernetes.io/part-of": "argocd"},
            },
            "data": {
                "tls.crt": base64.b64encode(tls.cert_pem).decode(),
                "tls.key": base64.b64encode(tls.key_pem).decode(),
            },
        }
    )
    return objects


def crds_present(cluster: Cluster) -> bool:
    present = cluster.kubectl("get", "crd", "-o", "name").stdout.split()
    return any(f"customresourcedefinition.apiextensions.k8s.io/{n}" in present for n in CRD_NAMES)


def install(
    cluster: Cluster,
    source: Path,
    namespace: str,
    tls: Tls,
    settings: Mapping[str, Mapping[str, str]],
) -> None:
    """The CRDs and the configuration."""
    for crd in CRDS:
        # Server-side: the ApplicationSet CRD is larger than the last-applied annotation allows.
        cluster.kubectl(
            "apply",
            "--server-side",
            "--force-conflicts",
            "-f",
            str(source / "manifests/crds" / crd),
        )
    deadline = time.monotonic() + 60
    # (`kubectl wait` fails at once while a new CRD has no status yet.)
    while True:
        waited = cluster.kubectl(
            "wait",
            "--for=condition=Established",
            "--timeout=30s",
            *(f"crd/{n}" for n in CRD_NAMES),
            check=False,
        )
        if waited.returncode == 0:
            break
        if time.monotonic() > deadline:
            raise HarnessError(f"the Argo CD CRDs were not established: {waited.stderr}")
        time.sleep(0.3)
    cluster.kubectl("create", "namespace", namespace)
    manifest = {
        "apiVersion": "v1",
        "kind": "List",
        "items": _config_objects(source, namespace, tls, settings),
    }
    cluster.kubectl("apply", "-f", "-", input=json.dumps(manifest))


def uninstall(cluster: Cluster, namespace: str, delete_crds: bool) -> None:
    # Applications deleted with cascade carry a finalizer only the (absent) controller removes.
    listed = cluster.kubectl(
        "get", "applications.argoproj.io", "-n", namespace, "-o", "name", check=False
    ).stdout.split()
    for name in listed:
        cluster.kubectl(
            "patch",
            name,
            "-n",
            namespace,
            "--type=merge",
            "-p",
            '{"metadata":{"finalizers":null}}',
            check=False,
        )
    cluster.kubectl("delete", "namespace", namespace, "--wait=true", "--timeout=120s", check=False)
    if delete_crds:
        cluster.kubectl("delete", "crd", *CRD_NAMES, "--wait=true", "--timeout=120s", check=False)


@dataclass(frozen=True)
class ArgoCD:
    """A running argocd-server and what a test needs to reach it."""

    address: str  # 127.0.0.1:PORT, as ARGOCD_SERVER takes it
    namespace: str
    admin_password: str
    admin_token: str
    readonly_token: str
    ca_file: Path
    argocd: Path  # the built CLI
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"https://{self.address}"

    def server_env(self, token: str | None = None) -> dict[str, str]:
        """The settings kube-ai-proxy reads to reach this server (read-only key by default)."""
        return {
            "ARGOCD_SERVER": self.address,
            "ARGOCD_AUTH_TOKEN": token or self.readonly_token,
            "ARGOCD_CA_FILE": str(self.ca_file),
        }

    def cli(
        self, *args: str, token: str | None = None, env: Mapping[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """The real argocd CLI against this server, as the user would run it (the admin's token
        by default)."""
        environment = dict(env if env is not None else os.environ)
        for name in list(environment):
            if name.startswith("ARGOCD_"):
                del environment[name]
        environment.update(
            {
                "ARGOCD_SERVER": self.address,
                "ARGOCD_AUTH_TOKEN": token or self.admin_token,
                "ARGOCD_OPTS": f"--server-crt={shlex.quote(str(self.ca_file))}",
                # The CLI's own config and cache stay out of $HOME.
                "HOME": str(self.log.parent),
            }
        )
        return subprocess.run(
            [str(self.argocd), *args],
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def api(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        """A REST call as admin (or `token`); the answer's JSON."""
        status, text = request(
            self.url, method, path, self.ca_file, body, token or self.admin_token
        )
        if status >= 300:
            raise HarnessError(f"{method} {path}: {status} {text}")
        return json.loads(text) if text else None


def request(
    url: str, method: str, path: str, ca_file: Path, body: Any = None, token: str | None = None
) -> tuple[int, str]:
    context = ssl.create_default_context(cafile=str(ca_file))
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(f"{url}{path}", data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, context=context, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _answers(url: str, ca_file: Path) -> bool:
    try:
        status, _ = request(url, "GET", "/api/version", ca_file)
    except (OSError, ssl.SSLError):
        return False
    return status == 200


def _initial_password(cluster: Cluster, namespace: str) -> str:
    deadline = time.monotonic() + 60
    while True:
        found = cluster.kubectl(
            "get",
            "secret",
            "argocd-initial-admin-secret",
            "-n",
            namespace,
            "-o",
            "jsonpath={.data.password}",
            check=False,
        )
        if found.returncode == 0 and found.stdout:
            return base64.b64decode(found.stdout).decode()
        if time.monotonic() > deadline:
            raise HarnessError("argocd-server wrote no argocd-initial-admin-secret within 60 s")
        time.sleep(0.3)


@dataclass(frozen=True)
class Backends:
    """Where argocd-server finds redis and the repo-server (plaintext gRPC) when they run."""

    redis: str
    repo_server: str


def component_environment(cluster: Cluster, workdir: Path, role: str) -> dict[str, str]:
    """The environment one of Argo CD's components runs with: the multi-call binary as `role`,
    outside a pod, with the kubeconfig's cluster as the in-cluster one, nothing from the
    developer's ARGOCD_* settings, and its own HOME."""
    environment = {
        key: value for key, value in cluster.env().items() if not key.startswith("ARGOCD_")
    }
    environment.update(
        {
            "ARGOCD_BINARY_NAME": role,
            "ARGOCD_FAKE_IN_CLUSTER": "true",
            "HOME": str(workdir),
            # No GnuPG keyring (a pod's /app/config/gpg): commits are not signature-checked.
            "ARGOCD_GPG_ENABLED": "false",
        }
    )
    return environment


def built_argocd(cluster: Cluster) -> Path:
    argocd = cluster.bin_dir / "argocd"
    if not argocd.is_file():
        raise HarnessError(
            f"{argocd} is missing: run `python -m e2e.harness binaries --full` (or `make e2e`)"
        )
    return argocd


@contextmanager
def argocd_server(
    cluster: Cluster,
    workdir: Path,
    namespace: str = NAMESPACE,
    settings: Mapping[str, Mapping[str, str]] | None = None,
    backends: Backends | None = None,
) -> Iterator[ArgoCD]:
    """Install, run, yield, stop, uninstall (see the module's docstring). `settings`: data
    added to argocd-cm, argocd-rbac-cm... by name (argocd-server reads some of them, such
    as the OIDC configuration's CA, only when it starts). `backends`: the redis and
    repo-server it uses (e2e/argocd_gitops.py runs them), else none."""
    argocd = built_argocd(cluster)
    source = argocd_module_dir()
    workdir.mkdir(parents=True, exist_ok=True)
    tls = make_tls(workdir)
    # A namespace left by a killed run is removed first.
    uninstall(cluster, namespace, delete_crds=False)
    crds_created = not crds_present(cluster)
    port, metrics_port, *unused = free_ports(4)
    log = workdir / "argocd-server.log"
    environment = component_environment(cluster, workdir, "argocd-server")
    argv = [
        str(argocd),
        "--address=127.0.0.1",
        f"--port={port}",
        "--metrics-address=127.0.0.1",
        f"--metrics-port={metrics_port}",
        f"--namespace={namespace}",
        f"--kubeconfig={cluster.kubeconfig}",
        "--logformat=text",
    ]
    if backends is None:
        # Nothing listens on these two ports (see the module's docstring).
        argv += [f"--redis=127.0.0.1:{unused[0]}", f"--repo-server=127.0.0.1:{unused[1]}"]
    else:
        argv += [
            f"--redis={backends.redis}",
            f"--repo-server={backends.repo_server}",
            "--repo-server-plaintext",
        ]
    process = None
    try:
        install(cluster, source, namespace, tls, settings or {})
        log.unlink(missing_ok=True)
        process = start(argv, log, environment)
        url = f"https://127.0.0.1:{port}"
        wait_until("argocd-server", process, partial(_answers, url, tls.ca_file), log, 90)
        password = _initial_password(cluster, namespace)
        status, text = request(
            url, "POST", "/api/v1/session", tls.ca_file, {"username": "admin", "password": password}
        )
        if status != 200:
            raise HarnessError(f"POST /api/v1/session as admin: {status} {text}")
        admin_token = json.loads(text)["token"]
        status, text = request(
            url,
            "POST",
            f"/api/v1/account/{READONLY_ACCOUNT}/token",
            tls.ca_file,
            {"name": READONLY_ACCOUNT, "id": "e2e-readonly"},
            admin_token,
        )
        if status != 200:
            raise HarnessError(
                f"creating the {READONLY_ACCOUNT} account's API key: {status} {text}"
            )
        yield ArgoCD(
            address=f"127.0.0.1:{port}",
            namespace=namespace,
            admin_password=password,
            admin_token=admin_token,
            readonly_token=json.loads(text)["token"],
            ca_file=tls.ca_file,
            argocd=argocd,
            process=process,
            log=log,
        )
    finally:
        if process is not None:
            stop(process)
        uninstall(cluster, namespace, delete_crds=crds_created)


REPO_URL = "https://git.example.com/platform/apps.git"
_SHA = "8d2a3f1c9b7e6d5c4b3a29180f7e6d5c4b3a2918"
_SHA2 = "f00dbabe0123456789abcdef0123456789abcdef"


def _application(
    namespace: str,
    name: str,
    spec: dict[str, Any],
    status: dict[str, Any] | None = None,
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    app: dict[str, Any] = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": name, "namespace": namespace, "labels": labels or {}},
        "spec": spec,
    }
    if status is not None:
        app["status"] = status
    return app


def seed_objects(namespace: str) -> list[dict[str, Any]]:
    """Projects, applications (with the status a controller would have written: sync and health,
    conditions, resources, the last sync's results, history), a repository and a second
    cluster: what the read commands print, without a controller, redis or a repo-server."""
    destination = {"server": "https://kubernetes.default.svc", "namespace": "team-a"}
    resources = [
        {
            "version": "v1",
            "kind": "Service",
            "namespace": "team-a",
            "name": "billing",
            "status": "Synced",
            "health": {"status": "Healthy"},
        },
        {
            "group": "apps",
            "version": "v1",
            "kind": "Deployment",
            "namespace": "team-a",
            "name": "billing",
            "status": "OutOfSync",
            "health": {"status": "Progressing", "message": "Waiting for rollout"},
        },
        {
            "version": "v1",
            "kind": "ConfigMap",
            "namespace": "team-a",
            "name": "billing-config",
            "status": "Synced",
        },
        {
            "group": "batch",
            "version": "v1",
            "kind": "Job",
            "namespace": "team-a",
            "name": "billing-migrate",
            "status": "Synced",
            "health": {"status": "Healthy"},
            "hook": True,
        },
    ]
    sync_result = {
        "revision": _SHA,
        "source": {"repoURL": REPO_URL, "path": "billing", "targetRevision": "main"},
        "resources": [
            {
                "group": "batch",
                "version": "v1",
                "kind": "Job",
                "namespace": "team-a",
                "name": "billing-migrate",
                "status": "Synced",
                "message": "job completed",
                "hookType": "PreSync",
                "hookPhase": "Succeeded",
                "syncPhase": "PreSync",
            },
            {
                "group": "apps",
                "version": "v1",
                "kind": "Deployment",
                "namespace": "team-a",
                "name": "billing",
                "status": "Synced",
                "message": "deployment.apps/billing configured",
                "hookPhase": "Running",
                "syncPhase": "Sync",
            },
        ],
    }
    objects: list[dict[str, Any]] = [
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "AppProject",
            "metadata": {"name": "team-a", "namespace": namespace},
            "spec": {
                "description": "Team A's services (billing & <reports>)",
                "sourceRepos": [REPO_URL],
                "sourceNamespaces": ["team-a", "team-a-*"],
                "destinations": [
                    destination,
                    {"server": "https://kubernetes.default.svc", "namespace": "team-a-jobs"},
                ],
                "clusterResourceWhitelist": [{"group": "", "kind": "Namespace"}],
                "namespaceResourceBlacklist": [
                    {"group": "", "kind": "ResourceQuota"},
                    {"group": "", "kind": "LimitRange"},
                ],
                "orphanedResources": {"warn": True, "ignore": [{"kind": "ConfigMap"}]},
                "signatureKeys": [{"keyID": "4AEE18F83AFDEB23"}, {"keyID": "9D4EAF3D1A0B2C3E"}],
                "destinationServiceAccounts": [
                    {
                        "server": "https://kubernetes.default.svc",
                        "namespace": "team-a",
                        "defaultServiceAccount": "deployer",
                    }
                ],
            },
        },
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "AppProject",
            "metadata": {"name": "windows", "namespace": namespace},
            "spec": {
                "sourceRepos": ["*"],
                "destinations": [{"server": "*", "namespace": "*"}],
                "syncWindows": [
                    {
                        "kind": "deny",
                        "schedule": "0 22 * * *",
                        "duration": "1h",
                        "applications": ["*"],
                    }
                ],
            },
        },
        _application(
            namespace,
            "billing",
            {
                "project": "team-a",
                "destination": destination,
                "source": {
                    "repoURL": REPO_URL,
                    "path": "billing",
                    "targetRevision": "main",
                    "helm": {
                        "valueFiles": ["values.yaml", "values-prod.yaml"],
                        "parameters": [{"name": "replicas", "value": "3"}],
                    },
                },
                "syncPolicy": {"automated": {"prune": True, "selfHeal": True}},
            },
            {
                "sync": {
                    "status": "OutOfSync",
                    "revision": _SHA,
                    "comparedTo": {
                        "source": {
                            "repoURL": REPO_URL,
                            "path": "billing",
                            "targetRevision": "main",
                        },
                        "destination": destination,
                    },
                },
                "health": {"status": "Progressing"},
                "conditions": [
                    {
                        "type": "SyncError",
                        "message": "one or more objects failed to apply",
                        "lastTransitionTime": "2026-11-20T10:15:00Z",
                    },
                    {
                        "type": "SyncError",
                        "message": "Deployment billing: spec.replicas: Invalid value\nretrying",
                        "lastTransitionTime": "2026-11-20T10:16:30Z",
                    },
                    {
                        "type": "OrphanedResourceWarning",
                        "message": "Application has 1 orphaned resources (ümlaut)",
                    },
                ],
                "resources": resources,
                "operationState": {
                    "operation": {"sync": {"revision": _SHA}},
                    "phase": "Succeeded",
                    "message": "successfully synced (all tasks run)",
                    "startedAt": "2026-11-20T10:14:00Z",
                    "finishedAt": "2026-11-20T10:15:00Z",
                    "syncResult": sync_result,
                },
                "history": [
                    {
                        "id": 1,
                        "revision": _SHA2,
                        "deployedAt": "2026-11-19T08:00:00Z",
                        "deployStartedAt": "2026-11-19T07:59:30Z",
                        "source": {
                            "repoURL": REPO_URL,
                            "path": "billing",
                            "targetRevision": "main",
                        },
                    },
                    {
                        "id": 2,
                        "revision": _SHA,
                        "deployedAt": "2026-11-20T10:15:00Z",
                        "source": {
                            "repoURL": REPO_URL,
                            "path": "billing",
                            "targetRevision": "main",
                        },
                    },
                ],
                "sourceType": "Helm",
                "summary": {"images": ["registry.example.com/billing:1.4.2"]},
            },
            labels={"team": "a", "tier": "backend"},
        ),
        _application(
            namespace,
            "reports",
            {
                "project": "team-a",
                "destination": {"name": "in-cluster", "namespace": "team-a"},
                "sources": [
                    {
                        "repoURL": REPO_URL,
                        "path": "reports",
                        "targetRevision": "v1.2.0",
                        "kustomize": {"namePrefix": "prod-"},
                    },
                    {
                        "repoURL": "https://charts.example.com",
                        "chart": "reports",
                        "targetRevision": "3.1.0",
                        "ref": "values",
                    },
                ],
            },
            {
                "sync": {"status": "Synced", "revisions": [_SHA, "3.1.0"]},
                "health": {"status": "Healthy"},
                "history": [
                    {
                        "id": 7,
                        "deployedAt": "2026-11-21T12:00:00Z",
                        "revisions": [_SHA2, "3.0.9"],
                        "sources": [
                            {"repoURL": REPO_URL, "path": "reports", "targetRevision": "v1.1.0"},
                            {
                                "repoURL": "https://charts.example.com",
                                "chart": "reports",
                                "targetRevision": "3.0.9",
                            },
                        ],
                    },
                    {
                        "id": 8,
                        "deployedAt": "2026-11-22T12:00:00Z",
                        "revisions": [_SHA, "3.1.0"],
                        "sources": [
                            {"repoURL": REPO_URL, "path": "reports", "targetRevision": "v1.2.0"},
                            {
                                "repoURL": "https://charts.example.com",
                                "chart": "reports",
                                "targetRevision": "3.1.0",
                            },
                        ],
                    },
                ],
            },
            labels={"team": "a", "tier": "frontend"},
        ),
        _application(
            namespace,
            "scheduled",
            {
                "project": "windows",
                "destination": destination,
                "source": {"repoURL": REPO_URL, "path": "cron", "targetRevision": _SHA},
            },
            {"sync": {"status": "Synced", "revision": _SHA}, "health": {"status": "Healthy"}},
        ),
        # A repository with credentials (the API never returns them) and a second cluster
        # that does not answer, so the tables have a status message.
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": "repo-platform-apps",
                "namespace": namespace,
                "labels": {"argocd.argoproj.io/secret-type": "repository"},
            },
            "stringData": {
                "type": "git",
                "name": "platform-apps",
                "url": REPO_URL,
                "project": "team-a",
                "username": "git",
                "password": "repo-password-not-returned",
                "insecure": "true",
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": "cluster-staging",
                "namespace": namespace,
                "labels": {"argocd.argoproj.io/secret-type": "cluster"},
            },
            "stringData": {
                "name": "staging",
                "server": "https://127.0.0.1:9",
                "namespaces": "team-a,team-b",
                "project": "team-a",
                "config": json.dumps(
                    {
                        "bearerToken": "cluster-token-not-returned",
                        "tlsClientConfig": {"insecure": True},
                    }
                ),
            },
        },
    ]
    return objects


def seed(cluster: Cluster, server: ArgoCD) -> None:
    """The seed objects, applied with kubectl, and the guestbook application, made the way a
    user makes one: with the argocd CLI."""
    manifest = {"apiVersion": "v1", "kind": "List", "items": seed_objects(server.namespace)}
    cluster.kubectl("apply", "-f", "-", input=json.dumps(manifest))
    created = server.cli(
        "app",
        "create",
        "guestbook",
        "--repo",
        REPO_URL,
        "--path",
        "guestbook",
        "--dest-server",
        "https://kubernetes.default.svc",
        "--dest-namespace",
        "default",
        "--validate=false",
    )
    if created.returncode != 0:
        raise HarnessError(f"argocd app create guestbook failed: {created.stderr}")
