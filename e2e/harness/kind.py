"""The kind backend: a real cluster whose node is a Docker container, with real containers in it.

Everything comes from this machine: kind itself and the node image are built here
(e2e/harness/binaries.py KIND_STEPS, e2e/harness/node_image.py), and the Docker engine is the
one that answers or one the harness starts (e2e/harness/docker.py). Real kubelets serve logs,
so no ClusterLogs and no simulated nodes; the restricted identity is made as on the local
control plane.

The engine must live as long as the cluster, so a kind cluster is made and used inside one
harness run: `python -m e2e.harness e2e-kind` (`make e2e-kind`) starts the engine, builds
the image, creates the cluster, runs pytest against it, and deletes the cluster.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from e2e.harness.cache import CLUSTER_NAME, CacheLayout
from e2e.harness.cluster import Cluster
from e2e.harness.docker import Engine, docker_cli
from e2e.harness.errors import HarnessError
from e2e.harness.node_image import etcd_tag, metrics_server_version

# One node (the CNI configuration in the node image gives it a fixed pod subnet). The host's
# cgroup v1 needs the kubelet's failCgroupV1: false (Kubernetes 1.35 refuses v1 otherwise);
# kubeadm runs the etcd built here, whose tag is not kubeadm's default; the CNI is the node
# image's own, and kube-proxy programs nftables.
CONFIG = """\
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
networking:
  apiServerAddress: 127.0.0.1
  disableDefaultCNI: true
  kubeProxyMode: nftables
kubeadmConfigPatches:
- |
  kind: ClusterConfiguration
  etcd:
    local:
      imageTag: {etcd_tag}
- |
  kind: KubeletConfiguration
  failCgroupV1: false
"""


def environment(engine: Engine, layout: CacheLayout) -> dict[str, str]:
    """kind's environment: the engine's DOCKER_HOST, the docker CLI first on PATH."""
    path = os.pathsep.join(
        [str(Path(docker_cli()).parent), str(layout.bin_dir), os.environ.get("PATH", "")]
    )
    return {**engine.env(), "PATH": path}


def config_path(layout: CacheLayout) -> Path:
    return layout.cluster_dir / "kind.yaml"


def create(engine: Engine, layout: CacheLayout, image: str) -> None:
    layout.cluster_dir.mkdir(parents=True, exist_ok=True)
    config_path(layout).write_text(CONFIG.format(etcd_tag=etcd_tag()))
    _run(
        engine,
        layout,
        [
            "create",
            "cluster",
            "--name",
            CLUSTER_NAME,
            "--image",
            image,
            "--config",
            str(config_path(layout)),
            "--kubeconfig",
            str(layout.kubeconfig),
            "--wait",
            "300s",
        ],
    )


def delete(engine: Engine, layout: CacheLayout) -> None:
    _run(
        engine,
        layout,
        ["delete", "cluster", "--name", CLUSTER_NAME, "--kubeconfig", str(layout.kubeconfig)],
    )


def load(engine: Engine, layout: CacheLayout, images: list[str]) -> None:
    """Copy images from the engine into the node's containerd (pods use them by name, with
    imagePullPolicy IfNotPresent or Never: no registry answers)."""
    _run(engine, layout, ["load", "docker-image", "--name", CLUSTER_NAME, *images])


METRICS_SERVER = Path(__file__).resolve().parent.parent / "kind" / "metrics-server.yaml"


def install_metrics_server(cluster: Cluster) -> None:
    """metrics-server, from the image in the node (`kubectl top`); its first metrics come a
    scrape (15 s) after it is ready, which the tests wait for."""
    manifest = METRICS_SERVER.read_text().replace(
        "METRICS_SERVER_VERSION", metrics_server_version()
    )
    cluster.kubectl("apply", "-f", "-", input=manifest)


def _run(engine: Engine, layout: CacheLayout, args: list[str]) -> None:
    kind = layout.binary("kind")
    if not kind.is_file():
        raise HarnessError(f"{kind} is missing: run `python -m e2e.harness node-image` first")
    result = subprocess.run(
        [str(kind), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=environment(engine, layout),
        check=False,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout)
        raise HarnessError(
            f"`kind {' '.join(args)}` failed (exit {result.returncode}); output above"
        )
