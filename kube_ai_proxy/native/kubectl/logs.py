"""`kubectl logs`, read from the API server directly.

The pod is chosen as kubectl chooses it: a pod by name, or for `deploy/web` (any object with
a selector) the pod kubectl's "by logging" order puts first; `-l` reads every matching pod
(at most --max-log-requests, tail 10 by default, as kubectl). When two candidate pods tie in
that order, kubectl's pick is not predictable, and the command goes to kubectl itself.
`-f` follows until the call's timeout and returns what arrived.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from adapters.errors import BackendError
from adapters.kubernetes import KubeAPI
from kube_ai_proxy.errors import Defer
from kube_ai_proxy.native.base import ANY, SWITCH, NativeAnswer, NativeContext, serves
from kube_ai_proxy.output.budget import LOG_LONGER, cut_text, read_limit, rest_hint
from kube_ai_proxy.parse.command import CliCommand

FLAGS = {
    "namespace": ANY,
    "container": ANY,
    "all-containers": SWITCH,
    "tail": ANY,
    "since": ANY,
    "since-time": ANY,
    "previous": SWITCH,
    "timestamps": SWITCH,
    "limit-bytes": ANY,
    "prefix": SWITCH,
    "follow": SWITCH,
    "selector": ANY,
    "max-log-requests": ANY,
    "context": ANY,
}

_DURATION = re.compile(r"(\d+(?:\.\d*)?)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}


def can_serve(command: CliCommand) -> bool:
    if command.verb != ("logs",) or not serves(command, FLAGS):
        return False
    if command.has("selector"):
        return not command.args
    # POD [CONTAINER] or TYPE/NAME [CONTAINER]
    return 1 <= len(command.args) <= 2


def go_duration_seconds(text: str) -> float:
    """Go's time.ParseDuration, for --since."""
    matches = list(_DURATION.finditer(text))
    if not text or "".join(m.group(0) for m in matches) != text:
        raise ValueError(f'time: invalid duration "{text}"')
    return sum(float(m.group(1)) * _UNITS[m.group(2)] for m in matches)


@dataclass(frozen=True)
class _Stream:
    pod: str
    container: str


def label_selector(selector: dict[str, Any]) -> str:
    """A LabelSelector object as the query string kubectl sends."""
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        if op == "In":
            parts.append(f"{key} in ({','.join(values)})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({','.join(values)})")
        elif op == "Exists":
            parts.append(key)
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    return ",".join(parts)


def _ready_time(pod: dict[str, Any]) -> str | None:
    for condition in pod.get("status", {}).get("conditions") or []:
        if condition.get("type") == "Ready" and condition.get("status") == "True":
            return str(condition.get("lastTransitionTime") or "")
    return None


def _logging_key(pod: dict[str, Any]) -> tuple[Any, ...]:
    """kubectl's podutils.ByLogging, as a sort key (smaller sorts first)."""
    status = pod.get("status", {})
    phase = {"Running": 0, "Unknown": 1, "Pending": 2}.get(status.get("phase", ""), 3)
    ready = _ready_time(pod)
    restarts = max(
        (c.get("restartCount", 0) for c in status.get("containerStatuses") or []), default=0
    )
    created = pod.get("metadata", {}).get("creationTimestamp") or "~"  # empty sorts last
    return (
        0 if pod.get("spec", {}).get("nodeName") else 1,
        phase,
        0 if ready is not None else 1,
        # Ready longer sorts first: an earlier ready time is smaller.
        ready or "~",
        -restarts,
        created,
    )


async def _pods_for(
    api: KubeAPI, namespace: str, target: str
) -> tuple[list[dict[str, Any]], str | None]:
    """Pods behind `TYPE/NAME`, and kubectl's "Found N pods" note."""
    kind, _, name = target.partition("/")
    resource = await api.resolve(kind)
    if resource.plural == "pods":
        return [await api.request("GET", resource.path(namespace, name))], None
    owner = await api.request("GET", resource.path(namespace, name))
    spec = owner.get("spec") or {}
    selector = spec.get("selector")
    if isinstance(selector, dict) and ("matchLabels" in selector or "matchExpressions" in selector):
        query = label_selector(selector)
    elif isinstance(selector, dict):  # a Service's plain map
        query = ",".join(f"{k}={v}" for k, v in sorted(selector.items()))
    else:
        return [], None  # kubectl words this itself
    listed = await api.request(
        "GET", f"/api/v1/namespaces/{namespace}/pods", query=[("labelSelector", query)]
    )
    return list(listed.get("items") or []), query


async def native_logs(command: CliCommand, ctx: NativeContext) -> NativeAnswer:
    api = await ctx.kube()
    namespace = ctx.namespace
    notes: list[str] = []
    try:
        if command.has("selector"):
            listed = await api.request(
                "GET",
                f"/api/v1/namespaces/{namespace}/pods",
                query=[("labelSelector", command.value("selector"))],
            )
            pods = list(listed.get("items") or [])
            limit = int(command.value("max-log-requests") or 5)
            if len(pods) > limit and command.bool_flag("follow"):
                raise Defer("more pods than --max-log-requests: kubectl's own error text")
            if not pods:
                return NativeAnswer(
                    "", {"logs": []}, stderr=f"No resources found in {namespace} namespace."
                )
        else:
            target = command.args[0]
            if "/" not in target:
                target = f"pods/{target}"
            pods, query = await _pods_for(api, namespace, target)
            if not pods:
                raise Defer(f"no pod for {target}: kubectl's own wording")
            if query is not None:
                ranked = sorted(pods, key=_logging_key)
                if len(ranked) > 1 and _logging_key(ranked[0]) == _logging_key(ranked[1]):
                    raise Defer("a tie between pods: kubectl's unstable sort decides")
                if len(pods) > 1:
                    notes.append(
                        f"Found {len(pods)} pods, using pod/{ranked[0]['metadata']['name']}"
                    )
                pods = ranked[:1]
        streams, defaulted = _streams(command, pods)
        notes += defaulted
    except BackendError as exc:
        return _error(exc, namespace)
    except _KubectlError as exc:
        return NativeAnswer("", None, 1, f"error: {exc}", "invalid_command")
    return await _read(command, ctx, streams, notes)


class _KubectlError(Exception):
    """An error kubectl reports itself, before any request."""


def _container_names(pod: dict[str, Any], kinds: Sequence[str]) -> list[str]:
    spec = pod.get("spec", {})
    return [c["name"] for kind in kinds for c in spec.get(kind) or []]


def _streams(command: CliCommand, pods: list[dict[str, Any]]) -> tuple[list[_Stream], list[str]]:
    container = command.value("container")
    if not container and len(command.args) == 2:
        container = command.args[1]
    streams: list[_Stream] = []
    notes: list[str] = []
    for pod in pods:
        name = pod["metadata"]["name"]
        if command.bool_flag("all-containers"):
            names = _container_names(pod, ("initContainers", "containers", "ephemeralContainers"))
            streams += [_Stream(name, c) for c in names]
            continue
        if container:
            valid = _container_names(pod, ("initContainers", "containers", "ephemeralContainers"))
            if container not in valid:
                raise _KubectlError(f"container {container} is not valid for pod {name}")
            streams.append(_Stream(name, container))
            continue
        containers = _container_names(pod, ("containers",))
        annotations = pod["metadata"].get("annotations") or {}
        chosen = annotations.get("kubectl.kubernetes.io/default-container") or containers[0]
        if len(containers) + len(_container_names(pod, ("initContainers",))) > 1 and (
            "kubectl.kubernetes.io/default-container" not in annotations
        ):
            listed = containers + [
                f"{c} (init)" for c in _container_names(pod, ("initContainers",))
            ]
            notes.append(f'Defaulted container "{chosen}" out of: {", ".join(listed)}')
        streams.append(_Stream(name, chosen))
    return streams, notes


def _query(command: CliCommand, stream: _Stream, budget_bytes: int) -> list[tuple[str, Any]]:
    query: list[tuple[str, Any]] = [("container", stream.container)]
    tail = command.value("tail")
    if tail is None and command.has("selector"):
        tail = "10"  # kubectl's default with a selector
    if tail is not None and int(tail) >= 0:
        query.append(("tailLines", int(tail)))
    since = command.value("since")
    if since:
        query.append(("sinceSeconds", max(1, round(go_duration_seconds(since)))))
    if command.value("since-time"):
        query.append(("sinceTime", command.value("since-time")))
    for flag, param in (("previous", "previous"), ("timestamps", "timestamps")):
        if command.bool_flag(flag):
            query.append((param, "true"))
    limit = command.value("limit-bytes")
    query.append(("limitBytes", min(int(limit), budget_bytes) if limit else budget_bytes))
    if command.bool_flag("follow"):
        query.append(("follow", "true"))
    return query


async def _read(
    command: CliCommand, ctx: NativeContext, streams: list[_Stream], notes: list[str]
) -> NativeAnswer:
    # One byte past the read limit tells a log that ends there from one that goes on.
    budget_bytes = read_limit(ctx.budget) + 1
    deadline = time.monotonic() + ctx.timeout - 1.0 if command.bool_flag("follow") else None
    prefix = command.bool_flag("prefix")
    parts: list[str] = []
    entries: list[dict[str, Any]] = []
    truncated = False
    for stream in streams:
        path = f"/api/v1/namespaces/{ctx.namespace}/pods/{stream.pod}/log"
        try:
            streamed = await (await ctx.kube()).stream_text(
                path, _query(command, stream, budget_bytes), budget_bytes, until=deadline
            )
        except BackendError as exc:
            return _error(exc, ctx.namespace)
        body, cut = streamed.body, streamed.cut
        if streamed.broken is not None:
            notes.append(f"({streamed.broken}: the log above ends there; run it again to read on)")
        text = body.decode("utf-8", "replace")
        explicit_limit = command.value("limit-bytes")
        truncated = (
            truncated
            or cut
            or (
                len(body) >= budget_bytes
                and not (explicit_limit and int(explicit_limit) <= len(body))
            )
        )
        lines = text.splitlines()
        if prefix:
            label = f"[pod/{stream.pod}/{stream.container}] "
            text = "".join(label + line + "\n" for line in lines)
        parts.append(text)
        entries.append({"pod": stream.pod, "container": stream.container, "lines": lines})
    output = "".join(parts)
    data: dict[str, Any] = entries[0] if len(entries) == 1 else {"logs": entries}
    hint = None
    shown = cut_text(output, ctx.budget)
    if truncated or shown.truncated:
        truncated = True
        hint = rest_hint(LOG_LONGER, "use --tail=N, --since=DURATION or | grep PATTERN")
        output = shown.text
    if deadline is not None:
        notes.append(
            f"(followed for {max(ctx.timeout - 1, 0):g} s, until the call's timeout; "
            "pass a larger `timeout` to follow longer)"
        )
    return NativeAnswer(output, data, stderr="\n".join(notes), truncated=truncated, next=hint)


def _error(exc: BackendError, namespace: str) -> NativeAnswer:
    """kubectl logs' own wording of API errors."""
    if exc.code == "not_found" and "resource type" in exc.message:
        return NativeAnswer("", None, 1, f"error: {exc.message}", "not_found")
    if exc.code == "not_found":
        message = f'error: error from server (NotFound): {exc.message} in namespace "{namespace}"'
        return NativeAnswer("", None, 1, message, "not_found")
    reason = {"rbac_denied": " (Forbidden)", "api_error": " (BadRequest)"}.get(exc.code, "")
    return NativeAnswer("", None, 1, f"Error from server{reason}: {exc.message}", exc.code)
