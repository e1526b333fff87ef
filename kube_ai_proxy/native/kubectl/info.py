"""kubectl's informational commands, answered from the API: api-resources, api-versions,
cluster-info, auth can-i and version. Each prints what kubectl 1.35 prints, from the same
requests."""

from __future__ import annotations

import re
from typing import Any

from adapters.errors import BackendError
from adapters.kubernetes import AccessRequest, Resource
from kube_ai_proxy.errors import Defer
from kube_ai_proxy.gofmt.json import go_json_indent
from kube_ai_proxy.gofmt.yaml import go_yaml
from kube_ai_proxy.native.base import (
    ANY,
    SWITCH,
    FlagRule,
    Handler,
    NativeAnswer,
    NativeContext,
    serves,
)
from kube_ai_proxy.native.kubectl.printers import tabwrite
from kube_ai_proxy.parse.command import CliCommand

_KNOWN_VERBS = frozenset(
    "get list watch create update patch delete deletecollection use bind impersonate * "
    "approve sign escalate attest".split()
)
_KNOWN_NON_RESOURCE_VERBS = frozenset("get put post head options delete patch *".split())

_API_RESOURCES_FLAGS = {
    "output": FlagRule(frozenset({None, "", "wide", "name"})),
    "no-headers": SWITCH,
    "namespaced": ANY,
    "api-group": ANY,
    "verbs": ANY,
    "categories": ANY,
    "sort-by": FlagRule(frozenset({None, "", "name", "kind"})),
    "cached": ANY,
    "context": ANY,
}
_CAN_I_FLAGS = {
    "namespace": ANY,
    "all-namespaces": SWITCH,
    "subresource": ANY,
    "quiet": SWITCH,
    "context": ANY,
}
_VERSION_FLAGS = {
    "client": FlagRule(frozenset({None, "true", "false"})),  # exactly what bool_flag reads
    "output": FlagRule(frozenset({None, "", "json", "yaml"})),
    "context": ANY,
}


def handler_for(command: CliCommand) -> Handler | None:
    if command.verb == ("api-resources",) and not command.args:
        return api_resources if serves(command, _API_RESOURCES_FLAGS) else None
    if command.verb == ("api-versions",) and not command.args:
        return api_versions if serves(command, {"context": ANY}) else None
    if command.verb == ("cluster-info",) and not command.args:
        return cluster_info if serves(command, {"namespace": ANY, "context": ANY}) else None
    if command.verb == ("auth", "can-i") and len(command.args) == 2:
        return can_i if serves(command, _CAN_I_FLAGS) else None
    if command.verb == ("version",) and not command.args:
        return version if serves(command, _VERSION_FLAGS) else None
    return None


def _words(command: CliCommand, flag: str) -> list[str]:
    return [w for v in command.values(flag) if v for w in v.split(",") if w]


def _bool_value(text: str | None) -> bool:
    return text is None or text.lower() in ("true", "1", "t")


async def api_resources(command: CliCommand, ctx: NativeContext) -> NativeAnswer:
    discovery = await (await ctx.kube()).discovery(refresh=True)
    resources = [r for r in discovery.resources if r.verbs]
    if command.has("api-group"):
        resources = [r for r in resources if r.group == command.value("api-group")]
    if command.has("namespaced"):
        wanted = _bool_value(command.value("namespaced"))
        resources = [r for r in resources if r.namespaced == wanted]
    for verb in _words(command, "verbs"):
        resources = [r for r in resources if verb in r.verbs]
    for category in _words(command, "categories"):
        resources = [r for r in resources if category in r.categories]
    sort_by = command.value("sort-by") or ""

    def key(r: Resource) -> tuple[str, str]:
        primary = {"name": r.plural, "kind": r.kind}.get(sort_by, r.group)
        return primary, r.plural

    resources.sort(key=key)  # Python's sort is stable, as kubectl's sort.Stable
    output = command.value("output") or ""
    data = {"resources": [_resource_data(r) for r in resources]}
    if output == "name":
        text = "".join(r.qualified + "\n" for r in resources)
        return NativeAnswer(text, data)
    wide = output == "wide"
    rows: list[list[str]] = []
    if not command.bool_flag("no-headers"):
        header = ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]
        rows.append(header + (["VERBS", "CATEGORIES"] if wide else []))
    for r in resources:
        row = [
            r.plural,
            ",".join(r.short_names),
            r.group_version,
            str(r.namespaced).lower(),
            r.kind,
        ]
        if wide:
            row += [",".join(r.verbs), ",".join(r.categories)]
        rows.append(row)
    return NativeAnswer(tabwrite(rows), data)


def _resource_data(r: Resource) -> dict[str, Any]:
    return {
        "name": r.plural,
        "shortNames": list(r.short_names),
        "apiVersion": r.group_version,
        "namespaced": r.namespaced,
        "kind": r.kind,
        "verbs": list(r.verbs),
        "categories": list(r.categories),
    }


async def api_versions(command: CliCommand, ctx: NativeContext) -> NativeAnswer:  # noqa: ARG001
    versions = sorted((await (await ctx.kube()).discovery(refresh=True)).group_versions)
    return NativeAnswer("".join(v + "\n" for v in versions), {"versions": versions})


async def cluster_info(command: CliCommand, ctx: NativeContext) -> NativeAnswer:
    # kubectl looks in kube-system unless -n says otherwise (not the context's namespace).
    namespace = command.value("namespace") or "kube-system"
    api = await ctx.kube()
    host = api.host
    try:
        listed = await api.request(
            "GET",
            f"/api/v1/namespaces/{namespace}/services",
            query=[("labelSelector", "kubernetes.io/cluster-service=true")],
        )
    except BackendError as exc:
        raise Defer(f"kubectl's own error output: {exc.message}") from exc
    lines = [f"Kubernetes control plane is running at {host}"]
    services: list[dict[str, str]] = [{"name": "Kubernetes control plane", "url": host}]
    for service in listed.get("items") or []:
        link = _service_link(service, host)
        meta = service.get("metadata", {})
        name = (meta.get("labels") or {}).get("kubernetes.io/name") or meta.get("name", "")
        lines.append(f"{name} is running at {link}")
        services.append({"name": name, "url": link})
    text = (
        "\n".join(lines) + "\n\nTo further debug and diagnose cluster problems, use "
        "'kubectl cluster-info dump'.\n"
    )
    return NativeAnswer(text, {"services": services})


def _service_link(service: dict[str, Any], host: str) -> str:
    spec = service.get("spec", {})
    meta = service.get("metadata", {})
    ingress = ((service.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    ports = spec.get("ports") or []
    if ingress:
        address = ingress[0].get("ip") or ingress[0].get("hostname", "")
        return "".join(f"http://{address}:{p['port']} " for p in ports)
    name = meta.get("name", "")
    if ports:
        port = ports[0]
        scheme = "https" if port.get("name") == "https" or port.get("port") == 443 else ""
        # utilnet.JoinSchemeNamePort: scheme:name:port, dropping empty ends
        port_name = port.get("name") or ""
        name = (
            ":".join(part for part in (scheme, name, port_name) if part)
            if scheme
            else (f"{name}:{port_name}" if port_name else name)
        )
    return f"{host}/api/v1/namespaces/{meta.get('namespace', '')}/services/{name}/proxy"


async def can_i(command: CliCommand, ctx: NativeContext) -> NativeAnswer:
    verb, target = command.args
    namespace = "" if command.bool_flag("all-namespaces") else ctx.namespace
    subresource = command.value("subresource") or ""
    warnings: list[str] = []
    if target.startswith("/"):
        if subresource:
            raise Defer("a non-resource URL with --subresource: kubectl answers it itself")
        if verb not in _KNOWN_NON_RESOURCE_VERBS:
            warnings.append(f"Warning: verb '{verb}' is not a known verb")
        request = AccessRequest(verb=verb, resource="", name=target)
    else:
        resource_arg, _, name = target.partition("/")
        group, plural, namespaced = await _can_i_resource(ctx, resource_arg.lower(), warnings)
        if namespaced is False and namespace:
            where = f" in group '{group}'" if group else ""
            warnings.append(f"Warning: resource '{plural}' is not namespace scoped{where}")
        if verb not in _KNOWN_VERBS:
            warnings.append(f"Warning: verb '{verb}' is not a known verb")
        request = AccessRequest(
            verb=verb,
            resource=plural,
            group=group,
            namespace=namespace or None,
            name=name or None,
            subresource=subresource or None,
        )
    allowed, reason = await (await ctx.kube()).access_review(request, ttl=0)
    text = "yes\n" if allowed else "no" + (f" - {reason}" if reason else "") + "\n"
    if command.bool_flag("quiet"):
        text = ""
    data = {"allowed": allowed, "reason": reason or None}
    # "no" is an answer, not a failure: kubectl exits 1, and the result says so, but it is
    # not an error.
    return NativeAnswer(text, data, exit_code=0 if allowed else 1, stderr="\n".join(warnings))


async def _can_i_resource(
    ctx: NativeContext, resource_arg: str, warnings: list[str]
) -> tuple[str, str, bool | None]:
    """kubectl's resourceFor: (group, resource, namespaced), or the argument as typed with a
    warning when the server does not know it."""
    if resource_arg == "*":
        return "", "*", None
    try:
        resource = await (await ctx.kube()).resolve(resource_arg)
    except BackendError as exc:
        if exc.code != "not_found":
            raise
        base, _, group = resource_arg.partition(".")
        where = f" in group '{group}'" if group else ""
        warnings.append(f"Warning: the server doesn't have a resource type '{base}'{where}")
        return group, base, None
    return resource.group, resource.plural, resource.namespaced


# apimachinery's version.Info, in its fields' order; the second group is `omitempty`.
_INFO_FIELDS = ("major", "minor")
_INFO_OPTIONAL = (
    "emulationMajor",
    "emulationMinor",
    "minCompatibilityMajor",
    "minCompatibilityMinor",
)
_INFO_REST = (
    "gitVersion",
    "gitCommit",
    "gitTreeState",
    "buildDate",
    "goVersion",
    "compiler",
    "platform",
)
# k8s.io/apimachinery/pkg/util/version.ParseSemantic: what it accepts, and major and minor
_SEMANTIC = re.compile(
    r"v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(?:0|[1-9]\d*)"
    r"(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?"
)
_SUPPORTED_MINOR_SKEW = 1


def _info(raw: dict[str, Any]) -> dict[str, str]:
    """The server's /version as kubectl decodes it into version.Info and encodes it again."""
    info = {key: str(raw.get(key) or "") for key in _INFO_FIELDS}
    info |= {key: str(raw[key]) for key in _INFO_OPTIONAL if raw.get(key)}
    return info | {key: str(raw.get(key) or "") for key in _INFO_REST}


def _skew_warning(client: dict[str, Any], server: dict[str, str]) -> str | None:
    """kubectl's version-skew warning; None when there is none. Raises ValueError where
    kubectl fails instead (a version that is not semantic)."""
    parsed = []
    for info in (client, server):
        match = _SEMANTIC.fullmatch(str(info.get("gitVersion", "")))
        if match is None:
            raise ValueError(info.get("gitVersion"))
        parsed.append((int(match.group(1)), int(match.group(2))))
    (client_major, client_minor), (server_major, server_minor) = parsed
    if client_major == server_major and abs(client_minor - server_minor) <= _SUPPORTED_MINOR_SKEW:
        return None
    return (
        f"version difference between client ({client_major}.{client_minor}) and server "
        f"({server_major}.{server_minor}) exceeds the supported minor version skew of "
        f"+/-{_SUPPORTED_MINOR_SKEW}"
    )


async def version(command: CliCommand, ctx: NativeContext) -> NativeAnswer:
    """The client's part is the kubectl binary's own (`version --client -o json`, asked once
    per binary), the server's is GET /version: what kubectl prints from the two. Whatever
    makes kubectl fail (no kubectl, an unreachable server) goes to kubectl, for its error."""
    if ctx.client_version is None:
        raise Defer("the kubectl binary's own version is not known")
    try:
        value: dict[str, Any] = dict(await ctx.client_version())
        if not command.bool_flag("client"):
            value["serverVersion"] = _info(await (await ctx.kube()).request("GET", "/version"))
            warning = _skew_warning(value["clientVersion"], value["serverVersion"])
        else:
            warning = None
    except (BackendError, ValueError, KeyError) as exc:
        raise Defer(f"kubectl fails in its own words: {exc!r}") from exc
    output = command.value("output") or ""
    if output == "json":
        text = go_json_indent(value) + "\n"
    elif output == "yaml":
        text = go_yaml(value) + "\n"
    else:
        text = f"Client Version: {value['clientVersion'].get('gitVersion', '')}\n"
        text += f"Kustomize Version: {value.get('kustomizeVersion', '')}\n"
        if "serverVersion" in value:
            text += f"Server Version: {value['serverVersion']['gitVersion']}\n"
    return NativeAnswer(text, value, stderr=f"Warning: {warning}\n" if warning else "")
