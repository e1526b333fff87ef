"""kubectl's printers (k8s.io/cli-runtime/pkg/printers and kubectl describe's PrefixWriter):
tables, JSON, YAML and names as kubectl prints API data, built on gofmt's ports.

Tables follow kubectl's table printer: liggitt/tabwriter with minimum width 6, padding 3,
spaces and RememberWidths, header names upper-cased, the last column unpadded. JSON follows
Go's `json.MarshalIndent` over an unstructured object: keys sorted, four spaces, HTML
characters escaped. YAML follows sigs.k8s.io/yaml (gofmt.yaml). Descriptions go through a
PrefixWriter into Go's text/tabwriter (minwidth 0, padding 2, spaces).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from kube_ai_proxy.gofmt.json import escape_html
from kube_ai_proxy.gofmt.tabwriter import TabWriter, table, table_prefix
from kube_ai_proxy.gofmt.text import escape_terminal
from kube_ai_proxy.gofmt.values import go_value

_MIN_WIDTH = 6
# What cell_text changes in a string: a line break cuts it, escapes are made visible.
_NEEDS_CARE = re.compile("[\f\n\r\x1b]")
_PADDING = 3


def cell_text(value: Any) -> str:
    """A server-side table cell as kubectl's table printer writes it (printers.printTable): a
    string up to its first line break, with "..." when cut there; any other value as fmt's %v
    of what Go decoded from the JSON; both with terminal escapes made visible. A null cell
    prints nothing."""
    if value is None:
        return ""
    if isinstance(value, str):
        if not _NEEDS_CARE.search(value):
            return value  # most cells: one scan instead of five
        breaks = [i for i in (value.find(c) for c in "\f\n\r") if i >= 0]
        if breaks:
            return escape_terminal(value[: min(breaks)]) + "..."
        return escape_terminal(value)
    return escape_terminal(go_value(value))


def tabwrite(rows: Sequence[Sequence[str]]) -> str:
    """Rows written as tab-separated lines to kubectl's printers.GetNewTabWriter (minimum
    width 6, padding 3, spaces, RememberWidths), flushed once. A cell holding a tab or a
    line break splits where Go's tabwriter splits it."""
    return table(rows, minwidth=_MIN_WIDTH, padding=_PADDING, remember_widths=True)


def tabwrite_prefix(rows: Sequence[Sequence[str]], limit: int) -> tuple[str, int]:
    """`tabwrite`, stopped once past `limit` characters (table_prefix): the text and how many
    rows it holds."""
    return table_prefix(rows, _MIN_WIDTH, _PADDING, remember_widths=True, limit=limit)


def json_text(value: Any, *, sort_keys: bool = True) -> str:
    """json.MarshalIndent(value, "", "    "): map keys sorted, or (sort_keys=False, for a
    typed Go object) the struct's field order as `value` holds it."""
    return escape_html(json.dumps(value, indent=4, sort_keys=sort_keys, ensure_ascii=False)) + "\n"


def kind_prefix(kind: str, group: str) -> str:
    """`pod`, `deployment.apps`: how kubectl names a type in `-o name` and mixed tables."""
    return f"{kind.lower()}.{group}" if group else kind.lower()


def list_object(items: Iterable[Any]) -> dict[str, Any]:
    """What kubectl prints for several objects with -o json/yaml."""
    return {
        "apiVersion": "v1",
        "items": list(items),
        "kind": "List",
        "metadata": {"resourceVersion": ""},
    }


@dataclass
class PrefixWriter:
    """kubectl describe's PrefixWriter over a text/tabwriter (tabwriter.NewWriter(out, 0, 8,
    2, ' ', 0)); `indent` levels are added to every write, as
    kubectl's nestedPrefixWriter adds them."""

    out: TabWriter = field(default_factory=TabWriter)
    indent: int = 0

    def write(self, level: int, text: str) -> None:
        self.out.write(escape_terminal("  " * (level + self.indent) + text))

    def write_line(self, text: str = "") -> None:
        """WriteLine(x): x and a newline, without the level's indentation."""
        if self.indent:
            self.write(0, text + "\n")
        else:
            self.out.write(escape_terminal(text + "\n"))

    def nested(self, indent: int) -> PrefixWriter:
        return PrefixWriter(self.out, self.indent + indent)

    def text(self) -> str:
        return self.out.text()
