"""Ties and boundaries in what `kubectl events` and `kubectl describe` print: events that
share a timestamp (sorted by Go's unstable sort.Sort, which both commands use over the API's
list order), ages at the ends of time.Duration's range and at Go's zero time, and label
selectors whose printed order kubectl itself leaves to chance.

The expected orders and texts are Go's: kubectl 1.35's events.SortableEvents (kubectl events)
and util/event.SortableEvents (describe) sorting the events `_events` builds, and
apimachinery's HumanDuration and LabelSelectorAsSelector."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kube_ai_proxy.errors import Defer
from kube_ai_proxy.gofmt.values import go_value
from kube_ai_proxy.native.base import NativeContext
from kube_ai_proxy.native.kubectl import events as kubectl_events
from kube_ai_proxy.native.kubectl.apimachinery import human_duration, selector_string, since
from kube_ai_proxy.native.kubectl.describers.parts import describe_events
from kube_ai_proxy.native.kubectl.printers import PrefixWriter
from kube_ai_proxy.parse.clispec import CliSpecs
from kube_ai_proxy.parse.command import parse_command
from tests.fakes.kube import kube_of

_BASE = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


def _time(seconds: int, micro: bool = False) -> str:
    moment = _BASE + timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + (".000000Z" if micro else "Z")


def _events() -> list[dict[str, Any]]:
    """Twenty events in the API's list order, most of them tied on when they were seen: by
    lastTimestamp, eventTime alone, or a series' last observation."""
    events = []
    for i in range(20):
        event: dict[str, Any] = {
            "metadata": {"name": f"e{i:02d}", "namespace": "web"},
            "involvedObject": {"kind": "Pod", "name": "p"},
            "reason": f"R{i:02d}",
            "message": "m",
            "type": "Normal",
        }
        shape = i % 5
        if shape in (0, 1):
            event["lastTimestamp"] = _time(i % 3)
        elif shape == 2:
            event["eventTime"] = _time(1, micro=True)
        elif shape == 3:
            event["lastTimestamp"] = _time(2)
            event["series"] = {"count": 2, "lastObservedTime": _time(1, micro=True)}
        else:
            event["lastTimestamp"] = _time(0)
        events.append(event)
    return events


# sort.Sort(events.SortableEvents(items)) and sort.Sort(event.SortableEvents(items)) in Go.
KUBECTL_EVENTS_ORDER = [9, 19, 15, 14, 4, 0, 6, 10, 8, 7, 12, 13, 3, 2, 16, 17, 18, 1, 5, 11]
DESCRIBE_ORDER = [12, 2, 17, 7, 19, 4, 15, 6, 14, 9, 0, 10, 16, 1, 11, 13, 8, 5, 3, 18]


class _EventList:
    async def request(self, method: str, path: str, **_: Any) -> Any:
        assert path == "/api/v1/namespaces/web/events"
        return {"kind": "EventList", "items": _events()}


def test_kubectl_events_leaves_tied_events_where_go_does() -> None:
    command = parse_command(CliSpecs()["kubectl"], ["events", "-n", "web", "-o", "json"])
    ctx = NativeContext(kube_of(_EventList()), "web", 1_000_000, False, 5)
    answer = asyncio.run(kubectl_events.native_events(command, ctx))
    printed = [item["metadata"]["name"] for item in json.loads(answer.output)["items"]]
    assert printed == [f"e{i:02d}" for i in KUBECTL_EVENTS_ORDER]


def test_describe_leaves_tied_events_where_go_does() -> None:
    w = PrefixWriter()
    describe_events(w, _events(), _BASE.timestamp() + 60)
    lines = w.text().splitlines()[3:]
    assert [line.split()[1] for line in lines] == [f"R{i:02d}" for i in DESCRIBE_ORDER]


def test_ages_saturate_where_time_duration_does() -> None:
    """time.Since saturates at the largest time.Duration: an age past 292 years is 292y."""
    assert human_duration(10**11) == "292y"
    assert human_duration((2**63 - 1) / 10**9) == "292y"
    assert since("0001-01-01T00:00:01Z", _BASE.timestamp()) == "292y"
    assert human_duration(252288000) == "8y"  # well inside the range: unchanged


def test_gos_zero_time_has_no_age() -> None:
    """metav1.Time.IsZero holds for the zero instant however it is written."""
    assert since("0001-01-01T00:00:00Z", _BASE.timestamp()) == "<unknown>"
    assert since("0001-01-01T00:00:00.000000Z", _BASE.timestamp()) == "<unknown>"


def _selector(labels: str) -> dict[str, Any]:
    return {
        "matchLabels": {key: "1" for key in labels},
        "matchExpressions": [
            {"key": "c", "operator": "Exists"},
            {"key": "c", "operator": "DoesNotExist"},
            {"key": "e", "operator": "In", "values": ["x"]},
            {"key": "a", "operator": "NotIn", "values": ["y"]},
        ],
    }


def test_a_selector_of_twelve_requirements_prints_as_kubectl_prints_it() -> None:
    """Up to twelve, Go's sort is an insertion sort: ties stay in their input order, which
    the map of matchLabels cannot change (its keys differ)."""
    assert selector_string(_selector("abcdefgh")) == (
        "a=1,a notin (y),b=1,c=1,c,!c,d=1,e=1,e in (x),f=1,g=1,h=1"
    )


def test_a_selector_kubectl_prints_in_a_random_order_goes_to_kubectl() -> None:
    """Fourteen requirements, ties on `a`, `c` and `e`: Go's pdqsort over matchLabels in map
    order printed 20 different strings in 200 runs of LabelSelectorAsSelector."""
    with pytest.raises(Defer):
        selector_string(_selector("abcdefghij"))


def test_integers_beyond_int64_print_as_the_float64_go_decoded() -> None:
    assert go_value([2**63, {"k": -(2**63) - 1}]) == (
        "[9.223372036854776e+18 map[k:-9.223372036854776e+18]]"
    )
    assert go_value(2**63 - 1) == "9223372036854775807"
