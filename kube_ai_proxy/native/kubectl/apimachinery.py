"""k8s.io/apimachinery's printing of Kubernetes values, as kubectl's readers print them:
labels and label selectors, resource quantities, and ages (duration.HumanDuration and
kubectl's translateTimestampSince). These are Kubernetes' own types, not Go's, so they live
with the kubectl readers rather than in gofmt; anything not reproduced exactly raises
errors.Defer."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from kube_ai_proxy.errors import Defer
from kube_ai_proxy.gofmt.sort import INSERTION_SORT_MAX, go_sort
from kube_ai_proxy.gofmt.times import GO_ZERO_TIME, parse_time

# --- labels ---------------------------------------------------------------------------------


def format_labels(labels: Mapping[str, str] | None) -> str:
    """labels.FormatLabels: sorted k=v pairs, or <none>."""
    if not labels:
        return "<none>"
    return ",".join(f"{k}={labels[k]}" for k in sorted(labels))


def selector_string(selector: Mapping[str, Any] | None) -> str:
    """metav1.LabelSelectorAsSelector(s).String(); None (a nil selector) matches nothing and
    prints empty, as does an empty one."""
    if not selector:
        return ""
    requirements: list[tuple[str, str]] = []
    for key, value in (selector.get("matchLabels") or {}).items():
        requirements.append((key, f"{key}={value}"))
    for expr in selector.get("matchExpressions") or []:
        requirements.append((expr["key"], _requirement(expr)))
    ordered = list(requirements)
    keys = [key for key, _ in ordered]
    random_order = len(selector.get("matchLabels") or {}) > 1
    if random_order and len(ordered) > INSERTION_SORT_MAX and len(set(keys)) < len(keys):
        # Go ranges over matchLabels (a map: a random order) to build what it sorts; past
        # insertion sort's 12 elements, pdqsort leaves requirements on one key in an order
        # that depends on that random order, so kubectl itself prints either.
        raise Defer("a label selector with several requirements on one key")
    go_sort(ordered, lambda a, b: a[0] < b[0])
    return ",".join(text for _, text in ordered)


def _requirement(expr: Mapping[str, Any]) -> str:
    key, op = str(expr["key"]), str(expr["operator"])
    values = sorted(str(v) for v in expr.get("values") or [])
    if op == "Exists":
        return key
    if op == "DoesNotExist":
        return f"!{key}"
    if op not in ("In", "NotIn") or not values:
        raise Defer(f"label selector operator {op!r}")
    return f"{key} {op.lower()} ({','.join(values)})"


def format_label_selector(selector: Mapping[str, Any] | None) -> str:
    """metav1.FormatLabelSelector: the selector, or <none> when it prints empty."""
    return selector_string(selector) or "<none>"


# --- ages -----------------------------------------------------------------------------------

# time.Time.Sub saturates at the largest time.Duration (about 292 years) rather than overflow.
_MAX_DURATION_SECONDS = (2**63 - 1) / 10**9


def human_duration(seconds: float) -> str:
    """apimachinery's duration.HumanDuration of a time.Duration of `seconds`."""
    whole = math.trunc(min(seconds, _MAX_DURATION_SECONDS))
    if whole < -1:
        return "<invalid>"
    if whole < 0:
        return "0s"
    if whole < 60 * 2:
        return f"{whole}s"
    minutes = whole // 60
    if minutes < 10:
        rest = whole % 60
        return f"{minutes}m" if rest == 0 else f"{minutes}m{rest}s"
    if minutes < 60 * 3:
        return f"{minutes}m"
    hours = whole // 3600
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h" if rest == 0 else f"{hours}h{rest}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rest = hours % 24
        return f"{hours // 24}d" if rest == 0 else f"{hours // 24}d{rest}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        rest = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if rest == 0 else f"{hours // 24 // 365}y{rest}d"
    return f"{hours // 24 // 365}y"


def since(text: str | None, now: float) -> str:
    """kubectl's translateTimestampSince: the age of a timestamp, or <unknown> for none (or
    for Go's zero time, which IsZero too)."""
    moment = parse_time(text)
    if moment is None or moment == GO_ZERO_TIME:
        return "<unknown>"
    return human_duration(now - moment.timestamp())


def between(start: str, end: str) -> str:
    """HumanDuration of end - start."""
    first, last = parse_time(start), parse_time(end)
    assert first is not None and last is not None
    return human_duration((last - first).total_seconds())


def epoch(text: str | None) -> float:
    """A timestamp as seconds, Go's zero time sorting first."""
    moment = parse_time(text)
    return moment.timestamp() if moment else GO_ZERO_TIME.timestamp()


# --- resource.Quantity ----------------------------------------------------------------------

_DECIMAL_SUFFIXES = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12}
_DECIMAL_SUFFIXES |= {"P": 15, "E": 18}
_BINARY_SUFFIXES = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_QUANTITY = re.compile(r"^([+-]?)(\d*)(?:\.(\d*))?(.*)$")


@dataclass(frozen=True)
class Quantity:
    """resource.Quantity: an exact value and the format its String() uses."""

    value: Fraction = Fraction(0)
    format: str = ""  # "DecimalSI", "BinarySI", "DecimalExponent"; "" for the zero value

    @classmethod
    def parse(cls, text: str) -> Quantity:
        match = _QUANTITY.match(text.strip())
        if not match or not (match.group(2) or match.group(3)):
            raise Defer(f"quantity {text!r}")
        sign, whole, frac, suffix = match.groups()
        number = Fraction(int(whole or "0")) + (Fraction(int(frac), 10 ** len(frac)) if frac else 0)
        if suffix in _DECIMAL_SUFFIXES:
            value, fmt = number * Fraction(10) ** _DECIMAL_SUFFIXES[suffix], "DecimalSI"
        elif suffix in _BINARY_SUFFIXES:
            value, fmt = number * 2 ** _BINARY_SUFFIXES[suffix], "BinarySI"
        elif re.fullmatch(r"[eE][+-]?\d+", suffix):
            value, fmt = number * Fraction(10) ** int(suffix[1:]), "DecimalExponent"
        else:
            raise Defer(f"quantity {text!r}")
        # Quantities hold at most nano precision; finer values round up (away from zero).
        scaled = value * 10**9
        if scaled.denominator != 1:
            value = Fraction(math.ceil(scaled), 10**9)
        return cls(-value if sign == "-" else value, fmt)

    def add(self, other: Quantity) -> Quantity:
        fmt = other.format if self.value == 0 else self.format
        return Quantity(self.value + other.value, fmt)

    def value_int(self) -> int:
        """Value(): rounded up to an integer."""
        return _int64(math.ceil(self.value))

    def milli_value(self) -> int:
        return _int64(math.ceil(self.value * 1000))

    def __str__(self) -> str:
        if self.value == 0:
            return "0"
        fmt = self.format
        if fmt == "BinarySI" and (abs(self.value) < 1024 or self.value.denominator != 1):
            fmt = "DecimalSI"
        if fmt == "BinarySI":
            return self._binary()
        return self._decimal(fmt)

    def _binary(self) -> str:
        amount, exponent = int(self.value), 0
        while amount % 1024 == 0:
            amount //= 1024
            exponent += 10
        suffix = {0: ""} | {v: k for k, v in _BINARY_SUFFIXES.items()}
        if exponent not in suffix:
            raise Defer("quantity beyond Ei")
        return f"{amount}{suffix[exponent]}"

    def _decimal(self, fmt: str) -> str:
        amount, exponent = int(self.value * 10**9), -9
        while amount % 10 == 0:
            amount //= 10
            exponent += 1
        shift = exponent % 3  # down to a multiple of three, as Go rounds the exponent
        amount, exponent = amount * 10**shift, exponent - shift
        if fmt == "DecimalExponent":
            return f"{amount}" + (f"e{exponent}" if exponent else "")
        suffix = {v: k for k, v in _DECIMAL_SUFFIXES.items()}
        if exponent not in suffix:
            raise Defer("quantity beyond the SI suffixes")
        return f"{amount}{suffix[exponent]}"


def _int64(value: int) -> int:
    """Go's int64 would overflow here, and kubectl print garbage."""
    if not -(2**63) <= value < 2**63:
        raise Defer("a quantity beyond int64")
    return value


def quantity(resources: Mapping[str, Any] | None, name: str) -> Quantity:
    """A ResourceList's quantity, or the zero Quantity a Go map lookup gives."""
    text = (resources or {}).get(name)
    return Quantity() if text is None else Quantity.parse(str(text))
