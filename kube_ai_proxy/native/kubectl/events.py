"""`kubectl events`, answered from the API as kubectl 1.35 answers it (k8s.io/kubectl
pkg/cmd/events): the namespace's core/v1 events (all of them, page by page), filtered by
`--for` on the server and by `--types` here, sorted by when each was last seen, and printed by
kubectl's event printer, or as the EventList kubectl builds (-o json|yaml).

kubectl decodes the events into Go's typed structs before it prints them, so its JSON has the
structs' field order and their empty-field rules (`"eventTime": null`, `"source": {}`,
`"reportingComponent": ""`), not the API server's bytes: `_EVENT` spells those structs out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from adapters.errors import BackendError
from adapters.kubernetes import KubeAPI
from kube_ai_proxy.errors import Defer
from kube_ai_proxy.gofmt.sort import go_sort
from kube_ai_proxy.gofmt.text import GO_SPACE, escape_terminal
from kube_ai_proxy.gofmt.times import GO_ZERO_TIME, parse_time
from kube_ai_proxy.gofmt.yaml import go_yaml
from kube_ai_proxy.native.base import ANY, SWITCH, FlagRule, NativeAnswer, NativeContext, serves
from kube_ai_proxy.native.kubectl.apimachinery import since
from kube_ai_proxy.native.kubectl.printers import json_text, tabwrite
from kube_ai_proxy.output.budget import Cut, cut_lines, first_lines_fit, print_growing, rest_hint
from kube_ai_proxy.output.redact import redact_object
from kube_ai_proxy.parse.command import CliCommand

FLAGS = {
    "namespace": ANY,
    "all-namespaces": SWITCH,
    "for": ANY,
    "types": ANY,
    "no-headers": SWITCH,
    "output": FlagRule(frozenset({"", "json", "yaml"})),
    "chunk-size": ANY,
    "context": ANY,
}

# kubectl lists events 500 at a time whatever --chunk-size says (it never reads the flag);
# here --chunk-size is the page size: pages do not change what is printed.
_PAGE = 500
_TYPES = ("normal", "warning")
# Characters Go's text/tabwriter acts on: a cell holding one would not print as one cell.
_TABWRITER_CONTROLS = "\t\n\v\f"
# What follows the last event of a printed EventList (`]` and `}`, or the YAML's `kind` and
# `metadata` lines) is shorter than this.
_CLOSING = 64


def can_serve(command: CliCommand) -> bool:
    # kubectl ignores positional arguments; they are left to it, as is every flag not listed.
    if command.verb != ("events",) or command.args or not serves(command, FLAGS):
        return False
    if _types(command) is None:
        return False
    if not all(_is_count(v) for v in command.values("chunk-size")):
        return False
    target = command.value("for")
    if target:
        # kubectl's own errors (no slash, two slashes, an unknown type) and `pod/`, which it
        # reads as no filter at all, stay kubectl's.
        kind, _, name = target.partition("/")
        if not kind or not name or "/" in name:
            return False
    return True


def _is_count(value: str | None) -> bool:
    """A --chunk-size both pflag and this module read as the same count (negative numbers,
    hex and the like are left to kubectl)."""
    return value is not None and value.isascii() and value.isdigit()


def _types(command: CliCommand) -> list[str] | None:
    """The --types words, lower-cased; None when kubectl would refuse them ("valid --types
    are Normal or Warning") or read them as CSV differently from a plain comma split."""
    words: list[str] = []
    for value in command.values("types"):
        if value is None or any(c in value for c in '"\r\n'):
            return None
        if value:  # pflag reads an empty value as no words at all
            words += value.split(",")
    if not all(w.isascii() and w.lower() in _TYPES for w in words):
        return None
    return sorted({w.lower() for w in words})


async def native_events(command: CliCommand, ctx: NativeContext) -> NativeAnswer:
    all_namespaces = command.bool_flag("all-namespaces")
    api = await ctx.kube()
    try:
        selector = await _for_selector(api, command.value("for") or "")
        namespace = None if all_namespaces else ctx.namespace
        page = int(command.value("chunk-size") or _PAGE) or _PAGE
        listed = await _list(api, namespace, selector, page)
    except BackendError as exc:
        if exc.code == "rbac_denied":
            message = f"Error from server (Forbidden): {exc.message}"
            return NativeAnswer("", None, 1, message, exc.code)
        # An unknown --for type, an unreachable server: kubectl's own words for it.
        raise Defer(f"kubectl words this error itself: {exc.message}") from exc
    wanted = _types(command) or []
    events = [e for e in listed if not wanted or str(e.get("type", "")).lower() in wanted]
    if not events:
        where = "." if all_namespaces else f" in {ctx.namespace} namespace."
        return NativeAnswer("", {"events": []}, stderr=f"No events found{where}")
    _sort(events)
    if not ctx.allow_secrets:
        events = [redact_object(e) for e in events]
    output = command.value("output") or ""
    if output:
        return _objects_answer(output, events, ctx.budget)
    rows = _rows(events, all_namespaces, ctx.now())
    header = ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    if all_namespaces:
        header.insert(0, "NAMESPACE")
    headers = [] if command.bool_flag("no-headers") else [header]
    return _table_answer(tabwrite(headers + rows), events, len(headers), ctx.budget)


async def _for_selector(api: KubeAPI, target: str) -> str | None:
    """kubectl's field selector for --for KIND/NAME: the kind and API version the type
    resolves to (its preferred version), and the name."""
    if not target:
        return None
    kind_text, _, name = target.partition("/")
    resource = await api.resolve(kind_text.lower())  # kubectl lower-cases it too
    terms = (
        ("involvedObject.kind", resource.kind),
        ("involvedObject.apiVersion", resource.group_version),
        ("involvedObject.name", name),
    )
    return ",".join(f"{key}={_selector_value(value)}" for key, value in terms)


def _selector_value(value: str) -> str:
    """fields.EscapeValue."""
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")


async def _list(
    api: KubeAPI, namespace: str | None, selector: str | None, page: int
) -> list[dict[str, Any]]:
    """Every event, page by page, each decoded as kubectl decodes it (managedFields and all
    else the typed struct has no field for dropped as they arrive)."""
    path = f"/api/v1/namespaces/{namespace}/events" if namespace else "/api/v1/events"
    base: list[tuple[str, Any]] = [("fieldSelector", selector)] if selector else []
    events: list[dict[str, Any]] = []
    token = ""
    while True:
        query = [*base, ("limit", page), *([("continue", token)] if token else [])]
        body = await api.request("GET", path, query=query)
        events += [_typed_event(item) for item in body.get("items") or []]
        token = (body.get("metadata") or {}).get("continue") or ""
        if not token:
            return events


# --- the typed Go structs ------------------------------------------------------------------

# How encoding/json writes a field: "string" and "int" are left out when empty (omitempty),
# "string!" is always written; a metav1.Time or MicroTime struct is always written ("time",
# "microtime"; null when zero) unless tagged omitzero ("time?"); "*time" and "pointer" are
# pointers, left out when nil; "map" and "strings" are left out when empty.
_Scalar = Literal["string", "string!", "int", "pointer", "time", "time?", "*time", "microtime"]
_Collection = Literal["map", "strings"]


@dataclass(frozen=True)
class _Struct:
    """A Go struct's JSON fields in declaration order. A struct field is always written
    (omitempty does not apply to structs); a pointer to one is left out when nil, a slice of
    them when empty."""

    fields: tuple[tuple[str, _Scalar | _Collection | _Struct], ...]
    shape: Literal["struct", "pointer", "slice"] = "struct"


def _object_reference(shape: Literal["struct", "pointer"]) -> _Struct:
    fields = ("kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath")
    return _Struct(tuple((f, "string") for f in fields), shape)


_OWNER_REFERENCE = _Struct(
    (
        ("apiVersion", "string!"),
        ("kind", "string!"),
        ("name", "string!"),
        ("uid", "string!"),
        ("controller", "pointer"),
        ("blockOwnerDeletion", "pointer"),
    ),
    "slice",
)
# managedFields is not here: kubectl leaves it out unless --show-managed-fields.
_OBJECT_META = _Struct(
    (
        ("name", "string"),
        ("generateName", "string"),
        ("namespace", "string"),
        ("selfLink", "string"),
        ("uid", "string"),
        ("resourceVersion", "string"),
        ("generation", "int"),
        ("creationTimestamp", "time?"),
        ("deletionTimestamp", "*time"),
        ("deletionGracePeriodSeconds", "pointer"),
        ("labels", "map"),
        ("annotations", "map"),
        ("ownerReferences", _OWNER_REFERENCE),
        ("finalizers", "strings"),
    )
)
_EVENT = _Struct(
    (
        ("kind", "string"),
        ("apiVersion", "string"),
        ("metadata", _OBJECT_META),
        ("involvedObject", _object_reference("struct")),
        ("reason", "string"),
        ("message", "string"),
        ("source", _Struct((("component", "string"), ("host", "string")))),
        ("firstTimestamp", "time"),
        ("lastTimestamp", "time"),
        ("count", "int"),
        ("type", "string"),
        ("eventTime", "microtime"),
        ("series", _Struct((("count", "int"), ("lastObservedTime", "microtime")), "pointer")),
        ("action", "string"),
        ("related", _object_reference("pointer")),
        ("reportingComponent", "string!"),
        ("reportingInstance", "string!"),
    )
)


def _typed_event(item: dict[str, Any]) -> dict[str, Any]:
    # A list's items carry no kind; kubectl sets it before printing.
    return _encode_struct({**item, "kind": "Event", "apiVersion": "v1"}, _EVENT)


def _encode_struct(value: Any, struct: _Struct) -> dict[str, Any]:
    source = value if isinstance(value, dict) else {}
    out: dict[str, Any] = {}
    for name, codec in struct.fields:
        field = source.get(name)
        if isinstance(codec, _Struct):
            if codec.shape == "slice":
                if field:
                    out[name] = [_encode_struct(v, codec) for v in field]
            elif field is not None or codec.shape == "struct":
                out[name] = _encode_struct(field, codec)
            continue
        written, encoded = _encode_field(field, codec)
        if written:
            out[name] = encoded
    return out


def _encode_field(value: Any, codec: _Scalar | _Collection) -> tuple[bool, Any]:
    """(whether encoding/json writes the field, what it writes)."""
    if codec == "string!":
        return True, value or ""
    if codec == "pointer":
        return value is not None, value
    if codec in ("time", "microtime"):
        return True, _go_time(value, micro=codec == "microtime")
    if codec == "time?":
        encoded = _go_time(value, micro=False)
        return encoded is not None, encoded
    if codec == "*time":
        # A *Time that is set but zero still writes null; JSON null decodes as nil.
        return value is not None, _go_time(value, micro=False)
    if codec == "map":
        return bool(value), dict(sorted(value.items())) if value else value
    return bool(value), value  # string, int, strings: omitempty


def _go_time(text: Any, micro: bool) -> str | None:
    """metav1.Time (RFC 3339, whole seconds) or MicroTime (six decimals) as kubectl writes
    it, in UTC; None for Go's zero time."""
    moment = _parse(text)
    if moment is None:
        return None
    moment = moment.astimezone(UTC)
    fraction = f".{moment.microsecond:06d}" if micro else ""
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T"
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}{fraction}Z"
    )


def _parse(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    moment = parse_time(text)
    return None if moment is None or moment == GO_ZERO_TIME else moment


# --- sorting and printing ------------------------------------------------------------------


def _sort(events: list[dict[str, Any]]) -> None:
    """sort.Sort(SortableEvents): by the series' last observation, else lastTimestamp, else
    eventTime, with Go's unstable sort leaving ties where kubectl leaves them."""

    def seen(event: dict[str, Any]) -> datetime:
        series = event.get("series")
        if series is not None:
            moment = _parse(series.get("lastObservedTime"))
        else:
            moment = _parse(event.get("lastTimestamp")) or _parse(event.get("eventTime"))
        return moment or GO_ZERO_TIME

    keyed = [(seen(e), e) for e in events]
    go_sort(keyed, lambda a, b: a[0] < b[0])
    events[:] = [e for _, e in keyed]


def _rows(events: list[dict[str, Any]], all_namespaces: bool, now: float) -> list[list[str]]:
    """The event printer's lines. Raises Defer when a cell holds what the tabwriter would act
    on."""
    rows = []
    for event in events:
        involved = event["involvedObject"]
        row = [
            _interval(event, now),
            escape_terminal(event.get("type", "")),
            escape_terminal(event.get("reason", "")),
            escape_terminal(f"{involved.get('kind', '')}/{involved.get('name', '')}"),
            escape_terminal(event.get("message", "").strip(GO_SPACE)),
        ]
        if all_namespaces:
            row.insert(0, event["metadata"].get("namespace", ""))
        if any(c in cell for cell in row for c in _TABWRITER_CONTROLS):
            raise Defer("a cell holds a character kubectl's tabwriter acts on")
        rows.append(row)
    return rows


def _interval(event: dict[str, Any], now: float) -> str:
    """getInterval: when first seen, or `LAST (xCOUNT over FIRST)` for a repeated event."""
    first = since(event.get("eventTime") or event.get("firstTimestamp"), now)
    series = event.get("series")
    if series is not None:
        last = since(series.get("lastObservedTime"), now)
        return f"{last} (x{series.get('count', 0)} over {first})"
    count = event.get("count", 0)
    if count > 1:
        return f"{since(event.get('lastTimestamp'), now)} (x{count} over {first})"
    return first


def _event_list(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The corev1.EventList kubectl prints (struct order; its metadata stays empty)."""
    return {"kind": "EventList", "apiVersion": "v1", "metadata": {}, "items": events}


def _budget_hint(cut: Cut) -> str:
    return rest_hint(
        first_lines_fit(cut.lines),
        "events print oldest first, so the newest were cut. Narrow the list with --for "
        "KIND/NAME, --types Warning or -n NAMESPACE",
    )


def _table_answer(
    text: str, events: list[dict[str, Any]], header_lines: int, budget: int
) -> NativeAnswer:
    cut = cut_lines(text, budget)
    if not cut.truncated:
        return NativeAnswer(text, {"events": events})
    kept = events[: cut.rows(header_lines)]
    return NativeAnswer(cut.text, {"events": kept}, truncated=True, next=_budget_hint(cut))


def _objects_answer(output: str, events: list[dict[str, Any]], budget: int) -> NativeAnswer:
    """-o json|yaml, printed only as far as the budget reaches: `items` comes last in both the
    JSON (struct order) and the YAML (sorted keys), so up to its last event the text is the
    whole list's."""
    text, whole = print_growing(
        len(events),
        lambda count: _objects_text(output, events[:count]),
        lambda printed: len(printed) > budget + _CLOSING,
    )
    cut = cut_lines(text, budget)
    if whole and not cut.truncated:
        return NativeAnswer(text, {"events": events})
    return NativeAnswer(cut.text, None, truncated=True, next=_budget_hint(cut))


def _objects_text(output: str, events: list[dict[str, Any]]) -> str:
    listed = _event_list(events)
    if output == "json":
        return json_text(listed, sort_keys=False)  # tabs and the like are escaped
    text = go_yaml(listed)
    # kubectl writes it through its tabwriter too, which would pad at a raw tab (go-yaml
    # quotes and escapes such strings, but the text is not printed unless that held).
    if any(c in text for c in "\t\v\f"):
        raise Defer("a tab in the YAML")
    return text
