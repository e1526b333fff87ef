"""`get -o json|yaml` of a long list prints only as far as the output budget reaches, and what it
keeps is the whole list's text, character for character."""

from __future__ import annotations

from typing import Any, cast

import pytest

from kube_ai_proxy.gofmt.yaml import go_yaml
from kube_ai_proxy.native.base import NativeContext
from kube_ai_proxy.native.kubectl.get import _list_text, _Request
from kube_ai_proxy.native.kubectl.printers import json_text, list_object
from kube_ai_proxy.parse.clispec import CliSpecs
from kube_ai_proxy.parse.command import parse_command
from tests.fakes.kube import kube_of


def _pod(index: int) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": f"pod-{index:04d}",
            "namespace": "bench",
            "labels": {"app": "web", "tier": "a <b> & c"},
            "managedFields": [{"manager": "kubectl", "operation": "Update"}],
        },
        "spec": {"containers": [{"name": "app", "image": "app:1", "args": ["-v", "1"]}]},
        "status": {"phase": "Running", "podIP": f"10.0.{index // 250}.{index % 250}"},
    }


def _request(output: str, budget: int) -> _Request:
    command = parse_command(CliSpecs()["kubectl"], ["get", "pods", "-o", output])
    ctx = NativeContext(
        kube=kube_of(None), namespace="bench", budget=budget, allow_secrets=False, timeout=5
    )
    return _Request(command, ctx, cast(Any, None), output, all_namespaces=False)


def _whole(output: str, objects: list[dict[str, Any]]) -> str:
    printable = [
        {**o, "metadata": {k: v for k, v in o["metadata"].items() if k != "managedFields"}}
        for o in objects
    ]
    render = json_text if output == "json" else go_yaml
    return render(list_object(printable))


@pytest.mark.parametrize("output", ["json", "yaml"])
@pytest.mark.parametrize("budget", [1, 500, 5_000, 50_000])
def test_a_long_list_is_cut_where_the_whole_one_would_be(output: str, budget: int) -> None:
    objects = [_pod(i) for i in range(300)]
    text, value = _list_text(_request(output, budget), objects)
    whole = _whole(output, objects)
    assert len(text) > budget
    assert len(text) < len(whole)  # not everything was printed
    assert value is None
    assert whole.startswith(text[:budget])


@pytest.mark.parametrize("output", ["json", "yaml"])
def test_a_list_within_the_budget_is_printed_whole(output: str) -> None:
    objects = [_pod(i) for i in range(20)]
    text, value = _list_text(_request(output, 10_000_000), objects)
    assert text == _whole(output, objects)
    assert value is not None and len(value["items"]) == 20
