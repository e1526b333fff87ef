"""`get` tables cut to the output budget: the text is cut at whole lines, and the rows the data
holds are exactly those the kept text shows, whatever the budget: with headers or without, one
table or several (a header each, and a blank line between them when they have headers), wide,
across namespaces, and with a header that takes more than one line."""

from __future__ import annotations

import re
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
            {"cells": cells, "object": {"metadata": {"name": cells[0], "namespace": "web"}}}
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


def _answer(words: list[str], budget: int) -> NativeAnswer:
    command = parse_command(CliSpecs()["kubectl"], words)
    ctx = NativeContext(
        kube=kube_of(None), namespace="web", budget=budget, allow_secrets=False, timeout=5
    )
    output = command.value("output") or ""
    request = _Request(command, ctx, cast(Any, None), output, command.bool_flag("all-namespaces"))
    return _render_tables(request, _sections(words[1]))


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


@pytest.mark.parametrize("words", COMMANDS, ids=" ".join)
def test_the_data_holds_the_rows_the_kept_text_shows(words: list[str]) -> None:
    whole = _answer(words, 1_000_000)
    assert not whole.truncated
    assert whole.data is not None
    assert [r["name"] for r in whole.data["rows"]] == _names_shown(whole.output)
    for budget in range(1, len(whole.output)):
        answer = _answer(words, budget)
        assert answer.truncated
        assert answer.output == cut_lines(whole.output, budget).text
        assert answer.data is not None
        kept = [r["name"] for r in answer.data["rows"]]
        assert kept == _names_shown(answer.output), f"budget {budget}"


def test_a_second_table_starts_after_a_blank_line() -> None:
    """The budget that keeps the first table and the second's header keeps no service."""
    whole = _answer(["get", "pods,services"], 1_000_000).output
    first_service = whole.index("svc-000")
    budget = whole.rindex("\n", 0, first_service) + 1
    answer = _answer(["get", "pods,services"], budget)
    assert answer.output.endswith("pod-005   Running\n\nNAME              TYPE        PORT(S)\n")
    assert answer.data is not None
    assert [r["name"] for r in answer.data["rows"]] == [f"pod-{i:03d}" for i in range(6)]
