"""What a container prints can hold the Secrets its pod is given (DESIGN invariant 7).

`kubectl exec POD -- printenv` prints the values of `secretKeyRef` variables, and `cat` of a
mounted Secret prints its files: no parse of the output can find them, so the server reads the
Secrets the pod refers to (env, envFrom, secret and projected volumes, in every container) and
replaces their values wherever they appear, in stdout and in stderr. Service account tokens
are minted per pod and are no Secret object: anything shaped like a JWT is replaced too.

When the server cannot read one of those Secrets it cannot tell their values, so it refuses
rather than hope (`K8S_MCP_ALLOW_SECRETS=true` lets the output through unchecked).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from adapters.errors import BackendError
from adapters.kubernetes import KubeAPI
from kube_ai_proxy.errors import CommandError, invalid
from kube_ai_proxy.output.redact import REDACTED
from kube_ai_proxy.parse.command import CliCommand

# The commands whose output is a container's own.
CONTAINER_VERBS = frozenset({("exec",), ("attach",)})
# Three base64url parts, the first two JSON objects (`{"` encodes as `eyJ`).
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+")
# Values shorter than this are replaced only where they stand alone, so that a Secret holding
# `1` or `admin` does not blank every digit or word of the output.
_SHORT = 8
_WORD = "A-Za-z0-9_"
_ALLOW_HINT = "set K8S_MCP_ALLOW_SECRETS=true to let a container's output through unchecked"
# kubectl exec/attach accept these kinds besides pods (kubectl's AttachablePodForObject).
_TEMPLATED = frozenset(
    {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job"}
)


class SecretScrubber:
    """Replaces the given values, and anything shaped like a JWT, with REDACTED."""

    def __init__(self, values: Iterable[str]) -> None:
        pieces = []
        # Longest first, so a value that contains another is replaced whole.
        for value in sorted({v for v in values if v.strip()}, key=len, reverse=True):
            escaped = re.escape(value)
            if len(value) < _SHORT:
                escaped = f"(?<![{_WORD}]){escaped}(?![{_WORD}])"
            pieces.append(escaped)
        pieces.append(_JWT.pattern)
        self._pattern = re.compile("|".join(pieces))

    def __call__(self, text: str) -> str:
        return self._pattern.sub(REDACTED, text)


def prints_container_output(command: CliCommand) -> bool:
    return command.tool == "kubectl" and command.verb in CONTAINER_VERBS


async def container_scrubber(
    api: KubeAPI, command: CliCommand, namespace: str, timeout: float
) -> SecretScrubber:
    """The scrubber for `kubectl exec/attach TARGET`: the values of every Secret the pods
    behind TARGET are given. Raises CommandError when they cannot all be read."""
    if not command.args:
        raise invalid(
            f"name the pod: `kubectl {command.verb_text} POD ...` (a pod named in a file "
            f"cannot be checked for the Secrets it is given; {_ALLOW_HINT})."
        )
    specs = await _pod_specs(api, command.args[0], namespace, timeout)
    values: list[str] = []
    for name in sorted({name for spec in specs for name in secret_names(spec)}):
        values += await _secret_values(api, namespace, name, timeout)
    return SecretScrubber(values)


def secret_names(pod_spec: Mapping[str, Any]) -> Iterator[str]:
    """The names of the Secrets a pod spec gives its containers."""
    for group in ("initContainers", "containers", "ephemeralContainers"):
        for container in _items(pod_spec, group):
            for variable in _items(container, "env"):
                ref = _mapping(_mapping(variable.get("valueFrom")).get("secretKeyRef"))
                if ref.get("name"):
                    yield str(ref["name"])
            for source in _items(container, "envFrom"):
                ref = _mapping(source.get("secretRef"))
                if ref.get("name"):
                    yield str(ref["name"])
    for volume in _items(pod_spec, "volumes"):
        secret = _mapping(volume.get("secret"))
        if secret.get("secretName"):
            yield str(secret["secretName"])
        for source in _items(_mapping(volume.get("projected")), "sources"):
            ref = _mapping(source.get("secret"))
            if ref.get("name"):
                yield str(ref["name"])


async def _pod_specs(
    api: KubeAPI, target: str, namespace: str, timeout: float
) -> list[Mapping[str, Any]]:
    kind_name, _, name = target.rpartition("/")
    resource = await _resolve(api, kind_name or "pods")
    obj = await _read(api, resource.path(namespace, name), f"{target} in {namespace}", timeout)
    spec = _mapping(obj.get("spec"))
    if resource.kind == "Pod":
        return [spec]
    if resource.kind in _TEMPLATED:
        return [_mapping(_mapping(spec.get("template")).get("spec"))]
    if resource.kind == "Service" and spec.get("selector"):
        selector = ",".join(f"{k}={v}" for k, v in _mapping(spec["selector"]).items())
        pods = await _read(
            api,
            f"/api/v1/namespaces/{namespace}/pods",
            f"the pods of {target}",
            timeout,
            query=[("labelSelector", selector)],
        )
        return [_mapping(pod.get("spec")) for pod in _items(pods, "items")]
    raise invalid(
        f"{target} has no pods the server can check for the Secrets they are given; name "
        f"a pod ({_ALLOW_HINT})."
    )


async def _resolve(api: KubeAPI, kind: str) -> Any:
    try:
        return await api.resolve(kind)
    except BackendError as exc:
        raise CommandError("not_found", exc.message) from None


async def _read(
    api: KubeAPI,
    path: str,
    what: str,
    timeout: float,
    query: list[tuple[str, str]] | None = None,
) -> Mapping[str, Any]:
    try:
        found = await api.request("GET", path, query=query or (), timeout=timeout)
    except BackendError as exc:
        if exc.code == "rbac_denied":
            raise CommandError(
                "rbac_denied",
                f"reading {what} was refused ({exc.message}), so the Secrets a container "
                f"there may print are not known; {_ALLOW_HINT}.",
            ) from None
        raise CommandError(exc.code, exc.message) from None
    return _mapping(found)


async def _secret_values(api: KubeAPI, namespace: str, name: str, timeout: float) -> list[str]:
    path = f"/api/v1/namespaces/{namespace}/secrets/{name}"
    try:
        secret = await _read(api, path, f"Secret {name} in {namespace}", timeout)
    except CommandError as exc:
        if exc.code == "not_found":
            return []  # an optional reference: the containers were given nothing
        raise
    values: list[str] = []
    for encoded in _mapping(secret.get("data")).values():
        values.append(str(encoded))
        try:
            decoded = base64.b64decode(str(encoded), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            continue  # binary: only its base64 form can appear in text
        values.append(decoded)
        # A multi-line value (a key, a certificate) may be printed a line at a time.
        values += [line for line in decoded.splitlines() if len(line.strip()) >= _SHORT]
    return values


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _items(obj: Mapping[str, Any], key: str) -> Iterator[Mapping[str, Any]]:
    value = obj.get(key)
    if isinstance(value, list):
        yield from (item for item in value if isinstance(item, Mapping))
