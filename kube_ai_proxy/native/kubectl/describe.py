"""`kubectl describe`, answered from the API with kubectl's own describers ported.

The objects are read as kubectl's resource builder reads them (by name, by type with -l, -A
and --chunk-size paging, and, when `TYPE NAME` finds nothing, every object whose name starts
with NAME), each is described by the port of kubectl's describer for its kind (or its generic
describer, for CRDs and other kinds without one), and the descriptions are joined as kubectl
joins them. `data` holds the described objects (Secrets redacted) and their events.

A kind kubectl describes with a describer that is not ported, or an object holding something
the port does not print exactly, raises errors.Defer: the command goes to kubectl.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from adapters.errors import BackendError
from adapters.kubernetes import KubeAPI, Resource
from kube_ai_proxy.errors import Defer
from kube_ai_proxy.native.base import ANY, SWITCH, FlagRule, NativeAnswer, NativeContext, serves
from kube_ai_proxy.native.kubectl.describers.gather import Related
from kube_ai_proxy.native.kubectl.describers.parts import Obj
from kube_ai_proxy.native.kubectl.describers.registry import Describer, describer_for
from kube_ai_proxy.output.budget import objects_fit, rest_hint
from kube_ai_proxy.output.redact import redact_object
from kube_ai_proxy.parse.command import CliCommand

FLAGS = {
    "namespace": ANY,
    "all-namespaces": SWITCH,
    "selector": ANY,
    "show-events": FlagRule(frozenset({None, "true", "false"})),
    "chunk-size": ANY,
    "context": ANY,
}


def can_serve(command: CliCommand) -> bool:
    if command.verb != ("describe",) or not command.args or not serves(command, FLAGS):
        return False
    chunk = command.value("chunk-size")
    if chunk is not None and not chunk.isdigit():
        return False
    args = command.args
    slash = ["/" in arg for arg in args]
    if any(slash) and not all(slash):
        return False  # kubectl refuses TYPE/NAME mixed with TYPE NAME, in its own words
    if all(slash) and any(
        not t or not n or "," in t for t, _, n in (a.partition("/") for a in args)
    ):
        return False
    named = all(slash) or len(args) > 1
    if named and (command.value("selector") or command.bool_flag("all-namespaces")):
        return False  # kubectl's own errors: names with a selector, names across namespaces
    # Several types with names: kubectl's prefix fallback would then fail in its own words.
    return not (named and not all(slash) and "," in args[0])


@dataclass
class _ApiSource:
    """The API as kubectl's describers read it (describers.gather.Source)."""

    api: KubeAPI
    show_events: bool
    chunk_size: int
    warnings: list[str] = field(default_factory=list)

    async def get(self, path: str) -> Obj:
        body: Obj = await self.api.request("GET", path, warnings=self.warnings)
        return body

    async def list(
        self, path: str, query: Sequence[tuple[str, str]] = (), chunked: bool = True
    ) -> list[Obj]:
        found: list[Obj] = []
        token = ""
        while True:
            params: list[tuple[str, Any]] = list(query)
            if chunked and self.chunk_size > 0:
                params.append(("limit", self.chunk_size))
            if token:
                params.append(("continue", token))
            body = await self.api.request("GET", path, query=params, warnings=self.warnings)
            found += body.get("items") or []
            token = (body.get("metadata") or {}).get("continue") or ""
            if not token:
                return found


@dataclass(frozen=True)
class _Target:
    resource: Resource
    describer: Describer
    names: list[str]


@dataclass
class _Found:
    """What kubectl's builder hands its describers: objects, and the errors met reading them."""

    objects: list[tuple[_Target, Obj]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    prefixed: bool = False  # found by the NAME_PREFIX fallback: kubectl prints them apart


async def native_describe(command: CliCommand, ctx: NativeContext) -> NativeAnswer:
    api = await ctx.kube()
    source = _ApiSource(
        api,
        show_events=command.value("show-events") != "false",
        chunk_size=int(command.value("chunk-size") or 500),
    )
    try:
        targets = await _resolve_all(api, command.args)
        found = await _read(command, ctx, source, targets)
        if found.errors and len(command.args) == 2:
            found = await _prefix_matches(command, ctx, source, targets[0], found)
        return await _answer(command, ctx, source, found)
    except BackendError as exc:
        if exc.code == "not_found" and "resource type" in exc.message:
            return NativeAnswer("", None, 1, f"error: {exc.message}", "not_found")
        raise Defer(f"kubectl's words for what else can go wrong: {exc.message}") from exc


def _type_names(args: Sequence[str]) -> list[tuple[str, list[str]]]:
    """[(type, names)] in the order kubectl's builder visits them."""
    if "/" in args[0]:
        return [(kind, [name]) for kind, _, name in (arg.partition("/") for arg in args)]
    return [(kind, list(args[1:])) for kind in args[0].split(",")]


async def _resolve_all(api: KubeAPI, args: Sequence[str]) -> list[_Target]:
    """Every type first, as kubectl fails on an unknown type before printing anything."""
    discovery = await api.discovery()
    targets = []
    for kind, names in _type_names(args):
        if "." not in kind and discovery.by_category(kind) and discovery.resolve(kind) is None:
            raise Defer(f"{kind!r} is a category (`all` and others), which kubectl expands")
        resource = await api.resolve(kind)
        describer = describer_for(resource.group, resource.kind)
        if describer is None:
            raise Defer(f"kubectl's describer for {resource.kind} is not ported")
        targets.append(_Target(resource, describer, names))
    return targets


def _namespace(command: CliCommand, ctx: NativeContext, resource: Resource) -> str | None:
    if not resource.namespaced or command.bool_flag("all-namespaces"):
        return None
    return ctx.namespace


async def _read(
    command: CliCommand, ctx: NativeContext, source: _ApiSource, targets: list[_Target]
) -> _Found:
    found = _Found()
    for target in targets:
        namespace = _namespace(command, ctx, target.resource)
        if not target.names:
            selector = command.value("selector")
            query = [("labelSelector", selector)] if selector else []
            listed = await source.list(target.resource.path(namespace), query)
            found.objects += [(target, _with_kind(target.resource, item)) for item in listed]
            continue
        for name in target.names:
            try:
                obj = await source.get(target.resource.path(namespace, name))
            except BackendError as exc:
                if exc.code != "not_found":
                    raise
                found.errors.append(f"Error from server (NotFound): {exc.message}")
                continue
            found.objects.append((target, obj))
    return found


def _with_kind(resource: Resource, item: Obj) -> Obj:
    """List items carry no kind; kubectl's builder fills it in."""
    return {"apiVersion": resource.group_version, "kind": resource.kind, **item}


async def _prefix_matches(
    command: CliCommand, ctx: NativeContext, source: _ApiSource, target: _Target, found: _Found
) -> _Found:
    """`kubectl describe TYPE NAME_PREFIX`: when NAME is not an object, every object of the type
    in the namespace whose name starts with it (no selector, no -A, as kubectl lists them)."""
    if "/" in command.args[0]:
        raise Defer("kubectl retries TYPE/NAME pairs in ways not worth reproducing")
    prefix = command.args[1]
    listed = await source.list(target.resource.path(_namespace(command, ctx, target.resource)))
    matches = [
        (target, _with_kind(target.resource, item))
        for item in listed
        if str((item.get("metadata") or {}).get("name", "")).startswith(prefix)
    ]
    return _Found(matches, [], prefixed=True) if matches else found


async def _answer(
    command: CliCommand, ctx: NativeContext, source: _ApiSource, found: _Found
) -> NativeAnswer:
    texts: list[str] = []
    objects: list[Obj] = []
    events: list[Obj] = []
    size = 0
    for target, obj in found.objects:
        if size > ctx.budget:
            break
        related = await _related(target, source, obj, ctx)
        text = target.describer.render(obj, related, ctx.now())
        texts.append(text)
        size += len(text) + 2
        objects.append(obj if ctx.allow_secrets else redact_object(obj))
        events += related.get("events") or []
    cut = len(texts) < len(found.objects)
    # kubectl ends each prefix match with a newline, and separates others with a blank line.
    output = "".join(t + "\n" for t in texts) if found.prefixed else "\n\n".join(texts)
    notes = _unique(f"Warning: {w}" for w in source.warnings)
    if not found.objects and not found.errors:
        notes.append(_nothing_found(command, ctx))
    data: dict[str, Any] = {"objects": objects, "events": events}
    hint = None
    if cut:
        hint = rest_hint(
            objects_fit(len(texts), len(found.objects)),
            "name one, or narrow the list with -l or -n",
        )
    if found.errors:
        stderr = "\n".join([*notes, *found.errors])
        return NativeAnswer(output, data, 1, stderr, "not_found", cut, hint)
    return NativeAnswer(output, data, stderr="\n".join(notes), truncated=cut, next=hint)


async def _related(target: _Target, source: _ApiSource, obj: Obj, ctx: NativeContext) -> Related:
    related = await target.describer.gather(source, obj)
    if target.resource.kind == "Secret" and not target.resource.group:
        related["showToken"] = ctx.allow_secrets
    return related


def _nothing_found(command: CliCommand, ctx: NativeContext) -> str:
    if command.bool_flag("all-namespaces"):
        return "No resources found"
    return f"No resources found in {ctx.namespace} namespace."


def _unique(lines: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for line in lines:
        if line not in seen:
            seen.append(line)
    return seen
