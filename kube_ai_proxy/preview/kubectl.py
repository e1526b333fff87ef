"""A kubectl write previewed before it happens: the command itself run with `--dry-run=server
-o json` (the API server applies it, admission included, and stores nothing), each object it
returns compared with the live one, read through the native client.

The dry run is kubectl's own, not a reimplementation: `apply` computes its three-way merge
client-side, `set image` and `rollout restart` build their patches client-side, and only
kubectl knows exactly what it would send.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import Any

import yaml

from adapters.errors import BackendError
from adapters.kubernetes import KubeAPI
from kube_ai_proxy.parse.command import CliCommand, Flag
from kube_ai_proxy.preview import NoPreview
from kube_ai_proxy.preview.deletion import Gone, cascade, deleted, named_objects
from kube_ai_proxy.preview.diff import Change, change, diff_text, summary
from kube_ai_proxy.preview.undo import Previewed, Undo, remove, restore
from kube_ai_proxy.result import Preview

# The writes whose effect kubectl's server-side dry run shows (`create` with any subcommand).
PREVIEWED: frozenset[tuple[str, ...]] = frozenset(
    {
        ("apply",),
        ("replace",),
        ("patch",),
        ("scale",),
        ("label",),
        ("annotate",),
        ("set", "image"),
        ("set", "env"),
        ("set", "resources"),
        ("rollout", "undo"),
        ("rollout", "restart"),
        ("autoscale",),
        ("delete",),
        ("taint",),
        ("cordon",),
        ("uncordon",),
        ("drain",),
    }
)
# What the dry run replaces: how it runs and what it prints.
_REPLACED_FLAGS = frozenset({"dry-run", "output", "template", "show-managed-fields"})


Run = Callable[[CliCommand], Awaitable[str]]


def previewable_by_kubectl(command: CliCommand) -> bool:
    return command.tool == "kubectl" and (
        command.verb in PREVIEWED or command.verb[:1] == ("create",)
    )


def dry_run_of(command: CliCommand, output: str = "json") -> CliCommand:
    """The command, run by the API server as a dry run, printing the objects (as JSON; a
    delete prints their names)."""
    kept = tuple(flag for flag in command.flags if flag.name not in _REPLACED_FLAGS)
    return replace(command, flags=(*kept, Flag("dry-run", "server"), Flag("output", output)))


def _objects(printed: str) -> list[dict[str, Any]]:
    """The objects a dry run printed: one, or a List of them."""
    try:
        document = json.loads(printed)
    except json.JSONDecodeError as exc:
        raise NoPreview(f"kubectl's dry run printed no JSON ({exc.msg})") from None
    if not isinstance(document, dict):
        raise NoPreview("kubectl's dry run printed no object")
    if document.get("kind") == "List":
        return [item for item in document.get("items") or [] if isinstance(item, dict)]
    return [document]


async def live_object(api: KubeAPI, obj: Mapping[str, Any]) -> dict[str, Any] | None:
    """The live version of `obj`; None when it does not exist."""
    group, _, version = str(obj.get("apiVersion", "")).rpartition("/")
    kind = obj.get("kind")
    metadata = obj.get("metadata") or {}
    discovery = await api.discovery()
    resource = next(
        (
            r
            for r in discovery.resources
            if r.group == group and r.version == version and r.kind == kind
        ),
        None,
    )
    if resource is None:
        raise NoPreview(f"the API server does not serve {kind} in {obj.get('apiVersion')}")
    try:
        live = await api.request("GET", resource.path(metadata.get("namespace"), metadata["name"]))
    except BackendError as exc:
        if exc.code == "not_found":
            return None
        raise
    return live if isinstance(live, dict) else None


async def kubectl_preview(
    command: CliCommand,
    dry_run: Run,
    api: KubeAPI,
    namespace: str,
    context: str | None,
) -> Previewed:
    """What `command` would change, and how to revert it: `dry_run` runs a command and
    returns what it printed (or raises NoPreview); `api` reads what is live; `namespace` and
    `context` are the command's."""
    if command.verb == ("delete",):
        return await _delete_preview(command, dry_run, api, namespace, context)
    if command.verb == ("scale",):
        return await _scale_preview(command, dry_run, api, namespace, context)
    if command.verb in (("cordon",), ("uncordon",), ("drain",)):
        return await _node_preview(command, api, context)
    changes, undo = [], []
    for after in _objects(await dry_run(dry_run_of(command))):
        live = await live_object(api, after)
        changes.append(change(live, after))
        undo.append(remove(after, context) if live is None else restore(live, context))
    return _previewed(changes, undo)


def _previewed(changes: list[Change], undo: list[Undo]) -> Previewed:
    kept = tuple(
        step for step, each in zip(undo, changes, strict=True) if each.action != "unchanged"
    )
    return Previewed(Preview(summary=summary(changes), diff=diff_text(changes)), kept)


async def _delete_preview(
    command: CliCommand, dry_run: Run, api: KubeAPI, namespace: str, context: str | None
) -> Previewed:
    named = await named_objects(api, await dry_run(dry_run_of(command, "name")), namespace)
    if command.value("cascade") == "orphan":
        gone = [Gone(str(o.get("kind")), *_where(o)) for o in named]
    else:
        gone = await cascade(api, named)
    # What the named objects owned, their controllers make again once they are back.
    undo = [restore(obj, context) for obj in named]
    if any(obj.get("kind") == "Namespace" for obj in named):
        undo.append(
            Undo(None, note="a namespace's contents are not kept: only the namespace comes back")
        )
    preview = Preview(
        summary=f"0 changed, 0 created, {deleted(gone)} deleted",
        diff="".join(item.line() for item in gone),
    )
    return Previewed(preview, tuple(undo))


async def _scale_preview(
    command: CliCommand, dry_run: Run, api: KubeAPI, namespace: str, context: str | None
) -> Previewed:
    """kubectl's dry run of a scale prints the object unscaled: it names the objects, and the
    API server dry-runs the new replica count on each."""
    replicas = command.value("replicas")
    if replicas is None or not replicas.isdigit():
        raise NoPreview("--replicas is not a number")
    named = await named_objects(api, await dry_run(dry_run_of(command, "name")), namespace)
    discovery = await api.discovery()
    changes = []
    for live in named:
        group, _, version = str(live.get("apiVersion", "")).rpartition("/")
        resource = next(
            r
            for r in discovery.resources
            if r.group == group and r.version == version and r.kind == live.get("kind")
        )
        after = await api.request(
            "PATCH",
            resource.path(*_where(live)),
            query=[("dryRun", "All")],
            body={"spec": {"replicas": int(replicas)}},
            content_type="application/merge-patch+json",
        )
        changes.append(change(live, after))
    return _previewed(changes, [restore(live, context) for live in named])


async def _node_preview(command: CliCommand, api: KubeAPI, context: str | None) -> Previewed:
    """cordon, uncordon and drain print no object in a dry run: the API server dry-runs the
    node's new `unschedulable` on each node named, and a drain lists the pods it evicts (those
    on the node but for DaemonSets', static, finished and already deleted ones)."""
    if command.has("selector") or not command.args:
        raise NoPreview("only nodes given by name are previewed")
    unschedulable = command.verb != ("uncordon",)
    nodes = [r for r in (await api.discovery()).resources if r.group == "" and r.plural == "nodes"]
    if not nodes:
        raise NoPreview("the API server serves no nodes")
    changes, undo, evicted = [], [], []
    for name in command.args:
        live = await api.request("GET", nodes[0].path(None, name))
        after = await api.request(
            "PATCH",
            nodes[0].path(None, name),
            query=[("dryRun", "All")],
            body={"spec": {"unschedulable": unschedulable or None}},
            content_type="application/merge-patch+json",
        )
        changes.append(change(live, after))
        back = "uncordon" if unschedulable else "cordon"
        undo.append(Undo(f"kubectl {back} {name}{f' --context={context}' if context else ''}"))
        if command.verb == ("drain",):
            evicted += await _evicted(api, name)
    if evicted:
        undo.append(Undo(None, note="evicted pods come back only where a controller owns them"))
    preview = Preview(
        summary=summary(changes, also_deleted=len(evicted)),
        diff=diff_text(changes) + "".join(f"- Pod {pod}\n" for pod in evicted),
    )
    return Previewed(preview, tuple(undo))


async def _evicted(api: KubeAPI, node: str) -> list[str]:
    listed = await api.request(
        "GET", "/api/v1/pods", query=[("fieldSelector", f"spec.nodeName={node}")]
    )
    evicted = []
    for pod in (listed or {}).get("items") or []:
        metadata = pod.get("metadata") or {}
        owners = {ref.get("kind") for ref in metadata.get("ownerReferences") or []}
        static = "kubernetes.io/config.mirror" in (metadata.get("annotations") or {})
        done = (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")
        going = "deletionTimestamp" in metadata  # deleted already
        if "DaemonSet" not in owners and not static and not done and not going:
            evicted.append(f"{metadata.get('namespace')}/{metadata.get('name')}")
    return evicted


def _where(obj: Mapping[str, Any]) -> tuple[str | None, str]:
    metadata = obj.get("metadata") or {}
    return metadata.get("namespace"), str(metadata.get("name"))


async def version_now(api: KubeAPI, manifest: str) -> str | None:
    """The resourceVersion the object `manifest` (a restore's stdin) has now; None when it
    does not exist."""
    obj = yaml.safe_load(manifest)
    if not isinstance(obj, dict):
        return None
    live = await live_object(api, obj)
    return None if live is None else str((live.get("metadata") or {}).get("resourceVersion"))
