"""What the describers read besides the object: the API as they read it (`Source`), and the
reads several of them make (the object's events, the pods in its namespace)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from adapters.errors import BackendError
from kube_ai_proxy.errors import Defer
from kube_ai_proxy.native.kubectl.describers.parts import Obj, m, s

# What a describer's gather found for its render, by name ("events", "pods", ...).
Related = dict[str, Any]


class Source(Protocol):
    """The API as the describers read it: kubectl's settings (--show-events, --chunk-size)
    applied, lists followed to their last page."""

    show_events: bool

    async def get(self, path: str) -> Obj: ...

    async def list(
        self, path: str, query: Sequence[tuple[str, str]] = (), chunked: bool = True
    ) -> list[Obj]: ...


def escape_field(value: str) -> str:
    """fields.EscapeValue."""
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")


async def search_events(
    source: Source, obj: Obj, kind: str | None, uid: str | None = None
) -> list[Obj] | None:
    """kubectl's searchEvents: events whose involvedObject is the object; None when
    --show-events=false. A failed search prints as no events in kubectl; here it is left to
    kubectl itself."""
    if not source.show_events:
        return None
    meta = m(obj, "metadata")
    namespace = s(meta, "namespace")
    fields = {"involvedObject.name": s(meta, "name"), "involvedObject.namespace": namespace}
    if kind:
        fields["involvedObject.kind"] = kind
    uid = s(meta, "uid") if uid is None else uid
    if uid:
        fields["involvedObject.uid"] = uid
    selector = ",".join(f"{k}={escape_field(v)}" for k, v in sorted(fields.items()))
    path = f"/api/v1/namespaces/{namespace}/events" if namespace else "/api/v1/events"
    try:
        return await source.list(path, [("fieldSelector", selector)])
    except BackendError as exc:
        raise Defer(f"events could not be listed: {exc.message}") from None


async def events_of(source: Source, obj: Obj) -> Related:
    return {"events": await search_events(source, obj, s(obj, "kind"))}


async def nothing(_source: Source, _obj: Obj) -> Related:
    return {}


async def namespace_pods(
    source: Source, obj: Obj, query: Sequence[tuple[str, str]] = ()
) -> list[Obj]:
    """The pods in the object's namespace (those `query` selects), which the describers of
    workloads and claims show. kubectl's words for a failed list are left to kubectl."""
    namespace = s(m(obj, "metadata"), "namespace")
    try:
        return await source.list(f"/api/v1/namespaces/{namespace}/pods", query)
    except BackendError as exc:
        raise Defer(f"pods could not be listed: {exc.message}") from None
