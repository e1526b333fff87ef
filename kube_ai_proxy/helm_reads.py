"""`helm list`, `status`, `history` and `get values|manifest|notes`, answered through pyhelm3.

pyhelm3 runs helm with `--output json` (exec'd by the CLI runner, never a shell: see
adapters/helm.py) and the answer is printed here as helm 3.22 prints it: the tables through
gosuri/uitable (cells padded to the column's width, columns joined by a tab), the status text,
JSON as Go's encoder writes it (compact, HTML characters escaped), YAML as sigs.k8s.io/yaml
writes it (go-yaml v2: keys in its natural order, strings quoted only when they would read
back as something else). `data` holds helm's JSON: the releases, the release, the history, the
values, the manifest's documents, the notes. Values and manifests are redacted unless
K8S_MCP_ALLOW_SECRETS is set.

What cannot be printed exactly goes to the helm CLI: other flags (`--debug`, `--show-resources`,
ints not written in plain decimal), a table cell uitable would measure differently (anything but
printable ASCII), a YAML string go-yaml escapes differently (NEL, the Unicode line separators,
characters outside the Basic Multilingual Plane), a dry-run release.
"""

from __future__ import annotations

import calendar
import json
import math
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from functools import cmp_to_key
from typing import Any

import pyhelm3.errors
import yaml

from adapters.errors import BackendError
from adapters.helm import HelmClient
from kube_ai_proxy.commands import CliCommand
from kube_ai_proxy.native import ANY, SWITCH, FlagRule, NativeAnswer, NativeContext, serves
from kube_ai_proxy.redaction import (
    redact_helm_release,
    redact_object,
    redact_values,
    redact_yaml_text,
)
from kube_ai_proxy.result import ErrorCode

_OUTPUT = FlagRule(frozenset({"table", "json", "yaml"}))
_GLOBAL = {"namespace": ANY, "kube-context": ANY}
# Flags whose value helm reads as an int (pflag: strconv.ParseInt with base 0).
_INT_FLAGS = ("max", "offset", "revision")

FLAGS: Mapping[tuple[str, ...], Mapping[str, FlagRule]] = {
    ("list",): {
        **_GLOBAL,
        "all-namespaces": SWITCH,
        "all": SWITCH,
        "deployed": SWITCH,
        "failed": SWITCH,
        "pending": SWITCH,
        "superseded": SWITCH,
        "uninstalled": SWITCH,
        "uninstalling": SWITCH,
        "date": SWITCH,
        "reverse": SWITCH,
        "short": SWITCH,
        "no-headers": SWITCH,
        "max": ANY,
        "offset": ANY,
        "filter": ANY,
        "selector": ANY,
        "time-format": ANY,
        "output": _OUTPUT,
    },
    ("status",): {**_GLOBAL, "revision": ANY, "show-desc": SWITCH, "output": _OUTPUT},
    ("history",): {**_GLOBAL, "max": ANY, "output": _OUTPUT},
    ("get", "values"): {**_GLOBAL, "revision": ANY, "all": SWITCH, "output": _OUTPUT},
    ("get", "manifest"): {**_GLOBAL, "revision": ANY},
    ("get", "notes"): {**_GLOBAL, "revision": ANY},
}

# A decimal int as pflag reads it; other spellings (0x10, 010, 1_0, +1) go to helm.
_DECIMAL = re.compile(r"-?(0|[1-9][0-9]{0,17})")
_DEFER = NativeAnswer("", None, defer=True)


class CannotRender(Exception):
    """The answer holds something helm's printers would print in a way not reproduced here."""


class CannotRedact(Exception):
    """A manifest that is not YAML to PyYAML: its Secrets cannot be found to be redacted."""


def _redacted_manifest(text: str) -> str:
    redacted = redact_yaml_text(text)
    if redacted is None:
        raise CannotRedact
    return redacted


def can_serve(command: CliCommand) -> bool:
    flags = FLAGS.get(command.verb)
    if command.tool != "helm" or flags is None or not serves(command, flags):
        return False
    if command.verb == ("list",):
        if command.args:
            return False
    elif len(command.args) != 1 or command.args[0].startswith("-"):
        return False
    for name in _INT_FLAGS:
        value = command.value(name)
        if command.has(name) and (value is None or not _DECIMAL.fullmatch(value)):
            return False
    offset = command.value("offset")
    # helm slices its list with a negative offset and panics.
    if offset is not None and int(offset) < 0:
        return False
    # An empty --kube-context means helm's current context, not the server's.
    return not (command.has("kube-context") and not command.value("kube-context"))


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
        raise CannotRender("a string go-yaml escapes differently")
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
            raise CannotRender("an integer beyond 64 bits")
        return _scalar(str(value))
    if isinstance(value, float):
        return _scalar(go_yaml_float(value))
    if isinstance(value, Mapping):
        keys = sorted(value, key=cmp_to_key(_key_order))
        if any(len(key.encode()) >= 128 for key in keys):
            raise CannotRender("a mapping key too long for a simple key")
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
                raise CannotRender("a table cell uitable measures differently")
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
        raise CannotRender(f"a time helm does not write: {timestamp!r}")
    year, month, day, hour, minute, second = (int(part) for part in match.groups())
    weekday = _DAYS[calendar.weekday(year, month, day)]
    return (
        f"{weekday} {_MONTHS[month - 1]} {day:2d} {hour:02d}:{minute:02d}:{second:02d} {year:04d}"
    )


# unicode.IsSpace: what strings.TrimSpace trims.
_GO_SPACE = (
    "\t\n\v\f\r \x85\xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + ("\u2028\u2029\u202f\u205f\u3000")
)


# --- the commands ------------------------------------------------------------------------------


def _namespace(command: CliCommand) -> str | None:
    # Without -n helm picks the namespace itself (HELM_NAMESPACE, the context's), as the CLI.
    return command.value("namespace") or None


def _int(command: CliCommand, name: str, default: int) -> int:
    value = command.value(name)
    return int(value) if value else default


async def fetch(command: CliCommand, client: HelmClient) -> Any:
    """helm's JSON for the command: the releases (list), the history, the values (as pyhelm3
    reads them: {} for helm's null), or the release (status, get manifest, get notes)."""
    verb = command.verb
    namespace = _namespace(command)
    if verb == ("list",):
        return await client.releases(
            namespace=namespace,
            all_namespaces=command.bool_flag("all-namespaces"),
            all_states=command.bool_flag("all"),
            deployed=command.bool_flag("deployed"),
            failed=command.bool_flag("failed"),
            pending=command.bool_flag("pending"),
            superseded=command.bool_flag("superseded"),
            uninstalled=command.bool_flag("uninstalled"),
            uninstalling=command.bool_flag("uninstalling"),
            by_date=command.bool_flag("date"),
            reverse=command.bool_flag("reverse"),
            max_releases=_int(command, "max", 256),
            offset=_int(command, "offset", 0),
            name_filter=command.value("filter"),
            selector=command.value("selector"),
            time_format=command.value("time-format"),
        )
    name = command.args[0]
    if verb == ("history",):
        return await client.history(
            name, namespace=namespace, max_revisions=_int(command, "max", 256)
        )
    revision = _int(command, "revision", 0)
    if verb == ("get", "values"):
        return await client.values(
            name, namespace=namespace, revision=revision, computed=command.bool_flag("all")
        )
    return await client.release(name, namespace=namespace, revision=revision)


Rendered = tuple[str, dict[str, Any]]


def render(command: CliCommand, fetched: Any, *, allow_secrets: bool) -> Rendered:
    """What helm prints for the command, and the data behind it, from helm's JSON (`fetch`).
    Raises CannotRender when helm's printing is not reproduced for this answer."""
    verb = command.verb
    fmt = command.value("output") or "table"
    if verb == ("list",):
        return _list(command, fetched, fmt)
    if verb == ("history",):
        return _history(fetched, fmt)
    if verb == ("get", "values"):
        return _values(command, fetched, fmt, allow_secrets)
    if verb == ("get", "manifest"):
        return _manifest(fetched, allow_secrets)
    if verb == ("get", "notes"):
        notes = str((fetched.get("info") or {}).get("notes", ""))
        return (f"NOTES:\n{notes}\n" if notes else ""), {"notes": notes}
    return _status(command, fetched, fmt, allow_secrets)


def _encoded(fmt: str, value: Any) -> str:
    return go_json(value) + "\n" if fmt == "json" else go_yaml(value)


_LIST_HEADER = ["NAME", "NAMESPACE", "REVISION", "UPDATED", "STATUS", "CHART", "APP VERSION"]
_LIST_KEYS = ("name", "namespace", "revision", "updated", "status", "chart", "app_version")
_HISTORY_HEADER = ["REVISION", "UPDATED", "STATUS", "CHART", "APP VERSION", "DESCRIPTION"]


def _list(command: CliCommand, releases: list[dict[str, Any]], fmt: str) -> Rendered:
    data = {"releases": releases}
    if command.bool_flag("short"):
        names = [release["name"] for release in releases]
        if fmt == "table":
            return "".join(f"{name}\n" for name in names), data
        return _encoded(fmt, names), data
    if fmt != "table":
        return _encoded(fmt, releases), data
    rows = [] if command.bool_flag("no-headers") else [_LIST_HEADER]
    rows += [[str(release.get(key, "")) for key in _LIST_KEYS] for release in releases]
    return uitable(rows), data


def _history(entries: list[dict[str, Any]], fmt: str) -> Rendered:
    data = {"history": entries}
    if fmt != "table":
        return _encoded(fmt, entries), data
    rows = [_HISTORY_HEADER]
    for entry in entries:
        rows.append(
            [
                str(entry.get("revision", 0)),
                ansic(entry.get("updated", "")),
                entry.get("status", ""),
                entry.get("chart", ""),
                entry.get("app_version", ""),
                entry.get("description", ""),
            ]
        )
    return uitable(rows), data


def redacted_release(release: dict[str, Any]) -> dict[str, Any]:
    """The release with its values and manifests redacted: the config and the manifest
    (redaction.redact_helm_release), and the hooks' manifests, which may hold Secrets too."""
    redacted: dict[str, Any] = redact_helm_release(release)
    if isinstance(release.get("manifest"), str):
        redacted["manifest"] = _redacted_manifest(release["manifest"])
    hooks = redacted.get("hooks")
    if isinstance(hooks, list):
        redacted["hooks"] = [
            {**hook, "manifest": _redacted_manifest(hook["manifest"])}
            if isinstance(hook, dict) and isinstance(hook.get("manifest"), str)
            else hook
            for hook in hooks
        ]
    return redacted


def _status_text(release: dict[str, Any], show_description: bool) -> str:
    """statusPrinter.WriteTable, without --show-resources and --debug."""
    info = release.get("info") or {}
    lines = [f"NAME: {release.get('name', '')}"]
    if info.get("last_deployed"):
        lines.append(f"LAST DEPLOYED: {ansic(info['last_deployed'])}")
    lines.append(f"NAMESPACE: {release.get('namespace', '')}")
    lines.append(f"STATUS: {info.get('status', '')}")
    lines.append(f"REVISION: {release.get('version', 0)}")
    if show_description:
        lines.append(f"DESCRIPTION: {info.get('description', '')}")
    hooks = release.get("hooks") or []
    tests = [hook for hook in hooks if "test" in (hook.get("events") or [])]
    if not tests:
        lines.append("TEST SUITE: None")
    for hook in tests:
        last_run = hook.get("last_run") or {}
        if not last_run.get("started_at"):
            continue  # never run: helm prints nothing for it
        lines.append(f"TEST SUITE:     {hook.get('name', '')}")
        lines.append(f"Last Started:   {ansic(last_run['started_at'])}")
        lines.append(f"Last Completed: {ansic(last_run.get('completed_at', ''))}")
        lines.append(f"Phase:          {last_run.get('phase', '')}")
    text = "".join(f"{line}\n" for line in lines)
    notes = info.get("notes") or ""
    if notes:
        text += f"NOTES:\n{notes.strip(_GO_SPACE)}\n"
    return text


def _status(
    command: CliCommand, release: dict[str, Any], fmt: str, allow_secrets: bool
) -> Rendered:
    info = release.get("info") or {}
    if str(info.get("description", "")).casefold() == "dry run complete":
        raise CannotRender("helm prints a dry run's hooks and manifest")
    shown = release if allow_secrets else redacted_release(release)
    if fmt != "table":
        return _encoded(fmt, shown), shown
    return _status_text(release, command.bool_flag("show-desc")), shown


def _values(
    command: CliCommand, fetched: dict[str, Any], fmt: str, allow_secrets: bool
) -> Rendered:
    computed = command.bool_flag("all")
    # A release without user-supplied values has none stored (`config` is omitted when
    # empty): helm prints `null`, which pyhelm3 reads as {}. Computed values are a map.
    values = fetched if fetched or computed else None
    shown = values if allow_secrets else redact_values(values)
    data = {"values": shown or {}}
    if fmt != "table":
        return _encoded(fmt, shown), data
    header = "COMPUTED VALUES:\n" if computed else "USER-SUPPLIED VALUES:\n"
    return header + go_yaml(shown), data


def manifest_documents(manifest: str) -> list[Any]:
    try:
        return [doc for doc in yaml.safe_load_all(manifest) if doc is not None]
    except yaml.YAMLError:
        return []


def _manifest(release: dict[str, Any], allow_secrets: bool) -> Rendered:
    manifest = str(release.get("manifest", ""))
    documents = manifest_documents(manifest)
    if not allow_secrets:
        manifest = _redacted_manifest(manifest)
        documents = [redact_object(doc) for doc in documents]
    return manifest + "\n", {"manifest": documents}


_HINTS: Mapping[tuple[str, ...], str] = {
    ("list",): "narrow it with -n, --filter, --selector or --max/--offset",
    ("history",): "narrow it with --max",
    ("status",): "read its parts with `helm get values` and `helm get manifest`",
    ("get", "values"): "add | grep or | head -n N",
    ("get", "manifest"): "add | grep or | head -n N",
    ("get", "notes"): "add | head -n N",
}


def within_budget(text: str, data: dict[str, Any], budget: int, hint: str) -> NativeAnswer:
    """The answer, with `data` left out when it is larger than the output budget (as the CLI
    path leaves out a JSON answer that was cut); `hint` says how to ask for less."""
    if len(text) > budget:
        return NativeAnswer(
            text,
            None,
            truncated=True,
            next=f"The output ({len(text)} characters) was cut to the budget; {hint}.",
        )
    size = len(go_json(data))
    if size > budget:
        return NativeAnswer(
            text,
            None,
            truncated=True,
            next=f"The data ({size} characters) is larger than the budget and was left out; "
            f"{hint}.",
        )
    return NativeAnswer(text, data)


def _helm_error(exc: pyhelm3.errors.Error) -> NativeAnswer:
    stderr = bytes(exc.stderr).decode("utf-8", "replace").strip()
    code: ErrorCode = "cli_error"
    if isinstance(exc, pyhelm3.errors.ReleaseNotFoundError):
        code = "not_found"
    elif isinstance(exc, pyhelm3.errors.ConnectionError) or "cluster unreachable" in stderr:
        code = "unavailable"
    return NativeAnswer("", None, exit_code=int(exc.returncode), stderr=stderr, error_code=code)


async def native_helm(command: CliCommand, ctx: NativeContext) -> NativeAnswer:
    if ctx.helm is None:
        return _DEFER
    try:
        fetched = await fetch(command, await ctx.helm())
        text, data = render(command, fetched, allow_secrets=ctx.allow_secrets)
    except pyhelm3.errors.Error as exc:
        return _helm_error(exc)
    except BackendError as exc:
        return NativeAnswer("", None, exit_code=1, stderr=exc.message, error_code=exc.code)
    except CannotRender:
        return _DEFER
    except CannotRedact:
        return NativeAnswer(
            "",
            None,
            exit_code=1,
            stderr="the release's manifest could not be read as YAML to find its Secret "
            "values, so the answer is withheld (K8S_MCP_ALLOW_SECRETS is off); "
            "`helm get values` and `helm history` still answer",
            error_code="api_error",
        )
    return within_budget(text, data, ctx.budget, _HINTS[command.verb])
