"""A restricted identity for RBAC tests: a ServiceAccount that may only view one namespace.

The admin identity is in system:masters, which bypasses RBAC, so it can never see a "forbidden".
The server's RBAC preflight (SelfSubjectAccessReview) and its rbac_denied errors need a user that
is actually limited: ClusterRole `view`, bound by a RoleBinding in one namespace only.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from e2e.harness.cluster import Cluster

VIEWER_NAMESPACE = "e2e-viewer-ns"
VIEWER_SERVICE_ACCOUNT = "e2e-viewer"
# Long enough for a cluster kept across a working week; `up` mints a fresh one each time anyway.
TOKEN_DURATION = "168h"


def _manifest() -> str:
    objects = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": VIEWER_NAMESPACE}},
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": VIEWER_SERVICE_ACCOUNT, "namespace": VIEWER_NAMESPACE},
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": f"{VIEWER_SERVICE_ACCOUNT}-view", "namespace": VIEWER_NAMESPACE},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "view",
            },
            "subjects": [
                {
                    "kind": "ServiceAccount",
                    "name": VIEWER_SERVICE_ACCOUNT,
                    "namespace": VIEWER_NAMESPACE,
                }
            ],
        },
    ]
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": objects})


def create_viewer(cluster: Cluster, path: Path) -> Path:
    """Create (or refresh) the identity and write a kubeconfig for it at `path`."""
    cluster.kubectl("apply", "-f", "-", input=_manifest())
    # TokenRequest API: a bound token, as a workload would get; no long-lived Secret needed.
    token = cluster.kubectl(
        "create",
        "token",
        VIEWER_SERVICE_ACCOUNT,
        "--namespace",
        VIEWER_NAMESPACE,
        "--duration",
        TOKEN_DURATION,
    ).stdout.strip()
    admin = cluster.kubectl_json("config", "view", "--raw", "--minify", "--flatten")
    # Same server and CA as the admin kubeconfig, embedded so the file stands alone.
    server = admin["clusters"][0]["cluster"]
    cluster_name = admin["clusters"][0]["name"]
    user = f"{VIEWER_SERVICE_ACCOUNT}@{cluster_name}"
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster_name, "cluster": server}],
        "users": [{"name": user, "user": {"token": token}}],
        "contexts": [
            {
                "name": user,
                "context": {"cluster": cluster_name, "user": user, "namespace": VIEWER_NAMESPACE},
            }
        ],
        "current-context": user,
    }
    # Kubeconfig is YAML, and JSON is YAML: kubectl and the server both read it.
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(config, handle, indent=2)
        handle.write("\n")
    path.chmod(0o600)  # it holds a credential, also when an older file was looser
    return path
