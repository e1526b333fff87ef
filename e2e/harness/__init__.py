"""The e2e harness: build the real binaries, run a local cluster, hand tests a `Cluster`.

Python API (what e2e/conftest.py uses):

    layout = CacheLayout.from_env()      # $KAP_CACHE or ~/.cache/kube-ai-proxy
    ensure_binaries(layout)              # etcd, kube-*, kubectl, kwok(ctl), helm in bin/
    cluster = up(layout)                 # start or reuse; cluster.kubectl("get", "pods", "-A")
    down(layout)

Command line: `python -m e2e.harness binaries|up|down|status`.
"""

from e2e.harness.binaries import STEPS, BuildStep, ensure_binaries, find_go
from e2e.harness.cache import CLUSTER_NAME, CacheLayout
from e2e.harness.cluster import Cluster
from e2e.harness.errors import HarnessError
from e2e.harness.identity import VIEWER_NAMESPACE, VIEWER_SERVICE_ACCOUNT
from e2e.harness.lifecycle import down, status, up
from e2e.harness.podlogs import APP_LOG_LINES, PREVIOUS_LOG_LINES, log_texts, logging_pods

__all__ = [
    "APP_LOG_LINES",
    "CLUSTER_NAME",
    "PREVIOUS_LOG_LINES",
    "STEPS",
    "VIEWER_NAMESPACE",
    "VIEWER_SERVICE_ACCOUNT",
    "BuildStep",
    "CacheLayout",
    "Cluster",
    "HarnessError",
    "down",
    "ensure_binaries",
    "find_go",
    "log_texts",
    "logging_pods",
    "status",
    "up",
]
