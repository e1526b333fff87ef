"""fmt's %v of values decoded from JSON, as Go's unstructured objects hold them."""

from __future__ import annotations

from typing import Any

from kube_ai_proxy.gofmt.numbers import format_float


def go_value(value: Any) -> str:
    """fmt's %v for a value decoded from JSON (as Go's unstructured objects hold it)."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        # Go decodes an integer outside int64 as a float64, wherever in the object it is.
        return str(value) if -(2**63) <= value < 2**63 else format_float(float(value))
    if isinstance(value, float):
        return format_float(value)
    if isinstance(value, list):
        return "[" + " ".join(go_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_value(value[k])}" for k in sorted(value)) + "]"
    return str(value)
