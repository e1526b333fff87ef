"""The describers of Namespace (with its resource quotas and limit ranges) and
ServiceAccount."""

from __future__ import annotations

from adapters.errors import BackendError
from kube_ai_proxy.errors import Defer
from kube_ai_proxy.gofmt.sort import go_sort
from kube_ai_proxy.gofmt.times import rfc1123z
from kube_ai_proxy.native.kubectl.describers.gather import Related, Source
from kube_ai_proxy.native.kubectl.describers.parts import (
    Obj,
    describe_events,
    items,
    m,
    print_annotations,
    print_labels,
    s,
)
from kube_ai_proxy.native.kubectl.printers import PrefixWriter


async def gather_namespace(source: Source, namespace: Obj) -> Related:
    name = s(m(namespace, "metadata"), "name")
    related: Related = {}
    for key, plural in (("quotas", "resourcequotas"), ("limitRanges", "limitranges")):
        try:
            related[key] = await source.list(f"/api/v1/namespaces/{name}/{plural}")
        except BackendError as exc:
            if exc.code != "not_found":
                raise Defer(f"{plural} could not be listed: {exc.message}") from None
            related[key] = None
    return related


def render_namespace(namespace: Obj, related: Related, _now: float) -> str:
    w = PrefixWriter()
    meta, status = m(namespace, "metadata"), m(namespace, "status")
    w.write(0, f"Name:\t{s(meta, 'name')}\n")
    print_labels(w, "Labels", m(meta, "labels"))
    print_annotations(w, "Annotations", m(meta, "annotations"))
    w.write(0, f"Status:\t{s(status, 'phase')}\n")
    conditions = items(status, "conditions")
    if conditions:
        w.write(0, "Conditions:\n")
        w.write(1, "Type\tStatus\tLastTransitionTime\tReason\tMessage\n")
        w.write(1, "----\t------\t------------------\t------\t-------\n")
        for c in conditions:
            w.write(
                1,
                f"{s(c, 'type')}\t{s(c, 'status')}\t{rfc1123z(c.get('lastTransitionTime'))}\t"
                f"{s(c, 'reason')}\t{s(c, 'message')}\n",
            )
    if related.get("quotas") is not None:
        w.write(0, "\n")
        _quotas(w, related["quotas"])
    if related.get("limitRanges") is not None:
        w.write(0, "\n")
        _limit_ranges(w, related["limitRanges"])
    return w.text()


def _quotas(w: PrefixWriter, quotas: list[Obj]) -> None:
    if not quotas:
        w.write(0, "No resource quota.\n")
        return
    ordered = list(quotas)
    go_sort(ordered, lambda x, y: s(m(x, "metadata"), "name") < s(m(y, "metadata"), "name"))
    w.write(0, "Resource Quotas\n")
    for quota in ordered:
        if items(m(quota, "spec"), "scopes"):
            raise Defer("quota scopes are not ported")
        w.write(1, f"Name:\t{s(m(quota, 'metadata'), 'name')}\n")
        w.write(1, "Resource\tUsed\tHard\n")
        w.write(1, "--------\t---\t---\n")
        hard, used = m(quota, "status", "hard"), m(quota, "status", "used")
        for name in sorted(hard):
            w.write(1, f"{name}\t{used.get(name, '0')}\t{hard[name]}\n")


def _limit_ranges(w: PrefixWriter, ranges: list[Obj]) -> None:
    if not ranges:
        w.write(0, "No LimitRange resource.\n")
        return
    w.write(
        0,
        "Resource Limits\n Type\tResource\tMin\tMax\tDefault Request\tDefault Limit\t"
        "Max Limit/Request Ratio\n",
    )
    w.write(
        0,
        " ----\t--------\t---\t---\t---------------\t-------------\t-----------------------\n",
    )
    for limit_range in ranges:
        for item in items(m(limit_range, "spec"), "limits"):
            fields = ("min", "max", "defaultRequest", "default", "maxLimitRequestRatio")
            names = {name for field in fields for name in m(item, field)}
            if len(names) > 1:
                # kubectl walks a Go map here: its order changes from run to run.
                raise Defer("a limit range item over several resources")
            for name in names:
                values = [str(m(item, field).get(name, "-")) for field in fields]
                w.write(0, f" {s(item, 'type')}\t{name}\t" + "\t".join(values) + "\n")


def render_service_account(account: Obj, related: Related, now: float) -> str:
    w = PrefixWriter()
    meta = m(account, "metadata")
    w.write(0, f"Name:\t{s(meta, 'name')}\n")
    w.write(0, f"Namespace:\t{s(meta, 'namespace')}\n")
    print_labels(w, "Labels", m(meta, "labels"))
    print_annotations(w, "Annotations", m(meta, "annotations"))
    names = [s(secret, "name") for secret in items(account, "imagePullSecrets")]
    if not names:
        w.write(0, "Image pull secrets:\t<none>\n")
    for index, name in enumerate(names):
        header = "Image pull secrets:" if index == 0 else " " * 19
        w.write(0, f"{header}\t{name}\n")
    describe_events(w, related.get("events"), now)
    return w.text()
