"""The local control plane: `kwokctl --runtime binary` running the binaries the harness built.

kwokctl starts etcd, kube-apiserver, kube-controller-manager, kube-scheduler and the kwok
controller as local processes, with its own CA and an admin client certificate. It downloads any
binary it is not given, so every one is passed explicitly, the kubectl it runs for its own checks
is found first on PATH, and its work directory (clusters, pki, pids, logs, download cache) is
under the harness cache instead of ~/.kwok.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from e2e.harness.binaries import read_module
from e2e.harness.cache import CLUSTER_NAME, CacheLayout
from e2e.harness.errors import HarnessError
from e2e.harness.progress import say

# The address ranges of kind and kubeadm clusters. Left alone, kwok hands pods addresses from
# 10.0.0.0/24, which is also kube-apiserver's default Service range.
POD_CIDR = "10.244.0.0/16"
SERVICE_CIDR = "10.96.0.0/12"


def kwokctl_env(layout: CacheLayout) -> dict[str, str]:
    environment = dict(os.environ)
    environment["KWOK_WORKDIR"] = str(layout.kwok_workdir)
    # kwokctl runs `kubectl` from PATH for its own health checks before it would download one.
    environment["PATH"] = f"{layout.bin_dir}{os.pathsep}{environment.get('PATH', '')}"
    return environment


def cluster_workdir(layout: CacheLayout) -> Path:
    return layout.kwok_workdir / "clusters" / CLUSTER_NAME


def exists(layout: CacheLayout) -> bool:
    """kwokctl knows the cluster (it may still be stopped or half started)."""
    return (cluster_workdir(layout) / "kwok.yaml").is_file()


def _config(layout: CacheLayout) -> str:
    kube_version = read_module("kubernetes").version("k8s.io/kubernetes")
    options = {
        # The release the binaries were built from (kwok v0.8.0 defaults to v1.36.1; the build
        # stamps v1.35.4 in too, this keeps the setting visible in the file kwokctl reads).
        "kubeVersion": kube_version,
        # kwokctl's default, 0.0.0.0, would expose etcd and the API server to the network.
        "bindAddress": "127.0.0.1",
        "kubectlBinary": str(layout.binary("kubectl")),
        # Nothing is downloaded, but should kwokctl try, it writes under the cache, not $HOME.
        "cacheDir": str(layout.kwok_workdir / "cache"),
    }
    # JSON is YAML, which kwokctl reads. No KwokConfiguration here: kwokctl would hand it to the
    # kwok controller without defaults (node lease parallelism 0 makes it exit at start-up).
    config = {
        "apiVersion": "config.kwok.x-k8s.io/v1alpha1",
        "kind": "KwokctlConfiguration",
        "options": options,
    }
    return json.dumps(config, indent=2) + "\n"


# Who did what, as the API server saw it: each request's user and, for an impersonated one,
# `impersonatedUser` (e2e/test_identity.py reads it). Metadata only (no bodies, no secret
# values), and only for the kinds those tests touch: `make bench` creates thousands of pods.
AUDIT_POLICY = {
    "apiVersion": "audit.k8s.io/v1",
    "kind": "Policy",
    "omitStages": ["RequestReceived"],
    "rules": [
        {
            "level": "Metadata",
            "resources": [
                {"group": "", "resources": ["configmaps", "secrets"]},
                {"group": "authentication.k8s.io", "resources": ["selfsubjectreviews"]},
            ],
        },
        {"level": "None"},
    ],
}


# The API server reads its JWT issuers from this file and reloads it when it changes: it
# starts with none, and e2e/test_identity.py adds the identity provider it starts.
AUTHENTICATION_CONFIG = {
    "apiVersion": "apiserver.config.k8s.io/v1",
    "kind": "AuthenticationConfiguration",
    "jwt": [],
}


def authentication_config(layout: CacheLayout) -> Path:
    """The API server's structured authentication configuration (JWT issuers)."""
    return layout.cluster_dir / "authentication.yaml"


def audit_log(layout: CacheLayout) -> Path:
    """The API server's audit log (kwokctl writes it under the cluster's logs)."""
    return cluster_workdir(layout) / "logs" / "audit.log"


def create(layout: CacheLayout, timeout_seconds: int = 300) -> None:
    layout.cluster_dir.mkdir(parents=True, exist_ok=True)
    command, files = _create_command(layout, timeout_seconds)
    _run(command, layout, timeout_seconds + 60)
    _check_components(layout)
    _settings_file(layout).write_text(_fingerprint(command, files))


def current(layout: CacheLayout) -> bool:
    """The cluster was created with the settings this harness would create it with: a
    running cluster made by an older harness (another flag, no audit policy) is not."""
    recorded = _settings_file(layout)
    command, files = _create_command(layout, timeout_seconds=300)
    return recorded.is_file() and recorded.read_text() == _fingerprint(command, files)


def _settings_file(layout: CacheLayout) -> Path:
    return layout.cluster_dir / "kwok-settings.sha256"


def _fingerprint(command: list[str], files: list[str]) -> str:
    return hashlib.sha256(json.dumps([command, files]).encode()).hexdigest() + "\n"


def _create_command(layout: CacheLayout, timeout_seconds: int) -> tuple[list[str], list[str]]:
    """kwokctl's command line, and the contents of the files it names (written here)."""
    config_text = _config(layout)
    config_path = layout.cluster_dir / "kwokctl.yaml"
    config_path.write_text(config_text)
    policy_text = json.dumps(AUDIT_POLICY, indent=2) + "\n"
    policy_path = layout.cluster_dir / "audit-policy.yaml"
    policy_path.write_text(policy_text)
    authentication_text = json.dumps(AUTHENTICATION_CONFIG, indent=2) + "\n"
    authentication_config(layout).write_text(authentication_text)
    binary = layout.binary
    command = [
        str(binary("kwokctl")),
        "--name",
        CLUSTER_NAME,
        "--config",
        str(config_path),
        "create",
        "cluster",
        "--runtime",
        "binary",
        "--etcd-binary",
        str(binary("etcd")),
        "--kube-apiserver-binary",
        str(binary("kube-apiserver")),
        "--kube-controller-manager-binary",
        str(binary("kube-controller-manager")),
        "--kube-scheduler-binary",
        str(binary("kube-scheduler")),
        "--kwok-controller-binary",
        str(binary("kwok")),
        # TLS, client certificates and --authorization-mode=Node,RBAC: what a real cluster does,
        # and what the server's RBAC preflight needs to be meaningful.
        "--secure-port=true",
        "--kube-authorization=true",
        "--kube-admission=true",
        # ClusterLogs as an API object (created after start-up) rather than static config.
        "--enable-crds",
        "ClusterLogs",
        "--kube-audit-policy",
        str(policy_path),
        "--extra-args",
        f"kwok-controller=cidr={POD_CIDR}",
        "--extra-args",
        f"kube-apiserver=service-cluster-ip-range={SERVICE_CIDR}",
        "--extra-args",
        f"kube-apiserver=authentication-config={authentication_config(layout)}",
        # One scheduler and one controller manager: no lease to hold. With leader election on,
        # an API server slowed by thousands of pods (make bench) let the lease lapse, and both
        # exited ("leaderelection lost"), leaving a cluster whose new pods never ran.
        "--extra-args",
        "kube-scheduler=leader-elect=false",
        "--extra-args",
        "kube-controller-manager=leader-elect=false",
        # kwokctl adds its context to this file; its default is ~/.kube/config.
        "--kubeconfig",
        str(layout.kubeconfig),
        "--quiet-pull",
        "--wait",
        f"{timeout_seconds}s",
        "--timeout",
        f"{timeout_seconds}s",
    ]
    return command, [config_text, policy_text, authentication_text]


def _check_components(layout: CacheLayout) -> None:
    """kwokctl reports success once the API server answers, even when another component has
    already exited (a bad flag, a port taken); a cluster without its kwok controller never gets
    a Ready node, so say which component died and show the end of its log."""
    dead = [name for pid, name in _component_pids(layout).items() if not _alive(pid, name)]
    if not dead:
        return
    logs = cluster_workdir(layout) / "logs"
    for name in dead:
        lines = (logs / f"{name}.log").read_text(errors="replace").splitlines()
        say(f"--- last lines of {logs / f'{name}.log'}")
        for line in lines[-15:]:
            say(line)
    raise HarnessError(
        f"{', '.join(dead)} exited right after start-up; the end of its log is above. "
        "`python -m e2e.harness down` cleans up."
    )


def delete(layout: CacheLayout) -> None:
    """Delete the cluster and make sure none of its processes survives."""
    pids = _component_pids(layout)
    if exists(layout):
        _run(
            [
                str(layout.binary("kwokctl")),
                "--name",
                CLUSTER_NAME,
                "delete",
                "cluster",
                "--kubeconfig",
                str(layout.kubeconfig),
            ],
            layout,
            timeout_seconds=120,
        )
    _reap(pids)


def _component_pids(layout: CacheLayout) -> dict[int, str]:
    """The processes kwokctl started for this cluster, from the pid files it keeps."""
    found: dict[int, str] = {}
    for pid_file in sorted((cluster_workdir(layout) / "pids").glob("*.pid")):
        try:
            pid = int(pid_file.read_text().strip())
        except ValueError:
            continue
        found[pid] = pid_file.stem
    return found


def _alive(pid: int, name: str) -> bool:
    """Alive and still the program kwokctl started (a pid may have been reused since)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    program = cmdline.split(b"\0", 1)[0].decode(errors="replace")
    return Path(program).name == name or name in program


def _reap(pids: dict[int, str], grace_seconds: float = 10) -> None:
    survivors = {pid: name for pid, name in pids.items() if _alive(pid, name)}
    if not survivors:
        return
    say(f"stopping processes kwokctl left behind: {', '.join(survivors.values())}")
    for pid in survivors:
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_seconds
    while time.monotonic() < deadline and any(_alive(p, n) for p, n in survivors.items()):
        time.sleep(0.2)
    for pid, name in survivors.items():
        if _alive(pid, name):
            os.kill(pid, signal.SIGKILL)


def _run(command: list[str], layout: CacheLayout, timeout_seconds: float) -> None:
    try:
        result = subprocess.run(
            command,
            env=kwokctl_env(layout),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout_seconds,
            check=False,
        )
    except subprocess.TimeoutExpired as expired:
        output = expired.stdout if isinstance(expired.stdout, str) else ""
        sys.stderr.write(output)
        raise HarnessError(f"kwokctl did not finish in {timeout_seconds:.0f} s") from expired
    if result.returncode != 0:
        sys.stderr.write(result.stdout)
        raise HarnessError(
            f"kwokctl failed (exit {result.returncode}); its output is above, component logs are "
            f"in {cluster_workdir(layout) / 'logs'}"
        )
