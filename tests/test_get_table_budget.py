"""`get` tables cut to the output budget: the text is cut at whole lines, the rows the data
holds are exactly those the kept text shows, and the data, as the result sends it, stays within
the budget too (the text then shows no more rows than the data holds), whatever the budget:
with headers or without, one table or several (a header each, and a blank line between them
when they have headers), wide, across namespaces, and with a header that takes more than one
line. And the data's shape: a table per kind, with the columns the text shows and rows of
cells."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, cast

import pytest

from adapters.kubernetes import Resource
from kube_ai_proxy.native.base import NativeAnswer, NativeContext
from kube_ai_proxy.native.kubectl.get import _render_tables, _Request, _Section
from kube_ai_proxy.output.budget import cut_lines
from kube_ai_proxy.parse.clispec import CliSpecs
from kube_ai_proxy.parse.command import parse_command
from tests.fakes.kube import kube_of

POD = Resource("", "v1", "pods", "pod", "Pod", True)
SVC = Resource("", "v1", "services", "service", "Service", True)

# Every object's name, as its row shows it (after a kind prefix or a namespace, if any).
NAME = re.compile(r"\b(?:pod|svc)-\d{3}\b")


def _column(name: str, fmt: str = "", priority: int = 0) -> dict[str, Any]:
    return {"name": name, "type": "string", "format": fmt, "description": "", "priority": priority}


def _table(columns: list[dict[str, Any]], rows: list[list[str]]) -> dict[str, Any]:
    return {
        "columnDefinitions": columns,
        "rows": [
            {
                "cells": cells,
                "object": {
                    "metadata": {
                        "name": cells[0],
                        "namespace": "web",
                        "labels": {"team": "a", "team\nlead": "b"},
                    }
                },
            }
            for cells in rows
        ],
    }


def _sections(types: str) -> list[_Section]:
    pods = _table(
        [_column("Name", "name"), _column("Status"), _column("IP", priority=1)],
        [[f"pod-{i:03d}", "Running", f"10.0.0.{i}"] for i in range(6)],
    )
    services = _table(
        [_column("Name", "name"), _column("Type"), _column("Port(s)")],
        [[f"svc-{i:03d}", "ClusterIP", f"{80 + i}/TCP"] for i in range(4)],
    )
    tables = {"pods": (POD, pods), "services": (SVC, services)}
    return [_Section(tables[t][0], tables[t][1]) for t in types.split(",")]


def _answers(words: list[str]) -> Callable[[int], NativeAnswer]:
    """The answer to `words` at a budget (the command parsed once: its spec takes long to load)."""
    command = parse_command(CliSpecs()["kubectl"], words)
    output = command.value("output") or ""

    def answer(budget: int) -> NativeAnswer:
        ctx = NativeContext(
            kube=kube_of(None), namespace="web", budget=budget, allow_secrets=False, timeout=5
        )
        all_namespaces = command.bool_flag("all-namespaces")
        request = _Request(command, ctx, cast(Any, None), output, all_namespaces)
        return _render_tables(request, _sections(words[1]))

    return answer


def _answer(words: list[str], budget: int) -> NativeAnswer:
    return _answers(words)(budget)


def _names_shown(text: str) -> list[str]:
    """The objects whose row the text shows whole (its line ended by its newline)."""
    shown = []
    for line in text.splitlines(keepends=True):
        found = NAME.search(line)
        if found and line.endswith("\n"):
            shown.append(found.group(0))
    return shown


COMMANDS = [
    ["get", "pods"],
    ["get", "pods", "--no-headers"],
    ["get", "pods,services"],
    ["get", "pods,services", "--no-headers"],
    ["get", "pods,services", "-o", "wide"],
    ["get", "pods,services", "-o", "wide", "--no-headers"],
    ["get", "pods,services", "-A"],
    # A label column's name may hold a line break: the header then takes two lines.
    ["get", "pods,services", "-L", "team\nlead"],
]


def _names(data: dict[str, Any]) -> list[str]:
    """The objects the data holds a row of, in order."""
    return [
        row[table["columns"].index("Name")] for table in data["tables"] for row in table["rows"]
    ]


def _size(data: dict[str, Any]) -> int:
    """The data's characters as a result sends it."""
    return len(json.dumps(data, separators=(",", ":"), ensure_ascii=False))


def _first_rows(data: dict[str, Any], count: int) -> dict[str, Any]:
    tables = []
    for table in data["tables"]:
        if count > 0:
            tables.append({**table, "rows": table["rows"][:count]})
        count -= len(table["rows"])
    return {"tables": tables}


@pytest.mark.parametrize("words", COMMANDS, ids=" ".join)
def test_the_data_holds_the_rows_the_kept_text_shows(words: list[str]) -> None:
    answer_at = _answers(words)
    whole = answer_at(1_000_000)
    assert not whole.truncated
    assert whole.data is not None
    assert _names(whole.data) == _names_shown(whole.output)
    cut_by_data = 0
    for budget in range(1, len(whole.output) + _size(whole.data)):
        answer = answer_at(budget)
        assert answer.data is not None
        kept, shown = _names(answer.data), _names_shown(answer.output)
        # A row whose data alone passes the budget is shown without it.
        assert kept == shown or (not kept and len(shown) == 1), f"budget {budget}"
        assert answer.data == _first_rows(whole.data, len(kept))
        assert not kept or _size(answer.data) <= budget, f"budget {budget}"
        by_text = cut_lines(whole.output, budget)
        assert answer.truncated == (answer.output != whole.output or kept != shown)
        if answer.output != by_text.text:
            # Cut where the data passes the budget: one more row's would not have fit.
            cut_by_data += 1
            assert by_text.text.startswith(answer.output) and answer.output.endswith("\n")
            assert _size(_first_rows(whole.data, len(kept) + 1)) > budget, f"budget {budget}"
    assert cut_by_data > 0  # the data's cut was reached, not only the text's


def test_a_row_whose_data_alone_passes_the_budget_is_shown_without_it() -> None:
    command = parse_command(CliSpecs()["kubectl"], ["get", "pods"])
    # The text (106 characters) fits; the data of its row with its table (193) does not.
    ctx = NativeContext(
        kube=kube_of(None), namespace="web", budget=150, allow_secrets=False, timeout=5
    )
    one = _table([_column("Name", "name"), _column("Note")], [["pod-000", "x" * 80]])
    request = _Request(command, ctx, cast(Any, None), "", False)
    answer = _render_tables(request, [_Section(POD, one)])
    assert answer.output == "NAME      NOTE\npod-000   " + "x" * 80 + "\n"
    assert answer.data == {"tables": []}
    assert answer.truncated and answer.next


def test_the_data_has_the_columns_the_text_shows() -> None:
    data = _answer(["get", "pods,services"], 1_000_000).data
    assert data is not None
    pods, services = data["tables"]
    assert {k: v for k, v in pods.items() if k != "rows"} == {
        "kind": "Pod",
        "apiVersion": "v1",
        "namespace": "web",
        "columns": ["Name", "Status"],
    }
    assert pods["rows"][0] == ["pod-000", "Running"]
    assert services["kind"] == "Service" and services["columns"] == ["Name", "Type", "Port(s)"]
    assert services["rows"][3] == ["svc-003", "ClusterIP", "83/TCP"]
    wide = _answer(["get", "pods", "-o", "wide"], 1_000_000).data
    assert wide is not None
    assert wide["tables"][0]["columns"] == ["Name", "Status", "IP"]
    assert wide["tables"][0]["rows"][0] == ["pod-000", "Running", "10.0.0.0"]


def test_the_data_has_the_namespace_and_label_columns_the_text_shows() -> None:
    everywhere = _answer(
        ["get", "pods", "-A", "-L", "team", "--show-labels", "-o", "wide"], 1_000_000
    )
    assert everywhere.data is not None
    (pods,) = everywhere.data["tables"]
    assert "namespace" not in pods
    assert pods["columns"] == ["Namespace", "Name", "Status", "IP", "team", "Labels"]
    labels = {"team": "a", "team\nlead": "b"}
    assert pods["rows"][1] == ["web", "pod-001", "Running", "10.0.0.1", "a", labels]
