"""`kubectl get` tables where kubectl's printing turns on order, ties and boundaries: which
tables a command prints and in what order, when names carry their kind, the blank line
between tables, cells that are not plain text, and columns that do not line up.

The expected texts are what kubectl 1.35's own printers printed for the same server tables
(the Tables `FakeKube` serves, in the order kubectl's builder fetches them): k8s.io/kubectl's
get.TablePrinter over cli-runtime's HumanReadablePrinter, through the printing loop of
get.go's Run (printers.GetNewTabWriter, a new printer and remembered widths reset per
resource, the separator line), and liggitt/tabwriter for `tabwrite`."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest

from adapters.errors import BackendError
from adapters.kubernetes import JSON, TABLE, Discovery, Resource
from kube_ai_proxy.errors import Defer
from kube_ai_proxy.native.base import NativeAnswer, NativeContext
from kube_ai_proxy.native.kubectl.get import can_serve, native_get
from kube_ai_proxy.native.kubectl.printers import cell_text, tabwrite
from kube_ai_proxy.parse.clispec import CliSpecs
from kube_ai_proxy.parse.command import parse_command
from tests.fakes.kube import kube_of

POD = Resource("", "v1", "pods", "pod", "Pod", True, short_names=("po",), categories=("all",))
SVC = Resource(
    "", "v1", "services", "service", "Service", True, short_names=("svc",), categories=("all",)
)
WIDGET = Resource("example.com", "v1", "widgets", "widget", "Widget", True)
# A custom resource whose category shares its name with a resource type.
GADGET = Resource("example.com", "v1", "gadgets", "gadget", "Gadget", True, categories=("widget",))


def _column(name: str, kind: str = "string", fmt: str = "", priority: int = 0) -> dict[str, Any]:
    return {"name": name, "type": kind, "format": fmt, "description": "", "priority": priority}


POD_COLUMNS = [
    _column("Name", fmt="name"),
    _column("Ready"),
    _column("Status"),
    _column("Restarts", "string"),
    _column("Age"),
    _column("IP", priority=1),
]
SVC_COLUMNS = [
    _column("Name", fmt="name"),
    _column("Type"),
    _column("Cluster-IP"),
    _column("External-IP"),
    _column("Port(s)"),
    _column("Age"),
]
WIDGET_COLUMNS = [
    _column("Name", fmt="name"),
    _column("Note"),
    _column("Count", "integer"),
    _column("Ratio", "number"),
    _column("Tags"),
    _column("Ready", "boolean"),
    _column("Age", "date"),
]


def _row(cells: Sequence[Any], name: str, namespace: str = "web") -> dict[str, Any]:
    return {
        "cells": list(cells),
        "object": {
            "kind": "PartialObjectMetadata",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": {"name": name, "namespace": namespace},
        },
    }


def _table(columns: list[dict[str, Any]], rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": "7"},
        "columnDefinitions": columns,
        "rows": rows,
    }


PODS = [
    _row(["a", "1/1", "Running", "0", "5m", "10.0.0.1"], "a"),
    _row(["b-longer-name", "0/1", "Pending", "12", "2d", "<none>"], "b-longer-name"),
    _row(["c", "1/1", "Running", "3 (2m ago)", "9h", "10.0.0.3"], "c"),
]
SERVICES = [
    _row(["kubernetes", "ClusterIP", "10.96.0.1", "<none>", "443/TCP", "40d"], "kubernetes"),
    _row(["b", "NodePort", "10.96.8.8", "<none>", "80:30080/TCP", "1h"], "b"),
]
WIDGETS = [
    # A tab inside a cell makes a column of its own in Go's tabwriter; the width it takes
    # is remembered for the later rows (RememberWidths).
    _row(
        ["w1", "first\tline\nsecond", 10**19, 1234567.5, ["a", 1, None], True, "1s"],
        "w1",
    ),
    _row(["w-two", None, -3, 0.5, {"b": 1, "a": "x"}, False, "3d"], "w-two"),
    _row(["w3", "ab\tc", 2**63 - 1, 1e21, [], None, "\x1b[31mred"], "w3"),
]


class FakeKube:
    """The API calls `get` makes: discovery, and Tables of what `lists` holds."""

    def __init__(self, lists: dict[str, list[dict[str, Any]]]) -> None:
        self.lists = lists
        self.discovered = Discovery([POD, SVC, WIDGET, GADGET])
        self.paths: list[str] = []

    async def discovery(self, refresh: bool = False) -> Discovery:
        return self.discovered

    async def resolve(self, name: str) -> Resource:
        found = self.discovered.resolve(name)
        if found is None:
            raise BackendError("not_found", f'the server doesn\'t have a resource type "{name}"')
        return found

    async def request(self, method: str, path: str, accept: str = JSON, **_: Any) -> Any:
        self.paths.append(path)
        for resource in self.discovered.resources:
            base = resource.path("web")
            columns = {"pods": POD_COLUMNS, "services": SVC_COLUMNS}.get(
                resource.plural, WIDGET_COLUMNS
            )
            rows = self.lists.get(resource.plural, [])
            if path.startswith(base + "/"):
                name = path.removeprefix(base + "/")
                rows = [r for r in rows if r["object"]["metadata"]["name"] == name]
                if not rows:
                    raise BackendError("not_found", f'{resource.plural} "{name}" not found')
            elif path != base:
                continue
            if accept == TABLE:
                return _table(columns, rows)
            objects = [
                {
                    "apiVersion": resource.group_version,
                    "kind": resource.kind,
                    "metadata": r["object"]["metadata"],
                }
                for r in rows
            ]
            return objects[0] if path != base else {"kind": "List", "items": objects}
        raise AssertionError(f"unexpected request {path}")


def _get(words: str, lists: dict[str, list[dict[str, Any]]]) -> tuple[NativeAnswer, FakeKube]:
    command = parse_command(CliSpecs()["kubectl"], ["get", *words.split()])
    assert can_serve(command), words
    api = FakeKube(lists)
    ctx = NativeContext(
        kube=kube_of(api), namespace="web", budget=100_000, allow_secrets=False, timeout=5
    )
    return asyncio.run(native_get(command, ctx)), api


def test_an_empty_list_still_counts_as_a_kind_fetched() -> None:
    """`get pods,svc` with no pods: kubectl fetched two kinds, so the services carry theirs
    (as `get all` prints `service/kubernetes` in a namespace holding only that)."""
    answer, _ = _get("pods,svc", {"services": SERVICES})
    assert answer.output == (
        "NAME                 TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)        AGE\n"
        "service/kubernetes   ClusterIP   10.96.0.1    <none>        443/TCP        40d\n"
        "service/b            NodePort    10.96.8.8    <none>        80:30080/TCP   1h\n"
    )


def test_tables_without_headers_are_not_parted_by_a_blank_line() -> None:
    answer, _ = _get("pods,svc --no-headers", {"pods": PODS, "services": SERVICES})
    assert answer.output == (
        "pod/a               1/1   Running   0            5m\n"
        "pod/b-longer-name   0/1   Pending   12           2d\n"
        "pod/c               1/1   Running   3 (2m ago)   9h\n"
        "service/kubernetes   ClusterIP   10.96.0.1   <none>   443/TCP        40d\n"
        "service/b            NodePort    10.96.8.8   <none>   80:30080/TCP   1h\n"
    )


def test_tables_with_headers_are_parted_by_a_blank_line() -> None:
    answer, _ = _get("pods,svc", {"pods": PODS, "services": SERVICES})
    assert answer.output == (
        "NAME                READY   STATUS    RESTARTS     AGE\n"
        "pod/a               1/1     Running   0            5m\n"
        "pod/b-longer-name   0/1     Pending   12           2d\n"
        "pod/c               1/1     Running   3 (2m ago)   9h\n"
        "\n"
        "NAME                 TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)        AGE\n"
        "service/kubernetes   ClusterIP   10.96.0.1    <none>        443/TCP        40d\n"
        "service/b            NodePort    10.96.8.8    <none>        80:30080/TCP   1h\n"
    )


def test_type_name_pairs_print_in_the_order_given() -> None:
    """kubectl visits TYPE/NAME arguments one by one; a new kind starts a new table, even
    one printed before."""
    answer, api = _get("pod/c svc/b pod/a", {"pods": PODS, "services": SERVICES})
    assert api.paths == [
        "/api/v1/namespaces/web/pods/c",
        "/api/v1/namespaces/web/services/b",
        "/api/v1/namespaces/web/pods/a",
    ]
    assert answer.output == (
        "NAME    READY   STATUS    RESTARTS     AGE\n"
        "pod/c   1/1     Running   3 (2m ago)   9h\n"
        "\n"
        "NAME        TYPE       CLUSTER-IP   EXTERNAL-IP   PORT(S)        AGE\n"
        "service/b   NodePort   10.96.8.8    <none>        80:30080/TCP   1h\n"
        "\n"
        "NAME    READY   STATUS    RESTARTS   AGE\n"
        "pod/a   1/1     Running   0          5m\n"
    )


def test_a_missing_name_does_not_split_a_table() -> None:
    """The missing service prints nothing; the pods on either side share one table, and only
    one kind was found, so no name carries its kind."""
    answer, _ = _get("pod/c svc/missing pods/a", {"pods": PODS, "services": SERVICES})
    assert answer.output == (
        "NAME   READY   STATUS    RESTARTS     AGE\n"
        "c      1/1     Running   3 (2m ago)   9h\n"
        "a      1/1     Running   0            5m\n"
    )
    assert answer.stderr == 'Error from server (NotFound): services "missing" not found'


def test_types_with_names_are_pairs() -> None:
    """`get pods,svc b` is `get pods/b svc/b`: kind by kind, each table with its kind."""
    pods = [_row(["b", "1/1", "Running", "0", "1m", "10.0.0.9"], "b")]
    answer, api = _get("pods,svc b", {"pods": pods, "services": SERVICES})
    assert api.paths == ["/api/v1/namespaces/web/pods/b", "/api/v1/namespaces/web/services/b"]
    assert answer.output == (
        "NAME    READY   STATUS    RESTARTS   AGE\n"
        "pod/b   1/1     Running   0          1m\n"
        "\n"
        "NAME        TYPE       CLUSTER-IP   EXTERNAL-IP   PORT(S)        AGE\n"
        "service/b   NodePort   10.96.8.8    <none>        80:30080/TCP   1h\n"
    )


@pytest.mark.parametrize("types", ["pods,po", "po,pods,pods", "all,pods"])
def test_a_kind_named_twice_is_listed_once(types: str) -> None:
    answer, api = _get(types, {"pods": PODS})
    assert api.paths.count("/api/v1/namespaces/web/pods") == 1
    assert answer.output.count("b-longer-name") == 1


def test_a_repeated_type_with_one_name_prints_the_object_not_a_list() -> None:
    """`pods,pods` is one type to kubectl (SplitResourceArgument), so one name is one object."""
    pods = [_row(["b", "1/1", "Running", "0", "1m", "10.0.0.9"], "b")]
    answer, _ = _get("pods,pods b -o json", {"pods": pods})
    assert answer.output == (
        '{\n    "apiVersion": "v1",\n    "kind": "Pod",\n    "metadata": {\n'
        '        "name": "b",\n        "namespace": "web"\n    }\n}\n'
    )


def test_a_category_wins_over_a_type_of_its_name() -> None:
    """kubectl expands categories first: `widget` here is the gadgets' category."""
    answer, api = _get("widget", {"widgets": WIDGETS, "gadgets": []})
    assert api.paths == ["/apis/example.com/v1/namespaces/web/gadgets"]
    assert answer.output == ""
    assert answer.stderr == "No resources found in web namespace."


@pytest.mark.parametrize(
    "words",
    [
        "all b",  # "you must specify only one resource"
        "pods b -A",  # "a resource cannot be retrieved by name across all namespaces"
        "pod/b -A",
    ],
)
def test_what_kubectl_refuses_in_its_own_words_goes_to_kubectl(words: str) -> None:
    with pytest.raises(Defer):
        _get(words, {"pods": PODS})


@pytest.mark.parametrize("words", ["pods,", ",pods", "pod/a/b", "/a", "pod/", "pods,svc/a"])
def test_malformed_types_are_kubectls_to_report(words: str) -> None:
    assert not can_serve(parse_command(CliSpecs()["kubectl"], ["get", *words.split()]))


def test_an_unknown_dotted_type_is_named_as_kubectl_names_it() -> None:
    answer, _ = _get("widget.v9.nowhere", {})
    assert answer.stderr == 'error: the server doesn\'t have a resource type "widget"'


def test_cells_print_as_kubectls_table_printer_prints_them() -> None:
    """A string up to its first line break ("..." after it), a tab splitting the cell; null
    as nothing; numbers, lists and maps as Go's %v of what it decoded (an integer beyond int64
    is a float64 to Go); escape characters made visible."""
    answer, _ = _get("widgets", {"widgets": WIDGETS})
    assert answer.output == (
        "NAME    NOTE    COUNT     RATIO                 TAGS            READY         AGE\n"
        "w1      first   line...   1e+19                 1.2345675e+06   [a 1 <nil>]   true   1s\n"
        "w-two           -3        0.5                   map[a:x b:1]    false         3d\n"
        "w3      ab      c         9223372036854775807   1e+21           []"
        "                   ^[[31mred\n"
    )


def test_cell_text_boundaries() -> None:
    assert cell_text(None) == ""
    assert cell_text("a\r\nb") == "a..."
    assert cell_text("a\fb") == "a..."
    assert cell_text(2**63) == "9.223372036854776e+18"
    assert cell_text(-(2**63)) == "-9223372036854775808"
    assert cell_text(1000000.0) == "1e+06"
    assert cell_text(123456.0) == "123456"
    assert cell_text({"k": ["\x1b", 1.5]}) == "map[k:[^[ 1.5]]"


def test_a_column_is_aligned_block_by_block_and_never_narrows() -> None:
    """Go's tabwriter aligns a column within each run of lines that have it; kubectl's
    (RememberWidths) never makes a later run narrower than an earlier one, while an earlier
    run is printed before a later one widens the column (both as Go prints them)."""
    narrow_first = [["a", "d", "z"], ["b", "y"], ["c", "long-cell-here", "x"]]
    assert tabwrite(narrow_first) == "a     d     z\nb     y\nc     long-cell-here   x\n"
    wide_first = [["a", "long-cell-here", "x"], ["b", "y"], ["c", "d", "z"]]
    assert tabwrite(wide_first) == "a     long-cell-here   x\nb     y\nc     d                z\n"


def test_a_header_go_does_not_upper_case_as_python_does_goes_to_kubectl() -> None:
    """strings.ToUpper("Größe") is "GRößE"; Python's upper() would print "GRÖSSE"."""

    class Odd(FakeKube):
        async def request(self, method: str, path: str, accept: str = JSON, **_: Any) -> Any:
            columns = [_column("Name", fmt="name"), _column("Größe")]
            return _table(columns, [_row(["w", "1"], "w")])

    command = parse_command(CliSpecs()["kubectl"], ["get", "widgets"])
    ctx = NativeContext(
        kube=kube_of(Odd({})), namespace="web", budget=100_000, allow_secrets=False, timeout=5
    )
    with pytest.raises(Defer):
        asyncio.run(native_get(command, ctx))
