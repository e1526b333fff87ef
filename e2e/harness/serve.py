"""`make run`: the server on stdio against the cluster the kubeconfig names, or, when there is
no usable kubeconfig and no K8S_CONTEXT, against the local cluster (started, and built on first
use), so that a newcomer's first call answers.

This is the Makefile's convenience: `kube-ai-proxy` itself never starts a cluster. stdout is
the MCP stream once the server runs, so everything said here, and everything the cluster's
start prints, goes to stderr.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from e2e.harness.cache import CacheLayout
from e2e.harness.cluster import Cluster
from e2e.harness.errors import HarnessError
from e2e.harness.lifecycle import up
from e2e.harness.progress import say, step


def _documents(paths: list[Path]) -> list[dict[str, Any]]:
    documents = []
    for path in paths:
        if path.is_file():
            loaded = yaml.safe_load(path.read_text())
            documents.append(loaded if isinstance(loaded, dict) else {})
    return documents


def kubeconfig_problem(environ: Mapping[str, str]) -> str | None:
    """Why the kubeconfig kubectl would use cannot serve (None when it can): no file, a file
    that is not YAML, or no context to use. Whether its cluster answers is not asked: a real
    cluster that is down is the user's to see, not a reason to serve another one."""
    value = environ.get("KUBECONFIG", "")
    paths = [Path(p).expanduser() for p in value.split(os.pathsep) if p]
    if not paths:
        paths = [Path.home() / ".kube" / "config"]
    shown = os.pathsep.join(str(p) for p in paths)
    try:
        documents = _documents(paths)
    except (OSError, yaml.YAMLError) as error:
        return f"the kubeconfig {shown} cannot be read: {' '.join(str(error).split())}"
    if not documents:
        source = "KUBECONFIG names" if value else "KUBECONFIG is not set and there is no"
        return f"{source} {shown}" + (", which does not exist" if value else "")
    # As kubectl merges several files: the first that sets current-context wins.
    current = environ.get("K8S_CONTEXT") or next(
        (d["current-context"] for d in documents if d.get("current-context")), None
    )
    if not current:
        return f"the kubeconfig {shown} sets no current-context (and K8S_CONTEXT is not set)"
    names = {
        entry.get("name")
        for document in documents
        for entry in document.get("contexts") or []
        if isinstance(entry, dict)
    }
    if current not in names:
        return f"the kubeconfig {shown} has no context named {current!r}"
    return None


# Something to look at in an empty cluster: a first `get pods -A` that shows pods, not
# "No resources found". kwok runs no container, so the image is never pulled.
HELLO = {
    "apiVersion": "v1",
    "kind": "List",
    "items": [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "hello"}},
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "hello", "labels": {"app": "web"}},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
                },
            },
        },
    ],
}


def seed(cluster: Cluster) -> None:
    """The `hello` namespace and its `web` Deployment, once; kept while the cluster runs."""
    if cluster.backend != "kwok":
        return  # kind pulls images, and no registry may answer here
    with step("deploying hello/web (2 pods) to look at", done="hello/web is available"):
        cluster.kubectl("apply", "-f", "-", input=json.dumps(HELLO))
        cluster.kubectl("rollout", "status", "deployment/web", "-n", "hello", "--timeout=120s")


@contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """The cluster's start (kwokctl, kind, builds) prints to stdout too; while it runs, stdout
    is stderr, so the MCP stream that follows starts clean."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def main(argv: list[str]) -> int:
    """`python -m e2e.harness.serve SERVER [ARGS...]`: become SERVER (the kube-ai-proxy
    executable) with ARGS, serving the configured cluster or the local one. Returns only when
    it could not."""
    if not argv:
        say("usage: python -m e2e.harness.serve /path/to/kube-ai-proxy [its arguments]")
        return 2
    server, arguments = argv[0], argv[1:]
    environ = dict(os.environ)
    problem = None if environ.get("K8S_CONTEXT") else kubeconfig_problem(environ)
    if problem is not None:
        layout = CacheLayout.from_env()
        say(f"kube-ai-proxy: no usable kubeconfig ({problem}); serving the local cluster.")
        try:
            with _stdout_to_stderr():
                cluster = up(layout)
                seed(cluster)
        except HarnessError as error:
            say(f"error: the local cluster did not start: {error}")
            return 1
        environ["KUBECONFIG"] = str(cluster.kubeconfig)
        environ["PATH"] = f"{cluster.bin_dir}{os.pathsep}{environ.get('PATH', '')}"
        pods = (
            "pods run in real containers"
            if cluster.backend == "kind"
            else "a real API server; pods are simulated and run no containers"
        )
        say(
            f"kube-ai-proxy: serving the local cluster {cluster.name} ({cluster.backend}: "
            f"{pods})\n"
            f"  its kubeconfig:  {cluster.kubeconfig}\n"
            "  stop it:         make cluster-down\n"
            "  serve yours:     KUBECONFIG=/path/to/kubeconfig make run  (K8S_CONTEXT=NAME "
            "picks a context)"
        )
    program = shutil.which(server) or server
    try:
        os.execve(program, [program, *arguments], environ)
    except OSError as error:
        say(f"error: cannot start {server}: {error}")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
