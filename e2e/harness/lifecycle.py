"""Bring the e2e cluster up, take it down, say how it is.

`up` uses the local control plane (kwokctl) unless E2E_CLUSTER=kind, builds missing binaries,
starts the cluster or reuses a running one, and (re)applies what the tests rely on: simulated
nodes and pod logs on kwok, and the restricted identity. Every step is idempotent, so `up` on a
running cluster repairs it.

A kind cluster needs a Docker engine for as long as it lives, so it is made by `kind_cluster`
(`python -m e2e.harness e2e-kind`), which holds the engine, and `up` only reuses it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from e2e.harness import kind, kwok
from e2e.harness.binaries import ensure_binaries
from e2e.harness.cache import CLUSTER_NAME, CacheLayout, locked
from e2e.harness.cluster import Cluster, run_kubectl
from e2e.harness.docker import Engine, engine
from e2e.harness.errors import HarnessError
from e2e.harness.identity import VIEWER_NAMESPACE, create_viewer
from e2e.harness.images import IMAGE, build_image
from e2e.harness.node_image import node_image, workload_images
from e2e.harness.nodes import create_nodes
from e2e.harness.podlogs import install_cluster_logs, wait_until_served
from e2e.harness.progress import say, step

BACKENDS = ("kwok", "kind")


def choose_backend() -> str:
    wanted = os.environ.get("E2E_CLUSTER", "").strip().lower()
    if wanted and wanted not in BACKENDS:
        raise HarnessError(f"E2E_CLUSTER={wanted!r}: use one of {', '.join(BACKENDS)}, or unset it")
    return wanted or "kwok"


def cluster_for(layout: CacheLayout, backend: str) -> Cluster:
    return Cluster(
        name=CLUSTER_NAME,
        backend=backend,
        kubeconfig=layout.kubeconfig,
        viewer_kubeconfig=layout.viewer_kubeconfig,
        viewer_namespace=VIEWER_NAMESPACE,
        bin_dir=layout.bin_dir,
        tool_state=layout.tool_state,
        audit_log=kwok.audit_log(layout) if backend == "kwok" else None,
        authentication_config=kwok.authentication_config(layout) if backend == "kwok" else None,
    )


def recorded_backend(layout: CacheLayout) -> str | None:
    try:
        backend = layout.backend_file.read_text().strip()
    except FileNotFoundError:
        return None
    return backend if backend in BACKENDS else None


def answers(layout: CacheLayout) -> bool:
    """The admin kubeconfig reaches an API server that says it is ready."""
    kubectl = layout.binary("kubectl")
    if not (layout.kubeconfig.is_file() and kubectl.is_file()):
        return False
    try:
        result = run_kubectl(
            kubectl,
            layout.kubeconfig,
            ["get", "--raw", "/readyz", "--request-timeout=5s"],
            check=False,
            timeout=15,
            tool_state=layout.tool_state,
        )
    except HarnessError:
        return False
    return result.returncode == 0 and result.stdout.strip() == "ok"


def up(layout: CacheLayout) -> Cluster:
    backend = choose_backend()
    ensure_binaries(layout)
    with locked(layout.cluster_lock, "starting the cluster"):
        alive = answers(layout)
        recorded = recorded_backend(layout)
        if backend == "kind" and not (alive and recorded == "kind"):
            raise HarnessError(
                "E2E_CLUSTER=kind, but no kind cluster answers. `make e2e-kind` builds the "
                "node image, creates the cluster and runs the tests against it (`python -m "
                "e2e.harness e2e-kind -- PYTEST ARGS` for other tests)."
            )
        if recorded is not None and recorded != backend:
            if alive:
                raise HarnessError(
                    f"a {recorded} cluster is already up; run `python -m e2e.harness down` "
                    f"before switching to {backend}"
                )
            _delete(layout, recorded)  # what a dead cluster of the other kind left behind
        outdated = alive and backend == "kwok" and recorded == "kwok" and not kwok.current(layout)
        if outdated:
            with step("the running kwok cluster has older settings; deleting it", done="deleted"):
                _delete(layout, "kwok")
        if alive and recorded == backend and not outdated:
            say(f"reusing the running {backend} cluster {CLUSTER_NAME}")
        else:
            _create(layout, backend)
        cluster = cluster_for(layout, backend)
        _prepare(layout, cluster)
    return cluster


def _create(layout: CacheLayout, backend: str) -> None:
    with step(f"starting a {backend} cluster {CLUSTER_NAME}", done="started"):
        # Recorded first, so that `down` knows what to delete even if the start fails halfway.
        layout.cluster_dir.mkdir(parents=True, exist_ok=True)
        layout.backend_file.write_text(backend + "\n")
        if kwok.exists(layout):
            # Known to kwokctl but not answering (stopped, or killed with the machine):
            # start from scratch rather than resume a half-known state.
            say("  a stale kwok cluster is in the way; deleting it first")
            kwok.delete(layout)
        kwok.create(layout)


@contextmanager
def kind_cluster(layout: CacheLayout) -> Iterator[tuple[Cluster, Engine]]:
    """A kind cluster from the node image built here, for the body; deleted after it, with the
    engine the harness started for it."""
    with engine(layout) as docker:
        image = node_image(docker, layout)  # builds the cluster's binaries too
        with locked(layout.cluster_lock, "starting the cluster"):
            recorded = recorded_backend(layout)
            if recorded is not None:
                with step(f"deleting the {recorded} cluster {CLUSTER_NAME} first", done="deleted"):
                    _delete(layout, recorded, docker)
            with step(f"creating a kind cluster {CLUSTER_NAME} from {image}", done="created"):
                layout.cluster_dir.mkdir(parents=True, exist_ok=True)
                layout.backend_file.write_text("kind\n")
                kind.create(docker, layout, image)
            # The server's own image for the chart's tests (e2e/test_kind_chart.py).
            build_image(docker, layout)
            with step("loading the workload images into the cluster", done="loaded"):
                kind.load(docker, layout, [*workload_images(docker, layout), IMAGE])
            cluster = cluster_for(layout, "kind")
            with step("deploying metrics-server", done="deployed"):
                kind.install_metrics_server(cluster)
            _prepare(layout, cluster)
        try:
            yield cluster, docker
        finally:
            with (
                locked(layout.cluster_lock, "deleting the cluster"),
                step(f"deleting the kind cluster {CLUSTER_NAME}", done="deleted"),
            ):
                _delete(layout, "kind", docker)


# What `make e2e-kind` runs: the tests that need real containers.
KIND_TESTS = ("e2e", "-m", "kind", "-q", "-p", "no:cacheprovider")


def run_on_kind(layout: CacheLayout, pytest_args: list[str]) -> int:
    """pytest against a kind cluster made for it; its exit code."""
    with kind_cluster(layout) as (_, docker):
        environment = {**kind.environment(docker, layout), "E2E_CLUSTER": "kind"}
        say(f"running pytest {' '.join(pytest_args)} against the kind cluster")
        return subprocess.call([sys.executable, "-m", "pytest", *pytest_args], env=environment)


def _prepare(layout: CacheLayout, cluster: Cluster) -> None:
    if cluster.backend == "kwok":
        with step("creating 3 kwok nodes and waiting until they are Ready", done="nodes Ready"):
            create_nodes(cluster)
        with step("serving pod logs from files (ClusterLogs)", done="`kubectl logs` works"):
            install_cluster_logs(cluster, layout.cluster_dir / "pod-logs")
            wait_until_served(cluster)
    with step(f"creating the restricted identity (view in {VIEWER_NAMESPACE})", done="identity"):
        create_viewer(cluster, layout.viewer_kubeconfig)


def down(layout: CacheLayout) -> None:
    with locked(layout.cluster_lock, "stopping the cluster"):
        backend = recorded_backend(layout) or "kwok"
        with step(f"deleting the {backend} cluster {CLUSTER_NAME}", done="deleted"):
            _delete(layout, backend)


def _delete(layout: CacheLayout, backend: str, docker: Engine | None = None) -> None:
    if backend == "kind":
        if docker is None:
            with engine(layout) as started:
                kind.delete(started, layout)
        else:
            kind.delete(docker, layout)
    elif layout.binary("kwokctl").is_file():
        kwok.delete(layout)
    elif kwok.exists(layout):
        raise HarnessError(
            f"kwokctl is missing from {layout.bin_dir}, so the cluster in "
            f"{kwok.cluster_workdir(layout)} cannot be stopped: run "
            "`python -m e2e.harness binaries` first"
        )
    # The kubeconfigs name certificates and a token of a cluster that no longer exists, and
    # the discovery cache describes its API.
    for stale in (layout.cluster_dir, layout.tool_state):
        if stale.exists():
            shutil.rmtree(stale)


def status(layout: CacheLayout) -> tuple[bool, str]:
    """Whether the cluster answers, and a few lines saying where things are."""
    backend = recorded_backend(layout)
    running = answers(layout)
    lines = [
        f"cluster {CLUSTER_NAME}: " + (f"running ({backend})" if running else "not running"),
        f"binaries: {layout.bin_dir}",
    ]
    if running:
        lines += [
            f"admin kubeconfig: {layout.kubeconfig}",
            f"viewer kubeconfig: {layout.viewer_kubeconfig} (view in {VIEWER_NAMESPACE} only)",
            f"export KUBECONFIG={layout.kubeconfig}",
        ]
    elif backend is not None or kwok.exists(layout):
        lines.append(
            "leftovers of a stopped cluster exist: `python -m e2e.harness down` clears them"
        )
    return running, "\n".join(lines)
