"""sigs.k8s.io/yaml.Marshal: the value as JSON, decoded and written by go-yaml v2, whose
emitter (like PyYAML's) is a port of libyaml's. go-yaml's choices (which strings to quote,
key order, float forms, line folding) are made here; PyYAML's emitter writes the result."""

from __future__ import annotations

import calendar
import math
import re
from collections.abc import Mapping, Sequence
from functools import cmp_to_key
from typing import Any

import yaml

from kube_ai_proxy.errors import Defer
from kube_ai_proxy.gofmt.numbers import format_float


def go_yaml_float(value: float) -> str:
    """go-yaml's encoder for a float64: .inf and .nan, else strconv.FormatFloat(f, 'g', -1,
    64)."""
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    return format_float(value)


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
