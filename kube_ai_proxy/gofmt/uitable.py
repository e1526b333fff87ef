"""github.com/gosuri/uitable, the table printer helm uses."""

from __future__ import annotations

import re
from collections.abc import Sequence

from kube_ai_proxy.errors import Defer

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
