"""kubectl's describers, one per kind, as `gather` (the API calls kubectl's describer makes
besides reading the object) and `render` (the text, from the object and what was gathered).

`render` is a pure function of the object, the gathered responses and the time, so it can be
tested on recorded API responses. Kinds kubectl describes with a describer of its own that is
not ported here have no entry: `describer_for` returns None for them and the command goes to
kubectl. Every other kind (CRDs included) gets kubectl's generic describer.
"""

from __future__ import annotations

import base64
import unicodedata
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from adapters.errors import BackendError
from kube_ai_proxy.errors import Defer
from kube_ai_proxy.gofmt.sort import go_sort
from kube_ai_proxy.gofmt.times import rfc1123z
from kube_ai_proxy.gofmt.values import go_value
from kube_ai_proxy.native.kubectl.apimachinery import (
    Quantity,
    between,
    epoch,
    format_label_selector,
    format_labels,
    quantity,
    selector_string,
    since,
)
from kube_ai_proxy.native.kubectl.describe_parts import (
    Obj as Obj,
)
from kube_ai_proxy.native.kubectl.describe_parts import (
    access_modes,
    b,
    controller_of,
    controller_uid,
    decoded_size,
    describe_claim_templates,
    describe_containers,
    describe_events,
    describe_pod_template,
    describe_resources,
    describe_topology,
    describe_volumes,
    describe_workload_ref,
    go_bool,
    int_or_string,
    items,
    m,
    n,
    pod_env_resolver,
    pod_phase_counts,
    pods_status_line,
    print_annotations,
    print_bool_ptr,
    print_claim,
    print_csi_attributes,
    print_host_path,
    print_labels,
    print_nfs,
    print_pods,
    print_taints,
    print_tolerations,
    s,
)
from kube_ai_proxy.native.kubectl.printers import PrefixWriter

Related = dict[str, Any]


class Source(Protocol):
    """The API as the describers read it: kubectl's settings (--show-events, --chunk-size)
    applied, lists followed to their last page."""

    show_events: bool

    async def get(self, path: str) -> Obj: ...

    async def list(
        self, path: str, query: Sequence[tuple[str, str]] = (), chunked: bool = True
    ) -> list[Obj]: ...


Gather = Callable[[Source, Obj], Awaitable[Related]]
Render = Callable[[Obj, Related, float], str]


@dataclass(frozen=True)
class Describer:
    gather: Gather
    render: Render


# --- what the describers read besides the object --------------------------------------------


def _escape_field(value: str) -> str:
    """fields.EscapeValue."""
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")


async def search_events(
    source: Source, obj: Obj, kind: str | None, uid: str | None = None
) -> list[Obj] | None:
    """kubectl's searchEvents: events whose involvedObject is the object; None when
    --show-events=false. A failed search prints as no events in kubectl; here it is left to
    kubectl itself."""
    if not source.show_events:
        return None
    meta = m(obj, "metadata")
    namespace = s(meta, "namespace")
    fields = {"involvedObject.name": s(meta, "name"), "involvedObject.namespace": namespace}
    if kind:
        fields["involvedObject.kind"] = kind
    uid = s(meta, "uid") if uid is None else uid
    if uid:
        fields["involvedObject.uid"] = uid
    selector = ",".join(f"{k}={_escape_field(v)}" for k, v in sorted(fields.items()))
    path = f"/api/v1/namespaces/{namespace}/events" if namespace else "/api/v1/events"
    try:
        return await source.list(path, [("fieldSelector", selector)])
    except BackendError as exc:
        raise Defer(f"events could not be listed: {exc.message}") from None


async def _events_of(source: Source, obj: Obj) -> Related:
    return {"events": await search_events(source, obj, s(obj, "kind"))}


async def _nothing(_source: Source, _obj: Obj) -> Related:
    return {}


async def _pods_by_selector(source: Source, obj: Obj, selector: str) -> list[Obj]:
    namespace = s(m(obj, "metadata"), "namespace")
    try:
        return await source.list(
            f"/api/v1/namespaces/{namespace}/pods", [("labelSelector", selector)]
        )
    except BackendError as exc:
        raise Defer(f"pods could not be listed: {exc.message}") from None


async def _controller(source: Source, obj: Obj) -> Related:
    """Workloads: their events and the pods their selector matches."""
    selector = selector_string(m(obj, "spec").get("selector"))
    pods = await _pods_by_selector(source, obj, selector)
    return {"pods": pods, **await _events_of(source, obj)}


# --- Pod ------------------------------------------------------------------------------------


async def _gather_pod(source: Source, pod: Obj) -> Related:
    # kubectl searches a pod's events without its kind; a mirror pod's by its source's UID.
    mirror = m(pod, "metadata", "annotations").get("kubernetes.io/config.mirror")
    return {"events": await search_events(source, pod, None, mirror)}


def render_pod(pod: Obj, related: Related, now: float) -> str:
    w = PrefixWriter()
    meta, spec, status = m(pod, "metadata"), m(pod, "spec"), m(pod, "status")
    w.write(0, f"Name:\t{s(meta, 'name')}\n")
    w.write(0, f"Namespace:\t{s(meta, 'namespace')}\n")
    _pod_scheduling(w, spec, status)
    print_labels(w, "Labels", m(meta, "labels"))
    print_annotations(w, "Annotations", m(meta, "annotations"))
    _pod_status(w, meta, status, now)
    seccomp = m(spec, "securityContext").get("seccompProfile")
    if seccomp is not None:
        w.write(0, f"SeccompProfile:\t{s(seccomp, 'type')}\n")
        if s(seccomp, "type") == "Localhost":
            w.write(0, f"LocalhostProfile:\t{s(seccomp, 'localhostProfile')}\n")
    w.write(0, f"IP:\t{s(status, 'podIP')}\n")
    _pod_ips(w, status)
    if controller_of(pod):
        w.write(0, f"Controlled By:\t{controller_of(pod)}\n")
    if s(status, "nominatedNodeName"):
        w.write(0, f"NominatedNodeName:\t{s(status, 'nominatedNodeName')}\n")
    if spec.get("resources") is not None:
        w.write(0, "Resources:\n")
        describe_resources(w, m(spec, "resources"), 1)
    _pod_containers(w, pod)
    _pod_conditions(w, spec, status)
    describe_volumes(w, items(spec, "volumes"), "")
    w.write(0, f"QoS Class:\t{s(status, 'qosClass') or pod_qos(spec)}\n")
    print_labels(w, "Node-Selectors", m(spec, "nodeSelector"))
    print_tolerations(w, "Tolerations", items(spec, "tolerations"))
    describe_topology(w, items(spec, "topologySpreadConstraints"), "")
    if spec.get("workloadRef") is not None:
        describe_workload_ref(w, m(spec, "workloadRef"), "")
    describe_events(w, related.get("events"), now)
    return w.text()


def _pod_scheduling(w: PrefixWriter, spec: Obj, status: Obj) -> None:
    if spec.get("priority") is not None:
        w.write(0, f"Priority:\t{n(spec, 'priority')}\n")
    if s(spec, "priorityClassName"):
        w.write(0, f"Priority Class Name:\t{s(spec, 'priorityClassName')}\n")
    if s(spec, "runtimeClassName"):
        w.write(0, f"Runtime Class Name:\t{s(spec, 'runtimeClassName')}\n")
    if s(spec, "serviceAccountName"):
        w.write(0, f"Service Account:\t{s(spec, 'serviceAccountName')}\n")
    if not s(spec, "nodeName"):
        w.write(0, "Node:\t<none>\n")
    else:
        w.write(0, f"Node:\t{s(spec, 'nodeName')}/{s(status, 'hostIP')}\n")
    if status.get("startTime") is not None:
        w.write(0, f"Start Time:\t{rfc1123z(status['startTime'])}\n")


def _pod_status(w: PrefixWriter, meta: Obj, status: Obj, now: float) -> None:
    phase = s(status, "phase")
    if meta.get("deletionTimestamp") and phase not in ("Failed", "Succeeded"):
        w.write(0, f"Status:\tTerminating (lasts {since(meta['deletionTimestamp'], now)})\n")
        if meta.get("deletionGracePeriodSeconds") is None:
            raise Defer("a terminating pod without a grace period (kubectl would crash)")
        w.write(0, f"Termination Grace Period:\t{n(meta, 'deletionGracePeriodSeconds')}s\n")
    else:
        w.write(0, f"Status:\t{phase}\n")
    if s(status, "reason"):
        w.write(0, f"Reason:\t{s(status, 'reason')}\n")
    if s(status, "message"):
        w.write(0, f"Message:\t{s(status, 'message')}\n")


def _pod_ips(w: PrefixWriter, status: Obj) -> None:
    ips = items(status, "podIPs")
    if not ips:
        w.write(0, "IPs:\t<none>\n")
        return
    w.write(0, "IPs:\n")
    for ip in ips:
        w.write(1, f"IP:\t{s(ip, 'ip')}\n")


def _pod_containers(w: PrefixWriter, pod: Obj) -> None:
    spec, status = m(pod, "spec"), m(pod, "status")
    resolver = pod_env_resolver(pod)
    if items(spec, "initContainers"):
        describe_containers(
            w,
            "Init Containers",
            items(spec, "initContainers"),
            items(status, "initContainerStatuses"),
            resolver,
            "",
        )
    describe_containers(
        w, "Containers", items(spec, "containers"), items(status, "containerStatuses"), resolver, ""
    )
    if items(spec, "ephemeralContainers"):
        describe_containers(
            w,
            "Ephemeral Containers",
            items(spec, "ephemeralContainers"),
            items(status, "ephemeralContainerStatuses"),
            resolver,
            "",
        )


def _pod_conditions(w: PrefixWriter, spec: Obj, status: Obj) -> None:
    conditions = items(status, "conditions")
    gates = items(spec, "readinessGates")
    if gates:
        w.write(0, "Readiness Gates:\n  Type\tStatus\n")
        for gate in gates:
            found = next((c for c in conditions if s(c, "type") == s(gate, "conditionType")), None)
            state = s(found, "status") if found is not None else "<none>"
            w.write(1, f"{s(gate, 'conditionType')} \t{state} \n")
    if conditions:
        w.write(0, "Conditions:\n  Type\tStatus\n")
        for condition in conditions:
            w.write(1, f"{s(condition, 'type')} \t{s(condition, 'status')} \n")


def pod_qos(spec: Obj) -> str:
    """qos.ComputePodQOS, for a pod whose status does not carry its class."""
    requests: dict[str, Quantity] = {}
    limits: dict[str, Quantity] = {}
    guaranteed = True
    if spec.get("resources") is not None:
        lists = [(m(spec, "resources", "requests"), m(spec, "resources", "limits"))]
    else:
        containers = items(spec, "containers") + items(spec, "initContainers")
        lists = [(m(c, "resources", "requests"), m(c, "resources", "limits")) for c in containers]
    for request_list, limit_list in lists:
        _sum_qos(requests, request_list)
        _sum_qos(limits, limit_list)
        positive = {k for k in ("cpu", "memory") if quantity(limit_list, k).value > 0}
        if positive != {"cpu", "memory"}:
            guaranteed = False
    if not requests and not limits:
        return "BestEffort"
    equal = all(k in limits and limits[k].value == v.value for k, v in requests.items())
    if guaranteed and equal and len(requests) == len(limits):
        return "Guaranteed"
    return "Burstable"


def _sum_qos(into: dict[str, Quantity], resources: Obj) -> None:
    for name in resources:
        if name in ("cpu", "memory") and quantity(resources, name).value > 0:
            into[name] = quantity(resources, name).add(into.get(name, Quantity()))


# --- workloads ------------------------------------------------------------------------------


async def _gather_deployment(source: Source, deployment: Obj) -> Related:
    related = await _events_of(source, deployment)
    namespace = s(m(deployment, "metadata"), "namespace")
    selector = selector_string(m(deployment, "spec").get("selector"))
    try:
        related["replicaSets"] = await source.list(
            f"/apis/apps/v1/namespaces/{namespace}/replicasets", [("labelSelector", selector)]
        )
    except BackendError as exc:
        raise Defer(f"replica sets could not be listed: {exc.message}") from None
    return related


def render_deployment(deployment: Obj, related: Related, now: float) -> str:
    w = PrefixWriter()
    meta, spec, status = m(deployment, "metadata"), m(deployment, "spec"), m(deployment, "status")
    w.write(0, f"Name:\t{s(meta, 'name')}\n")
    w.write(0, f"Namespace:\t{s(meta, 'namespace')}\n")
    w.write(0, f"CreationTimestamp:\t{rfc1123z(meta.get('creationTimestamp'))}\n")
    print_labels(w, "Labels", m(meta, "labels"))
    print_annotations(w, "Annotations", m(meta, "annotations"))
    w.write(0, f"Selector:\t{selector_string(spec.get('selector'))}\n")
    w.write(
        0,
        f"Replicas:\t{_replicas(spec)} desired | {n(status, 'updatedReplicas')} updated | "
        f"{n(status, 'replicas')} total | {n(status, 'availableReplicas')} available | "
        f"{n(status, 'unavailableReplicas')} unavailable\n",
    )
    strategy = m(spec, "strategy")
    w.write(0, f"StrategyType:\t{s(strategy, 'type')}\n")
    w.write(0, f"MinReadySeconds:\t{n(spec, 'minReadySeconds')}\n")
    if strategy.get("rollingUpdate") is not None:
        update = m(strategy, "rollingUpdate")
        w.write(
            0,
            f"RollingUpdateStrategy:\t{int_or_string(update.get('maxUnavailable'))} max "
            f"unavailable, {int_or_string(update.get('maxSurge'))} max surge\n",
        )
    describe_pod_template(w, m(spec, "template"))
    _workload_conditions(w, status)
    old, new = replica_sets_of(deployment, related.get("replicaSets") or [])
    if old or new:
        w.write(0, f"OldReplicaSets:\t{_replica_set_list(old)}\n")
        w.write(0, f"NewReplicaSet:\t{_replica_set_list(new)}\n")
    describe_events(w, related.get("events"), now)
    return w.text()


def _replicas(spec: Obj) -> int:
    if spec.get("replicas") is None:
        raise Defer("no spec.replicas (kubectl would crash)")
    return n(spec, "replicas")


def _workload_conditions(w: PrefixWriter, status: Obj) -> None:
    conditions = items(status, "conditions")
    if conditions:
        w.write(0, "Conditions:\n  Type\tStatus\tReason\n")
        w.write(1, "----\t------\t------\n")
        for condition in conditions:
            w.write(
                1, f"{s(condition, 'type')} \t{s(condition, 'status')}\t{s(condition, 'reason')}\n"
            )


def replica_sets_of(deployment: Obj, listed: list[Obj]) -> tuple[list[Obj], list[Obj]]:
    """deploymentutil.GetAllReplicaSets: (all the old ones, [the new one])."""
    uid = s(m(deployment, "metadata"), "uid")
    owned = [rs for rs in listed if controller_uid(rs) == uid]
    go_sort(owned, _created_before)
    template = m(deployment, "spec", "template")
    new = next((rs for rs in owned if _same_template(m(rs, "spec", "template"), template)), None)
    # kubectl describes all the old ones (allOldRSes), scaled down or not.
    old = [rs for rs in owned if rs is not new]
    if any(m(rs, "spec").get("replicas") is None for rs in old):
        raise Defer("a replica set without spec.replicas (kubectl would crash)")
    return old, [new] if new is not None else []


def _created_before(a: Obj, b: Obj) -> bool:
    first, second = (
        epoch(m(a, "metadata").get("creationTimestamp")),
        epoch(m(b, "metadata").get("creationTimestamp")),
    )
    if first == second:
        return s(m(a, "metadata"), "name") < s(m(b, "metadata"), "name")
    return first < second


def _same_template(a: Obj, b: Obj) -> bool:
    """equalIgnoreHash: the templates without the pod-template-hash label, empty and missing
    fields counting as equal as apiequality.Semantic counts nil and empty."""
    return bool(_pruned(_without_hash(a)) == _pruned(_without_hash(b)))


def _without_hash(template: Obj) -> Obj:
    meta = dict(m(template, "metadata"))
    labels = {k: v for k, v in m(meta, "labels").items() if k != "pod-template-hash"}
    meta["labels"] = labels
    return {**template, "metadata": meta}


def _pruned(value: Any) -> Any:
    if isinstance(value, dict):
        kept = {k: _pruned(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v not in ({}, [], None)}
    if isinstance(value, list):
        return [_pruned(v) for v in value]
    return value


def _replica_set_list(sets: list[Obj]) -> str:
    texts = [
        f"{s(m(rs, 'metadata'), 'name')} ({n(m(rs, 'status'), 'replicas')}/"
        f"{n(m(rs, 'spec'), 'replicas')} replicas created)"
        for rs in sets
    ]
    return ", ".join(texts) or "<none>"


def render_replica_set(rs: Obj, related: Related, now: float) -> str:
    w = PrefixWriter()
    meta, spec, status = m(rs, "metadata"), m(rs, "spec"), m(rs, "status")
    w.write(0, f"Name:\t{s(meta, 'name')}\n")
    w.write(0, f"Namespace:\t{s(meta, 'namespace')}\n")
    w.write(0, f"Selector:\t{format_label_selector(spec.get('selector'))}\n")
    print_labels(w, "Labels", m(meta, "labels"))
    print_annotations(w, "Annotations", m(meta, "annotations"))
    if controller_of(rs):
        w.write(0, f"Controlled By:\t{controller_of(rs)}\n")
    w.write(0, f"Replicas:\t{n(status, 'replicas')} current / {_replicas(spec)} desired\n")
    pods_status_line(w, pod_phase_counts(related["pods"], s(meta, "uid")))
    describe_pod_template(w, m(spec, "template"))
    _workload_conditions(w, status)
    describe_events(w, related.get("events"), now)
    return w.text()


def render_stateful_set(sts: Obj, related: Related, now: float) -> str:
    w = PrefixWriter()
    meta, spec, status = m(sts, "metadata"), m(sts, "spec"), m(sts, "status")
    w.write(0, f"Name:\t{s(meta, 'name')}\n")
    w.write(0, f"Namespace:\t{s(meta, 'namespace')}\n")
    w.write(0, f"CreationTimestamp:\t{rfc1123z(meta.get('creationTimestamp'))}\n")
    w.write(0, f"Selector:\t{selector_string(spec.get('selector'))}\n")
    print_labels(w, "Labels", m(meta, "labels"))
    print_annotations(w, "Annotations", m(meta, "annotations"))
    w.write(0, f"Replicas:\t{_replicas(spec)} desired | {n(status, 'replicas')} total\n")
    strategy = m(spec, "updateStrategy")
    w.write(0, f"Update Strategy:\t{s(strategy, 'type')}\n")
    update = m(strategy, "rollingUpdate")
    if update.get("partition") is not None:
        w.write(1, f"Partition:\t{n(update, 'partition')}\n")
        if update.get("maxUnavailable") is not None:
            w.write(1, f"MaxUnavailable:\t{int_or_string(update['maxUnavailable'])}\n")
    pods_status_line(w, pod_phase_counts(related["pods"], s(meta, "uid")))
    describe_pod_template(w, m(spec, "template"))
    describe_claim_templates(w, items(spec, "volumeClaimTemplates"))
    describe_events(w, related.get("events"), now)
    return w.text()


def render_daemon_set(ds: Obj, related: Related, now: float) -> str:
    w = PrefixWriter()
    meta, spec, status = m(ds, "metadata"), m(ds, "spec"), m(ds, "status")
    w.write(0, f"Name:\t{s(meta, 'name')}\n")
    w.write(0, f"Namespace:\t{s(meta, 'namespace')}\n")
    w.write(0, f"Selector:\t{selector_string(spec.get('selector'))}\n")
    w.write(0, f"Node-Selector:\t{format_labels(m(spec, 'template', 'spec', 'nodeSelector'))}\n")
    print_labels(w, "Labels", m(meta, "labels"))
    print_annotations(w, "Annotations", m(meta, "annotations"))
    for title, field in (
        ("Desired Number of Nodes Scheduled", "desiredNumberScheduled"),
        ("Current Number of Nodes Scheduled", "currentNumberScheduled"),
        ("Number of Nodes Scheduled with Up-to-date Pods", "updatedNumberScheduled"),
        ("Number of Nodes Scheduled with Available Pods", "numberAvailable"),
        ("Number of Nodes Misscheduled", "numberMisscheduled"),
    ):
        w.write(0, f"{title}: {n(status, field)}\n")
    pods_status_line(w, pod_phase_counts(related["pods"], s(meta, "uid")))
    describe_pod_template(w, m(spec, "template"))
    describe_events(w, related.get("events"), now)
    return w.text()


def render_job(job: Obj, related: Related, now: float) -> str:
    w = PrefixWriter()
    meta, spec, status = m(job, "metadata"), m(job, "spec"), m(job, "status")
    w.write(0, f"Name:\t{s(meta, 'name')}\n")
    w.write(0, f"Namespace:\t{s(meta, 'namespace')}\n")
    w.write(0, f"Selector:\t{selector_string(spec.get('selector'))}\n")
    print_labels(w, "Labels", m(meta, "labels"))
    print_annotations(w, "Annotations", m(meta, "annotations"))
    if controller_of(job):
        w.write(0, f"Controlled By:\t{controller_of(job)}\n")
    _job_spec(w, spec)
    _job_times(w, spec, status)
    _job_pods(w, spec, status)
    describe_pod_template(w, m(spec, "template"))
    describe_events(w, related.get("events"), now)
    return w.text()


def _job_spec(w: PrefixWriter, spec: Obj) -> None:
    if spec.get("parallelism") is not None:
        w.write(0, f"Parallelism:\t{n(spec, 'parallelism')}\n")
    if spec.get("completions") is not None:
        w.write(0, f"Completions:\t{n(spec, 'completions')}\n")
    else:
        w.write(0, "Completions:\t<unset>\n")
    if spec.get("completionMode") is not None:
        w.write(0, f"Completion Mode:\t{s(spec, 'completionMode')}\n")
    if spec.get("suspend") is not None:
        w.write(0, f"Suspend:\t{go_bool(b(spec, 'suspend'))}\n")
    if spec.get("backoffLimit") is not None:
        w.write(0, f"Backoff Limit:\t{n(spec, 'backoffLimit')}\n")
    if spec.get("ttlSecondsAfterFinished") is not None:
        w.write(0, f"TTL Seconds After Finished:\t{n(spec, 'ttlSecondsAfterFinished')}\n")


def _job_times(w: PrefixWriter, spec: Obj, status: Obj) -> None:
    start, done = status.get("startTime"), status.get("completionTime")
    if start is not None:
        w.write(0, f"Start Time:\t{rfc1123z(start)}\n")
    if done is not None:
        w.write(0, f"Completed At:\t{rfc1123z(done)}\n")
    if start is not None and done is not None:
        w.write(0, f"Duration:\t{between(start, done)}\n")
    if spec.get("activeDeadlineSeconds") is not None:
        w.write(0, f"Active Deadline Seconds:\t{n(spec, 'activeDeadlineSeconds')}s\n")


def _job_pods(w: PrefixWriter, spec: Obj, status: Obj) -> None:
    active, succeeded, failed = n(status, "active"), n(status, "succeeded"), n(status, "failed")
    if status.get("ready") is None:
        line = f"{active} Active / {succeeded} Succeeded / {failed} Failed"
    else:
        ready = n(status, "ready")
        line = f"{active} Active ({ready} Ready) / {succeeded} Succeeded / {failed} Failed"
    w.write(0, f"Pods Statuses:\t{line}\n")
    if s(spec, "completionMode") == "Indexed":
        w.write(0, f"Completed Indexes:\t{_cap_indexes(s(status, 'completedIndexes'), 50)}\n")


def _cap_indexes(indexes: str, soft_limit: int) -> str:
    if not indexes:
        return "<none>"
    cut = indexes.find(",", soft_limit)
    if len(indexes) <= soft_limit or cut < 0:
        return indexes
    return indexes[: cut + 1] + "..."


def render_cron_job(cron: Obj, related: Related, now: float) -> str:
    w = PrefixWriter()
    meta, spec, status = m(cron, "metadata"), m(cron, "spec"), m(cron, "status")
    w.write(0, f"Name:\t{s(meta, 'name')}\n")
    w.write(0, f"Namespace:\t{s(meta, 'namespace')}\n")
    print_labels(w, "Labels", m(meta, "labels"))
    print_annotations(w, "Annotations", m(meta, "annotations"))
    w.write(0, f"Schedule:\t{s(spec, 'schedule')}\n")
    w.write(0, f"Concurrency Policy:\t{s(spec, 'concurrencyPolicy')}\n")
    w.write(0, f"Suspend:\t{print_bool_ptr(spec, 'suspend')}\n")
    for title, field in (
        ("Successful Job History Limit", "successfulJobsHistoryLimit"),
        ("Failed Job History Limit", "failedJobsHistoryLimit"),
    ):
        value = str(n(spec, field)) if spec.get(field) is not None else "<unset>"
        w.write(0, f"{title}:\t{value}\n")
    deadline = spec.get("startingDeadlineSeconds")
    w.write(0, f"Starting Deadline Seconds:\t{'<unset>' if deadline is None else f'{deadline}s'}\n")
    _job_template(w, m(spec, "jobTemplate", "spec"))
    last = status.get("lastScheduleTime")
    w.write(0, f"Last Schedule Time:\t{'<unset>' if last is None else rfc1123z(last)}\n")
    w.write(0, "Active Jobs:\t")
    active = items(status, "active")
    w.write_line(", ".join(s(job, "name") for job in active) if active else "<none>")
    describe_events(w, related.get("events"), now)
    return w.text()


def _job_template(w: PrefixWriter, spec: Obj) -> None:
    if spec.get("selector") is not None:
        w.write(0, f"Selector:\t{selector_string(spec['selector'])}\n")
    else:
        w.write(0, "Selector:\t<unset>\n")
    for title, field in (("Parallelism", "parallelism"), ("Completions", "completions")):
        value = str(n(spec, field)) if spec.get(field) is not None else "<unset>"
        w.write(0, f"{title}:\t{value}\n")
    if spec.get("activeDeadlineSeconds") is not None:
        w.write(0, f"Active Deadline Seconds:\t{n(spec, 'activeDeadlineSeconds')}s\n")
    describe_pod_template(w, m(spec, "template"))


# --- networking -----------------------------------------------------------------------------


async def _gather_service(source: Source, service: Obj) -> Related:
    meta = m(service, "metadata")
    slices = await _endpoint_slices(source, s(meta, "namespace"), s(meta, "name"))
    return {"endpointSlices": slices, **await _events_of(source, service)}


async def _endpoint_slices(source: Source, namespace: str, service: str) -> list[Obj]:
    try:
        return await source.list(
            f"/apis/discovery.k8s.io/v1/namespaces/{namespace}/endpointslices",
            [("labelSelector", f"kubernetes.io/service-name={service}")],
            chunked=False,
        )
    except BackendError as exc:
        raise Defer(f"endpoint slices could not be listed: {exc.message}") from None


def render_service(service: Obj, related: Related, now: float) -> str:
    w = PrefixWriter()
    meta, spec = m(service, "metadata"), m(service, "spec")
    w.write(0, f"Name:\t{s(meta, 'name')}\n")
    w.write(0, f"Namespace:\t{s(meta, 'namespace')}\n")
    print_labels(w, "Labels", m(meta, "labels"))
    print_annotations(w, "Annotations", m(meta, "annotations"))
    w.write(0, f"Selector:\t{format_labels(m(spec, 'selector'))}\n")
    w.write(0, f"Type:\t{s(spec, 'type')}\n")
    if spec.get("ipFamilyPolicy") is not None:
        w.write(0, f"IP Family Policy:\t{s(spec, 'ipFamilyPolicy')}\n")
    families = ",".join(items(spec, "ipFamilies")) or "<none>"
    w.write(0, f"IP Families:\t{families}\n")
    w.write(0, f"IP:\t{s(spec, 'clusterIP')}\n")
    w.write(0, f"IPs:\t{','.join(items(spec, 'clusterIPs')) or '<none>'}\n")
    _service_addresses(w, service)
    slices = related.get("endpointSlices") or []
    for port in items(spec, "ports"):
        _service_port(w, port, slices)
    _service_policies(w, spec)
    describe_events(w, related.get("events"), now)
    return w.text()


def _service_addresses(w: PrefixWriter, service: Obj) -> None:
    spec = m(service, "spec")
    if items(spec, "externalIPs"):
        w.write(0, f"External IPs:\t{','.join(items(spec, 'externalIPs'))}\n")
    if s(spec, "loadBalancerIP"):
        w.write(0, f"Desired LoadBalancer IP:\t{s(spec, 'loadBalancerIP')}\n")
    if s(spec, "externalName"):
        w.write(0, f"External Name:\t{s(spec, 'externalName')}\n")
    ingress = items(m(service, "status", "loadBalancer"), "ingress")
    if ingress:
        texts = []
        for entry in ingress:
            if s(entry, "ip"):
                mode = f" ({s(entry, 'ipMode')})" if entry.get("ipMode") is not None else ""
                texts.append(s(entry, "ip") + mode)
            else:
                texts.append(s(entry, "hostname"))
        w.write(0, f"LoadBalancer Ingress:\t{', '.join(texts)}\n")


def _service_port(w: PrefixWriter, port: Obj, slices: list[Obj]) -> None:
    name = s(port, "name") or "<unset>"
    protocol = s(port, "protocol")
    w.write(0, f"Port:\t{name}\t{n(port, 'port')}/{protocol}\n")
    w.write(0, f"TargetPort:\t{int_or_string(port.get('targetPort', 0))}/{protocol}\n")
    if n(port, "nodePort"):
        w.write(0, f"NodePort:\t{name}\t{n(port, 'nodePort')}/{protocol}\n")
    w.write(0, f"Endpoints:\t{format_endpoint_slices(slices, {s(port, 'name')})}\n")


def _service_policies(w: PrefixWriter, spec: Obj) -> None:
    w.write(0, f"Session Affinity:\t{s(spec, 'sessionAffinity')}\n")
    if s(spec, "externalTrafficPolicy"):
        w.write(0, f"External Traffic Policy:\t{s(spec, 'externalTrafficPolicy')}\n")
    if spec.get("internalTrafficPolicy") is not None:
        w.write(0, f"Internal Traffic Policy:\t{s(spec, 'internalTrafficPolicy')}\n")
    if n(spec, "healthCheckNodePort"):
        w.write(0, f"HealthCheck NodePort:\t{n(spec, 'healthCheckNodePort')}\n")
    if items(spec, "loadBalancerSourceRanges"):
        ranges = ",".join(items(spec, "loadBalancerSourceRanges"))
        w.write(0, f"LoadBalancer Source Ranges:\t{ranges}\n")
    if spec.get("trafficDistribution") is not None:
        w.write(0, f"Traffic Distribution:\t{s(spec, 'trafficDistribution')}\n")


def format_endpoint_slices(slices: list[Obj], ports: set[str] | None) -> str:
    """formatEndpointSlices: up to three ready addresses, then "+ N more..."."""
    if not slices:
        return "<none>"
    shown: list[str] = []
    more, count = False, 0
    for piece in slices:
        endpoints = items(piece, "endpoints")
        targets: list[str | None] = []
        if not items(piece, "ports"):
            targets = [None] * 1  # headless: the bare addresses
        else:
            for port in items(piece, "ports"):
                if port.get("name") is None or port.get("port") is None:
                    raise Defer("an endpoint slice port without a name or number")
                if ports is None or s(port, "name") in ports:
                    targets.append(str(n(port, "port")))
        for target in targets:
            for endpoint in endpoints:
                if len(shown) == 3:
                    more = True
                ready = m(endpoint, "conditions").get("ready")
                if ready is not None and not ready:
                    continue
                if not more:
                    address = str(items(endpoint, "addresses")[0])
                    shown.append(address if target is None else _host_port(address, target))
                count += 1
    text = ",".join(shown)
    return f"{text} + {count - 3} more..." if more else text


def _host_port(host: str, port: str) -> str:
    """net.JoinHostPort."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def render_endpoints(endpoints: Obj, related: Related, now: float) -> str:
    w = PrefixWriter()
    meta = m(endpoints, "metadata")
    w.write(0, f"Name:\t{s(meta, 'name')}\n")
    w.write(0, f"Namespace:\t{s(meta, 'namespace')}\n")
    print_labels(w, "Labels", m(meta, "labels"))
    print_annotations(w, "Annotations", m(meta, "annotations"))
    w.write(0, "Subsets:\n")
    for subset in items(endpoints, "subsets"):
        ready = ",".join(s(a, "ip") for a in items(subset, "addresses")) or "<none>"
        w.write(1, f"Addresses:\t{ready}\n")
        not_ready = ",".join(s(a, "ip") for a in items(subset, "notReadyAddresses")) or "<none>"
        w.write(1, f"NotReadyAddresses:\t{not_ready}\n")
        if items(subset, "ports"):
            w.write(1, "Ports:\n")
            w.write(2, "Name\tPort\tProtocol\n")
            w.write(2, "----\t----\t--------\n")
            for port in items(subset, "ports"):
                name = s(port, "name") or "<unset>"
                w.write(2, f"{name}\t{n(port, 'port')}\t{s(port, 'protocol')}\n")
        w.write(0, "\n")
    describe_events(w, related.get("events"), now)
    return w.text()


async def _gather_ingress(source: Source, ingress: Obj) -> Related:
    namespace = s(m(ingress, "metadata"), "namespace")
    services: dict[str, Obj] = {}
    for backend in _ingress_backends(ingress):
        name = s(m(backend, "service"), "name")
        if backend.get("service") is None or name in services:
            continue
        entry: Obj = {"endpointSlices": await _endpoint_slices(source, namespace, name)}
        try:
            entry["service"] = await source.get(f"/api/v1/namespaces/{namespace}/services/{name}")
        except BackendError as exc:
            if exc.code != "not_found":
                raise Defer(f"a backend service could not be read: {exc.message}") from None
            entry["error"] = exc.message
        services[name] = entry
    return {"services": services, **await _events_of(source, ingress)}


def _ingress_backends(ingress: Obj) -> list[Obj]:
    spec = m(ingress, "spec")
    backends = [m(spec, "defaultBackend")] if spec.get("defaultBackend") is not None else []
    for rule in items(spec, "rules"):
        backends += [m(path, "backend") for path in items(m(rule, "http"), "paths")]
    return backends


def render_ingress(ingress: Obj, related: Related, now: float) -> str:
    w = PrefixWriter()
    meta, spec = m(ingress, "metadata"), m(ingress, "spec")
    services = related.get("services") or {}
    w.write(0, f"Name:\t{s(meta, 'name')}\n")
    print_labels(w, "Labels", m(meta, "labels"))
    w.write(0, f"Namespace:\t{s(meta, 'namespace')}\n")
    w.write(0, f"Address:\t{_ingress_address(ingress)}\n")
    w.write(0, f"Ingress Class:\t{s(spec, 'ingressClassName') or '<none>'}\n")
    default = "<default>"
    if spec.get("defaultBackend") is not None:
        default = _backend_text(m(spec, "defaultBackend"), services)
    w.write(0, f"Default backend:\t{default}\n")
    if items(spec, "tls"):
        w.write(0, "TLS:\n")
        for tls in items(spec, "tls"):
            hosts = ",".join(items(tls, "hosts"))
            if not s(tls, "secretName"):
                w.write(1, f"SNI routes {hosts}\n")
            else:
                w.write(1, f"{s(tls, 'secretName')} terminates {hosts}\n")
    _ingress_rules(w, spec, services, default)
    print_annotations(w, "Annotations", m(meta, "annotations"))
    describe_events(w, related.get("events"), now)
    return w.text()


def _ingress_address(ingress: Obj) -> str:
    found = set()
    for entry in items(m(ingress, "status", "loadBalancer"), "ingress"):
        if s(entry, "ip"):
            found.add(s(entry, "ip"))
        elif s(entry, "hostname"):
            found.add(s(entry, "hostname"))
    return ",".join(sorted(found))


def _ingress_rules(w: PrefixWriter, spec: Obj, services: dict[str, Obj], default: str) -> None:
    w.write(0, "Rules:\n  Host\tPath\tBackends\n")
    w.write(1, "----\t----\t--------\n")
    count = 0
    for rule in items(spec, "rules"):
        if rule.get("http") is None:
            continue
        count += 1
        w.write(1, f"{s(rule, 'host') or '*'}\t\n")
        for path in items(m(rule, "http"), "paths"):
            backend = _backend_text(m(path, "backend"), services)
            w.write(2, f"\t{s(path, 'path')} \t{backend}\n")
    if count == 0:
        w.write(1, f"*\t*\t{default}\n")


def _backend_text(backend: Obj, services: dict[str, Obj]) -> str:
    """describeBackendV1."""
    if backend.get("service") is not None:
        service = m(backend, "service")
        port = m(service, "port")
        text = f"{s(service, 'name')}:{n(port, 'number') or s(port, 'name')}"
        entry = services[s(service, "name")]
        if "error" in entry:
            return f"{text} (<error: {entry['error']}>)"
        port_name = ""
        for service_port in items(m(entry["service"], "spec"), "ports"):
            number_matches = n(port, "number") != 0 and n(port, "number") == n(service_port, "port")
            name_matches = s(port, "name") != "" and s(port, "name") == s(service_port, "name")
            if number_matches or name_matches:
                port_name = s(service_port, "name")
        return f"{text} ({format_endpoint_slices(entry['endpointSlices'], {port_name})})"
    if backend.get("resource") is not None:
        resource = m(backend, "resource")
        group = s(resource, "apiGroup") if resource.get("apiGroup") is not None else "<none>"
        return f"APIGroup: {group}, Kind: {s(resource, 'kind')}, Name: {s(resource, 'name')}"
    return ""


# --- cluster --------------------------------------------------------------------------------


async def _gather_node(source: Source, node: Obj) -> Related:
    name = s(m(node, "metadata"), "name")
    selector = f"spec.nodeName={_escape_field(name)},status.phase!=Succeeded,status.phase!=Failed"
    related: Related = {}
    try:
        related["pods"] = await source.list("/api/v1/pods", [("fieldSelector", selector)])
    except BackendError as exc:
        if exc.code != "rbac_denied":
            raise Defer(f"pods could not be listed: {exc.message}") from None
        related["pods"] = None  # kubectl says "not authorized"
    try:
        related["lease"] = await source.get(
            f"/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/{name}"
        )
    except BackendError as exc:
        related["leaseError"] = exc.message
    if source.show_events:
        # Host events carry the node's UID (controllers) or its name (kubelet).
        by_uid = await search_events(source, node, "Node") or []
        by_name = await search_events(source, node, "Node", name) or []
        related["events"] = by_uid + by_name
    return related


def render_node(node: Obj, related: Related, now: float) -> str:
    w = PrefixWriter()
    meta, spec, status = m(node, "metadata"), m(node, "spec"), m(node, "status")
    w.write(0, f"Name:\t{s(meta, 'name')}\n")
    w.write(0, f"Roles:\t{','.join(node_roles(m(meta, 'labels'))) or '<none>'}\n")
    print_labels(w, "Labels", m(meta, "labels"))
    print_annotations(w, "Annotations", m(meta, "annotations"))
    w.write(0, f"CreationTimestamp:\t{rfc1123z(meta.get('creationTimestamp'))}\n")
    print_taints(w, "Taints", items(spec, "taints"))
    w.write(0, f"Unschedulable:\t{go_bool(b(spec, 'unschedulable'))}\n")
    _node_lease(w, related)
    _node_conditions(w, status)
    w.write(0, "Addresses:\n")
    for address in items(status, "addresses"):
        w.write(1, f"{s(address, 'type')}:\t{s(address, 'address')}\n")
    for title, field in (("Capacity", "capacity"), ("Allocatable", "allocatable")):
        resources = m(status, field)
        if resources:
            w.write(0, f"{title}:\n")
            for name in sorted(resources):
                w.write(0, f"  {name}:\t{resources[name]}\n")
    _node_info(w, spec, m(status, "nodeInfo"))
    if related.get("pods") is not None:
        _node_resources(w, node, related["pods"], now)
    else:
        w.write(0, "Pods:\tnot authorized\n")
    describe_events(w, related.get("events"), now)
    return w.text()


def node_roles(labels: Obj) -> list[str]:
    roles = set()
    for key, value in labels.items():
        if key.startswith("node-role.kubernetes.io/"):
            role = key.removeprefix("node-role.kubernetes.io/")
            if role:
                roles.add(role)
        elif key == "kubernetes.io/role" and value != "":
            roles.add(str(value))
    return sorted(roles)


def _node_lease(w: PrefixWriter, related: Related) -> None:
    if "leaseError" in related:
        w.write(0, f"Lease:\tFailed to get lease: {related['leaseError']}\n")
        return
    lease = m(related.get("lease"), "spec")
    w.write(0, "Lease:\n")
    holder = s(lease, "holderIdentity") if lease.get("holderIdentity") is not None else "<unset>"
    w.write(1, f"HolderIdentity:\t{holder}\n")
    for title, field in (("AcquireTime", "acquireTime"), ("RenewTime", "renewTime")):
        value = rfc1123z(lease[field]) if lease.get(field) is not None else "<unset>"
        w.write(1, f"{title}:\t{value}\n")


def _node_conditions(w: PrefixWriter, status: Obj) -> None:
    conditions = items(status, "conditions")
    if not conditions:
        return
    w.write(
        0,
        "Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n",
    )
    w.write(1, "----\t------\t-----------------\t------------------\t------\t-------\n")
    for c in conditions:
        w.write(
            1,
            f"{s(c, 'type')} \t{s(c, 'status')} \t{rfc1123z(c.get('lastHeartbeatTime'))} \t"
            f"{rfc1123z(c.get('lastTransitionTime'))} \t{s(c, 'reason')} \t{s(c, 'message')}\n",
        )


def _node_info(w: PrefixWriter, spec: Obj, info: Obj) -> None:
    w.write(0, "System Info:\n")
    for title, field in (
        ("Machine ID", "machineID"),
        ("System UUID", "systemUUID"),
        ("Boot ID", "bootID"),
        ("Kernel Version", "kernelVersion"),
        ("OS Image", "osImage"),
        ("Operating System", "operatingSystem"),
        ("Architecture", "architecture"),
        ("Container Runtime Version", "containerRuntimeVersion"),
        ("Kubelet Version", "kubeletVersion"),
        ("Kube-Proxy Version", "kubeProxyVersion"),
    ):
        w.write(0, f"  {title}:\t{s(info, field)}\n")
    if s(spec, "podCIDR"):
        w.write(0, f"PodCIDR:\t{s(spec, 'podCIDR')}\n")
    if items(spec, "podCIDRs"):
        w.write(0, f"PodCIDRs:\t{','.join(items(spec, 'podCIDRs'))}\n")
    if s(spec, "providerID"):
        w.write(0, f"ProviderID:\t{s(spec, 'providerID')}\n")


def _node_resources(w: PrefixWriter, node: Obj, pods: list[Obj], now: float) -> None:
    """describeNodeResource: each pod's share of the node, then the totals."""
    status = m(node, "status")
    allocatable = m(status, "allocatable") or m(status, "capacity")
    cpu, memory = quantity(allocatable, "cpu"), quantity(allocatable, "memory")
    w.write(0, f"Non-terminated Pods:\t({len(pods)} in total)\n")
    w.write(1, "Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n")
    w.write(1, "---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n")
    if pods and (cpu.milli_value() == 0 or memory.value_int() == 0):
        raise Defer("a node without allocatable cpu or memory (kubectl divides by zero)")
    totals_requests: dict[str, Quantity] = {}
    totals_limits: dict[str, Quantity] = {}
    for pod in pods:
        requests, limits = pod_requests(pod), pod_limits(pod)
        _add_into(totals_requests, requests)
        _add_into(totals_limits, limits)
        cells = [
            f"{q} ({_percent(q.milli_value(), cpu.milli_value())}%)"
            for q in (requests.get("cpu", Quantity()), limits.get("cpu", Quantity()))
        ] + [
            f"{q} ({_percent(q.value_int(), memory.value_int())}%)"
            for q in (requests.get("memory", Quantity()), limits.get("memory", Quantity()))
        ]
        pod_meta = m(pod, "metadata")
        w.write(
            1,
            f"{s(pod_meta, 'namespace')}\t{s(pod_meta, 'name')}\t\t{cells[0]}\t{cells[1]}\t"
            f"{cells[2]}\t{cells[3]}\t{since(pod_meta.get('creationTimestamp'), now)}\n",
        )
    _node_totals(w, allocatable, totals_requests, totals_limits)


def _percent(part: int, whole: int) -> int:
    """int64(float64(part) / float64(whole) * 100), as Go truncates it."""
    if whole == 0:
        return 0
    return int(float(part) / float(whole) * 100)


def _node_totals(
    w: PrefixWriter, allocatable: Obj, requests: dict[str, Quantity], limits: dict[str, Quantity]
) -> None:
    w.write(
        0, "Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n"
    )
    w.write(1, "Resource\tRequests\tLimits\n")
    w.write(1, "--------\t--------\t------\n")
    for name in ("cpu", "memory", "ephemeral-storage"):
        whole = quantity(allocatable, name)
        scale: Callable[[Quantity], int] = (
            Quantity.milli_value if name == "cpu" else Quantity.value_int
        )
        request, limit = requests.get(name, Quantity()), limits.get(name, Quantity())
        w.write(
            1,
            f"{name}\t{request} ({_percent(scale(request), scale(whole))}%)\t"
            f"{limit} ({_percent(scale(limit), scale(whole))}%)\n",
        )
    huge = sorted(k for k in allocatable if k.startswith("hugepages-"))
    extended = sorted(
        k
        for k in allocatable
        if not k.startswith("hugepages-")
        and k not in ("cpu", "memory", "ephemeral-storage", "pods")
    )
    for name in huge:
        size = quantity(allocatable, name).value_int()
        request, limit = requests.get(name, Quantity()), limits.get(name, Quantity())
        w.write(
            1,
            f"{name}\t{request} ({_percent(request.value_int(), size)}%)\t"
            f"{limit} ({_percent(limit.value_int(), size)}%)\n",
        )
    for name in extended:
        w.write(1, f"{name}\t{requests.get(name, Quantity())}\t{limits.get(name, Quantity())}\n")


def _add_into(into: dict[str, Quantity], resources: dict[str, Quantity]) -> None:
    for name, value in resources.items():
        into[name] = into[name].add(value) if name in into else value


def _max_into(into: dict[str, Quantity], resources: dict[str, Quantity]) -> None:
    for name, value in resources.items():
        if name not in into or value.value > into[name].value:
            into[name] = value


def _quantities(resources: Obj) -> dict[str, Quantity]:
    return {name: Quantity.parse(str(value)) for name, value in resources.items()}


def pod_requests(pod: Obj) -> dict[str, Quantity]:
    """resourcehelper.podRequests: containers (as resized), the largest init container,
    overhead. Pod-level resources do not count here, as in kubectl."""
    spec, status = m(pod, "spec"), m(pod, "status")
    statuses = {
        s(c, "name"): c
        for c in items(status, "containerStatuses") + items(status, "initContainerStatuses")
    }
    requests: dict[str, Quantity] = {}
    for container in items(spec, "containers"):
        _add_into(requests, _container_requests(pod, container, statuses))
    _max_into(requests, _init_containers(spec, "requests", requests, pod, statuses))
    _add_into(requests, _quantities(m(spec, "overhead")))
    return requests


def _container_requests(pod: Obj, container: Obj, statuses: dict[str, Obj]) -> dict[str, Quantity]:
    """determineContainerReqs: a container whose status reports resources (in-place resize)
    counts the largest of what it asks, what runs and what is allocated."""
    own = _quantities(m(container, "resources", "requests"))
    status = statuses.get(s(container, "name"))
    if status is None or status.get("resources") is None:
        return own
    running = _quantities(m(status, "resources", "requests"))
    allocated = _quantities(m(status, "allocatedResources"))
    infeasible = _resize_infeasible(pod)
    result = dict(running) if infeasible else dict(own)
    others = [allocated] if infeasible else [running, allocated]
    if not result and any(others):
        # kubectl copies a nil map and writes to it: it panics (kubectl 1.35).
        raise Defer("a resized container without requests (kubectl crashes on it)")
    for other in others:
        _max_into(result, other)
    return result


def _resize_infeasible(pod: Obj) -> bool:
    """IsPodResizeInfeasible: the first PodResizePending condition says Infeasible."""
    for condition in items(m(pod, "status"), "conditions"):
        if s(condition, "type") == "PodResizePending":
            return s(condition, "reason") == "Infeasible"
    return False


def pod_limits(pod: Obj) -> dict[str, Quantity]:
    spec = m(pod, "spec")
    limits: dict[str, Quantity] = {}
    for container in items(spec, "containers"):
        _add_into(limits, _quantities(m(container, "resources", "limits")))
    _max_into(limits, _init_containers(spec, "limits", limits))
    for name, value in _quantities(m(spec, "overhead")).items():
        if name in limits and limits[name].value != 0:
            limits[name] = limits[name].add(value)
    return limits


def _init_containers(
    spec: Obj,
    field: str,
    regular: dict[str, Quantity],
    pod: Obj | None = None,
    statuses: dict[str, Obj] | None = None,
) -> dict[str, Quantity]:
    """The init containers' peak: sidecars (restartPolicy Always) add to the regular
    containers and to every later init container. (Requests of sidecars count as resized.)"""
    sidecars: dict[str, Quantity] = {}
    peak: dict[str, Quantity] = {}
    for container in items(spec, "initContainers"):
        own = _quantities(m(container, "resources", field))
        if s(container, "restartPolicy") == "Always":
            if pod is not None and statuses is not None:
                own = _container_requests(pod, container, statuses)
            _add_into(regular, own)
            _add_into(sidecars, own)
            current = dict(sidecars)
        else:
            current = {}
            _add_into(current, own)
            _add_into(current, sidecars)
        _max_into(peak, current)
    return peak


async def _gather_namespace(source: Source, namespace: Obj) -> Related:
    name = s(m(namespace, "metadata"), "name")
    related: Related = {}
    for key, plural in (("quotas", "resourcequotas"), ("limitRanges", "limitranges")):
        try:
            related[key] = await source.list(f"/api/v1/namespaces/{name}/{plural}")
        except BackendError as exc:
            if exc.code != "not_found":
                raise Defer(f"{plural} could not be listed: {exc.message}") from None
            related[key] = None
    return related


def render_namespace(namespace: Obj, related: Related, _now: float) -> str:
    w = PrefixWriter()
    meta, status = m(namespace, "metadata"), m(namespace, "status")
    w.write(0, f"Name:\t{s(meta, 'name')}\n")
    print_labels(w, "Labels", m(meta, "labels"))
    print_annotations(w, "Annotations", m(meta, "annotations"))
    w.write(0, f"Status:\t{s(status, 'phase')}\n")
    conditions = items(status, "conditions")
    if conditions:
        w.write(0, "Conditions:\n")
        w.write(1, "Type\tStatus\tLastTransitionTime\tReason\tMessage\n")
        w.write(1, "----\t------\t------------------\t------\t-------\n")
        for c in conditions:
            w.write(
                1,
                f"{s(c, 'type')}\t{s(c, 'status')}\t{rfc1123z(c.get('lastTransitionTime'))}\t"
                f"{s(c, 'reason')}\t{s(c, 'message')}\n",
            )
    if related.get("quotas") is not None:
        w.write(0, "\n")
        _quotas(w, related["quotas"])
    if related.get("limitRanges") is not None:
        w.write(0, "\n")
        _limit_ranges(w, related["limitRanges"])
    return w.text()


def _quotas(w: PrefixWriter, quotas: list[Obj]) -> None:
    if not quotas:
        w.write(0, "No resource quota.\n")
        return
    ordered = list(quotas)
    go_sort(ordered, lambda x, y: s(m(x, "metadata"), "name") < s(m(y, "metadata"), "name"))
    w.write(0, "Resource Quotas\n")
    for quota in ordered:
        if items(m(quota, "spec"), "scopes"):
            raise Defer("quota scopes are not ported")
        w.write(1, f"Name:\t{s(m(quota, 'metadata'), 'name')}\n")
        w.write(1, "Resource\tUsed\tHard\n")
        w.write(1, "--------\t---\t---\n")
        hard, used = m(quota, "status", "hard"), m(quota, "status", "used")
        for name in sorted(hard):
            w.write(1, f"{name}\t{used.get(name, '0')}\t{hard[name]}\n")


def _limit_ranges(w: PrefixWriter, ranges: list[Obj]) -> None:
    if not ranges:
        w.write(0, "No LimitRange resource.\n")
        return
    w.write(
        0,
        "Resource Limits\n Type\tResource\tMin\tMax\tDefault Request\tDefault Limit\t"
        "Max Limit/Request Ratio\n",
    )
    w.write(
        0,
        " ----\t--------\t---\t---\t---------------\t-------------\t-----------------------\n",
    )
    for limit_range in ranges:
        for item in items(m(limit_range, "spec"), "limits"):
            fields = ("min", "max", "defaultRequest", "default", "maxLimitRequestRatio")
            names = {name for field in fields for name in m(item, field)}
            if len(names) > 1:
                # kubectl walks a Go map here: its order changes from run to run.
                raise Defer("a limit range item over several resources")
            for name in names:
                values = [str(m(item, field).get(name, "-")) for field in fields]
                w.write(0, f" {s(item, 'type')}\t{name}\t" + "\t".join(values) + "\n")


# --- config and storage ---------------------------------------------------------------------


def render_config_map(config: Obj, related: Related, now: float) -> str:
    w = PrefixWriter()
    meta = m(config, "metadata")
    w.write(0, f"Name:\t{s(meta, 'name')}\n")
    w.write(0, f"Namespace:\t{s(meta, 'namespace')}\n")
    print_labels(w, "Labels", m(meta, "labels"))
    print_annotations(w, "Annotations", m(meta, "annotations"))
    w.write(0, "\nData\n====\n")
    data = m(config, "data")
    for key in sorted(data):
        w.write(0, f"{key}:\n----\n")
        w.write(0, f"{data[key]}\n")
        w.write(0, "\n")
    w.write(0, "\nBinaryData\n====\n")
    binary = m(config, "binaryData")
    for key in sorted(binary):
        w.write(0, f"{key}: {decoded_size(binary[key])} bytes\n")
    w.write(0, "\n")
    describe_events(w, related.get("events"), now)
    return w.text()


SERVICE_ACCOUNT_TOKEN = "kubernetes.io/service-account-token"  # noqa: S105 (a Secret type)


def render_secret(secret: Obj, related: Related, _now: float) -> str:
    """Sizes only. kubectl prints a service account token's own value; this server shows its
    size instead unless Secrets may be shown (related["showToken"])."""
    w = PrefixWriter()
    meta = m(secret, "metadata")
    w.write(0, f"Name:\t{s(meta, 'name')}\n")
    w.write(0, f"Namespace:\t{s(meta, 'namespace')}\n")
    print_labels(w, "Labels", m(meta, "labels"))
    print_annotations(w, "Annotations", m(meta, "annotations"))
    w.write(0, f"\nType:\t{s(secret, 'type')}\n")
    w.write(0, "\nData\n====\n")
    data = m(secret, "data")
    for key in sorted(data):
        if (
            key == "token"
            and s(secret, "type") == SERVICE_ACCOUNT_TOKEN
            and related.get("showToken")
        ):
            w.write(0, f"{key}:\t{base64.b64decode(str(data[key])).decode('utf-8', 'replace')}\n")
        else:
            w.write(0, f"{key}:\t{decoded_size(data[key])} bytes\n")
    return w.text()


def render_service_account(account: Obj, related: Related, now: float) -> str:
    w = PrefixWriter()
    meta = m(account, "metadata")
    w.write(0, f"Name:\t{s(meta, 'name')}\n")
    w.write(0, f"Namespace:\t{s(meta, 'namespace')}\n")
    print_labels(w, "Labels", m(meta, "labels"))
    print_annotations(w, "Annotations", m(meta, "annotations"))
    names = [s(secret, "name") for secret in items(account, "imagePullSecrets")]
    if not names:
        w.write(0, "Image pull secrets:\t<none>\n")
    for index, name in enumerate(names):
        header = "Image pull secrets:" if index == 0 else " " * 19
        w.write(0, f"{header}\t{name}\n")
    describe_events(w, related.get("events"), now)
    return w.text()


async def _gather_claim(source: Source, claim: Obj) -> Related:
    meta = m(claim, "metadata")
    namespace = s(meta, "namespace")
    try:
        pods = await source.list(f"/api/v1/namespaces/{namespace}/pods")
    except BackendError as exc:
        raise Defer(f"pods could not be listed: {exc.message}") from None
    return {"pods": pods, **await _events_of(source, claim)}


def claim_users(claim: Obj, pods: list[Obj]) -> list[Obj]:
    """getPodsForPVC: pods mounting the claim (once per volume), then owning pods."""
    meta = m(claim, "metadata")
    users = [
        pod
        for pod in pods
        for volume in items(m(pod, "spec"), "volumes")
        if volume.get("persistentVolumeClaim") is not None
        and s(m(volume, "persistentVolumeClaim"), "claimName") == s(meta, "name")
    ]
    for owner in items(meta, "ownerReferences"):
        if s(owner, "kind") != "Pod":
            continue
        found = next((p for p in pods if s(m(p, "metadata"), "uid") == s(owner, "uid")), None)
        if found is not None and all(
            s(m(u, "metadata"), "uid") != s(m(found, "metadata"), "uid") for u in users
        ):
            users.append(found)
    return users


def render_claim(claim: Obj, related: Related, now: float) -> str:
    w = PrefixWriter()
    print_claim(w, claim, full=True, now=now)
    print_pods(w, "Used By", claim_users(claim, related.get("pods") or []))
    conditions = items(m(claim, "status"), "conditions")
    if conditions:
        w.write(0, "Conditions:\n")
        w.write(1, "Type\tStatus\tLastProbeTime\tLastTransitionTime\tReason\tMessage\n")
        w.write(1, "----\t------\t-----------------\t------------------\t------\t-------\n")
        for c in conditions:
            w.write(
                1,
                f"{s(c, 'type')} \t{s(c, 'status')} \t{rfc1123z(c.get('lastProbeTime'))} \t"
                f"{rfc1123z(c.get('lastTransitionTime'))} \t{s(c, 'reason')} \t{s(c, 'message')}\n",
            )
    describe_events(w, related.get("events"), now)
    return w.text()


def render_volume(volume: Obj, related: Related, now: float) -> str:
    w = PrefixWriter()
    meta, spec, status = m(volume, "metadata"), m(volume, "spec"), m(volume, "status")
    w.write(0, f"Name:\t{s(meta, 'name')}\n")
    print_labels(w, "Labels", m(meta, "labels"))
    print_annotations(w, "Annotations", m(meta, "annotations"))
    w.write(0, f"Finalizers:\t{go_value(items(meta, 'finalizers'))}\n")
    annotations = m(meta, "annotations")
    storage_class = annotations.get(
        "volume.beta.kubernetes.io/storage-class", s(spec, "storageClassName")
    )
    w.write(0, f"StorageClass:\t{storage_class}\n")
    if meta.get("deletionTimestamp"):
        w.write(0, f"Status:\tTerminating (lasts {since(meta['deletionTimestamp'], now)})\n")
    else:
        w.write(0, f"Status:\t{s(status, 'phase')}\n")
    claim = spec.get("claimRef")
    claim_text = f"{s(claim, 'namespace')}/{s(claim, 'name')}" if claim is not None else ""
    w.write(0, f"Claim:\t{claim_text}\n")
    w.write(0, f"Reclaim Policy:\t{s(spec, 'persistentVolumeReclaimPolicy')}\n")
    w.write(0, f"Access Modes:\t{access_modes(items(spec, 'accessModes'))}\n")
    if spec.get("volumeMode") is not None:
        w.write(0, f"VolumeMode:\t{s(spec, 'volumeMode')}\n")
    w.write(0, f"Capacity:\t{m(spec, 'capacity').get('storage', '0')}\n")
    _node_affinity(w, spec.get("nodeAffinity"))
    w.write(0, f"Message:\t{s(status, 'message')}\n")
    w.write(0, "Source:\n")
    _volume_source(w, spec)
    describe_events(w, related.get("events"), now)
    return w.text()


def _node_affinity(w: PrefixWriter, affinity: Obj | None) -> None:
    w.write(0, "Node Affinity:\t")
    if affinity is None or affinity.get("required") is None:
        w.write_line("<none>")
        return
    w.write_line("")
    w.write(1, "Required Terms:\t")
    terms = items(m(affinity, "required"), "nodeSelectorTerms")
    if not terms:
        w.write_line("<none>")
        return
    w.write_line("")
    for index, term in enumerate(terms):
        w.write(2, f"Term {index}:\t")
        expressions = items(term, "matchExpressions")
        if not expressions:
            w.write_line("<none>")
            continue
        for position, expr in enumerate(expressions):
            if position:
                w.write(2, "\t")
            text = f"{s(expr, 'key')} {s(expr, 'operator').lower()}"
            if items(expr, "values"):
                text += f" [{', '.join(items(expr, 'values'))}]"
            w.write(0, f"{text}\n")


def _volume_source(w: PrefixWriter, spec: Obj) -> None:
    """The persistent volume's source, in kubectl's order of precedence."""
    for field in (
        "hostPath",
        "gcePersistentDisk",
        "awsElasticBlockStore",
        "nfs",
        "iscsi",
        "glusterfs",
        "rbd",
        "quobyte",
        "vsphereVolume",
        "cinder",
        "azureDisk",
        "photonPersistentDisk",
        "portworxVolume",
        "scaleIO",
        "local",
        "cephfs",
        "storageos",
        "fc",
        "azureFile",
        "flexVolume",
        "flocker",
        "csi",
    ):
        if spec.get(field) is None:
            continue
        source = m(spec, field)
        if field == "hostPath":
            print_host_path(w, source)
        elif field == "nfs":
            print_nfs(w, source)
        elif field == "local":
            w.write(
                2,
                "Type:\tLocalVolume (a persistent volume backed by local storage on a node)\n"
                f"    Path:\t{s(source, 'path')}\n",
            )
        elif field == "csi":
            _csi_volume(w, source)
        else:
            raise Defer(f"{field} persistent volumes are not ported")
        return
    w.write(1, "<unknown>\n")


def _csi_volume(w: PrefixWriter, source: Obj) -> None:
    w.write(
        2,
        "Type:\tCSI (a Container Storage Interface (CSI) volume source)\n"
        f"    Driver:\t{s(source, 'driver')}\n"
        f"    FSType:\t{s(source, 'fsType')}\n"
        f"    VolumeHandle:\t{s(source, 'volumeHandle')}\n"
        f"    ReadOnly:\t{go_bool(b(source, 'readOnly'))}\n",
    )
    print_csi_attributes(w, m(source, "volumeAttributes"))


# --- any other kind -------------------------------------------------------------------------

_GENERIC_SKIP = frozenset(
    {
        ".metadata.managedFields",
        ".metadata.name",
        ".metadata.namespace",
        ".metadata.labels",
        ".metadata.annotations",
    }
)


def render_generic(obj: Obj, related: Related, now: float) -> str:
    """genericDescriber: the object's own fields, labelled as kubectl labels them."""
    w = PrefixWriter()
    meta = m(obj, "metadata")
    w.write(0, f"Name:\t{s(meta, 'name')}\n")
    w.write(0, f"Namespace:\t{s(meta, 'namespace')}\n")
    print_labels(w, "Labels", m(meta, "labels"))
    print_annotations(w, "Annotations", m(meta, "annotations"))
    _unstructured(w, 0, obj, "")
    describe_events(w, related.get("events"), now)
    return w.text()


def _unstructured(w: PrefixWriter, level: int, content: Obj, prefix: str) -> None:
    """printUnstructuredContent."""
    for field in sorted(content):
        value = content[field]
        path = f"{prefix}.{field}"
        if path in _GENERIC_SKIP:
            continue
        if isinstance(value, dict):
            w.write(level, f"{smart_label(field)}:\n")
            _unstructured(w, level + 1, value, path)
        elif isinstance(value, list):
            w.write(level, f"{smart_label(field)}:\n")
            for child in value:
                if isinstance(child, dict):
                    _unstructured(w, level + 1, child, path)
                else:
                    w.write(level + 1, f"{_scalar(child)}\n")
        else:
            w.write(level, f"{smart_label(field)}:\t{_scalar(value)}\n")


def _scalar(value: Any) -> str:
    """%v of an unstructured value: integers outside int64 were decoded as float64."""
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**63:
        return go_value(float(value))
    return go_value(value)


_ACRONYMS = frozenset({"API", "URL", "UID", "OSB", "GUID"})


def smart_label(field: str) -> str:
    """smartLabelFor: `apiVersion` -> `API Version`."""
    if any(not (char.isalpha() or char == "-") for char in field):
        return field
    parts = []
    for part in camel_split(field):
        if part == "_":
            continue
        parts.append(part.upper() if part.upper() in _ACRONYMS else _title(part))
    return " ".join(parts)


def _title(word: str) -> str:
    """cases.Title(language.English) of one camel-case part: first letter upper."""
    return word[:1].upper() + word[1:].lower()


def camel_split(text: str) -> list[str]:
    """github.com/fatih/camelcase.Split."""
    runs: list[list[str]] = []
    last = 0
    for char in text:
        category = unicodedata.category(char)
        kind = 1 if category == "Ll" else 2 if category == "Lu" else 3 if category == "Nd" else 4
        if kind == last:
            runs[-1].append(char)
        else:
            runs.append([char])
        last = kind
    for index in range(len(runs) - 1):
        if (
            unicodedata.category(runs[index][0]) == "Lu"
            and unicodedata.category(runs[index + 1][0]) == "Ll"
        ):
            runs[index + 1].insert(0, runs[index].pop())
    return ["".join(run) for run in runs if run]


# --- the registry ---------------------------------------------------------------------------

DESCRIBERS: dict[tuple[str, str], Describer] = {
    ("", "Pod"): Describer(_gather_pod, render_pod),
    ("apps", "Deployment"): Describer(_gather_deployment, render_deployment),
    ("apps", "ReplicaSet"): Describer(_controller, render_replica_set),
    ("apps", "StatefulSet"): Describer(_controller, render_stateful_set),
    ("apps", "DaemonSet"): Describer(_controller, render_daemon_set),
    ("batch", "Job"): Describer(_events_of, render_job),
    ("batch", "CronJob"): Describer(_events_of, render_cron_job),
    ("", "Service"): Describer(_gather_service, render_service),
    ("", "Endpoints"): Describer(_events_of, render_endpoints),
    ("networking.k8s.io", "Ingress"): Describer(_gather_ingress, render_ingress),
    ("", "Node"): Describer(_gather_node, render_node),
    ("", "Namespace"): Describer(_gather_namespace, render_namespace),
    ("", "ConfigMap"): Describer(_events_of, render_config_map),
    ("", "Secret"): Describer(_nothing, render_secret),
    ("", "ServiceAccount"): Describer(_events_of, render_service_account),
    ("", "PersistentVolumeClaim"): Describer(_gather_claim, render_claim),
    ("", "PersistentVolume"): Describer(_events_of, render_volume),
}

GENERIC = Describer(_events_of, render_generic)

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
