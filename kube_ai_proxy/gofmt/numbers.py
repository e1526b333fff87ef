"""strconv's float formatting: the shortest digits that read back as the value, and the 'e',
'f' and 'g' forms built from them."""

from __future__ import annotations

import math
import re
from decimal import Decimal


def shortest_digits(value: float) -> tuple[str, int]:
    """The shortest digits that read back as `value` (as Go's strconv finds them: Python's
    repr finds the same shortest, closest digits) and the decimal point's position:
    |value| = 0.DIGITS * 10**point."""
    _, digits, exponent = Decimal(repr(abs(value))).as_tuple()
    text = "".join(map(str, digits)).rstrip("0") or "0"
    assert isinstance(exponent, int)
    return text, len(digits) + exponent


def _format_e(negative: bool, digits: str, point: int) -> str:
    """strconv's %e: one digit before the point, an exponent of at least two digits."""
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    exponent = point - 1
    sign = "-" if exponent < 0 else "+"
    return f"{'-' if negative else ''}{mantissa}e{sign}{abs(exponent):02d}"


def _format_f(negative: bool, digits: str, point: int) -> str:
    """strconv's %f: no exponent, no trailing zeros after the point."""
    if point <= 0:
        text = "0." + "0" * -point + digits
    elif point >= len(digits):
        text = digits + "0" * (point - len(digits))
    else:
        text = digits[:point] + "." + digits[point:]
    return ("-" if negative else "") + text


def format_float(value: float) -> str:
    """strconv.FormatFloat(value, 'g', -1, 64), which fmt's %v prints: %e when the exponent
    is below -4 or from 6 on (shortest: precision 6), %f otherwise."""
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    if value == 0:
        return "-0" if math.copysign(1, value) < 0 else "0"
    digits, point = shortest_digits(value)
    exponent = point - 1
    if exponent < -4 or exponent >= 6:
        return _format_e(value < 0, digits, point)
    return _format_f(value < 0, digits, point)


def json_float(value: float) -> str:
    """encoding/json's float64 (floatEncoder): 'f' format, or 'e' outside [1e-6, 1e21) with
    the exponent's leading zero dropped."""
    if value == 0:
        return "-0" if math.copysign(1, value) < 0 else "0"
    digits, point = shortest_digits(value)
    negative = value < 0
    if abs(value) < 1e-6 or abs(value) >= 1e21:
        # Go cleans up e-09 to e-9.
        return re.sub(r"e-0(\d)$", r"e-\1", _format_e(negative, digits, point))
    return _format_f(negative, digits, point)
