"""kubectl's generic describer: any kind without a describer of its own, CRDs included."""

from __future__ import annotations

import unicodedata
from typing import Any

from kube_ai_proxy.gofmt.values import go_value
from kube_ai_proxy.native.kubectl.describers.gather import Related
from kube_ai_proxy.native.kubectl.describers.parts import (
    Obj,
    describe_events,
    m,
    print_annotations,
    print_labels,
    s,
)
from kube_ai_proxy.native.kubectl.printers import PrefixWriter

_GENERIC_SKIP = frozenset(
    {
        ".metadata.managedFields",
        ".metadata.name",
        ".metadata.namespace",
        ".metadata.labels",
        ".metadata.annotations",
    }
)


def render_generic(obj: Obj, related: Related, now: float) -> str:
    """genericDescriber: the object's own fields, labelled as kubectl labels them."""
    w = PrefixWriter()
    meta = m(obj, "metadata")
    w.write(0, f"Name:\t{s(meta, 'name')}\n")
    w.write(0, f"Namespace:\t{s(meta, 'namespace')}\n")
    print_labels(w, "Labels", m(meta, "labels"))
    print_annotations(w, "Annotations", m(meta, "annotations"))
    _unstructured(w, 0, obj, "")
    describe_events(w, related.get("events"), now)
    return w.text()


def _unstructured(w: PrefixWriter, level: int, content: Obj, prefix: str) -> None:
    """printUnstructuredContent."""
    for field in sorted(content):
        value = content[field]
        path = f"{prefix}.{field}"
        if path in _GENERIC_SKIP:
            continue
        if isinstance(value, dict):
            w.write(level, f"{smart_label(field)}:\n")
            _unstructured(w, level + 1, value, path)
        elif isinstance(value, list):
            w.write(level, f"{smart_label(field)}:\n")
            for child in value:
                if isinstance(child, dict):
                    _unstructured(w, level + 1, child, path)
                else:
                    w.write(level + 1, f"{_scalar(child)}\n")
        else:
            w.write(level, f"{smart_label(field)}:\t{_scalar(value)}\n")


def _scalar(value: Any) -> str:
    """%v of an unstructured value: integers outside int64 were decoded as float64."""
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**63:
        return go_value(float(value))
    return go_value(value)


_ACRONYMS = frozenset({"API", "URL", "UID", "OSB", "GUID"})


def smart_label(field: str) -> str:
    """smartLabelFor: `apiVersion` -> `API Version`."""
    if any(not (char.isalpha() or char == "-") for char in field):
        return field
    parts = []
    for part in camel_split(field):
        if part == "_":
            continue
        parts.append(part.upper() if part.upper() in _ACRONYMS else _title(part))
    return " ".join(parts)


def _title(word: str) -> str:
    """cases.Title(language.English) of one camel-case part: first letter upper."""
    return word[:1].upper() + word[1:].lower()


def camel_split(text: str) -> list[str]:
    """github.com/fatih/camelcase.Split."""
    runs: list[list[str]] = []
    last = 0
    for char in text:
        category = unicodedata.category(char)
        kind = 1 if category == "Ll" else 2 if category == "Lu" else 3 if category == "Nd" else 4
        if kind == last:
            runs[-1].append(char)
        else:
            runs.append([char])
        last = kind
    for index in range(len(runs) - 1):
        if (
            unicodedata.category(runs[index][0]) == "Lu"
            and unicodedata.category(runs[index + 1][0]) == "Ll"
        ):
            runs[index + 1].insert(0, runs[index].pop())
    return ["".join(run) for run in runs if run]
