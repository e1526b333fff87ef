"""Where the harness keeps what outlives one run: built binaries, the cluster's files, the lock.

Everything lives outside the repository, under `$KAP_CACHE` or `~/.cache/kube-ai-proxy`, so a
checkout stays clean and several checkouts share one set of binaries.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from e2e.harness.progress import say

CLUSTER_NAME = "kube-ai-proxy-e2e"


@dataclass(frozen=True)
class CacheLayout:
    """The paths under the cache root; nothing here touches the disk until asked."""

    root: Path

    @classmethod
    def from_env(cls) -> CacheLayout:
        configured = os.environ.get("KAP_CACHE")
        root = Path(configured) if configured else Path.home() / ".cache" / "kube-ai-proxy"
        return cls(root.expanduser().resolve())

    @property
    def bin_dir(self) -> Path:
        return self.root / "bin"

    @property
    def stamps_dir(self) -> Path:
        return self.root / "stamps"

    @property
    def build_lock(self) -> Path:
        return self.root / "build.lock"

    @property
    def cluster_lock(self) -> Path:
        return self.root / "cluster.lock"

    @property
    def kwok_workdir(self) -> Path:
        """KWOK_WORKDIR: kwokctl keeps clusters, pki, pids and logs here instead of ~/.kwok."""
        return self.root / "kwok"

    @property
    def cluster_dir(self) -> Path:
        """Files a user or a test points at: kubeconfigs, the kwokctl config, pod log files."""
        return self.root / "cluster"

    @property
    def kubeconfig(self) -> Path:
        return self.cluster_dir / "kubeconfig"

    @property
    def viewer_kubeconfig(self) -> Path:
        return self.cluster_dir / "viewer.kubeconfig"

    @property
    def tool_state(self) -> Path:
        """Caches and settings of the CLIs the harness and the tested server run (kubectl's
        discovery cache, helm's repositories), kept out of $HOME: tests must not depend on a
        developer's helm repositories, nor leave files in their home directory."""
        return self.root / "tool-state"

    @property
    def backend_file(self) -> Path:
        """Records which backend (kwok or kind) made the running cluster, so `down` undoes it."""
        return self.cluster_dir / "backend"

    @property
    def docker_dir(self) -> Path:
        """The harness's own dockerd (e2e/harness/docker.py): its data root, log and socket."""
        return self.root / "docker"

    @property
    def docker_socket(self) -> Path:
        return self.docker_dir / "docker.sock"

    @property
    def images_dir(self) -> Path:
        """Base images made here (e2e/harness/images.py), as tarballs keyed by their inputs."""
        return self.root / "images"

    def binary(self, name: str) -> Path:
        return self.bin_dir / name


@contextmanager
def locked(path: Path, what: str) -> Iterator[None]:
    """Hold an exclusive flock on `path`; two harness runs would otherwise build or start the
    same cluster at once and corrupt each other's output."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say(f"waiting for another run that holds {path} ({what})")
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
