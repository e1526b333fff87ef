"""Go's time formats: Time.Format with time.ANSIC and time.RFC1123Z, and Time.String(), of
times decoded from JSON (RFC 3339, as metav1.Time and Go's encoding/json write them)."""

from __future__ import annotations

import calendar
import os
import re
import time
from datetime import UTC, datetime
from typing import Any

from kube_ai_proxy.errors import Defer

# Time.Format's Mon and Jan.
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Go's zero time.Time, which a JSON null or "" decodes to.
GO_ZERO_TIME = datetime(1, 1, 1, tzinfo=UTC)
ZERO_TIME_RFC1123Z = "Mon, 01 Jan 0001 00:00:00 +0000"
_RFC3339 = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)")


def parse_time(text: str | None) -> datetime | None:
    """A metav1.Time or MicroTime as JSON holds it (time.Parse of RFC 3339); None for null or
    empty (Go's zero time)."""
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def rfc1123z(text: str | None) -> str:
    """Time.Format(time.RFC1123Z), in the local zone as metav1.Time decodes it."""
    moment = parse_time(text)
    if moment is None:
        return ZERO_TIME_RFC1123Z
    local = moment.astimezone()
    offset = local.strftime("%z") or "+0000"
    return (
        f"{DAYS[local.weekday()]}, {local.day:02d} {MONTHS[local.month - 1]} {local.year:04d} "
        f"{local.hour:02d}:{local.minute:02d}:{local.second:02d} {offset}"
    )


def ansic(timestamp: str) -> str:
    """Go's time.ANSIC of a time helm encoded as JSON (RFC 3339, or "" for the zero time).
    Go keeps the parsed offset, so the wall clock is printed as it is written."""
    if not timestamp:
        return "Mon Jan  1 00:00:00 0001"
    match = _RFC3339.match(timestamp)
    if match is None:
        raise Defer(f"a time helm does not write: {timestamp!r}")
    year, month, day, hour, minute, second = (int(part) for part in match.groups())
    weekday = DAYS[calendar.weekday(year, month, day)]
    return f"{weekday} {MONTHS[month - 1]} {day:2d} {hour:02d}:{minute:02d}:{second:02d} {year:04d}"


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
