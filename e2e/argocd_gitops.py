"""The whole of Argo CD for the e2e tests, on loopback, against the local cluster: what
e2e/argocd.py's API server needs to sync applications for real.

`argocd_gitops(cluster, workdir)` runs, from the one built `argocd` binary (its role chosen by
ARGOCD_BINARY_NAME) and Debian's packages:

- redis-server, the cache all three components share (e2e/harness/redis.py);
- `git daemon` serving the repositories the test writes (e2e/harness/gitserver.py);
- argocd-repo-server, which clones them and renders manifests with the built `helm` and
  `kustomize` (plaintext gRPC on loopback);
- argocd-server (e2e/argocd.py) using both;
- argocd-application-controller, which compares, syncs, deletes with cascade and reports
  health and operation state.

What cannot be confined to loopback: the application controller serves its metrics on all
interfaces (Argo CD 3.5 has no flag for the address), so it gets an ephemeral port nobody is
told about.

At the end the applications are deleted with cascade while the controller still runs (so what
they deployed goes too), then every process is stopped and the namespace removed.
"""

from __future__ import annotations

import os
import shutil
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from e2e.argocd import (
    ArgoCD,
    Backends,
    argocd_module_dir,
    argocd_server,
    built_argocd,
    component_environment,
)
from e2e.harness import Cluster, HarnessError
from e2e.harness.gitserver import GitServer, git_server
from e2e.harness.processes import LOOPBACK, free_ports, log_tail, running
from e2e.harness.progress import say
from e2e.harness.redis import Redis, redis_server

NAMESPACE = "e2e-argocd-gitops"
# How often the controller compares every application with git (Argo CD's default is 120 s);
# a test that needs a new commit seen at once asks for a refresh, as a user would.
RESYNC_SECONDS = 30


@dataclass(frozen=True)
class GitOps:
    server: ArgoCD
    git: GitServer
    redis: Redis
    repo_server_log: Path
    controller_log: Path


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return bool(answer.status == 200)
    except (OSError, urllib.error.URLError):
        return False


def _tool_path(cluster: Cluster, workdir: Path) -> str:
    """What the repo-server runs: the built helm and kustomize, git from the system, and
    git-verify-wrapper.sh, the script Argo CD's image installs beside the binary (every
    manifest generation runs it, signed commits or not), from the module's own hack/."""
    scripts = workdir / "bin"
    scripts.mkdir(parents=True, exist_ok=True)
    wrapper = scripts / "git-verify-wrapper.sh"
    shutil.copyfile(argocd_module_dir() / "hack" / "git-verify-wrapper.sh", wrapper)
    wrapper.chmod(0o755)
    return os.pathsep.join(
        [str(cluster.bin_dir), str(scripts), "/usr/local/bin", "/usr/bin", "/bin"]
    )


@contextmanager
def _repo_server(cluster: Cluster, workdir: Path, redis: Redis) -> Iterator[str]:
    for tool in ("helm", "kustomize"):
        if not (cluster.bin_dir / tool).is_file():
            raise HarnessError(
                f"{cluster.bin_dir / tool} is missing: run `python -m e2e.harness binaries "
                "--full` (or `make e2e`)"
            )
    port, metrics_port = free_ports(2)
    scratch = workdir / "repo-server-tmp"
    scratch.mkdir(parents=True, exist_ok=True)
    environment = component_environment(cluster, workdir, "argocd-repo-server")
    environment.update(
        {
            "PATH": _tool_path(cluster, workdir),
            # Clones and rendered charts go here rather than to /tmp.
            "TMPDIR": str(scratch),
            # The socket git's credential helper talks to; the default is one fixed /tmp path.
            "ARGOCD_ASK_PASS_SOCK": str(workdir / "repo-server-askpass.sock"),
        }
    )
    argv = [
        str(built_argocd(cluster)),
        f"--address={LOOPBACK}",
        f"--port={port}",
        f"--metrics-address={LOOPBACK}",
        f"--metrics-port={metrics_port}",
        f"--redis={redis.address}",
        "--disable-tls",
        # Its default names a file in the pod, which --disable-tls refuses.
        "--client-ca-path=",
        "--logformat=text",
    ]
    with running(
        "argocd-repo-server",
        argv,
        workdir / "argocd-repo-server.log",
        lambda: _healthy(f"http://{LOOPBACK}:{metrics_port}/healthz?full=true"),
        env=environment,
        announce="starting argocd-repo-server",
    ):
        yield f"{LOOPBACK}:{port}"


@contextmanager
def _controller(
    cluster: Cluster, workdir: Path, namespace: str, redis: Redis, repo_server: str
) -> Iterator[Path]:
    log = workdir / "argocd-application-controller.log"
    environment = component_environment(cluster, workdir, "argocd-application-controller")
    argv = [
        str(built_argocd(cluster)),
        f"--kubeconfig={cluster.kubeconfig}",
        f"--namespace={namespace}",
        f"--redis={redis.address}",
        f"--repo-server={repo_server}",
        "--repo-server-plaintext",
        f"--app-resync={RESYNC_SECONDS}",
        "--app-resync-jitter=5",
        # An ephemeral port: see the module's docstring.
        "--metrics-port=0",
        "--status-processors=4",
        "--operation-processors=2",
        "--logformat=text",
    ]

    def started() -> bool:
        # No readiness endpoint: it is ready once it says its informers have synced (the
        # cluster's own cache is built when the first application needs it).
        text = log.read_text(errors="replace") if log.is_file() else ""
        return "Cluster cache informer synced" in text

    with running(
        "argocd-application-controller",
        argv,
        log,
        started,
        env=environment,
        seconds=120,
        announce="starting argocd-application-controller",
    ):
        yield log


def delete_applications(server: ArgoCD, seconds: float = 120) -> None:
    """Every application deleted with cascade, and waited for (the controller removes what it
    deployed, then the finalizer)."""
    listed = server.api("GET", "/api/v1/applications")
    names = [item["metadata"]["name"] for item in listed.get("items") or []]
    for name in names:
        server.api("DELETE", f"/api/v1/applications/{name}?cascade=true")
    deadline = time.monotonic() + seconds
    while names and time.monotonic() < deadline:
        listed = server.api("GET", "/api/v1/applications")
        names = [item["metadata"]["name"] for item in listed.get("items") or []]
        time.sleep(0.5)
    if names:
        say(f"  applications still there after {seconds:g} s: {', '.join(names)}")


@contextmanager
def argocd_gitops(cluster: Cluster, workdir: Path, namespace: str = NAMESPACE) -> Iterator[GitOps]:
    workdir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        redis = stack.enter_context(redis_server(workdir))
        git = stack.enter_context(git_server(workdir))
        repo_server = stack.enter_context(_repo_server(cluster, workdir, redis))
        server = stack.enter_context(
            argocd_server(
                cluster, workdir, namespace, backends=Backends(redis.address, repo_server)
            )
        )
        controller_log = stack.enter_context(
            _controller(cluster, workdir, namespace, redis, repo_server)
        )
        try:
            yield GitOps(server, git, redis, workdir / "argocd-repo-server.log", controller_log)
        finally:
            try:
                delete_applications(server)
            except HarnessError as error:
                say(f"  deleting the applications failed: {error}; {log_tail(controller_log)}")
