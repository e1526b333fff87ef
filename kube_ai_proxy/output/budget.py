"""The output budget (DESIGN, "The result": `truncated` and `next`; "Configuration":
K8S_MCP_MAX_OUTPUT): how much of an answer a call returns, where it is cut, and how the `next`
hint says what was cut. Every cut of an answer is made here; a caller says only how its
command can ask for less and which of its data goes with the text it keeps.

The budget counts characters, as K8S_MCP_MAX_OUTPUT is documented, so a cut never splits a
character. Bytes are counted only where a program's output is read, before it is decoded
(`read_limit`).

A leaf of the layout: it imports nothing of the server, so the call, the help and every native
reader can use it.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

# The most output held whole in memory: a CLI's output, whose Secrets are redacted before
# anything reads it; helm's JSON, read to be printed again; a native answer that pipe stages
# read (`native_budget`). Bounded so that one call cannot exhaust the server for the others.
REDACTION_BUFFER = 16 * 1024 * 1024

# UTF-8 spends at most four bytes on a character: that many bytes per character of budget
# always decode to the whole budget's worth of text, so reading further would be waste.
_BYTES_PER_CHARACTER = 4

# Lists are printed only as far as the budget reaches: first this many items, then twice as
# many each time, until the printed ones pass it.
_FIRST_PRINTED = 16

Printed = TypeVar("Printed")


def read_limit(budget: int) -> int:
    """How many bytes of a program's output (a CLI, the pipe stages, a log stream) are read
    before the server stops reading: enough for `budget` characters of any text."""
    return _BYTES_PER_CHARACTER * budget


def redaction_limit(max_output: int) -> int:
    """How many bytes of a CLI's output are held to redact it: all of it, when it is to be
    checked for Secret values before anything else reads it, up to REDACTION_BUFFER."""
    return max(read_limit(max_output), REDACTION_BUFFER)


def native_budget(max_output: int, *, piped: bool) -> int:
    """What a native answer may hold. Piped, it is the pipe stages' input, not what the caller
    sees: as much as the CLI path lets its first stage print, so `| grep` finds a row the
    output budget would have cut."""
    return REDACTION_BUFFER if piped else max_output


@dataclass(frozen=True)
class Cut:
    """The part of a text within the budget, and whether anything was left out."""

    text: str
    truncated: bool

    @property
    def lines(self) -> int:
        """The lines kept, each ended by its newline."""
        return self.text.count("\n")

    def rows(self, header_lines: int) -> int:
        """The rows of a table kept, one a line below `header_lines` lines of header: as many
        of the table's data go with the text."""
        return max(self.lines - header_lines, 0)

    def rows_ended(self, row_ends: Sequence[int]) -> int:
        """The rows of a text kept whole, given the line each row ends on (counting the text's
        lines from 1, in order; headers and blank lines between the rows count, but are no
        rows): as many of its data go with the text. For tables of several headers, or rows
        more than a line high, where `rows` would count wrong."""
        return bisect_right(row_ends, self.lines)


def cut_text(text: str, budget: int) -> Cut:
    """`text` cut after `budget` characters, wherever they end (a line, a word)."""
    return Cut(text[:budget], len(text) > budget)


def cut_lines(text: str, budget: int) -> Cut:
    """`text` cut to the longest run of whole lines within `budget` characters, so no table
    row or object is shown in part; a first line longer than the budget is cut within it, not
    left out, so that something is shown."""
    if len(text) <= budget:
        return Cut(text, False)
    cut = text[:budget]
    return Cut(cut[: cut.rfind("\n") + 1] or cut, True)


def cut_after_lines(text: str, lines: int) -> Cut:
    """`text` cut after its first `lines` lines, each with its newline: where the data that
    goes with a text's lines passes the budget before the text does."""
    end = 0
    for _ in range(lines):
        end = text.index("\n", end) + 1
    return Cut(text[:end], end < len(text))


def rows_that_fit(
    header: Sequence[str],
    lines: Sequence[str],
    data_sizes: Iterable[int],
    budget: int,
    data_size: int,
) -> int:
    """How many rows of a table fit the budget when each is a line of text (after the `header`
    lines) and an item of data (`data_sizes`, read only as far as rows fit; after `data_size`
    characters of what holds the items): the text and the data each stay within it."""
    text_size = sum(len(line) for line in header)
    kept = 0
    for line, size in zip(lines, data_sizes, strict=False):
        if text_size + len(line) > budget or data_size + size > budget:
            break
        text_size += len(line)
        data_size += size
        kept += 1
    return kept


def print_growing(
    total: int,
    print_first: Callable[[int], Printed],
    passes: Callable[[Printed], bool],
    first: int = _FIRST_PRINTED,
) -> tuple[Printed, bool]:
    """A list of `total` items printed only as far as the budget reaches: printing a long list
    whole only to cut it costs more than fetching it. `print_first(k)` prints the first k items,
    k growing from `first`, until all are printed (True: the whole list) or `passes` finds that
    what is printed already passes the budget (False); the caller cuts that where the whole
    list's text would be cut, which it must print alike up to its last item."""
    count = max(first, 1)
    while True:
        printed = print_first(count)
        if count >= total:
            return printed, True
        if passes(printed):
            return printed, False
        count *= 2


def oversize_hint(text: str, data_size: Callable[[], int], budget: int, advice: str) -> str | None:
    """The `next` hint of an answer with text and data of which one is larger than the budget,
    None when both fit (`data_size` is measured only when the text fits). Its data is then left
    out, as the call leaves out the JSON of an output it cut; the text stays whole for the call
    to cut (`cut_text`) after any pipe stages have read all of it."""
    if len(text) > budget:
        return rest_hint(output_cut(len(text), "characters"), advice)
    size = data_size()
    if size > budget:
        return rest_hint(
            f"The data ({size} characters) is larger than the budget and was left out", advice
        )
    return None


def rest_hint(what_was_cut: str, advice: str, separator: str = "; ") -> str:
    """A `next` hint (DESIGN, "The result"): what the budget cut, then how to get the rest."""
    return f"{what_was_cut}{separator}{advice}."


# What the budget cut, as a hint says it. Some say alike things in other words; each is kept as
# users of its command have seen it.


def output_cut(size: int, unit: Literal["bytes", "characters"]) -> str:
    return f"The output ({size} {unit}) was cut to the budget"


def first_lines_fit(lines: int) -> str:
    return f"Only the first {lines} lines fit the output budget"


def objects_fit(kept: int, total: int) -> str:
    return f"Only {kept} of {total} objects fit the output budget"


def rows_fit(kept: int, total: int, rows: str) -> str:
    return f"{kept} of {total} {rows} fit in the output budget"


LIST_HAS_MORE = "The list has more items than fit the output budget"
LOG_LONGER = "The log is longer than the output budget"
