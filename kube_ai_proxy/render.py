"""Print API data the way kubectl prints it: tables, JSON, YAML and names.

Tables follow kubectl's table printer: Go's tabwriter with minimum width 6, padding 3 and
spaces, header names upper-cased, the last column unpadded. JSON follows Go's
`json.MarshalIndent` over an unstructured object: keys sorted, four spaces, HTML characters
escaped. YAML follows sigs.k8s.io/yaml: keys sorted, block style, strings quoted only when
plain style would change their meaning.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from kube_ai_proxy.describe_text import escape_terminal, go_value
from kube_ai_proxy.goprint import go_yaml, tabwriter

_MIN_WIDTH = 6
_PADDING = 3


def cell_text(value: Any) -> str:
    """A server-side table cell as kubectl's table printer writes it (printers.printTable): a
    string up to its first line break, with "..." when cut there; any other value as fmt's %v
    of what Go decoded from the JSON; both with terminal escapes made visible. A null cell
    prints nothing."""
    if value is None:
        return ""
    if isinstance(value, str):
        breaks = [i for i in (value.find(c) for c in "\f\n\r") if i >= 0]
        if breaks:
            return escape_terminal(value[: min(breaks)]) + "..."
        return escape_terminal(value)
    return escape_terminal(go_value(value))


def tabwrite(rows: Sequence[Sequence[str]]) -> str:
    """Rows written as tab-separated lines to kubectl's printers.GetNewTabWriter (minimum
    width 6, padding 3, spaces, RememberWidths), flushed once. A cell holding a tab or a
    line break splits where Go's tabwriter splits it."""
    text = "".join("\t".join(row) + "\n" for row in rows)
    return tabwriter(text, minwidth=_MIN_WIDTH, padding=_PADDING, remember_widths=True)


def format_labels(labels: Mapping[str, str] | None) -> str:
    """kubectl's labels.FormatLabels: sorted k=v pairs, or <none>."""
    if not labels:
        return "<none>"
    return ",".join(f"{k}={labels[k]}" for k in sorted(labels))


def json_text(value: Any, *, sort_keys: bool = True) -> str:
    """json.MarshalIndent(value, "", "    "): map keys sorted, or (sort_keys=False, for a
    typed Go object) the struct's field order as `value` holds it."""
    text = json.dumps(value, indent=4, sort_keys=sort_keys, ensure_ascii=False)
    # Go's encoder escapes HTML-significant characters and the JS line separators.
    for char, escaped in (
        ("&", "\\u0026"),
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escaped)
    return text + "\n"


def yaml_text(value: Any) -> str:
    """What kubectl's -o yaml prints (sigs.k8s.io/yaml); raises Defer for the few strings
    go-yaml would print differently from this port, which kubectl then prints."""
    return go_yaml(value)


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
