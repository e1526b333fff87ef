"""The printers kubectl's describers share (k8s.io/kubectl/pkg/describe/describe.go): labels,
annotations, taints and tolerations, events, containers, volumes, pod templates.

Each follows its Go original call for call, so the tab stops (and so the column widths) and the
line breaks fall where kubectl's do. Objects are the API's JSON as plain dicts; a field Go
would read as its zero value is read as such here (a missing string is "", a missing count 0).
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from kube_ai_proxy.errors import Defer
from kube_ai_proxy.gofmt.sort import go_sort
from kube_ai_proxy.gofmt.text import go_quote, go_trim_space
from kube_ai_proxy.gofmt.times import rfc1123z
from kube_ai_proxy.gofmt.values import go_value
from kube_ai_proxy.native.kubectl.apimachinery import (
    Quantity,
    epoch,
    format_label_selector,
    since,
)
from kube_ai_proxy.native.kubectl.printers import PrefixWriter

Obj = dict[str, Any]

_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
_MAX_ANNOTATION = 140


# --- plain accessors: Go's zero values for what JSON leaves out -----------------------------


def m(obj: Mapping[str, Any] | None, *keys: str) -> Obj:
    """The mapping at obj[k1][k2]..., or {} (a nil struct or map)."""
    current: Any = obj or {}
    for key in keys:
        current = current.get(key) if isinstance(current, dict) else None
    return current if isinstance(current, dict) else {}


def items(obj: Mapping[str, Any] | None, key: str) -> list[Any]:
    value = (obj or {}).get(key)
    return value if isinstance(value, list) else []


def s(obj: Mapping[str, Any] | None, key: str) -> str:
    value = (obj or {}).get(key)
    return "" if value is None else str(value)


def n(obj: Mapping[str, Any] | None, key: str) -> int:
    value = (obj or {}).get(key)
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def b(obj: Mapping[str, Any] | None, key: str) -> bool:
    return bool((obj or {}).get(key))


def go_bool(value: bool) -> str:
    return "true" if value else "false"


def print_bool(value: bool) -> str:
    """kubectl's printBool: True/False."""
    return "True" if value else "False"


def print_bool_ptr(obj: Mapping[str, Any], key: str) -> str:
    value = obj.get(key)
    return "<unset>" if value is None else print_bool(bool(value))


def string_or_none(text: str) -> str:
    return text or "<none>"


def int_or_string(value: Any) -> str:
    """IntOrString.String(); a nil pointer prints <nil>."""
    if value is None:
        return "<nil>"
    return str(value)


def controller_of(obj: Obj) -> str:
    """printController: Kind/name of the controlling owner, or ""."""
    for ref in items(m(obj, "metadata"), "ownerReferences"):
        if ref.get("controller"):
            return f"{ref.get('kind', '')}/{ref.get('name', '')}"
    return ""


def controller_uid(obj: Obj) -> str | None:
    for ref in items(m(obj, "metadata"), "ownerReferences"):
        if ref.get("controller"):
            return str(ref.get("uid", ""))
    return None


def decoded_size(value: Any) -> int:
    """The length of a []byte that JSON carries as base64."""
    return len(base64.b64decode(str(value or "")))


def utf8_len(text: str) -> int:
    """len() of a Go string: bytes, not characters."""
    return len(text.encode())


def byte_prefix(text: str, size: int) -> str:
    """text[:size] in Go, which counts bytes; a cut through a character would print broken
    UTF-8, which this cannot reproduce."""
    try:
        return text.encode()[:size].decode()
    except UnicodeDecodeError:
        raise Defer("a cut through a multi-byte character") from None


# --- labels, annotations, taints, tolerations, pods -----------------------------------------


def print_labels(
    w: PrefixWriter,
    title: str,
    labels: Mapping[str, Any] | None,
    initial_indent: str = "",
    inner_indent: str = "\t",
) -> None:
    """printLabelsMultilineWithIndent."""
    w.write(0, f"{initial_indent}{title}:{inner_indent}")
    if not labels:
        w.write_line("<none>")
        return
    for index, key in enumerate(sorted(labels)):
        if index:
            w.write(0, initial_indent)
            w.write(0, inner_indent)
        w.write(0, f"{key}={labels[key]}\n")


def print_annotations(w: PrefixWriter, title: str, annotations: Mapping[str, Any] | None) -> None:
    """printAnnotationsMultiline: long or multi-line values on their own lines, cut at 140
    bytes; kubectl's last-applied-configuration annotation is never shown."""
    w.write(0, f"{title}:\t")
    keys = sorted(k for k in annotations or {} if k != _LAST_APPLIED)
    if not keys:
        w.write_line("<none>")
        return
    assert annotations is not None
    indent = "\t"
    for index, key in enumerate(keys):
        if index:
            w.write(0, indent)
        value = str(annotations[key]).removesuffix("\n")
        if utf8_len(value) + utf8_len(key) + 2 > _MAX_ANNOTATION or "\n" in value:
            w.write(0, f"{key}:\n")
            for line in value.split("\n"):
                w.write(0, f"{indent}  {shorten(line, _MAX_ANNOTATION - 2)}\n")
        else:
            w.write(0, f"{key}: {value}\n")


def shorten(text: str, size: int) -> str:
    if utf8_len(text) > size:
        return byte_prefix(text, size) + "..."
    return text


def taint_text(taint: Obj) -> str:
    """Taint.ToString()."""
    key, value, effect = s(taint, "key"), s(taint, "value"), s(taint, "effect")
    if not effect:
        return key if not value else f"{key}={value}:"
    return f"{key}:{effect}" if not value else f"{key}={value}:{effect}"


def print_taints(w: PrefixWriter, title: str, taints: list[Obj]) -> None:
    w.write(0, f"{title}:\t")
    if not taints:
        w.write_line("<none>")
        return
    ordered = list(taints)
    go_sort(
        ordered, lambda x, y: f"{s(x, 'effect')},{s(x, 'key')}" < f"{s(y, 'effect')},{s(y, 'key')}"
    )
    for index, taint in enumerate(ordered):
        if index:
            w.write(0, "")
            w.write(0, "\t")
        w.write(0, f"{taint_text(taint)}\n")


def print_tolerations(w: PrefixWriter, title: str, tolerations: list[Obj]) -> None:
    """printTolerationsMultilineWithIndent, sorted by key as Go's unstable sort leaves them."""
    w.write(0, f"{title}:\t")
    if not tolerations:
        w.write_line("<none>")
        return
    ordered = list(tolerations)
    go_sort(ordered, lambda x, y: s(x, "key") < s(y, "key"))
    for index, toleration in enumerate(ordered):
        if index:
            w.write(0, "")
            w.write(0, "\t")
        w.write(0, _toleration_text(toleration) + "\n")


def _toleration_text(toleration: Obj) -> str:
    key, value, effect = s(toleration, "key"), s(toleration, "value"), s(toleration, "effect")
    text = key
    if value:
        text += f"={value}"
    if effect:
        text += f":{effect}"
    if s(toleration, "operator") == "Exists" and not value:
        text += " op=Exists" if key or effect else "op=Exists"
    if toleration.get("tolerationSeconds") is not None:
        text += f" for {n(toleration, 'tolerationSeconds')}s"
    return text


def print_pods(w: PrefixWriter, title: str, pods: list[Obj]) -> None:
    """printPodsMultiline: pod names, sorted."""
    w.write(0, f"{title}:\t")
    if not pods:
        w.write_line("<none>")
        return
    names = sorted(s(m(pod, "metadata"), "name") for pod in pods)
    for index, name in enumerate(names):
        if index:
            w.write(0, "")
            w.write(0, "\t")
        w.write(0, f"{name}\n")


# --- events ---------------------------------------------------------------------------------


def describe_events(w: PrefixWriter, events: list[Obj] | None, now: float) -> None:
    """DescribeEvents; None (events not asked for) prints nothing."""
    if events is None:
        return
    if not events:
        w.write(0, "Events:\t<none>\n")
        return
    # kubectl calls w.Flush() here, which does nothing: tabwriter's Flush returns an error,
    # so the tabwriter is not the `flusher` PrefixWriter looks for.
    ordered = list(events)
    go_sort(ordered, lambda x, y: epoch(x.get("lastTimestamp")) < epoch(y.get("lastTimestamp")))
    w.write(0, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n")
    w.write(1, "----\t------\t----\t----\t-------\n")
    for event in ordered:
        w.write(
            1,
            f"{s(event, 'type')}\t{s(event, 'reason')}\t{_event_interval(event, now)}\t"
            f"{_event_source(event)}\t{_event_message(event)}\n",
        )


def _event_interval(event: Obj, now: float) -> str:
    first = since(event.get("eventTime"), now)
    if not event.get("eventTime"):
        first = since(event.get("firstTimestamp"), now)
    series = event.get("series")
    if isinstance(series, dict):
        last = since(series.get("lastObservedTime"), now)
        return f"{last} (x{n(series, 'count')} over {first})"
    if n(event, "count") > 1:
        return f"{since(event.get('lastTimestamp'), now)} (x{n(event, 'count')} over {first})"
    return first


def _event_source(event: Obj) -> str:
    return s(m(event, "source"), "component") or s(event, "reportingComponent")


def _event_message(event: Obj) -> str:
    message = go_trim_space(s(event, "message"))
    field_path = s(m(event, "involvedObject"), "fieldPath")
    return f"{field_path}: {message}" if field_path else message


# --- resources ------------------------------------------------------------------------------


def describe_resources(w: PrefixWriter, resources: Obj | None, level: int) -> None:
    if resources is None:
        return
    limits, requests = m(resources, "limits"), m(resources, "requests")
    if limits:
        w.write(level, "Limits:\n")
    for name in sorted(limits):
        w.write(level + 1, f"{name}:\t{limits[name]}\n")
    if requests:
        w.write(level, "Requests:\n")
    for name in sorted(requests):
        w.write(level + 1, f"{name}:\t{requests[name]}\n")


# --- containers -----------------------------------------------------------------------------

EnvResolver = Callable[[Obj], str]


def describe_containers(
    w: PrefixWriter,
    label: str,
    containers: list[Obj],
    statuses: list[Obj] | None,
    resolver: EnvResolver | None,
    space: str,
) -> None:
    by_name = {s(status, "name"): status for status in statuses or []}
    w.write(0, f"{space}{label}:{'' if containers else ' <none>'}\n")
    for container in containers:
        status = by_name.get(s(container, "name"))
        _container_basics(w, container, status, space)
        _container_command(w, container)
        if status is not None:
            _container_state(w, status)
        describe_resources(w, m(container, "resources"), 2)
        _container_probes(w, container)
        if items(container, "envFrom"):
            _container_env_from(w, container)
        _container_env(w, container, resolver)
        _container_mounts(w, container)


def _container_basics(w: PrefixWriter, container: Obj, status: Obj | None, space: str) -> None:
    w.write(1, f"{' ' if space else ''}{s(container, 'name')}:\n")
    if status is not None:
        w.write(2, f"Container ID:\t{s(status, 'containerID')}\n")
    w.write(2, f"Image:\t{s(container, 'image')}\n")
    if status is not None:
        w.write(2, f"Image ID:\t{s(status, 'imageID')}\n")
    ports = _ports(container, "containerPort")
    if "," in ports:
        w.write(2, f"Ports:\t{ports}\n")
    else:
        w.write(2, f"Port:\t{string_or_none(ports)}\n")
    host_ports = _ports(container, "hostPort")
    if "," in host_ports:
        w.write(2, f"Host Ports:\t{host_ports}\n")
    else:
        w.write(2, f"Host Port:\t{string_or_none(host_ports)}\n")
    seccomp = m(container, "securityContext", "seccompProfile")
    if m(container, "securityContext").get("seccompProfile") is not None:
        w.write(2, f"SeccompProfile:\t{s(seccomp, 'type')}\n")
        if s(seccomp, "type") == "Localhost":
            w.write(3, f"LocalhostProfile:\t{s(seccomp, 'localhostProfile')}\n")


def _ports(container: Obj, field: str) -> str:
    texts = []
    for port in items(container, "ports"):
        text = f"{n(port, field)}/{s(port, 'protocol')}"
        if s(port, "name"):
            text += f" ({s(port, 'name')})"
        texts.append(text)
    return ", ".join(texts)


def _container_command(w: PrefixWriter, container: Obj) -> None:
    for field, title in (("command", "Command"), ("args", "Args")):
        words = items(container, field)
        if words:
            w.write(2, f"{title}:\n")
            for word in words:
                for line in str(word).split("\n"):
                    w.write(3, f"{line}\n")


def _container_state(w: PrefixWriter, status: Obj) -> None:
    _state(w, "State", m(status, "state"))
    if m(status, "lastState").get("terminated") is not None:
        _state(w, "Last State", m(status, "lastState"))
    w.write(2, f"Ready:\t{print_bool(b(status, 'ready'))}\n")
    w.write(2, f"Restart Count:\t{n(status, 'restartCount')}\n")


def _state(w: PrefixWriter, name: str, state: Obj) -> None:
    if state.get("running") is not None:
        w.write(2, f"{name}:\tRunning\n")
        w.write(3, f"Started:\t{rfc1123z(m(state, 'running').get('startedAt'))}\n")
    elif state.get("waiting") is not None:
        w.write(2, f"{name}:\tWaiting\n")
        if s(m(state, "waiting"), "reason"):
            w.write(3, f"Reason:\t{s(m(state, 'waiting'), 'reason')}\n")
    elif state.get("terminated") is not None:
        _terminated(w, name, m(state, "terminated"))
    else:
        w.write(2, f"{name}:\tWaiting\n")


def _terminated(w: PrefixWriter, name: str, terminated: Obj) -> None:
    w.write(2, f"{name}:\tTerminated\n")
    if s(terminated, "reason"):
        w.write(3, f"Reason:\t{s(terminated, 'reason')}\n")
    if s(terminated, "message"):
        w.write(3, f"Message:\t{s(terminated, 'message')}\n")
    w.write(3, f"Exit Code:\t{n(terminated, 'exitCode')}\n")
    if n(terminated, "signal") > 0:
        w.write(3, f"Signal:\t{n(terminated, 'signal')}\n")
    w.write(3, f"Started:\t{rfc1123z(terminated.get('startedAt'))}\n")
    w.write(3, f"Finished:\t{rfc1123z(terminated.get('finishedAt'))}\n")


def _container_probes(w: PrefixWriter, container: Obj) -> None:
    for field, title in (
        ("livenessProbe", "Liveness"),
        ("readinessProbe", "Readiness"),
        ("startupProbe", "Startup"),
    ):
        if container.get(field) is not None:
            w.write(2, f"{title}:\t{describe_probe(m(container, field))}\n")


def describe_probe(probe: Obj) -> str:
    attrs = (
        f"delay={n(probe, 'initialDelaySeconds')}s timeout={n(probe, 'timeoutSeconds')}s "
        f"period={n(probe, 'periodSeconds')}s #success={n(probe, 'successThreshold')} "
        f"#failure={n(probe, 'failureThreshold')}"
    )
    if probe.get("exec") is not None:
        return f"exec [{' '.join(str(c) for c in items(m(probe, 'exec'), 'command'))}] {attrs}"
    if probe.get("httpGet") is not None:
        return f"http-get {_probe_url(m(probe, 'httpGet'))} {attrs}"
    if probe.get("tcpSocket") is not None:
        tcp = m(probe, "tcpSocket")
        return f"tcp-socket {s(tcp, 'host')}:{int_or_string(tcp.get('port'))} {attrs}"
    if probe.get("grpc") is not None:
        grpc = m(probe, "grpc")
        if grpc.get("service") is None:
            raise Defer("a gRPC probe without a service (kubectl would crash)")
        return f"grpc <pod>:{n(grpc, 'port')} {s(grpc, 'service')} {attrs}"
    return f"unknown {attrs}"


_PATH_SAFE = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~$&+,/:;=@"
)


def _probe_url(http: Obj) -> str:
    """url.URL{Scheme, Host, Path}.String() as DescribeProbe builds it."""
    scheme = s(http, "scheme").lower()
    port = int_or_string(http.get("port")) if http.get("port") is not None else ""
    host = s(http, "host")
    if port:
        host = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    path = s(http, "path")
    if path != "*":  # Go leaves a lone * unescaped
        path = "".join(
            c if c in _PATH_SAFE else "".join(f"%{byte:02X}" for byte in c.encode()) for c in path
        )
    if any(c in host for c in ' %"<>\\^`{|}') or not host:
        raise Defer("a probe URL that Go escapes")
    if path and not path.startswith("/"):
        path = "/" + path
    return f"{scheme}://{host}{path}" if scheme else f"//{host}{path}"


def _container_env_from(w: PrefixWriter, container: Obj) -> None:
    sources = items(container, "envFrom")
    none = "" if sources else "\t<none>"
    w.write(2, f"Environment Variables from:{none}\n")
    for source in sources:
        kind, name, optional = "", "", False
        if source.get("configMapRef") is not None:
            ref = m(source, "configMapRef")
            kind, name, optional = "ConfigMap", s(ref, "name"), b(ref, "optional")
        elif source.get("secretRef") is not None:
            ref = m(source, "secretRef")
            kind, name, optional = "Secret", s(ref, "name"), b(ref, "optional")
        prefix = s(source, "prefix")
        if not prefix:
            w.write(3, f"{name}\t{kind}\tOptional: {go_bool(optional)}\n")
        else:
            w.write(3, f"{name}\t{kind} with prefix '{prefix}'\tOptional: {go_bool(optional)}\n")


def _container_env(w: PrefixWriter, container: Obj, resolver: EnvResolver | None) -> None:
    env = items(container, "env")
    none = "" if env else "\t<none>"
    w.write(2, f"Environment:{none}\n")
    for var in env:
        name = s(var, "name")
        source = var.get("valueFrom")
        if source is None:
            for index, line in enumerate(s(var, "value").split("\n")):
                w.write(3, f"{name}:\t{line}\n" if index == 0 else f"\t{line}\n")
            continue
        text = _env_from_source(container, name, source, resolver, var)
        if text is not None:
            w.write(3, text)


def _env_from_source(
    container: Obj, name: str, source: Obj, resolver: EnvResolver | None, var: Obj
) -> str | None:
    """One valueFrom variable's line; None for sources kubectl prints nothing for."""
    if source.get("fieldRef") is not None:
        ref = m(source, "fieldRef")
        value = resolver(var) if resolver is not None else ""
        return f"{name}:\t{value} ({s(ref, 'apiVersion')}:{s(ref, 'fieldPath')})\n"
    if source.get("resourceFieldRef") is not None:
        ref = m(source, "resourceFieldRef")
        resource = s(ref, "resource")
        value = container_resource_value(ref, container)
        if value == "0" and resource in ("limits.cpu", "limits.memory"):
            value = "node allocatable"
        return f"{name}:\t{value} ({resource})\n"
    if source.get("secretKeyRef") is not None:
        ref = m(source, "secretKeyRef")
        return (
            f"{name}:\t<set to the key '{s(ref, 'key')}' in secret '{s(ref, 'name')}'>\t"
            f"Optional: {go_bool(b(ref, 'optional'))}\n"
        )
    if source.get("configMapKeyRef") is not None:
        ref = m(source, "configMapKeyRef")
        return (
            f"{name}:\t<set to the key '{s(ref, 'key')}' of config map '{s(ref, 'name')}'>\t"
            f"Optional: {go_bool(b(ref, 'optional'))}\n"
        )
    return None  # kubectl prints nothing for other sources


def container_resource_value(ref: Obj, container: Obj) -> str:
    """resourcehelper.ExtractContainerResourceValue; "" where kubectl gets an error."""
    divisor = Quantity.parse(str(ref.get("divisor") or "0"))
    if divisor.value == 0:
        divisor = Quantity.parse("1")
    kind, _, resource = s(ref, "resource").partition(".")
    if kind not in ("limits", "requests"):
        return ""
    if resource.startswith("hugepages-"):
        raise Defer("a hugepages resource reference")
    amount = Quantity.parse(str(m(container, "resources", kind).get(resource) or "0"))
    if resource == "cpu":
        return str(math.ceil(float(amount.milli_value()) / float(divisor.milli_value())))
    if resource in ("memory", "ephemeral-storage"):
        return str(math.ceil(float(amount.value_int()) / float(divisor.value_int())))
    return ""


def _container_mounts(w: PrefixWriter, container: Obj) -> None:
    mounts = list(items(container, "volumeMounts"))
    none = "" if mounts else "\t<none>"
    w.write(2, f"Mounts:{none}\n")
    go_sort(mounts, lambda x, y: s(x, "mountPath") < s(y, "mountPath"))
    for mount in mounts:
        flags = ["ro" if b(mount, "readOnly") else "rw"]
        if s(mount, "subPath"):
            flags.append(f"path={go_quote(s(mount, 'subPath'))}")
        w.write(3, f"{s(mount, 'mountPath')} from {s(mount, 'name')} ({','.join(flags)})\n")
    devices = list(items(container, "volumeDevices"))
    if devices:
        w.write(2, f"Devices:{none}\n")
        go_sort(devices, lambda x, y: s(x, "devicePath") < s(y, "devicePath"))
        for device in devices:
            w.write(3, f"{s(device, 'devicePath')} from {s(device, 'name')}\n")


def pod_env_resolver(pod: Obj) -> EnvResolver:
    """EnvValueRetriever: kubectl's scheme converts only metadata.name and metadata.namespace,
    so every other field path resolves to ""."""

    def resolve(var: Obj) -> str:
        ref = m(var, "valueFrom", "fieldRef")
        if s(ref, "apiVersion").count("/") > 1:
            return ""
        path = s(ref, "fieldPath")
        if path in ("metadata.name", "metadata.namespace"):
            return s(m(pod, "metadata"), path.partition(".")[2])
        return ""

    return resolve


# --- volumes --------------------------------------------------------------------------------


def describe_volumes(w: PrefixWriter, volumes: list[Obj], space: str) -> None:
    if not volumes:
        w.write(0, f"{space}Volumes:\t<none>\n")
        return
    w.write(0, f"{space}Volumes:\n")
    for volume in volumes:
        w.write(1, f"{' ' if space else ''}{s(volume, 'name')}:\n")
        _volume_source(w, volume)


def _volume_source(w: PrefixWriter, volume: Obj) -> None:
    for field, printer in _VOLUME_PRINTERS:
        if volume.get(field) is None:
            continue
        if printer is None:
            raise Defer(f"{field} volumes are not ported")
        printer(w, m(volume, field))
        return
    raise Defer(f"volume {s(volume, 'name')!r} has a source this port does not print")


def print_host_path(w: PrefixWriter, source: Obj) -> None:
    kind = s(source, "type") if source.get("type") is not None else "<none>"
    w.write(
        2,
        "Type:\tHostPath (bare host directory volume)\n"
        f"    Path:\t{s(source, 'path')}\n"
        f"    HostPathType:\t{kind}\n",
    )


def _empty_dir(w: PrefixWriter, source: Obj) -> None:
    limit = "<unset>"
    if source.get("sizeLimit") is not None:
        size = Quantity.parse(str(source["sizeLimit"]))
        if size.value > 0:
            limit = str(size)
    w.write(
        2,
        "Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n"
        f"    Medium:\t{s(source, 'medium')}\n"
        f"    SizeLimit:\t{limit}\n",
    )


def _secret(w: PrefixWriter, source: Obj) -> None:
    w.write(
        2,
        "Type:\tSecret (a volume populated by a Secret)\n"
        f"    SecretName:\t{s(source, 'secretName')}\n"
        f"    Optional:\t{go_bool(b(source, 'optional'))}\n",
    )


def _config_map(w: PrefixWriter, source: Obj) -> None:
    w.write(
        2,
        "Type:\tConfigMap (a volume populated by a ConfigMap)\n"
        f"    Name:\t{s(source, 'name')}\n"
        f"    Optional:\t{go_bool(b(source, 'optional'))}\n",
    )


def _projected(w: PrefixWriter, source: Obj) -> None:
    w.write(2, "Type:\tProjected (a volume that contains injected data from multiple sources)\n")
    for part in items(source, "sources"):
        if part.get("secret") is not None:
            secret = m(part, "secret")
            w.write(
                2,
                f"SecretName:\t{s(secret, 'name')}\n"
                f"    Optional:\t{go_bool(b(secret, 'optional'))}\n",
            )
        elif part.get("downwardAPI") is not None:
            w.write(2, "DownwardAPI:\ttrue\n")
        elif part.get("configMap") is not None:
            config = m(part, "configMap")
            w.write(
                2,
                f"ConfigMapName:\t{s(config, 'name')}\n"
                f"    Optional:\t{go_bool(b(config, 'optional'))}\n",
            )
        elif part.get("serviceAccountToken") is not None:
            token = m(part, "serviceAccountToken")
            if token.get("expirationSeconds") is None:
                raise Defer("a token projection without expirationSeconds")
            w.write(2, f"TokenExpirationSeconds:\t{n(token, 'expirationSeconds')}\n")


def print_nfs(w: PrefixWriter, source: Obj) -> None:
    w.write(
        2,
        "Type:\tNFS (an NFS mount that lasts the lifetime of a pod)\n"
        f"    Server:\t{s(source, 'server')}\n"
        f"    Path:\t{s(source, 'path')}\n"
        f"    ReadOnly:\t{go_bool(b(source, 'readOnly'))}\n",
    )


def _claim(w: PrefixWriter, source: Obj) -> None:
    w.write(
        2,
        "Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same "
        "namespace)\n"
        f"    ClaimName:\t{s(source, 'claimName')}\n"
        f"    ReadOnly:\t{go_bool(b(source, 'readOnly'))}\n",
    )


def _ephemeral(w: PrefixWriter, source: Obj) -> None:
    w.write(
        2,
        "Type:\tEphemeralVolume (an inline specification for a volume that gets created and "
        "deleted with the pod)\n",
    )
    template = source.get("volumeClaimTemplate")
    if template is not None:
        claim = {"metadata": m(template, "metadata"), "spec": m(template, "spec")}
        print_claim(w.nested(2), claim, full=False)


def _downward_api(w: PrefixWriter, source: Obj) -> None:
    w.write(2, "Type:\tDownwardAPI (a volume populated by information about the pod)\n    Items:\n")
    for item in items(source, "items"):
        if item.get("fieldRef") is not None:
            w.write(3, f"{s(m(item, 'fieldRef'), 'fieldPath')} -> {s(item, 'path')}\n")
        if item.get("resourceFieldRef") is not None:
            w.write(3, f"{s(m(item, 'resourceFieldRef'), 'resource')} -> {s(item, 'path')}\n")


def _csi(w: PrefixWriter, source: Obj) -> None:
    w.write(
        2,
        "Type:\tCSI (a Container Storage Interface (CSI) volume source)\n"
        f"    Driver:\t{s(source, 'driver')}\n"
        f"    FSType:\t{s(source, 'fsType')}\n"
        f"    ReadOnly:\t{go_bool(b(source, 'readOnly'))}\n",
    )
    print_csi_attributes(w, m(source, "volumeAttributes"))


def print_csi_attributes(w: PrefixWriter, attributes: Obj) -> None:
    """printCSIPersistentVolumeAttributesMultilineIndent: every write at level 2, the
    continuation lines included."""
    w.write(2, "VolumeAttributes:\t")
    if not attributes:
        w.write_line("<none>")
        return
    for index, key in enumerate(sorted(attributes)):
        if index:
            w.write(2, "")
            w.write(2, "\t")
        line = f"{key}={attributes[key]}"
        if utf8_len(line) > _MAX_ANNOTATION:
            w.write(2, f"{byte_prefix(line, _MAX_ANNOTATION)}...\n")
        else:
            w.write(2, f"{line}\n")


def _image(w: PrefixWriter, source: Obj) -> None:
    w.write(
        2,
        "Type:\tImage (a container image or OCI artifact)\n"
        f"    Reference:\t{s(source, 'reference')}\n"
        f"    PullPolicy:\t{s(source, 'pullPolicy')}\n",
    )


# In kubectl's order of precedence (its switch statement); None: a source not ported.
_VOLUME_PRINTERS: Sequence[tuple[str, Callable[[PrefixWriter, Obj], None] | None]] = (
    ("hostPath", print_host_path),
    ("emptyDir", _empty_dir),
    ("gcePersistentDisk", None),
    ("awsElasticBlockStore", None),
    ("gitRepo", None),
    ("secret", _secret),
    ("configMap", _config_map),
    ("nfs", print_nfs),
    ("iscsi", None),
    ("glusterfs", None),
    ("persistentVolumeClaim", _claim),
    ("ephemeral", _ephemeral),
    ("rbd", None),
    ("quobyte", None),
    ("downwardAPI", _downward_api),
    ("azureDisk", None),
    ("vsphereVolume", None),
    ("cinder", None),
    ("photonPersistentDisk", None),
    ("portworxVolume", None),
    ("scaleIO", None),
    ("cephfs", None),
    ("storageos", None),
    ("fc", None),
    ("azureFile", None),
    ("flexVolume", None),
    ("flocker", None),
    ("projected", _projected),
    ("csi", _csi),
    ("image", _image),
)


# --- persistent volume claims (full and as templates) ---------------------------------------


def claim_class(claim: Obj) -> str:
    """storageutil.GetPersistentVolumeClaimClass."""
    annotations = m(claim, "metadata", "annotations")
    if "volume.beta.kubernetes.io/storage-class" in annotations:
        return str(annotations["volume.beta.kubernetes.io/storage-class"])
    return s(m(claim, "spec"), "storageClassName")


def access_modes(modes: Iterable[Any]) -> str:
    """storageutil.GetAccessModesAsString."""
    present = set(modes)
    short = (
        ("ReadWriteOnce", "RWO"),
        ("ReadOnlyMany", "ROX"),
        ("ReadWriteMany", "RWX"),
        ("ReadWriteOncePod", "RWOP"),
    )
    return ",".join(abbreviation for mode, abbreviation in short if mode in present)


def print_claim(w: PrefixWriter, claim: Obj, full: bool, now: float = 0.0) -> None:
    """printPersistentVolumeClaim, for a claim or (full=False) a claim template."""
    meta, spec, status = m(claim, "metadata"), m(claim, "spec"), m(claim, "status")
    if full:
        w.write(0, f"Name:\t{s(meta, 'name')}\n")
        w.write(0, f"Namespace:\t{s(meta, 'namespace')}\n")
    w.write(0, f"StorageClass:\t{claim_class(claim)}\n")
    if full:
        if meta.get("deletionTimestamp"):
            lasts = since(meta["deletionTimestamp"], now)
            w.write(0, f"Status:\tTerminating (lasts {lasts})\n")
        else:
            w.write(0, f"Status:\t{s(status, 'phase')}\n")
    w.write(0, f"Volume:\t{s(spec, 'volumeName')}\n")
    print_labels(w, "Labels", m(meta, "labels"))
    print_annotations(w, "Annotations", m(meta, "annotations"))
    if full:
        w.write(0, f"Finalizers:\t{go_value(items(meta, 'finalizers'))}\n")
    capacity, modes = "", ""
    if s(spec, "volumeName"):
        modes = access_modes(items(status, "accessModes"))
        capacity = str(m(status, "capacity").get("storage") or "0")
    w.write(0, f"Capacity:\t{capacity}\n")
    w.write(0, f"Access Modes:\t{modes}\n")
    if spec.get("volumeMode") is not None:
        w.write(0, f"VolumeMode:\t{s(spec, 'volumeMode')}\n")
    if spec.get("dataSource") is not None:
        source = m(spec, "dataSource")
        w.write(0, "DataSource:\n")
        if source.get("apiGroup") is not None:
            w.write(1, f"APIGroup:\t{s(source, 'apiGroup')}\n")
        w.write(1, f"Kind:\t{s(source, 'kind')}\n")
        w.write(1, f"Name:\t{s(source, 'name')}\n")


def describe_claim_templates(w: PrefixWriter, templates: list[Obj]) -> None:
    """describeVolumeClaimTemplates (StatefulSets)."""
    if not templates:
        w.write(0, "Volume Claims:\t<none>\n")
        return
    w.write(0, "Volume Claims:\n")
    for claim in templates:
        meta, spec = m(claim, "metadata"), m(claim, "spec")
        w.write(1, f"Name:\t{s(meta, 'name')}\n")
        w.write(1, f"StorageClass:\t{claim_class(claim)}\n")
        print_labels(w, "Labels", m(meta, "labels"), "  ")
        print_labels(w, "Annotations", m(meta, "annotations"), "  ")
        storage = m(spec, "resources", "requests").get("storage")
        w.write(1, f"Capacity:\t{storage if storage is not None else '<default>'}\n")
        modes = " ".join(str(mode) for mode in items(spec, "accessModes"))
        w.write(1, f"Access Modes:\t[{modes}]\n")


# --- pod templates and pod details ----------------------------------------------------------


def describe_topology(w: PrefixWriter, constraints: list[Obj], space: str) -> None:
    if not constraints:
        return
    ordered = list(constraints)
    go_sort(ordered, lambda x, y: s(x, "topologyKey") < s(y, "topologyKey"))
    w.write(0, f"{space}Topology Spread Constraints:\t")
    for index, tsc in enumerate(ordered):
        if index:
            w.write(0, space)
            w.write(0, "\t")
        w.write(0, f"{s(tsc, 'topologyKey')}:")
        w.write(0, s(tsc, "whenUnsatisfiable"))
        w.write(0, f" when max skew {n(tsc, 'maxSkew')} is exceeded")
        if tsc.get("labelSelector") is not None:
            w.write(0, f" for selector {format_label_selector(m(tsc, 'labelSelector'))}")
        w.write(0, "\n")


def describe_workload_ref(w: PrefixWriter, ref: Obj, space: str) -> None:
    w.write(0, f"{space}WorkloadRef:\n")
    w.write(1, f"Name:\t{s(ref, 'name')}\n")
    w.write(1, f"PodGroup:\t{s(ref, 'podGroup')}\n")
    if s(ref, "podGroupReplicaKey"):
        w.write(1, f"PodGroupReplicaKey:\t{s(ref, 'podGroupReplicaKey')}\n")


def describe_pod_template(w: PrefixWriter, template: Obj) -> None:
    """DescribePodTemplate (Deployments, ReplicaSets, StatefulSets, DaemonSets, Jobs)."""
    meta, spec = m(template, "metadata"), m(template, "spec")
    w.write(0, "Pod Template:\n")
    print_labels(w, "  Labels", m(meta, "labels"))
    if m(meta, "annotations"):
        print_annotations(w, "  Annotations", m(meta, "annotations"))
    if s(spec, "serviceAccountName"):
        w.write(1, f"Service Account:\t{s(spec, 'serviceAccountName')}\n")
    if items(spec, "initContainers"):
        describe_containers(w, "Init Containers", items(spec, "initContainers"), None, None, "  ")
    describe_containers(w, "Containers", items(spec, "containers"), None, None, "  ")
    describe_volumes(w, items(spec, "volumes"), "  ")
    describe_topology(w, items(spec, "topologySpreadConstraints"), "  ")
    if s(spec, "priorityClassName"):
        w.write(1, f"Priority Class Name:\t{s(spec, 'priorityClassName')}\n")
    print_labels(w, "  Node-Selectors", m(spec, "nodeSelector"))
    print_tolerations(w, "  Tolerations", items(spec, "tolerations"))
    if spec.get("workloadRef") is not None:
        describe_workload_ref(w, m(spec, "workloadRef"), "  ")


def pod_phase_counts(pods: list[Obj], owner_uid: str) -> tuple[int, int, int, int]:
    """getPodStatusForController: Running, Waiting (Pending), Succeeded and Failed pods whose
    controller is the owner."""
    counts = {"Running": 0, "Pending": 0, "Succeeded": 0, "Failed": 0}
    for pod in pods:
        if controller_uid(pod) != owner_uid:
            continue
        phase = s(m(pod, "status"), "phase")
        if phase in counts:
            counts[phase] += 1
    return counts["Running"], counts["Pending"], counts["Succeeded"], counts["Failed"]


def pods_status_line(w: PrefixWriter, counts: tuple[int, int, int, int]) -> None:
    running, waiting, succeeded, failed = counts
    w.write(
        0,
        f"Pods Status:\t{running} Running / {waiting} Waiting / {succeeded} Succeeded / "
        f"{failed} Failed\n",
    )
