"""The Go machinery behind `kubectl describe`'s text, ported so that the text comes out the same.

kubectl writes each description through a `PrefixWriter` (two spaces per level, terminal escape
characters made visible) into Go's `text/tabwriter` (minwidth 0, tabwidth 8, padding 2, spaces),
formats values with `fmt`'s `%v`, times as RFC 1123 in the local zone, ages with apimachinery's
`HumanDuration`, and sorts with Go's (unstable) pdqsort. Each is reproduced here, because a
different column width, tie order or rounding would make the text differ.

Anything a describer meets that it cannot reproduce exactly raises `errors.Defer`: the command
then goes to kubectl itself instead of being answered approximately.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any, TypeVar

from kube_ai_proxy.errors import Defer

T = TypeVar("T")


# --- text/tabwriter -------------------------------------------------------------------------


@dataclass
class _Cell:
    text: str
    htab: bool  # terminated by a tab (not by a newline or \v)


@dataclass
class TabWriter:
    """Go's text/tabwriter, as kubectl's describers initialise it (minwidth 0, padding 2, spaces,
    no flags). A line without a tab ends a block of aligned columns, as in Go."""

    minwidth: int = 0
    padding: int = 2
    _out: list[str] = field(default_factory=list)
    _lines: list[list[_Cell]] = field(default_factory=lambda: [[]])
    _cell: list[str] = field(default_factory=list)
    _widths: list[int] = field(default_factory=list)

    def write(self, text: str) -> None:
        start = 0
        for index, char in enumerate(text):
            if char not in "\t\v\n\f":
                continue
            self._cell.append(text[start:index])
            start = index + 1
            cells = self._terminate_cell(char == "\t")
            if char in "\n\f":
                self._lines.append([])
                if char == "\f" or cells == 1:
                    self.flush()
        self._cell.append(text[start:])

    def flush(self) -> None:
        if "".join(self._cell):
            self._terminate_cell(False)
        self._format(0, len(self._lines))
        self._lines = [[]]
        self._cell = []
        self._widths = []

    def text(self) -> str:
        self.flush()
        return "".join(self._out)

    def _terminate_cell(self, htab: bool) -> int:
        line = self._lines[-1]
        line.append(_Cell("".join(self._cell), htab))
        self._cell = []
        return len(line)

    def _format(self, line0: int, line1: int) -> None:
        column = len(self._widths)
        this = line0
        while this < line1:
            if column >= len(self._lines[this]) - 1:
                this += 1
                continue
            # A cell in this column: the lines from here on that have one form a block.
            self._write_lines(line0, this)
            line0 = this
            width = self.minwidth
            while this < line1 and column < len(self._lines[this]) - 1:
                width = max(width, len(self._lines[this][column].text) + self.padding)
                this += 1
            self._widths.append(width)
            self._format(line0, this)
            self._widths.pop()
            line0 = this
            this += 1  # Go's loop increments past the line that ended the block
        self._write_lines(line0, line1)

    def _write_lines(self, line0: int, line1: int) -> None:
        for index in range(line0, line1):
            for column, cell in enumerate(self._lines[index]):
                self._out.append(cell.text)
                if column < len(self._widths):
                    self._out.append(" " * (self._widths[column] - len(cell.text)))
            if index + 1 == len(self._lines):
                self._out.append("".join(self._cell))
            else:
                self._out.append("\n")


# --- PrefixWriter ---------------------------------------------------------------------------


def escape_terminal(text: str) -> str:
    """cli-runtime's printers.WriteEscaped: escape and carriage return made visible."""
    return text.replace("\x1b", "^[").replace("\r", "\\r")


@dataclass
class PrefixWriter:
    """kubectl's PrefixWriter over a TabWriter; `indent` levels are added to every write, as
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


# --- fmt ------------------------------------------------------------------------------------


def go_value(value: Any) -> str:
    """fmt's %v for a value decoded from JSON (as Go's unstructured objects hold it)."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        # Go decodes an integer outside int64 as a float64, wherever in the object it is.
        return str(value) if -(2**63) <= value < 2**63 else go_float(float(value))
    if isinstance(value, float):
        return go_float(value)
    if isinstance(value, list):
        return "[" + " ".join(go_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_value(value[k])}" for k in sorted(value)) + "]"
    return str(value)


def go_float(value: float) -> str:
    """%v of a float64: strconv's shortest 'g' form (%e when the exponent is < -4 or >= 6)."""
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    if value == 0:
        return "-0" if math.copysign(1, value) < 0 else "0"
    sign = "-" if value < 0 else ""
    digits, exp10 = _shortest_digits(abs(value))
    if exp10 < -4 or exp10 >= 6:
        body = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{body}e{'-' if exp10 < 0 else '+'}{abs(exp10):02d}"
    point = exp10 + 1  # digits before the decimal point
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return sign + digits + "0" * (point - len(digits))
    return f"{sign}{digits[:point]}.{digits[point:]}"


def _shortest_digits(value: float) -> tuple[str, int]:
    """The shortest digits that read back as `value` (Python's repr, as Go's shortest), and the
    decimal exponent of the first digit."""
    mantissa, _, exponent = f"{value!r}".partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")
    exp10 = int(exponent or "0") + len(whole.lstrip("0")) - 1
    if not whole.lstrip("0"):  # 0.00123: the exponent comes from the leading zeros
        exp10 = int(exponent or "0") - (len(fraction) - len(fraction.lstrip("0"))) - 1
    return digits.rstrip("0") or "0", exp10


def go_quote(text: str) -> str:
    """fmt's %q of a string (strconv.Quote)."""
    out = ['"']
    escapes = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
    escapes |= {"\v": "\\v", '"': '\\"', "\\": "\\\\"}
    for char in text:
        if char in escapes:
            out.append(escapes[char])
        elif char.isprintable():
            out.append(char)
        elif ord(char) < 0x80:
            out.append(f"\\x{ord(char):02x}")
        elif ord(char) < 0x10000:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    out.append('"')
    return "".join(out)


def go_string_list(values: Sequence[Any]) -> str:
    """%v of a []string: [a b c]."""
    return "[" + " ".join(str(v) for v in values) + "]"


# --- sort -----------------------------------------------------------------------------------


# pdqsort sorts up to this many elements by insertion, which keeps ties in their input order.
_INSERTION_SORT_MAX = 12


def go_sort(items: list[T], less: Callable[[T, T], bool]) -> None:
    """Go's sort.Sort / sort.Slice (pdqsort, not stable), in place: elements that tie end up
    in the order Go leaves them in, which kubectl prints."""
    if len(items) > 1:
        _Pdq(items, less).sort(0, len(items), len(items).bit_length())


class _Pdq:
    def __init__(self, data: list[Any], less: Callable[[Any, Any], bool]) -> None:
        self.data = data
        self._less = less

    def less(self, i: int, j: int) -> bool:
        return self._less(self.data[i], self.data[j])

    def swap(self, i: int, j: int) -> None:
        self.data[i], self.data[j] = self.data[j], self.data[i]

    def insertion(self, a: int, b: int) -> None:
        for i in range(a + 1, b):
            j = i
            while j > a and self.less(j, j - 1):
                self.swap(j, j - 1)
                j -= 1

    def sift_down(self, lo: int, hi: int, first: int) -> None:
        root = lo
        while True:
            child = 2 * root + 1
            if child >= hi:
                return
            if child + 1 < hi and self.less(first + child, first + child + 1):
                child += 1
            if not self.less(first + root, first + child):
                return
            self.swap(first + root, first + child)
            root = child

    def heap(self, a: int, b: int) -> None:
        first, hi = a, b - a
        for i in range((hi - 1) // 2, -1, -1):
            self.sift_down(i, hi, first)
        for i in range(hi - 1, -1, -1):
            self.swap(first, first + i)
            self.sift_down(0, i, first)

    def sort(self, a: int, b: int, limit: int) -> None:
        was_balanced, was_partitioned = True, True
        while True:
            length = b - a
            if length <= _INSERTION_SORT_MAX:
                self.insertion(a, b)
                return
            if limit == 0:
                self.heap(a, b)
                return
            if not was_balanced:
                self.break_patterns(a, b)
                limit -= 1
            pivot, hint = self.choose_pivot(a, b)
            if hint == "decreasing":
                self.reverse(a, b)
                pivot = (b - 1) - (pivot - a)
                hint = "increasing"
            likely_sorted = was_balanced and was_partitioned and hint == "increasing"
            if likely_sorted and self.partial_insertion(a, b):
                return
            if a > 0 and not self.less(a - 1, pivot):
                a = self.partition_equal(a, b, pivot)
                continue
            mid, was_partitioned = self.partition(a, b, pivot)
            left, right = mid - a, b - mid
            threshold = length // 8
            if left < right:
                was_balanced = left >= threshold
                self.sort(a, mid, limit)
                a = mid + 1
            else:
                was_balanced = right >= threshold
                self.sort(mid + 1, b, limit)
                b = mid

    def partition(self, a: int, b: int, pivot: int) -> tuple[int, bool]:
        self.swap(a, pivot)
        i, j = a + 1, b - 1
        while i <= j and self.less(i, a):
            i += 1
        while i <= j and not self.less(j, a):
            j -= 1
        if i > j:
            self.swap(j, a)
            return j, True
        self.swap(i, j)
        i, j = i + 1, j - 1
        while True:
            while i <= j and self.less(i, a):
                i += 1
            while i <= j and not self.less(j, a):
                j -= 1
            if i > j:
                break
            self.swap(i, j)
            i, j = i + 1, j - 1
        self.swap(j, a)
        return j, False

    def partition_equal(self, a: int, b: int, pivot: int) -> int:
        self.swap(a, pivot)
        i, j = a + 1, b - 1
        while True:
            while i <= j and not self.less(a, i):
                i += 1
            while i <= j and self.less(a, j):
                j -= 1
            if i > j:
                return i
            self.swap(i, j)
            i, j = i + 1, j - 1

    def partial_insertion(self, a: int, b: int) -> bool:
        i = a + 1
        for _ in range(5):
            while i < b and not self.less(i, i - 1):
                i += 1
            if i == b:
                return True
            if b - a < 50:
                return False
            self.swap(i, i - 1)
            if i - a >= 2:
                j = i - 1
                while j >= 1 and self.less(j, j - 1):
                    self.swap(j, j - 1)
                    j -= 1
            if b - i >= 2:
                j = i + 1
                while j < b and self.less(j, j - 1):
                    self.swap(j, j - 1)
                    j += 1
        return False

    def break_patterns(self, a: int, b: int) -> None:
        length = b - a
        if length < 8:
            return
        random = length
        modulus = 1 << length.bit_length()
        for idx in range(a + (length // 4) * 2 - 1, a + (length // 4) * 2 + 2):
            random ^= (random << 13) & 0xFFFFFFFFFFFFFFFF
            random ^= random >> 7
            random ^= (random << 17) & 0xFFFFFFFFFFFFFFFF
            other = random & (modulus - 1)
            if other >= length:
                other -= length
            self.swap(idx, a + other)

    def choose_pivot(self, a: int, b: int) -> tuple[int, str]:
        length = b - a
        swaps = [0]
        i, j, k = a + length // 4, a + length // 4 * 2, a + length // 4 * 3
        if length >= 8:
            if length >= 50:
                i = self.median(i - 1, i, i + 1, swaps)
                j = self.median(j - 1, j, j + 1, swaps)
                k = self.median(k - 1, k, k + 1, swaps)
            j = self.median(i, j, k, swaps)
        if swaps[0] == 0:
            return j, "increasing"
        if swaps[0] == 12:
            return j, "decreasing"
        return j, "unknown"

    def median(self, a: int, b: int, c: int, swaps: list[int]) -> int:
        a, b = self.order2(a, b, swaps)
        b, c = self.order2(b, c, swaps)
        a, b = self.order2(a, b, swaps)
        del a, c
        return b

    def order2(self, a: int, b: int, swaps: list[int]) -> tuple[int, int]:
        if self.less(b, a):
            swaps[0] += 1
            return b, a
        return a, b

    def reverse(self, a: int, b: int) -> None:
        i, j = a, b - 1
        while i < j:
            self.swap(i, j)
            i, j = i + 1, j - 1


# --- times ----------------------------------------------------------------------------------

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
ZERO_TIME = "Mon, 01 Jan 0001 00:00:00 +0000"  # Go's zero time.Time, which JSON null becomes
_GO_ZERO_TIME = datetime(1, 1, 1, tzinfo=UTC)


def parse_time(text: str | None) -> datetime | None:
    """A metav1.Time or MicroTime as JSON holds it; None for null or empty (Go's zero time)."""
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def rfc1123z(text: str | None) -> str:
    """Time.Format(time.RFC1123Z), in the local zone as metav1.Time decodes it."""
    moment = parse_time(text)
    if moment is None:
        return ZERO_TIME
    local = moment.astimezone()
    offset = local.strftime("%z") or "+0000"
    return (
        f"{_DAYS[local.weekday()]}, {local.day:02d} {_MONTHS[local.month - 1]} {local.year:04d} "
        f"{local.hour:02d}:{local.minute:02d}:{local.second:02d} {offset}"
    )


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
    if moment is None or moment == _GO_ZERO_TIME:
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
    return moment.timestamp() if moment else datetime(1, 1, 1, tzinfo=UTC).timestamp()


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
    if random_order and len(ordered) > _INSERTION_SORT_MAX and len(set(keys)) < len(keys):
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
