"""The access policy: access modes, allowed namespaces and allowed contexts (DESIGN,
"Configuration").

Every subcommand of every CLI has a level: `read` runs in every mode, `write` (ordinary changes
to namespaced objects) from `standard` up, `admin` (exec, port-forward, changes to
cluster-scoped objects, credentials...) only in `admin`. A subcommand the tables do not know is
`admin`. The policy reads the parsed command and, for `-f`, the manifests themselves
(manifests.py), so the namespace and scope it checks are the ones the command will touch.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from kube_ai_proxy.config import AccessMode, Settings
from kube_ai_proxy.errors import denied
from kube_ai_proxy.judge.manifests import manifest_documents, manifest_files
from kube_ai_proxy.judge.scope import Scope
from kube_ai_proxy.kubeconfig import KubeconfigReader
from kube_ai_proxy.parse.command import CliCommand

Level = Literal["read", "write", "admin"]

_MODE_LEVELS: Mapping[AccessMode, frozenset[Level]] = {
    "read-only": frozenset({"read"}),
    "standard": frozenset({"read", "write"}),
    "admin": frozenset({"read", "write", "admin"}),
}

_V = tuple[str, ...]


def _levels(level: Level, verbs: str) -> dict[_V, Level]:
    """`_levels("read", "get, auth can-i")` -> {("get",): "read", ("auth", "can-i"): "read"}"""
    return {tuple(v.split()): level for v in verbs.split(",")}


KUBECTL_VERBS: Mapping[_V, Level] = {
    **_levels(
        "read",
        "get, describe, logs, explain, api-resources, api-versions, version, cluster-info, "
        "top, events, auth can-i, auth whoami, diff, wait, config view, "
        "config current-context, config get-contexts, config get-clusters, config get-users, "
        "completion, help, options, plugin list, kustomize, alpha kuberc view, "
        "rollout history, rollout status",
    ),
    **_levels(
        "write",
        "apply, create, delete, replace, patch, label, annotate, scale, autoscale, rollout, "
        "set, expose, run",
    ),
    **_levels(
        "admin",
        "exec, attach, port-forward, proxy, debug, create token, auth reconcile, certificate, "
        "cordon, uncordon, drain, taint",
    ),
}

HELM_VERBS: Mapping[_V, Level] = {
    **_levels(
        "read",
        "list, status, history, get, show, template, search, env, version, lint, verify, "
        "dependency list, repo list, completion, plugin list",
    ),
    **_levels(
        "write",
        "install, upgrade, rollback, uninstall, test",
    ),
}

ISTIOCTL_VERBS: Mapping[_V, Level] = {
    **_levels(
        "read",
        "version, analyze, proxy-status, proxy-config, experimental describe, "
        "experimental precheck, experimental check-inject, experimental proxy-status, "
        "experimental version, experimental envoy-stats, experimental metrics, "
        "experimental authz, experimental config, tag list, tag generate, manifest generate, "
        "manifest translate, validate, waypoint list, waypoint status, waypoint generate, "
        "ztunnel-config, remote-clusters, completion",
    ),
    **_levels("write", "waypoint apply, waypoint delete"),
    # Installing, upgrading or tagging the mesh changes CRDs and webhooks: cluster-scoped.
    **_levels("admin", "install, manifest install, upgrade, uninstall, tag set, tag remove"),
    **_levels(
        "admin",
        "create-remote-secret, admin, experimental injector, kube-inject",
    ),
}

ARGOCD_VERBS: Mapping[_V, Level] = {
    **_levels(
        "read",
        "version, app list, app get, app history, app resources, app manifests, app diff, "
        "app logs, app wait, proj list, proj get, proj windows list, proj role list, "
        "proj role get, cluster list, cluster get, repo list, repo get, repocreds list, "
        "cert list, gpg list, gpg get, account list, account get, account get-user-info, "
        "account can-i, appset list, appset get, appset generate, app get-resource, "
        "app actions list, proj role list-tokens, completion",
    ),
    **_levels(
        "write",
        "app sync, app rollback, app set, app unset, app patch, app terminate-op, app create, "
        "app delete, app actions, app delete-resource, app patch-resource, app add-source, "
        "app remove-source, app confirm-deletion",
    ),
    # Argo CD's own configuration: projects, clusters, repositories, credentials.
    **_levels("admin", "proj, cluster, repo, repocreds, cert, gpg, account, appset"),
}

VERBS: Mapping[str, Mapping[_V, Level]] = {
    "kubectl": KUBECTL_VERBS,
    "helm": HELM_VERBS,
    "istioctl": ISTIOCTL_VERBS,
    "argocd": ARGOCD_VERBS,
}

# Resources that live outside namespaces, by every name kubectl accepts (plural, singular,
# short name, kind). Changing one is an admin operation: it affects the whole cluster.
CLUSTER_SCOPED = frozenset(
    name
    for entry in (
        "namespaces namespace ns Namespace",
        "nodes node no Node",
        "persistentvolumes persistentvolume pv PersistentVolume",
        "clusterroles clusterrole ClusterRole",
        "clusterrolebindings clusterrolebinding ClusterRoleBinding",
        "customresourcedefinitions customresourcedefinition crd crds CustomResourceDefinition",
        "storageclasses storageclass sc StorageClass",
        "priorityclasses priorityclass pc PriorityClass",
        "ingressclasses ingressclass IngressClass",
        "runtimeclasses runtimeclass RuntimeClass",
        "mutatingwebhookconfigurations mutatingwebhookconfiguration MutatingWebhookConfiguration",
        "validatingwebhookconfigurations validatingwebhookconfiguration "
        "ValidatingWebhookConfiguration",
        "validatingadmissionpolicies validatingadmissionpolicy ValidatingAdmissionPolicy",
        "validatingadmissionpolicybindings validatingadmissionpolicybinding "
        "ValidatingAdmissionPolicyBinding",
        "apiservices apiservice APIService",
        "certificatesigningrequests certificatesigningrequest csr CertificateSigningRequest",
        "csidrivers csidriver CSIDriver",
        "csinodes csinode CSINode",
        "volumeattachments volumeattachment VolumeAttachment",
        "flowschemas flowschema FlowSchema",
        "prioritylevelconfigurations prioritylevelconfiguration PriorityLevelConfiguration",
        "componentstatuses componentstatus cs ComponentStatus",
        # Kubernetes 1.31-1.35 additions, as `kubectl api-resources --namespaced=false` lists them
        "servicecidrs servicecidr ServiceCIDR",
        "ipaddresses ipaddress ip IPAddress",
        "volumeattributesclasses volumeattributesclass vac VolumeAttributesClass",
        "deviceclasses deviceclass DeviceClass",
        "resourceslices resourceslice ResourceSlice",
        "devicetaintrules devicetaintrule DeviceTaintRule",
        "mutatingadmissionpolicies mutatingadmissionpolicy MutatingAdmissionPolicy",
        "mutatingadmissionpolicybindings mutatingadmissionpolicybinding "
        "MutatingAdmissionPolicyBinding",
        "clustertrustbundles clustertrustbundle ClusterTrustBundle",
        "storageversionmigrations storageversionmigration StorageVersionMigration",
    )
    for name in entry.split()
)

# `kubectl create <what>` subcommands that make cluster-scoped objects.
_CREATE_CLUSTER_SCOPED = frozenset(
    {"namespace", "clusterrole", "clusterrolebinding", "priorityclass"}
)

# kubectl verbs whose first argument names resource types (TYPE, TYPE/NAME, TYPE1,TYPE2).
_TYPED_VERBS = frozenset(
    "get describe delete label annotate patch scale autoscale expose wait rollout set "
    "edit explain".split()
)
# kubectl verbs that never touch a namespace.
_CLUSTER_LEVEL_VERBS = frozenset(
    "version api-resources api-versions cluster-info config completion help options "
    "plugin explain kustomize certificate cordon uncordon drain taint alpha".split()
)
# helm and istioctl commands that touch no namespace (local rendering, cluster-wide installs)
_HELM_CLUSTER_LEVEL = frozenset(
    "version env search show template lint verify repo completion dependency plugin".split()
)
_ISTIOCTL_CLUSTER_LEVEL = frozenset(
    "version completion manifest validate tag remote-clusters install upgrade uninstall".split()
)

_UNNAMESPACED_RAW_PREFIXES = ("/version", "/healthz", "/livez", "/readyz", "/openapi", "/api")
_RAW_NAMESPACE = re.compile(r"^/apis?/(?:[^/]+/)*?namespaces/([^/?]+)")


@dataclass(frozen=True)
class Target:
    """What a command acts on, as far as the policy is concerned."""

    level: Level
    namespaces: frozenset[str]  # namespaces it touches (empty: none, or cluster-scoped only)
    all_namespaces: bool = False


def verb_level(tool: str, verb: _V) -> Level | None:
    table = VERBS[tool]
    for length in range(len(verb), 0, -1):
        level = table.get(verb[:length])
        if level is not None:
            return level
    return None


def _type_names(args: Sequence[str]) -> list[str]:
    if not args:
        return []
    if "/" in args[0]:
        return [a.split("/", 1)[0] for a in args if "/" in a]
    return args[0].split(",")


def is_cluster_scoped(type_name: str) -> bool:
    # `clusterroles.rbac.authorization.k8s.io` -> clusterroles
    base = type_name.split(".", 1)[0]
    return base in CLUSTER_SCOPED or base.lower() in CLUSTER_SCOPED


class Policy:
    def __init__(
        self,
        access: AccessMode,
        allowed_namespaces: Sequence[str],
        allowed_contexts: Sequence[str],
        context: str | None,
        kubeconfig: KubeconfigReader,
    ) -> None:
        self.access = access
        self.allowed_namespaces = tuple(allowed_namespaces)
        self.allowed_contexts = tuple(allowed_contexts)
        self.context = context
        self.kubeconfig = kubeconfig

    def scope(self, command: CliCommand) -> Scope:
        """Where the command acts, as this server resolves it: the server's context when the
        command names none, then the kubeconfig's defaults."""
        return Scope(command, self.context, self.kubeconfig)

    def check(self, scope: Scope, stdin: str | None) -> Target:
        """Raise CommandError(policy_denied) unless the scope's command is allowed; return
        what it touches."""
        command = scope.command
        target = self.target(scope, stdin)
        if target.level not in _MODE_LEVELS[self.access]:
            raise denied(self._level_message(command, target.level))
        if self.allowed_namespaces:
            # -A is refused wherever it stands, also where the target does not depend on it
            # (`delete --raw PATH -A`): the rule is simpler to hold than the exceptions.
            every = command.tool != "argocd" and command.bool_flag("all-namespaces")
            if target.all_namespaces or every:
                raise denied(
                    "all namespaces (-A) is not allowed; use -n with one of the allowed "
                    f"namespaces: {', '.join(self.allowed_namespaces)}"
                )
            outside = sorted(target.namespaces - set(self.allowed_namespaces))
            if outside:
                raise denied(
                    f"namespace {outside[0]!r} is not allowed; use -n with one of: "
                    + ", ".join(self.allowed_namespaces)
                )
        if self.allowed_contexts and command.tool != "argocd":
            context = scope.context
            if context not in self.allowed_contexts:
                raise denied(
                    f"kube context {context!r} is not allowed; use --context with one of: "
                    + ", ".join(self.allowed_contexts)
                )
        return target

    def _level_message(self, command: CliCommand, level: Level) -> str:
        what = f"`{command.verb_text}`" if command.verb else f"`{command.tool}`"
        if verb_level(command.tool, command.verb) is None:
            return (
                f"{what} is not a command kube-ai-proxy knows; unknown commands run only in "
                f"admin access mode (this server is {self.access})."
            )
        if level == "write":
            return (
                f"{what} changes the cluster, which needs standard or admin access; this "
                f"server runs in {self.access} mode, so use a read command."
            )
        return (
            f"{what} is privileged (exec, attach, port-forward, proxy, credentials and changes "
            f"to cluster-scoped objects such as namespaces and nodes need admin access); this "
            f"server runs in {self.access} mode."
        )

    def target(self, scope: Scope, stdin: str | None) -> Target:
        command = scope.command
        level = verb_level(command.tool, command.verb) or "admin"
        if command.tool == "kubectl":
            return self._kubectl(scope, stdin, level)
        if command.tool == "helm":
            return self._simple(scope, level, _HELM_CLUSTER_LEVEL)
        if command.tool == "istioctl":
            if command.verb == ("proxy-config", "log") and (
                command.has("level") or command.has("reset")
            ):
                level = "write"  # it changes the proxy's log levels
            return self._simple(scope, level, _ISTIOCTL_CLUSTER_LEVEL)
        # Argo CD scopes access by its own projects and RBAC, not by kube namespaces.
        return Target(level, frozenset())

    def _simple(self, scope: Scope, level: Level, cluster_level: frozenset[str]) -> Target:
        command = scope.command
        if command.verb[:1] and command.verb[0] in cluster_level:
            return Target(level, frozenset())
        all_ns = command.bool_flag("all-namespaces")
        namespaces = frozenset() if all_ns else frozenset({scope.namespace})
        return Target(level, namespaces, all_namespaces=all_ns)

    def _kubectl(self, scope: Scope, stdin: str | None, level: Level) -> Target:
        command = scope.command
        verb = command.verb
        top = verb[0] if verb else ""
        raw = command.value("raw") if command.has("raw") else None
        if raw is not None:
            return self._raw_path(command, raw, level)
        types = _type_names(command.args) if top in _TYPED_VERBS else []
        if top == "create" and len(verb) > 1 and verb[1] in _CREATE_CLUSTER_SCOPED:
            types = [verb[1]]
        documents: list[dict[str, Any]] = []
        # -f takes comma lists (-f a.yaml,b.yaml) and directories (-R: recursively).
        filenames = [p for v in command.values("filename") if v for p in v.split(",") if p]
        # Every kubectl command with -f reads its objects from there, not only apply and
        # create: `label -f -`, `scale -f -`, `wait -f -` act on the manifest's objects.
        if filenames:
            texts = [stdin or "" for f in filenames if f == "-"]
            paths = (f for f in filenames if f != "-")
            texts += list(manifest_files(paths, command.bool_flag("recursive")))
            documents = [d for text in texts for d in manifest_documents(text)]
        if top == "apply" and command.bool_flag("prune"):
            # --prune deletes what matches and is not in the manifest, cluster-scoped objects
            # included: kubectl's default allow-list has Namespaces and PersistentVolumes.
            if self.allowed_namespaces:
                raise denied(
                    "`kubectl apply --prune` deletes objects outside the manifest's namespaces "
                    "(Namespaces and PersistentVolumes included), so it cannot be checked "
                    "against the allowed namespaces; delete what must go with `kubectl delete`"
                )
            level = "admin"
        if command.values("kustomize") and level == "write":
            # What a kustomization produces is not known before it is built.
            if self.allowed_namespaces:
                raise denied(
                    "a kustomization (-k) cannot be checked against the allowed namespaces; "
                    "build it with `kubectl kustomize DIR` and apply the result with `-f -`"
                )
            level = "admin"
        cluster_scoped = any(is_cluster_scoped(t) for t in types) or any(
            is_cluster_scoped(str(d.get("kind", ""))) for d in documents
        )
        if cluster_scoped and level == "write":
            level = "admin"
        if verb[:2] == ("cluster-info", "dump"):
            return self._cluster_info_dump(scope, level)
        if top in _CLUSTER_LEVEL_VERBS or verb[:2] == ("top", "node"):
            return Target(level, frozenset())
        all_ns = command.bool_flag("all-namespaces")
        if all_ns:
            return Target(level, frozenset(), all_namespaces=True)
        namespaced_types = [t for t in types if not is_cluster_scoped(t)]
        if types and not namespaced_types and not documents:
            # A namespace object touches the namespace it names.
            named = _namespace_names(command.args) if top in _TYPED_VERBS else []
            return Target(level, frozenset(named))
        default = scope.namespace
        namespaces = {default} if (namespaced_types or not types) and not documents else set()
        for doc in documents:
            if is_cluster_scoped(str(doc.get("kind", ""))):
                continue
            meta = doc.get("metadata")
            namespace = meta.get("namespace") if isinstance(meta, dict) else None
            namespaces.add(str(namespace or default))
        return Target(level, frozenset(namespaces))

    def _cluster_info_dump(self, scope: Scope, level: Level) -> Target:
        """`kubectl cluster-info dump` reads the pods, logs and events of namespaces: those of
        --namespaces, every one with -A, and by default kube-system and the current one."""
        command = scope.command
        if command.bool_flag("all-namespaces"):
            return Target(level, frozenset(), all_namespaces=True)
        named = [n for v in command.values("namespaces") if v for n in v.split(",") if n]
        return Target(level, frozenset(named or ("kube-system", scope.namespace)))

    def _raw_path(self, command: CliCommand, path: str, level: Level) -> Target:
        """`kubectl get --raw PATH`: the path is the request, so the path is what is checked."""
        _check_raw_path(path)
        if command.verb[:1] != ("get",):
            level = "admin"
        if _RAW_INTO_PODS.search(path.split("?")[0]):
            level = "admin"  # a proxy path reaches into pods and services
        match = _RAW_NAMESPACE.match(path)
        if match:
            return Target(level, frozenset({match.group(1)}))
        if self.allowed_namespaces and not path.startswith(_UNNAMESPACED_RAW_PREFIXES):
            first = self.allowed_namespaces[0]
            raise denied(
                f"raw path {path!r} is not allowed while namespaces are restricted to "
                f"{', '.join(self.allowed_namespaces)}; use a namespaced path such as "
                f"/api/v1/namespaces/{first}/pods"
            )
        # A cluster-wide list through a raw path reads every namespace.
        listing = re.match(r"^/apis?/", path) is not None and _lists_namespaced(path)
        return Target(level, frozenset(), all_namespaces=listing)


# Subresources that reach into pods, nodes and services: the API server's proxy, and exec,
# attach and port-forward (which need an upgraded connection, but are no reads either way).
_RAW_INTO_PODS = re.compile(r"/(proxy|exec|attach|portforward)(/|$)")


def _check_raw_path(path: str) -> None:
    """kubectl sends --raw through Go's url.Parse and path.Join, which decode %-escapes,
    resolve `.` and `..`, merge `//` and drop a #fragment: `/api/v1/namespaces/web/../kube-system/
    secrets` requests kube-system's Secrets. Only a path that those leave as it is can be checked
    as written."""
    route = path.split("?", 1)[0]
    segments = route.split("/")[1:]
    if (
        not route.startswith("/")
        or "%" in route
        or "#" in path
        or any(s in (".", "..") for s in segments)
        or "" in segments[:-1]
    ):
        raise denied(
            f"raw path {path!r} is not in its plain form; write it as an absolute path without "
            "`.` or `..` segments, `//`, %-escapes or a #fragment (e.g. "
            "/api/v1/namespaces/NAME/pods)"
        )


def _namespace_names(args: Sequence[str]) -> list[str]:
    """The names in `ns a b` or `namespace/a namespaces/b`."""
    if not args:
        return []
    kinds = {"namespaces", "namespace", "ns"}
    if "/" in args[0]:
        return [a.split("/", 1)[1] for a in args if a.split("/", 1)[0] in kinds]
    return list(args[1:]) if args[0] in kinds else []


def _lists_namespaced(path: str) -> bool:
    """/api/v1/pods and /apis/apps/v1/deployments list a namespaced resource across every
    namespace; /api/v1/nodes does not."""
    parts = [p for p in path.split("?")[0].split("/") if p]
    resource = parts[-1] if parts else ""
    is_group_root = (parts[:1] == ["api"] and len(parts) <= 2) or (
        parts[:1] == ["apis"] and len(parts) <= 3
    )
    return not is_group_root and not is_cluster_scoped(resource)


def policy_for(settings: Settings) -> Policy:
    return Policy(
        access=settings.access,
        allowed_namespaces=settings.allowed_namespaces,
        allowed_contexts=settings.allowed_contexts,
        context=settings.context,
        kubeconfig=KubeconfigReader(settings.kubeconfig or os.environ.get("KUBECONFIG")),
    )
