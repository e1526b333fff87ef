"""The describers of Service, Endpoints and Ingress."""

from __future__ import annotations

from adapters.errors import BackendError
from kube_ai_proxy.errors import Defer
from kube_ai_proxy.native.kubectl.apimachinery import format_labels
from kube_ai_proxy.native.kubectl.describers.gather import Related, Source, events_of
from kube_ai_proxy.native.kubectl.describers.parts import (
    Obj,
    describe_events,
    int_or_string,
    items,
    m,
    n,
    print_annotations,
    print_labels,
    s,
)
from kube_ai_proxy.native.kubectl.printers import PrefixWriter


async def gather_service(source: Source, service: Obj) -> Related:
    meta = m(service, "metadata")
    slices = await _endpoint_slices(source, s(meta, "namespace"), s(meta, "name"))
    return {"endpointSlices": slices, **await events_of(source, service)}


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


async def gather_ingress(source: Source, ingress: Obj) -> Related:
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
    return {"services": services, **await events_of(source, ingress)}


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
