"""Print API data the way kubectl prints it: tables, JSON, YAML and names.

Tables follow kubectl's table printer: Go's tabwriter with minimum width 6, padding 3 and
spaces, header names upper-cased, the last column unpadded. JSON follows Go's
`json.MarshalIndent` over an unstructured object: keys sorted, four spaces, HTML characters
escaped. YAML follows sigs.k8s.io/yaml: keys sorted, block style, strings quoted only when
plain style would change their meaning.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import yaml

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


def json_text(value: Any) -> str:
    text = json.dumps(value, indent=4, sort_keys=True, ensure_ascii=False)
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


class _GoStyleDumper(yaml.SafeDumper):
    """Double-quoted strings where quoting is needed, as go-yaml (sequences inside mappings
    are indentless in both)."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    node = dumper.represent_scalar("tag:yaml.org,2002:str", value)
    if _needs_quotes(value):
        node.style = '"'
    return node


# Strings YAML would read back as something else (null, bool, number, timestamp) or that
# start or contain indicators: these are quoted, as go-yaml quotes them.
_PLAIN_UNSAFE = re.compile(
    r"^(|~|null|true|false|yes|no|on|off|y|n"
    r"|[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?"
    r"|0x[0-9a-f_]+|0o?[0-7_]+|[-+]?\.inf|\.nan"
    r"|\d{4}-\d\d?-\d\d?([Tt ].*)?"
    r"|[-?:,\[\]{}#&*!|>'\"%@`].*|.*(: | #).*|.*[:\s])$",
    re.IGNORECASE,
)


def _needs_quotes(value: str) -> bool:
    return bool(_PLAIN_UNSAFE.match(value)) or value != value.strip()


_GoStyleDumper.add_representer(str, _represent_str)


def yaml_text(value: Any) -> str:
    dumped: str = yaml.dump(
        value,
        Dumper=_GoStyleDumper,
        default_flow_style=False,
        sort_keys=True,
        allow_unicode=True,
        width=80,
    )
    return dumped


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
