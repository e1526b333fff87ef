"""A running cluster as the tests see it: its kubeconfigs and the built kubectl that talks to it."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from e2e.harness.errors import HarnessError


@dataclass(frozen=True)
class Cluster:
    """Where a cluster is and how to reach it.

    `backend` is "kwok" (local control plane, simulated nodes), "kind", or "external" (a cluster
    someone else runs, named by E2E_KUBECONFIG). `viewer_kubeconfig` is a non-admin identity
    that may only read one namespace (`viewer_namespace`); None when an external cluster came
    without one. `audit_log` is the API server's audit log and `authentication_config` the
    file it reads its JWT issuers from (reloaded when it changes), where the harness runs the
    API server (kwok); None elsewhere.
    """

    name: str
    backend: str
    kubeconfig: Path
    viewer_kubeconfig: Path | None
    viewer_namespace: str
    bin_dir: Path
    # Where kubectl and helm keep caches and settings instead of $HOME (see tool_environment).
    tool_state: Path
    audit_log: Path | None = None
    authentication_config: Path | None = None

    @property
    def kubectl_path(self) -> Path:
        return self.bin_dir / "kubectl"

    def kubectl(
        self,
        *args: str,
        input: str | None = None,
        check: bool = True,
        timeout: float = 120,
    ) -> subprocess.CompletedProcess[str]:
        """Run the built kubectl as cluster admin. With check, a failure raises HarnessError
        carrying kubectl's stderr, which says more than an exit code."""
        return run_kubectl(
            self.kubectl_path, self.kubeconfig, args, input, check, timeout, self.tool_state
        )

    def kubectl_as_viewer(
        self,
        *args: str,
        input: str | None = None,
        check: bool = True,
        timeout: float = 120,
    ) -> subprocess.CompletedProcess[str]:
        """Run the built kubectl as the restricted identity (ClusterRole view in one namespace)."""
        if self.viewer_kubeconfig is None:
            raise HarnessError(
                "this cluster has no restricted identity: with E2E_KUBECONFIG, also set "
                "E2E_VIEWER_KUBECONFIG to a kubeconfig that may only view one namespace"
            )
        return run_kubectl(
            self.kubectl_path, self.viewer_kubeconfig, args, input, check, timeout, self.tool_state
        )

    def kubectl_json(self, *args: str) -> Any:
        return json.loads(self.kubectl(*args, "-o", "json").stdout)

    def settle(self, timeout: float = 180) -> None:
        """Wait until no namespace is being deleted: what earlier tests removed with
        `--wait=false` (their releases' Secrets among it) is gone, so a cluster-wide listing
        sees only what exists now."""
        listed = self.kubectl_json("get", "namespaces")
        terminating = [
            f"namespace/{item['metadata']['name']}"
            for item in listed.get("items", [])
            if item.get("status", {}).get("phase") == "Terminating"
        ]
        if terminating:
            self.kubectl(
                "wait",
                "--for=delete",
                *terminating,
                f"--timeout={int(timeout)}s",
                timeout=timeout + 30,
            )

    def helm(
        self, *args: str, check: bool = True, timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        """Run the built helm as cluster admin; with check, a failure raises HarnessError
        carrying helm's stderr."""
        result = subprocess.run(
            [str(self.bin_dir / "helm"), *args],
            capture_output=True,
            text=True,
            env=self.env(),
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise HarnessError(f"`helm {' '.join(args)}` failed: {result.stderr.strip()}")
        return result

    def env(self) -> dict[str, str]:
        """The environment a child process (helm, a script) needs to use this cluster with the
        built tools as admin."""
        environment = tool_environment(dict(os.environ), self.tool_state)
        environment["PATH"] = f"{self.bin_dir}{os.pathsep}{environment.get('PATH', '')}"
        environment["KUBECONFIG"] = str(self.kubeconfig)
        return environment


def tool_environment(environment: dict[str, str], tool_state: Path | None) -> dict[str, str]:
    """Point kubectl's cache and helm's cache, config and data under `tool_state`."""
    if tool_state is not None:
        environment["KUBECACHEDIR"] = str(tool_state / "kube-cache")
        for kind in ("CACHE", "CONFIG", "DATA"):
            environment[f"HELM_{kind}_HOME"] = str(tool_state / "helm" / kind.lower())
    return environment


def run_kubectl(
    kubectl: Path,
    kubeconfig: Path,
    args: tuple[str, ...] | list[str],
    input: str | None = None,
    check: bool = True,
    timeout: float = 120,
    tool_state: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    command = [str(kubectl), "--kubeconfig", str(kubeconfig), *args]
    try:
        result = subprocess.run(
            command,
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env=tool_environment(dict(os.environ), tool_state),
        )
    except subprocess.TimeoutExpired as expired:
        raise HarnessError(
            f"`kubectl {' '.join(args)}` did not finish in {timeout:.0f} s"
        ) from expired
    if check and result.returncode != 0:
        raise HarnessError(
            f"`kubectl {' '.join(args)}` failed (exit {result.returncode}):\n"
            f"{result.stderr.strip() or result.stdout.strip()}"
        )
    return result
