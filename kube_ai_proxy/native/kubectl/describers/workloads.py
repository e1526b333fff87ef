"""The describers of the workloads: Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job
and CronJob."""

from __future__ import annotations

from typing import Any

from adapters.errors import BackendError
from kube_ai_proxy.errors import Defer
from kube_ai_proxy.gofmt.sort import go_sort
from kube_ai_proxy.gofmt.times import rfc1123z
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
from kube_ai_proxy.native.kubectl.describers.gather import (
    Related,
    Source,
    events_of,
    namespace_pods,
    search_events,
)
from kube_ai_proxy.native.kubectl.describers.parts import (
    Obj,
    b,
    controller_of,
    controller_uid,
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
    print_labels,
    print_tolerations,
    s,
)
from kube_ai_proxy.native.kubectl.printers import PrefixWriter

# --- Pod ------------------------------------------------------------------------------------


async def gather_pod(source: Source, pod: Obj) -> Related:
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


# --- the pods' controllers ------------------------------------------------------------------


async def gather_controller(source: Source, obj: Obj) -> Related:
    """Workloads: their events and the pods their selector matches."""
    selector = selector_string(m(obj, "spec").get("selector"))
    pods = await namespace_pods(source, obj, [("labelSelector", selector)])
    return {"pods": pods, **await events_of(source, obj)}


async def gather_deployment(source: Source, deployment: Obj) -> Related:
    related = await events_of(source, deployment)
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
