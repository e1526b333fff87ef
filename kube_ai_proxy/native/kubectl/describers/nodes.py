"""The describer of Node, with what the pods on a node request and limit (kubectl's
resourcehelper)."""

from __future__ import annotations

from collections.abc import Callable

from adapters.errors import BackendError
from kube_ai_proxy.errors import Defer
from kube_ai_proxy.gofmt.times import rfc1123z
from kube_ai_proxy.native.kubectl.apimachinery import Quantity, quantity, since
from kube_ai_proxy.native.kubectl.describers.gather import (
    Related,
    Source,
    escape_field,
    search_events,
)
from kube_ai_proxy.native.kubectl.describers.parts import (
    Obj,
    b,
    describe_events,
    go_bool,
    items,
    m,
    print_annotations,
    print_labels,
    print_taints,
    s,
)
from kube_ai_proxy.native.kubectl.printers import PrefixWriter


async def gather_node(source: Source, node: Obj) -> Related:
    name = s(m(node, "metadata"), "name")
    selector = f"spec.nodeName={escape_field(name)},status.phase!=Succeeded,status.phase!=Failed"
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
