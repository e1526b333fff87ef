"""Text as Go programs print it, for answers that must equal a Go CLI's output character for
character: encoding/json, sigs.k8s.io/yaml (go-yaml v2), text/tabwriter and gosuri/uitable
tables, Go's time formats. What a Go program would print in a way not reproduced here raises
errors.Defer: the CLI then prints it."""

from __future__ import annotations

import calendar
import json
import math
import os
import re
import time
from collections.abc import Mapping, Sequence
from decimal import Decimal
from functools import cmp_to_key
from typing import Any

import yaml

from kube_ai_proxy.errors import Defer

# --- Go's JSON encoder -------------------------------------------------------------------------

_HTML_ESCAPES = (
    ("&", "\\u0026"),
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)


def _json_string(text: str) -> str:
    encoded = json.dumps(text, ensure_ascii=False)
    for char, escaped in _HTML_ESCAPES:
        encoded = encoded.replace(char, escaped)
    return encoded


def _shortest_digits(value: float) -> tuple[str, int]:
    """The shortest digits that read back as `value` (as Go's strconv finds them) and the
    decimal point's position: value = 0.DIGITS * 10**point."""
    _, digits, exponent = Decimal(repr(abs(value))).as_tuple()
    text = "".join(map(str, digits)).rstrip("0") or "0"
    assert isinstance(exponent, int)
    return text, len(digits) + exponent


def _format_e(negative: bool, digits: str, point: int) -> str:
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    exponent = point - 1
    sign = "-" if exponent < 0 else "+"
    return f"{'-' if negative else ''}{mantissa}e{sign}{abs(exponent):02d}"


def _format_f(negative: bool, digits: str, point: int) -> str:
    if point <= 0:
        text = "0." + "0" * -point + digits
    elif point >= len(digits):
        text = digits + "0" * (point - len(digits))
    else:
        text = digits[:point] + "." + digits[point:]
    return ("-" if negative else "") + text


def go_json_float(value: float) -> str:
    """encoding/json's float64: 'f' format, or 'e' outside [1e-6, 1e21)."""
    if value == 0:
        return "-0" if math.copysign(1, value) < 0 else "0"
    digits, point = _shortest_digits(value)
    negative = value < 0
    if abs(value) < 1e-6 or abs(value) >= 1e21:
        text = _format_e(negative, digits, point)
        # Go cleans up e-09 to e-9.
        return re.sub(r"e-0(\d)$", r"e-\1", text)
    return _format_f(negative, digits, point)


def go_yaml_float(value: float) -> str:
    """go-yaml's float64: strconv.FormatFloat(f, 'g', -1, 64), .inf and .nan."""
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    if value == 0:
        return "-0" if math.copysign(1, value) < 0 else "0"
    digits, point = _shortest_digits(value)
    exponent = point - 1
    if exponent < -4 or exponent >= 6:  # %e below 1e-4 and from 1e6 (shortest: precision 6)
        return _format_e(value < 0, digits, point)
    return _format_f(value < 0, digits, point)


def go_json(value: Any) -> str:
    """Go's json.Encoder output for a value decoded from Go's JSON: compact, keys in the order
    given (Go wrote struct fields in declaration order and map keys sorted), no newline."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return _json_string(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return go_json_float(value)
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{_json_string(k)}:{go_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, Sequence):
        return "[" + ",".join(go_json(item) for item in value) + "]"
    raise TypeError(f"not JSON: {type(value).__name__}")


# --- sigs.k8s.io/yaml (go-yaml v2) -------------------------------------------------------------

_BOOLS_AND_NULLS = frozenset(
    "y Y yes Yes YES true True TRUE on On ON n N no No NO false False FALSE off Off OFF "
    "~ null Null NULL .nan .NaN .NAN .inf .Inf .INF +.inf +.Inf +.INF -.inf -.Inf -.INF <<".split()
)
_DOT_FLOAT = re.compile(r"\.[0-9]+([eE][-+]?[0-9]+)?")
_GO_INT = re.compile(r"([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)")
_YAML_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_BASE60_FLOAT = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?")
_TIMESTAMPS = (
    re.compile(r"(\d{4})-(\d\d?)-(\d\d?)[Tt](\d\d?):(\d\d?):(\d\d?)(?:[.,]\d+)?(Z|[-+]\d\d:\d\d)"),
    re.compile(r"(\d{4})-(\d\d?)-(\d\d?) (\d\d?):(\d\d?):(\d\d?)(?:[.,]\d+)?()"),
    re.compile(r"(\d{4})-(\d\d?)-(\d\d?)()()()()"),
)
_INT64 = 1 << 63


def _go_int_value(text: str) -> int | None:
    """strconv.ParseInt(text, 0, 64), else ParseUint: the value, or None."""
    match = _GO_INT.fullmatch(text)
    if match is None:
        return None
    sign, body = match.groups()
    prefix = body[:2].lower()
    base = {"0x": 16, "0o": 8, "0b": 2}.get(prefix)
    if base is not None:
        number = int(body[2:], base)
    elif len(body) > 1 and body[0] == "0":
        number = int(body[1:], 8)
    else:
        number = int(body)
    value = -number if sign == "-" else number
    if -_INT64 <= value < _INT64 or (not sign and value < 2 * _INT64):
        return value
    return None


def _is_timestamp(text: str) -> bool:
    for pattern in _TIMESTAMPS:
        match = pattern.fullmatch(text)
        if match is None:
            continue
        year, month, day, hour, minute, second, zone = match.groups()
        if not 1 <= int(month) <= 12:
            continue
        if not 1 <= int(day) <= calendar.monthrange(int(year), int(month))[1]:
            continue
        if hour and not (int(hour) < 24 and int(minute) < 60 and int(second) < 60):
            continue
        if zone and zone != "Z" and (int(zone[1:3]) > 24 or int(zone[4:6]) > 60):
            continue
        return True
    return False


def _resolves_to_string(text: str) -> bool:
    """go-yaml's resolve(""): True when `text`, unquoted, reads back as a string."""
    if text == "" or text in _BOOLS_AND_NULLS:
        return False
    hint = text[0]
    if hint == ".":
        return _DOT_FLOAT.fullmatch(text) is None
    if hint not in "+-0123456789":
        return True
    if _is_timestamp(text):
        return False
    plain = text.replace("_", "")
    if _go_int_value(plain) is not None:
        return False
    return not (_YAML_FLOAT.fullmatch(plain) and math.isfinite(float(plain)))


def _string_style(text: str) -> str | None:
    """The style go-yaml asks for: literal for several lines, plain (which the emitter turns
    into single quotes when plain cannot hold the text) when it reads back as a string,
    double quotes otherwise."""
    if "\n" in text:
        return "|"
    if _resolves_to_string(text) and not _BASE60_FLOAT.fullmatch(text):
        return None
    return '"'


# Characters PyYAML's emitter and go-yaml's treat differently: go-yaml counts NEL and the
# characters beyond the BMP as unprintable, PyYAML does not.
_EMITTERS_DIFFER = re.compile("[\x85\u2028\u2029\U00010000-\U0010ffff]")


def _key_order(a: str, b: str) -> int:
    """go-yaml's keyList.Less for string keys: letters before other runes, digit runs compared
    as numbers."""
    if a == b:
        return 0
    ar, br = a, b
    for i in range(min(len(ar), len(br))):
        if ar[i] == br[i]:
            continue
        al, bl = ar[i].isalpha(), br[i].isalpha()  # unicode.IsLetter
        if al and bl:
            return -1 if ar[i] < br[i] else 1
        if al or bl:
            return -1 if bl else 1  # Less returns bl: a sorts first when b is the letter
        an = bn = 0
        if ar[i] == "0" or br[i] == "0":
            j = i - 1
            while j >= 0 and ar[j].isdecimal():
                if ar[j] != "0":
                    an = bn = 1
                    break
                j -= 1
        ai = i
        while ai < len(ar) and ar[ai].isdecimal():  # unicode.IsDigit
            an = an * 10 + ord(ar[ai]) - 48
            ai += 1
        bi = i
        while bi < len(br) and br[bi].isdecimal():
            bn = bn * 10 + ord(br[bi]) - 48
            bi += 1
        if an != bn:
            return -1 if an < bn else 1
        if ai != bi:
            return -1 if ai < bi else 1
        return -1 if ar[i] < br[i] else 1
    return -1 if len(ar) < len(br) else 1


_ESCAPES = {
    "\0": "0",
    "\x07": "a",
    "\x08": "b",
    "\t": "t",
    "\n": "n",
    "\x0b": "v",
    "\x0c": "f",
    "\r": "r",
    "\x1b": "e",
    '"': '"',
    "\\": "\\",
}
_UNESCAPED = re.compile("[\x20-\x7e\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd]")


class _GoYamlDumper(yaml.SafeDumper):
    """PyYAML's emitter (like go-yaml's, a port of libyaml's) with no implicit resolvers:
    styles are chosen in `_node` as go-yaml chooses them, so any plain scalar may stay plain.
    Double-quoted strings are folded as go-yaml folds them."""

    def write_double_quoted(self, text: str, split: bool = True) -> None:
        """yaml_emitter_write_double_quoted_scalar: a long line breaks at a space, which the
        break replaces (a following space is escaped)."""
        self.write_indicator('"', True)
        spaces = False
        for i, char in enumerate(text):
            if char in _ESCAPES or not _UNESCAPED.fullmatch(char):
                code = ord(char)
                data = "\\" + _ESCAPES.get(char, f"x{code:02X}" if code <= 0xFF else f"u{code:04X}")
                spaces = False
            elif char == " ":
                spaces_before, spaces = spaces, True
                if (
                    split
                    and not spaces_before
                    and self.column > self.best_width
                    and 0 < i < len(text) - 1
                ):
                    self.write_indent()
                    if text[i + 1] == " ":
                        self.stream.write("\\")
                        self.column += 1
                    continue
                data = char
            else:
                data = char
                spaces = False
            self.stream.write(data)
            self.column += len(data)
        self.write_indicator('"', False)


_GoYamlDumper.yaml_implicit_resolvers = {}
_STR = "tag:yaml.org,2002:str"


def _scalar(text: str, style: str | None = None) -> yaml.ScalarNode:
    if _EMITTERS_DIFFER.search(text):
        raise Defer("a string go-yaml escapes differently")
    return yaml.ScalarNode(_STR, text, style=style)


def _node(value: Any) -> yaml.Node:
    if value is None:
        return _scalar("null")
    if value is True or value is False:
        return _scalar("true" if value else "false")
    if isinstance(value, str):
        return _scalar(value, _string_style(value))
    if isinstance(value, int):
        if not -_INT64 <= value < 2 * _INT64:
            raise Defer("an integer beyond 64 bits")
        return _scalar(str(value))
    if isinstance(value, float):
        return _scalar(go_yaml_float(value))
    if isinstance(value, Mapping):
        keys = sorted(value, key=cmp_to_key(_key_order))
        if any(len(key.encode()) >= 128 for key in keys):
            raise Defer("a mapping key too long for a simple key")
        pairs = [(_node(key), _node(value[key])) for key in keys]
        return yaml.MappingNode("tag:yaml.org,2002:map", pairs, flow_style=False)
    if isinstance(value, Sequence):
        items = [_node(item) for item in value]
        return yaml.SequenceNode("tag:yaml.org,2002:seq", items, flow_style=False)
    raise TypeError(f"not JSON: {type(value).__name__}")


def go_yaml(value: Any) -> str:
    """sigs.k8s.io/yaml.Marshal of a value decoded from Go's JSON."""
    text: str = yaml.serialize(
        _node(value), Dumper=_GoYamlDumper, width=80, allow_unicode=True, indent=2
    )
    # PyYAML ends an open-ended document (a top-level scalar, a `|+` block) with `...`;
    # go-yaml does not.
    if text == "...\n" or text.endswith("\n...\n"):
        text = text[:-4]
    return text


# --- gosuri/uitable, Go's time formats ---------------------------------------------------------

_PRINTABLE_ASCII = re.compile(r"[\x20-\x7e]*")


def uitable(rows: Sequence[Sequence[str]]) -> str:
    """uitable.Table.String() (no MaxColWidth, no wrap) plus helm's newline: every cell padded
    to its column's width, cells joined by a tab."""
    for row in rows:
        for cell in row:
            # Width by go-runewidth, ANSI sequences stripped, cells split at newlines: only
            # printable ASCII is measured here exactly as uitable measures it.
            if not _PRINTABLE_ASCII.fullmatch(cell):
                raise Defer("a table cell uitable measures differently")
    if not rows:
        return "\n"
    widths = [0] * max(len(row) for row in rows)
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    lines = ["\t".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) for row in rows]
    return "\n".join(lines) + "\n"


_RFC3339 = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def ansic(timestamp: str) -> str:
    """Go's time.ANSIC of a time helm encoded as JSON (RFC 3339, or "" for the zero time).
    Go keeps the parsed offset, so the wall clock is printed as it is written."""
    if not timestamp:
        return "Mon Jan  1 00:00:00 0001"
    match = _RFC3339.match(timestamp)
    if match is None:
        raise Defer(f"a time helm does not write: {timestamp!r}")
    year, month, day, hour, minute, second = (int(part) for part in match.groups())
    weekday = _DAYS[calendar.weekday(year, month, day)]
    return (
        f"{weekday} {_MONTHS[month - 1]} {day:2d} {hour:02d}:{minute:02d}:{second:02d} {year:04d}"
    )


def go_upper(text: str) -> str:
    """strings.ToUpper: each rune by Unicode's simple case mapping. Python's str.upper uses
    the full mapping, which differs where it yields several characters (`ß` -> `SS`, which
    Go leaves as it is); for those the simple mapping is not known here."""
    if text.isascii():
        return text.upper()
    out = []
    for char in text:
        upper = char.upper()
        if len(upper) != 1:
            raise Defer(f"the upper case of {char!r}")
        out.append(upper)
    return "".join(out)


# unicode.IsSpace: what strings.TrimSpace trims.
GO_SPACE = (
    "\t\n\v\f\r \x85\xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + ("\u2028\u2029\u202f\u205f\u3000")
)


# --- text/tabwriter, Go's Time.String() ----------------------------------------------------


_LINE_END = re.compile(r"[\n\f]")
_CELL_END = re.compile(r"[\t\v]")


def tabwriter(text: str, minwidth: int = 0, padding: int = 2, remember_widths: bool = False) -> str:
    """What text/tabwriter.NewWriter(w, minwidth, _, padding, ' ', 0) writes for `text`: cells
    end at a tab (or \\v), lines at a newline; a column's cells are padded to its widest cell
    plus `padding` (at least `minwidth`) within each block of consecutive lines that have that
    column; a line of one cell (or a form feed) flushes, ending every block. Widths count
    runes, as Go's do. `remember_widths` is the RememberWidths flag of kubectl's fork
    (github.com/liggitt/tabwriter): a column is never narrower than it was in an earlier
    block or flush of the same writer, so `text` is all that one writer is given."""
    out: list[str] = []
    remembered: list[int] | None = [] if remember_widths else None
    lines: list[list[str]] = []  # the terminated lines since the last flush
    start = 0
    for end in _LINE_END.finditer(text):
        cells = _CELL_END.split(text[start : end.start()])
        lines.append(cells)
        start = end.end()
        if end.group() == "\f" or len(cells) == 1:
            out.append(_format_block([*lines, []], minwidth, padding, remembered))
            lines = []
    current = _CELL_END.split(text[start:])
    if not current[-1]:
        current.pop()  # Flush terminates the last cell only when it holds text
    out.append(_format_block([*lines, current], minwidth, padding, remembered))
    return "".join(out)


def _format_block(
    lines: list[list[str]], minwidth: int, padding: int, remembered: list[int] | None
) -> str:
    """Writer.format over one flush: `lines` ends with the unterminated current line."""
    out: list[str] = []
    widths: list[int] = []

    def write_lines(first: int, end: int) -> None:
        for i in range(first, end):
            for j, cell in enumerate(lines[i]):
                out.append(cell)
                if j < len(widths):
                    out.append(" " * (widths[j] - len(cell)))
            if i + 1 < len(lines):
                out.append("\n")

    def fmt(line0: int, line1: int) -> None:
        column = len(widths)
        this = line0
        while this < line1:
            if column >= len(lines[this]) - 1:
                this += 1
                continue
            write_lines(line0, this)
            line0 = this
            width = minwidth
            while this < line1 and column < len(lines[this]) - 1:
                width = max(width, len(lines[this][column]) + padding)
                this += 1
            if remembered is not None:
                if len(remembered) < column:
                    remembered.extend(widths[len(remembered) :])
                if len(remembered) == column:
                    remembered.append(width)
                else:
                    width = max(width, remembered[column])
                    remembered[column] = width
            widths.append(width)
            fmt(line0, this)
            widths.pop()
            line0 = this
        write_lines(line0, line1)

    fmt(0, len(lines))
    return "".join(out)


def table(rows: Sequence[Sequence[str]]) -> str:
    """Rows written as `%s\\t%s\\t...\\n` to a tabwriter."""
    return tabwriter("".join("\t".join(row) + "\n" for row in rows))


def go_json_indent(value: Any, indent: str = "") -> str:
    """json.MarshalIndent(value, "", "  ") of a value decoded from Go's JSON."""
    inner = indent + "  "
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        items = [f"{inner}{go_json(k)}: {go_json_indent(v, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{indent}}}"
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        return "[\n" + ",\n".join(inner + go_json_indent(v, inner) for v in value) + f"\n{indent}]"
    return go_json(value)


def encoded(fmt: str, value: Any) -> str:
    """PrintResource: MarshalIndent and a newline, or sigs.k8s.io/yaml."""
    return go_json_indent(value) + "\n" if fmt == "json" else go_yaml(value)


def encoded_list(fmt: str, items: list[Any]) -> str:
    """PrintResourceList: an empty list is `[]` (never `null`)."""
    return encoded(fmt, items or [])


_TIME = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[-+]\d\d:\d\d)")


def _zone_is_plain() -> bool:
    """True when this process's local zone is the one Go reads (TZ unset, empty, or a zone
    file): then both read the same tzdata."""
    zone = os.environ.get("TZ")
    if zone is None or zone == "":
        return True
    name = zone.removeprefix(":")
    if name.startswith("/"):
        return os.path.isfile(name)
    return re.fullmatch(r"[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+)*", name) is not None and (
        os.path.isfile(f"/usr/share/zoneinfo/{name}")
    )


def go_time(value: str | None) -> str:
    """Go's Time.String() of a metav1.Time the CLI decoded (in the local zone): "2006-01-02
    15:04:05.999999999 -0700 MST"; `None` (a nil *Time) prints `<nil>`."""
    if value is None:
        return "<nil>"
    if not _zone_is_plain():
        raise Defer("a TZ Go may read differently")
    match = _TIME.fullmatch(value)
    if match is None:
        raise Defer(f"a time Argo CD does not write: {value!r}")
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    fraction, zone = match.group(7) or "", match.group(8)
    offset = 0 if zone == "Z" else (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    if zone.startswith("-"):
        offset = -offset
    epoch = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0)) - offset
    if year < 1900:
        raise Defer("a time before 1900")
    local = time.localtime(epoch)
    shift = local.tm_gmtoff
    sign = "-" if shift < 0 else "+"
    shift = abs(shift) // 60
    digits = fraction.rstrip("0")
    return (
        time.strftime("%Y-%m-%d %H:%M:%S", local)
        + (f".{digits}" if digits else "")
        + f" {sign}{shift // 60:02d}{shift % 60:02d} {local.tm_zone}"
    )


def go_time_value(value: Any) -> str:
    """A non-pointer metav1.Time: JSON null is Go's zero time."""
    if value is None:
        if time.localtime(0).tm_zone != "UTC" or not _zone_is_plain():
            raise Defer("the zero time outside UTC")
        return "0001-01-01 00:00:00 +0000 UTC"
    return go_time(str(value))


def bytes_prefix(text: str, length: int) -> str:
    """text[0:length] in Go (bytes), for the ASCII revisions it is used on."""
    if not text.isascii():
        raise Defer("a revision that is not ASCII")
    return text[:length]
