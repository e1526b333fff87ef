"""encoding/json's output for values decoded from Go's JSON (dicts, lists, str, int, float,
bool, None)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from kube_ai_proxy.gofmt.numbers import json_float

# encodeState.string with escapeHTML: Go escapes the HTML-significant characters and the
# JavaScript line separators, which Python's encoder leaves as they are.
HTML_ESCAPES = (
    ("&", "\\u0026"),
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)


def escape_html(encoded: str) -> str:
    """Python's JSON text with the characters Go's encoder escapes (HTML_ESCAPES) escaped."""
    for char, escaped in HTML_ESCAPES:
        encoded = encoded.replace(char, escaped)
    return encoded


def _string(text: str) -> str:
    return escape_html(json.dumps(text, ensure_ascii=False))


def go_json(value: Any) -> str:
    """json.Marshal (or a json.Encoder's output without its newline): compact, keys in the
    order given (Go wrote struct fields in declaration order and map keys sorted)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return json_float(value)
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{_string(k)}:{go_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, Sequence):
        return "[" + ",".join(go_json(item) for item in value) + "]"
    raise TypeError(f"not JSON: {type(value).__name__}")


def go_json_indent(value: Any, prefix: str = "") -> str:
    """json.MarshalIndent(value, "", "  "), keys in the order given; `prefix` is the
    indentation already written before `value`."""
    inner = prefix + "  "
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        items = [f"{inner}{_string(k)}: {go_json_indent(v, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{prefix}}}"
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        return "[\n" + ",\n".join(inner + go_json_indent(v, inner) for v in value) + f"\n{prefix}]"
    return go_json(value)
