"""The ports of Go's printing machinery behind `kubectl describe`, against what Go itself makes of
the same inputs (tests/data/describe-go-vectors.json, printed by describe_go_vectors.go):
text/tabwriter, sort.Slice's unstable order, %v of floats, HumanDuration, resource.Quantity,
label selectors. And the describers' own helpers, on kubectl's documented behaviour."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from kube_ai_proxy.errors import Defer
from kube_ai_proxy.gofmt.numbers import format_float
from kube_ai_proxy.gofmt.sort import go_sort
from kube_ai_proxy.gofmt.tabwriter import TabWriter
from kube_ai_proxy.gofmt.text import go_quote, go_trim_space
from kube_ai_proxy.gofmt.times import rfc1123z
from kube_ai_proxy.gofmt.values import go_value
from kube_ai_proxy.native.kubectl.apimachinery import (
    Quantity,
    human_duration,
    selector_string,
    since,
)
from kube_ai_proxy.native.kubectl.describe import can_serve
from kube_ai_proxy.native.kubectl.describers.generic import camel_split, smart_label
from kube_ai_proxy.native.kubectl.describers.parts import print_annotations, print_labels
from kube_ai_proxy.native.kubectl.printers import PrefixWriter
from kube_ai_proxy.parse.clispec import CliSpecs
from kube_ai_proxy.parse.plan import plan

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parent / "data" / "describe-go-vectors.json").read_text()
)
FLUSH = "\x00FLUSH"


@pytest.mark.parametrize("case", VECTORS["tabwriter"])
def test_tabwriter_aligns_as_go(case: dict[str, Any]) -> None:
    writer = TabWriter()
    for text in case["writes"]:
        if text == FLUSH:
            writer.flush()
        else:
            writer.write(text)
    assert writer.text() == case["output"]


@pytest.mark.parametrize("case", VECTORS["sort"], ids=lambda c: f"n={len(c['keys'])}")
def test_sort_leaves_ties_where_go_does(case: dict[str, Any]) -> None:
    keys = case["keys"]
    order = list(range(len(keys)))
    go_sort(order, lambda a, b: keys[a] < keys[b])
    assert order == case["order"]


def test_floats_print_as_go_prints_them() -> None:
    floats = VECTORS["floats"]
    assert [format_float(f) for f in floats["inputs"]] == floats["outputs"]


def test_durations_read_as_kubectl_reads_them() -> None:
    durations = VECTORS["durations"]
    assert [human_duration(s) for s in durations["seconds"]] == durations["outputs"]


@pytest.mark.parametrize("case", VECTORS["quantities"], ids=lambda c: "+".join(c["inputs"]))
def test_quantities_add_and_print_as_go(case: dict[str, Any]) -> None:
    parsed = [Quantity.parse(text) for text in case["inputs"]]
    assert [str(q) for q in parsed] == case["each"]
    total = parsed[0]
    for q in parsed[1:]:
        total = total.add(q)
    assert str(total) == case["sum"]
    if abs(total.value) * 1000 >= 2**63:  # Go's int64 overflows: kubectl is left to say it
        with pytest.raises(Defer):
            total.milli_value()
        return
    assert total.milli_value() == case["milli"]
    assert total.value_int() == case["value"]


@pytest.mark.parametrize("case", VECTORS["selectors"])
def test_label_selectors_print_as_go(case: dict[str, Any]) -> None:
    assert selector_string(case["selector"]) == case["string"]


def test_the_zero_quantity() -> None:
    assert str(Quantity()) == "0"
    assert Quantity().add(Quantity.parse("1Gi")).format == "BinarySI"
    assert Quantity.parse("1.5").value == Fraction(3, 2)
    with pytest.raises(Defer):
        Quantity.parse("lots")


def test_values_print_as_fmt_v() -> None:
    assert go_value(None) == "<nil>"
    assert go_value(True) == "true"
    assert go_value([1, "a", 1.5]) == "[1 a 1.5]"
    assert go_value({"b": 1, "a": [2]}) == "map[a:[2] b:1]"
    assert go_quote('a"b\\c\nd\x1b') == '"a\\"b\\\\c\\nd\\x1b"'


@pytest.mark.usefixtures("utc")
def test_times_print_as_rfc1123z() -> None:
    assert rfc1123z("2026-11-26T01:36:52Z") == "Thu, 26 Nov 2026 01:36:52 +0000"
    assert rfc1123z(None) == "Mon, 01 Jan 0001 00:00:00 +0000"  # Go's zero time
    assert rfc1123z("2026-11-26T01:36:52.123456Z") == "Thu, 26 Nov 2026 01:36:52 +0000"


def test_ages_of_missing_times_are_unknown() -> None:
    assert since(None, 0) == "<unknown>"
    assert since("", 0) == "<unknown>"
    assert since("1970-01-01T00:02:00Z", 120 + 61) == "61s"


@pytest.mark.parametrize(
    ("field", "label"),
    [
        ("apiVersion", "API Version"),
        ("creationTimestamp", "Creation Timestamp"),
        ("uid", "UID"),
        ("podIP", "Pod Ip"),  # cases.Title: only the listed acronyms stay upper case
        ("URLs", "Ur Ls"),  # camelcase.Split moves the last capital to the next word
        ("logsFile", "Logs File"),
        ("matchNames", "Match Names"),
        ("my-field", "My - Field"),
        ("field_with_underscore", "field_with_underscore"),
        ("v1beta1", "v1beta1"),
    ],
)
def test_generic_describer_labels(field: str, label: str) -> None:
    assert smart_label(field) == label


def test_camel_split() -> None:
    assert camel_split("HTTPServerName") == ["HTTP", "Server", "Name"]
    assert camel_split("lowerCase") == ["lower", "Case"]


def test_trim_space_is_gos() -> None:
    assert go_trim_space("\x1c message \n") == "\x1c message"  # Python's strip() would eat \x1c


def _printed(write: Any) -> str:
    w = PrefixWriter()
    write(w)
    return w.text()


def test_labels_and_annotations_print_as_kubectl() -> None:
    assert _printed(lambda w: print_labels(w, "Labels", {})) == "Labels:  <none>\n"
    assert _printed(lambda w: print_labels(w, "Labels", {"b": "2", "a": "1"})) == (
        "Labels:  a=1\n         b=2\n"
    )
    long = "x" * 200
    annotations = {
        "kubectl.kubernetes.io/last-applied-configuration": "{}",  # never shown
        "long": long,
        "multi": "one\ntwo\n",
    }
    assert _printed(lambda w: print_annotations(w, "Annotations", annotations)) == (
        f"Annotations:  long:\n                {'x' * 138}...\n"
        "              multi:\n                one\n                two\n"
    )


@pytest.mark.parametrize(
    ("line", "served"),
    [
        ("kubectl describe pods", True),
        ("kubectl describe pod web -n x", True),
        ("kubectl describe pod/web svc/web", True),
        ("kubectl describe pods -A -l app=web --show-events=false --chunk-size=10", True),
        ("kubectl describe svc,cm", True),
        ("kubectl describe", False),  # kubectl's own error
        ("kubectl describe pod/web web", False),  # mixed forms: kubectl's own error
        ("kubectl describe pod web -l app=web", False),  # names with a selector
        ("kubectl describe pod web -A", False),  # names across namespaces
        ("kubectl describe pod,svc web", False),  # several types with names
        ("kubectl describe pod/", False),
        ("kubectl describe -f -", False),
        ("kubectl describe pods --show-events=0", False),  # a spelling not mapped here
        ("kubectl describe pods --chunk-size=-1", False),
        ("kubectl get pods", False),
    ],
)
def test_which_commands_are_served(line: str, served: bool) -> None:
    assert can_serve(plan(CliSpecs(), "kubectl", line).command) is served
