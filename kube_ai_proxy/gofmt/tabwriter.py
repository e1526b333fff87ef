"""text/tabwriter with the padding character ' ' and no flags, and the RememberWidths flag of
github.com/liggitt/tabwriter, the fork kubectl's table printer uses (otherwise the same
code): one Writer, its columns widths taken per block of lines as Go takes them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

# The characters Writer.Write acts on: \t and \v end a cell, \n and \f a line.
_SEPARATOR = re.compile(r"[\t\v\n\f]")


@dataclass
class TabWriter:
    """tabwriter.NewWriter(w, minwidth, _, padding, ' ', flags), written to over several
    writes: cells end at a tab (or \\v), lines at a newline; a column's cells are padded to
    its widest cell plus `padding` (at least `minwidth`) within each block of consecutive
    lines that have that column; a line of one cell (or a form feed) flushes, ending every
    block. Widths count runes, as Go's do. The last cell of a line is not part of a column.

    `remember_widths` is liggitt/tabwriter's RememberWidths: a column is never narrower than
    it was in an earlier block or flush of the same writer."""

    minwidth: int = 0
    padding: int = 2
    remember_widths: bool = False
    _out: list[str] = field(default_factory=list)
    _lines: list[list[str]] = field(default_factory=lambda: [[]])  # the last is unterminated
    _cell: list[str] = field(default_factory=list)  # the current cell's text so far
    _widths: list[int] = field(default_factory=list)
    _maxwidths: list[int] = field(default_factory=list)  # RememberWidths; kept across flushes

    def write(self, text: str) -> None:
        """Writer.Write."""
        start = 0
        for match in _SEPARATOR.finditer(text):
            self._cell.append(text[start : match.start()])
            start = match.end()
            char = match.group()
            line = self._lines[-1]
            line.append("".join(self._cell))
            self._cell = []
            if char in "\n\f":
                self._lines.append([])
                # A line of one cell cannot affect the columns of the lines after it.
                if char == "\f" or len(line) == 1:
                    self.flush()
        self._cell.append(text[start:])

    def flush(self) -> None:
        """Writer.Flush: the current cell ends only when it holds text."""
        cell = "".join(self._cell)
        if cell:
            self._lines[-1].append(cell)
        self._format(0, len(self._lines))
        self._lines = [[]]
        self._cell = []
        self._widths = []

    def text(self) -> str:
        """Everything written, flushed."""
        self.flush()
        return "".join(self._out)

    def _format(self, line0: int, line1: int) -> None:
        """Writer.format."""
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
                width = max(width, len(self._lines[this][column]) + self.padding)
                this += 1
            if self.remember_widths:
                remembered = self._maxwidths
                if len(remembered) < column:
                    remembered.extend(self._widths[len(remembered) :])
                if len(remembered) == column:
                    remembered.append(width)
                else:
                    width = max(width, remembered[column])
                    remembered[column] = width
            self._widths.append(width)
            self._format(line0, this)
            self._widths.pop()
            line0 = this
        self._write_lines(line0, line1)

    def _write_lines(self, line0: int, line1: int) -> None:
        """Writer.writeLines; the last line is the unterminated one, with no newline."""
        for index in range(line0, line1):
            for column, cell in enumerate(self._lines[index]):
                self._out.append(cell)
                if column < len(self._widths):
                    self._out.append(" " * (self._widths[column] - len(cell)))
            if index + 1 < len(self._lines):
                self._out.append("\n")


def tabwriter(text: str, minwidth: int = 0, padding: int = 2, remember_widths: bool = False) -> str:
    """What a TabWriter given `text` and flushed writes: `text` is all that one writer is
    given."""
    writer = TabWriter(minwidth, padding, remember_widths)
    writer.write(text)
    return writer.text()


def table(
    rows: Sequence[Sequence[str]],
    minwidth: int = 0,
    padding: int = 2,
    remember_widths: bool = False,
) -> str:
    """Rows written as `%s\\t%s\\t...\\n` to one TabWriter, flushed once."""
    return table_prefix(rows, minwidth, padding, remember_widths)[0]


def table_prefix(
    rows: Sequence[Sequence[str]],
    minwidth: int = 0,
    padding: int = 2,
    remember_widths: bool = False,
    limit: int | None = None,
) -> tuple[str, int]:
    """`table`'s text, and how many rows it holds. With `limit`, the text may stop at the
    first row that takes it past `limit` characters: a prefix of the whole text, longer than
    `limit` whenever the whole is, so a cut within `limit` is the same. The columns are as
    wide as the whole table makes them. (Only plain rows stop early: one row is one line.)"""
    if not _plain(rows):
        text = "".join("\t".join(row) + "\n" for row in rows)
        return tabwriter(text, minwidth, padding, remember_widths), len(rows)
    widths = _widths(rows, minwidth, padding)
    lines: list[str] = []
    size = 0
    for row in rows:
        line = "".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
        lines.append(line + row[-1] + "\n")
        size += len(lines[-1])
        if limit is not None and size > limit:
            break
    return "".join(lines), len(lines)


def _plain(rows: Sequence[Sequence[str]]) -> bool:
    """Rows of the same number of cells (two or more), none with a separator: what the
    Writer makes of them is one block, every column as wide as its widest cell."""
    if not rows:
        return False
    count = len(rows[0])
    return (
        count > 1
        and all(len(row) == count for row in rows)
        and not any(_SEPARATOR.search(cell) for row in rows for cell in row)
    )


def _widths(rows: Sequence[Sequence[str]], minwidth: int, padding: int) -> list[int]:
    """The widths of plain rows' columns (_plain), as the Writer takes them for one block:
    each column but the last as wide as its widest cell plus `padding`, at least `minwidth`.
    One flush, so RememberWidths changes nothing."""
    return [
        max(minwidth, max(len(row[column]) for row in rows) + padding)
        for column in range(len(rows[0]) - 1)
    ]


def row_lines(row: Sequence[str]) -> int:
    """How many lines `table` writes for `row`: one, and one more for each line break (\\n or
    \\f) in its cells, which ends a line there as it ends one after the row."""
    return 1 + sum(cell.count("\n") + cell.count("\f") for cell in row)
