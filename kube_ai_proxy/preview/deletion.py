"""What a `kubectl delete` takes with it, before it happens: the objects kubectl's server-side
dry run names, and what goes with them by cascade.

The garbage collector deletes an object's dependents (those whose ownerReferences name it): a
Deployment's ReplicaSets and their Pods, a Job's Pods, a StatefulSet's Pods and revisions. They
are found among the kinds that controllers own (`_OWNED`), level by level. A namespace takes
everything in it: counted by kind, over every resource the API server lists, its Deployments
and Pods named.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from adapters.errors import BackendError
from adapters.kubernetes import KubeAPI, Resource
from kube_ai_proxy.preview import NoPreview

# The kinds controllers own, which a cascade deletes: (group, plural).
_OWNED: tuple[tuple[str, str], ...] = (
    ("apps", "replicasets"),
    ("", "pods"),
    ("batch", "jobs"),
    ("apps", "controllerrevisions"),
)
# How many names of one kind a namespace's listing shows.
_NAMES_SHOWN = 10
# The kinds a namespace's listing names, besides counting them.
_NAMED_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Pod")
# What a cascade descends at most: Deployment -> ReplicaSet -> Pod is two levels.
_LEVELS = 3


@dataclass(frozen=True)
class Gone:
    """One object a delete takes."""

    kind: str
    namespace: str | None
    name: str
    depth: int = 0  # 0: named by the command; 1: its dependent, and so on
    owner: str = ""  # `Deployment web`, for a dependent
    count: int = 1  # for a namespace's contents: one line per kind
    contained: bool = False  # in the namespace `owner` names, rather than owned

    def line(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        owned = f" (owned by {self.owner})" if self.owner and not self.contained else ""
        what = " ".join(part for part in (self.kind, f"{where}{self.name}") if part)
        return f"-{'  ' * self.depth} {what}{owned}\n"


async def _listed(api: KubeAPI, resource: Resource, namespace: str | None) -> list[dict[str, Any]]:
    try:
        listed = await api.request("GET", resource.path(namespace))
    except BackendError as exc:
        if exc.code in ("rbac_denied", "not_found"):
            return []  # what the caller may not list, they are not shown
        raise
    items = listed.get("items") if isinstance(listed, dict) else None
    return [item for item in items or [] if isinstance(item, dict)]


def _served(resources: Sequence[Resource], group: str, plural: str) -> Resource | None:
    return next((r for r in resources if r.group == group and r.plural == plural), None)


async def _dependents(
    api: KubeAPI, resources: Sequence[Resource], owners: Mapping[str, Gone], namespace: str
) -> list[tuple[str, dict[str, Any], Gone]]:
    """The objects in `namespace` whose ownerReferences name one of `owners` (by uid), each
    with its kind (a list's items do not carry it)."""
    kinds = [r for group, plural in _OWNED if (r := _served(resources, group, plural))]
    listed = await asyncio.gather(*(_listed(api, kind, namespace) for kind in kinds))
    found = []
    for resource, items in zip(kinds, listed, strict=True):
        for item in items:
            for reference in item.get("metadata", {}).get("ownerReferences") or []:
                owner = owners.get(str(reference.get("uid")))
                if owner is not None:
                    found.append((resource.kind, item, owner))
                    break
    return found


async def cascade(api: KubeAPI, named: Sequence[Mapping[str, Any]]) -> list[Gone]:
    """The objects `named` (the live objects the delete names) and, under each, what goes
    with it."""
    discovery = await api.discovery()
    gone: list[Gone] = []
    level: dict[str, Gone] = {}
    for obj in named:
        metadata = obj.get("metadata") or {}
        item = Gone(str(obj.get("kind")), metadata.get("namespace"), str(metadata.get("name")))
        gone.append(item)
        if obj.get("kind") == "Namespace":
            gone += await _namespace_contents(api, discovery.resources, item.name)
        elif item.namespace:
            level[str(metadata.get("uid"))] = item
    for depth in range(1, _LEVELS + 1):
        namespaces = {owner.namespace for owner in level.values() if owner.namespace}
        next_level: dict[str, Gone] = {}
        for namespace in sorted(namespaces):
            for kind, obj, owner in await _dependents(api, discovery.resources, level, namespace):
                metadata = obj.get("metadata") or {}
                dependent = Gone(
                    kind,
                    namespace,
                    str(metadata.get("name")),
                    depth,
                    f"{owner.kind} {owner.name}",
                )
                gone.append(dependent)
                next_level[str(metadata.get("uid"))] = dependent
        if not next_level:
            break
        level = next_level
    return _in_tree_order(gone)


def _in_tree_order(gone: Sequence[Gone]) -> list[Gone]:
    """Each object followed by what it owns."""
    children: dict[tuple[int, str], list[Gone]] = {}
    for item in gone:
        if item.depth:
            children.setdefault((item.depth - 1, item.owner), []).append(item)
    ordered: list[Gone] = []

    def visit(item: Gone) -> None:
        ordered.append(item)
        for child in children.get((item.depth, f"{item.kind} {item.name}"), []):
            visit(child)

    for item in gone:
        if not item.depth:
            visit(item)
    return ordered


async def _namespace_contents(
    api: KubeAPI, resources: Sequence[Resource], namespace: str
) -> list[Gone]:
    """Everything in `namespace`, as one line per kind: how many, and the names of the kinds
    a person looks for first."""
    listable = [
        r
        for r in resources
        if r.namespaced
        and "list" in r.verbs
        and "delete" in r.verbs
        and "/" not in r.plural
        and r.kind != "Event"
    ]
    # One version of each kind: discovery lists a kind once per served version.
    kinds: dict[tuple[str, str], Resource] = {}
    for resource in listable:
        kinds.setdefault((resource.group, resource.kind), resource)
    listed = await asyncio.gather(*(_listed(api, r, namespace) for r in kinds.values()))
    lines = []
    for resource, items in sorted(
        zip(kinds.values(), listed, strict=True), key=lambda p: p[0].kind
    ):
        if not items:
            continue
        names = ""
        if resource.kind in _NAMED_KINDS:
            shown = [str((i.get("metadata") or {}).get("name")) for i in items[:_NAMES_SHOWN]]
            more = f", and {len(items) - _NAMES_SHOWN} more" if len(items) > _NAMES_SHOWN else ""
            names = f"({', '.join(shown)}{more})"
        kind = f"{len(items)} {resource.kind}"
        owner = f"Namespace {namespace}"
        lines.append(Gone(kind, None, names, 1, owner, len(items), contained=True))
    return lines


async def named_objects(api: KubeAPI, printed: str, namespace: str) -> list[dict[str, Any]]:
    """The live objects `kubectl delete ... --dry-run=server -o name` named (`pod/web-1`,
    `deployment.apps/web`): in `namespace` when their kind is namespaced."""
    discovery = await api.discovery()
    named = []
    for line in printed.splitlines():
        kind, slash, name = line.strip().partition("/")
        if not slash:
            if line.strip():
                raise NoPreview(f"kubectl's dry run printed {line.strip()!r}, not a name")
            continue
        resource = discovery.resolve(kind)
        if resource is None:
            raise NoPreview(f"the API server does not serve {kind}")
        try:
            live = await api.request("GET", resource.path(namespace, name))
        except BackendError as exc:
            if exc.code == "not_found":
                continue  # gone meanwhile: nothing to take
            raise
        named.append(live)
    return named


def deleted(gone: Sequence[Gone]) -> int:
    return sum(item.count for item in gone)
