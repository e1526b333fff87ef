"""The kind backend: a real cluster in Docker, used when Docker and kind are available.

Real kubelets serve logs there, so no ClusterLogs and no simulated nodes; the restricted identity
is made the same way as on the local control plane.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from e2e.harness.binaries import read_module
from e2e.harness.cache import CLUSTER_NAME, CacheLayout
from e2e.harness.errors import HarnessError


def _docker_problem() -> str | None:
    """None when a Docker engine answers, else why not."""
    docker = shutil.which("docker")
    if docker is None:
        return "`docker` is not on PATH"
    try:
        result = subprocess.run(
            [docker, "info"], capture_output=True, text=True, timeout=20, check=False
        )
    except subprocess.TimeoutExpired:
        return "`docker info` did not answer in 20 s"
    if result.returncode != 0:
        reason = (result.stderr.strip() or result.stdout.strip()).splitlines()
        return f"`docker info` failed: {reason[-1] if reason else f'exit {result.returncode}'}"
    return None


def available() -> bool:
    return shutil.which("kind") is not None and _docker_problem() is None


def require() -> str:
    """The kind executable, or a HarnessError that says what is missing."""
    problems = []
    kind = shutil.which("kind")
    if kind is None:
        problems.append(
            "`kind` is not on PATH (install it with `go install sigs.k8s.io/kind@v0.32.0`)"
        )
    docker = _docker_problem()
    if docker is not None:
        problems.append(f"no Docker engine: {docker}")
    if problems or kind is None:
        raise HarnessError(
            "E2E_CLUSTER=kind needs Docker and kind:\n  "
            + "\n  ".join(problems)
            + "\nUnset E2E_CLUSTER to use the local control plane (kwokctl) instead."
        )
    return kind


def node_image() -> str:
    """kind's node image for the Kubernetes release the harness pins (E2E_KIND_IMAGE overrides)."""
    version = read_module("kubernetes").version("k8s.io/kubernetes")
    return os.environ.get("E2E_KIND_IMAGE", f"kindest/node:{version}")


def create(layout: CacheLayout) -> None:
    kind = require()
    layout.cluster_dir.mkdir(parents=True, exist_ok=True)
    _run(
        [
            kind,
            "create",
            "cluster",
            "--name",
            CLUSTER_NAME,
            "--image",
            node_image(),
            "--kubeconfig",
            str(layout.kubeconfig),
            "--wait",
            "300s",
        ]
    )


def delete(layout: CacheLayout) -> None:
    kind = require()
    _run(
        [kind, "delete", "cluster", "--name", CLUSTER_NAME, "--kubeconfig", str(layout.kubeconfig)]
    )


def _run(command: list[str]) -> None:
    result = subprocess.run(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout)
        raise HarnessError(f"`{' '.join(command)}` failed (exit {result.returncode}); output above")
