"""How `get` pages a list (native/kubectl/get.py `_fetch`): the page sizes it asks for, which do
not change the answer. Table rows without objects come 500 at a time; rows that carry their
objects' metadata (-A, labels), which decode to about 10 KB each, 100 at a time; -o json|yaml
start at 50 and grow; --chunk-size is what it says."""

from __future__ import annotations

from typing import Any, cast

import pytest

from adapters.kubernetes import Resource
from kube_ai_proxy.native.base import NativeContext
from kube_ai_proxy.native.kubectl.get import _fetch, _Request, _Section
from kube_ai_proxy.parse.clispec import CliSpecs
from kube_ai_proxy.parse.command import parse_command
from tests.fakes.kube import kube_of

POD = Resource("", "v1", "pods", "pod", "Pod", True)
PODS = 1200


class PagedAPI:
    """A list of PODS pods served page by page, with the `limit` of each request kept."""

    def __init__(self) -> None:
        self.limits: list[int] = []

    async def request(self, method: str, path: str, **options: Any) -> dict[str, Any]:
        query = dict(options["query"])
        limit, start = int(query["limit"]), int(query.get("continue") or 0)
        self.limits.append(limit)
        names = [f"pod-{i:04d}" for i in range(start, min(start + limit, PODS))]
        more = {"continue": str(start + limit)} if start + limit < PODS else {}
        if options["accept"].startswith("application/json;as=Table"):
            rows = [{"cells": [name], "object": {"metadata": {"name": name}}} for name in names]
            columns = [{"name": "Name", "type": "string", "format": "name", "priority": 0}]
            return {"kind": "Table", "columnDefinitions": columns, "rows": rows, "metadata": more}
        items = [{"metadata": {"name": name}} for name in names]
        return {"kind": "PodList", "apiVersion": "v1", "items": items, "metadata": more}


@pytest.mark.parametrize(
    ("line", "limits"),
    [
        ("kubectl get pods", [500, 500, 500]),
        ("kubectl get pods -A", [100] * 12),
        ("kubectl get pods --show-labels", [100] * 12),
        ("kubectl get pods -L app", [100] * 12),
        ("kubectl get pods -A --chunk-size=300", [300] * 4),
        ("kubectl get pods -o name", [500, 500, 500]),
        ("kubectl get pods -o json", [50, 200, 500, 500]),
    ],
)
async def test_page_sizes(line: str, limits: list[int]) -> None:
    command = parse_command(CliSpecs()["kubectl"], line.split()[1:])
    ctx = NativeContext(
        kube=kube_of(None), namespace="web", budget=10**9, allow_secrets=False, timeout=5
    )
    api = PagedAPI()
    output = command.value("output") or ""
    request = _Request(command, ctx, cast(Any, api), output, command.bool_flag("all-namespaces"))
    section = _Section(POD)
    assert await _fetch(request, section, []) == []
    assert api.limits == limits
    fetched = section.table["rows"] if section.table else section.objects
    assert len(fetched) == PODS
