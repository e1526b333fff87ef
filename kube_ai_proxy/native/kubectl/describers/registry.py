"""Which of kubectl's describers a kind gets. Each is `gather` (the API calls kubectl's
describer makes besides reading the object) and `render` (the text, from the object and what
was gathered).

`render` is a pure function of the object, the gathered responses and the time, so it can be
tested on recorded API responses. Kinds kubectl describes with a describer of its own that is
not ported here have no entry: `describer_for` returns None for them and the command goes to
kubectl. Every other kind (CRDs included) gets kubectl's generic describer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from kube_ai_proxy.native.kubectl.describers.cluster import (
    gather_namespace,
    render_namespace,
    render_service_account,
)
from kube_ai_proxy.native.kubectl.describers.config import render_config_map, render_secret
from kube_ai_proxy.native.kubectl.describers.gather import Related, Source, events_of, nothing
from kube_ai_proxy.native.kubectl.describers.generic import render_generic
from kube_ai_proxy.native.kubectl.describers.networking import (
    gather_ingress,
    gather_service,
    render_endpoints,
    render_ingress,
    render_service,
)
from kube_ai_proxy.native.kubectl.describers.nodes import gather_node, render_node
from kube_ai_proxy.native.kubectl.describers.parts import Obj
from kube_ai_proxy.native.kubectl.describers.storage import (
    gather_claim,
    render_claim,
    render_volume,
)
from kube_ai_proxy.native.kubectl.describers.workloads import (
    gather_controller,
    gather_deployment,
    gather_pod,
    render_cron_job,
    render_daemon_set,
    render_deployment,
    render_job,
    render_pod,
    render_replica_set,
    render_stateful_set,
)

Gather = Callable[[Source, Obj], Awaitable[Related]]
Render = Callable[[Obj, Related, float], str]


@dataclass(frozen=True)
class Describer:
    """One kind's describer: what it reads besides the object, and how it prints it."""

    gather: Gather
    render: Render


DESCRIBERS: dict[tuple[str, str], Describer] = {
    ("", "Pod"): Describer(gather_pod, render_pod),
    ("apps", "Deployment"): Describer(gather_deployment, render_deployment),
    ("apps", "ReplicaSet"): Describer(gather_controller, render_replica_set),
    ("apps", "StatefulSet"): Describer(gather_controller, render_stateful_set),
    ("apps", "DaemonSet"): Describer(gather_controller, render_daemon_set),
    ("batch", "Job"): Describer(events_of, render_job),
    ("batch", "CronJob"): Describer(events_of, render_cron_job),
    ("", "Service"): Describer(gather_service, render_service),
    ("", "Endpoints"): Describer(events_of, render_endpoints),
    ("networking.k8s.io", "Ingress"): Describer(gather_ingress, render_ingress),
    ("", "Node"): Describer(gather_node, render_node),
    ("", "Namespace"): Describer(gather_namespace, render_namespace),
    ("", "ConfigMap"): Describer(events_of, render_config_map),
    ("", "Secret"): Describer(nothing, render_secret),
    ("", "ServiceAccount"): Describer(events_of, render_service_account),
    ("", "PersistentVolumeClaim"): Describer(gather_claim, render_claim),
    ("", "PersistentVolume"): Describer(events_of, render_volume),
}

GENERIC = Describer(events_of, render_generic)

# Kinds kubectl describes with a describer of its own (describerMap); those not ported above
# go to kubectl rather than to the generic describer, which would print them differently.
KUBECTL_DESCRIBED = frozenset(
    {
        ("", "ReplicationController"),
        ("", "LimitRange"),
        ("", "ResourceQuota"),
        ("", "PriorityClass"),
        ("discovery.k8s.io", "EndpointSlice"),
        ("autoscaling", "HorizontalPodAutoscaler"),
        ("extensions", "Ingress"),
        ("networking.k8s.io", "IngressClass"),
        ("networking.k8s.io", "ServiceCIDR"),
        ("networking.k8s.io", "IPAddress"),
        ("certificates.k8s.io", "CertificateSigningRequest"),
        ("storage.k8s.io", "StorageClass"),
        ("storage.k8s.io", "CSINode"),
        ("storage.k8s.io", "VolumeAttributesClass"),
        ("policy", "PodDisruptionBudget"),
        ("rbac.authorization.k8s.io", "Role"),
        ("rbac.authorization.k8s.io", "ClusterRole"),
        ("rbac.authorization.k8s.io", "RoleBinding"),
        ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
        ("networking.k8s.io", "NetworkPolicy"),
        ("scheduling.k8s.io", "PriorityClass"),
    }
)


def describer_for(group: str, kind: str) -> Describer | None:
    """The describer kubectl would use for this kind, if it is ported; None: not ported."""
    if (group, kind) in DESCRIBERS:
        return DESCRIBERS[(group, kind)]
    if (group, kind) in KUBECTL_DESCRIBED:
        return None
    return GENERIC
