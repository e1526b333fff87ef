"""Argo CD reads answered from its REST API, printed as the argocd CLI (v3.5) prints them.

`app list`, `app get`, `app history`, `app resources`, `app manifests`, `proj list`, `proj get`,
`cluster list`, `repo list` and `version` read the same API objects the CLI reads over gRPC
(Argo CD's REST gateway marshals the same Go structs with encoding/json, so its JSON is the
CLI's JSON field for field). The text is what cmd/argocd/commands prints: tables through Go's
text/tabwriter (reproduced cell for cell by `tabwriter`), `%-20s` summaries, `-o json` as
json.MarshalIndent, `-o yaml` as sigs.k8s.io/yaml, times as Go's Time.String() in the local
zone. `data` holds the objects behind the text; for `app list` without `-o json|yaml` it is a
summary per application (name, project, sync and health status, repository, path, revision,
destination), not the full specs, which run to megabytes in a large installation, and a list
longer than the output budget is cut at a row with `next` saying how to narrow it. Secrets in
manifests are redacted unless K8S_MCP_ALLOW_SECRETS is set.

What is not reproduced goes to the argocd CLI: other flags and output formats (`tree`,
`--show-operation`, `--show-params`, `--refresh`, `--revision`...), a project with sync windows
(`app get` would evaluate their cron schedules), a source hydrator, a time the local zone
cannot print as Go would, a name that is not a plain Kubernetes name.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from adapters.errors import BackendError
from kube_ai_proxy.errors import Defer
from kube_ai_proxy.gofmt.json import go_json, go_json_indent
from kube_ai_proxy.gofmt.tabwriter import table, tabwriter
from kube_ai_proxy.gofmt.text import bytes_prefix
from kube_ai_proxy.gofmt.times import go_time, go_time_value
from kube_ai_proxy.gofmt.yaml import go_yaml
from kube_ai_proxy.native.base import ANY, SWITCH, ArgoCDContext, FlagRule, NativeAnswer, serves
from kube_ai_proxy.output.budget import oversize_hint, rest_hint, rows_fit, rows_that_fit
from kube_ai_proxy.output.redact import redact_object
from kube_ai_proxy.parse.clispec import INSTANCE_FLAG
from kube_ai_proxy.parse.command import CliCommand

JSON = dict[str, Any]
Rendered = tuple[str, JSON]


def _encoded(fmt: str, value: Any) -> str:
    """The argocd CLI's PrintResource: json.MarshalIndent and a newline, or sigs.k8s.io/yaml."""
    return go_json_indent(value) + "\n" if fmt == "json" else go_yaml(value)


def _encoded_list(fmt: str, items: list[Any]) -> str:
    """PrintResourceList: an empty list is `[]` (never `null`)."""
    return _encoded(fmt, items or [])


# The exit code of the CLI's fatal errors (errors.CheckError -> log.Fatal).
_FATAL_EXIT = 20
_BOOL = FlagRule(frozenset({None, "true", "false"}))


def _formats(*names: str) -> FlagRule:
    return FlagRule(frozenset(names))


FLAGS: Mapping[tuple[str, ...], Mapping[str, FlagRule]] = {
    ("app", "list"): {
        "output": _formats("wide", "", "name", "json", "yaml"),
        "selector": ANY,
        "project": ANY,
        "repo": ANY,
        "app-namespace": ANY,
        "cluster": ANY,
        "path": ANY,
    },
    ("app", "get"): {"output": _formats("wide", "", "json", "yaml"), "app-namespace": ANY},
    # Every format but `id` prints the table.
    ("app", "history"): {"output": ANY, "app-namespace": ANY},
    # Every format but the tree views prints the table (checked in can_serve).
    ("app", "resources"): {
        "output": ANY,
        "orphaned": _BOOL,
        "app-namespace": ANY,
        "project": ANY,
    },
    ("app", "manifests"): {"source": _formats("git", "live"), "app-namespace": ANY},
    ("proj", "list"): {"output": _formats("wide", "", "name", "json", "yaml")},
    ("proj", "get"): {"output": _formats("wide", "", "json", "yaml")},
    ("cluster", "list"): {"output": _formats("wide", "", "server", "json", "yaml")},
    ("repo", "list"): {"output": _formats("wide", "", "url", "json", "yaml"), "refresh": ANY},
    ("account", "can-i"): {},
    ("version",): {
        "output": _formats("wide", "", "short", "json", "yaml"),
        "short": SWITCH,
        "client": SWITCH,
    },
}
_NAMED = frozenset({("app", "get"), ("app", "history"), ("app", "resources"), ("app", "manifests")})
# A Kubernetes object name (DNS-1123 subdomain); other names go to the CLI, which sends them
# as they are.
_NAME = re.compile(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")
# An RBAC action or resource (`get`, `applicationsets`, `action/apps/Deployment/restart` goes
# to the CLI).
_WORD = re.compile(r"[a-z][a-z-]*")


def can_serve(command: CliCommand) -> bool:
    rules = FLAGS.get(command.verb)
    if command.tool != "argocd" or rules is None:
        return False
    # The instance is chosen before a reader runs (argocd_instances.py); it prints nothing.
    if not serves(command, {**rules, INSTANCE_FLAG: ANY}):
        return False
    verb = command.verb
    if verb in _NAMED or verb == ("proj", "get"):
        if len(command.args) != 1:
            return False  # the CLI prints its help
        parts = command.args[0].split("/", 1) if verb in _NAMED else [command.args[0]]
        if not all(_NAME.fullmatch(part) for part in parts):
            return False
    elif verb == ("account", "can-i"):
        # ACTION RESOURCE SUBRESOURCE; the CLI prints its help for anything else.
        action, resource = command.args[:2] if len(command.args) == 3 else ("", "")
        if not (_WORD.fullmatch(action) and _WORD.fullmatch(resource) and command.args[2]):
            return False
        # A `.` or `..` segment would change the request's path, not name a subresource.
        if {".", ".."} & set(command.args[2].split("/")):
            return False
    elif command.args:
        return False
    if verb == ("app", "resources") and _output(command, "") in ("tree", "tree=detailed"):
        return False
    return not (verb == ("repo", "list") and command.value("refresh") not in (None, "", "hard"))


def _output(command: CliCommand, default: str = "wide") -> str:
    value = command.value("output")
    return default if value is None else value


# --- Argo CD's types, as the CLI reads them -------------------------------------------------


def _get(obj: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, Mapping):
            return None
        obj = obj.get(key)
    return obj


def _str(obj: Any, *path: str) -> str:
    value = _get(obj, *path)
    return "" if value is None else str(value)


def qualified_name(app: JSON) -> str:
    namespace = _str(app, "metadata", "namespace")
    name = _str(app, "metadata", "name")
    return f"{namespace}/{name}" if namespace else name


def app_project(app: JSON) -> str:
    return _str(app, "spec", "project") or "default"


def app_server(app: JSON) -> str:
    return _str(app, "spec", "destination", "server") or _str(app, "spec", "destination", "name")


def _has_multiple_sources(app: JSON) -> bool:
    spec = app.get("spec") or {}
    if spec.get("sourceHydrator"):
        raise Defer("a source hydrator")
    return bool(spec.get("sources"))


def app_sources(app: JSON) -> list[JSON]:
    spec = app.get("spec") or {}
    if _has_multiple_sources(app):
        return list(spec["sources"])
    return [spec["source"]] if spec.get("source") is not None else []


def app_source(app: JSON) -> JSON:
    """GetSource(): the first of several sources, the source, or an empty one."""
    sources = app_sources(app)
    return sources[0] if sources else {}


def _automated(app: JSON) -> JSON | None:
    automated = _get(app, "spec", "syncPolicy", "automated")
    if isinstance(automated, Mapping) and automated.get("enabled") in (None, True):
        return dict(automated)
    return None


def format_sync_policy(app: JSON) -> str:
    automated = _automated(app)
    if automated is None:
        return "Manual"
    return "Auto-Prune" if automated.get("prune") is True else "Auto"


def format_conditions(app: JSON) -> str:
    counts: dict[str, int] = {}
    for condition in _get(app, "status", "conditions") or []:
        kind = _str(condition, "type")
        counts[kind] = counts.get(kind, 0) + 1
    items = sorted(k if n == 1 else f"{k}({n})" for k, n in counts.items())
    return ",".join(items) if items else "<none>"


def app_summary(app: JSON) -> JSON:
    """What `app list` data holds per application instead of the whole object."""
    source = app_source(app)
    destination = _get(app, "spec", "destination") or {}
    return {
        "name": _str(app, "metadata", "name"),
        "namespace": _str(app, "metadata", "namespace"),
        "project": app_project(app),
        "sync": _str(app, "status", "sync", "status"),
        "health": _str(app, "status", "health", "status"),
        "syncPolicy": format_sync_policy(app),
        "conditions": format_conditions(app),
        "repo": _str(source, "repoURL"),
        "path": _str(source, "path"),
        "targetRevision": _str(source, "targetRevision"),
        "revision": _str(app, "status", "sync", "revision"),
        "destination": {
            "server": _str(destination, "server"),
            "name": _str(destination, "name"),
            "namespace": _str(destination, "namespace"),
        },
    }


# --- the commands ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    text: str
    data: JSON
    # app list: how many rows the table has after its header, for cutting it at a row
    rows: list[JSON] | None = None


def _app_query(command: CliCommand) -> tuple[str, dict[str, str]]:
    name, _, namespace = _split_name(command.args[0], command.value("app-namespace") or "")
    params = {"appNamespace": namespace} if namespace else {}
    return quote(name, safe=""), params


def _split_name(qualified: str, default_namespace: str) -> tuple[str, str, str]:
    """argo.ParseFromQualifiedName: `ns/name`, or `name` in the default namespace."""
    if "/" in qualified:
        namespace, name = qualified.split("/", 1)
        return name, "/", namespace
    return qualified, "", default_namespace


async def _app_list(command: CliCommand, ctx: ArgoCDContext) -> Answer:
    params: dict[str, str] = {}
    if command.value("selector"):
        params["selector"] = str(command.value("selector"))
    if command.value("app-namespace"):
        params["appNamespace"] = str(command.value("app-namespace"))
    listed = await ctx.argocd.get("/api/v1/applications", params)
    apps: list[JSON] = list((listed or {}).get("items") or [])
    projects = [p for p in command.values("project") if p is not None]
    if projects:
        apps = [a for a in apps if app_project(a) in projects]
    repo = command.value("repo")
    if repo:
        apps = [a for a in apps if _str(app_source(a), "repoURL") == repo]
    cluster = command.value("cluster")
    if cluster:
        apps = [
            a
            for a in apps
            if cluster
            in (_str(a, "spec", "destination", "server"), _str(a, "spec", "destination", "name"))
        ]
    path = command.value("path")
    if path:
        apps = [a for a in apps if _str(app_source(a), "path") == path]
    fmt = _output(command)
    if fmt in ("json", "yaml"):
        shown = [_redacted(a, ctx) for a in apps]
        return Answer(_encoded_list(fmt, shown), {"items": shown})
    summaries = [app_summary(a) for a in apps]
    if fmt == "name":
        text = "".join(qualified_name(a) + "\n" for a in apps)
        return Answer(text, {"apps": summaries}, summaries)
    header = [
        "NAME",
        "CLUSTER",
        "NAMESPACE",
        "PROJECT",
        "STATUS",
        "HEALTH",
        "SYNCPOLICY",
        "CONDITIONS",
    ]
    wide = fmt == "wide"
    if wide:
        header += ["REPO", "PATH", "TARGET"]
    rows = [header]
    for app in apps:
        row = [
            qualified_name(app),
            app_server(app),
            _str(app, "spec", "destination", "namespace"),
            app_project(app),
            _str(app, "status", "sync", "status"),
            _str(app, "status", "health", "status"),
            format_sync_policy(app),
            format_conditions(app),
        ]
        if wide:
            source = app_source(app)
            row += [_str(source, "repoURL"), _str(source, "path"), _str(source, "targetRevision")]
        rows.append(row)
    return Answer(table(rows), {"apps": summaries}, summaries)


def _redacted(obj: Any, ctx: ArgoCDContext) -> Any:
    return obj if ctx.allow_secrets else redact_object(obj)


def _line(label: str, value: str, width: int = 20) -> str:
    """fmt's `%-20s%s\n`: the label padded to `width` runes."""
    return f"{label:<{width}}{value}\n"


def _source_lines(source: JSON) -> str:
    text = _line("- Repo:", _str(source, "repoURL"))
    text += _line("  Target:", _str(source, "targetRevision"))
    if _str(source, "path"):
        text += _line("  Path:", _str(source, "path"))
    if _str(source, "ref"):
        text += _line("  Ref:", _str(source, "ref"))
    value_files = _get(source, "helm", "valueFiles") or []
    if _get(source, "helm") is not None and value_files:
        text += _line("  Helm Values:", ",".join(str(v) for v in value_files))
    if _str(source, "kustomize", "namePrefix"):
        text += _line("  Name Prefix:", _str(source, "kustomize", "namePrefix"))
    return text


_COMMIT_SHA = re.compile(r"[0-9A-Fa-f]{40}")
_SHORT_SHA = re.compile(r"[0-9A-Fa-f]{7,}")


def _summary_table(app: JSON, url: str) -> str:
    """printAppSummaryTable, for an application whose project has no sync windows."""
    text = _line("Name:", qualified_name(app))
    text += _line("Project:", app_project(app))
    text += _line("Server:", app_server(app))
    text += _line("Namespace:", _str(app, "spec", "destination", "namespace"))
    text += _line("URL:", url)
    text += "Sources:\n" if _has_multiple_sources(app) else "Source:\n"
    for source in app_sources(app):
        text += _source_lines(source)
    text += _line("SyncWindow:", "Sync Allowed")
    automated = _automated(app)
    policy = "Manual"
    if automated is not None:
        policy = "Automated" + (" (Prune)" if automated.get("prune") is True else "")
    text += _line("Sync Policy:", policy)
    status = _str(app, "status", "sync", "status")
    target = _str(app_source(app), "targetRevision")
    sync_text = status
    if status == "Synced":
        sync_text += " to " + target
    elif status == "OutOfSync":
        sync_text += " from " + target
    revision = _str(app, "status", "sync", "revision")
    if (
        not _COMMIT_SHA.fullmatch(target)
        and not _SHORT_SHA.fullmatch(target)
        and len(revision.encode()) > 7
    ):
        sync_text += f" ({bytes_prefix(revision, 7)})"
    text += _line("Sync Status:", sync_text)
    text += _line("Health Status:", _str(app, "status", "health", "status"))
    return text


def resource_states(app: JSON) -> list[dict[str, str]]:
    """getResourceStates(app, nil): the last sync's results first, then the other resources
    ordered by group/kind/namespace/name."""

    def key(res: Mapping[str, Any]) -> tuple[str, str, str, str]:
        return (_str(res, "group"), _str(res, "kind"), _str(res, "namespace"), _str(res, "name"))

    by_key: dict[tuple[str, str, str, str], Mapping[str, Any]] = {}
    for res in _get(app, "status", "resources") or []:
        by_key[key(res)] = res
    states: list[dict[str, str]] = []
    for res in _get(app, "status", "operationState", "syncResult", "resources") or []:
        sync, health = _str(res, "hookPhase"), _str(res, "status")
        found = by_key.get(key(res))
        if found is not None and not _str(res, "hookType"):
            health = _str(found, "health", "status")
            sync = _str(found, "status")
        group, kind, namespace, name = key(res)
        states.append(
            {
                "group": group,
                "kind": kind,
                "namespace": namespace,
                "name": name,
                "status": sync,
                "health": health,
                "hook": _str(res, "hookType"),
                "message": _str(res, "message"),
            }
        )
        by_key.pop(key(res), None)
    # kube.ResourceKey.String() sorted: Go compares bytes, which is code point order.
    for resource_key in sorted(by_key, key=lambda k: "/".join(k)):
        res = by_key[resource_key]
        group, kind, namespace, name = resource_key
        states.append(
            {
                "group": group,
                "kind": kind,
                "namespace": namespace,
                "name": name,
                "status": _str(res, "status"),
                "health": _str(res, "health", "status"),
                "hook": "",
                "message": "",
            }
        )
    return states


async def _app_get(command: CliCommand, ctx: ArgoCDContext) -> Answer:
    name, params = _app_query(command)
    app: JSON = await ctx.argocd.get(f"/api/v1/applications/{name}", params)
    project_name = _str(app, "spec", "project")
    if not project_name:
        raise Defer("an application without a project (the CLI asks for project '')")
    project = await ctx.argocd.get(f"/api/v1/projects/{quote(project_name, safe='')}")
    shown = _redacted(app, ctx)
    fmt = _output(command)
    if fmt in ("json", "yaml"):
        return Answer(_encoded(fmt, shown), shown)
    if _get(project, "spec", "syncWindows"):
        raise Defer("sync windows (the CLI evaluates their schedules)")
    settings = await ctx.argocd.get("/api/v1/settings")
    base = _str(settings, "url")
    app_name = _str(app, "metadata", "name")
    if base:
        url = f"{base}/applications/{app_name}"
    elif ctx.app_url_base is not None:
        url = f"{ctx.app_url_base}/applications/{app_name}"
    else:
        raise Defer("the CLI's server address is not known")
    text = _summary_table(app, url)
    conditions = _get(app, "status", "conditions") or []
    if conditions:
        rows = "CONDITION\tMESSAGE\tLAST TRANSITION\n" + "".join(
            f"{_str(c, 'type')}\t{_str(c, 'message')}\t{go_time(_get(c, 'lastTransitionTime'))}\n"
            for c in conditions
        )
        text += "\n" + tabwriter(rows) + "\n"
    if _get(app, "status", "resources"):
        header = ["GROUP", "KIND", "NAMESPACE", "NAME", "STATUS", "HEALTH", "HOOK", "MESSAGE"]
        keys = ("group", "kind", "namespace", "name", "status", "health", "hook", "message")
        states = resource_states(app)
        text += "\n" + table([header, *([s[k] for k in keys] for s in states)])
    return Answer(text, shown)


async def _app_history(command: CliCommand, ctx: ArgoCDContext) -> Answer:
    name, params = _app_query(command)
    app = await ctx.argocd.get(f"/api/v1/applications/{name}", params)
    history: list[JSON] = list(_get(app, "status", "history") or [])
    data = {"history": history}
    if _output(command) == "id":
        return Answer("".join(f"{_str(entry, 'id') or 0}\n" for entry in history), data)
    keys: list[str] = []
    rows: dict[str, list[tuple[str, str, str]]] = {}

    def add(repo: str, entry: JSON, revision: str) -> None:
        if repo not in rows:
            keys.append(repo)
            rows[repo] = []
        rows[repo].append(
            (str(entry.get("id") or 0), go_time_value(entry.get("deployedAt")), revision)
        )

    for entry in history:
        sources = entry.get("sources")
        if sources:
            revisions = entry.get("revisions") or []
            for i, source in enumerate(sources):
                revision = _str(source, "targetRevision")
                if len(revisions) == len(sources) and len(str(revisions[i]).encode()) >= 7:
                    revision = f"{revision} ({bytes_prefix(str(revisions[i]), 7)})"
                add(_str(source, "repoURL"), entry, revision)
        else:
            revision = _str(entry, "source", "targetRevision")
            full = _str(entry, "revision")
            if len(full.encode()) >= 7:
                revision = f"{revision} ({bytes_prefix(full, 7)})"
            add(_str(entry, "source", "repoURL"), entry, revision)
    text = ""
    for i, repo in enumerate(keys):
        text += f"SOURCE\t{repo}\n" + "ID\tDATE\tREVISION\n"
        text += "".join(f"{a}\t{b}\t{c}\n" for a, b, c in rows[repo])
        if i < len(keys) - 1:
            text += "\n"
    return Answer(tabwriter(text), data)


async def _app_resources(command: CliCommand, ctx: ArgoCDContext) -> Answer:
    name, params = _app_query(command)
    if command.value("project"):
        params["project"] = str(command.value("project"))
    tree = await ctx.argocd.get(f"/api/v1/applications/{name}/resource-tree", params)
    list_all = not command.has("orphaned")
    orphaned = command.bool_flag("orphaned")
    shown: list[JSON] = []
    rows = [["GROUP", "KIND", "NAMESPACE", "NAME", "ORPHANED"]]
    if not orphaned or list_all:
        for node in _get(tree, "nodes") or []:
            if not node.get("parentRefs"):
                shown.append({**node, "orphaned": False})
    if orphaned or list_all:
        shown += [{**node, "orphaned": True} for node in _get(tree, "orphanedNodes") or []]
    for node in shown:
        rows.append(
            [
                _str(node, "group"),
                _str(node, "kind"),
                _str(node, "namespace"),
                _str(node, "name"),
                "Yes" if node["orphaned"] else "No",
            ]
        )
    return Answer(table(rows), {"resources": shown})


async def _app_manifests(command: CliCommand, ctx: ArgoCDContext) -> Answer:
    name, params = _app_query(command)
    # The CLI reads the application first: its error (permission denied) comes from there.
    await ctx.argocd.get(f"/api/v1/applications/{name}", params)
    managed = await ctx.argocd.get(f"/api/v1/applications/{name}/managed-resources", params)
    field = "liveState" if command.value("source") == "live" else "targetState"
    objects: list[Any] = []
    for item in _get(managed, "items") or []:
        state = _str(item, field)
        if state in ("", "null"):
            objects.append(None)
            continue
        try:
            objects.append(json.loads(state))
        except ValueError:
            raise Defer("a manifest that is not JSON") from None
    shown = [_redacted(obj, ctx) if obj is not None else None for obj in objects]
    text = "".join("---\n" + go_yaml(obj) + "\n" for obj in shown)
    return Answer(text, {"manifests": shown})


def _project_summary(project: JSON) -> list[str]:
    spec = project.get("spec") or {}

    def count(key: str) -> int:
        return len(spec.get(key) or [])

    destinations = spec.get("destinations") or []
    if not destinations:
        dest = "<none>"
    elif len(destinations) == 1:
        dest = f"{_str(destinations[0], 'server')},{_str(destinations[0], 'namespace')}"
    else:
        dest = f"{len(destinations)} destinations"
    accounts = spec.get("destinationServiceAccounts") or []
    if not accounts:
        service_accounts = "<none>"
    elif len(accounts) == 1:
        a = accounts[0]
        service_accounts = (
            f"{_str(a, 'server')},{_str(a, 'namespace')},{_str(a, 'defaultServiceAccount')}"
        )
    else:
        service_accounts = f"{len(accounts)} destinationServiceAccounts"
    repos = spec.get("sourceRepos") or []
    if not repos:
        sources = "<none>"
    elif len(repos) == 1:
        sources = str(repos[0])
    else:
        sources = f"{len(repos)} repos"
    whitelist = spec.get("clusterResourceWhitelist") or []
    if not whitelist:
        cluster_whitelist = "<none>"
    elif len(whitelist) == 1:
        cluster_whitelist = f"{_str(whitelist[0], 'group')}/{_str(whitelist[0], 'kind')}"
    else:
        cluster_whitelist = f"{len(whitelist)} resources"
    blacklist = count("namespaceResourceBlacklist")
    keys = count("signatureKeys")
    return [
        _str(project, "metadata", "name"),
        _str(spec, "description"),
        dest,
        sources,
        cluster_whitelist,
        f"{blacklist} resources" if blacklist else "<none>",
        f"{keys} key(s)" if keys else "<none>",
        _orphaned_resources(spec),
        service_accounts,
    ]


def _orphaned_resources(spec: JSON) -> str:
    settings = spec.get("orphanedResources")
    if settings is None:
        return "disabled"
    details = f"warn={'true' if settings.get('warn') is True else 'false'}"
    if settings.get("ignore"):
        details += f", ignored {len(settings['ignore'])}"
    return f"enabled ({details})"


async def _proj_list(command: CliCommand, ctx: ArgoCDContext) -> Answer:
    listed = await ctx.argocd.get("/api/v1/projects")
    projects: list[JSON] = list((listed or {}).get("items") or [])
    fmt = _output(command)
    data = {"items": projects}
    if fmt in ("json", "yaml"):
        return Answer(_encoded_list(fmt, projects), data)
    if fmt == "name":
        return Answer("".join(_str(p, "metadata", "name") + "\n" for p in projects), data)
    header = [
        "NAME",
        "DESCRIPTION",
        "DESTINATIONS",
        "SOURCES",
        "CLUSTER-RESOURCE-WHITELIST",
        "NAMESPACE-RESOURCE-BLACKLIST",
        "SIGNATURE-KEYS",
        "ORPHANED-RESOURCES",
        "DESTINATION-SERVICE-ACCOUNTS",
    ]
    return Answer(table([header, *(_project_summary(p) for p in projects)]), data)


def _listing(label: str, values: list[str]) -> str:
    """printProject's `%-29s%s` label with its first value, the others under it."""
    first = values[0] if values else "<none>"
    text = _line(label, first, 29)
    return text + "".join(_line("", v, 29) for v in values[1:])


async def _proj_get(command: CliCommand, ctx: ArgoCDContext) -> Answer:
    name = quote(command.args[0], safe="")
    detailed: JSON = await ctx.argocd.get(f"/api/v1/projects/{name}/detailed")
    project: JSON = detailed.get("project") or {}
    fmt = _output(command)
    if fmt in ("json", "yaml"):
        return Answer(_encoded(fmt, project), project)
    spec = project.get("spec") or {}

    def pairs(key: str, a: str, b: str) -> list[str]:
        return [
            f"{_str(x, a)}{'/' if a == 'group' else ','}{_str(x, b)}" for x in spec.get(key) or []
        ]

    text = _line("Name:", _str(project, "metadata", "name"), 29)
    text += _line("Description:", _str(spec, "description"), 29)
    text += _listing("Destinations:", pairs("destinations", "server", "namespace"))
    text += _listing("Repositories:", [str(r) for r in spec.get("sourceRepos") or []])
    text += _listing("Source Namespaces:", [str(n) for n in spec.get("sourceNamespaces") or []])
    text += _listing(
        "Scoped Repositories:", [_str(r, "repo") for r in detailed.get("repositories") or []]
    )
    text += _listing(
        "Allowed Cluster Resources:", pairs("clusterResourceWhitelist", "group", "kind")
    )
    text += _listing(
        "Scoped Clusters:", [_str(c, "server") for c in detailed.get("clusters") or []]
    )
    text += _listing(
        "Denied Namespaced Resources:", pairs("namespaceResourceBlacklist", "group", "kind")
    )
    keys = [_str(k, "keyID") for k in spec.get("signatureKeys") or []]
    text += _line("Signature keys:", ", ".join(keys) if keys else "<none>", 29)
    text += _line("Orphaned Resources:", _orphaned_resources(spec), 29)
    data = {
        "project": project,
        "repositories": detailed.get("repositories") or [],
        "clusters": detailed.get("clusters") or [],
    }
    return Answer(text, data)


async def _cluster_list(command: CliCommand, ctx: ArgoCDContext) -> Answer:
    listed = await ctx.argocd.get("/api/v1/clusters")
    clusters: list[JSON] = list((listed or {}).get("items") or [])
    fmt = _output(command)
    data = {"items": clusters}
    if fmt in ("json", "yaml"):
        return Answer(_encoded_list(fmt, clusters), data)
    if fmt == "server":
        return Answer("".join(_str(c, "server") + "\n" for c in clusters), data)
    rows = [["SERVER", "NAME", "VERSION", "STATUS", "MESSAGE", "PROJECT"]]
    for cluster in clusters:
        server = _str(cluster, "server")
        namespaces = cluster.get("namespaces") or []
        if namespaces:
            server = f"{server} ({len(namespaces)} namespaces)"
        rows.append(
            [
                server,
                _str(cluster, "name"),
                _str(cluster, "info", "serverVersion"),
                _str(cluster, "info", "connectionState", "status"),
                _str(cluster, "info", "connectionState", "message"),
                _str(cluster, "project"),
            ]
        )
    return Answer(table(rows), data)


_CREDENTIALS = (
    "username",
    "password",
    "bearerToken",
    "sshPrivateKey",
    "tlsClientCertData",
    "githubAppPrivateKey",
    "useAzureWorkloadIdentity",
    "azureServicePrincipalClientSecret",
)


def _go_bool(value: Any) -> str:
    return "true" if value is True else "false"


async def _repo_list(command: CliCommand, ctx: ArgoCDContext) -> Answer:
    params = {"forceRefresh": "true"} if command.value("refresh") == "hard" else {}
    listed = await ctx.argocd.get("/api/v1/repositories", params)
    repos: list[JSON] = list((listed or {}).get("items") or [])
    fmt = _output(command)
    data = {"items": repos}
    if fmt in ("json", "yaml"):
        return Answer(_encoded_list(fmt, repos), data)
    if fmt == "url":
        return Answer("".join(_str(r, "repo") + "\n" for r in repos), data)
    rows = [
        ["TYPE", "NAME", "REPO", "INSECURE", "OCI", "LFS", "CREDS", "STATUS", "MESSAGE", "PROJECT"]
    ]
    for repo in repos:
        insecure = any(
            repo.get(k) is True
            for k in ("insecureIgnoreHostKey", "insecure", "insecureOCIForceHttp")
        )
        if repo.get("inheritedCreds") is True:
            creds = "inherited"
        else:
            creds = _go_bool(any(repo.get(k) not in (None, "", False) for k in _CREDENTIALS))
        rows.append(
            [
                _str(repo, "type"),
                _str(repo, "name"),
                _str(repo, "repo"),
                _go_bool(insecure),
                _go_bool(repo.get("enableOCI")),
                _go_bool(repo.get("enableLfs")),
                creds,
                _str(repo, "connectionState", "status"),
                _str(repo, "connectionState", "message"),
                _str(repo, "project"),
            ]
        )
    return Answer(table(rows), data)


_SERVER_FIELDS = (
    ("BuildDate", "BuildDate"),
    ("GitCommit", "GitCommit"),
    ("GitTreeState", "GitTreeState"),
    ("GitTag", "GitTag"),
    ("GoVersion", "GoVersion"),
    ("Compiler", "Compiler"),
    ("Platform", "Platform"),
    ("ExtraBuildInfo", "ExtraBuildInfo"),
    ("Kustomize Version", "KustomizeVersion"),
    ("Helm Version", "HelmVersion"),
    ("Kubectl Version", "KubectlVersion"),
    ("Jsonnet Version", "JsonnetVersion"),
)


def _client_version_text(client: JSON, short: bool) -> str:
    text = f"argocd: {_str(client, 'Version')}\n"
    if short:
        return text
    text += f"  BuildDate: {_str(client, 'BuildDate')}\n"
    text += f"  GitCommit: {_str(client, 'GitCommit')}\n"
    text += f"  GitTreeState: {_str(client, 'GitTreeState')}\n"
    if _str(client, "GitTag"):
        text += f"  GitTag: {_str(client, 'GitTag')}\n"
    text += f"  GoVersion: {_str(client, 'GoVersion')}\n"
    text += f"  Compiler: {_str(client, 'Compiler')}\n"
    text += f"  Platform: {_str(client, 'Platform')}\n"
    if _str(client, "ExtraBuildInfo"):
        text += f"  ExtraBuildInfo: {_str(client, 'ExtraBuildInfo')}\n"
    return text


def _server_version_text(server: JSON, short: bool) -> str:
    text = f"argocd-server: {_str(server, 'Version')}\n"
    if short:
        return text
    for label, key in _SERVER_FIELDS:
        if _str(server, key):
            text += f"  {label}: {_str(server, key)}\n"
    return text


async def _version(command: CliCommand, ctx: ArgoCDContext) -> Answer:
    if ctx.client_version is None:
        raise Defer("the CLI's own version is not known")
    client = await ctx.client_version()
    short = command.bool_flag("short")
    client_only = command.bool_flag("client")
    server: JSON | None = None
    if not client_only:
        server = await ctx.argocd.get("/api/version")
    fmt = _output(command)
    if fmt in ("json", "yaml"):
        value: JSON = {"client": {"argocd": _str(client, "Version")} if short else client}
        if server is not None:
            value["server"] = {"argocd-server": _str(server, "Version")} if short else server
        return Answer(_encoded(fmt, value), value)
    short = short or fmt == "short"
    text = _client_version_text(client, short)
    data: JSON = {"client": client}
    if server is not None:
        text += _server_version_text(server, short)
        data["server"] = server
    return Answer(text, data)


async def _account_can_i(command: CliCommand, ctx: ArgoCDContext) -> Answer:
    """`yes` or `no`, as the CLI prints Argo CD's answer (both exit 0)."""
    action, resource, subresource = command.args
    path = f"/api/v1/account/can-i/{resource}/{action}/{quote(subresource, safe='/')}"
    value = _str(await ctx.argocd.get(path), "value")
    return Answer(f"{value}\n", {"allowed": value == "yes", "value": value})


_COMMANDS: Mapping[tuple[str, ...], Callable[[CliCommand, ArgoCDContext], Any]] = {
    ("app", "list"): _app_list,
    ("app", "get"): _app_get,
    ("app", "history"): _app_history,
    ("app", "resources"): _app_resources,
    ("app", "manifests"): _app_manifests,
    ("proj", "list"): _proj_list,
    ("proj", "get"): _proj_get,
    ("cluster", "list"): _cluster_list,
    ("repo", "list"): _repo_list,
    ("account", "can-i"): _account_can_i,
    ("version",): _version,
}

_HINTS: Mapping[tuple[str, ...], str] = {
    ("app", "list"): "narrow it with -p PROJECT, -l SELECTOR, -r REPO, -c CLUSTER or -N "
    "NAMESPACE, or add | grep",
    ("app", "get"): "read its parts with `argocd app history` or `argocd app resources`, or "
    "add | grep",
    ("app", "manifests"): "add | grep or | head -n N",
}


def _hint(command: CliCommand) -> str:
    return _HINTS.get(command.verb, "add | grep or | head -n N")


def _bounded(command: CliCommand, answer: Answer, budget: int) -> NativeAnswer:
    """The answer within the output budget. A table of applications is cut at a row, with
    `data` summarizing the rows kept; any other text longer than the budget is cut by the
    server and its data left out, as is data larger than the budget."""
    text, data = answer.text, answer.data
    if answer.rows is not None and (len(text) > budget or len(go_json(data)) > budget):
        return _cut_rows(command, answer, budget)
    hint = oversize_hint(text, lambda: len(go_json(data)), budget, _hint(command))
    return NativeAnswer(text, data if hint is None else None, truncated=hint is not None, next=hint)


def _cut_rows(command: CliCommand, answer: Answer, budget: int) -> NativeAnswer:
    rows = answer.rows or []
    lines = answer.text.splitlines(keepends=True)
    header = 0 if _output(command) == "name" else 1
    # Each summary costs its JSON and a comma in `{"apps":[...]}`.
    kept = rows_that_fit(
        lines[:header],
        lines[header:],
        (len(go_json(row)) + 1 for row in rows),
        budget,
        data_size=len('{"apps":[]}'),
    )
    return NativeAnswer(
        "".join(lines[: header + kept]),
        {"apps": rows[:kept]},
        truncated=True,
        next=rest_hint(rows_fit(kept, len(rows), "applications"), _hint(command)),
    )


async def native_argocd(command: CliCommand, ctx: ArgoCDContext) -> NativeAnswer:
    try:
        answer: Answer = await _COMMANDS[command.verb](command, ctx)
    except BackendError as exc:
        return NativeAnswer(
            "",
            None,
            exit_code=_FATAL_EXIT,
            stderr=ctx.argocd.scrub(exc.message),
            error_code=exc.code,
        )
    return _bounded(command, answer, ctx.budget)
