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

from kube_ai_proxy.goprint import go_yaml

_MIN_WIDTH = 6
_PADDING = 3


def cell_text(value: Any) -> str:
    """A table cell as Go's fmt prints it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "<none>"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def tabwrite(rows: Sequence[Sequence[str]]) -> str:
    """Go's text/tabwriter.NewWriter(w, 6, 4, 3, ' ', 0) over tab-terminated cells."""
    if not rows:
        return ""
    columns = max(len(r) for r in rows)
    widths = [_MIN_WIDTH] * columns
    for row in rows:
        for i, cell in enumerate(row[:-1]):  # the last cell of a line is not in a column
            widths[i] = max(widths[i], len(cell) + _PADDING)
    lines = []
    for row in rows:
        padded = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])]
        lines.append("".join(padded) + (row[-1] if row else ""))
    return "\n".join(lines) + "\n"


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
    """What kubectl's -o yaml prints (sigs.k8s.io/yaml); raises CannotRender for the few
    strings go-yaml would print differently from this port, which kubectl then prints."""
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
