"""Text as Go programs print it, for answers that must equal a Go CLI's output character for
character: text/tabwriter tables, json.MarshalIndent, Go's Time.String() in the local zone."""

from __future__ import annotations

import calendar
import os
import re
import time
from collections.abc import Mapping, Sequence
from typing import Any

from kube_ai_proxy.helm_reads import CannotRender, go_json, go_yaml


def tabwriter(text: str) -> str:
    """What text/tabwriter.NewWriter(w, 0, 0, 2, ' ', 0) writes for `text`: cells end at
    a tab, lines at a newline; a column's cells are padded to its widest cell plus two
    within each block of consecutive lines that have that column; a line without a tab (or a
    form feed) ends every block. Widths count runes, as Go's does."""
    out: list[str] = []
    lines: list[list[str]] = [[]]
    start = 0
    for index, char in enumerate(text):
        if char not in "\t\v\n\f":
            continue
        lines[-1].append(text[start:index])
        start = index + 1
        cells = len(lines[-1])
        if char in "\n\f":
            lines.append([])
            if char == "\f" or cells == 1:
                out.append(_format_block(lines))
                lines = [[]]
    if start < len(text):
        lines[-1].append(text[start:])
    out.append(_format_block(lines))
    return "".join(out)


def _format_block(lines: list[list[str]], padding: int = 2) -> str:
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
            width = 0
            while this < line1 and column < len(lines[this]) - 1:
                width = max(width, len(lines[this][column]) + padding)
                this += 1
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
        raise CannotRender("a TZ Go may read differently")
    match = _TIME.fullmatch(value)
    if match is None:
        raise CannotRender(f"a time Argo CD does not write: {value!r}")
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    fraction, zone = match.group(7) or "", match.group(8)
    offset = 0 if zone == "Z" else (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    if zone.startswith("-"):
        offset = -offset
    epoch = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0)) - offset
    if year < 1900:
        raise CannotRender("a time before 1900")
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
            raise CannotRender("the zero time outside UTC")
        return "0001-01-01 00:00:00 +0000 UTC"
    return go_time(str(value))


def bytes_prefix(text: str, length: int) -> str:
    """text[0:length] in Go (bytes), for the ASCII revisions it is used on."""
    if not text.isascii():
        raise CannotRender("a revision that is not ASCII")
    return text[:length]
