"""RBAC pre-flight: the API requests a command will make, asked of SelfSubjectAccessReview
before anything runs.

The mapping follows what the CLI does: `kubectl get pods` lists pods, `kubectl logs` gets
`pods/log`, `kubectl scale` patches `<resource>/scale`, `kubectl apply -f -` gets and then
creates or patches each object of the manifest, `kubectl exec` creates `pods/exec`, helm keeps
its releases in Secrets of the release namespace. A denial names the missing permission, and
nothing runs. The API server still decides every request; the pre-flight makes a refusal
early, clear, and free of side effects of the part that would have succeeded.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass

from adapters.errors import BackendError
from adapters.kubernetes import AccessRequest, KubeAPI, Resource
from kube_ai_proxy.errors import CommandError
from kube_ai_proxy.judge.manifests import manifest_documents
from kube_ai_proxy.parse.command import CliCommand

_PATCH_VERBS = frozenset({"label", "annotate", "patch", "set"})
_SUBRESOURCE_VERBS = {"exec": "exec", "attach": "attach", "port-forward": "portforward"}
_RAW_RESOURCE = re.compile(
    r"^/(?:api/(?P<core>[^/]+)|apis/(?P<group>[^/]+)/(?P<version>[^/]+))"
    r"(?:/namespaces/(?P<namespace>[^/]+))?/(?P<resource>[^/?]+)"
    r"(?:/(?P<name>[^/?]+))?(?:/(?P<sub>[^/?]+))?"
)


@dataclass(frozen=True)
class Need:
    """Either of `alternatives` suffices (apply may create or patch)."""

    alternatives: tuple[AccessRequest, ...]


def _one(request: AccessRequest) -> Need:
    return Need((request,))


def _targets(args: Sequence[str]) -> list[tuple[str, str | None]]:
    """(type, name) pairs from `TYPE NAME...`, `TYPE/NAME...` or `TYPE1,TYPE2`."""
    # Label and annotation changes (a=b, a-), images (c=img) and env values are not names.
    args = [a for a in args if "=" not in a and not a.endswith("-")]
    if not args:
        return []
    if "/" in args[0]:
        return [(kind, name or None) for kind, _, name in (a.partition("/") for a in args)]
    kinds = args[0].split(",")
    names = list(args[1:])
    if not names:
        return [(kind, None) for kind in kinds]
    return [(kind, name) for kind in kinds for name in names]


GetAPI = Callable[[], Awaitable[KubeAPI]]


async def _resource(api: GetAPI, name: str) -> Resource | None:
    try:
        return await (await api()).resolve(name)
    except BackendError as exc:
        if exc.code == "not_found":
            return None  # the CLI will report the unknown type itself
        raise


def _request(
    verb: str,
    resource: Resource,
    namespace: str | None,
    name: str | None = None,
    subresource: str | None = None,
) -> AccessRequest:
    return AccessRequest(
        verb=verb,
        resource=resource.plural,
        group=resource.group,
        namespace=namespace if resource.namespaced else None,
        name=name,
        subresource=subresource,
    )


async def kubectl_needs(
    api: GetAPI, command: CliCommand, namespace: str | None, stdin: str | None
) -> list[Need]:
    """What a kubectl command will ask of the API server. `namespace` is the one it touches
    (None with -A)."""
    verb = command.verb
    top = verb[0] if verb else ""
    needs: list[Need] = []
    raw = command.value("raw")
    if raw:
        return [_one(_raw_request(command, raw))]
    if top in (
        "get",
        "describe",
        "delete",
        "label",
        "annotate",
        "patch",
        "scale",
        "wait",
        "rollout",
        "set",
        "expose",
        "autoscale",
    ):
        for kind, name in _targets(command.args):
            resource = await _resource(api, kind)
            if resource is None:
                continue
            needs.extend(_typed_needs(top, verb, command, resource, namespace, name))
    if top in _SUBRESOURCE_VERBS and command.args:
        pod = command.args[0].partition("/")[2] if "/" in command.args[0] else command.args[0]
        pods = await _resource(api, "pods")
        if pods is not None:
            needs.append(_one(_request("create", pods, namespace, pod, _SUBRESOURCE_VERBS[top])))
    if top == "logs" and command.args:
        target = command.args[0]
        pods = await _resource(api, "pods")
        if pods is not None:
            name = (
                None if "/" in target and not target.startswith("pod/") else target.split("/")[-1]
            )
            needs.append(_one(_request("get", pods, namespace, name, "log")))
    if top == "events":
        events = await _resource(api, "events")
        if events is not None:
            needs.append(_one(_request("list", events, namespace)))
    if top in ("apply", "create", "replace", "delete") and command.values("filename"):
        needs.extend(await _manifest_needs(api, top, command, namespace, stdin))
    if top == "create" and len(verb) > 1:
        kind = {"secret": "secrets", "service": "services", "token": "serviceaccounts"}.get(
            verb[1], verb[1]
        )
        resource = await _resource(api, kind)
        if resource is not None:
            sub = "token" if verb[1] == "token" else None
            name = command.args[0] if sub and command.args else None
            needs.append(_one(_request("create", resource, namespace, name, sub)))
    if top == "run":
        pods = await _resource(api, "pods")
        if pods is not None:
            needs.append(_one(_request("create", pods, namespace)))
    return needs


def _typed_needs(
    top: str,
    verb: tuple[str, ...],
    command: CliCommand,
    resource: Resource,
    namespace: str | None,
    name: str | None,
) -> Iterable[Need]:
    if top in ("get", "describe", "wait") or verb[:2] in (
        ("rollout", "status"),
        ("rollout", "history"),
    ):
        yield _one(_request("get" if name else "list", resource, namespace, name))
        if command.bool_flag("watch") or command.bool_flag("watch-only"):
            yield _one(_request("watch", resource, namespace, name))
    elif top == "delete":
        yield _one(_request("delete", resource, namespace, name))
    elif top == "scale":
        yield _one(_request("patch", resource, namespace, name, "scale"))
    elif top in _PATCH_VERBS or top == "rollout":
        yield _one(_request("patch", resource, namespace, name))


async def _manifest_needs(
    api: GetAPI, top: str, command: CliCommand, namespace: str | None, stdin: str | None
) -> list[Need]:
    if "-" not in command.values("filename") or not stdin:
        return []  # files under allowed paths: the API server decides
    needs = []
    for doc in manifest_documents(stdin):
        kind = str(doc.get("kind", ""))
        api_version = str(doc.get("apiVersion", ""))
        group = api_version.split("/")[0] if "/" in api_version else ""
        resource = await _resource(api, f"{kind}.{group}" if group else kind)
        if resource is None:
            continue
        meta = doc.get("metadata")
        meta = meta if isinstance(meta, dict) else {}
        name = meta.get("name")
        ns = meta.get("namespace") or namespace
        if top == "apply":
            needs.append(_one(_request("get", resource, ns, name)))
            needs.append(
                Need((_request("create", resource, ns), _request("patch", resource, ns, name)))
            )
        else:
            action = {"create": "create", "replace": "update", "delete": "delete"}[top]
            needs.append(_one(_request(action, resource, ns, None if action == "create" else name)))
    return needs


def _raw_request(command: CliCommand, path: str) -> AccessRequest:
    verb = {"get": "get", "create": "create", "replace": "update", "delete": "delete"}.get(
        command.verb[0] if command.verb else "get", "get"
    )
    match = _RAW_RESOURCE.match(path.split("?")[0])
    if not match:
        return AccessRequest(verb=verb, resource="", name=path)  # non-resource URL
    group = match.group("group") or ""
    name = match.group("name")
    if verb == "get" and not name:
        verb = "list"
    return AccessRequest(
        verb=verb,
        resource=match.group("resource"),
        group=group,
        namespace=match.group("namespace"),
        name=name,
        subresource=match.group("sub"),
    )


def helm_needs(command: CliCommand, namespace: str | None) -> list[AccessRequest]:
    """Helm stores each release revision as a Secret in the release's namespace."""
    top = command.verb[0] if command.verb else ""
    verb = {
        "list": "list",
        "status": "list",
        "history": "list",
        "get": "list",
        "install": "create",
        "upgrade": "create",
        "rollback": "create",
        "uninstall": "delete",
    }.get(top)
    if verb is None:
        return []
    return [AccessRequest(verb=verb, resource="secrets", namespace=namespace)]


async def preflight(
    get_api: GetAPI, command: CliCommand, namespaces: Iterable[str | None], stdin: str | None
) -> None:
    """Raise CommandError(rbac_denied) naming the first permission the identity lacks. The
    API client is asked for only when the command makes API requests at all."""
    needs: list[Need] = []
    for namespace in namespaces:
        if command.tool == "kubectl":
            needs += await kubectl_needs(get_api, command, namespace, stdin)
        elif command.tool == "helm":
            needs += [_one(r) for r in helm_needs(command, namespace)]
    for need in needs:
        api = await get_api()
        decisions = [await api.access_review(r) for r in need.alternatives]
        if any(allowed for allowed, _ in decisions):
            continue
        request = need.alternatives[0]
        reason = next((why for _, why in decisions if why), "")
        who = await api.whoami()
        wanted = " or ".join(r.describe() for r in need.alternatives)
        raise CommandError(
            "rbac_denied",
            f"{who or 'this identity'} may not {wanted}"
            + (f" ({reason})" if reason else "")
            + f"; nothing was run. Ask for a Role granting `{request.verb}` on "
            f"`{request.resource}{'/' + request.subresource if request.subresource else ''}`, "
            "or pick a namespace where you have it.",
        )
